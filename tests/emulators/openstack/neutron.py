"""neutron v2.0: ports and floating IPs, listed with neutron's filters and
native pagination (neutron/api/api_common.py, neutron_lib db utils), shown one by
one, with ``NeutronError`` bodies; a floating IP's ``port_details``
(fip-port-details, neutron/db/l3_fip_port_details.py) is read from its port
at every answer."""

import copy
import secrets
import urllib.parse
import uuid

from tests.emulators.openstack.common import Reply, Route, dispatch, iso, neutron_error, now

_PORT_FILTERS = ('id', 'name', 'network_id', 'tenant_id', 'project_id', 'mac_address',
                 'admin_state_up', 'status', 'device_id', 'device_owner', 'description',
                 'binding:host_id', 'binding:vnic_type', 'ip_allocation', 'fixed_ips')
_FIP_FILTERS = ('id', 'floating_ip_address', 'floating_network_id', 'router_id', 'port_id',
                'fixed_ip_address', 'status', 'tenant_id', 'project_id', 'description')
_PAGING = ('fields', 'limit', 'marker', 'sort_key', 'sort_dir', 'page_reverse')
# attributes neutron marks is_sort_key (neutron_lib api definitions)
_SORT_KEYS = ('id', 'name', 'network_id', 'tenant_id', 'project_id', 'mac_address',
              'admin_state_up', 'status', 'device_id', 'device_owner', 'created_at',
              'updated_at', 'floating_ip_address', 'floating_network_id', 'router_id',
              'port_id', 'fixed_ip_address', 'description')


class NeutronData:
    """Test helpers of the facade for neutron's ports and floating IPs."""

    def add_port(self, port_id, device_id, device_owner='compute:nova', fixed_ips=None,
                 network_id=None, project_id=None):
        stamp = iso(now())
        ips = []
        for ip in fixed_ips or []:
            if isinstance(ip, str):
                ip = {'subnet_id': self.default_subnet_id, 'ip_address': ip}
            ips.append(dict(ip))
        project_id = project_id or self.project_id
        mac = 'fa:16:3e:%02x:%02x:%02x' % tuple(secrets.token_bytes(3))
        port = {
            'id': port_id, 'name': '', 'network_id': network_id or self.default_network_id,
            'tenant_id': project_id, 'project_id': project_id, 'mac_address': mac,
            'admin_state_up': True, 'status': 'ACTIVE', 'device_id': device_id,
            'device_owner': device_owner, 'fixed_ips': ips, 'allowed_address_pairs': [],
            'extra_dhcp_opts': [], 'security_groups': [self.default_security_group_id],
            'description': '', 'binding:vnic_type': 'normal',
            'binding:host_id': 'compute-0', 'binding:profile': {},
            'binding:vif_type': 'ovs', 'binding:vif_details': {'port_filter': True},
            'port_security_enabled': True, 'dns_name': '', 'dns_assignment': [],
            'qos_policy_id': None, 'qos_network_policy_id': None, 'resource_request': None,
            'ip_allocation': 'immediate', 'tags': [], 'created_at': stamp,
            'updated_at': stamp, 'revision_number': 1,
        }
        with self._lock:
            self._ports[port_id] = port
            return copy.deepcopy(port)

    def add_floatingip(self, fip_id, floating_ip_address, port_id=None,
                       fixed_ip_address=None, project_id=None, port_details=True):
        """Create or replace (re-associate) a floating IP. ``port_details=False``:
        a neutron without the fip-port-details extension (no such key)."""
        stamp = iso(now())
        project_id = project_id or self.project_id
        with self._lock:
            port = self._ports.get(port_id) if port_id else None
            if port is not None and fixed_ip_address is None and port['fixed_ips']:
                fixed_ip_address = port['fixed_ips'][0]['ip_address']
            fip = {
                'id': fip_id, 'floating_ip_address': floating_ip_address,
                'floating_network_id': str(uuid.uuid4()),
                'router_id': str(uuid.uuid4()) if port_id else None,
                'port_id': port_id, 'fixed_ip_address': fixed_ip_address,
                'status': 'ACTIVE' if port_id else 'DOWN',
                'tenant_id': project_id, 'project_id': project_id, 'description': '',
                'dns_domain': '', 'dns_name': '', 'qos_policy_id': None,
                'port_details': None, 'tags': [], 'created_at': stamp, 'updated_at': stamp,
                'revision_number': 0,
            }
            if not port_details:
                del fip['port_details']
            self._floatingips[fip_id] = fip
            return self._render_fip(fip)

    def _render_fip(self, fip):
        out = copy.deepcopy(fip)
        if 'port_details' in out:
            port = self._ports.get(fip['port_id']) if fip['port_id'] else None
            out['port_details'] = None if port is None else {
                key: port[key] for key in ('name', 'network_id', 'mac_address',
                                           'admin_state_up', 'status', 'device_id',
                                           'device_owner')}
        return out

    def delete_port(self, port_id):
        """The port goes; its floating IPs are disassociated, as neutron's port
        delete does (l3_db disassociate_floatingips)."""
        with self._lock:
            del self._ports[port_id]
            for fip in self._floatingips.values():
                if fip['port_id'] == port_id:
                    fip.update(port_id=None, fixed_ip_address=None, router_id=None,
                               status='DOWN')

    def delete_floatingip(self, fip_id):
        with self._lock:
            self._floatingips.pop(fip_id, None)


class Neutron:
    """The network API, under /network."""

    routes = [
        Route('/', {'GET': 'versions'}, slash=True, public=True),
        Route('/v2.0', {'GET': 'resources'}, slash=True),
        Route('/v2.0/ports', {'GET': 'list_ports'}),
        Route('/v2.0/ports/{id}', {'GET': 'show_port'}),
        Route('/v2.0/floatingips', {'GET': 'list_floatingips'}),
        Route('/v2.0/floatingips/{id}', {'GET': 'show_floatingip'}),
    ]

    def __init__(self, emu):
        self.emu = emu

    @staticmethod
    def not_found(status, allowed):
        if status == 405:
            return neutron_error(405, 'HTTPMethodNotAllowed',
                                 'The method is not allowed for this resource.')
        return neutron_error(404, 'HTTPNotFound', 'The resource could not be found.')

    def handle(self, req, sub):
        if sub in ('/', ''):
            dispatch(self, req, sub, self.not_found)
        if not (sub == '/v2.0' or sub.startswith('/v2.0/')):
            raise self.not_found(404, None)
        self.emu._keystone.service_token(req)
        dispatch(self, req, sub, self.not_found)

    def versions(self, req):
        raise Reply(200, {'versions': [{
            'id': 'v2.0', 'status': 'CURRENT',
            'links': [{'href': self.emu.base_url + '/network/v2.0/', 'rel': 'self'}]}]})

    def resources(self, req):
        base = self.emu.base_url + '/network/v2.0/'
        raise Reply(200, {'resources': [
            {'links': [{'href': base + c, 'rel': 'self'}], 'name': n, 'collection': c}
            for n, c in (('port', 'ports'), ('floatingip', 'floatingips'))]})

    def show_port(self, req, port_id):
        self._show(req, self.emu._ports, 'port', 'PortNotFound', 'Port', port_id)

    def show_floatingip(self, req, fip_id):
        self._show(req, self.emu._floatingips, 'floatingip', 'FloatingIPNotFound',
                   'Floating IP', fip_id)

    def list_ports(self, req):
        self._index(req, self.emu._ports, 'ports', _PORT_FILTERS)

    def list_floatingips(self, req):
        self._index(req, self.emu._floatingips, 'floatingips', _FIP_FILTERS)

    def _show(self, req, store, singular, type_, label, item_id):
        emu = self.emu
        with emu._lock:
            item = store.get(item_id)
            if item is None:
                raise neutron_error(404, type_, '%s %s could not be found.' % (label, item_id))
            if singular == 'floatingip':
                item = emu._render_fip(item)
            raise Reply(200, {singular: _fields(req, item)})

    def _index(self, req, store, plural, allowed):
        emu = self.emu
        for key in req.query:
            if key not in allowed and key not in _PAGING:
                raise neutron_error(400, 'HTTPBadRequest',
                                    "['%s'] is invalid attribute for filtering" % key)
        limit = _limit(req, emu.neutron_max_limit)
        sorts = _sorts(req, limit)
        page_reverse = (req.param('page_reverse') or 'False').lower() == 'true'
        marker = req.param('marker') if limit else None
        with emu._lock:
            items = [emu._render_fip(i) if plural == 'floatingips' else copy.deepcopy(i)
                     for i in store.values() if _matches(req, i)]
            items.sort(key=lambda i: _sort_key(i, sorts))
            if marker is not None:
                marker_item = store.get(marker)
                if marker_item is None and plural == 'ports':
                    # get_marker_obj -> _get_port raises
                    raise neutron_error(404, 'PortNotFound',
                                        'Port %s could not be found.' % marker)
                if marker_item is not None:   # floating IPs: an unknown marker is none
                    at = _sort_key(marker_item, sorts)
                    items = [i for i in items
                             if (_sort_key(i, sorts) < at if page_reverse
                                 else _sort_key(i, sorts) > at)]
            if limit:
                items = items[-limit:] if page_reverse else items[:limit]
            body = {plural: [_fields(req, i) for i in items]}
        links = _links(emu.base_url + req.path, req, items, limit, page_reverse)
        if links:
            body[plural + '_links'] = links
        raise Reply(200, body)


def _limit(req, max_limit):
    """api_common.get_limit_and_marker: None for no paging."""
    raw = req.param('limit', '0')
    try:
        limit = int(raw)
    except ValueError:
        limit = -1
    if limit < 0:
        raise neutron_error(400, 'BadRequest', "Bad limit request: Limit must be an integer "
                                               "0 or greater and not '%s'." % raw)
    if max_limit is not None and max_limit > 0:
        limit = min(max_limit, limit) or max_limit
    return limit or None


def _sorts(req, limit):
    """[(key, ascending)]: the request's sort_key/sort_dir pairs, and the id
    ascending that native pagination appends."""
    keys = [k for k in req.query.get('sort_key', []) if k]
    dirs = [d for d in req.query.get('sort_dir', []) if d]
    if len(keys) != len(dirs):
        raise neutron_error(400, 'HTTPBadRequest',
                            'The number of sort_keys and sort_dirs must be same')
    bad = [k for k in keys if k not in _SORT_KEYS]
    if bad:
        raise neutron_error(400, 'HTTPBadRequest',
                            '%s is invalid attribute for sort_keys' % bad)
    wrong = [d for d in dirs if d not in ('asc', 'desc')]
    if wrong:
        raise neutron_error(400, 'HTTPBadRequest',
                            "%s is invalid value for sort_dirs, valid value is 'asc' "
                            "and 'desc'" % wrong)
    sorts = [(k, d == 'asc') for k, d in zip(keys, dirs)]
    if limit and 'id' not in keys:
        sorts.append(('id', True))
    return sorts


class _Desc:
    """Reverses the order of a value, for descending sort keys."""

    def __init__(self, value):
        self.value = value

    def __lt__(self, other):
        return other.value < self.value

    def __gt__(self, other):
        return other.value > self.value

    def __eq__(self, other):
        return self.value == other.value


def _sort_key(item, sorts):
    parts = []
    for key, ascending in sorts:
        value = item.get(key)
        value = (value is not None, '' if value is None else str(value))
        parts.append(value if ascending else _Desc(value))
    return tuple(parts)


def _links(path_url, req, items, limit, page_reverse):
    """api_common.get_pagination_links: next unless a short forward page,
    previous unless a short reverse page."""
    if not limit:
        return []
    query = urllib.parse.parse_qsl(req.query_string, keep_blank_values=True)
    pairs = [(k, v) for k, v in query if k != 'marker']
    links = []
    if not (len(items) < limit and not page_reverse):
        params = [(k, v) for k, v in pairs if k != 'page_reverse']
        if items:
            params.append(('marker', items[-1]['id']))
        links.append({'rel': 'next',
                      'href': '%s?%s' % (path_url, urllib.parse.urlencode(params))})
    if not (len(items) < limit and page_reverse):
        params = [(k, v) for k, v in pairs if k != 'page_reverse']
        if items:
            params.append(('marker', items[0]['id']))
        params.append(('page_reverse', 'True'))
        links.append({'rel': 'previous',
                      'href': '%s?%s' % (path_url, urllib.parse.urlencode(params))})
    return links


def _matches(req, item):
    for key, values in req.query.items():
        if key in _PAGING:
            continue
        if key == 'fixed_ips':
            ok = all(_fixed_ip_match(item['fixed_ips'], v) for v in values)
        else:
            ok = str(item.get(key)) in values or (
                isinstance(item.get(key), bool)
                and str(item.get(key)).lower() in [v.lower() for v in values])
        if not ok:
            return False
    return True


def _fixed_ip_match(fixed_ips, value):
    # neutron's fixed_ips filter: "ip_address=10.0.0.5" / "subnet_id=..."
    key, _, wanted = value.partition('=')
    return any(ip.get(key) == wanted for ip in fixed_ips)


def _fields(req, item):
    fields = req.query.get('fields')
    if not fields:
        return copy.deepcopy(item)
    return {k: copy.deepcopy(v) for k, v in item.items() if k in fields}
