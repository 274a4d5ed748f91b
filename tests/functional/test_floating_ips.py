"""IPA DNS follows floating IPs: real broker, real daemon, the IPA emulator's DNS
state as the judge."""

import uuid

from tests import harness, payloads
from tests.functional.conftest import OTHER_PROJECT, PROJECT, REV4, REV6
from tests.harness import wait_for
from notify.decide import NOVAJOIN_MARKER as MARKER

ZONE = 'example.test.'
ENROLLED = {'ipa_enroll': 'true'}


def instance(cloud, hostname, metadata=ENROLLED, project=PROJECT):
    server_id = str(uuid.uuid4())
    cloud.add_server(server_id, hostname, project, metadata=dict(metadata))
    port_id = str(uuid.uuid4())
    cloud.add_port(port_id, server_id, 'compute:nova', project_id=project)
    return server_id, port_id


def neutron_says(cloud, neutron, fip_id, address, port_id=None, event='floatingip.update.end',
                 details=True):
    """Change the floating IP in (emulated) neutron, then notify it, as neutron does."""
    fip = cloud.add_floatingip(fip_id, address, port_id, None, PROJECT, port_details=details)
    sent = dict(fip)
    if not details:
        sent.pop('port_details', None)
    neutron.send(event, {'floatingip': sent})
    return fip


def neutron_deletes(cloud, neutron, fip):
    cloud.delete_floatingip(fip['id'])
    neutron.send('floatingip.delete.end', {'floatingip_id': fip['id'], 'floatingip': fip})


def drained(rabbit, topic):
    rabbit.wait_queue(f'{topic}.info', lambda q: q is not None and q['messages'] == 0,
                      timeout=30)


def records(ipa, zone, name):
    return ipa.records(zone, name)


def test_associate_at_create_with_port_details(start_daemon, neutron, ipa, cloud, zones):
    server_id, port_id = instance(cloud, 'web1')
    ipa.add_host('web1.example.test', description=MARKER)
    start_daemon()
    neutron_says(cloud, neutron, 'fip-1', '198.51.100.7', port_id, 'floatingip.create.end')
    wait_for(lambda: records(ipa, ZONE, 'web1').get('A') == ['198.51.100.7'], what='A record')
    wait_for(lambda: records(ipa, REV4, '7') == {'PTR': ['web1.example.test.']}, what='PTR')
    # port_details named the instance: neutron was not asked about the port.
    assert not [p for (m, p, q) in cloud.request_log if '/ports/' in p]


def test_associate_by_update_move_disassociate(start_daemon, neutron, ipa, cloud, rabbit,
                                               topic, zones):
    web1, port1 = instance(cloud, 'web1')
    web2, port2 = instance(cloud, 'web2')
    ipa.add_host('web1.example.test', description=MARKER)
    ipa.add_host('web2.example.test', description=MARKER)
    ipa.add_record(ZONE, 'web1', 'A', '198.51.100.20')      # web1's other address
    daemon = start_daemon()

    def update(port):   # a neutron without the fip-port-details extension
        neutron_says(cloud, neutron, 'fip-2', '198.51.100.8', port, details=False)

    update(port1)   # associate; no port_details: the port is looked up in neutron
    wait_for(lambda: '198.51.100.8' in records(ipa, ZONE, 'web1').get('A', []), what='web1 A')
    wait_for(lambda: records(ipa, REV4, '8') == {'PTR': ['web1.example.test.']}, what='PTR')
    assert [p for (m, p, q) in cloud.request_log if p.endswith(f'/ports/{port1}')]

    update(port1)   # the same event twice changes nothing
    drained(rabbit, topic)
    assert sorted(records(ipa, ZONE, 'web1')['A']) == ['198.51.100.20', '198.51.100.8']
    assert records(ipa, REV4, '8') == {'PTR': ['web1.example.test.']}

    update(port2)   # re-associated to another instance in one update: records move
    wait_for(lambda: records(ipa, ZONE, 'web2').get('A') == ['198.51.100.8'], what='web2 A')
    wait_for(lambda: records(ipa, REV4, '8') == {'PTR': ['web2.example.test.']}, what='PTR moved')
    assert records(ipa, ZONE, 'web1') == {'A': ['198.51.100.20']}   # the other value stays

    update(None)    # disassociate
    wait_for(lambda: records(ipa, ZONE, 'web2') == {}, what='web2 A removed')
    wait_for(lambda: records(ipa, REV4, '8') == {}, what='PTR removed')
    assert records(ipa, ZONE, 'web1') == {'A': ['198.51.100.20']}
    drained(rabbit, topic)
    assert harness.log_lines(daemon.log(), 'ERROR') == []


def test_delete_with_object_and_id_alone(start_daemon, neutron, ipa, cloud, rabbit, topic,
                                         zones):
    server_id, port_id = instance(cloud, 'web3')
    ipa.add_host('web3.example.test', description=MARKER)
    daemon = start_daemon()
    fip = neutron_says(cloud, neutron, 'fip-3', '198.51.100.9', port_id,
                       'floatingip.create.end')
    wait_for(lambda: records(ipa, ZONE, 'web3').get('A') == ['198.51.100.9'], what='A')
    neutron.send('floatingip.delete.end', {'floatingip_id': 'fip-old'})   # very old neutron
    drained(rabbit, topic)
    assert 'fip-old was deleted but neutron sent no address' in daemon.log()
    assert records(ipa, ZONE, 'web3') == {'A': ['198.51.100.9']}
    neutron_deletes(cloud, neutron, fip)
    wait_for(lambda: records(ipa, ZONE, 'web3') == {} and records(ipa, REV4, '9') == {},
             what='records removed on delete')


def test_nova_network_events(start_daemon, nova, ipa, cloud, zones):
    server_id, _ = instance(cloud, 'legacy1')
    ipa.add_host('legacy1.example.test', description=MARKER)
    start_daemon()
    nova.send('network.floating_ip.associate',
              {'floating_ip': '198.51.100.30', 'instance_id': server_id})
    wait_for(lambda: records(ipa, ZONE, 'legacy1').get('A') == ['198.51.100.30'], what='A')
    wait_for(lambda: records(ipa, REV4, '30') == {'PTR': ['legacy1.example.test.']},
             what='PTR')
    nova.send('network.floating_ip.disassociate',
              {'floating_ip': '198.51.100.30', 'instance_id': server_id})
    wait_for(lambda: records(ipa, ZONE, 'legacy1') == {} and records(ipa, REV4, '30') == {},
             what='removed')


def test_instance_delete_with_floating_ip_attached(start_daemon, neutron, nova, ipa, cloud,
                                                   zones):
    server_id, port_id = instance(cloud, 'web4')
    ipa.add_host('web4.example.test', description=MARKER)
    start_daemon()
    neutron_says(cloud, neutron, 'fip-4', '198.51.100.40', port_id)
    wait_for(lambda: records(ipa, REV4, '40') == {'PTR': ['web4.example.test.']}, what='PTR')
    # neutron drops the association without a notification; nova sends no addresses.
    cloud.delete_server(server_id)
    nova.send(*payloads.versioned_delete(server_id, 'web4', PROJECT, metadata=ENROLLED))
    wait_for(lambda: not ipa.has_host('web4.example.test'), what='host removed')
    assert records(ipa, ZONE, 'web4') == {}
    assert records(ipa, REV4, '40') == {}


def test_records_of_a_host_already_gone_are_removed(start_daemon, nova, ipa, cloud, zones,
                                                    rabbit, topic):
    # The host was removed by hand without --updatedns; its records linger. Only
    # the value neutron shows as this instance's floating IP (its project, now
    # released) goes; the operator's other value of that name stays.
    ipa.add_record(ZONE, 'stale1', 'A', ['198.51.100.50', '198.51.100.52'])
    ipa.add_record(REV4, '50', 'PTR', 'stale1.example.test.')
    ipa.add_record(REV4, '52', 'PTR', 'stale1.example.test.')
    ipa.add_record(ZONE, 'other1', 'A', '198.51.100.51')
    cloud.add_floatingip('fip-stale', '198.51.100.50', None, None, PROJECT)
    cloud.add_floatingip('fip-other', '198.51.100.52', None, None, OTHER_PROJECT)
    start_daemon()
    nova.send(*payloads.legacy_delete(str(uuid.uuid4()), 'stale1', PROJECT, metadata=ENROLLED))
    wait_for(lambda: records(ipa, ZONE, 'stale1') == {'A': ['198.51.100.52']}
             and records(ipa, REV4, '50') == {}, what='stale records removed')
    drained(rabbit, topic)
    assert records(ipa, REV4, '52') == {'PTR': ['stale1.example.test.']}
    assert records(ipa, ZONE, 'other1') == {'A': ['198.51.100.51']}


def test_no_reverse_zone_means_no_ptr(start_daemon, neutron, ipa, cloud, rabbit, topic):
    server_id, port_id = instance(cloud, 'web5')
    ipa.add_host('web5.example.test', description=MARKER)
    daemon = start_daemon()
    neutron_says(cloud, neutron, 'fip-5', '203.0.113.5', port_id)
    wait_for(lambda: records(ipa, ZONE, 'web5').get('A') == ['203.0.113.5'], what='A')
    drained(rabbit, topic)
    assert 'no reverse zone in IPA serves 203.0.113.5' in daemon.log()
    assert harness.log_lines(daemon.log(), 'ERROR') == []


def test_non_enrolled_instance_is_not_published(start_daemon, neutron, ipa, cloud, rabbit,
                                                topic, zones):
    server_id, port_id = instance(cloud, 'plain2', metadata={})
    start_daemon()
    neutron_says(cloud, neutron, 'fip-6', '198.51.100.60', port_id)
    drained(rabbit, topic)
    assert records(ipa, ZONE, 'plain2') == {}
    assert records(ipa, REV4, '60') == {}
    assert not [c for c in ipa.call_log if c[0] == 'dnsrecord_add']


def test_router_port_is_not_an_instance(start_daemon, neutron, ipa, cloud, rabbit, topic,
                                        zones):
    cloud.add_port('port-lb', 'lb-1', 'Octavia', project_id=PROJECT)
    start_daemon()
    neutron_says(cloud, neutron, 'fip-7', '198.51.100.70', 'port-lb')
    drained(rabbit, topic)
    assert not [c for c in ipa.call_log if c[0] == 'dnsrecord_add']


def test_ipv6_floating_ip(start_daemon, neutron, ipa, cloud, zones):
    server_id, port_id = instance(cloud, 'web6')
    ipa.add_host('web6.example.test', description=MARKER)
    start_daemon()
    neutron_says(cloud, neutron, 'fip-8', '2001:db8::6', port_id)
    ptr_name = '6.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0'
    wait_for(lambda: records(ipa, ZONE, 'web6').get('AAAA') == ['2001:db8::6'], what='AAAA')
    wait_for(lambda: records(ipa, REV6, ptr_name) == {'PTR': ['web6.example.test.']},
             what='ip6 PTR')
    neutron_says(cloud, neutron, 'fip-8', '2001:db8::6', None)
    wait_for(lambda: records(ipa, ZONE, 'web6') == {} and records(ipa, REV6, ptr_name) == {},
             what='AAAA and PTR removed')


def test_late_notification_does_not_undo_a_newer_state(start_daemon, neutron, ipa, cloud,
                                                       rabbit, topic, zones):
    """Notifications handled out of order (64 workers) still leave neutron's truth."""
    server_id, port_id = instance(cloud, 'web7')
    ipa.add_host('web7.example.test', description=MARKER)
    start_daemon()
    fip = payloads.neutron_floatingip('fip-9', '198.51.100.90', port_id, '10.0.0.12', PROJECT,
                                      device_id=server_id)
    # neutron has already disassociated it; the associate notification arrives late.
    cloud.add_floatingip('fip-9', '198.51.100.90', None, None, PROJECT)
    neutron.send('floatingip.update.end', {'floatingip': fip})
    drained(rabbit, topic)
    assert records(ipa, ZONE, 'web7') == {} and records(ipa, REV4, '90') == {}
