"""The delete handler with in-memory adapters: legitimate removals, and every way a
tenant's names and metadata could reach what the cloud did not enroll."""

import pytest

from notify import decide, parse
from notify.errors import BadNotification, TransientError
from tests import payloads
from tests.unit.fakes import (FakeDns, FakeKeystone, FakeNeutron, instance_handler,
                              marked)

ENROLL = {'ipa_enroll': 'true'}


def event(*args, **kwargs):
    return parse.parse(*payloads.versioned_delete(*args, **kwargs))


def test_enrolled_by_metadata_removes_marked_host_without_asking_glance():
    h, ipa, nova, glance = instance_handler({'web1.example.test': marked('web1.example.test')})
    h.handle(event('i-1', 'web1', 'p', metadata=ENROLL, image_id='img'))
    assert ipa.removed == ['web1.example.test'] and glance.asked == [] and nova.asked == ['web1']


def test_enrolled_by_image_property():
    h, ipa, _, glance = instance_handler({'web1.example.test': marked('web1.example.test')},
                                         images={'img': {'ipa_enroll': 'True'}})
    h.handle(event('i-1', 'web1', 'p', image_id='img'))
    assert ipa.removed == ['web1.example.test'] and glance.asked == ['img']


@pytest.mark.parametrize('metadata', [{}, {'ipa_enroll': 'yes'}, {'ipa_enroll': '1'}])
def test_not_enrolled_never_touches_ipa_or_nova(metadata):
    h, ipa, nova, _ = instance_handler({'web1.example.test': marked('web1.example.test')},
                                       images={'img': {}})
    h.handle(event('i-1', 'web1', 'p', metadata=metadata, image_id='img'))
    assert ipa.removed == [] and nova.asked == []


def test_live_instance_keeps_the_host():
    h, ipa, _, _ = instance_handler({'web1.example.test': marked('web1.example.test')},
                                    servers=[('i-2', 'web1', 'p2', 'ACTIVE')])
    h.handle(event('i-1', 'web1', 'p', metadata=ENROLL))
    assert ipa.removed == []


@pytest.mark.parametrize('name, host', [
    ('compute-0', marked('compute-0.example.test', description=())),          # hypervisor
    ('ctl', marked('ctl.example.test', description=('OpenStack controller',))),
    ('ipa', marked('ipa.example.test', groups=('ipaservers',))),               # IPA server
])
def test_hostile_name_of_an_infrastructure_host_removes_nothing(name, host, caplog):
    h, ipa, _, _ = instance_handler({host.fqdn: host})
    h.handle(event('i-1', name, 'p', metadata=ENROLL))
    assert ipa.removed == [] and host.fqdn in ipa.hosts
    assert any('keeping IPA host' in r.message and r.levelname == 'WARNING'
               for r in caplog.records)


def test_nova_that_cannot_tell_makes_the_delete_wait():
    h, ipa, _, _ = instance_handler({'web1.example.test': marked('web1.example.test')},
                                    problem='a nova cell is down')
    with pytest.raises(TransientError, match='cell is down'):
        h.handle(event('i-1', 'web1', 'p', metadata=ENROLL))
    assert ipa.removed == []


@pytest.mark.parametrize('hostname', ['a.b.other-domain', 'web1.team-b.example.test',
                                      'ctl-0.internalapi.example.test'])
def test_names_outside_the_instances_zone_never_reach_ipa(hostname):
    h, ipa, nova, _ = instance_handler()
    with pytest.raises(BadNotification):
        h.handle(event('i-1', hostname, 'p', metadata=ENROLL))
    assert ipa.removed == [] and nova.asked == []


def test_project_subdomains_and_ownership_per_zone():
    keystone = FakeKeystone({'p1': 'Team A', 'p2': 'Team B'})
    hosts = {f: marked(f) for f in ('web1.team-a.example.test', 'web1.team-b.example.test')}
    h, ipa, _, _ = instance_handler(hosts, servers=[('i-2', 'web1', 'p2', 'ACTIVE')],
                                    keystone=keystone)
    h.handle(event('i-1', 'web1', 'p1', metadata=ENROLL))
    assert ipa.removed == ['web1.team-a.example.test']


def test_deleted_project_host_is_found_among_zones_of_no_project():
    keystone = FakeKeystone({'p2': 'Team B'})     # p1 ("Team A") is gone
    hosts = {f: marked(f) for f in ('web1.team-a.example.test', 'web1.team-b.example.test')}
    # A live instance in another deleted project does not block this delete.
    h, ipa, _, _ = instance_handler(hosts, keystone=keystone,
                                    servers=[('i-9', 'web1', 'p9', 'ACTIVE')])
    h.handle(event('i-1', 'web1', 'p1', metadata=ENROLL))
    assert ipa.removed == ['web1.team-a.example.test']


def test_deleted_project_with_a_live_sibling_or_ambiguous_zone_removes_nothing():
    keystone = FakeKeystone({})
    hosts = {f: marked(f) for f in ('web1.team-a.example.test', 'web1.team-c.example.test')}
    h, ipa, _, _ = instance_handler(hosts, keystone=keystone)
    h.handle(event('i-1', 'web1', 'p1', metadata=ENROLL))          # two candidates
    assert ipa.removed == []
    h, ipa, _, _ = instance_handler({'web1.team-a.example.test':
                                     marked('web1.team-a.example.test')},
                                    keystone=keystone, servers=[('i-2', 'web1', 'p1', 'ACTIVE')])
    h.handle(event('i-1', 'web1', 'p1', metadata=ENROLL))          # same project, live
    assert ipa.removed == []


IP, OTHER = '203.0.113.5', '198.51.100.25'


def test_gone_host_loses_only_its_own_floating_ip_records():
    dns = FakeDns(records={'mail.example.test': [IP, OTHER]})
    neutron = FakeNeutron(fips=[
        {'floating_ip_address': IP, 'project_id': 'p', 'port_id': None},
        # the operator's address: a floating IP of another project
        {'floating_ip_address': OTHER, 'project_id': 'ops', 'port_id': None}])
    h, ipa, _, _ = instance_handler(dns=dns, neutron=neutron)
    h.handle(event('i-1', 'mail', 'p', metadata=ENROLL))
    assert dns.applied == [decide.PointerRecord(IP, 'mail.example.test', False),
                           decide.AddressRecord('mail.example.test', IP, False)]


def test_gone_host_records_stay_without_neutron_proof():
    dns = FakeDns(records={'mail.example.test': [IP]})
    neutron = FakeNeutron(fips=[{'floating_ip_address': IP, 'project_id': 'p',
                                 'port_id': 'port-9'}], ports={'port-9': ('i-other', 'compute:x')})
    for n in (None, neutron):
        h, _, _, _ = instance_handler(dns=dns, neutron=n)
        h.handle(event('i-1', 'mail', 'p', metadata=ENROLL))
        assert dns.applied == []


TRIPLEO = {
    'ipa_enroll': 'True',
    'compact_services': '{"HTTP": ["ctlplane", "internalapi"]}',
    'managed_service_haproxyctlplane': 'haproxy/overcloud.ctlplane.example.test',
    'managed_service_haproxyinternal': 'haproxy/overcloud.internalapi.example.test@EXAMPLE.TEST',
}
NODE = 'ctl-0.example.test'


def test_tripleo_node_releases_only_what_ipa_relates_to_it_alone():
    ctl_vip, int_vip = 'overcloud.ctlplane.example.test', 'overcloud.internalapi.example.test'
    hosts = {NODE: marked(NODE),
             'ctl-0.ctlplane.example.test': marked('ctl-0.ctlplane.example.test', {NODE}, ()),
             # named by the metadata, but IPA does not relate it to the node
             'ctl-0.internalapi.example.test': marked('ctl-0.internalapi.example.test'),
             ctl_vip: marked(ctl_vip, {NODE}),
             int_vip: marked(int_vip, {NODE, 'ctl-1.example.test'})}
    services = {f'haproxy/{ctl_vip}': {NODE, ctl_vip},
                f'haproxy/{int_vip}': {NODE, 'ctl-1.example.test', int_vip}}
    h, ipa, _, _ = instance_handler(hosts, services)
    h.handle(event('i-1', 'ctl-0', 'p', metadata=TRIPLEO))
    assert ipa.removed == [NODE, 'ctl-0.ctlplane.example.test', ctl_vip]
    assert ipa.removed_services == [f'haproxy/{ctl_vip}']
