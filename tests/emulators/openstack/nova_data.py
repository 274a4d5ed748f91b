"""Test helpers of the facade for nova's servers."""

import copy
import secrets

from tests.emulators.openstack.common import iso, now
from tests.emulators.openstack.nova_views import STATUS_TO_VM_STATE

SERVER_FIELDS = ('name', 'hostname', 'project_id', 'user_id', 'metadata', 'image_id',
                 'status', 'addresses', 'host', 'flavor', 'key_name',
                 'availability_zone', 'task_state', 'created', 'updated')


def _check_status(value):
    value = value.upper()
    if value not in STATUS_TO_VM_STATE:
        raise ValueError('unknown nova status %r' % value)
    return value


class NovaData:

    def add_server(self, server_id, hostname, project_id, name=None, metadata=None,
                   image_id=None, status='ACTIVE', addresses=None, **extra):
        unknown = set(extra) - set(SERVER_FIELDS)
        if unknown:
            raise TypeError('unknown server fields: %s' % sorted(unknown))
        status = _check_status(status)
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
                'reservation_id': 'r-' + secrets.token_hex(4),
            }
            for key, value in extra.items():
                self._set_field(rec, key, value)
            self._servers[server_id] = rec
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
