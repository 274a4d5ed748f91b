"""Debug mode: shows what arrives, takes nothing from the daemon, leaves no queue."""

import json
import signal
import urllib.parse
import uuid

from tests import harness, payloads
from tests.functional.conftest import PROJECT
from tests.harness import wait_for
from notify.decide import NOVAJOIN_MARKER as MARKER

OLD_NOVA_TOKEN = 'gAAAAABold-nova-context-token-0123456789'


def dump_queues(rabbit):
    return [name for name in rabbit.queues() if name.startswith('novajoin-notify-dump.')]


def start_dump(start_daemon, name='dump', extra=''):
    dumper = start_daemon(extra, args=['--dump'], name=name, wait_ready=False)
    wait_for(lambda: 'dump: listening' in dumper.log() or dumper.process.poll() is not None,
             what='dump start')
    assert dumper.process.poll() is None, dumper.log()
    return dumper


def test_dump_shows_messages_without_stealing_them(start_daemon, nova, ipa, rabbit, topic):
    ipa.add_host('web1.example.test', description=MARKER)
    daemon = start_daemon()
    dumper = start_dump(start_daemon)
    assert len(dump_queues(rabbit)) == 1

    instance_id = str(uuid.uuid4())
    nova.send(*payloads.versioned_delete(instance_id, 'web1', PROJECT,
                                         metadata={'ipa_enroll': 'true'}))
    nova.send('instance.create.end', {'nova_object.name': 'InstanceCreatePayload'})
    # An old nova put its token in the context: the dump must not show it.
    old_style = {'event_type': 'compute.instance.delete.end', 'priority': 'INFO',
                 'publisher_id': 'compute.old', 'message_id': 'm-old',
                 'timestamp': '2026-11-22 10:00:00', 'payload': {'hostname': 'nothere'},
                 '_context_auth_token': OLD_NOVA_TOKEN, '_context_user_id': 'u-old'}
    harness.publish_raw(rabbit.transport_url, 'nova', f'{topic}.info',
                        json.dumps({'oslo.version': '2.0', 'oslo.message': json.dumps(old_style)}))
    nova.send('compute.instance.create.error', {'code': 500}, priority='error')

    wait_for(lambda: dumper.stdout().count('"event_type"') >= 4, what='four messages dumped')
    # The daemon still got its copy: the host is gone.
    wait_for(lambda: not ipa.has_host('web1.example.test'), what='web1 removed by daemon')

    out = dumper.stdout()
    assert instance_id in out and '"instance.create.end"' in out
    assert '"compute.instance.create.error"' in out and '"priority": "ERROR"' in out
    assert '"user_id": "u-old"' in out
    assert OLD_NOVA_TOKEN not in out and OLD_NOVA_TOKEN not in dumper.log()
    assert 'removed IPA host web1.example.test' in daemon.log()
    assert 'removed IPA host' not in dumper.log()   # the dump acts on nothing

    assert dumper.stop(signal.SIGINT) == 0
    assert dump_queues(rabbit) == []


def test_killed_dump_leaves_no_queue(start_daemon, rabbit):
    dumper = start_dump(start_daemon, name='dump-killed')
    assert len(dump_queues(rabbit)) == 1
    dumper.kill()
    wait_for(lambda: dump_queues(rabbit) == [], what='dump queue gone')


def test_dump_with_a_password_full_of_url_delimiters(start_daemon, nova, rabbit):
    """A broker user whose password holds @ : / % #, percent-encoded in
    transport_url as RFC 3986 asks."""
    user = f'dump-{uuid.uuid4().hex[:6]}'
    password = f'Pw@:/%#{uuid.uuid4().hex[:10]}'
    rabbit.ctl('add_user', user, password)
    try:
        rabbit.ctl('set_permissions', '-p', '/', user, '.*', '.*', '.*')
        quote = lambda text: urllib.parse.quote(text, safe='')
        url = f'rabbit://{quote(user)}:{quote(password)}@127.0.0.1:{rabbit.port}/'
        dumper = start_dump(start_daemon, name='dump-special',
                            extra=f'[DEFAULT]\ntransport_url = {url}\n')
        instance_id = str(uuid.uuid4())
        nova.send(*payloads.versioned_delete(instance_id, 'web9', PROJECT))
        wait_for(lambda: instance_id in dumper.stdout(), what='the message dumped')
        assert dumper.stdout().count('"event_type"') == 1
        assert dumper.stop(signal.SIGINT) == 0
        assert password not in dumper.log() + dumper.stdout()
        assert quote(password) not in dumper.log() + dumper.stdout()
    finally:
        rabbit.ctl('delete_user', user)
