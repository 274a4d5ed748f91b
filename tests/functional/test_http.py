"""The daemon's HTTP side end to end: a real daemon with [http] listen on a free
loopback port, the real broker, the IPA and OpenStack emulators."""

import http.client
import json
import math
import socket
import uuid

import pytest
from prometheus_client.parser import text_string_to_metric_families

from notify.decide import NOVAJOIN_MARKER as MARKER
from tests import payloads
from tests.functional.conftest import PROJECT
from tests.harness import wait_for

ENROLLED = {'ipa_enroll': 'true'}
TOKEN = 'chk-9c1e7d0a55b24f6f8e3b'
LEGACY = 'compute.instance.delete.end'


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def http_config(port, token=None, extra=''):
    text = (f'[http]\nlisten = 127.0.0.1:{port}\nunhealthy_after = 3\n'
            f'check_cache_ttl = 30\n')
    if token:
        text += f'check_token = {token}\n'
    return text + extra


@pytest.fixture
def served(start_daemon):
    """served(token=None, extra='') -> (daemon, port)"""
    def start(token=None, extra=''):
        port = free_port()
        daemon = start_daemon(extra=http_config(port, token, extra))
        assert f'http://127.0.0.1:{port}' in daemon.log()
        return daemon, port
    return start


def get(port, path, headers=None, method='GET', timeout=15):
    conn = http.client.HTTPConnection('127.0.0.1', port, timeout=timeout)
    try:
        conn.request(method, path, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def get_json(port, path, **kw):
    status, body = get(port, path, **kw)
    return status, json.loads(body)


def scrape(port):
    status, body = get(port, '/metrics')
    assert status == 200
    samples = {}
    for family in text_string_to_metric_families(body.decode()):
        for s in family.samples:
            samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return samples, body.decode()


def sample(samples, name, **labels):
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def drained(rabbit, topic, timeout=60):
    rabbit.wait_queue(f'{topic}.info', lambda q: q is not None and q['messages'] == 0
                      and q.get('messages_unacknowledged', 0) == 0, timeout=timeout)


def notifications(samples, outcome, event_type=LEGACY):
    return sample(samples, 'novajoin_notify_notifications_total', event_type=event_type,
                  outcome=outcome)


def test_counters_read_exactly_what_happened(served, nova, ipa, cloud, rabbit, topic):
    daemon, port = served()
    removed = [f'gone{i}' for i in range(3)]
    for name in removed + ['kept1', 'refused1']:
        ipa.add_host(f'{name}.example.test', description=MARKER)
    ipa.add_host('hv9.example.test')                              # the operator's
    cloud.add_server(str(uuid.uuid4()), 'kept1', PROJECT)       # the name lives on
    ipa.fail_next('host_del', 3009, 'ValidationError', "invalid 'hostname': refused")
    sends = [payloads.legacy_delete(str(uuid.uuid4()), 'refused1', PROJECT,
                                    metadata=ENROLLED)]
    sends += [payloads.legacy_delete(str(uuid.uuid4()), n, PROJECT, metadata=ENROLLED)
              for n in removed]
    sends += [payloads.legacy_delete(str(uuid.uuid4()), f'plain{i}', PROJECT,
                                     metadata={'ipa_enroll': 'false'}) for i in range(2)]
    sends += [payloads.legacy_delete(str(uuid.uuid4()), 'kept1', PROJECT, metadata=ENROLLED)]
    sends += [payloads.legacy_delete(str(uuid.uuid4()), 'hv9', PROJECT, metadata=ENROLLED)]
    bad = payloads.legacy_delete(str(uuid.uuid4()), 'bad1', PROJECT)[1]
    del bad['hostname']
    sends += [(LEGACY, bad), ('compute.instance.create.end', {'x': 1}),
              ('compute.instance.update', {'x': 2})]
    nova.send(*sends[0])       # alone, so the refused host_del is not in a batch
    wait_for(lambda: 'giving up on' in daemon.log(), what='refused1 spooled')
    for event_type, payload in sends[1:]:
        nova.send(event_type, payload)
    drained(rabbit, topic)
    wait_for(lambda: not any(ipa.has_host(f'{n}.example.test') for n in removed),
             what='hosts removed')
    samples, text = scrape(port)
    assert notifications(samples, 'done') == 3
    assert notifications(samples, 'not_enrolled') == 2
    assert notifications(samples, 'kept_live') == 1
    assert notifications(samples, 'refused') == 1          # hv9: no enrollment marker
    assert notifications(samples, 'bad_input') == 1
    assert notifications(samples, 'spooled') == 1
    assert notifications(samples, 'requeued') == 0
    assert notifications(samples, 'not_ours', 'other') == 2
    assert sample(samples, 'novajoin_notify_notifications_in_flight') == 0
    assert sample(samples, 'novajoin_notify_ipa_hosts_removed_total') == 3
    assert sample(samples, 'novajoin_notify_ipa_calls_total', method='host_del',
                  result='ok') == 3
    assert sample(samples, 'novajoin_notify_ipa_calls_total', method='host_del',
                  result='error') == 1
    assert sample(samples, 'novajoin_notify_last_removal_timestamp_seconds') > 0
    assert sample(samples, 'novajoin_notify_dead_letters') == 2
    assert sample(samples, 'novajoin_notify_ipa_logins_total', result='ok') >= 1
    assert sample(samples, 'novajoin_notify_openstack_calls_total', service='nova',
                  result='ok') >= 1
    for part in ('request', 'entry'):      # NaN until batches of different sizes
        key = ('novajoin_notify_ipa_cost_seconds', (('part', part),))
        assert key in samples and (math.isnan(samples[key]) or samples[key] >= 0)
    for secret in (ipa.password, cloud.password) + tuple(cloud._tokens):
        assert secret not in text
    for name in removed + ['kept1', 'refused1', 'example.test']:
        assert name not in text


def test_healthz_follows_ipa(served, ipa):
    daemon, port = served()
    wait_for(lambda: get(port, '/healthz')[0] == 200, what='healthy')
    ipa.pause_listening()
    try:
        wait_for(lambda: get(port, '/healthz')[0] == 503, timeout=30, what='unhealthy')
        status, body = get_json(port, '/healthz')
        assert status == 503 and any('IPA unreachable' in r for r in body['reasons'])
    finally:
        ipa.resume_listening()
    wait_for(lambda: get(port, '/healthz')[0] == 200, timeout=30, what='healthy again')
    ipa.down = True      # IPA answers, but 503 to everything
    try:
        wait_for(lambda: get(port, '/healthz')[0] == 503, timeout=30, what='unhealthy')
        samples, _ = scrape(port)
        assert sample(samples, 'novajoin_notify_healthy') == 0
        assert sample(samples, 'novajoin_notify_ipa_calls_total', method='ping',
                      result='unavailable') >= 1
    finally:
        ipa.down = False
    wait_for(lambda: get(port, '/healthz')[0] == 200, timeout=30, what='healthy again')
    assert daemon.process.poll() is None


def test_healthz_follows_the_broker(served, rabbit):
    daemon, port = served()
    wait_for(lambda: get(port, '/healthz')[0] == 200, what='healthy')
    assert get_json(port, '/healthz')[1]['broker'] == 'connected'
    rabbit.stop()
    try:
        wait_for(lambda: get(port, '/healthz')[0] == 503, timeout=60, what='unhealthy')
        status, body = get_json(port, '/healthz')
        assert body['broker'] == 'disconnected'
        assert any('broker disconnected' in r for r in body['reasons'])
    finally:
        rabbit.start()
    wait_for(lambda: get(port, '/healthz')[0] == 200, timeout=90, what='healthy again')


def nova_gets(cloud, server_id):
    return cloud.stats['paths'][('GET', f'/compute/v2.1/servers/{server_id}')]


def test_check_answers_and_its_cache(served, cloud):
    daemon, port = served()
    live = cloud.add_server(str(uuid.uuid4()), 'web1', PROJECT)['id']
    deleted = cloud.add_server(str(uuid.uuid4()), 'web2', PROJECT)['id']
    cloud.delete_server(deleted)
    never = str(uuid.uuid4())
    assert get_json(port, f'/check/{live}') == (200, {'uuid': live, 'exists': True})
    assert get_json(port, f'/check/{live.upper()}')[0] == 200
    assert get_json(port, f'/check/{deleted}') == (404, {'uuid': deleted, 'exists': False})
    assert get_json(port, f'/check/{never}') == (404, {'uuid': never, 'exists': False})
    assert get_json(port, '/check/web1.example.test')[0] == 400
    assert nova_gets(cloud, live) == 1 and nova_gets(cloud, deleted) == 1
    cloud.down = {'compute'}
    other = cloud.add_server(str(uuid.uuid4()), 'web3', PROJECT)['id']
    status, body = get_json(port, f'/check/{other}')
    assert status == 503 and 'nova' in body['error']
    assert get_json(port, f'/check/{live}')[0] == 200          # cached answer
    assert nova_gets(cloud, live) == 1
    cloud.down = {'identity'}                                   # keystone down
    cloud.expire_tokens()
    assert get_json(port, f'/check/{other}')[0] == 503
    cloud.down = set()
    assert get_json(port, f'/check/{other}')[0] == 200
    samples, _ = scrape(port)
    answers = {a: sample(samples, 'novajoin_notify_check_requests_total', answer=a)
               for a in ('exists', 'absent', 'bad_request', 'unavailable')}
    assert answers == {'exists': 4, 'absent': 2, 'bad_request': 1, 'unavailable': 2}


def test_check_token(served, cloud):
    daemon, port = served(token=TOKEN)
    live = cloud.add_server(str(uuid.uuid4()), 'web1', PROJECT)['id']
    assert get(port, f'/check/{live}')[0] == 401
    assert get(port, f'/check/{live}', headers={'Authorization': 'Bearer nope'})[0] == 401
    assert get(port, f'/check/{live}', headers={'Authorization': f'Bearer {TOKEN}'}) == (
        200, json.dumps({'exists': True, 'uuid': live}).encode() + b'\n')
    assert get(port, '/healthz')[0] == 200
    _, text = scrape(port)
    assert TOKEN not in text
    assert TOKEN not in daemon.log()


def raw(port, data, timeout=15):
    """Send bytes as they are; the first line of the answer."""
    with socket.create_connection(('127.0.0.1', port), timeout=timeout) as s:
        s.sendall(data)
        answer = b''
        while b'\r\n' not in answer:
            chunk = s.recv(4096)
            if not chunk:
                break
            answer += chunk
    return answer.split(b'\r\n', 1)[0]


def test_hostile_clients_block_neither_the_listener_nor_the_endpoints(served, nova, ipa,
                                                                      cloud, rabbit, topic):
    daemon, port = served()
    ipa.add_host('web9.example.test', description=MARKER)
    live = cloud.add_server(str(uuid.uuid4()), 'web9b', PROJECT)['id']
    held = []
    try:
        # Slow clients: partial requests, each holding its socket (bounded: 60,
        # under the server's connection limit of 100).
        for i in range(60):
            s = socket.create_connection(('127.0.0.1', port), timeout=10)
            s.sendall(b'GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: ' if i % 2 else b'GE')
            held.append(s)
        assert raw(port, b'GET /check/' + b'a' * 100_000 + b' HTTP/1.1\r\n\r\n').split(
            b' ')[1] == b'431'
        headers = b''.join(b'X-H%d: %s\r\n' % (i, b'v' * 100) for i in range(200))
        assert raw(port, b'GET /healthz HTTP/1.1\r\nHost: x\r\n' + headers + b'\r\n').split(
            b' ')[1] == b'431'
        assert raw(port, b'\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03' + b'\x00' * 64
                   + b'\r\n\r\n').split(b' ')[1] == b'400'
        for method in ('POST', 'PUT', 'DELETE', 'PATCH', 'TRACE', 'PROPFIND'):
            assert get(port, f'/check/{live}', method=method)[0] == 405
        assert get(port, '/' + 'x' * 6000)[0] == 404
        # Meanwhile the listener works and every endpoint answers.
        nova.send(*payloads.legacy_delete(str(uuid.uuid4()), 'web9', PROJECT,
                                          metadata=ENROLLED))
        wait_for(lambda: not ipa.has_host('web9.example.test'), what='web9 removed')
        assert get(port, '/healthz')[0] == 200
        assert get_json(port, f'/check/{live}')[0] == 200
        samples, _ = scrape(port)
        assert notifications(samples, 'done') == 1
    finally:
        for s in held:
            s.close()
    drained(rabbit, topic)
    assert daemon.process.poll() is None
    assert 'Traceback' not in daemon.log()


def test_a_taken_port_or_a_bad_listen_stops_the_daemon_at_start(start_daemon):
    with socket.socket() as taken:
        taken.bind(('127.0.0.1', 0))
        taken.listen()
        port = taken.getsockname()[1]
        daemon = start_daemon(extra=http_config(port), wait_ready=False, name='taken')
        assert daemon.process.wait(60) == 2
    assert f'cannot serve HTTP on 127.0.0.1:{port}' in daemon.log()
    daemon = start_daemon(extra='[http]\nlisten = 9752\n', wait_ready=False, name='bad')
    assert daemon.process.wait(60) == 2
    assert "[http] listen must be HOST:PORT, not '9752'" in daemon.log()
    assert 'Traceback' not in daemon.log()
