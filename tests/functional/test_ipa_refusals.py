"""IPA refuses: a missing permission (ACIError) is permanent, said once, spooled;
refused credentials are said once while the work waits."""

import glob
import os
import uuid

import pytest

from notify.decide import NOVAJOIN_MARKER as MARKER
from tests import harness, payloads
from tests.functional.conftest import PROJECT
from tests.harness import wait_for

ENROLLED = {'ipa_enroll': 'true'}
ACI = ("Insufficient access: Insufficient 'delete' privilege to delete the entry "
       "'fqdn={fqdn},cn=computers,cn=accounts,dc=example,dc=test'.")


def config(tmp_path, extra=''):
    return (f'[listener]\nretry_attempts = 2\nretry_initial_delay = 0.05\n'
            f'retry_max_delay = 0.1\nrequeue_delay = 0.3\n'
            f'[dead_letter]\nspool_dir = {tmp_path / "spool"}\n' + extra)


def spooled(tmp_path):
    return glob.glob(os.path.join(str(tmp_path / 'spool'), '*.json'))


@pytest.mark.parametrize('path', ['direct', 'batch'])
def test_missing_permission_is_said_once_and_spooled(start_daemon, nova, ipa, tmp_path, path):
    names = ['deny1', 'deny2', 'deny3']
    for name in names:
        ipa.add_host(f'{name}.example.test', description=MARKER)
        ipa.fail_next('host_del', 2100, 'ACIError', ACI.format(fqdn=f'{name}.example.test'))
    # batch: the three deletes arrive together and share an IPA batch request.
    window = '0' if path == 'direct' else '0.5'
    daemon = start_daemon(extra=config(tmp_path, f'[ipa]\nbatch_window = {window}\n'))
    for name in names:
        nova.send(*payloads.legacy_delete(str(uuid.uuid4()), name, PROJECT,
                                          metadata=ENROLLED))
    wait_for(lambda: len(spooled(tmp_path)) == 3, timeout=30, what='three refusals spooled')
    # each refusal is spooled, then said: wait for the lines, not just the files
    wait_for(lambda: len(harness.log_lines(daemon.log(), 'ERROR')) >= 3, timeout=10,
             what='three ERROR lines')
    log = daemon.log()
    errors = harness.log_lines(log, 'ERROR')
    assert len(errors) == 3, errors
    for name in names:
        mine = [line for line in errors if f'host_del {name}.example.test' in line]
        assert len(mine) == 1 and "'delete' privilege" in mine[0], errors
    assert 'handing back' not in log, 'a missing permission was taken for a transient failure'
    host_dels = sum(1 for call in ipa.call_log if call[0] == 'host_del')
    assert host_dels == 3, 'a refused host_del was tried again (a new login and a retry?)'
    assert all(ipa.has_host(f'{name}.example.test') for name in names)
    batched = sum(1 for call in ipa.call_log if call[0] == 'batch')
    assert (batched > 0) == (path == 'batch')


def test_refused_credentials_are_said_once_while_the_work_waits(start_daemon, nova, ipa,
                                                                tmp_path):
    ipa.add_host('wait1.example.test', description=MARKER)
    ipa.add_host('wait2.example.test', description=MARKER)
    daemon = start_daemon(extra=config(tmp_path))
    good = ipa.password
    ipa.password = good + '-changed-by-an-admin'
    for name in ('wait1', 'wait2'):
        nova.send(*payloads.legacy_delete(str(uuid.uuid4()), name, PROJECT,
                                          metadata=ENROLLED))
    wait_for(lambda: daemon.log().count('handing back') >= 6, timeout=30, what='hand-backs')
    errors = harness.log_lines(daemon.log(), 'ERROR')
    assert len(errors) == 1 and 'InvalidSessionPassword' in errors[0], errors
    assert errors[0].rstrip().endswith(')'), 'one plain line, without exception text'
    ipa.password = good
    wait_for(lambda: not ipa.has_host('wait1.example.test')
             and not ipa.has_host('wait2.example.test'), timeout=30, what='deletes done')
    assert 'IPA accepts the login of' in daemon.log()
    assert spooled(tmp_path) == []
