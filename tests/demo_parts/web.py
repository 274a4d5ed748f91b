"""The demo's look at the daemon's HTTP side: a few metrics and /check answers."""

import http.client
import json

SHOWN = ('novajoin_notify_notifications_total', 'novajoin_notify_ipa_hosts_removed_total',
         'novajoin_notify_last_removal_timestamp_seconds')


def get(port, path):
    conn = http.client.HTTPConnection('127.0.0.1', port, timeout=10)
    try:
        conn.request('GET', path)
        response = conn.getresponse()
        return response.status, response.read().decode()
    finally:
        conn.close()


def show(port, live_id, deleted_id):
    """Print some metric lines and two /check answers; True when they are right."""
    status, text = get(port, '/metrics')
    print(f'\n$ curl http://127.0.0.1:{port}/metrics   (HTTP {status}; a few lines)')
    for line in text.splitlines():
        if line.startswith(SHOWN) and not line.endswith(' 0.0'):
            print('  ' + line)
    answers = []
    for uuid in (live_id, deleted_id):
        code, body = get(port, f'/check/{uuid}')
        print(f'$ curl http://127.0.0.1:{port}/check/{uuid}   -> HTTP {code} {body.strip()}')
        answers.append((code, json.loads(body).get('exists')))
    return status == 200 and answers == [(200, True), (404, False)] and \
        'outcome="done"' in text
