"""GET /servers and /servers/detail as nova answers them: search options
after policy (nova/api/openstack/compute/servers.py ``_get_servers``), the
deleted / soft-deleted rules of nova's DB API, sorting, ``limit``/``marker``
paging with ``servers_links``, and servers of down cells (compute/api.py
``get_all``, multi_cell_list.py)."""

import collections
import functools
import re
import urllib.parse

from tests.emulators.openstack.common import BOOL_FALSE, BOOL_TRUE, Reply, nova_error
from tests.emulators.openstack.nova_views import (STATUS_TASK_STATE, STATUS_TO_VM_STATE,
                                                  down_cell_view, server_view)

PAGING_SORTING = ('sort_key', 'sort_dir', 'limit', 'marker')

_SORT_KEYS = {
    'created_at': 'created_dt', 'updated_at': 'updated_dt', 'display_name': 'name',
    'hostname': 'hostname', 'uuid': 'id', 'project_id': 'project_id',
    'user_id': 'user_id', 'vm_state': 'vm_state', 'image_ref': 'image_id',
    'host': 'host', 'node': 'host',
}
# schemas/servers.py SERVER_LIST_IGNORE_SORT_KEY: dropped without a word
_IGNORED_SORT_KEYS = ('architecture', 'cell_name', 'cleaned', 'default_ephemeral_device',
                      'default_swap_device', 'deleted', 'deleted_at', 'disable_terminate',
                      'ephemeral_gb', 'ephemeral_key_uuid', 'id', 'key_data', 'launched_on',
                      'locked', 'memory_mb', 'os_type', 'reservation_id', 'root_gb',
                      'shutdown_terminate', 'user_data', 'vcpus', 'vm_mode')

UNEXPECTED = ('Unexpected API Error. Please report this at http://bugs.launchpad.net/nova/ '
              'and attach the Nova API log if possible.\n%s')
DB_ERROR = UNEXPECTED % "<class 'oslo_db.exception.DBError'>"
NOVA_EXCEPTION = UNEXPECTED % "<class 'nova.exception.NovaException'>"


def non_admin_options(version):
    """servers.py ``_get_server_search_options``: what a user without
    ``allow_all_filters`` may filter on (the rest is dropped silently)."""
    opts = ['reservation_id', 'name', 'status', 'image', 'flavor', 'ip', 'changes-since',
            'all_tenants']
    if version >= (2, 5):
        opts.append('ip6')
    if version >= (2, 26):
        opts += ['tags', 'tags-any', 'not-tags', 'not-tags-any']
    if version >= (2, 66):
        opts.append('changes-before')
    if version >= (2, 73):
        opts.append('locked')
    if version >= (2, 83):
        opts += ['availability_zone', 'config_drive', 'key_name', 'created_at',
                 'launched_at', 'terminated_at', 'power_state', 'task_state', 'vm_state',
                 'progress', 'user_id']
    if version >= (2, 90):
        opts.append('hostname')
    return opts


def _bool_strict(raw):
    # nova.api.openstack.common.is_all_tenants (strutils strict)
    if raw.strip().lower() in BOOL_TRUE:
        return True
    if raw.strip().lower() in BOOL_FALSE:
        return False
    raise nova_error(400, "Invalid input received: Unrecognized value '%s', acceptable "
                          "values are: '0', '1', 'f', 'false', 'n', 'no', 'off', 'on', "
                          "'t', 'true', 'y', 'yes'" % raw)


class ServerList:
    """One list call: ``run()`` raises the answer."""

    def __init__(self, emu, req, token, version, detail):
        self.emu, self.req, self.token = emu, req, token
        self.version, self.detail = version, detail
        self.admin = not emu.ignore_admin_filters
        self.project = None         # the project the listing is scoped to (None: all)
        q = req.query
        # remove_invalid_options
        if self.admin:
            self.opts = {k: v[-1] for k, v in q.items() if k not in PAGING_SORTING}
        else:
            allowed = non_admin_options(version)
            self.opts = {k: v[-1] for k, v in q.items() if k in allowed}
        # _is_cell_down_supported: the only filter it bears is all_tenants
        self.cell_down_support = (
            version >= (2, 69) and not any(k in q for k in PAGING_SORTING)
            and sorted(self.opts) in ([], ['all_tenants']))

    def run(self):
        emu, req, q = self.emu, self.req, self.req.query
        matches = self._filters()
        limit, marker = self._paging()
        cmp = self._ordering()
        with emu._lock:
            if emu._down_cells and not self.cell_down_support and not emu.skip_down_cells:
                raise nova_error(500, NOVA_EXCEPTION)
            found = [r for r in emu._servers.values()
                     if all(m(r) for m in matches) and not emu.in_down_cell(r)]
            found.sort(key=functools.cmp_to_key(cmp))
            truncated = False
            cap = emu.truncate_server_lists
            if cap is not None and len(found) > cap:
                found, truncated = found[:cap], True
            if marker is not None:
                marker_rec = emu._servers.get(marker)   # deleted ones too (read_deleted)
                if marker_rec is None:
                    raise nova_error(400, 'marker [%s] not found' % marker)
                if emu.in_down_cell(marker_rec):
                    raise nova_error(500, DB_ERROR)
                found = [r for r in found if cmp(r, marker_rec) > 0]
            page = found[:limit]
            ends_cut = truncated and len(page) == len(found)
            servers = [server_view(emu.base_url, r, self.version, self.detail,
                                   extended=not emu.hide_extended_attrs) for r in page]
            if self.cell_down_support:
                # minimal constructs of the down cells come first, up to the limit
                # (instance mappings not queued for delete, of the project)
                kind = 'detail' if self.detail else 'index'
                minimal = [down_cell_view(emu.base_url, r, self.version, kind)
                           for r in emu._servers.values()
                           if emu.in_down_cell(r) and not r['deleted']
                           and self.project in (None, r['project_id'])]
                servers = minimal[:max(limit - len(servers), 0)] + servers

        body = {'servers': servers}
        max_items = min(int(req.param('limit', emu.page_size)), emu.page_size)
        if max_items and max_items == len(servers) and not ends_cut:
            params = collections.OrderedDict(sorted((k, v[-1]) for k, v in q.items()))
            params['marker'] = servers[-1]['id']
            collection = 'servers/detail' if self.detail else 'servers'
            body['servers_links'] = [{
                'rel': 'next',
                'href': '%s/compute/v2.1/%s?%s' % (emu.base_url, collection,
                                                   urllib.parse.urlencode(params))}]
        raise Reply(200, body)

    # ------------------------------------------------------------- filters

    def _filters(self):
        """Predicates on server records, in the order nova checks the options."""
        opts, q = self.opts, self.req.query
        matches = []
        statuses = None
        if 'status' in q:
            statuses = {s.upper() for s in q['status']}
            known = statuses & set(STATUS_TO_VM_STATE)
            if not known:
                if self.version >= (2, 38):
                    raise nova_error(400, 'Invalid status value')
                raise Reply(200, {'servers': []})
            # nova filters on vm_state, and on task_state only when no requested
            # status is a plain ("default" task) one: ACTIVE also lists rebooting servers
            vm_states = {STATUS_TO_VM_STATE[s] for s in known}
            task_states = None
            if all(s in STATUS_TASK_STATE for s in known):
                task_states = {STATUS_TASK_STATE[s] for s in known}
            matches.append(lambda r: _vm_state(r) in vm_states)
            if task_states is not None:
                matches.append(lambda r: (r['task_state'] or STATUS_TASK_STATE.get(
                    r['status'])) in task_states)

        deleted = False
        if 'deleted' in opts:       # strutils.bool_from_string(default=False)
            deleted = opts['deleted'].strip().lower() in BOOL_TRUE
        if statuses is not None and vm_states == {'deleted'}:
            if not self.admin:
                raise nova_error(403, 'Only administrators may list deleted instances')
            deleted = True
        if deleted:     # deleted ones and soft-deleted ones (db/main/api.py)
            matches.append(lambda r: r['deleted'] or r['status'] == 'SOFT_DELETED')
        else:
            matches.append(lambda r: not r['deleted'] and r['status'] != 'SOFT_DELETED')

        all_tenants = False
        if opts.get('all_tenants'):
            all_tenants = _bool_strict(opts['all_tenants'])
        elif 'all_tenants' in opts:
            all_tenants = True      # the empty string enables it
        if all_tenants:
            if self.emu.deny_all_tenants:
                action = 'detail' if self.detail else 'index'
                raise nova_error(403, "Policy doesn't allow os_compute_api:servers:"
                                      "%s:get_all_tenants to be performed." % action)
            self.project = None
            for key in ('tenant_id', 'project_id'):
                if key in opts:
                    matches.append(lambda r, p=opts[key]: r['project_id'] == p)
        else:
            # lp:#1185290: without all_tenants, tenant_id is ignored
            self.project = self.token['project_id']
            matches.append(lambda r, p=self.project: r['project_id'] == p)

        patterns = []
        for field in ('name', 'hostname'):
            if field in opts:
                try:
                    rx = re.compile(opts[field])
                except re.error:
                    raise nova_error(500, DB_ERROR) from None
                patterns.append(lambda r, rx=rx, f=field: rx.search(str(r[f])) is not None)
        # every predicate must hold: the most selective (the patterns) are tried first,
        # which keeps a filtered listing of a large estate cheap for the emulator
        return patterns + matches

    def _paging(self):
        req, q = self.req, self.req.query
        limit = self.emu.page_size
        if 'limit' in q:
            try:
                requested = int(req.param('limit'))
            except ValueError:
                raise nova_error(400, 'limit param must be an integer') from None
            if requested < 0:
                raise nova_error(400, 'limit param must be positive')
            limit = min(limit, requested)
        return limit, (req.param('marker') if 'marker' in q else None)

    def _ordering(self):
        """A comparison of two server records, as nova sorts: default created_at
        desc, then created_at and id as tie-breakers."""
        q = self.req.query
        sort_keys = [k.strip() for k in q.get('sort_key', [])] or ['created_at']
        sort_dirs = [d.strip().lower() for d in q.get('sort_dir', [])] or ['desc']
        for key in list(sort_keys):     # remove_invalid_sort_keys
            if key in _IGNORED_SORT_KEYS:
                if len(sort_dirs) > sort_keys.index(key):
                    sort_dirs.pop(sort_keys.index(key))
                sort_keys.remove(key)
            elif key in ('host', 'node') and not self.admin:
                raise nova_error(403, 'Only administrators can sort servers by %s' % key)
        for k in sort_keys:
            if k not in _SORT_KEYS:
                raise nova_error(400, "Invalid input for query parameters sort_key. "
                                      "Value: %s." % k)
        for d in sort_dirs:
            if d not in ('asc', 'desc'):
                raise nova_error(400, "Invalid input for query parameters sort_dir. "
                                      "Value: %s." % d)
        if len(sort_dirs) > len(sort_keys):     # db/utils.py process_sort_params
            raise nova_error(400, 'Invalid input received: Sort direction size exceeds '
                                  'sort key size')
        sort_dirs = sort_dirs or ['desc']
        sort_dirs += [sort_dirs[0]] * (len(sort_keys) - len(sort_dirs))
        for extra, field in (('created_at', 'created_dt'), ('id', 'seq')):
            if extra not in sort_keys:
                sort_keys.append(field)
                sort_dirs.append(sort_dirs[0])
        order = [(_SORT_KEYS.get(k, k), d) for k, d in zip(sort_keys, sort_dirs)]

        def cmp(a, b):
            for field, direction in order:
                va = _vm_state(a) if field == 'vm_state' else a.get(field)
                vb = _vm_state(b) if field == 'vm_state' else b.get(field)
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


def _vm_state(rec):
    return 'deleted' if rec['deleted'] else STATUS_TO_VM_STATE[rec['status']]
