"""Helpers of the fault tests (tests/functional/test_faults_*.py): the real daemon,
a real broker and the emulators, with faults injected.

Each fault test publishes a known set of events, injects a fault (IPA down, the
broker restarted, a daemon killed, sessions expiring, a replica down, hostile
input, signals), then compares IPA's final state with the expected one:

- lost: a host that had to be removed is still there;
- wrong: a host that had to stay (not enrolled, or a live instance carries its
  name) was removed;
- duplicates: host_del calls for a host already removed (redeliveries).

Every test records its figures in the session's ``fault_report`` (printed as a
table at the end of the run). Every loop is bounded in count and time.

Every fault test module activates the autouse fixture ``secrets_in_every_output``
by binding it at module level (``_secrets_in_every_output =
faults_lib.secrets_in_every_output``): no secret in any output of any daemon a test ran.
"""

import collections
import datetime
import glob
import json
import os
import random
import uuid

import pytest

from tests import harness, payloads
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
# every fault test: no secret in any output of any daemon it ran

@pytest.fixture(autouse=True)
def secrets_in_every_output(tmp_path, ipa, cloud):
    """Autouse once bound in a test module's namespace (see the module docstring)."""
    yield
    secrets = [ipa.password, cloud.password] + issued_secrets(ipa, cloud)
    texts = {}
    for path in glob.glob(str(tmp_path / '*.log')) + glob.glob(str(tmp_path / '*.stdout')):
        with open(path, errors='replace') as f:
            texts[os.path.basename(path)] = f.read()
    assert scan_for_secrets(texts, secrets) == []
