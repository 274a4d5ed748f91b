"""Fault tests: hostile input (malformed and hostile messages interleaved with good
deletes; secrets in contexts and payloads, with --dump running). Lost, wrong and
duplicates as in tests/functional/faults_lib.py; figures go to the session's fault
report."""

import json
import random
import signal
import uuid

from tests import harness, payloads
from tests.functional import faults_lib
from tests.functional.conftest import PROJECT
from tests.functional.faults_lib import (ENROLLED, MARKER, ZONE, Workload, drained,
                                         duplicates, envelope, fast_retries, host_del_fqdns,
                                         issued_secrets, publish, scan_for_secrets, spooled,
                                         wait_all_removed)
from tests.harness import wait_for

_secrets_in_every_output = faults_lib.secrets_in_every_output   # autouse


# ---------------------------------------------------------------------------
# malformed and hostile messages interleaved with good deletes

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
# secrets: --dump during a burst, with secrets in contexts and payloads

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
