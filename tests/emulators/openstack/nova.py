"""nova v2.1: version documents, microversion negotiation, GET /servers,
/servers/detail and /servers/{id} (nova/api/openstack/compute/servers.py)."""

import re

from tests.emulators.openstack.common import Reply, Route, dispatch, nova_error
from tests.emulators.openstack.nova_list import NOVA_EXCEPTION, ServerList
from tests.emulators.openstack.nova_views import down_cell_view, server_view

NOVA_MIN_VERSION = (2, 1)


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
            if emu.in_down_cell(rec):
                # compute/api.py _get_instance_from_cell: a minimal construct from
                # 2.69 on, before that a NovaException (500)
                if self.version < (2, 69):
                    raise nova_error(500, NOVA_EXCEPTION)
                raise Reply(200, {'server': down_cell_view(emu.base_url, rec,
                                                           self.version, 'show')})
            raise Reply(200, {'server': server_view(emu.base_url, rec, self.version,
                                                    extended=not emu.hide_extended_attrs)})

    def list_servers(self, req):
        ServerList(self.emu, req, self.token, self.version, detail=False).run()

    def list_servers_detail(self, req):
        ServerList(self.emu, req, self.token, self.version, detail=True).run()
