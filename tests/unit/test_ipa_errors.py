"""IPA answers sorted into the right kind: a missing permission, an expired
password, a dropped session, an unusable CA file; bounded batch requests."""

import logging
import subprocess
import sys
import threading

import pytest
import requests
from python_freeipa import exceptions as ipa_exc

from notify.adapters.ipa_hosts import IPAHosts
from notify import cmd
from notify.adapters import ipa as ipa_adapter
from notify.adapters.ipa import IPAClient
from notify.errors import PermanentError, TransientError

ACI_MESSAGE = ("Insufficient access: Insufficient 'delete' privilege to delete the entry "
               "'fqdn=web1.example.test,cn=computers,cn=accounts,dc=example,dc=test'.")


class TrackedSession(requests.Session):
    def __init__(self):
        super().__init__()
        self.closed = False

    def close(self):
        self.closed = True
        super().close()


class World:
    """What the fake IPA does: the answers and errors of each command."""

    version = '2.253'

    def __init__(self):
        self.clients, self.requests, self.logins = [], [], 0
        self.login_error = None
        self.errors = {}          # method -> exception raised for it (direct)
        self.batch_answer = None  # callable(methods) -> answer of 'batch'
        self.block = None         # threading.Event a 'batch' request waits for

    def __call__(self, server, verify_ssl, dns_discovery):
        client = FakeClient(self, server)
        self.clients.append(client)
        return client


class FakeClient:
    def __init__(self, world, server):
        self.world, self.server = world, server
        self._session = TrackedSession()
        self.current_host = None

    def login(self, username, password):
        self.world.logins += 1
        if self.world.login_error is not None:
            raise self.world.login_error
        self.current_host = self.server

    def _request(self, method, args=None, params=None):
        adapter = self._session.get_adapter(f'https://{self.server}/ipa')
        timeout = getattr(adapter, 'timeout', getattr(adapter, '_timeout', None))
        self.world.requests.append((method, args, params, timeout))
        if method in self.world.errors:
            raise self.world.errors[method]
        if method == 'batch':
            if self.world.block is not None:
                self.world.block.wait(10)
            return self.world.batch_answer(args[0])
        return {'result': {'fqdn': args}, 'value': args}


def denied_entry(request):
    return {'error': ACI_MESSAGE, 'error_code': 2100, 'error_name': 'ACIError'}


def client(world, **kw):
    kw.setdefault('timeout', 30.0)
    return IPAClient(['ipa1.example.test'], '/etc/ipa/ca.crt', 'novajoin-notify', 'pw',
                     client_factory=world, **kw)


def concurrently(func, args_list):
    results = {}

    def work(key, *args):
        try:
            results[key] = func(*args)
        except Exception as exc:
            results[key] = exc

    threads = [threading.Thread(target=work, args=(i, *a)) for i, a in enumerate(args_list)]
    [t.start() for t in threads]
    [t.join(20) for t in threads]
    assert not any(t.is_alive() for t in threads), 'a call never returned'
    return [results[i] for i in range(len(args_list))]


# -- a missing permission ------------------------------------------------------

def test_denied_command_is_permanent_and_names_what_ipa_refused(caplog):
    world = World()
    world.errors['host_del'] = ipa_exc.Denied(ACI_MESSAGE, 2100)
    ipa = client(world)
    with caplog.at_level(logging.DEBUG, logger='notify'):
        with pytest.raises(PermanentError) as info:
            IPAHosts(ipa).remove('web1.example.test')
    text = str(info.value)
    assert 'host_del' in text and "'delete' privilege" in text and 'web1.example.test' in text
    assert world.logins == 1, 'a missing permission is not an expired session'
    assert [r[0] for r in world.requests] == ['host_del']
    # The endpoint says it once (when it gives up); the adapter adds nothing.
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


def test_denied_reads_the_same_on_the_direct_and_the_batch_path():
    direct = World()
    direct.errors['host_del'] = ipa_exc.Denied(ACI_MESSAGE, 2100)
    with pytest.raises(PermanentError) as alone:
        IPAHosts(client(direct)).remove('web1.example.test')

    batched = World()
    batched.batch_answer = lambda methods: {'count': len(methods),
                                            'results': [denied_entry(m) for m in methods]}
    ipa = client(batched, batch_window=0.3, batch_size=10)
    outcomes = concurrently(IPAHosts(ipa).remove,
                            [('web1.example.test',), ('web2.example.test',)])
    assert [r[0] for r in batched.requests] == ['batch'], 'the two calls were not batched'
    assert all(isinstance(o, PermanentError) for o in outcomes), outcomes
    assert str(outcomes[0]) == str(alone.value)


# -- the password of the [ipa] user expires -------------------------------------

def test_expired_password_is_one_error_line_and_the_work_waits(caplog):
    world = World()
    world.login_error = ipa_exc.PasswordExpired()
    ipa = client(world)
    with caplog.at_level(logging.DEBUG, logger='notify'):
        for _ in range(3):
            with pytest.raises(TransientError):
                IPAHosts(ipa).remove('web1.example.test')
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1, errors
    assert 'password of novajoin-notify has expired' in errors[0]

    world.login_error = None
    caplog.clear()
    with caplog.at_level(logging.INFO, logger='notify'):
        assert IPAHosts(ipa).remove('web1.example.test') is True
    assert 'accepts the login of novajoin-notify again' in caplog.text

    # The session ends (401) and the password has expired again: said again.
    world.login_error = ipa_exc.PasswordExpired()
    world.errors['host_del'] = ipa_exc.Unauthorized()
    caplog.clear()
    with caplog.at_level(logging.ERROR, logger='notify'):
        with pytest.raises(TransientError):
            IPAHosts(ipa).remove('web2.example.test')
    assert len(caplog.records) == 1


# -- dropped clients, an unusable CA file --------------------------------------

def test_dropped_clients_are_closed():
    world = World()
    world.errors['host_del'] = requests.ConnectionError('connection refused')
    ipa = client(world)
    with pytest.raises(TransientError):
        IPAHosts(ipa).remove('web1.example.test')
    assert world.clients and all(c._session.closed for c in world.clients)

    world.errors.clear()
    world.login_error = ipa_exc.Unauthorized('503 Service Unavailable')
    with pytest.raises(TransientError):
        IPAHosts(ipa).remove('web1.example.test')
    assert all(c._session.closed for c in world.clients), 'a client that never logged in'


def test_unreadable_ca_cert_at_run_time_is_transient():
    world = World()
    world.errors['host_del'] = OSError('Could not find a suitable TLS CA certificate '
                                       'bundle, invalid path: /etc/ipa/ca.crt')
    with pytest.raises(TransientError):
        IPAHosts(client(world)).remove('web1.example.test')


def missing_ca_config(tmp_path):
    """A configuration whose [ipa] ca_cert names a file that does not exist."""
    conf_file = tmp_path / 'c.conf'
    conf_file.write_text(
        '[DEFAULT]\ntransport_url = rabbit://u:p@127.0.0.1:1/\n'
        f'[ipa]\nserver = ipa1\ndomain = example.test\npassword = x\n'
        f'ca_cert = {tmp_path / "missing.crt"}\n'
        '[service_credentials]\nauth_type = password\n')
    return conf_file


def test_missing_or_unreadable_ca_cert_is_a_configuration_problem(tmp_path):
    garbage = tmp_path / 'garbage.crt'
    garbage.write_text('not a certificate\n')
    conf_file = missing_ca_config(tmp_path)
    problems = cmd.config_problems(cmd.parse_config(['--config-file', str(conf_file)]))
    assert problems == [f'[ipa] ca_cert {tmp_path / "missing.crt"} cannot be used: '
                        'No such file or directory']
    assert 'cannot be used' in ipa_adapter.check_ca_cert(str(garbage))
    assert ipa_adapter.check_ca_cert(requests.certs.where()) is None


def test_daemon_with_a_missing_ca_cert_exits_2_with_one_line(tmp_path):
    conf_file = missing_ca_config(tmp_path)
    try:
        done = subprocess.run([sys.executable, '-m', 'notify.cmd', '--config-file',
                               str(conf_file)], capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired:
        pytest.fail('the daemon started with a missing [ipa] ca_cert')
    assert done.returncode == 2
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and 'ca_cert' in lines[0] and 'ERROR' in lines[0], lines


# -- batch requests: sized, capped, short answers ---------------------------

def entries_ok(methods):
    return {'count': len(methods), 'results': [{'error': None, 'result': {}}
                                               for _ in methods]}


def test_batch_request_timeout_grows_with_its_entries_and_writes_are_capped():
    world = World()
    world.batch_answer = entries_ok
    ipa = client(world, batch_window=0.3, batch_size=50, batch_max_writes=3)
    names = [(f'web{i}.example.test',) for i in range(8)]
    outcomes = concurrently(IPAHosts(ipa).remove, names)
    assert outcomes == [True] * 8
    batches = [r for r in world.requests if r[0] == 'batch']
    singles = [r for r in world.requests if r[0] != 'batch']
    assert batches, 'nothing was batched'
    assert all(len(r[1][0]) <= 3 for r in batches), [len(r[1][0]) for r in batches]
    assert sum(len(r[1][0]) for r in batches) + len(singles) == 8
    for method, args, _, timeout in batches:
        assert timeout == pytest.approx(ipa.request_timeout(
            [(m['method'], (), {}) for m in args[0]]))
        assert timeout > 30.0
    assert all(timeout == 30.0 for *_, timeout in singles)


def test_short_batch_answer_fails_the_calls_left_without_a_result():
    world = World()
    world.batch_answer = lambda methods: entries_ok(methods[:1])
    ipa = client(world, batch_window=0.3, batch_size=10)
    outcomes = concurrently(IPAHosts(ipa).remove, [('web1.example.test',), ('web2.example.test',),
                                              ('web3.example.test',)])
    assert len([r for r in world.requests if r[0] == 'batch']) == 1
    assert outcomes.count(True) == 1
    assert sum(isinstance(o, TransientError) for o in outcomes) == 2, outcomes



def test_short_batch_answer_gives_every_call_an_outcome_without_the_batcher():
    world = World()
    world.batch_answer = lambda methods: entries_ok(methods[:1])
    calls = [('host_show', (f'web{i}.example.test',), {}) for i in range(3)]
    results = client(world)._call_batch(calls)   # also what a direct batch caller gets
    assert len(results) == 3 and isinstance(results[0], dict)
    assert all(isinstance(r, TransientError) for r in results[1:]), results


def test_addresses_without_a_reverse_zone_are_remembered_within_a_bound():
    from notify.adapters.ipa_dns import IPADns

    class NoZones:
        def call(self, method, *args, **options):
            assert method == 'dnszone_find'
            return {'result': []}

    dns = IPADns(NoZones())
    for i in range(10_000):
        assert dns.reverse(f'10.{i // 65536}.{i // 256 % 256}.{i % 256}') is None
    assert len(dns._missing_reverse_said) <= 4096
