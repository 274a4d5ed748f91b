"""The floating-IP handler with in-memory adapters: only this daemon's records move."""

from notify import decide, events
from notify.adapters.openstack import Server
from tests.unit.fakes import FakeDns, FakeNeutron, FakeNova, fip_handler, marked

IP = '203.0.113.5'
A, P = decide.AddressRecord, decide.PointerRecord


def nova_with(*servers):
    details = {s.id: s for s in servers}
    return FakeNova([(s.id, s.hostname, s.project_id, s.status) for s in servers],
                    details=details)


def server(id_, hostname, metadata=None):
    return Server(id_, hostname, 'p', metadata or {'ipa_enroll': 'true'}, None, 'ACTIVE')


def associate(instance_id):
    return events.FloatingIPAssociated(floating_ip=IP, instance_id=instance_id,
                                       device_owner='compute:nova-network',
                                       source='nova-network')


def test_associate_publishes_on_the_enrolled_host():
    dns = FakeDns()
    h, _ = fip_handler({'web1.example.test': marked('web1.example.test')}, dns=dns,
                       nova=nova_with(server('i-1', 'web1')))
    h.handle(associate('i-1'))
    assert dns.applied == [A('web1.example.test', IP, True), P(IP, 'web1.example.test', True)]


def test_tenant_named_like_an_operators_dns_name_changes_nothing():
    # "www" is an operator's A record, not an IPA host: nothing is added to it.
    dns = FakeDns(pointing={IP: {'www.example.test'}})
    h, _ = fip_handler({}, dns=dns, nova=nova_with(server('i-1', 'www')))
    h.handle(associate('i-1'))
    assert dns.applied == []


def test_move_keeps_every_other_record_holding_the_address():
    dns = FakeDns(pointing={IP: {'www.example.test', 'web1.example.test'}})
    hosts = {f: marked(f) for f in ('web1.example.test', 'web2.example.test')}
    h, _ = fip_handler(hosts, dns=dns, nova=nova_with(server('i-2', 'web2')))
    h.handle(associate('i-2'))
    assert 'www.example.test' not in {a.fqdn for a in dns.applied}
    assert A('web1.example.test', IP, False) in dns.applied
    assert A('web2.example.test', IP, True) in dns.applied


def test_name_carried_by_two_live_instances_is_not_published():
    dns = FakeDns()
    h, _ = fip_handler({'web1.example.test': marked('web1.example.test')}, dns=dns,
                       nova=nova_with(server('i-1', 'web1'), server('i-2', 'web1')))
    h.handle(associate('i-1'))
    assert dns.applied == []


def test_release_of_an_unmarked_name_removes_nothing():
    dns = FakeDns(pointing={IP: {'ctl.example.test'}})
    event = events.FloatingIPReleased(IP, 'f-1', 'p')
    h, _ = fip_handler({'ctl.example.test': marked('ctl.example.test', description=())},
                       dns=dns, neutron=FakeNeutron(floatingips={'f-1': {'port_id': None}}))
    h.handle(event)
    assert dns.applied == []
