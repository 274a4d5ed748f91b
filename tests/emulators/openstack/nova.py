"""nova v2.1: version documents, microversion negotiation, GET /servers,
/servers/detail and /servers/{id} (nova/api/openstack/compute/servers.py)."""

import collections
import functools
import re
import urllib.parse

from tests.emulators.openstack.common import (BOOL_FALSE, BOOL_TRUE, Reply, Route,
                                              dispatch, nova_error)
from tests.emulators.openstack.nova_views import (STATUS_TASK_STATE, STATUS_TO_VM_STATE,
                                                  server_view)

NOVA_MIN_VERSION = (2, 1)

_SORT_KEYS = {
    'created_at': 'created_dt', 'updated_at': 'updated_dt', 'display_name': 'name',
    'hostname': 'hostname', 'uuid': 'id', 'id': 'seq', 'project_id': 'project_id',
    'user_id': 'user_id', 'vm_state': 'vm_state', 'image_ref': 'image_id',
    'host': 'host', 'node': 'host',
}

_DB_ERROR = ('Unexpected API Error. Please report this at http://bugs.launchpad.net/nova/ '
             "and attach the Nova API log if possible.\n<class 'oslo_db.exception.DBError'>")


class Nova:
    """The compute API, under /compute."""

    routes = [
        Route('/', {'GET': 'versions'}, slash=True, public=True),
        Route('/v2.1', {'GET': 'version_doc'}, public=True),   # no auth in nova's paste
        Route('/v2', {'GET': 'version_doc_v20'}, public=True),
        Route('/v2.1/', {'GET': 'version_doc'}),
        Route('/v2.1/servers', {'GET': 'list_servers'}),
        Route('/v2.1/servers/detail', {'GET': 'list_servers_detail'}),
        Route('/v2.1/servers/{id}', {'GET': 'show_server'}),
    ]

    def __init__(self, emu):
        self.emu = emu

    @staticmethod
    def not_found(status, allowed):
        if status == 405:
            return nova_error(405, 'The method is not allowed for the requested URL.')
        return nova_error(404, 'The resource could not be found.')

    # ------------------------------------------------------------- versions

    def _versions(self):
        emu = self.emu
        return [
            {'id': 'v2.0', 'status': 'SUPPORTED', 'version': '', 'min_version': '',
             'updated': '2011-01-21T11:33:21Z',
             'links': [{'rel': 'self', 'href': emu.base_url + '/compute/v2/'}]},
            {'id': 'v2.1', 'status': 'CURRENT', 'version': '%d.%d' % emu.nova_max_version,
             'min_version': '%d.%d' % NOVA_MIN_VERSION, 'updated': '2013-07-23T11:33:21Z',
             'links': [{'rel': 'self', 'href': emu.base_url + '/compute/v2.1/'}]},
        ]

    def _version_doc(self, vid):
        version = dict(next(v for v in self._versions() if v['id'] == vid))
        version['links'] = version['links'] + [
            {'rel': 'describedby', 'type': 'text/html', 'href': 'http://docs.openstack.org/'}]
        suffix = '' if vid == 'v2.0' else ';version=2.1'
        version['media-types'] = [{'base': 'application/json',
                                   'type': 'application/vnd.openstack.compute+json' + suffix}]
        return {'version': version}

    def versions(self, req, *args):
        raise Reply(200, {'versions': self._versions()})

    def version_doc(self, req, *args):
        raise Reply(200, self._version_doc('v2.1'))

    def version_doc_v20(self, req, *args):
        raise Reply(200, self._version_doc('v2.0'))

    def parse_microversion(self, headers):
        """As microversion_parse.get_version + nova's APIVersionRequest:
        (major, minor); ValueError for a malformed one."""
        value = None
        for raw in headers.get_all('OpenStack-API-Version') or []:
            for item in raw.split(','):
                parts = item.strip().split(None, 1)
                if len(parts) == 2 and parts[0].lower() == 'compute':
                    value = parts[1].strip()
        if value is None:
            legacy = headers.get_all('X-OpenStack-Nova-API-Version') or []
            if legacy:
                value = legacy[-1].strip()
        if value is None:
            return NOVA_MIN_VERSION
        if value == 'latest':
            return self.emu.nova_max_version
        m = re.fullmatch(r'([1-9]\d*)\.([1-9]\d*|0)', value)
        if not m:
            raise ValueError(value)
        return int(m.group(1)), int(m.group(2))

    # --------------------------------------------------------------- entry

    def handle(self, req, sub):
        emu = self.emu
        if sub in ('', '/', '/v2.1', '/v2'):
            dispatch(self, req, sub or '/', self.not_found)
        if not sub.startswith('/v2.1/'):
            raise self.not_found(404, None)
        token = emu._keystone.service_token(req)  # keystonemiddleware runs before nova
        try:
            version = self.parse_microversion(req.headers)
        except ValueError as exc:
            raise nova_error(400, 'API Version String %s is of invalid format. Must be of '
                                  'format MajorNum.MinorNum.' % exc.args[0]) from None
        vstr = '%d.%d' % version
        vheaders = {'OpenStack-API-Version': 'compute ' + vstr,
                    'X-OpenStack-Nova-API-Version': vstr,
                    'Vary': 'OpenStack-API-Version, X-OpenStack-Nova-API-Version'}
        try:
            if not NOVA_MIN_VERSION <= version <= emu.nova_max_version:
                raise nova_error(406, 'Version %s is not supported by the API. Minimum is '
                                      '%d.%d and maximum is %d.%d.'
                                 % ((vstr,) + NOVA_MIN_VERSION + emu.nova_max_version))
            dispatch(_Call(self, token, version), req, sub, self.not_found)
        except Reply as reply:
            reply.headers.update(vheaders)
            raise


class _Call:
    """One authenticated, versioned nova call: the handlers of the routes."""

    routes = Nova.routes

    def __init__(self, api, token, version):
        self.api = api
        self.emu = api.emu
        self.token = token
        self.version = version

    def version_doc(self, req):
        self.api.version_doc(req)

    def show_server(self, req, server_id):
        emu = self.emu
        with emu._lock:
            rec = emu._servers.get(server_id)
            if rec is None or rec['deleted']:
                raise nova_error(404, 'Instance %s could not be found.' % server_id)
            raise Reply(200, {'server': server_view(emu.base_url, rec, self.version)})

    def list_servers(self, req):
        self._list(req, detail=False)

    def list_servers_detail(self, req):
        self._list(req, detail=True)

    @staticmethod
    def _all_tenants(req):
        # as nova.api.openstack.common.is_all_tenants
        raw = req.param('all_tenants')
        if not raw:
            return 'all_tenants' in req.query
        if raw.strip().lower() in BOOL_TRUE:
            return True
        if raw.strip().lower() in BOOL_FALSE:
            return False
        raise nova_error(400, "Invalid input received: Unrecognized value '%s', acceptable "
                              "values are: '0', '1', 'f', 'false', 'n', 'no', 'off', 'on', "
                              "'t', 'true', 'y', 'yes'" % raw)

    def _list(self, req, detail):
        emu, version, q = self.emu, self.version, req.query

        def bad(msg):
            return nova_error(400, msg)

        all_tenants = self._all_tenants(req)
        # without all_tenants nova drops tenant_id and forces the token's project
        if all_tenants:
            projects = [req.param(k) for k in ('tenant_id', 'project_id') if k in q]
        else:
            projects = [self.token['project_id']]

        # paging
        limit = emu.page_size
        if 'limit' in q:
            try:
                requested = int(req.param('limit'))
            except ValueError:
                raise bad('limit param must be an integer') from None
            if requested < 0:
                raise bad('limit param must be positive')
            limit = min(limit, requested)
        marker = req.param('marker') if 'marker' in q else None

        # status
        statuses = None
        if 'status' in q:
            statuses = {s.upper() for s in q['status']}
            if not statuses & set(STATUS_TO_VM_STATE):
                if version >= (2, 38):
                    raise bad('Invalid status value')
                raise Reply(200, {'servers': []})
            # nova filters on vm_state, and on task_state only when no requested
            # status is a plain ("default" task) one: ACTIVE also lists rebooting servers
            known = statuses & set(STATUS_TO_VM_STATE)
            vm_states = {STATUS_TO_VM_STATE[s] for s in known}
            task_states = None
            if all(s in STATUS_TASK_STATE for s in known):
                task_states = {STATUS_TASK_STATE[s] for s in known}
        regexes = {}
        for param, field in (('name', 'name'), ('hostname', 'hostname')):
            if param in q:
                try:
                    regexes[field] = re.compile(req.param(param))
                except re.error:
                    raise nova_error(500, _DB_ERROR) from None

        cmp = self._ordering(q)
        with emu._lock:
            found = []
            for rec in emu._servers.values():
                if rec['deleted']:
                    continue
                if any(rec['project_id'] != p for p in projects):
                    continue
                if statuses is not None:
                    if STATUS_TO_VM_STATE[rec['status']] not in vm_states:
                        continue
                    task = rec['task_state'] or STATUS_TASK_STATE.get(rec['status'])
                    if task_states is not None and task not in task_states:
                        continue
                if any(not rx.search(str(rec[field])) for field, rx in regexes.items()):
                    continue
                found.append(rec)
            found.sort(key=functools.cmp_to_key(cmp))
            if marker is not None:
                marker_rec = emu._servers.get(marker)   # deleted ones too (read_deleted)
                if marker_rec is None:
                    raise bad('marker [%s] not found' % marker)
                found = [r for r in found if cmp(r, marker_rec) > 0]
            page = found[:limit]
            servers = [server_view(emu.base_url, r, version, detail) for r in page]

        body = {'servers': servers}
        max_items = min(int(req.param('limit', emu.page_size)), emu.page_size)
        if max_items and max_items == len(servers):
            params = collections.OrderedDict(sorted((k, v[-1]) for k, v in q.items()))
            params['marker'] = servers[-1]['id']
            collection = 'servers/detail' if detail else 'servers'
            body['servers_links'] = [{
                'rel': 'next',
                'href': '%s/compute/v2.1/%s?%s' % (emu.base_url, collection,
                                                   urllib.parse.urlencode(params))}]
        raise Reply(200, body)

    @staticmethod
    def _ordering(q):
        """A comparison of two server records, as nova sorts: default created_at
        desc, then id as tie-breaker."""
        sort_keys = [k.strip() for k in q.get('sort_key', [])] or ['created_at']
        sort_dirs = [d.strip().lower() for d in q.get('sort_dir', [])] or ['desc']
        for k in sort_keys:
            if k not in _SORT_KEYS:
                raise nova_error(400, "Invalid input for query parameters sort_key. "
                                      "Value: %s." % k)
        for d in sort_dirs:
            if d not in ('asc', 'desc'):
                raise nova_error(400, "Invalid input for query parameters sort_dir. "
                                      "Value: %s." % d)
        if len(sort_dirs) not in (1, len(sort_keys)):
            raise nova_error(400, 'Sort direction size exceeds sort key size')
        if len(sort_dirs) == 1:
            sort_dirs = sort_dirs * len(sort_keys)
        for extra in ('created_at', 'id'):
            if extra not in sort_keys:
                sort_keys.append(extra)
                sort_dirs.append(sort_dirs[0])
        order = [(_SORT_KEYS[k], d) for k, d in zip(sort_keys, sort_dirs)]

        def cmp(a, b):
            for field, direction in order:
                va, vb = a.get(field), b.get(field)
                if va == vb:
                    continue
                if va is None or vb is None:
                    less = va is None
                else:
                    less = va < vb
                result = -1 if less else 1
                return result if direction == 'asc' else -result
            return 0
        return cmp
