"""The delete handler's orchestration, with in-memory adapters (no network)."""

import pytest

from notify.errors import BadNotification
from notify.handlers.common import Enrollment, InstanceNaming
from notify.handlers.instance import InstanceDeleteHandler
from notify.locks import KeyedLock
from notify import parse
from tests import payloads


class FakeIPA:
    dry_run = False

    def __init__(self, hosts):
        self.hosts = set(hosts)
        self.calls = []

    def remove_host(self, fqdn):
        self.calls.append(fqdn)
        if fqdn in self.hosts:
            self.hosts.discard(fqdn)
            return True
        return False


class FakeDns:
    def __init__(self, records=None, services=None, vips=None):
        self.records = records or {}     # fqdn -> [addresses]
        self.services = services or {}   # principal -> set of managers
        self.vips = vips or {}           # vip fqdn -> set of managers
        self.applied = []
        self.removed_services = []

    def addresses_of(self, fqdn):
        return list(self.records.get(fqdn, []))

    def apply(self, actions):
        self.applied += actions

    def service_managers(self, principal):
        return self.services.get(principal)

    def host_managers(self, fqdn):
        return self.vips.get(fqdn)

    def remove_service(self, principal):
        self.removed_services.append(principal)
        return self.services.pop(principal, None) is not None


class FakeNova:
    def __init__(self, servers=()):
        self.servers = list(servers)
        self.asked = []

    def servers_named(self, hostname):
        self.asked.append(hostname)
        return [s for s in self.servers if s[1].split('.')[0] == hostname.split('.')[0]]


class FakeGlance:
    def __init__(self, images):
        self.images = images
        self.asked = []

    def image_properties(self, image_id):
        self.asked.append(image_id)
        return self.images.get(image_id, {})


class FakeKeystone:
    def __init__(self, names):
        self.names = names

    def project_name(self, project_id):
        return self.names[project_id]


def handler(hosts=(), servers=(), images=None, keystone=None, dns=None):
    ipa, nova, glance = FakeIPA(hosts), FakeNova(servers), FakeGlance(images or {})
    h = InstanceDeleteHandler(ipa, dns or FakeDns(), nova, Enrollment(glance),
                              InstanceNaming('example.test', keystone), KeyedLock())
    return h, ipa, nova, glance


def event(*args, **kwargs):
    return parse.parse(*payloads.versioned_delete(*args, **kwargs))


def test_enrolled_by_metadata_removes_host_without_asking_glance():
    h, ipa, nova, glance = handler(hosts={'web1.example.test'})
    h.handle(event('i-1', 'web1', 'p', metadata={'ipa_enroll': 'true'}, image_id='img'))
    assert ipa.hosts == set() and glance.asked == [] and nova.asked == ['web1']


def test_enrolled_by_image_properties():
    h, ipa, _, glance = handler(hosts={'web1.example.test'},
                                images={'img': {'ipa_enroll': 'True'}})
    h.handle(event('i-1', 'web1', 'p', image_id='img'))
    assert ipa.hosts == set() and glance.asked == ['img']


def test_not_enrolled_never_touches_ipa_or_nova():
    h, ipa, nova, _ = handler(hosts={'web1.example.test'}, images={'img': {}})
    h.handle(event('i-1', 'web1', 'p', image_id='img'))
    assert ipa.calls == [] and nova.asked == []


def test_legacy_image_meta_is_used_without_glance():
    h, ipa, _, glance = handler(hosts={'db1.example.test'})
    h.handle(parse.parse(*payloads.legacy_delete('i-2', 'db1', 'p',
                                                 image_meta={'ipa_enroll': '1'})))
    assert ipa.hosts == set() and glance.asked == []


def test_host_carried_by_a_live_instance_is_kept():
    h, ipa, _, _ = handler(hosts={'web1.example.test'},
                           servers=[('i-2', 'web1', 'p2', 'ACTIVE')])
    h.handle(event('i-1', 'web1', 'p', metadata={'ipa_enroll': 'true'}))
    assert ipa.calls == [] and ipa.hosts == {'web1.example.test'}


def test_similar_names_do_not_protect_a_host():
    h, ipa, _, _ = handler(hosts={'web1.example.test'},
                           servers=[('i-3', 'web1.other.example.test', 'p', 'ACTIVE'),
                                    ('i-4', 'web1_bad', 'p', 'ACTIVE')])
    h.handle(event('i-1', 'web1', 'p', metadata={'ipa_enroll': 'true'}))
    assert ipa.hosts == set()


def test_project_subdomain_names_and_ownership():
    keystone = FakeKeystone({'p1': 'Team A', 'p2': 'Team B'})
    h, ipa, _, _ = handler(hosts={'web1.team-a.example.test', 'web1.team-b.example.test'},
                           servers=[('i-2', 'web1', 'p2', 'ACTIVE')], keystone=keystone)
    h.handle(event('i-1', 'web1', 'p1', metadata={'ipa_enroll': 'true'}))
    assert ipa.hosts == {'web1.team-b.example.test'}


def test_hostile_hostname_never_reaches_ipa():
    h, ipa, nova, _ = handler()
    with pytest.raises(BadNotification):
        h.handle(event('i-1', 'a.b.other-domain', 'p', metadata={'ipa_enroll': 'true'}))
    assert ipa.calls == [] and nova.asked == []


def test_records_of_an_already_gone_host_are_looked_up_and_removed():
    from notify import decide
    dns = FakeDns(records={'gone1.example.test': ['192.0.2.9', '2001:db8::9']})
    h, ipa, _, _ = handler(dns=dns)
    h.handle(event('i-1', 'gone1', 'p', metadata={'ipa_enroll': 'true'}))
    assert ipa.calls == ['gone1.example.test']
    assert decide.AddressRecord('gone1.example.test', '192.0.2.9', False) in dns.applied
    assert decide.PointerRecord('2001:db8::9', 'gone1.example.test', False) in dns.applied
    assert all(not a.present for a in dns.applied)


TRIPLEO = {
    'ipa_enroll': 'True',
    'compact_services': '{"HTTP": ["ctlplane", "internalapi", "storage"], '
                        '"rabbitmq": ["internalapi"]}',
    'managed_service_haproxyctlplane': 'haproxy/overcloud.ctlplane.example.test',
    'managed_service_haproxyinternalapi': 'haproxy/overcloud.internalapi.example.test@EXAMPLE.TEST',
}


def test_tripleo_node_delete_removes_subhosts_and_unshared_services():
    hosts = {'ctl-0.example.test', 'ctl-0.ctlplane.example.test',
             'ctl-0.internalapi.example.test', 'ctl-0.storage.example.test',
             'overcloud.ctlplane.example.test', 'overcloud.internalapi.example.test'}
    dns = FakeDns(
        services={'haproxy/overcloud.ctlplane.example.test': {'overcloud.ctlplane.example.test'},
                  'haproxy/overcloud.internalapi.example.test': {
                      'overcloud.internalapi.example.test', 'ctl-1.example.test'}},
        vips={'overcloud.ctlplane.example.test': {'ctl-0.example.test'},
              'overcloud.internalapi.example.test': {'ctl-1.example.test'}})
    h, ipa, _, _ = handler(hosts=hosts, dns=dns)
    h.handle(event('i-1', 'ctl-0', 'p', metadata=TRIPLEO))
    assert ipa.hosts == {'overcloud.internalapi.example.test'}
    assert dns.removed_services == ['haproxy/overcloud.ctlplane.example.test']
