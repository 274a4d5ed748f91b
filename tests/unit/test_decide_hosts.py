"""Provenance, protection, the instance-delete plan and nova's fail-closed listing."""

import pytest

from notify import decide

MARK = decide.NOVAJOIN_MARKER
RULES = decide.Protection()


def facts(fqdn, description=(MARK,), managed_by=(), groups=()):
    return decide.HostFacts(fqdn, tuple(description), frozenset(managed_by),
                            frozenset(groups))


def live(*pairs):
    return [decide.LiveInstance(i, f) for i, f in pairs]


def test_marked_host_nobody_carries_is_removed():
    action = decide.plan_instance_delete('i-1', 'web1.example.test', [],
                                         facts('web1.example.test'), RULES)
    assert action == decide.RemoveHost('web1.example.test', 'i-1')


@pytest.mark.parametrize('host, why', [
    # a hypervisor or controller the operator enrolled by hand: no marker
    (facts('compute-0.example.test', description=()), 'description none'),
    (facts('ctl.example.test', description=('Controller',)), "description 'Controller'"),
    # an IPA server, even if someone wrote the marker on it
    (facts('ipa.example.test', groups=('ipaservers',)), 'protected host group ipaservers'),
    (facts('mail.example.test', description=('IPA host for OpenStack ',)), 'not an enroll'),
])
def test_hosts_the_cloud_did_not_enroll_are_refused(host, why):
    action = decide.plan_instance_delete('i-1', host.fqdn, [], host, RULES)
    assert isinstance(action, decide.KeepHost) and action.refused
    assert why in action.reason


def test_operator_exclusions_and_extra_markers():
    rules = decide.Protection.from_lists(['IPA host for OpenStack', 'Made by Heat'],
                                         ['IPAServers', 'hypervisors'],
                                         ['Hv-1.example.test.'])
    assert decide.provenance_problem(facts('a.example.test', ('Made by Heat',)), rules) is None
    assert 'protected_hosts' in decide.provenance_problem(facts('hv-1.example.test'), rules)
    assert 'hypervisors' in decide.provenance_problem(
        facts('hv-2.example.test', groups=('hypervisors',)), rules)
    assert 'ipaservers' in decide.provenance_problem(
        facts('ipa2.example.test', groups=('ipaservers',)), rules)


def test_live_instance_keeps_host_and_is_checked_before_ipa_state():
    action = decide.plan_instance_delete('i-1', 'web1.example.test',
                                         live(('i-2', 'web1.example.test')), None, RULES)
    assert isinstance(action, decide.KeepHost) and not action.refused
    assert 'i-2' in action.reason


def test_the_deleted_instance_itself_and_other_names_do_not_keep_the_host():
    others = live(('i-1', 'web1.example.test'), ('i-3', 'web10.example.test'),
                  ('i-4', 'web1.team.example.test'))
    action = decide.plan_instance_delete('i-1', 'web1.example.test', others,
                                         facts('web1.example.test'), RULES)
    assert isinstance(action, decide.RemoveHost)


def test_missing_host_is_host_gone():
    assert decide.plan_instance_delete('i-1', 'x.example.test', [], None, RULES) == \
        decide.HostGone('x.example.test', 'i-1')


def rec(id_, hostname, status='ACTIVE'):
    return decide.ServerRecord(id_, hostname, 'p', status)


def test_listing_that_can_decide():
    assert decide.listing_problem([rec('1', 'web1'), rec('2', 'WEB1.example.test')],
                                  ['web1']) is None
    assert decide.listing_problem([], ['web1']) is None


@pytest.mark.parametrize('servers, words', [
    ([rec('1', 'web1'), rec('2', None, 'UNKNOWN')], 'cell is down'),
    ([rec('1', None)], 'os_compute_api:os-extended-server-attributes'),
    ([rec('1', 'web1'), rec('2', 'db7')], 'os_compute_api:servers:allow_all_filters'),
])
def test_listing_that_cannot_decide_names_the_missing_permission(servers, words):
    assert words in decide.listing_problem(servers, ['web1'])


def test_single_server_listing_checks_cells_and_hidden_fields_only():
    assert decide.listing_problem([rec('1', 'anything')]) is None
    assert 'cell is down' in decide.listing_problem([rec('1', None, 'UNKNOWN')])
