"""TripleO nodes: sub-hosts and managed services (VIPs shared between controllers)."""

import json
import uuid

from tests import payloads
from tests.functional.conftest import PROJECT
from tests.harness import wait_for
from notify.decide import NOVAJOIN_MARKER as MARKER

NETWORKS = ('ctlplane', 'internalapi', 'storage')
INTERNAL_VIP = 'overcloud.internalapi.example.test'
STORAGE_VIP = 'overcloud.storage.example.test'

# As TripleO writes it: controller-0 with the single-key compact_services JSON,
# controller-1 with one compact_service_<service> key per service (metadata
# values are limited to 255 characters).
METADATA = {
    0: {'ipa_enroll': 'True',
        'compact_services': json.dumps({'HTTP': list(NETWORKS),
                                        'haproxy': ['ctlplane', 'internalapi']}),
        'managed_service_haproxyinternal_api': f'haproxy/{INTERNAL_VIP}',
        'managed_service_httpinternal_api': f'HTTP/{INTERNAL_VIP}@EXAMPLE.TEST',
        'managed_service_haproxystorage': f'haproxy/{STORAGE_VIP}'},
    1: {'ipa_enroll': 'True',
        'compact_service_HTTP': json.dumps(list(NETWORKS)),
        'compact_service_haproxy': json.dumps(['ctlplane', 'internalapi']),
        'managed_service_haproxyinternal_api': f'haproxy/{INTERNAL_VIP}',
        'managed_service_httpinternal_api': f'HTTP/{INTERNAL_VIP}@EXAMPLE.TEST'},
}


def deploy(ipa):
    """What novajoin's join made in IPA for two controllers."""
    for n in (0, 1):
        node = f'controller-{n}.example.test'
        ipa.add_host(node, description=MARKER)
        for net in NETWORKS:
            sub = f'controller-{n}.{net}.example.test'
            ipa.add_host(sub, managedby=[node])
            ipa.add_service(f'HTTP/{sub}', managed_by=[node])
    both = ['controller-0.example.test', 'controller-1.example.test']
    ipa.add_host(INTERNAL_VIP, managedby=both, description=MARKER)
    ipa.add_service(f'haproxy/{INTERNAL_VIP}', managed_by=both)
    ipa.add_service(f'HTTP/{INTERNAL_VIP}', managed_by=both)
    ipa.add_host(STORAGE_VIP, managedby=['controller-0.example.test'], description=MARKER)
    ipa.add_service(f'haproxy/{STORAGE_VIP}', managed_by=['controller-0.example.test'])


def node_hosts(n):
    return {f'controller-{n}.example.test'} | {f'controller-{n}.{net}.example.test'
                                               for net in NETWORKS}


def test_controller_deletes_release_only_what_nobody_else_manages(start_daemon, nova, ipa):
    deploy(ipa)
    start_daemon()
    nova.send(*payloads.versioned_delete(str(uuid.uuid4()), 'controller-0', PROJECT,
                                         metadata=METADATA[0]))
    wait_for(lambda: not ipa.has_host(STORAGE_VIP), what='controller-0 released')
    hosts = set(ipa.hosts())
    assert not node_hosts(0) & hosts
    assert node_hosts(1) <= hosts
    assert INTERNAL_VIP in hosts                       # still managed by controller-1
    assert ipa.has_service(f'haproxy/{INTERNAL_VIP}')
    assert ipa.has_service(f'HTTP/{INTERNAL_VIP}')
    assert not ipa.has_service(f'haproxy/{STORAGE_VIP}')
    assert not ipa.has_service('HTTP/controller-0.internalapi.example.test')
    assert ipa.services()[f'HTTP/{INTERNAL_VIP}@EXAMPLE.TEST'] == [
        'controller-1.example.test', INTERNAL_VIP]

    nova.send(*payloads.legacy_delete(str(uuid.uuid4()), 'controller-1', PROJECT,
                                      metadata=METADATA[1]))
    wait_for(lambda: not ipa.has_host(INTERNAL_VIP), what='controller-1 released')
    assert set(ipa.hosts()) == {'ipa.example.test'}
    assert not ipa.has_service(f'HTTP/{INTERNAL_VIP}')
