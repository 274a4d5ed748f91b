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
