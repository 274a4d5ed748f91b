"""From a hostile tenant's point of view: every name, metadata key and floating IP a
tenant controls, aimed at what the cloud did not enroll for it. Real broker, real
daemon; the IPA emulator's state is the judge."""

import json
import uuid

from notify.decide import NOVAJOIN_MARKER as MARKER
from tests import harness, payloads
from tests.functional.conftest import PROJECT
from tests.functional.conftest import REV4
from tests.functional.test_floating_ips import ZONE, instance, neutron_says
from tests.harness import wait_for

ENROLLED = {'ipa_enroll': 'true'}
FIP = '198.51.100.40'


def drained(rabbit, topic):
    rabbit.wait_queue(f'{topic}.info', lambda q: q is not None and q['messages'] == 0,
                      timeout=60)


def delete(nova, hostname, metadata=ENROLLED, project=PROJECT):
    nova.send(*payloads.versioned_delete(str(uuid.uuid4()), hostname, project,
                                         metadata=dict(metadata)))


def test_instances_named_after_infrastructure_remove_nothing(start_daemon, nova, ipa, rabbit,
                                                             topic, zones):
    # A hypervisor and a controller the operator enrolled by hand (no marker),
    # an operator's DNS-only name, and the IPA server itself.
    ipa.add_host('compute-0.example.test')
    ipa.add_record(ZONE, 'compute-0', 'A', '198.51.100.11')
    ipa.add_host('ctl.example.test', description='OpenStack controller')
    ipa.add_record(ZONE, 'mail', 'A', '198.51.100.25')
    ipa.add_record(REV4, '25', 'PTR', 'mail.example.test.')
    legit = 'web1.example.test'
    ipa.add_host(legit, description=MARKER)
    before = ipa.all_records()
    daemon = start_daemon()
    for name in ('compute-0', 'ctl', 'mail', 'ipa', 'IPA.example.test'):
        delete(nova, name)
    delete(nova, 'web1')                      # the one the cloud did enroll
    wait_for(lambda: not ipa.has_host(legit), what='the enrolled host removed')
    drained(rabbit, topic)
    for host in ('compute-0.example.test', 'ctl.example.test', 'ipa.example.test'):
        assert ipa.has_host(host), host
    after = ipa.all_records()
    assert after[ZONE]['compute-0'] == {'A': ['198.51.100.11']}
    assert after[ZONE]['mail'] == {'A': ['198.51.100.25']}
    assert after[REV4] == before[REV4]
    assert not [c for c in ipa.call_log if c[0] == 'host_del' and c[1][0] != legit]
    log = daemon.log()
    assert 'keeping IPA host compute-0.example.test' in log
    assert 'keeping IPA host ipa.example.test' in log


def test_tripleo_keys_never_reach_what_the_instance_did_not_manage(start_daemon, nova, ipa,
                                                                   rabbit, topic):
    # Infrastructure the tenant names in its metadata: another node's sub-host,
    # an operator's service and a VIP managed by real controllers.
    ipa.add_host('ctl-0.example.test', description=MARKER)
    ipa.add_host('ctl-0.internalapi.example.test', managedby=['ctl-0.example.test'])
    ipa.add_host('overcloud.internalapi.example.test', description=MARKER,
                 managedby=['ctl-0.example.test'])
    ipa.add_service('haproxy/overcloud.internalapi.example.test',
                    managed_by=['ctl-0.example.test'])
    ipa.add_host('evil.example.test', description=MARKER)
    services = ipa.services()
    start_daemon()
    delete(nova, 'evil', {
        'ipa_enroll': 'true',
        # the tenant claims ctl-0's network names for "evil": different sub-hosts
        'compact_services': json.dumps({'HTTP': ['internalapi']}),
        'managed_service_x': 'haproxy/overcloud.internalapi.example.test',
        'managed_service_y': 'HTTP/ctl-0.internalapi.example.test'})
    wait_for(lambda: not ipa.has_host('evil.example.test'), what='evil removed')
    drained(rabbit, topic)
    assert set(ipa.hosts()) >= {'ctl-0.example.test', 'ctl-0.internalapi.example.test',
                                'overcloud.internalapi.example.test'}
    assert ipa.services() == services


def test_floating_ip_moves_leave_an_operators_record_alone(start_daemon, nova, neutron, ipa,
                                                           cloud, rabbit, topic, zones):
    ipa.add_record(ZONE, 'www', 'A', FIP)               # the operator's name for it
    ipa.add_record(REV4, '40', 'PTR', 'www.example.test.')
    _, port = instance(cloud, 'tenant1')
    ipa.add_host('tenant1.example.test', description=MARKER)
    _, www_port = instance(cloud, 'www')                # a tenant instance named "www"
    daemon = start_daemon()
    neutron_says(cloud, neutron, 'fip-9', FIP, port)
    wait_for(lambda: ipa.records(ZONE, 'tenant1').get('A') == [FIP], what='tenant1 A')
    neutron_says(cloud, neutron, 'fip-9', FIP, www_port)   # no enrolled host "www"
    wait_for(lambda: ipa.records(ZONE, 'tenant1') == {}, what='tenant1 A removed')
    neutron_says(cloud, neutron, 'fip-9', FIP, None)
    drained(rabbit, topic)
    assert ipa.records(ZONE, 'www') == {'A': [FIP]}
    assert ipa.records(REV4, '40') == {'PTR': ['www.example.test.']}
    assert 'leaving the records of www.example.test alone' in daemon.log()
    assert harness.log_lines(daemon.log(), 'ERROR') == []


def test_hostnames_outside_the_instance_zone_are_spooled(start_daemon, nova, ipa, rabbit,
                                                         topic, tmp_path):
    ipa.add_host('web1.other.example.test', description=MARKER)
    daemon = start_daemon()
    delete(nova, 'web1.other.example.test')
    drained(rabbit, topic)
    assert ipa.has_host('web1.other.example.test')
    errors = harness.log_lines(daemon.log(), 'ERROR')
    assert len(errors) == 1 and 'neither one DNS label nor' in errors[0]


def test_nova_that_cannot_tell_makes_the_delete_wait(start_daemon, nova, ipa, cloud, rabbit,
                                                     topic):
    fqdn = 'web7.example.test'
    ipa.add_host(fqdn, description=MARKER)
    # A live instance carries the name in a cell that does not answer.
    live = cloud.add_server(str(uuid.uuid4()), 'web7', PROJECT, cell_down=True)['id']
    cloud.skip_down_cells = False          # nova.conf [api], as the README asks
    cloud.hide_extended_attrs = True       # and a policy hiding the hostname
    daemon = start_daemon()
    delete(nova, 'web7')
    harness.wait_for(lambda: 'a nova cell is down' in daemon.log()
                     and 'handing back' in daemon.log(), what='the delete handed back')
    assert ipa.has_host(fqdn)
    cloud.set_cell_down(live, False)       # the cell is back; the policy still hides
    harness.wait_for(lambda: 'os_compute_api:os-extended-server-attributes' in daemon.log(),
                     what='the missing policy named')
    assert ipa.has_host(fqdn)
    # The operator fixes the policy: the live instance is seen and the host kept;
    # once that instance is deleted too, it goes.
    cloud.hide_extended_attrs = False
    harness.wait_for(lambda: f'live instance(s) {live} still carry' in daemon.log(),
                     timeout=60, what='kept for the live instance')
    cloud.delete_server(live)
    delete(nova, 'web7')
    wait_for(lambda: not ipa.has_host(fqdn), timeout=60, what='host removed')
