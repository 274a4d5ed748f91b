"""nova's paging ([api] max_limit, limit, marker, servers_links), a listing cut
short on purpose, and which states a listing shows (nova's DB API rules for
deleted and soft-deleted instances)."""

import urllib.parse


from tests.emulators.openstack import OpenStackEmulator
from tests.emulators.openstack.clients import COMPUTE, nova


def get(sess, path):
    r = sess.get(path, endpoint_filter=COMPUTE, raise_exc=False)
    return r.status_code, r.json()


def next_marker(body):
    [link] = body['servers_links']
    assert link['rel'] == 'next'
    return urllib.parse.parse_qs(urllib.parse.urlsplit(link['href']).query)['marker'][0]


def add(emu, n, prefix='s'):
    for i in range(n):
        emu.add_server('%s%d' % (prefix, i), 'web%d' % i, emu.project_id)


def test_max_limit_caps_every_page(emu, sess):
    assert emu.max_limit == emu.page_size == 1000
    emu.max_limit = 3
    assert emu.page_size == 3
    add(emu, 7)
    status, body = get(sess, '/servers')
    assert status == 200 and [s['id'] for s in body['servers']] == ['s6', 's5', 's4']
    assert next_marker(body) == 's4'
    status, body = get(sess, '/servers?limit=50&marker=s4')   # 50 > max_limit: 3 again
    assert [s['id'] for s in body['servers']] == ['s3', 's2', 's1']
    assert next_marker(body) == 's1'
    status, body = get(sess, '/servers?limit=2&marker=s1')
    assert [s['id'] for s in body['servers']] == ['s0'] and 'servers_links' not in body
    with OpenStackEmulator(max_limit=5) as other:
        assert other.page_size == 5


def test_a_full_last_page_still_links_to_an_empty_one(emu, sess):
    add(emu, 4)
    status, body = get(sess, '/servers?limit=2&marker=s2')
    assert [s['id'] for s in body['servers']] == ['s1', 's0']
    assert next_marker(body) == 's0'
    status, body = get(sess, '/servers?limit=2&marker=s0')
    assert body == {'servers': []}


def test_truncated_listing_stops_without_a_next_link(emu, sess):
    add(emu, 6)
    emu.truncate_server_lists = 3
    status, body = get(sess, '/servers?limit=2')
    assert [s['id'] for s in body['servers']] == ['s5', 's4'] and next_marker(body) == 's4'
    status, body = get(sess, '/servers?limit=2&marker=s4')
    assert [s['id'] for s in body['servers']] == ['s3'] and 'servers_links' not in body
    # a page exactly as long as the limit, and still no next link
    status, body = get(sess, '/servers?limit=3')
    assert len(body['servers']) == 3 and 'servers_links' not in body
    # novaclient, which pages until an empty page, sees three of six
    assert len(nova(sess).servers.list(limit=-1)) == 3
    emu.truncate_server_lists = None
    assert len(nova(sess).servers.list(limit=-1)) == 6


def test_states_a_listing_shows(emu, sess):
    for status in ('ACTIVE', 'BUILD', 'ERROR', 'SHELVED_OFFLOADED', 'SOFT_DELETED',
                   'SHUTOFF'):
        emu.add_server(status.lower(), 'h-' + status.lower(), emu.project_id, status=status)
    emu.add_server('deleted', 'h-deleted', emu.project_id)
    emu.delete_server('deleted')

    def listed(query=''):
        status, body = get(sess, '/servers/detail' + query)
        assert status == 200, body
        return {s['id']: s['status'] for s in body['servers']}

    # soft-deleted servers are hidden like deleted ones (deleted=False,
    # soft_deleted unset in instance_get_all_by_filters_sort)
    assert listed() == {'active': 'ACTIVE', 'build': 'BUILD', 'error': 'ERROR',
                        'shelved_offloaded': 'SHELVED_OFFLOADED', 'shutoff': 'SHUTOFF'}
    assert listed('?status=SOFT_DELETED') == {}
    # an admin asking for deleted=True gets the deleted and the soft-deleted
    assert listed('?deleted=True') == {'deleted': 'DELETED', 'soft_deleted': 'SOFT_DELETED'}
    assert listed('?deleted=True&status=SOFT_DELETED') == {'soft_deleted': 'SOFT_DELETED'}
    assert listed('?deleted=maybe') == listed()       # not true: not deleted
    # but GET of a soft-deleted server finds it
    assert nova(sess).servers.get('soft_deleted').status == 'SOFT_DELETED'
    offloaded = nova(sess).servers.get('shelved_offloaded')
    assert getattr(offloaded, 'OS-EXT-SRV-ATTR:host') is None and offloaded.hostId == ''
    gone = {s['id']: s for s in get(sess, '/servers/detail?deleted=1')[1]['servers']}
    assert gone['deleted']['OS-EXT-STS:vm_state'] == 'deleted'
    assert gone['deleted']['OS-SRV-USG:terminated_at'] is not None


def test_sort_parameters_as_nova_checks_them(emu, sess):
    add(emu, 3)
    emu.set_server('s0', name='b')
    emu.set_server('s1', name='a')
    emu.set_server('s2', name='c')
    status, body = get(sess, '/servers?sort_key=display_name&sort_dir=asc')
    assert [s['name'] for s in body['servers']] == ['a', 'b', 'c']
    # id is on nova's ignore list: dropped with its direction, default order stays
    status, body = get(sess, '/servers?sort_key=id&sort_dir=asc')
    assert [s['id'] for s in body['servers']] == ['s2', 's1', 's0']
    status, body = get(sess, '/servers?sort_key=display_name&sort_dir=asc&sort_dir=desc')
    assert status == 400
    assert 'Sort direction size exceeds sort key size' in body['badRequest']['message']
    status, body = get(sess, '/servers?sort_key=nope')
    assert status == 400
