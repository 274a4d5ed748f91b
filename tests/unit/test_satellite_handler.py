"""The Satellite handler's decisions, with in-memory adapters (no network)."""

import logging

import pytest
from oslo_config import cfg

from notify import opts, parse
from notify.adapters.satellite import SatelliteHost
from notify.errors import TransientError
from notify.handlers import ConfigurationError, Shared
from notify.handlers.satellite import SatelliteHostHandler
from tests import payloads

UUID = '12345678-1234-5678-9abc-def012345678'


class FakeSatellite:
    dry_run = False

    def __init__(self, hosts=(), fail=None):
        self.hosts = {h.id: h for h in hosts}
        self.fail = fail
        self.searched = []
        self.deleted = []

    def hosts_for_instance(self, instance_id):
        self.searched.append(instance_id)
        if self.fail:
            raise self.fail
        return [h for h in self.hosts.values() if h.value.lower() == instance_id]

    def delete_host(self, host_id):
        self.deleted.append(host_id)
        return self.hosts.pop(host_id, None) is not None


class FakeNova:
    def __init__(self, live=()):
        self.live = set(live)
        self.asked = []

    def server(self, instance_id):
        self.asked.append(instance_id)
        return object() if instance_id in self.live else None


def host(host_id, name, value=UUID, fact='virt::uuid'):
    return SatelliteHost(host_id, name, fact, value)


def deleted_event(instance_id=UUID, metadata=None):
    return parse.parse(*payloads.versioned_delete(instance_id, 'web1', 'p',
                                                  metadata=metadata or {}))


def test_hosts_of_a_deleted_instance_are_removed_one_line_each(caplog):
    satellite = FakeSatellite([host(7, 'web1.example.test'),
                               host(9, 'web1-old.example.test', fact='dmi::system::uuid'),
                               host(11, 'other.example.test', value='another')])
    nova = FakeNova()
    with caplog.at_level(logging.INFO, logger='notify'):
        SatelliteHostHandler(satellite, nova).handle(deleted_event())
    assert sorted(satellite.deleted) == [7, 9] and list(satellite.hosts) == [11]
    assert nova.asked == [UUID]
    lines = [r.getMessage() for r in caplog.records if 'Satellite host' in r.getMessage()]
    assert len(lines) == 2
    assert any('web1.example.test (id 7)' in line and UUID in line for line in lines)
    assert any('web1-old.example.test (id 9)' in line and UUID in line for line in lines)


def test_not_enrolled_in_ipa_makes_no_difference():
    satellite = FakeSatellite([host(7, 'web1.example.test')])
    event = deleted_event(metadata={'ipa_enroll': 'False'})
    SatelliteHostHandler(satellite, FakeNova()).handle(event)
    assert satellite.deleted == [7]


def test_hosts_of_an_instance_nova_still_has_are_kept(caplog):
    satellite = FakeSatellite([host(7, 'web1.example.test')])
    with caplog.at_level(logging.WARNING, logger='notify'):
        SatelliteHostHandler(satellite, FakeNova(live=[UUID])).handle(deleted_event())
    assert satellite.deleted == [] and list(satellite.hosts) == [7]
    assert 'nova still has the instance' in caplog.text


def test_no_host_means_no_nova_question_and_nothing_deleted():
    satellite, nova = FakeSatellite([host(11, 'other', value='another')]), FakeNova()
    SatelliteHostHandler(satellite, nova).handle(deleted_event())
    assert satellite.searched == [UUID] and nova.asked == [] and satellite.deleted == []


def test_a_host_gone_meanwhile_is_said_once(caplog):
    class Racing(FakeSatellite):
        def delete_host(self, host_id):
            self.hosts.pop(host_id)          # removed by someone else first
            return super().delete_host(host_id)

    satellite = Racing([host(7, 'web1.example.test')])
    with caplog.at_level(logging.INFO, logger='notify'):
        SatelliteHostHandler(satellite, FakeNova()).handle(deleted_event())
    assert 'was already gone' in caplog.text


def test_handling_twice_is_harmless():
    satellite = FakeSatellite([host(7, 'web1.example.test')])
    handler = SatelliteHostHandler(satellite, FakeNova())
    handler.handle(deleted_event())
    handler.handle(deleted_event())
    assert satellite.deleted == [7]


def test_a_failed_search_deletes_nothing_and_propagates():
    satellite = FakeSatellite([host(7, 'web1.example.test')],
                              fail=TransientError('Satellite unreachable'))
    with pytest.raises(TransientError):
        SatelliteHostHandler(satellite, FakeNova()).handle(deleted_event())
    assert satellite.deleted == []


def test_dry_run_says_would(caplog):
    satellite = FakeSatellite([host(7, 'web1.example.test')])
    satellite.dry_run = True
    with caplog.at_level(logging.INFO, logger='notify'):
        SatelliteHostHandler(satellite, FakeNova()).handle(deleted_event())
    assert 'dry-run: would remove Satellite host web1.example.test (id 7)' in caplog.text


# -- the factory ------------------------------------------------------------------

def conf_with(**satellite):
    conf = cfg.ConfigOpts()
    opts.register_opts(conf)
    conf([], project='novajoin-notify-tests', default_config_files=[])
    for key, value in satellite.items():
        conf.set_override(key, value, group='satellite')
    return conf


def shared(dry_run=False):
    return Shared(nova=FakeNova(), glance=None, keystone=None, neutron=None, ipa=None,
                  dns=None, naming=None, enrollment=None, locks=None, dry_run=dry_run)


def test_factory_is_off_without_url():
    assert SatelliteHostHandler.from_config(conf_with(), shared()) is None


def test_factory_builds_the_handler():
    conf = conf_with(url='https://satellite.example.test', username='u', password='p',
                     organization='Team B')
    handler = SatelliteHostHandler.from_config(conf, shared(dry_run=True))
    assert isinstance(handler, SatelliteHostHandler) and handler.name == 'satellite'
    assert handler._satellite.dry_run is True


@pytest.mark.parametrize('settings', [
    dict(url='http://satellite.example.test', username='u', password='p'),
    dict(url='https://satellite.example.test', username='u'),
    dict(url='https://satellite.example.test', password='p'),
])
def test_factory_refuses_a_configuration_that_cannot_work(settings):
    with pytest.raises(ConfigurationError):
        SatelliteHostHandler.from_config(conf_with(**settings), shared())
