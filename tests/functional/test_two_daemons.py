"""Two daemons on one queue, coordinated through tooz on a real redis-server: racing
associate / disassociate / delete of one floating IP and one host always ends
with IPA's records matching neutron and nova."""

import random

import pytest

from notify.decide import NOVAJOIN_MARKER as MARKER
from tests import payloads
from tests.fixtures.redis import RedisServer
from tests.functional.conftest import PROJECT
from tests.functional.conftest import REV4
from tests.functional.test_floating_ips import ZONE, instance, neutron_says
from tests.harness import log_lines, wait_for

FIP = '198.51.100.60'
ROUNDS = 4
OPS_PER_ROUND = 12


@pytest.fixture
def redis(tmp_path):
    server = RedisServer(str(tmp_path)).start()
    yield server
    server.stop()


def drained(rabbit, topic):
    rabbit.wait_queue(f'{topic}.info', lambda q: q is not None and q['messages'] == 0
                      and q.get('messages_unacknowledged', 0) == 0, timeout=90)


def test_racing_daemons_end_with_records_matching_neutron_and_nova(
        start_daemon, nova, neutron, ipa, cloud, rabbit, topic, zones, redis):
    extra = f"""
        [coordination]
        backend_url = {redis.url}
        lock_timeout = 20
        [listener]
        retry_initial_delay = 0.01
    """
    daemons = [start_daemon(extra=extra, name=f'daemon{n}') for n in (1, 2)]
    rng = random.Random(20261129)
    for round_ in range(ROUNDS):
        name = f'race{round_}'
        fqdn = f'{name}.example.test'
        server_id, port_id = instance(cloud, name)
        ipa.add_host(fqdn, description=MARKER)
        attached = False
        for _ in range(OPS_PER_ROUND):
            attached = rng.random() < 0.5
            neutron_says(cloud, neutron, 'fip-race', FIP, port_id if attached else None)
        drained(rabbit, topic)
        # neutron's final state is what the records show
        want_a = {'A': [FIP]} if attached else {}
        want_ptr = {'PTR': [fqdn + '.']} if attached else {}
        assert ipa.records(ZONE, name) == want_a
        assert ipa.records(REV4, '60') == want_ptr
        # the instance is deleted while a last floating-IP change races it
        cloud.delete_server(server_id)
        nova.send(*payloads.versioned_delete(server_id, name, PROJECT,
                                             metadata={'ipa_enroll': 'true'}))
        neutron_says(cloud, neutron, 'fip-race', FIP, port_id)   # port of a deleted VM
        wait_for(lambda: not ipa.has_host(fqdn), timeout=60, what=f'{fqdn} removed')
        drained(rabbit, topic)
        assert ipa.records(ZONE, name) == {}
        assert ipa.records(REV4, '60') == {}
        neutron_says(cloud, neutron, 'fip-race', FIP, None)
    drained(rabbit, topic)
    for daemon in daemons:
        assert log_lines(daemon.log(), 'ERROR') == []
    # both daemons took part
    assert all('floating IP 198.51.100.60' in d.log() for d in daemons)
