"""The pure decisions: enrollment, FQDN, project labels, host ownership."""

import pytest

from notify import decide
from notify.errors import BadNotification


@pytest.mark.parametrize('value, expected', [
    ('true', True), ('True', True), ('TRUE', True), (' yes ', True), ('1', True),
    (True, True), ('false', False), ('0', False), ('no', False), ('', False),
    (None, False), (1, False), ('truthy', False),
])
def test_is_true(value, expected):
    assert decide.is_true(value) is expected


@pytest.mark.parametrize('metadata, image, expected', [
    ({'ipa_enroll': 'true'}, None, True),
    ({}, {'ipa_enroll': 'Yes'}, True),
    ({'ipa_enroll': 'false'}, {'ipa_enroll': 'true'}, True),   # as novajoin enrolled it
    ({'ipa_enroll': 'false'}, {}, False),
    ({}, {}, False),
    (None, None, False),
    ({'other': 'true'}, {'hw_architecture': 'x86_64'}, False),
])
def test_is_enrolled(metadata, image, expected):
    assert decide.is_enrolled(metadata, image) is expected


@pytest.mark.parametrize('hostname, label, expected', [
    ('web1', None, 'web1.example.test'),
    ('WEB1', None, 'web1.example.test'),
    ('web-1', None, 'web-1.example.test'),
    ('web1', 'team-a', 'web1.team-a.example.test'),
    ('web1.example.test', None, 'web1.example.test'),
    ('web1.example.test.', None, 'web1.example.test'),
    ('web1.team-a.example.test', 'team-a', 'web1.team-a.example.test'),
    ('a' * 63, None, 'a' * 63 + '.example.test'),
])
def test_instance_fqdn(hostname, label, expected):
    assert decide.instance_fqdn(hostname, 'example.test', label) == expected


@pytest.mark.parametrize('hostname', [
    'a.b.other-domain', 'web1.example.test.evil.org', 'web_1', '-web', 'web-',
    'a' * 64, 'ｗｅｂ１', 'wéb1', '', 'web 1', 'web1\n', 'web1\x00', '.', 'web1..example.test',
    '*.example.test', 'example.test',
])
def test_instance_fqdn_rejects(hostname):
    with pytest.raises(BadNotification):
        decide.instance_fqdn(hostname, 'example.test')


def test_full_width_name_never_becomes_ascii():
    with pytest.raises(BadNotification, match='not a valid DNS label'):
        decide.instance_fqdn('\uff57\uff45\uff42\uff11', 'example.test')


@pytest.mark.parametrize('name, label', [
    ('admin', 'admin'), ('Web Team_2', 'web-team-2'), ('  x--y  ', 'x--y'),
    ('Équipe', 'quipe'), ('a' * 80, 'a' * 63), ('ab' + '-' * 70 + 'c', 'ab'),
])
def test_dns_label(name, label):
    assert decide.dns_label(name) == label


@pytest.mark.parametrize('name', ['---', '', '日本'])
def test_dns_label_unusable(name):
    with pytest.raises(BadNotification):
        decide.dns_label(name)


def test_plan_removes_host_nobody_carries():
    action = decide.plan_instance_delete('i-1', 'web1.example.test', [])
    assert action == decide.RemoveHost('web1.example.test', 'i-1')


def test_plan_keeps_host_a_live_instance_carries():
    live = [decide.LiveInstance('i-2', 'web1.example.test', 'ACTIVE')]
    action = decide.plan_instance_delete('i-1', 'web1.example.test', live)
    assert isinstance(action, decide.KeepHost)
    assert 'i-2' in action.reason


def test_plan_ignores_the_deleted_instance_itself_and_other_names():
    live = [decide.LiveInstance('i-1', 'web1.example.test', 'DELETED'),
            decide.LiveInstance('i-3', 'web10.example.test', 'ACTIVE'),
            decide.LiveInstance('i-4', 'web1.team-a.example.test', 'ACTIVE')]
    action = decide.plan_instance_delete('i-1', 'web1.example.test', live)
    assert action == decide.RemoveHost('web1.example.test', 'i-1')


# -- floating IPs and TripleO --------------------------------------------------

A, P = decide.AddressRecord, decide.PointerRecord


def test_plan_floating_ip_associate_fresh():
    assert decide.plan_floating_ip('192.0.2.5', 'web1.example.test', set()) == [
        A('web1.example.test', '192.0.2.5', True), P('192.0.2.5', 'web1.example.test', True)]


def test_plan_floating_ip_moves_between_instances():
    plan = decide.plan_floating_ip('192.0.2.5', 'web2.example.test', {'web1.example.test'})
    assert plan == [P('192.0.2.5', 'web1.example.test', False),
                    A('web1.example.test', '192.0.2.5', False),
                    A('web2.example.test', '192.0.2.5', True),
                    P('192.0.2.5', 'web2.example.test', True)]


def test_plan_floating_ip_release_and_no_ptr():
    assert decide.plan_floating_ip('192.0.2.5', None, {'a.example.test'},
                                   manage_ptr=False) == [A('a.example.test', '192.0.2.5', False)]
    assert decide.plan_floating_ip('192.0.2.5', None, set()) == []


def test_subhosts_both_metadata_formats():
    md = {'compact_services': '{"HTTP": ["ctlplane", "InternalApi"], "mysql": ["internalapi"]}',
          'compact_service_novnc': '["external"]'}
    assert decide.subhosts('ctl-0.example.test', md, 'example.test') == (
        ['ctl-0.ctlplane.example.test', 'ctl-0.external.example.test',
         'ctl-0.internalapi.example.test'], [])


def test_subhosts_problems_are_reported_not_raised():
    hosts, problems = decide.subhosts('c.example.test', {
        'compact_services': '{bad', 'compact_service_x': '["ok", "not_a_label"]'},
        'example.test')
    assert hosts == ['c.ok.example.test']
    assert len(problems) == 2


def test_managed_services():
    services, problems = decide.managed_services({
        'managed_service_a': 'HTTP/vip.internalapi.example.test@EXAMPLE.TEST',
        'managed_service_b': 'haproxy/vip.example.test',
        'managed_service_c': 'HTTP/vip.other.org',
        'managed_service_d': 'nonsense',
        'other': 'HTTP/x.example.test'}, 'example.test')
    assert services == {'HTTP/vip.internalapi.example.test': 'vip.internalapi.example.test',
                        'haproxy/vip.example.test': 'vip.example.test'}
    assert len(problems) == 2


def test_plan_managed_services_shared_vip_is_kept():
    services = {'HTTP/vip.example.test': 'vip.example.test',
                'haproxy/lone.example.test': 'lone.example.test'}
    managers = {'HTTP/vip.example.test': {'vip.example.test', 'ctl-0.example.test',
                                          'ctl-1.example.test'},
                'haproxy/lone.example.test': {'lone.example.test', 'ctl-0.example.test'}}
    vips = {'vip.example.test': {'ctl-0.example.test', 'ctl-1.example.test'},
            'lone.example.test': {'ctl-0.example.test'}}
    plan = decide.plan_managed_services(services, managers, vips, {'ctl-0.example.test'})
    assert decide.RemoveService('haproxy/lone.example.test') in plan
    assert decide.RemoveHost('lone.example.test', '') in plan
    assert any(isinstance(a, decide.KeepService) and a.principal == 'HTTP/vip.example.test'
               for a in plan)
    assert not any(isinstance(a, decide.RemoveHost) and a.fqdn == 'vip.example.test'
                   for a in plan)


def test_plan_managed_services_already_gone():
    assert decide.plan_managed_services({'HTTP/v.example.test': 'v.example.test'},
                                        {'HTTP/v.example.test': None},
                                        {'v.example.test': None}, set()) == []
