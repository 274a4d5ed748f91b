"""tools/satellite-sweep against notify.http's real server (fake nova behind it) and
a stand-in ``hammer`` that serves facts page by page and records deletions."""

import os
import socket
import stat
import subprocess
import textwrap

import pytest

from notify import http as nhttp
from notify.errors import TransientError
from tests.harness import ROOT
from tests.unit.test_http import Nova, make_app

SWEEP = os.path.join(ROOT, 'tools', 'satellite-sweep')
LIVE = ['0c8e2a4e-6d1b-4b52-9d0a-3c1f1f6f2b7e', '1d9f3b5f-7e2c-4c63-8e1b-4d2a2a7a3c8f']
GONE = ['2ea04c60-8f3d-4d74-9f2c-5e3b3b8b4d90', '3fb15d71-904e-4e85-a03d-6f4c4c9c5ea1']
TOKEN = 'sweep-token-5b2e9f01'

HAMMER = textwrap.dedent('''\
    #!/usr/bin/env bash
    # hammer --output csv fact list --search S --per-page N --page P | host delete --name H
    set -eu
    dir=$(dirname "$0")
    echo "$*" >> "$dir/hammer.calls"
    if [ "$3 $4" = "fact list" ]; then
        per_page=$8 page=${10}
        echo "Host,Fact,Value"
        tail -n +$(( (page - 1) * per_page + 1 )) "$dir/facts.csv" | head -n "$per_page"
    elif [ "$1 $2" = "host delete" ]; then
        echo "$4" >> "$dir/deleted"
        echo "Host deleted."
    else
        exit 64
    fi
''')


@pytest.fixture
def hammer(tmp_path):
    path = tmp_path / 'hammer'
    path.write_text(HAMMER)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    rows = [f'live{i}.example.test,virt::uuid,{u.upper() if i else u}'
            for i, u in enumerate(LIVE)]
    rows += [f'gone{i}.example.test,virt::uuid,{u}' for i, u in enumerate(GONE)]
    rows += ['odd.example.test,virt::uuid,Not Settable']
    (tmp_path / 'facts.csv').write_text('\n'.join(rows) + '\n')
    return tmp_path


@pytest.fixture
def serve():
    servers = []

    def start(nova=None, token=None):
        server = nhttp.HTTPServer(make_app(nova or Nova(LIVE), token=token), '127.0.0.1', 0)
        servers.append(server.start())
        return f'http://127.0.0.1:{server.addresses[0][1]}'
    yield start
    for server in servers:
        server.stop()


def sweep(hammer, *args):
    env = dict(os.environ, HAMMER=str(hammer / 'hammer'))
    return subprocess.run([SWEEP, '--per-page', '2', *args], capture_output=True, text=True,
                          env=env, timeout=120)


def deleted(hammer):
    path = hammer / 'deleted'
    return path.read_text().split() if path.exists() else []


def test_dry_run_is_the_default(hammer, serve):
    done = sweep(hammer, '--url', serve())
    assert deleted(hammer) == []
    assert 'gone0.example.test: instance %s is gone; would delete' % GONE[0] in done.stdout
    assert 'keep   live1.example.test: instance %s exists' % LIVE[1] in done.stdout
    assert "skip   odd.example.test: virt::uuid 'Not Settable' is not a UUID" in done.stdout
    assert done.returncode == 1      # the odd host could not be checked


def test_delete_removes_only_hosts_whose_instance_is_gone(hammer, serve):
    nova = Nova(LIVE)
    done = sweep(hammer, '--url', serve(nova), '--delete')
    assert deleted(hammer) == ['gone0.example.test', 'gone1.example.test']
    assert '2 kept, 2 gone (2 deleted), 1 not sure' in done.stderr
    assert sorted(nova.calls) == sorted(LIVE + GONE)        # paged through every host
    pages = [c for c in (hammer / 'hammer.calls').read_text().splitlines() if 'fact' in c]
    assert len(pages) == 3 and "--search fact = virt::uuid" in pages[0]


@pytest.mark.parametrize('fail', [TransientError('nova unreachable: ConnectFailure'),
                                  TransientError('keystone answered 503')])
def test_nothing_is_deleted_when_nova_cannot_be_asked(hammer, serve, fail):
    done = sweep(hammer, '--url', serve(Nova(LIVE, fail=fail)), '--delete')
    assert deleted(hammer) == []
    assert done.returncode == 1 and 'answered 503' in done.stdout


def test_nothing_is_deleted_when_check_is_not_reached(hammer, serve):
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        closed = s.getsockname()[1]
    done = sweep(hammer, '--url', f'http://127.0.0.1:{closed}', '--delete')
    assert deleted(hammer) == [] and done.returncode == 1
    assert 'answered 000' in done.stdout
    # A wrong path prefix answers 404 too, but not a /check answer: kept.
    done = sweep(hammer, '--url', serve() + '/wrong', '--delete')
    assert deleted(hammer) == [] and done.returncode == 1


def test_token_is_sent_and_never_shown(hammer, serve, tmp_path):
    url = serve(token=TOKEN)
    done = sweep(hammer, '--url', url, '--delete')
    assert deleted(hammer) == [] and 'answered 401' in done.stdout
    token_file = tmp_path / 'token'
    token_file.write_text(TOKEN + '\n')
    done = sweep(hammer, '--url', url, '--token-file', str(token_file), '--delete')
    assert deleted(hammer) == ['gone0.example.test', 'gone1.example.test']
    assert TOKEN not in done.stdout + done.stderr


def test_too_many_gone_deletes_nothing(hammer, serve):
    done = sweep(hammer, '--url', serve(Nova([])), '--delete', '--max-deletes', '3')
    assert done.returncode == 3 and deleted(hammer) == []
    assert '4 hosts are gone, more than --max-deletes 3: nothing deleted' in done.stderr
