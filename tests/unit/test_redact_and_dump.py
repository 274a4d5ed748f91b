"""Secrets never reach dump output; the dump shows what nova really sent."""

import json

from notify import dump
from notify.redact import redact


def oslo_body(message):
    return json.dumps({'oslo.version': '2.0', 'oslo.message': json.dumps(message)})


def test_redact_masks_tokens_passwords_and_url_credentials():
    shown = json.dumps(redact({
        'auth_token': 'gAAAAAB-token', 'nested': [{'password': 'hunter2'}],
        'transport_url': 'rabbit://nova:s3cr3t@rabbit:5672/', 'key_name': 'mykey'}))
    for secret in ('gAAAAAB-token', 'hunter2', 's3cr3t'):
        assert secret not in shown
    assert 'mykey' in shown and 'rabbit://nova:***@rabbit:5672/' in shown


def test_render_unwraps_oslo_envelope_and_redacts_context():
    body = oslo_body({
        'event_type': 'instance.delete.end', 'publisher_id': 'nova-compute:c1',
        'priority': 'INFO', 'message_id': 'm-1', 'timestamp': '2026-11-22 10:00:00',
        'payload': {'nova_object.data': {'host_name': 'web1'}},
        '_context_auth_token': 'gAAAAAB-secret-token', '_context_user_id': 'u1',
        '_context_service_catalog': [{'endpoints': []}],
    })
    shown = dump.render(body.encode(), 'nova', 'novajoin_notifications.info')
    assert shown['event_type'] == 'instance.delete.end'
    assert shown['payload'] == {'nova_object.data': {'host_name': 'web1'}}
    assert shown['context']['user_id'] == 'u1'
    assert shown['exchange'] == 'nova'
    assert 'gAAAAAB-secret-token' not in json.dumps(shown)


def test_render_shows_garbage_as_it_came():
    shown = dump.render(b'{not json', 'nova', 'novajoin_notifications.info')
    assert shown['unparsed_body'] == '{not json'
    shown = dump.render(b'[1, 2]', 'nova', 'novajoin_notifications.error')
    assert shown['unparsed_body'] == [1, 2]
