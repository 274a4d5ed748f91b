"""notify.http's WSGI application, driven with fakes: /check, /healthz, /metrics."""

import io
import json
import threading
import wsgiref.util

import pytest

from notify import http, metrics
from notify.errors import PermanentError, TransientError
from tests.unit.fakes import Clock

UUID = '0c8e2a4e-6d1b-4b52-9d0a-3c1f1f6f2b7e'
TOKEN = 'tok-3f9a1c77d2e84b0b9e51'


class Nova:
    """server_of(uuid): the server or None; counts the calls."""

    def __init__(self, servers=(), fail=None):
        self.servers = set(servers)
        self.fail = fail
        self.calls = []

    def __call__(self, uuid):
        self.calls.append(uuid)
        if self.fail:
            raise self.fail
        return {'id': uuid} if uuid in self.servers else None


class Progress:
    def __init__(self, stalled=0.0, in_flight=0):
        self.stalled, self.in_flight = stalled, in_flight

    def stalled_for(self):
        return self.stalled


def make_app(nova=None, token=None, ttl=30, broker=True, progress=None, ipa=None,
             concurrency=2):
    ipa = ipa or metrics.Liveness()
    health = http.Health(progress or Progress(), lambda: broker, ipa, unhealthy_after=60,
                         watchdog_stall=300)
    check = http.InstanceCheck(nova or Nova(), ttl, concurrency=concurrency)
    return http.build_app(health, check, token)


def get(app, path, method='GET', headers=None):
    environ = {'REQUEST_METHOD': method, 'PATH_INFO': path, 'wsgi.input': io.BytesIO()}
    wsgiref.util.setup_testing_defaults(environ)
    environ.update({'HTTP_' + k.upper().replace('-', '_'): v
                    for k, v in (headers or {}).items()})
    seen = {}

    def start_response(status, response_headers):
        seen['status'], seen['headers'] = status, dict(response_headers)

    body = b''.join(app(environ, start_response))
    return int(seen['status'].split()[0]), seen['headers'], body


def get_json(app, path, **kw):
    code, headers, body = get(app, path, **kw)
    assert headers['Content-Type'] == 'application/json'
    assert body.endswith(b'\n') and body.count(b'\n') == 1   # one line
    return code, json.loads(body)


def test_existing_instance_is_200():
    app = make_app(Nova([UUID]))
    assert get_json(app, f'/check/{UUID}') == (200, {'uuid': UUID, 'exists': True})


def test_deleted_or_unknown_instance_is_404():
    app = make_app(Nova([UUID]))
    other = '11111111-2222-4333-8444-555555555555'
    assert get_json(app, f'/check/{other}') == (404, {'uuid': other, 'exists': False})


def test_upper_case_uuid_is_the_same_instance():
    nova = Nova([UUID])
    app = make_app(nova)
    assert get_json(app, f'/check/{UUID.upper()}')[0] == 200
    assert nova.calls == [UUID]


@pytest.mark.parametrize('text', [
    'web1.example.test', '', '../../metrics', UUID + 'x', UUID[:-1], UUID.replace('-', ''),
    '{%s}' % UUID, UUID + '/', 'g' * 8 + UUID[8:], UUID + '\n', 'x' * 5000,
])
def test_not_a_uuid_is_400_and_nova_is_not_asked(text):
    nova = Nova([UUID])
    code, body = get_json(make_app(nova), '/check/' + text)
    assert code == 400 and 'error' in body
    assert nova.calls == []


def test_two_checks_within_the_ttl_ask_nova_once():
    nova = Nova([UUID])
    app = make_app(nova, ttl=30)
    for _ in range(3):
        assert get_json(app, f'/check/{UUID}')[0] == 200
    absent = '11111111-2222-4333-8444-555555555555'
    for _ in range(2):
        assert get_json(app, f'/check/{absent}')[0] == 404
    assert nova.calls == [UUID, absent]


def test_ttl_zero_asks_nova_every_time():
    nova = Nova([UUID])
    app = make_app(nova, ttl=0)
    get(app, f'/check/{UUID}')
    get(app, f'/check/{UUID}')
    assert nova.calls == [UUID, UUID]


@pytest.mark.parametrize('fail', [TransientError('nova unreachable: ConnectFailure'),
                                  TransientError('keystone answered 503'),
                                  PermanentError('nova answered 400: BadRequest'),
                                  ValueError('a client bug')])
def test_nova_that_cannot_be_asked_is_503_and_not_cached(fail):
    nova = Nova([UUID], fail=fail)
    app = make_app(nova)
    code, body = get_json(app, f'/check/{UUID}')
    assert code == 503 and 'nova cannot be asked' in body['error']
    nova.fail = None
    assert get_json(app, f'/check/{UUID}')[0] == 200
    assert len(nova.calls) == 2


def test_too_many_waiting_lookups_is_503_busy_not_a_blocked_worker():
    inside, release = threading.Event(), threading.Event()

    def slow(uuid):
        inside.set()
        release.wait(10)
        return None

    app = make_app(slow, concurrency=1)
    first = threading.Thread(target=get, args=(app, f'/check/{UUID}'))
    first.start()
    assert inside.wait(10)
    try:
        code, headers, body = get(app, '/check/11111111-2222-4333-8444-555555555555')
        assert code == 503 and headers['Retry-After'] == '1'
        assert get(app, '/healthz')[0] == 200     # other endpoints still answer
    finally:
        release.set()
        first.join(10)


@pytest.mark.parametrize('headers', [
    {}, {'Authorization': 'Bearer wrong'}, {'Authorization': TOKEN},
    {'Authorization': f'Basic {TOKEN}'}, {'Authorization': f'Bearer {TOKEN}x'},
    {'Authorization': 'Bearer'}, {'Authorization': f'Bearer {TOKEN[:-1]}'},
])
def test_check_without_the_token_is_401(headers):
    nova = Nova([UUID])
    code, response_headers, body = get(make_app(nova, token=TOKEN), f'/check/{UUID}',
                                       headers=headers)
    assert code == 401 and response_headers['WWW-Authenticate'].startswith('Bearer')
    assert TOKEN.encode() not in body
    assert nova.calls == []


def test_check_with_the_token_answers_and_metrics_health_need_none():
    app = make_app(Nova([UUID]), token=TOKEN)
    for scheme in ('Bearer', 'bearer'):
        assert get_json(app, f'/check/{UUID}',
                        headers={'Authorization': f'{scheme} {TOKEN}'})[0] == 200
    assert get(app, '/metrics')[0] == 200
    assert get(app, '/healthz')[0] == 200


def test_token_is_checked_before_the_uuid():
    assert get(make_app(token=TOKEN), '/check/not-a-uuid')[0] == 401


@pytest.mark.parametrize('method', ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'TRACE',
                                    'BREW'])
def test_other_methods_are_405(method):
    nova = Nova([UUID])
    for path in ('/metrics', '/healthz', f'/check/{UUID}'):
        code, headers, _ = get(make_app(nova), path, method=method)
        assert code == 405 and headers['Allow'] == 'GET, HEAD'
    assert nova.calls == []


def test_unknown_path_is_404_with_a_body_that_is_not_a_check_answer():
    code, body = get_json(make_app(), '/')
    assert code == 404 and 'exists' not in body
    assert get(make_app(), '/check')[0] == 404


def test_head_has_headers_and_no_body():
    app = make_app(Nova([UUID]))
    code, headers, body = get(app, f'/check/{UUID}', method='HEAD')
    assert code == 200 and body == b'' and int(headers['Content-Length']) > 0
    code, _, body = get(app, '/metrics', method='HEAD')
    assert code == 200 and body == b''


def test_metrics_text_has_the_series_and_no_secret():
    app = make_app(Nova([UUID]), token=TOKEN)
    get(app, f'/check/{UUID}', headers={'Authorization': f'Bearer {TOKEN}'})
    get(app, f'/check/{UUID}', headers={'Authorization': f'Bearer {TOKEN}'})
    get(app, f'/check/{TOKEN}', headers={'Authorization': f'Bearer {TOKEN}'})
    code, headers, body = get(app, '/metrics')
    text = body.decode()
    assert code == 200 and headers['Content-Type'].startswith('text/plain')
    for series in ('# TYPE novajoin_notify_notifications_total counter',
                   '# TYPE novajoin_notify_ipa_request_duration_seconds histogram',
                   'novajoin_notify_notifications_in_flight ',
                   'novajoin_notify_check_requests_total{answer="exists"}',
                   'novajoin_notify_check_requests_total{answer="bad_request"}',
                   'novajoin_notify_dead_letters ', 'process_resident_memory_bytes'):
        assert series in text
    assert TOKEN not in text and UUID not in text


def test_healthz_ok():
    code, body = get_json(make_app(), '/healthz')
    assert code == 200 and body['status'] == 'ok' and body['broker'] == 'connected'


def test_healthz_unknown_broker_state_is_not_a_failure():
    code, body = get_json(make_app(broker=None), '/healthz')
    assert code == 200 and body['broker'] == 'unknown'


@pytest.mark.parametrize('broken, reason', [
    ({'broker': False}, 'broker disconnected'),
    ({'progress': Progress(stalled=301, in_flight=3)}, 'no notification finished for 301s'),
    ('ipa', 'IPA unreachable for 61s (IPA unreachable: ConnectionError)'),
])
def test_healthz_503_says_why(broken, reason):
    clock = Clock()
    ipa = metrics.Liveness(clock)
    kwargs = broken if isinstance(broken, dict) else {}
    if broken == 'ipa':
        ipa.failed('IPA unreachable: ConnectionError')
        clock.now += 59
        assert get_json(make_app(ipa=ipa), '/healthz')[0] == 200   # not yet
        clock.now += 2
    code, body = get_json(make_app(ipa=ipa, **kwargs), '/healthz')
    assert code == 503 and body['status'] == 'unhealthy'
    assert any(r.startswith(reason) for r in body['reasons']), body
    if broken == 'ipa':
        ipa.answered()
        assert get_json(make_app(ipa=ipa), '/healthz')[0] == 200


def test_parse_listen():
    assert http.parse_listen('127.0.0.1:9752') == ('127.0.0.1', 9752)
    assert http.parse_listen('[::1]:9752') == ('::1', 9752)
    assert http.parse_listen('localhost:80') == ('localhost', 80)
    for bad in ('9752', '127.0.0.1', '127.0.0.1:', ':9752', '127.0.0.1:http',
                '127.0.0.1:70000', '127.0.0.1:0', 'a b:1'):
        with pytest.raises(ValueError):
            http.parse_listen(bad)
