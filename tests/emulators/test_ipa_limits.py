"""The IPA emulator's search limits, as ldap2.find_entries and LDAPSearch apply
them: ``sizelimit`` (absent: the server's ipasearchrecordslimit, 100 by
default; 0: none) under 389-ds's own size limit, the time limit, and the
``truncated`` flag with the SearchResultTruncated warning."""

from tests.emulators.ipa_testlib import REVZONE

V = '2.254'


def call(client, method, *args, **options):
    options.setdefault('version', V)
    return client._request(method, list(args), options)


def add_hosts(emu, count):
    for n in range(count):
        emu.add_host(f'vm{n:05d}.example.test', description='IPA host for OpenStack')


def warning(reply):
    return [m for m in reply.get('messages', ()) if m['code'] == 13017]


def test_without_sizelimit_the_server_default_of_100_cuts_the_list(emu, client):
    add_hosts(emu, 150)
    reply = call(client, 'host_find', description='IPA host for OpenStack', pkey_only=True)
    assert reply['count'] == 100 and len(reply['result']) == 100
    assert reply['truncated'] is True
    assert reply['summary'] == '100 hosts matched'
    [message] = warning(reply)
    assert message['name'] == 'SearchResultTruncated' and message['type'] == 'warning'
    assert message['message'] == \
        'Search result has been truncated: Configured size limit exceeded'


def test_sizelimit_zero_is_unlimited_and_a_list_at_the_limit_is_whole(emu, client):
    add_hosts(emu, 150)
    whole = call(client, 'host_find', sizelimit=0, pkey_only=True)
    assert whole['count'] == 151 and whole['truncated'] is False and warning(whole) == []
    exact = call(client, 'host_find', sizelimit=151, pkey_only=True)
    assert exact['truncated'] is False
    cut = call(client, 'host_find', sizelimit=10, pkey_only=True)
    assert cut['count'] == 10 and cut['truncated'] is True
    assert [h['fqdn'][0] for h in cut['result']][:2] == ['ipa.example.test',
                                                         'vm00000.example.test']


def test_the_server_knobs_search_size_limit_and_server_size_limit(emu, client):
    add_hosts(emu, 30)
    emu.search_size_limit = 20
    assert call(client, 'host_find', pkey_only=True)['count'] == 20
    emu.search_size_limit = 0
    assert call(client, 'host_find', pkey_only=True)['truncated'] is False
    emu.server_size_limit = 25
    capped = call(client, 'host_find', sizelimit=0, pkey_only=True)
    assert capped['count'] == 25 and capped['truncated'] is True


def test_a_time_limit_hit_returns_what_was_found_so_far(emu, client):
    add_hosts(emu, 10)
    emu.search_time_limit_hit = 4
    reply = call(client, 'host_find', pkey_only=True)
    assert reply['count'] == 4 and reply['truncated'] is True
    assert warning(reply)[0]['message'] == \
        'Search result has been truncated: Configured time limit exceeded'
    assert call(client, 'host_find', 'vm00001', pkey_only=True)['truncated'] is False
    assert call(client, 'host_find', timelimit=0, pkey_only=True)['count'] == 11
    emu.search_time_limit_hit = None
    assert call(client, 'host_find', pkey_only=True)['count'] == 11


def test_dnsrecord_find_and_service_find_are_limited_too(emu, client):
    for n in range(12):
        emu.add_record(REVZONE, str(n + 1), 'PTR', f'vm{n}.example.test.')
        emu.add_host(f'vm{n}.example.test')
        emu.add_service(f'HTTP/vm{n}.example.test')
    records = call(client, 'dnsrecord_find', REVZONE, sizelimit=5)
    assert records['count'] == 5 and records['truncated'] is True
    services = call(client, 'service_find', sizelimit=5)
    assert services['count'] == 5 and services['truncated'] is True
    assert call(client, 'service_find', sizelimit=0)['truncated'] is False


def test_a_big_audit_with_sizelimit_zero_sees_every_host(emu, client):
    add_hosts(emu, 2000)
    reply = call(client, 'host_find', description='IPA host for OpenStack', sizelimit=0,
                 pkey_only=True)
    assert reply['count'] == 2000 and reply['truncated'] is False
