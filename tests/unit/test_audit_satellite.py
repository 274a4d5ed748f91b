"""The audit's Satellite part: the pure planning, the complete listing (against the
Foreman emulator) and the removal re-checked just before."""

import uuid

import pytest

from notify.adapters.satellite import SatelliteClient
from notify.audit import AuditAborted, plan
from notify.audit.satellite import SatelliteAudit
from notify.errors import TransientError

LIVE = '12345678-1234-5678-9abc-def012345678'
LIVE_SWAPPED = '78563412-3412-7856-9abc-def012345678'
GONE = '0f0f0f0f-1111-2222-3333-444455556666'
VIRT, DMI = 'virt::uuid', 'dmi::system::uuid'


def sat(host_id, name, **facts):
    named = {VIRT: facts.get('virt'), DMI: facts.get('dmi')}
    return plan.SatHost(host_id, name, tuple(sorted((f, v) for f, v in named.items()
                                                    if v is not None)))


def planned(*hosts, servers=(LIVE,)):
    snapshot = plan.Snapshot({}, {}, frozenset(), {}, {}, server_ids=frozenset(servers),
                             satellite=tuple(hosts))
    return {f.name: f for f in plan.plan_satellite(snapshot)}


# -- planning -------------------------------------------------------------------

def test_a_host_whose_uuid_names_no_server_is_removed_and_named_with_its_id():
    found = planned(sat(7, 'web1.example.test', virt=GONE, dmi=GONE.upper()))
    orphan = found['web1.example.test (id 7)']
    assert (orphan.kind, orphan.action) == ('satellite', 'remove')
    assert GONE in orphan.reason and 'virt::uuid' in orphan.reason
    assert orphan.changes == (sat(7, 'web1.example.test', virt=GONE, dmi=GONE.upper()),)


@pytest.mark.parametrize('facts', [
    {'virt': LIVE}, {'virt': LIVE.upper()}, {'dmi': LIVE_SWAPPED.upper()},
    {'dmi': f' {LIVE}\n'},
    # one fact naming a live instance is enough to keep it
    {'virt': GONE, 'dmi': LIVE_SWAPPED},
])
def test_a_host_naming_a_live_instance_in_any_form_is_kept(facts):
    [finding] = planned(sat(3, 'web2.example.test', **facts)).values()
    assert finding.action == 'keep' and LIVE in finding.reason


@pytest.mark.parametrize('facts', [{}, {'dmi': 'Not Settable'}, {'virt': ''}])
def test_a_host_without_a_uuid_fact_is_unknown_and_kept(facts):
    [finding] = planned(sat(4, 'hv1.example.test', **facts), servers=()).values()
    assert (finding.action, finding.reason) == ('keep', 'unknown: no UUID fact')


def test_orphans_first():
    findings = plan.plan_satellite(plan.Snapshot(
        {}, {}, frozenset(), {}, {}, server_ids=frozenset({LIVE}),
        satellite=(sat(1, 'a.example.test', virt=LIVE), sat(2, 'b.example.test'),
                   sat(3, 'z.example.test', virt=GONE))))
    assert [f.name for f in findings] == ['z.example.test (id 3)', 'a.example.test (id 1)',
                                          'b.example.test (id 2)']


def test_summary_counts_satellite_hosts_apart():
    findings = list(planned(sat(1, 'a', virt=GONE), sat(2, 'b', virt=LIVE),
                            sat(3, 'c')).values())
    assert plan.summary(findings) == {'satellites_remove': 1, 'satellites_keep': 2}


# -- the listing ----------------------------------------------------------------

def audit_of(foreman, page_size=2, **options):
    client = SatelliteClient(foreman.url, foreman.username, foreman.password,
                             ca_cert=foreman.ca_path, timeout=5.0, **options)
    return SatelliteAudit(client, page_size=page_size)


def listed(audit):
    return {(h.id, h.name): dict(h.facts) for h in audit.hosts()}


def test_every_host_is_listed_with_its_uuid_facts_page_after_page(foreman):
    ids = [foreman.add_host(f'h{i}.example.test', {VIRT: str(uuid.UUID(int=i)),
                                                    DMI: str(uuid.UUID(int=i)).upper(),
                                                    'memory::memtotal': '2048'})
           for i in range(5)]
    bare = foreman.add_host('bare.example.test', {'memory::memtotal': '1024'})
    half = foreman.add_host('half.example.test', {VIRT: GONE})
    hosts = listed(audit_of(foreman))
    assert hosts[(bare, 'bare.example.test')] == {}
    assert hosts[(half, 'half.example.test')] == {VIRT: GONE}
    assert hosts[(ids[4], 'h4.example.test')] == {VIRT: str(uuid.UUID(int=4)),
                                                   DMI: str(uuid.UUID(int=4)).upper()}
    assert len(hosts) == 7
    assert [int(c.params['page']) for c in foreman.calls('hosts#index')] == [1, 2, 3, 4]
    assert all(c.params['per_page'] == '2' for c in foreman.calls('hosts#index'))
    # virt::uuid: 6 values in pages of 2, then an empty one; dmi::system::uuid: 5
    # values, 3 pages; one look-up of the two hosts left without one of the facts;
    # dmi::system::product_name: none, one page
    assert foreman.stats['fact_values#index'] == 4 + 3 + 1 + 1
    [look_up] = [c for c in foreman.calls('fact_values#index') if 'page' not in c.params]
    assert f'host = {bare}' in look_up.params['search']
    assert f'host = {half}' in look_up.params['search']


def test_the_organization_scopes_the_listing(foreman):
    team = foreman.add_organization('Team B')
    mine = foreman.add_host('mine.example.test', {VIRT: GONE}, organization_id=team)
    foreman.add_host('theirs.example.test', {VIRT: LIVE})
    assert listed(audit_of(foreman, organization='Team B')) == {
        (mine, 'mine.example.test'): {VIRT: GONE}}


def test_a_host_listing_cut_short_aborts(foreman):
    for i in range(5):
        foreman.add_host(f'h{i}.example.test', {VIRT: GONE})
    foreman.truncate_lists['hosts#index'] = 3
    with pytest.raises(AuditAborted, match='host listing ended early.*3 of 5'):
        audit_of(foreman).hosts()


def test_a_fact_listing_cut_short_aborts(foreman):
    for i in range(5):
        foreman.add_host(f'h{i}.example.test', {VIRT: str(uuid.UUID(int=i)),
                                                 DMI: str(uuid.UUID(int=i))})
    # Short pages end each fact listing early; the hosts left without a fact
    # are asked about again, and turn out to have it.
    foreman.truncate_lists['fact_values#index'] = 3
    with pytest.raises(AuditAborted, match='fact listing ended early'):
        audit_of(foreman).hosts()


def test_a_failed_request_is_never_no_hosts(foreman):
    foreman.add_host('web.example.test', {VIRT: GONE})
    for action in ('hosts#index', 'fact_values#index'):
        foreman.fail_next(action, 500)
        with pytest.raises(TransientError, match='500'):
            audit_of(foreman).hosts()
    foreman.down = True
    with pytest.raises(TransientError, match='503'):
        audit_of(foreman).hosts()


def test_a_listing_without_a_count_or_with_twin_names_aborts(foreman, monkeypatch):
    foreman.add_host('twin.example.test', {VIRT: GONE})
    foreman.add_host('twin.example.test', {VIRT: LIVE})
    with pytest.raises(AuditAborted, match='two hosts named twin.example.test'):
        audit_of(foreman).hosts()
    audit = audit_of(foreman)
    index = audit.client.index
    monkeypatch.setattr(audit.client, 'index', lambda *a: dict(index(*a), subtotal=None,
                                                               total=None))
    with pytest.raises(AuditAborted, match='no count'):
        audit.hosts()


# -- removing -------------------------------------------------------------------

class Nova:
    def __init__(self, *live):
        self.live = set(live)
        self.asked = []

    def server(self, instance_id):
        self.asked.append(instance_id)
        return object() if instance_id in self.live else None


def orphan_finding(foreman, facts, name='web1.example.test'):
    host_id = foreman.add_host(name, facts)
    [finding] = planned(sat(host_id, name, virt=facts.get(VIRT), dmi=facts.get(DMI)),
                        servers=()).values()
    return host_id, finding


def test_an_orphan_is_removed_after_nova_is_asked_for_every_form(foreman):
    host_id, finding = orphan_finding(foreman, {VIRT: LIVE, DMI: LIVE.upper()})
    nova = Nova()
    assert audit_of(foreman).remove(finding, nova) == []
    assert not foreman.has_host(host_id)
    assert sorted(nova.asked) == [LIVE, LIVE_SWAPPED]


def test_an_instance_nova_has_again_keeps_its_host(foreman):
    host_id, finding = orphan_finding(foreman, {DMI: LIVE_SWAPPED})
    kept = audit_of(foreman).remove(finding, Nova(LIVE))
    assert kept.action == 'keep' and LIVE in kept.reason and 'asked again' in kept.reason
    assert foreman.has_host(host_id) and foreman.calls('hosts#destroy') == []


def test_facts_changed_meanwhile_are_what_counts(foreman):
    # The host was registered again meanwhile, by a live instance, same id.
    host_id = foreman.add_host('web1.example.test', {VIRT: LIVE})
    [finding] = planned(sat(host_id, 'web1.example.test', virt=GONE), servers=()).values()
    kept = audit_of(foreman).remove(finding, Nova(LIVE))
    assert kept.action == 'keep' and foreman.has_host(host_id)
    bare = foreman.add_host('bare.example.test')
    [finding] = planned(sat(bare, 'bare.example.test', virt=GONE), servers=()).values()
    kept = audit_of(foreman).remove(finding, Nova())
    assert kept.reason.startswith('unknown: no UUID fact') and foreman.has_host(bare)


def test_dry_run_removes_nothing_and_a_host_gone_meanwhile_is_left_alone(foreman):
    host_id, finding = orphan_finding(foreman, {VIRT: GONE})
    assert audit_of(foreman, dry_run=True).remove(finding, Nova()) == []
    assert foreman.has_host(host_id) and foreman.calls('hosts#destroy') == []
    assert audit_of(foreman).client.delete_host(host_id)      # someone else removed it
    kept = audit_of(foreman).remove(finding, Nova())
    assert kept.action == 'keep' and len(foreman.calls('hosts#destroy')) == 1
