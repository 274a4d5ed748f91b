"""Fault test: malformed shapes of every event type the daemon takes, through the
real broker. Each must be logged once, as one ERROR line naming its event type and
message id, and kept in the spool; none may be handed back or redelivered (a
parser exception reaching oslo.messaging is requeued at once, for ever); the daemon
goes on working."""

import uuid

from notify.decide import NOVAJOIN_MARKER as MARKER
from tests import harness, payloads
from tests.functional import faults_lib
from tests.functional.conftest import PROJECT
from tests.functional.faults_lib import (ENROLLED, Workload, drained, duplicates,
                                         envelope, fast_retries, queue_messages,
                                         spooled, wait_all_removed)
from tests.harness import wait_for

_secrets_in_every_output = faults_lib.secrets_in_every_output   # autouse

DEPTH = 300   # deep, yet within what oslo.messaging's JSON decoder reads
NOVA, NEUTRON = 'nova', 'neutron'


def deep(depth=DEPTH, leaf='x'):
    for i in range(depth):
        leaf = [leaf] if i % 2 else {'k': leaf}
    return leaf


def _changed(payload, path, value):
    """A copy of ``payload`` with the field at ``path`` (a tuple of keys) replaced."""
    if not path:
        return value
    head, rest = path[0], path[1:]
    return dict(payload, **{head: _changed(payload[head], rest, value)})


# Replacements applied to every event type's valid payload: nothing where an
# object is expected, and nesting deeper than any real notification.
WHOLE = {'payload-number': 5, 'payload-string': 'web1', 'payload-null': None,
         'payload-list': [1, 2], 'payload-deep': deep()}


def _corpus():
    """{message id: (exchange, event type, payload)}: valid payloads (hostname web1,
    enrolled) with one field given a malformed shape."""
    versioned = payloads.versioned_delete(str(uuid.uuid4()), 'web1', PROJECT,
                                          metadata=ENROLLED, addresses=['192.0.2.50'])[1]
    legacy = payloads.legacy_delete(str(uuid.uuid4()), 'web1', PROJECT, metadata=ENROLLED,
                                    addresses=['10.0.0.50'])[1]
    fip = {'floatingip': payloads.neutron_floatingip(
        'fip-ms', '198.51.100.50', str(uuid.uuid4()), '10.0.0.50', PROJECT,
        device_id=str(uuid.uuid4()))}
    fip_delete = dict(fip, floatingip_id='fip-ms')
    nova_network = {'floating_ip': '198.51.100.51', 'instance_id': str(uuid.uuid4())}
    data = ('nova_object.data',)
    shapes = [
        ('instance.delete.end', NOVA, versioned, {
            'name-list': (('nova_object.name',), ['InstanceActionPayload']),
            'name-object': (('nova_object.name',), {'InstanceActionPayload': 1}),
            'version-number': (('nova_object.version',), 1.9),
            'data-number': (data, 7), 'data-string': (data, 'x'), 'data-null': (data, None),
            'data-list': (data, [versioned['nova_object.data']]), 'data-deep': (data, deep()),
            'ips-number': (data + ('ip_addresses',), 7),
            'ips-string': (data + ('ip_addresses',), '192.0.2.50'),
            'ips-items': (data + ('ip_addresses',), [1, '192.0.2.50', None]),
            'metadata-list': (data + ('metadata',), ['ipa_enroll', 'true']),
            'metadata-number': (data + ('metadata',), 1),
            'metadata-value-list': (data + ('metadata',), {'ipa_enroll': ['true']}),
            'metadata-value-bool': (data + ('metadata',), {'ipa_enroll': True}),
            'metadata-deep': (data + ('metadata',), deep()),
            'uuid-object': (data + ('uuid',), {'id': 'x'}),
        }),
        ('compute.instance.delete.end', NOVA, legacy, {
            'metadata-list': (('metadata',), [1, 2]),
            'metadata-number': (('metadata',), 5),
            'metadata-deep': (('metadata',), deep()),
            'image-meta-list': (('image_meta',), ['ipa_enroll']),
            'fixed-ips-number': (('fixed_ips',), 4),
            'fixed-ips-items': (('fixed_ips',), ['10.0.0.50']),
            'hostname-object': (('hostname',), {'name': 'web1'}),
            'tenant-list': (('tenant_id',), [PROJECT]),
        }),
        ('floatingip.update.end', NEUTRON, fip, {
            'fip-number': (('floatingip',), 5), 'fip-null': (('floatingip',), None),
            'fip-list': (('floatingip',), [fip['floatingip']]),
            'address-list': (('floatingip', 'floating_ip_address'), ['198.51.100.50']),
            'address-deep': (('floatingip', 'floating_ip_address'), deep()),
            'port-number': (('floatingip', 'port_id'), 5),
        }),
        ('floatingip.create.end', NEUTRON, fip, {
            'fip-string': (('floatingip',), 'x'),
            'address-object': (('floatingip', 'floating_ip_address'), {'ip': 'x'}),
        }),
        ('floatingip.delete.end', NEUTRON, fip_delete, {
            'fip-number': (('floatingip',), 5),
            'id-list': (('floatingip_id',), ['fip-ms']),
            'address-null': (('floatingip', 'floating_ip_address'), None),
        }),
        ('network.floating_ip.associate', NOVA, nova_network, {
            'address-list': (('floating_ip',), ['198.51.100.51']),
            'instance-object': (('instance_id',), {'id': 'x'}),
        }),
        ('network.floating_ip.disassociate', NOVA, nova_network, {
            'address-number': (('floating_ip',), 3325256755),
            'address-null': (('floating_ip',), None),
        }),
    ]
    corpus = {}
    for event_type, exchange, valid, changes in shapes:
        changes = dict(changes, **{name: ((), value) for name, value in WHOLE.items()})
        for name, (path, value) in changes.items():
            message_id = f'ms-{event_type}-{name}'
            corpus[message_id] = (exchange, event_type, _changed(valid, path, value))
    return corpus


def test_malformed_shapes(start_daemon, nova, ipa, cloud, rabbit, topic, tmp_path,
                          fault_report):
    ipa.add_host('web1.example.test', description=MARKER)   # a wrongly accepted shape's victim
    daemon = start_daemon(extra=fast_retries(tmp_path))
    corpus = _corpus()
    for message_id, (exchange, event_type, payload) in corpus.items():
        harness.publish_raw(rabbit.transport_url, exchange, f'{topic}.info',
                            envelope(message_id, event_type, payload))
    # The daemon keeps working: a valid delete after the corpus is done.
    good = Workload(ipa, cloud, 'ms').enrolled(1)
    nova.send(*good.events[0])
    wait_all_removed(good, timeout=60, what='the valid delete after the corpus')

    def logged(line, message_id, event_type):
        return f'{event_type} notification {message_id}:' in line

    def all_logged():
        errors = harness.log_lines(daemon.log(), 'ERROR')
        return all(any(logged(line, mid, et) for line in errors)
                   for mid, (_, et, _) in corpus.items())
    try:
        wait_for(all_logged, timeout=60, interval=0.5, what='an ERROR line for each shape')
    except TimeoutError:
        pass   # reported below
    try:
        drained(rabbit, topic)
        undrained = 0
    except TimeoutError:
        undrained = queue_messages(rabbit, topic)   # handed back again and again
    log = daemon.log()
    errors = harness.log_lines(log, 'ERROR')
    per_id = {mid: sum(1 for line in errors if logged(line, mid, et))
              for mid, (_, et, _) in corpus.items()}
    not_once = {mid: n for mid, n in per_id.items() if n != 1}
    hand_backs = log.count('handing back')
    oslo_requeues = (log.count('Callback raised an exception')
                     + log.count('Exception during message handling'))
    redeliveries = log.count('delivered twice')
    kept = len(spooled(tmp_path))
    lost = good.lost()
    wrong = int(not ipa.has_host('web1.example.test'))
    event_types = sorted({et for _, et, _ in corpus.values()})
    fault_report.record(
        'malformed_shapes', events=len(corpus) + 1,
        faults=f'{len(corpus)} malformed shapes over {len(event_types)} event types',
        lost=len(lost), wrong=wrong, duplicates=duplicates(ipa),
        extra=f'ids not logged once {len(not_once)}, ERROR lines {len(errors)}, '
              f'hand-backs {hand_backs}, oslo requeues {oslo_requeues}, redeliveries '
              f'{redeliveries}, spooled {kept}, left on the queue {undrained}')
    problems = []
    if daemon.process.poll() is not None:
        problems.append('the daemon died')
    if len(event_types) != 7:
        problems.append(f'the corpus covers {event_types} only')
    if not_once:
        problems.append(f'message ids not logged exactly once at ERROR: {not_once}')
    if len(errors) != len(corpus):
        problems.append(f'{len(errors)} ERROR lines for {len(corpus)} malformed messages')
    if hand_backs or oslo_requeues or redeliveries:
        problems.append(f'requeue loops: {hand_backs} hand-backs, {oslo_requeues} '
                        f'requeues by oslo.messaging, {redeliveries} redeliveries')
    if undrained:
        problems.append(f'{undrained} messages never leave the queue')
    if kept != len(corpus):
        problems.append(f'{kept} spooled for {len(corpus)} malformed messages')
    if 'Traceback' in log:
        problems.append(f'{log.count("Traceback")} tracebacks in the log')
    if lost:
        problems.append(f'the valid delete after the corpus was not done: {lost}')
    if wrong:
        problems.append('a malformed shape removed web1')
    assert not problems, 'malformed shapes:\n' + '\n'.join(problems)
