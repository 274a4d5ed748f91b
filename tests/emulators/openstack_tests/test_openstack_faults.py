"""The OpenStack emulator's faults (services down, latency, restarts) and its
statistics, checked with the real clients over verified TLS."""

import concurrent.futures

import glanceclient
import pytest
from glanceclient import exc as glance_exc
from keystoneauth1 import exceptions as ks_exc
from keystoneclient.v3 import client as keystone_client
from novaclient import exceptions as nova_exc

from tests.emulators.openstack import transport
from tests.emulators.openstack.clients import IMAGE, NETWORK, make_session, nova, raw


def test_down_services_answer_503(emu, sess):
    emu.add_image(IMAGE)
    sess.get_token()
    emu.down = {'compute', 'image', 'network'}
    with pytest.raises(nova_exc.ClientException) as err:
        nova(sess).servers.list()
    assert err.value.code == 503
    with pytest.raises(glance_exc.HTTPServiceUnavailable):
        glanceclient.Client('2', session=sess).images.get(IMAGE)
    with pytest.raises(ks_exc.ServiceUnavailable):
        sess.get('/v2.0/ports/x', endpoint_filter=NETWORK)
    # keystone still answers
    assert keystone_client.Client(session=sess).projects.get(emu.project_id).name == 'service'
    emu.down = True
    with pytest.raises(ks_exc.ServiceUnavailable):
        make_session(emu).get_token()
    emu.down = set()
    assert nova(sess).servers.list() == []


def test_concurrent_clients(emu, sess):
    emu.add_image(IMAGE)
    token = sess.get_token()
    emu.latency = 0.05
    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        codes = list(pool.map(lambda _: raw(emu, '/image/v2/images/' + IMAGE, token).status_code,
                              range(24)))
    assert codes == [200] * 24
    assert emu.stats['requests']['image'] == 24


def test_restart_keeps_port_data_and_tokens(emu, sess):
    emu.add_server('s1', 'web1', emu.project_id)
    client = nova(sess)
    assert len(client.servers.list()) == 1
    port = emu.port
    emu.stop()
    with pytest.raises(ks_exc.ConnectFailure):
        client.servers.list()
    emu.start()
    assert emu.port == port
    assert [s.id for s in client.servers.list()] == ['s1']
    assert emu.stats['token_issues'] == 1


class SleepRecorder:
    """Stands for the transport's ``time`` module: records the latencies."""

    def __init__(self):
        self.slept = []

    def sleep(self, seconds):
        self.slept.append(seconds)


def test_latency_and_stats(emu, sess, monkeypatch):
    sess.get_token()
    emu.reset_stats()
    recorder = SleepRecorder()
    monkeypatch.setattr(transport, 'time', recorder)
    emu.latency = 0.3
    nova(sess).servers.list(search_opts={'hostname': 'x'})
    assert recorder.slept == [0.3]
    emu.latency = 0
    assert emu.stats['requests'] == {'compute': 1}
    assert emu.stats['token_issues'] == 0
    assert emu.request_log == [('GET', '/compute/v2.1/servers/detail', 'hostname=x')]
    assert emu.errors == []


def test_latency_per_service(emu, sess, monkeypatch):
    emu.add_image(IMAGE)
    emu.add_server('s1', 'web1', emu.project_id)
    sess.get_token()
    recorder = SleepRecorder()
    monkeypatch.setattr(transport, 'time', recorder)
    emu.latency = {'compute': 0.25, 'network': 0.5}
    nova(sess).servers.get('s1')
    glanceclient.Client('2', session=sess).images.get(IMAGE)     # schema + image: none
    sess.get('/v2.0/ports?device_id=s1', endpoint_filter=NETWORK)
    assert recorder.slept == [0.25, 0.5]


def test_calls_are_counted_per_path_template(emu, sess):
    emu.add_server('s1', 'web1', emu.project_id)
    emu.add_server('s2', 'web2', emu.project_id)
    client = nova(sess)
    sess.get_token()
    emu.reset_stats()
    client.servers.get('s1')
    client.servers.get('s2')
    client.servers.list(limit=-1)      # a page, then the empty page
    with pytest.raises(nova_exc.NotFound):
        client.servers.get('nope')
    sess.get('/v2.0/ports', endpoint_filter=NETWORK)
    raw(emu, '/compute/v2.1/nope')
    assert emu.calls('compute', 'GET', '/v2.1/servers/{id}') == 3
    assert emu.calls('compute', 'GET', '/v2.1/servers/detail') == 2
    assert emu.calls('compute', 'GET', '<unknown>') == 1      # no route
    assert emu.calls('compute') == 6
    assert emu.calls('network', 'GET', '/v2.0/ports') == 1
    assert emu.calls('identity') == 0                  # the token was still valid
    assert emu.calls() == 7
    # refused calls count too: the daemon made them
    emu.down = {'compute'}
    with pytest.raises(nova_exc.ClientException):
        client.servers.get('s1')
    assert emu.calls('compute', 'GET', '/v2.1/servers/{id}') == 4
    emu.down = set()
    emu.expire_tokens()
    client.servers.get('s1')
    assert emu.calls('identity', 'POST', '/v3/auth/tokens') == 1
    assert emu.calls('compute', 'GET', '/v2.1/servers/{id}') == 6   # 401, then again
    emu.reset_stats()
    assert emu.calls() == 0
