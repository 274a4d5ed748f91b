"""Which floating-IP records are this daemon's, and what goes with a TripleO node."""

import json

from notify import decide
from tests.unit.test_decide_hosts import RULES, facts

A, P = decide.AddressRecord, decide.PointerRecord
IP = '203.0.113.5'


def test_associate_publishes_on_the_enrolled_host_only():
    actions = decide.plan_floating_ip(IP, 'web1.example.test', set(), {'web1.example.test'})
    assert actions == [A('web1.example.test', IP, True), P(IP, 'web1.example.test', True)]


def test_move_between_instances_removes_only_the_previous_enrolled_owner():
    actions = decide.plan_floating_ip(IP, 'web2.example.test',
                                      {'web1.example.test', 'www.example.test'},
                                      {'web1.example.test', 'web2.example.test'})
    assert decide.changes(actions) == [
        P(IP, 'web1.example.test', False), A('web1.example.test', IP, False),
        A('web2.example.test', IP, True), P(IP, 'web2.example.test', True)]
    kept = [a for a in actions if isinstance(a, decide.KeepRecords)]
    assert [k.fqdn for k in kept] == ['www.example.test']   # the operator's record stays


def test_release_never_touches_an_operators_record_holding_the_address():
    actions = decide.plan_floating_ip(IP, None, {'www.example.test', 'mail.example.test'},
                                      set())
    assert decide.changes(actions) == []


def test_owner_without_an_enrolled_host_gets_no_record():
    # A tenant's instance named like an operator's DNS-only name "www".
    actions = decide.plan_floating_ip(IP, 'www.example.test', set(), set(), manage_ptr=False)
    assert decide.changes(actions) == []


def test_release_without_ptr_management():
    actions = decide.plan_floating_ip(IP, None, {'web1.example.test'},
                                      {'web1.example.test'}, manage_ptr=False)
    assert actions == [A('web1.example.test', IP, False)]


def test_gone_host_keeps_everything_but_the_instances_floating_ips():
    actions = decide.plan_gone_host_records('mail.example.test', [IP, '192.0.2.25'], {IP})
    assert decide.changes(actions) == [P(IP, 'mail.example.test', False),
                                       A('mail.example.test', IP, False)]
    assert decide.changes(decide.plan_gone_host_records(
        'mail.example.test', ['192.0.2.25'], set())) == []


def test_subhosts_both_metadata_formats():
    one = {'compact_services': json.dumps({'HTTP': ['ctlplane', 'internalapi']})}
    many = {'compact_service_HTTP': json.dumps(['ctlplane', 'internalapi'])}
    for metadata in (one, many):
        assert decide.subhosts('ctl-0.example.test', metadata, 'example.test') == (
            ['ctl-0.ctlplane.example.test', 'ctl-0.internalapi.example.test'], [])


def test_metadata_problems_are_reported_not_raised():
    subs, problems = decide.subhosts('c.example.test', {'compact_services': '[' * 5000},
                                     'example.test')
    assert subs == [] and problems == ['metadata compact_services is not JSON']
    services, problems = decide.managed_services(
        {'managed_service_x': 'HTTP/ipa.other.org', 'managed_service_y': 7}, 'example.test')
    assert services == {} and len(problems) == 2


NODE = 'ctl-0.example.test'
SUB = 'ctl-0.internalapi.example.test'
VIP = 'overcloud.internalapi.example.test'
SVC = f'haproxy/{VIP}'


def plan(subhost_facts=None, managers=None, vip=None):
    return decide.plan_tripleo(NODE, 'i-1', subhost_facts or {}, {SVC: VIP},
                               {SVC: managers}, {VIP: vip}, RULES)


def test_node_alone_releases_its_subhost_service_and_marked_vip():
    actions = plan({SUB: facts(SUB, description=(), managed_by={NODE})}, {NODE, VIP},
                   facts(VIP, managed_by={NODE}))
    assert actions == [decide.RemoveHost(SUB, 'i-1'), decide.RemoveService(SVC),
                       decide.RemoveHost(VIP, 'i-1')]


def test_tenant_metadata_cannot_reach_what_ipa_does_not_relate_to_the_node():
    # The sub-host, the service and the VIP exist but IPA relates none to NODE.
    actions = plan({SUB: facts(SUB, managed_by={'other.example.test'})}, {VIP},
                   facts(VIP, managed_by={'ctl-1.example.test'}))
    assert decide.changes(actions) == []
    assert not any(isinstance(a, (decide.RemoveHost, decide.RemoveService)) for a in actions)
    assert all(a.refused for a in actions)


def test_shared_service_and_vip_stay_with_the_remaining_manager():
    actions = plan({}, {NODE, 'ctl-1.example.test', VIP},
                   facts(VIP, managed_by={NODE, 'ctl-1.example.test'}))
    assert actions == [decide.KeepService(SVC, 'still managed by ctl-1.example.test')]


def test_unmarked_or_protected_vip_stays():
    for vip in (facts(VIP, description=(), managed_by={NODE}),
                facts(VIP, managed_by={NODE}, groups=('ipaservers',))):
        actions = plan({}, {NODE, VIP}, vip)
        assert actions[0] == decide.RemoveService(SVC)
        assert isinstance(actions[1], decide.KeepHost) and actions[1].refused


def test_protected_subhost_stays_and_gone_things_are_skipped():
    actions = plan({SUB: facts(SUB, managed_by={NODE}, groups=('ipaservers',)),
                    'ctl-0.storage.example.test': None}, None, None)
    assert len(actions) == 1 and actions[0].refused
