"""nova's server states and the JSON views of a server record, per
microversion (nova/api/openstack/compute/views/servers.py)."""

import copy
import hashlib

from tests.emulators.openstack.common import iso

STATUS_TO_VM_STATE = {
    'ACTIVE': 'active', 'BUILD': 'building', 'SHUTOFF': 'stopped', 'ERROR': 'error',
    'PAUSED': 'paused', 'SUSPENDED': 'suspended', 'RESCUE': 'rescued',
    'VERIFY_RESIZE': 'resized', 'SOFT_DELETED': 'soft-delete', 'SHELVED': 'shelved',
    'SHELVED_OFFLOADED': 'shelved_offloaded', 'DELETED': 'deleted',
    # task-state statuses (vm_state active + a task)
    'REBOOT': 'active', 'HARD_REBOOT': 'active', 'PASSWORD': 'active', 'REBUILD': 'active',
    'MIGRATING': 'active', 'RESIZE': 'active', 'REVERT_RESIZE': 'resized',
}
STATUS_TASK_STATE = {
    'REBOOT': 'rebooting', 'HARD_REBOOT': 'rebooting_hard', 'PASSWORD': 'updating_password',
    'REBUILD': 'rebuilding', 'MIGRATING': 'migrating', 'RESIZE': 'resize_prep',
    'REVERT_RESIZE': 'resize_reverting',
}
_POWER_STATE = {'active': 1, 'stopped': 4, 'paused': 3, 'suspended': 7, 'building': 0,
                'error': 0, 'shelved_offloaded': 4, 'shelved': 4, 'rescued': 1,
                'resized': 1, 'soft-delete': 4, 'deleted': 0}
_PROGRESS_STATUSES = ('ACTIVE', 'BUILD', 'REBUILD', 'RESIZE', 'VERIFY_RESIZE', 'MIGRATING')


def _links(base_url, server_id):
    return [{'rel': 'self', 'href': '%s/compute/v2.1/servers/%s' % (base_url, server_id)},
            {'rel': 'bookmark', 'href': '%s/compute/servers/%s' % (base_url, server_id)}]


def _image(base_url, rec):
    if not rec['image_id']:
        return ''     # booted from volume
    return {'id': rec['image_id'],
            'links': [{'rel': 'bookmark',
                       'href': '%s/compute/images/%s' % (base_url, rec['image_id'])}]}


def _flavor(base_url, rec, version):
    if version >= (2, 47):
        return {'vcpus': 1, 'ram': 2048, 'disk': 20, 'ephemeral': 0, 'swap': 0,
                'original_name': rec['flavor'], 'extra_specs': {}}
    return {'id': '2', 'links': [{'rel': 'bookmark',
                                  'href': base_url + '/compute/flavors/2'}]}


def down_cell_view(base_url, rec, version, kind):
    """A server of a cell that does not answer, from 2.69 on: what nova's API
    database knows (views/servers.py ``basic`` and ``_show_from_down_cell``).
    ``kind``: 'index' (GET /servers), 'detail' (GET /servers/detail) or 'show'."""
    server = {'id': rec['id'], 'status': 'UNKNOWN', 'links': _links(base_url, rec['id'])}
    if kind == 'index':
        return server
    server['tenant_id'] = rec['project_id']
    server['created'] = iso(rec['created_dt'])
    if kind == 'detail':
        # _add_security_grps asks neutron, which answers for every listed id
        server['security_groups'] = [{'name': 'default'}]
        return server
    server.update({
        'image': _image(base_url, rec), 'flavor': _flavor(base_url, rec, version),
        'OS-EXT-AZ:availability_zone': rec['availability_zone'] or 'UNKNOWN',
        'OS-EXT-STS:power_state': 0, 'user_id': rec['user_id'] or 'UNKNOWN'})
    if version >= (2, 71):
        server['server_groups'] = []
    return server


def server_view(base_url, rec, version, detail=True, extended=True):
    """The server as nova's ``show`` (detail) or ``basic`` (index) view builds it.
    ``extended=False``: the os-extended-server-attributes and show:host_status
    policies deny (non-admin): no ``OS-EXT-SRV-ATTR:*`` (but the hostname from
    2.90 on) and no ``host_status``."""
    links = _links(base_url, rec['id'])
    if not detail:
        return {'id': rec['id'], 'name': rec['name'], 'links': links}
    status = 'DELETED' if rec['deleted'] else rec['status']
    vm_state = 'deleted' if rec['deleted'] else STATUS_TO_VM_STATE[rec['status']]
    host = rec['host']
    server = {
        'id': rec['id'], 'name': rec['name'], 'status': status,
        'tenant_id': rec['project_id'], 'user_id': rec['user_id'],
        'metadata': copy.deepcopy(rec['metadata']),
        'hostId': (hashlib.sha224((rec['project_id'] + host).encode()).hexdigest()
                   if host else ''),
        'image': _image(base_url, rec), 'flavor': _flavor(base_url, rec, version),
        'created': iso(rec['created_dt']), 'updated': iso(rec['updated_dt']),
        'addresses': copy.deepcopy(rec['addresses']),
        'accessIPv4': '', 'accessIPv6': '', 'links': links,
        'OS-DCF:diskConfig': 'MANUAL',
        'OS-EXT-AZ:availability_zone': rec['availability_zone'],
        'config_drive': '', 'key_name': rec['key_name'],
        'OS-SRV-USG:launched_at': (iso(rec['created_dt']).replace('Z', '.000000')
                                   if vm_state != 'building' else None),
        'OS-SRV-USG:terminated_at': (iso(rec['updated_dt']).replace('Z', '.000000')
                                     if rec['deleted'] else None),
        'OS-EXT-SRV-ATTR:host': host,
        'OS-EXT-SRV-ATTR:instance_name': 'instance-%08x' % rec['seq'],
        'OS-EXT-SRV-ATTR:hypervisor_hostname': host,
        'OS-EXT-STS:task_state': (None if rec['deleted'] else
                                  rec['task_state'] or STATUS_TASK_STATE.get(rec['status'])),
        'OS-EXT-STS:vm_state': vm_state,
        'OS-EXT-STS:power_state': _POWER_STATE.get(vm_state, 0),
        'os-extended-volumes:volumes_attached': [],
        'security_groups': [{'name': 'default'}],
    }
    if status in _PROGRESS_STATUSES:
        server['progress'] = 0
    if version >= (2, 3):
        server.update({
            'OS-EXT-SRV-ATTR:reservation_id': rec['reservation_id'],
            'OS-EXT-SRV-ATTR:launch_index': 0,
            'OS-EXT-SRV-ATTR:hostname': rec['hostname'],
            'OS-EXT-SRV-ATTR:kernel_id': '', 'OS-EXT-SRV-ATTR:ramdisk_id': '',
            'OS-EXT-SRV-ATTR:root_device_name': '/dev/vda',
            'OS-EXT-SRV-ATTR:user_data': None,
        })
    if version >= (2, 9):
        server['locked'] = False
    if version >= (2, 16) and extended:
        server['host_status'] = 'UP' if host else ''
    if version >= (2, 19):
        server['description'] = None
    if version >= (2, 26):
        server['tags'] = []
    if version >= (2, 63):
        server['trusted_image_certificates'] = None
    if version >= (2, 73):
        server['locked_reason'] = None
    if not extended:
        for key in [k for k in server if k.startswith('OS-EXT-SRV-ATTR:')]:
            del server[key]
        if version >= (2, 90):
            server['OS-EXT-SRV-ATTR:hostname'] = rec['hostname']
    if version >= (2, 96):
        server['pinned_availability_zone'] = None
    return server
