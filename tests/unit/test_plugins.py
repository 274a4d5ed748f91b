"""The handler plugin seam: entry points, factories, and one handler's failure
never redoing another's finished work."""

import json
import subprocess
import sys
import textwrap

import pytest
import stevedore

from notify import cmd, endpoint, handlers, service
from notify.deadletter import Spool
from notify.errors import BadNotification, PermanentError, TransientError
from notify.events import InstanceDeleted
from notify.handlers.floating_ip import FloatingIPHandler
from notify.handlers.instance import InstanceDeleteHandler
from notify.handlers.satellite import SatelliteHostHandler
from tests import payloads
from tests.emulators.tls import shared_ca


def parsed_conf(tmp_path, extra=''):
    path = tmp_path / 'test.conf'
    path.write_text(textwrap.dedent("""\
        [DEFAULT]
        transport_url = rabbit://u:p@127.0.0.1:1/

        [ipa]
        server = localhost:1
        password = secret
        domain = example.test

        [service_credentials]
        auth_type = password
        auth_url = https://localhost:1/identity/v3
        username = nova
        password = secret
        project_name = service
        """) + textwrap.dedent(extra))
    return cmd.parse_config(['--config-file', str(path)])


def shared(**changes):
    values = dict(nova=object(), glance=object(), keystone=None, neutron=object(),
                  ipa=object(), dns=object(), naming=object(), enrollment=object(),
                  locks=object())
    values.update(changes)
    return handlers.Shared(**values)


def test_the_daemon_builds_its_handlers_through_the_entry_points(tmp_path):
    conf = parsed_conf(tmp_path, """
        [satellite]
        url = https://satellite.example.test
        username = sat
        password = secret
        """)
    built = service.build_handlers(conf)
    assert [(h.name, type(h)) for h in built] == [('ipa_dns', FloatingIPHandler),
                                                  ('ipa_host', InstanceDeleteHandler),
                                                  ('satellite', SatelliteHostHandler)]


def test_factories_leave_out_what_is_not_enabled(tmp_path):
    conf = parsed_conf(tmp_path, """
        [dns]
        manage_floating_ips = False
        """)
    assert [h.name for h in handlers.load(conf, shared())] == ['ipa_host']


def test_a_bad_satellite_configuration_stops_the_daemon_with_one_line(tmp_path):
    path = tmp_path / 'bad.conf'
    path.write_text(textwrap.dedent("""\
        [DEFAULT]
        transport_url = rabbit://u:p@127.0.0.1:1/
        [ipa]
        server = localhost:1
        password = secret
        domain = example.test
        ca_cert = {ca}
        [service_credentials]
        auth_type = password
        auth_url = https://localhost:1/identity/v3
        [satellite]
        url = http://satellite.example.test
        username = sat
        password = secret
        """).format(ca=shared_ca().ca_path))
    done = subprocess.run([sys.executable, '-m', 'notify.cmd', '--config-file', str(path)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    errors = [line for line in done.stderr.splitlines() if ' ERROR ' in line]
    assert len(errors) == 1 and 'Traceback' not in done.stderr
    assert 'configuration: [satellite] url must be an https:// URL' in errors[0]


THIRD_PARTY = '''
from notify.events import InstanceDeleted
from notify.handlers import Handler

SEEN = []

class AuditHandler(Handler):
    name = 'audit'
    events = (InstanceDeleted,)

    @classmethod
    def from_config(cls, conf, shared):
        return cls()

    def handle(self, event):
        SEEN.append(event.instance_id)

class NotAHandler:
    pass

class SameName(AuditHandler):
    pass
'''


def install_package(tmp_path, monkeypatch, entry_points):
    """A third-party distribution on sys.path, as pip would install it."""
    site = tmp_path / 'site'
    (site / 'thirdparty-1.0.dist-info').mkdir(parents=True)
    (site / 'thirdparty_handlers.py').write_text(THIRD_PARTY)
    (site / 'thirdparty-1.0.dist-info' / 'METADATA').write_text(
        'Metadata-Version: 2.1\nName: thirdparty\nVersion: 1.0\n')
    (site / 'thirdparty-1.0.dist-info' / 'entry_points.txt').write_text(
        '[novajoin_notify.handlers]\n' + ''.join(f'{name} = {target}\n'
                                                 for name, target in entry_points))
    monkeypatch.syspath_prepend(str(site))
    # stevedore keeps the entry points of a namespace for the process's life
    monkeypatch.setattr(stevedore.ExtensionManager, 'ENTRY_POINT_CACHE', {})
    sys.modules.pop('thirdparty_handlers', None)


def test_a_third_party_handler_is_loaded_next_to_ours(tmp_path, monkeypatch):
    install_package(tmp_path, monkeypatch, [('audit', 'thirdparty_handlers:AuditHandler')])
    loaded = handlers.load(parsed_conf(tmp_path), shared())
    assert [h.name for h in loaded] == ['audit', 'ipa_dns', 'ipa_host']
    ep = endpoint.NotificationEndpoint([h for h in loaded if h.name == 'audit'])
    ep.info({}, 'nova-compute:c1', *payloads.versioned_delete('i-7', 'web7', 'p'),
            {'message_id': 'm'})
    import thirdparty_handlers
    assert thirdparty_handlers.SEEN == ['i-7']


@pytest.mark.parametrize('target, problem', [
    ('thirdparty_handlers:Missing', 'cannot be loaded'),
    ('no_such_module:Handler', 'cannot be loaded'),
    ('thirdparty_handlers:NotAHandler', 'is not a notify.handlers.Handler'),
    ('thirdparty_handlers:SameName', 'unique name'),
])
def test_a_broken_plugin_is_a_configuration_error(tmp_path, monkeypatch, target, problem):
    install_package(tmp_path, monkeypatch, [('audit', 'thirdparty_handlers:AuditHandler'),
                                            ('broken', target)])
    with pytest.raises(handlers.ConfigurationError, match=problem):
        handlers.load(parsed_conf(tmp_path), shared())


# -- one handler's failure and another's finished work ---------------------------------

class Step(handlers.Handler):
    events = (InstanceDeleted,)

    def __init__(self, name, *outcomes):
        self.name = name
        self.outcomes = list(outcomes)
        self.calls = 0

    def handle(self, event):
        self.calls += 1
        if self.outcomes:
            outcome = self.outcomes.pop(0)
            if outcome is not None:
                raise outcome


def run(steps, rounds=1, spool=None, attempts=2):
    policy = endpoint.RetryPolicy(attempts=attempts, initial_delay=0, max_delay=0,
                                  requeue_delay=0, max_unexpected=5)
    ep = endpoint.NotificationEndpoint(steps, policy=policy, spool=spool,
                                       sleep=lambda s: None)
    message = payloads.versioned_delete('i-1', 'web1', 'p')
    return [ep.info({}, 'nova-compute:c1', *message, {'message_id': 'm-1'})
            for _ in range(rounds)]


def test_a_retry_and_a_hand_back_run_only_the_unfinished_handler():
    ipa = Step('ipa_host')
    sat = Step('satellite', *[TransientError('Satellite unreachable')] * 3)
    results = run([ipa, sat], rounds=2, attempts=2)
    assert results == [endpoint.REQUEUE, endpoint.HANDLED]
    assert ipa.calls == 1 and sat.calls == 4


def test_a_handler_giving_up_does_not_stop_the_others(tmp_path):
    spool = Spool(str(tmp_path / 'failed'))
    ipa = Step('ipa_host', BadNotification('hostname is not a DNS label'))
    sat = Step('satellite', TransientError('down'))
    assert run([ipa, sat], rounds=1, spool=spool) == [endpoint.HANDLED]
    assert ipa.calls == 1 and sat.calls == 2
    [path] = spool.paths()
    assert json.load(open(path))['reason'] == 'bad input: hostname is not a DNS label'


def test_a_permanent_failure_waits_for_the_others_then_is_spooled(tmp_path):
    spool = Spool(str(tmp_path / 'failed'))
    sat = Step('satellite', PermanentError('Satellite refused'))
    ipa = Step('ipa_host', TransientError('IPA down'))
    assert run([sat, ipa], rounds=2, spool=spool, attempts=1) == [endpoint.REQUEUE,
                                                                  endpoint.HANDLED]
    assert sat.calls == 1 and ipa.calls == 2
    assert json.load(open(spool.paths()[0]))['reason'] == 'Satellite refused'


def test_a_bug_in_one_plugin_does_not_block_the_others():
    buggy = Step('audit', RuntimeError('bug'))
    ipa = Step('ipa_host')
    assert run([buggy, ipa], rounds=2) == [endpoint.REQUEUE, endpoint.HANDLED]
    assert buggy.calls == 2 and ipa.calls == 1


def test_a_message_done_is_forgotten():
    ipa = Step('ipa_host')
    assert run([ipa], rounds=2) == [endpoint.HANDLED, endpoint.HANDLED]
    assert ipa.calls == 2     # a later redelivery is new work (handlers are idempotent)
