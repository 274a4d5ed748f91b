"""Enrollment (novajoin's rule, exactly) and the one IPA name an instance may have."""

import pytest

from notify import decide
from notify.errors import BadNotification


@pytest.mark.parametrize('value, expected', [
    ('true', True), ('True', True), ('TRUE', True), ('tRuE', True),
    # novajoin compares value.lower() == 'true': nothing else enrolls.
    (' true', False), ('true ', False), ('yes', False), ('1', False), (True, False),
    (1, False), ('false', False), ('', False), (None, False), ('truthy', False),
    (['true'], False), ({'true': 1}, False),
])
def test_enroll_requested_is_novajoins_rule(value, expected):
    assert decide.enroll_requested(value) is expected


@pytest.mark.parametrize('metadata, image, expected', [
    ({'ipa_enroll': 'true'}, None, True),
    ({}, {'ipa_enroll': 'True'}, True),
    ({'ipa_enroll': 'false'}, {'ipa_enroll': 'true'}, True),   # as novajoin enrolled it
    ({}, {'ipa_enroll': 'Yes'}, False),
    ({'ipa_enroll': '1'}, {}, False),
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
    ('web1.example.test', None, 'web1.example.test'),          # nova 2.94 FQDN
    ('web1.example.test.', None, 'web1.example.test'),
    ('web1.team-a.example.test', 'team-a', 'web1.team-a.example.test'),
    ('a' * 63, None, 'a' * 63 + '.example.test'),
])
def test_instance_fqdn(hostname, label, expected):
    assert decide.instance_fqdn(hostname, 'example.test', label) == expected


@pytest.mark.parametrize('hostname, label', [
    # another project's zone, or a name one level deeper than the instance's zone
    ('web1.team-b.example.test', 'team-a'),
    ('web1.team-a.example.test', None),
    ('web1.example.test', 'team-a'),
    # TripleO sub-host namespaces, an IPA master's zone-level name
    ('ctrl-0.internalapi.example.test', None),
    ('ipa.example.test', 'team-a'),
])
def test_instance_fqdn_rejects_names_outside_the_instances_own_zone(hostname, label):
    with pytest.raises(BadNotification, match='neither one DNS label nor'):
        decide.instance_fqdn(hostname, 'example.test', label)


@pytest.mark.parametrize('hostname', [
    'a.b.other-domain', 'web1.example.test.evil.org', 'web_1', '-web', 'web-',
    'a' * 64, 'ｗｅｂ１', 'wéb1', '', 'web 1', 'web1\n', 'web1\x00', '.', 'web1..example.test',
    '*.example.test', 'example.test', '.web1', 'web1.example.test..',
])
def test_instance_fqdn_rejects(hostname):
    with pytest.raises(BadNotification):
        decide.instance_fqdn(hostname, 'example.test')


@pytest.mark.parametrize('hostname', [None, 5, ['web1'], {'a': 1}])
def test_instance_fqdn_rejects_non_strings(hostname):
    with pytest.raises(BadNotification, match='not a string'):
        decide.instance_fqdn(hostname, 'example.test')


def test_full_width_name_never_becomes_ascii():
    with pytest.raises(BadNotification):
        decide.instance_fqdn('\uff57\uff45\uff42\uff11', 'example.test')


@pytest.mark.parametrize('name, label', [
    ('admin', 'admin'), ('Web Team_2', 'web-team-2'), ('  x--y  ', 'x--y'),
    ('Équipe', 'quipe'), ('a' * 80, 'a' * 63), ('ab' + '-' * 70 + 'c', 'ab'),
])
def test_dns_label(name, label):
    assert decide.dns_label(name) == label


@pytest.mark.parametrize('name', ['---', '', '日本', None, 7])
def test_dns_label_unusable(name):
    with pytest.raises(BadNotification):
        decide.dns_label(name)
