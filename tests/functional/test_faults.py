"""Fault tests: the real daemon, a real broker and the emulators, with faults injected.

Each test publishes a known set of events, injects a fault (IPA down, the broker
restarted, a daemon killed, sessions expiring, a replica down, hostile input,
signals), then compares IPA's final state with the expected one:

- lost: a host that had to be removed is still there;
- wrong: a host that had to stay (not enrolled, or a live instance carries its
  name) was removed;
- duplicates: host_del calls for a host already removed (redeliveries).

Every test records its figures in the session's ``fault_report`` (printed as a
table at the end of the run). Every loop is bounded in count and time.
"""

import collections
import datetime
import glob
import json
import os
import random
import signal
import subprocess
import time
import uuid

import pytest

from tests import harness, payloads
from tests.emulators.ipa import IPAEmulator
from tests.functional.conftest import OTHER_PROJECT, PROJECT
from tests.harness import wait_for
from notify.decide import NOVAJOIN_MARKER as MARKER

ENROLLED = {'ipa_enroll': 'true'}
NOT_ENROLLED = {'ipa_enroll': 'false'}
DOMAIN = harness.IPA_DOMAIN
ZONE = DOMAIN + '.'
# README: this daemon's default [oslo_messaging_rabbit] rabbit_qos_prefetch_count.
PREFETCH = 64
HANDBACK = 'handing back'
SPOOL_KEYS = {'reason', 'event_type', 'payload', 'message_id', 'exchange', 'publisher_id',
              'priority', 'attempts', 'spooled_at'}


# ---------------------------------------------------------------------------
# helpers

def spool_dir(tmp_path):
    return str(tmp_path / 'spool')


def fast_retries(tmp_path, requeue_delay=0.5, attempts=2):
    """Short in-process retries and hand-back pause; a spool of the test's own."""
    return (f'[listener]\nretry_attempts = {attempts}\nretry_initial_delay = 0.05\n'
            f'retry_max_delay = 0.2\nrequeue_delay = {requeue_delay}\n'
            f'[dead_letter]\nspool_dir = {spool_dir(tmp_path)}\n')


def spooled(tmp_path):
    return sorted(glob.glob(os.path.join(spool_dir(tmp_path), '*.json')))


def read_spool(path):
    with open(path) as f:
        return json.load(f)


def drained(rabbit, topic, timeout=60):
    """Every message on the daemon's queue has been acknowledged."""
    rabbit.wait_queue(f'{topic}.info', lambda q: q is not None and q['messages'] == 0,
                      timeout=timeout)


def queue_messages(rabbit, topic):
    info = rabbit.queues().get(f'{topic}.info')
    return None if info is None else info['messages']


def host_del_fqdns(ipa):
    out = []
    for call in list(ipa.call_log):
        if call[0] != 'host_del':
            continue
        args = call[1]
        fqdn = args[0] if isinstance(args, (list, tuple)) and args else args
        if isinstance(fqdn, (list, tuple)):
            fqdn = fqdn[0] if fqdn else None
        out.append(str(fqdn).rstrip('.').lower())
    return out


def duplicates(ipa):
    """host_del calls beyond the first for the same host."""
    counts = collections.Counter(host_del_fqdns(ipa))
    return sum(n - 1 for n in counts.values() if n > 1)


def log_stamps(log, needle):
    """Timestamps (epoch seconds) of the log lines containing ``needle``."""
    stamps = []
    for line in log.splitlines():
        if needle in line and line[:4].isdigit():
            try:
                stamps.append(datetime.datetime.strptime(
                    line[:23], '%Y-%m-%d %H:%M:%S.%f').timestamp())
            except ValueError:
                pass
    return sorted(stamps)


def max_per_window(stamps, window=1.0):
    """The most timestamps within any half-open window of ``window`` seconds."""
    best = 0
    start = 0
    for end, t in enumerate(stamps):
        while stamps[start] <= t - window:
            start += 1
        best = max(best, end - start + 1)
    return best


def issued_secrets(ipa, cloud):
    """Keystone tokens and IPA session cookies issued so far (best effort)."""
    found = []
    tokens = getattr(cloud, 'issued_tokens', None)
    if callable(tokens):
        found += list(tokens())
    else:
        with cloud._lock:
            found += list(getattr(cloud, '_tokens', {}))
    with ipa._lock:
        found += list(getattr(ipa, '_sessions', {}))
    return [s for s in found if s and len(s) >= 8]


def scan_for_secrets(texts, secrets):
    leaks = []
    for where, text in texts.items():
        for secret in secrets:
            if secret in text:
                leaks.append(where)
    return leaks


class Workload:
    """Deletes of instances whose IPA hosts must go, or must stay."""

    def __init__(self, ipa, cloud, prefix, seed=1):
        self.ipa = ipa
        self.cloud = cloud
        self.prefix = prefix
        self.rng = random.Random(seed)
        self.events = []
        self.remove = []     # fqdns that must be gone at the end
        self.keep = []       # fqdns that must still be there

    def _event(self, name, metadata, project=PROJECT):
        instance_id = str(uuid.uuid4())
        if self.rng.random() < 0.5:
            return payloads.legacy_delete(instance_id, name, project, metadata=metadata)
        return payloads.versioned_delete(instance_id, name, project, metadata=metadata)

    def enrolled(self, count, address=False):
        for i in range(count):
            name = f'{self.prefix}e{len(self.remove)}'
            fqdn = f'{name}.{DOMAIN}'
            self.ipa.add_host(fqdn, description=MARKER)
            if address:
                self.ipa.add_record(ZONE, name, 'A', f'192.0.2.{len(self.remove) % 250 + 1}')
            self.remove.append(fqdn)
            self.events.append(self._event(name, ENROLLED))
        return self

    def not_enrolled(self, count):
        for i in range(count):
            name = f'{self.prefix}n{i}'
            fqdn = f'{name}.{DOMAIN}'
            self.ipa.add_host(fqdn, description=MARKER)
            self.keep.append(fqdn)
            self.events.append(self._event(name, NOT_ENROLLED if i % 2 else {}))
        return self

    def carried(self, count):
        """Enrolled, but a live instance (another project) still has the name."""
        for i in range(count):
            name = f'{self.prefix}c{i}'
            fqdn = f'{name}.{DOMAIN}'
            self.ipa.add_host(fqdn, description=MARKER)
            self.cloud.add_server(str(uuid.uuid4()), name, OTHER_PROJECT)
            self.keep.append(fqdn)
            self.events.append(self._event(name, ENROLLED))
        return self

    def shuffle(self):
        self.rng.shuffle(self.events)
        return self

    def lost(self):
        return [f for f in self.remove if self.ipa.has_host(f)]

    def wrong(self):
        return [f for f in self.keep if not self.ipa.has_host(f)]

    def gone(self):
        return sum(1 for f in self.remove if not self.ipa.has_host(f))


def publish(publisher, events):
    for event_type, payload in events:
        publisher.send(event_type, payload)


def wait_all_removed(workload, timeout, what='all enrolled hosts removed'):
    try:
        wait_for(lambda: not workload.lost(), timeout=timeout, interval=0.5, what=what)
    except TimeoutError:
        pass   # reported as lost by the caller


def envelope(message_id, event_type, payload, priority='INFO', **fields):
    message = dict(message_id=message_id, publisher_id='compute.hostile',
                   timestamp='2026-11-22 10:00:00.000000', priority=priority,
                   event_type=event_type, payload=payload, **fields)
    return json.dumps({'oslo.version': '2.0', 'oslo.message': json.dumps(message)})


# ---------------------------------------------------------------------------
# 1. IPA down for a window in the middle of a burst

def test_ipa_down_window(start_daemon, nova, ipa, cloud, rabbit, topic, tmp_path,
                         fault_report):
    work = Workload(ipa, cloud, 'dw').enrolled(400).not_enrolled(50).carried(50).shuffle()
    requeue_delay = 0.5
    bound = PREFETCH / requeue_delay
    daemon = start_daemon(extra=fast_retries(tmp_path, requeue_delay)
                          + '[DEFAULT]\ndebug = False\n')
    publish(nova, work.events)
    wait_for(lambda: work.gone() >= 100, timeout=60, interval=0.2, what='100 hosts removed')
    ipa.down = True
    down_at = time.time()
    gone_at_down = work.gone()
    time.sleep(8)
    ipa.down = False
    up_at = time.time()
    wait_all_removed(work, timeout=120)
    drained(rabbit, topic, timeout=60)
    log = daemon.log()
    stamps = log_stamps(log, HANDBACK)
    in_window = [t for t in stamps if down_at - 1 <= t <= up_at + 1]
    peak = max_per_window(stamps)
    mean = len(in_window) / max(up_at - down_at, 0.001)
    lost, wrong = work.lost(), work.wrong()
    fault_report.record(
        'ipa_down_window', events=len(work.events), faults=f'IPA 503 for {up_at - down_at:.0f}s',
        lost=len(lost), wrong=len(wrong), duplicates=duplicates(ipa),
        extra=f'handbacks {len(stamps)}, mean {mean:.1f}/s, peak {peak}/s (bound {bound:.0f}); '
              f'{gone_at_down} done before outage; keystone tokens issued '
              f'{cloud.stats["token_issues"]}')
    assert daemon.process.poll() is None, 'the daemon died'
    assert lost == [] and wrong == []
    assert stamps, 'no hand-back was logged while IPA was down'
    assert peak <= bound, f'{peak} hand-backs in one second, bound {bound}'
    assert spooled(tmp_path) == [], 'a transient outage must not spool anything'


# ---------------------------------------------------------------------------
# 2. broker restarts: tests/functional/test_faults_broker.py


# ---------------------------------------------------------------------------
# 3. two daemons on one queue, one SIGKILLed mid-burst

def test_two_daemons_one_killed(start_daemon, nova, ipa, cloud, rabbit, topic, tmp_path,
                                fault_report):
    work = Workload(ipa, cloud, 'tk').enrolled(300)
    ipa.latency, cloud.latency = 0.5, 0.3   # keep work in flight on both
    extra = fast_retries(tmp_path) + '[DEFAULT]\ndebug = False\n'
    first = start_daemon(extra=extra, name='first')
    second = start_daemon(extra=extra, name='second')
    wait_for(lambda: (rabbit.queues().get(f'{topic}.info') or {}).get('consumers') == 2,
             timeout=30, what='two consumers')
    publish(nova, work.events)
    wait_for(lambda: work.gone() >= 60, timeout=60, interval=0.1, what='60 removed')
    first.kill()
    gone_at_kill = work.gone()
    ipa.latency = cloud.latency = 0
    wait_all_removed(work, timeout=120)
    drained(rabbit, topic)
    lost = work.lost()
    by_first = first.log().count('removed IPA host')
    by_second = second.log().count('removed IPA host')
    already = second.log().count('already gone')
    dups = duplicates(ipa)
    fault_report.record(
        'two_daemons_one_killed', events=len(work.events), faults='SIGKILL 1 of 2 daemons',
        lost=len(lost), wrong=0, duplicates=dups,
        extra=f'{gone_at_kill} done at kill; removed by killed {by_first}, by survivor '
              f'{by_second}; survivor "already gone" {already}; keystone tokens issued '
              f'{cloud.stats["token_issues"]}')
    assert second.process.poll() is None, 'the survivor died'
    assert lost == []
    assert dups <= PREFETCH, 'more duplicates than the killed daemon could hold unacked'


# ---------------------------------------------------------------------------
# 4. IPA sessions expiring every 7 calls

def test_session_expiry(start_daemon, nova, ipa, cloud, rabbit, topic, tmp_path,
                        fault_report):
    work = Workload(ipa, cloud, 'se').enrolled(200)
    ipa.session_max_calls = 7
    daemon = start_daemon(extra=fast_retries(tmp_path))
    publish(nova, work.events)
    wait_all_removed(work, timeout=90)
    drained(rabbit, topic)
    lost = work.lost()
    logins, unauthorized = ipa.stats['logins'], ipa.stats['unauthorized']
    handbacks = daemon.log().count(HANDBACK)
    fault_report.record(
        'session_expiry', events=len(work.events), faults='IPA session dies every 7 calls',
        lost=len(lost), wrong=0, duplicates=duplicates(ipa),
        extra=f'logins {logins}, 401s {unauthorized}, hand-backs {handbacks}')
    assert lost == []
    assert logins > 1 and unauthorized > 0
    assert handbacks == 0, 'a 401 must be healed by one new login, not by a hand-back'


# ---------------------------------------------------------------------------
# 5. the first IPA replica is down: the second is used

@pytest.mark.parametrize('how', ['refused', '503'])
def test_first_replica_down(start_daemon, nova, ipa, cloud, rabbit, topic, tmp_path, how,
                            fault_report):
    second = IPAEmulator(domain=DOMAIN).start()
    try:
        second.add_zone(DOMAIN)
        work = Workload(second, cloud, 'rp').enrolled(30)
        if how == 'refused':
            ipa.pause_listening()
        else:
            ipa.down = True
        daemon = start_daemon(extra=fast_retries(tmp_path) +
                              f'[ipa]\nserver = {ipa.server}, {second.server}\n')
        publish(nova, work.events)
        wait_all_removed(work, timeout=60)
        drained(rabbit, topic)
        lost = work.lost()
        switched = daemon.log().count('is unavailable')
        fault_report.record(
            f'first_replica_down[{how}]', events=len(work.events),
            faults=f'IPA replica 1 {"refuses connections" if how == "refused" else "answers 503"}',
            lost=len(lost), wrong=0, duplicates=duplicates(second),
            extra=f'replica 1 tried {switched}x, logins on replica 2 {second.stats["logins"]}, '
                  f'hand-backs {daemon.log().count(HANDBACK)}')
        assert lost == []
        assert host_del_fqdns(ipa) == []
        assert second.stats['logins'] >= 1
    finally:
        second.stop()


# ---------------------------------------------------------------------------
# 6. malformed and hostile messages interleaved with good deletes

HOSTILE_HOSTNAMES = {
    'h-fullwidth': 'ｗｅｂ１',
    'h-newline': 'web1\nINJECT',
    'h-other-domain': 'a.b.other-domain',
    'h-evil-suffix': 'web1.example.test.evil.org',
    'h-dotdot': '../x',
    'h-slash': 'web1/../../ipa',
    'h-underscore': 'web_1',
    'h-leading-hyphen': '-web1',
    'h-space': 'web1 ',
    'h-semicolon': 'web1;rm -rf',
    'h-label-64': 'x' * 64,
    'h-empty': '',
    'h-nul': 'web1\x00',
    'h-empty-label': '.example.test',
    'h-double-dot': 'web1..example.test',
    'h-wildcard': '*.example.test',
    'h-bare-domain': 'example.test',
    'h-huge-hostname': 'a' * 1_000_000,
}
HOSTILE_MARKERS = ('ｗｅｂ', 'INJECT', 'other-domain', 'evil', '..', 'web_1', '-web1',
                   'web1 ', ';', 'x' * 64, '\x00', '*', 'aaaaaaaaaa', '%eth0', '999.1',
                   'not-an-ip', '/32', '198.051')


def test_hostile_corpus(start_daemon, nova, ipa, cloud, rabbit, topic, tmp_path,
                        fault_report):
    ipa.add_host('web1.example.test', description=MARKER)   # the full-width twin's ASCII namesake
    good = Workload(ipa, cloud, 'ok').enrolled(12)
    # An enrolled live instance with a port: a floating IP that passed parsing
    # would reach IPA as a DNS record.
    server_id = str(uuid.uuid4())
    port_id = str(uuid.uuid4())
    cloud.add_server(server_id, 'fipvm', PROJECT, metadata=dict(ENROLLED))
    cloud.add_port(port_id, server_id, 'compute:nova', project_id=PROJECT)
    ipa.add_host('fipvm.example.test', description=MARKER)
    daemon = start_daemon(extra=fast_retries(tmp_path))
    key = f'{topic}.info'
    url = rabbit.transport_url

    def raw(body, exchange='nova'):
        harness.publish_raw(url, exchange, key, body)

    with_id = {}      # message id -> body (each must give exactly one ERROR line)
    unreadable = []   # bodies oslo.messaging cannot decode (one 'dropping' line each)
    legacy = lambda name, **kw: payloads.legacy_delete(str(uuid.uuid4()), name, PROJECT,
                                                       metadata=ENROLLED, **kw)[1]
    for message_id, hostname in HOSTILE_HOSTNAMES.items():
        with_id[message_id] = envelope(message_id, 'compute.instance.delete.end',
                                       legacy(hostname))
    versioned = payloads.versioned_delete(str(uuid.uuid4()), 'web1', PROJECT,
                                          metadata=ENROLLED)[1]
    for message_id, change in {
        'h-versioned-major': {'nova_object.version': '2.0'},
        'h-versioned-name': {'nova_object.name': 'InstanceCreatePayload'},
        'h-versioned-nodata': {'nova_object.data': 'nothing'},
        'h-versioned-fullwidth': {'nova_object.data': dict(versioned['nova_object.data'],
                                                           host_name='ｗｅｂ１')},
    }.items():
        with_id[message_id] = envelope(message_id, 'instance.delete.end',
                                       dict(versioned, **change))
    for message_id, (field, value) in {
        'h-type-hostname-int': ('hostname', 123),
        'h-type-hostname-null': ('hostname', None),
        'h-type-hostname-list': ('hostname', ['web1']),
        'h-type-metadata-list': ('metadata', ['ipa_enroll', 'true']),
        'h-type-tenant-dict': ('tenant_id', {'id': PROJECT}),
    }.items():
        with_id[message_id] = envelope(message_id, 'compute.instance.delete.end',
                                       dict(legacy('web1'), **{field: value}))
    with_id['h-payload-string'] = envelope('h-payload-string', 'compute.instance.delete.end',
                                           'web1')
    with_id['h-payload-null'] = envelope('h-payload-null', 'instance.delete.end', None)
    with_id['h-priority-null'] = envelope('h-priority-null', 'compute.instance.delete.end',
                                          legacy('web1'), priority=None)
    with_id['h-priority-int'] = envelope('h-priority-int', 'compute.instance.delete.end',
                                         legacy('web1'), priority=3)
    with_id['h-priority-list'] = envelope('h-priority-list', 'compute.instance.delete.end',
                                          legacy('web1'), priority=['info'])
    with_id['h-no-envelope'] = json.dumps({
        'message_id': 'h-no-envelope', 'event_type': 'compute.instance.delete.end',
        'priority': 'INFO', 'payload': 'web1', 'publisher_id': 'x'})
    fip_events = {}
    for message_id, address in {
        'h-fip-999': '999.1.1.1', 'h-fip-word': 'not-an-ip', 'h-fip-cidr': '198.51.100.7/32',
        'h-fip-space': ' 198.51.100.7', 'h-fip-sql': "198.51.100.7'; DROP",
        'h-fip-int': 3325256711, 'h-fip-null': None, 'h-fip-scope': 'fe80::1%eth0',
        'h-fip-leading-zero': '198.051.100.007',
    }.items():
        fip = payloads.neutron_floatingip(f'fip-{message_id}', address, port_id, '10.0.0.5',
                                          PROJECT, device_id=server_id)
        fip_events[message_id] = envelope(message_id, 'floatingip.update.end',
                                          {'floatingip': fip})
    fip_events['h-nn-int'] = envelope('h-nn-int', 'network.floating_ip.associate',
                                      {'floating_ip': 12345, 'instance_id': server_id})
    fip_events['h-fip-list'] = envelope('h-fip-list', 'floatingip.delete.end', [1, 2])
    unreadable += [
        b'{"oslo.version": "2.0", "oslo.message": "{\\"message_id\\": \\"h-trunc',
        json.dumps({'oslo.version': '2.0', 'oslo.message': '{"message_id": "h-trunc2", '}),
        b'\xff\xfe\x00garbage',
        b'[1, 2, 3]',
        b'42',
        b'x' * 1_000_000,
    ]
    bad_via_notifier = [
        ('compute.instance.delete.end', 'a string'),
        ('instance.delete.end', [1, 2, 3]),
        ('compute.instance.delete.end', None),
        ('floatingip.update.end', {'floatingip': 'nope'}),
        ('compute.instance.delete.end', dict(legacy('web1'), hostname='web1.example.test.'
                                             'evil.org')),
    ]
    corpus = len(with_id) + len(fip_events) + len(unreadable) + len(bad_via_notifier)
    assert corpus >= 30

    # Interleave: good deletes between batches of hostile ones.
    good_events = list(good.events)
    big = list(good_events[-1])
    big[1] = dict(big[1])
    if 'nova_object.data' in big[1]:
        big[1]['nova_object.data'] = dict(big[1]['nova_object.data'],
                                          metadata=dict(ENROLLED, junk='j' * 1_000_000))
    else:
        big[1]['metadata'] = dict(ENROLLED, junk='j' * 1_000_000)
    good_events[-1] = tuple(big)
    hostile = ([('raw', b, 'nova') for b in with_id.values()]
               + [('raw', b, 'neutron') for b in fip_events.values()]
               + [('raw', b, 'nova') for b in unreadable]
               + [('notifier', e, None) for e in bad_via_notifier])
    random.Random(6).shuffle(hostile)
    for i, (kind, item, exchange) in enumerate(hostile):
        if kind == 'raw':
            raw(item, exchange)
        else:
            nova.send(*item)
        if i % 4 == 3 and good_events:
            nova.send(*good_events.pop(0))
    publish(nova, good_events)
    # A good floating IP afterwards: proves the floating-IP path reaches IPA.
    cloud.add_floatingip('fip-good', '198.51.100.77', port_id, None, PROJECT)
    neutron = harness.Publisher(url, 'neutron', topic, publisher_id='network.controller-0')
    try:
        neutron.send('floatingip.update.end', {'floatingip': payloads.neutron_floatingip(
            'fip-good', '198.51.100.77', port_id, '10.0.0.5', PROJECT, device_id=server_id)})
    finally:
        neutron.close()

    wait_all_removed(good, timeout=60)
    wait_for(lambda: ipa.records(ZONE, 'fipvm').get('A') == ['198.51.100.77'], timeout=30,
             what='good floating IP published')
    drained(rabbit, topic)
    alive = daemon.process.poll() is None
    log = daemon.log()
    errors = harness.log_lines(log, 'ERROR')
    per_id = {mid: sum(1 for line in errors if mid + ' ' in line or mid + ':' in line
                       or line.endswith(mid))
              for mid in list(with_id) + list(fip_events)}
    not_once = {mid: n for mid, n in per_id.items() if n != 1}
    drops = log.count('dropping a message that is not a readable notification')
    calls = json.dumps([list(c) for c in ipa.call_log], ensure_ascii=False)
    reached = [m for m in HOSTILE_MARKERS if m in calls]
    fqdns_deleted = set(host_del_fqdns(ipa))
    unexpected_deletes = fqdns_deleted - set(good.remove)
    longest = max((len(line) for line in log.splitlines()), default=0)
    lost = good.lost()
    fault_report.record(
        'hostile_corpus', events=corpus + len(good.events) + 1,
        faults=f'{corpus} malformed/hostile messages',
        lost=len(lost), wrong=int(not ipa.has_host('web1.example.test')) + len(unexpected_deletes),
        duplicates=duplicates(ipa),
        extra=f'ERROR lines {len(errors)}, drops {drops}/{len(unreadable)}, ids not logged '
              f'once {len(not_once)}, hostile values reaching IPA {len(reached)}, spooled '
              f'{len(spooled(tmp_path))}, longest log line {longest} chars')
    problems = []
    if not alive:
        problems.append('the daemon died')
    if lost:
        problems.append(f'good deletes not done: {lost}')
    if not ipa.has_host('web1.example.test'):
        problems.append('the full-width twin removed web1')
    if reached:
        problems.append(f'hostile values reached IPA: {reached}')
    if unexpected_deletes:
        problems.append(f'unexpected host_del: {sorted(unexpected_deletes)}')
    if not_once:
        problems.append(f'message ids not logged exactly once at ERROR: {not_once}')
    if drops != len(unreadable):
        problems.append(f'{drops} "dropping a message that is not a readable notification" '
                        f'lines for {len(unreadable)} unreadable bodies')
    if 'Traceback' in log:
        problems.append(f'{log.count("Traceback")} tracebacks in the log')
    # Each id, each bad message sent by the Notifier and each drop: one line, no more.
    expected_errors = len(with_id) + len(fip_events) + len(unreadable) + len(bad_via_notifier)
    if len(errors) != expected_errors:
        problems.append(f'{len(errors)} ERROR lines, expected {expected_errors}')
    assert not problems, 'hostile corpus:\n' + '\n'.join(problems)


# ---------------------------------------------------------------------------
# 7. secrets: --dump during a burst, with secrets in contexts and payloads

def test_no_secrets_in_dump_and_logs(start_daemon, nova, ipa, cloud, rabbit, topic,
                                     tmp_path, fault_report):
    work = Workload(ipa, cloud, 'sc').enrolled(60)
    daemon = start_daemon(extra=fast_retries(tmp_path))
    dumper = start_daemon(args=['--dump'], name='dump', wait_ready=False)
    wait_for(lambda: 'dump: listening' in dumper.log() or dumper.process.poll() is not None,
             what='dump start')
    assert dumper.process.poll() is None, dumper.log()[-2000:]
    publish(nova, work.events[:20])
    wait_for(lambda: work.gone() >= 5, timeout=30, what='a first few removed')
    tokens = issued_secrets(ipa, cloud)
    assert tokens, 'the daemon should hold a keystone token and an IPA session by now'
    token = next(t for t in tokens if t.startswith('gAAAA'))
    # Old nova put the user's token in the context; some payloads carry passwords.
    old_style = {'event_type': 'compute.instance.delete.end', 'priority': 'INFO',
                 'publisher_id': 'compute.old', 'message_id': 'sc-old',
                 'timestamp': '2026-11-22 10:00:00',
                 'payload': payloads.legacy_delete(str(uuid.uuid4()), 'sc-none', PROJECT)[1],
                 '_context_auth_token': token, '_context_password': ipa.password,
                 '_context_user_id': 'u-old'}
    harness.publish_raw(rabbit.transport_url, 'nova', f'{topic}.info',
                        json.dumps({'oslo.version': '2.0', 'oslo.message': json.dumps(old_style)}))
    nova.send('compute.instance.create.end',
              {'admin_password': cloud.password, 'password': ipa.password, 'auth_token': token,
               'transport_url': f'rabbit://nova:{ipa.password}@ctl1:5672/'})
    publish(nova, work.events[20:])
    wait_all_removed(work, timeout=60)
    wait_for(lambda: dumper.stdout().count('"event_type"') >= len(work.events) + 2,
             timeout=30, what='every message dumped')
    drained(rabbit, topic)
    rc = dumper.stop(signal.SIGINT)
    daemon.stop()
    secrets = [ipa.password, cloud.password] + issued_secrets(ipa, cloud) + [token]
    texts = {'daemon log': daemon.log(), 'daemon stdout': daemon.stdout(),
             'dump stdout': dumper.stdout(), 'dump log': dumper.log()}
    leaks = scan_for_secrets(texts, secrets)
    fault_report.record(
        'no_secrets_in_dump_and_logs', events=len(work.events) + 2,
        faults='secrets in context and payload', lost=len(work.lost()), wrong=0,
        duplicates=duplicates(ipa),
        extra=f'{len(set(secrets))} secrets checked in {len(texts)} outputs; leaks {leaks}')
    assert rc == 0
    assert leaks == []
    assert '***' in dumper.stdout()
    assert work.lost() == []


# ---------------------------------------------------------------------------
# 8a. dead letters: a permanent refusal, a bad message, a transient timeout; replay

def test_dead_letters_and_replay(start_daemon, nova, ipa, cloud, rabbit, topic, tmp_path,
                                 fault_report):
    refused = 'refused1.example.test'
    ipa.add_host(refused, description=MARKER)
    outage = 'outage1.example.test'
    ipa.add_host(outage, description=MARKER)
    extra = fast_retries(tmp_path) + '[dead_letter]\ntransient_timeout = 2\n'
    daemon = start_daemon(extra=extra)
    # 1. IPA refuses the delete itself: spooled at once, acknowledged.
    ipa.fail_next('host_del', 3009, 'ValidationError',
                  "invalid 'hostname': refused by a test policy")
    refused_event = payloads.legacy_delete(str(uuid.uuid4()), 'refused1', PROJECT,
                                           metadata=ENROLLED)
    nova.send(*refused_event)
    wait_for(lambda: len(spooled(tmp_path)) == 1, timeout=30, what='refusal spooled')
    # 2. bad input: spooled at once, acknowledged.
    bad_payload = dict(refused_event[1], hostname=None)
    harness.publish_raw(rabbit.transport_url, 'nova', f'{topic}.info',
                        envelope('dl-bad', 'compute.instance.delete.end', bad_payload))
    wait_for(lambda: len(spooled(tmp_path)) == 2, timeout=30, what='bad input spooled')
    # 3. IPA down for longer than transient_timeout: spooled after some rounds.
    ipa.down = True
    t0 = time.monotonic()
    nova.send(*payloads.versioned_delete(str(uuid.uuid4()), 'outage1', PROJECT,
                                         metadata=ENROLLED))
    wait_for(lambda: len(spooled(tmp_path)) == 3, timeout=40, what='outage spooled')
    outage_s = time.monotonic() - t0
    drained(rabbit, topic)
    ipa.down = False
    records = [read_spool(p) for p in spooled(tmp_path)]
    by_kind = {}
    for record in records:
        if record['message_id'] == 'dl-bad':
            by_kind['bad'] = record
        elif record['event_type'] == 'instance.delete.end':
            by_kind['transient'] = record
        else:
            by_kind['refused'] = record
    assert set(by_kind) == {'bad', 'transient', 'refused'}, records
    for record in records:
        assert SPOOL_KEYS <= set(record), set(record)
        assert record['exchange'] == 'nova'
        assert isinstance(record['attempts'], int) and record['attempts'] >= 1
    assert 'ValidationError' in by_kind['refused']['reason'] or \
        'refused' in by_kind['refused']['reason']
    assert by_kind['refused']['payload'] == refused_event[1]
    assert 'bad input' in by_kind['bad']['reason'] and by_kind['bad']['payload'] == bad_payload
    assert 'still failing' in by_kind['transient']['reason']
    assert ipa.has_host(refused) and ipa.has_host(outage)

    # The causes are gone (one-shot refusal, IPA back): replay.
    before = set(spooled(tmp_path))
    replay = start_daemon(args=['--replay'], extra=extra, name='replay', wait_ready=False)
    replay.process.wait(60)
    replay_rc = replay.process.returncode
    wait_for(lambda: not ipa.has_host(refused) and not ipa.has_host(outage), timeout=30,
             what='replayed deletes done')
    # The bad message is bad again: spooled anew; the originals are gone.
    wait_for(lambda: len(spooled(tmp_path)) == 1, timeout=30, what='bad message spooled again')
    after = set(spooled(tmp_path))
    drained(rabbit, topic)
    lost = int(ipa.has_host(refused)) + int(ipa.has_host(outage))
    retries = [line for line in harness.log_lines(daemon.log(), 'DEBUG') if 'retry ' in line]
    fault_report.record(
        'dead_letters_and_replay', events=3, faults='IPA ValidationError, bad input, IPA down',
        lost=lost, wrong=0, duplicates=duplicates(ipa) - 1,   # the refused host_del
        extra=f'spooled 3 (transient after {outage_s:.1f}s, {by_kind["transient"]["attempts"]} '
              f'rounds); replay rc {replay_rc}; re-spooled {len(after)}')
    assert replay_rc == 0, replay.log()[-2000:]
    assert before.isdisjoint(after)
    assert read_spool(after.pop())['reason'].startswith('bad input')
    assert retries, 'no DEBUG "retry " line for the in-process retries'
    assert daemon.process.poll() is None


# ---------------------------------------------------------------------------
# 8b. --dry-run changes nothing in IPA

def test_dry_run(start_daemon, nova, ipa, cloud, rabbit, topic, tmp_path, fault_report):
    work = Workload(ipa, cloud, 'dr').enrolled(20, address=True).not_enrolled(5).carried(3)
    # An instance whose host is gone but whose name still has a DNS record: with the
    # host gone nothing is removed by name alone, not even planned.
    ipa.add_record(ZONE, 'drghost', 'A', '192.0.2.251')
    events = work.events + [payloads.legacy_delete(str(uuid.uuid4()), 'drghost', PROJECT,
                                                   metadata=ENROLLED)]
    hosts, dns = ipa.hosts(), ipa.all_records()
    daemon = start_daemon(args=['--dry-run'], extra=fast_retries(tmp_path))
    publish(nova, events)
    drained(rabbit, topic)
    wait_for(lambda: daemon.log().count('dry-run: would call host_del') >= 20, timeout=30,
             what='dry-run lines')
    log = daemon.log()
    # batch sub-calls are in the call log too (in_batch): a batch of reads is fine.
    writes = [c[0] for c in ipa.call_log if str(c[0]).endswith(('_add', '_del', '_mod'))]
    would_host_del = log.count('dry-run: would call host_del')
    changed = hosts != ipa.hosts() or dns != ipa.all_records()
    fault_report.record(
        'dry_run', events=len(events), faults='--dry-run', lost=0, wrong=int(changed),
        duplicates=0,
        extra=f'"would call host_del" {would_host_del}/20, other dry-run lines '
              f'{log.count("dry-run: would call") - would_host_del}, IPA writes {len(writes)}')
    assert not changed, 'IPA changed in dry-run'
    assert writes == []
    assert would_host_del == 20
    assert 'dnsrecord_del' not in log                   # drghost's record is not ours


# ---------------------------------------------------------------------------
# 8c. SIGTERM mid-burst: exit 0 within shutdown_timeout, nothing lost after a restart

@pytest.mark.parametrize('state', ['busy', 'ipa-down'])
def test_sigterm_mid_burst(start_daemon, nova, ipa, cloud, rabbit, topic, tmp_path, state,
                           fault_report):
    shutdown_timeout = 4.0
    work = Workload(ipa, cloud, 'st').enrolled(300 if state == 'busy' else 100)
    extra = (fast_retries(tmp_path, requeue_delay=2.0 if state == 'ipa-down' else 0.5)
             + f'[listener]\nshutdown_timeout = {shutdown_timeout}\n[DEFAULT]\ndebug = False\n')
    if state == 'busy':
        ipa.latency, cloud.latency = 0.3, 0.2   # work in flight when SIGTERM comes
    else:
        ipa.down = True
    daemon = start_daemon(extra=extra, name='before')
    publish(nova, work.events)
    if state == 'busy':
        wait_for(lambda: work.gone() >= 40, timeout=60, interval=0.1, what='40 removed')
    else:
        wait_for(lambda: daemon.log().count(HANDBACK) >= 10, timeout=60, what='hand-backs')
    gone_at_term = work.gone()
    t0 = time.monotonic()
    daemon.send_signal(signal.SIGTERM)
    try:
        daemon.process.wait(shutdown_timeout + 20)
    except subprocess.TimeoutExpired:
        pass
    stop_s = time.monotonic() - t0
    rc = daemon.process.poll()
    ipa.down = False
    ipa.latency = cloud.latency = 0
    after = start_daemon(extra=extra, name='after')
    wait_all_removed(work, timeout=90)
    drained(rabbit, topic)
    lost = work.lost()
    fault_report.record(
        f'sigterm_mid_burst[{state}]', events=len(work.events),
        faults=f'SIGTERM ({"IPA down, work in flight" if state != "busy" else "busy"})',
        lost=len(lost), wrong=0, duplicates=duplicates(ipa),
        extra=f'exit {rc} after {stop_s:.1f}s (timeout {shutdown_timeout:.0f}s); '
              f'{gone_at_term} done before SIGTERM')
    assert rc == 0, f'exit status {rc}'
    assert stop_s <= shutdown_timeout + 5, f'took {stop_s:.1f}s to stop'
    assert lost == []
    assert after.process.poll() is None


# ---------------------------------------------------------------------------
# every test: no secret in any output of any daemon it ran

@pytest.fixture(autouse=True)
def _secrets_in_every_output(tmp_path, ipa, cloud):
    yield
    secrets = [ipa.password, cloud.password] + issued_secrets(ipa, cloud)
    texts = {}
    for path in glob.glob(str(tmp_path / '*.log')) + glob.glob(str(tmp_path / '*.stdout')):
        with open(path, errors='replace') as f:
            texts[os.path.basename(path)] = f.read()
    assert scan_for_secrets(texts, secrets) == []
