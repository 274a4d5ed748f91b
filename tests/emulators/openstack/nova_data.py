"""Test helpers of the facade for nova's servers, their cells and nova's
policy and paging knobs."""

import copy
import secrets

from tests.emulators.openstack.common import iso, now
from tests.emulators.openstack.nova_views import STATUS_TO_VM_STATE

SERVER_FIELDS = ('name', 'hostname', 'project_id', 'user_id', 'metadata', 'image_id',
                 'status', 'addresses', 'host', 'flavor', 'key_name',
                 'availability_zone', 'task_state', 'created', 'updated', 'cell')


def _check_status(value):
    value = value.upper()
    if value not in STATUS_TO_VM_STATE:
        raise ValueError('unknown nova status %r' % value)
    return value


class NovaData:

    def _init_nova(self, page_size):
        self._servers = {}        # id -> record, deleted ones kept (nova markers see them)
        self._server_seq = 0
        self._down_cells = set()
        self.page_size = page_size          # nova's [api] max_limit
        # policies the service user's roles fail (nova/policies/*.py defaults: admin)
        self.hide_extended_attrs = False    # os-extended-server-attributes, host_status
        self.ignore_admin_filters = False   # servers:allow_all_filters, context.is_admin
        self.deny_all_tenants = False       # servers:{index,detail}:get_all_tenants
        # [api] list_records_by_skipping_down_cells
        self.skip_down_cells = True
        # a listing that pretends only its first N matches exist: the page that
        # reaches N has no next link, later pages are empty (None: off)
        self.truncate_server_lists = None

    @property
    def max_limit(self):
        """nova's ``[api] max_limit``: the largest page (alias of ``page_size``)."""
        return self.page_size

    @max_limit.setter
    def max_limit(self, value):
        self.page_size = value

    def set_nova_policy(self, admin):
        """All three policy knobs at once: ``admin=False`` is a service user with
        nova's default policies and no admin role."""
        self.hide_extended_attrs = self.ignore_admin_filters = not admin
        self.deny_all_tenants = not admin

    def set_cell_down(self, name, down=True):
        """Take a cell down (or up again): ``name`` is a cell name or a server id,
        meaning that server's cell (every server of that cell goes with it)."""
        with self._lock:
            rec = self._servers.get(name)
            cell = rec['cell'] if rec is not None else name
            if down:
                self._down_cells.add(cell)
            else:
                self._down_cells.discard(cell)
            return cell

    def in_down_cell(self, rec):
        return rec['cell'] in self._down_cells

    def add_server(self, server_id, hostname, project_id, name=None, metadata=None,
                   image_id=None, status='ACTIVE', addresses=None, cell_down=False, **extra):
        """A server (default cell 'cell1'). ``cell_down=True`` without a ``cell``
        puts it alone in a cell of its own that is down."""
        unknown = set(extra) - set(SERVER_FIELDS)
        if unknown:
            raise TypeError('unknown server fields: %s' % sorted(unknown))
        status = _check_status(status)
        if cell_down and 'cell' not in extra:
            extra['cell'] = 'cell-of-' + server_id
        if status == 'SHELVED_OFFLOADED' and 'host' not in extra:
            extra['host'] = None     # shelve offload clears the host
        stamp = now()
        with self._lock:
            self._server_seq += 1
            rec = {
                'id': server_id, 'seq': self._server_seq,
                'name': hostname if name is None else name,
                'hostname': hostname, 'project_id': project_id,
                'user_id': self.default_user_id,
                'metadata': dict(metadata or {}),
                'image_id': image_id or '',
                'status': status,
                'addresses': copy.deepcopy(addresses) if addresses is not None else {},
                'host': 'compute-0', 'flavor': 'm1.small', 'key_name': None,
                'availability_zone': 'nova', 'task_state': None,
                'created_dt': stamp, 'updated_dt': stamp, 'deleted': False,
                'reservation_id': 'r-' + secrets.token_hex(4), 'cell': 'cell1',
            }
            for key, value in extra.items():
                self._set_field(rec, key, value)
            self._servers[server_id] = rec
            if cell_down:
                self._down_cells.add(rec['cell'])
            return self._public_server(rec)

    @staticmethod
    def _set_field(rec, key, value):
        if key == 'status':
            value = _check_status(value)
        if key == 'created':
            rec['created_dt'] = value
        elif key == 'updated':
            rec['updated_dt'] = value
        elif key == 'image_id':
            rec['image_id'] = value or ''
        else:
            rec[key] = copy.deepcopy(value)

    def delete_server(self, server_id):
        with self._lock:
            rec = self._servers[server_id]
            if rec['deleted']:
                raise KeyError(server_id)
            rec['deleted'] = True
            rec['updated_dt'] = now()

    def set_server(self, server_id, **fields):
        unknown = set(fields) - set(SERVER_FIELDS)
        if unknown:
            raise TypeError('unknown server fields: %s' % sorted(unknown))
        with self._lock:
            rec = self._servers[server_id]
            if rec['deleted']:
                raise KeyError(server_id)
            if str(fields.get('status', '')).upper() == 'SHELVED_OFFLOADED':
                fields.setdefault('host', None)
            for key, value in fields.items():
                self._set_field(rec, key, value)
            if 'updated' not in fields:
                rec['updated_dt'] = now()
            return self._public_server(rec)

    def servers(self):
        with self._lock:
            return [self._public_server(r) for r in sorted(self._servers.values(),
                                                           key=lambda r: r['seq'])
                    if not r['deleted']]

    @staticmethod
    def _public_server(rec):
        out = {k: copy.deepcopy(v) for k, v in rec.items()
               if k not in ('seq', 'created_dt', 'updated_dt', 'deleted')}
        out['created'] = iso(rec['created_dt'])
        out['updated'] = iso(rec['updated_dt'])
        return out
