"""Notification payloads for tests: versioned ones are nova's real sample with the
instance's fields swapped in; legacy ones follow nova's info_from_instance()."""

import copy
import functools
import os

from tests import samples


@functools.lru_cache(maxsize=None)
def _versioned_sample():
    return samples.nova_versioned()['instance-delete-end.json']


def _ip_payload():
    return samples.load(os.path.join(samples.NOVA_VERSIONED, 'common_payloads',
                                     'IpPayload.json'))


def versioned_delete(instance_id, hostname, project_id, metadata=None, image_id='',
                     addresses=()):
    """(event_type, payload) of an ``instance.delete.end``."""
    sample = copy.deepcopy(_versioned_sample())
    data = sample['payload']['nova_object.data']
    data.update(uuid=instance_id, host_name=hostname, display_name=hostname,
                tenant_id=project_id, metadata=dict(metadata or {}),
                image_uuid=image_id or '')
    data['ip_addresses'] = []
    for address in addresses:
        ip = _ip_payload()
        ip['nova_object.data'].update(address=address, version=6 if ':' in address else 4)
        data['ip_addresses'].append(ip)
    return sample['event_type'], sample['payload']


def legacy_delete(instance_id, hostname, project_id, metadata=None, image_meta=None,
                  image_id='8d4c4a1e-7a0b-4b3e-9b43-6c1d0d5a6f01', addresses=()):
    """(event_type, payload) of a legacy ``compute.instance.delete.end``."""
    return 'compute.instance.delete.end', {
        'tenant_id': project_id,
        'user_id': 'a2d2b33fd4b34ec0b4b5e7c1b35bf1f4',
        'instance_id': instance_id,
        'display_name': hostname,
        'hostname': hostname,
        'reservation_id': 'r-3zjf7rq1',
        'instance_type': 'm1.small',
        'instance_type_id': 2,
        'instance_flavor_id': '2',
        'memory_mb': 2048,
        'disk_gb': 20,
        'root_gb': 20,
        'ephemeral_gb': 0,
        'vcpus': 1,
        'host': 'compute-0.localdomain',
        'node': 'compute-0.localdomain',
        'availability_zone': 'nova',
        'cell_name': '',
        'architecture': 'x86_64',
        'os_type': None,
        'kernel_id': '',
        'ramdisk_id': '',
        'created_at': '2026-11-20 09:12:44+00:00',
        'launched_at': '2026-11-20T09:13:02.000000',
        'terminated_at': '2026-11-22T10:01:17.518344',
        'deleted_at': '2026-11-22T10:01:17.000000',
        'state': 'deleted',
        'state_description': '',
        'progress': '',
        'access_ip_v4': None,
        'access_ip_v6': None,
        'image_ref_url': f'http://192.0.2.10:9292/images/{image_id}',
        'image_meta': dict(image_meta or {}),
        'metadata': dict(metadata or {}),
        'fixed_ips': [{'address': a, 'floating_ips': [], 'label': 'private',
                       'meta': {}, 'type': 'fixed', 'version': 6 if ':' in a else 4,
                       'vif_mac': 'fa:16:3e:00:00:01'} for a in addresses],
    }


def neutron_floatingip(fip_id, address, port_id=None, fixed_ip=None, project_id='p',
                       device_id=None, device_owner='compute:nova'):
    """A modern neutron floating IP object (with port_details when ``device_id``)."""
    fip = {
        'id': fip_id, 'floating_ip_address': address, 'port_id': port_id,
        'fixed_ip_address': fixed_ip, 'tenant_id': project_id, 'project_id': project_id,
        'router_id': 'f1b2c3d4-0000-4000-8000-00000000r001' if port_id else None,
        'floating_network_id': 'd9edfcd5-f245-4f45-be26-4383942fd74c',
        'status': 'ACTIVE' if port_id else 'DOWN', 'description': '', 'dns_domain': '',
        'dns_name': '', 'tags': [], 'revision_number': 3,
        'created_at': '2026-11-22T09:00:00Z', 'updated_at': '2026-11-22T09:00:05Z',
        'qos_policy_id': None, 'port_forwardings': [],
    }
    if device_id is not None:
        fip['port_details'] = {'name': '', 'network_id': 'n-private', 'mac_address':
                               'fa:16:3e:00:00:01', 'admin_state_up': True,
                               'status': 'ACTIVE', 'device_id': device_id,
                               'device_owner': device_owner}
    return fip
