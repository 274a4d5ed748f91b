"""The audit's pure planning: IPA snapshot + nova/neutron snapshot -> findings."""

import datetime

from notify import decide
from notify.audit import inventory, plan
from tests.unit.fakes import marked

RULES = decide.Protection()
DAY = 86400.0


def host(fqdn, age=DAY, **kw):
    return plan.Host(marked(fqdn, **kw), age)


def snapshot(hosts, live=None, unresolved=(), records=None, fip_owner=None, zones=False):
    return plan.Snapshot({h.facts.fqdn: h for h in hosts}, live or {}, frozenset(unresolved),
                         records or {}, fip_owner or {}, project_zones=zones)


def by_name(findings):
    return {f.name: f for f in findings}


def test_orphans_removed_live_and_lookalikes_kept_with_reasons():
    found = by_name(plan.plan_hosts(snapshot(
        [host('web1.example.test'), host('web2.example.test'),
         host('hv1.example.test', description=()),
         host('ipa.example.test', groups=('ipaservers',)),
         host('young.example.test', age=60), host('otp.example.test', age=None)],
        live={'web2.example.test': ['i-2']}), RULES, min_age=3600))
    assert found['web1.example.test'].action == 'remove'
    assert 'no live instance named web1 in any project' in found['web1.example.test'].reason
    assert 'enrolled by the cloud' in found['web1.example.test'].reason
    assert found['web2.example.test'].action == 'keep' and 'i-2' in found['web2.example.test'].reason
    assert 'look-alike kept' in found['hv1.example.test'].reason
    assert 'ipaservers' in found['ipa.example.test'].reason
    assert 'min_age' in found['young.example.test'].reason
    assert found['otp.example.test'].action == 'keep'
    # orphans come first
    assert plan.plan_hosts(snapshot([host('a.example.test'), host('z.example.test')],
                                    live={'a.example.test': ['i']}), RULES, 0)[0].name == \
        'z.example.test'


def test_deleted_project_instances_keep_their_label_in_project_zones():
    found = by_name(plan.plan_hosts(snapshot(
        [host('web1.gone.example.test'), host('db1.gone.example.test')],
        unresolved={'web1'}, zones=True), RULES, 0))
    assert found['web1.gone.example.test'].action == 'keep'
    assert found['db1.gone.example.test'].action == 'remove'


IP, IP2 = '203.0.113.5', '203.0.113.6'


def test_records_stale_missing_and_not_ours():
    snap = snapshot([host('web1.example.test'), host('web2.example.test'),
                     host('hv.example.test', description=())],
                    records={'web1.example.test': [IP, '192.0.2.1'],
                             'hv.example.test': [IP2]},
                    fip_owner={IP: None, IP2: 'web2.example.test'})
    found = by_name(plan.plan_records(snap, RULES))
    stale = found[f'web1.example.test -> {IP}']
    assert stale.action == 'remove' and decide.AddressRecord(
        'web1.example.test', IP, False) in stale.changes
    missing = found[f'web2.example.test -> {IP2}']
    assert missing.action == 'add' and decide.PointerRecord(
        IP2, 'web2.example.test', True) in missing.changes
    # 192.0.2.1 is not a floating IP; hv is not an enrolled host: neither is ours
    assert set(found) == {f'web1.example.test -> {IP}', f'web2.example.test -> {IP2}'}


def test_orphan_node_managed_hosts_and_services_follow_the_tripleo_rules():
    node, sub, vip = 'ctl-0.example.test', 'ctl-0.internalapi.example.test', 'vip.example.test'
    actions = plan.plan_managed(
        node, '', {sub: marked(sub, {node}, ()), vip: marked(vip, {node, 'ctl-1.example.test'})},
        {f'HTTP/{sub}@R': {node, sub}, f'haproxy/{vip}@R': {node, 'ctl-1.example.test', vip}},
        RULES)
    assert decide.RemoveHost(sub, '') in actions
    assert decide.RemoveService(f'HTTP/{sub}@R') in actions
    assert not any(getattr(a, 'fqdn', None) == vip and isinstance(a, decide.RemoveHost)
                   for a in actions)


def test_enrolled_age_from_krblastpwdchange():
    now = datetime.datetime(2026, 11, 29, 12, 0, tzinfo=datetime.timezone.utc)
    assert inventory.enrolled_age({'krblastpwdchange': ['20261129110000Z']}, now) == 3600
    assert inventory.enrolled_age({'krblastpwdchange': [{'__datetime__': '20261128120000Z'}]},
                                  now) == DAY
    assert inventory.enrolled_age({}, now) is None
    assert inventory.enrolled_age({'krblastpwdchange': ['garbage']}, now) is None


def test_summary_counts():
    findings = [plan.Finding('host', 'a', 'remove', ''), plan.Finding('host', 'b', 'keep', ''),
                plan.Finding('record', 'c', 'add', '')]
    assert plan.summary(findings) == {'hosts_remove': 1, 'hosts_keep': 1, 'records_add': 1}
