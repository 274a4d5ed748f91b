"""The spool: a record is on disk (file and directory entry) before the message is
acknowledged, and no failure at any step leaves a temporary file behind."""

import errno
import json
import os
import stat

import pytest

from notify import deadletter
from notify.deadletter import Spool, SpoolError


def record(**changes):
    fields = dict(reason='bad input: x', event_type='instance.delete.end',
                  payload={'a': 1}, message_id='m-1', timestamp='t',
                  publisher_id='compute.h', priority='info', exchange='nova', attempts=1)
    fields.update(changes)
    return fields


def deep(depth=5000):
    value = {}
    for _ in range(depth):
        value = [value]
    return value


@pytest.fixture
def spool(tmp_path):
    return Spool(str(tmp_path / 'spool'))


def leftovers(spool):
    return sorted(os.listdir(spool.directory)) if os.path.isdir(spool.directory) else []


class FsyncLog:
    """Records what os.fsync was called on (a file or a directory) in order, with
    the renames; fails on the ``fail_on``-th call when asked."""

    def __init__(self, monkeypatch, fail_on=None, kind=None):
        self.calls = []
        self.fail_on = fail_on
        self.kind = kind
        real_fsync, real_rename = os.fsync, os.rename

        def fsync(fd):
            what = 'dir' if stat.S_ISDIR(os.fstat(fd).st_mode) else 'file'
            self.calls.append(what)
            if self.kind == what and self.calls.count(what) == (self.fail_on or 1):
                raise OSError(errno.EIO, 'I/O error')
            return real_fsync(fd)

        def rename(src, dst):
            self.calls.append('rename')
            return real_rename(src, dst)

        monkeypatch.setattr(os, 'fsync', fsync)
        monkeypatch.setattr(os, 'rename', rename)


def test_file_then_rename_then_directory_are_synced(spool, monkeypatch):
    os.makedirs(spool.directory)
    log = FsyncLog(monkeypatch)
    path = spool.put(**record())
    assert log.calls == ['file', 'rename', 'dir']
    assert json.load(open(path))['payload'] == {'a': 1}
    assert leftovers(spool) == [os.path.basename(path)]


def test_a_new_spool_directory_is_synced_in_its_parent(spool, monkeypatch):
    log = FsyncLog(monkeypatch)
    spool.put(**record())
    assert log.calls == ['dir', 'file', 'rename', 'dir']


@pytest.mark.parametrize('kind', ['file', 'dir'])
def test_failed_fsync_leaves_no_file(spool, monkeypatch, kind):
    os.makedirs(spool.directory)
    FsyncLog(monkeypatch, kind=kind)
    with pytest.raises(SpoolError, match='I/O error'):
        spool.put(**record())
    assert leftovers(spool) == []


def test_failed_write_leaves_no_temporary_file(spool, monkeypatch):
    os.makedirs(spool.directory)
    real_open = open

    def full_disk(file, mode='r', *args, **kwargs):
        handle = real_open(file, mode, *args, **kwargs)
        if isinstance(file, int):
            def write(text):
                raise OSError(errno.ENOSPC, 'No space left on device')
            handle.write = write
        return handle

    monkeypatch.setattr('builtins.open', full_disk)
    with pytest.raises(SpoolError, match='No space left'):
        spool.put(**record())
    assert leftovers(spool) == []


def test_failed_rename_leaves_no_temporary_file(spool, monkeypatch):
    os.makedirs(spool.directory)

    def read_only(src, dst):
        raise OSError(errno.EROFS, 'Read-only file system')

    monkeypatch.setattr(os, 'rename', read_only)
    with pytest.raises(SpoolError, match='Read-only'):
        spool.put(**record())
    assert leftovers(spool) == []


def test_unwritable_directory(spool, monkeypatch):
    os.makedirs(spool.directory)

    def denied(*args, **kwargs):
        raise PermissionError(errno.EACCES, 'Permission denied')

    monkeypatch.setattr(deadletter.tempfile, 'mkstemp', denied)
    with pytest.raises(SpoolError, match='Permission denied'):
        spool.put(**record())
    assert leftovers(spool) == []


@pytest.mark.parametrize('payload, kind', [
    (deep(), 'list'),                          # nested deeper than the encoder goes
    ({1: 'a', 'b': 2}, 'dict'),                # keys that cannot be sorted
])
def test_payload_that_cannot_be_serialised_is_kept_without_it(spool, payload, kind):
    path = spool.put(**record(payload=payload, timestamp=deep()))
    kept = json.load(open(path))
    assert kept['reason'] == 'bad input: x' and kept['message_id'] == 'm-1'
    assert kept['payload'] is None and kept['timestamp'] is None
    assert kept['not_kept']['payload'].startswith(kind)
    assert set(kept['not_kept']) == {'payload', 'timestamp'}
    assert leftovers(spool) == [os.path.basename(path)]


def test_replay_leaves_records_without_their_payload(spool):
    good = spool.put(**record())
    lost = spool.put(**record(payload=deep()))
    published = []
    replayed, failed = deadletter.replay(None, spool=spool, publish=published.append)
    assert (replayed, failed) == (1, 1)
    assert [r['message_id'] for r in published] == ['m-1']
    assert not os.path.exists(good) and os.path.exists(lost)
