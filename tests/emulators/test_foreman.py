"""The Foreman emulator, driven by apypie exactly as the daemon's adapter drives it."""

import os

import apypie
import pytest
import requests


UUID = '4a1f0b52-8c3e-4d2a-9f11-0123456789ab'


def api_for(foreman, tmp_path, username=None, password=None, **kwargs):
    return apypie.Api(uri=foreman.url, username=username or foreman.username,
                      password=password or foreman.password, api_version=2,
                      verify_ssl=foreman.ca_path,
                      apidoc_cache_dir=str(tmp_path / 'apidoc'), **kwargs)


def http_error(call, *args):
    with pytest.raises(requests.HTTPError) as info:
        call(*args)
    return info.value.response


def test_apypie_loads_the_apidoc_and_caches_it_under_the_checksum(foreman, tmp_path):
    api = api_for(foreman, tmp_path)
    assert {'hosts', 'fact_values', 'organizations'} <= set(api.resources)
    assert {'index', 'show', 'destroy'} <= set(api.resource('hosts').actions)
    assert foreman.stats['apidoc'] == 1
    api.call('hosts', 'index')
    # apypie names its cache after the Apipie-Checksum header: a second client
    # with the same cache directory reads the file instead of asking again.
    assert os.listdir(tmp_path / 'apidoc') == [foreman.apidoc_checksum + '.json']
    again = api_for(foreman, tmp_path)
    again.call('hosts', 'index')
    assert foreman.stats['apidoc'] == 1


def test_a_language_falls_back_to_the_plain_apidoc(foreman, tmp_path):
    api = api_for(foreman, tmp_path, language='pt_BR')
    assert 'hosts' in api.resources
    assert foreman.stats['apidoc'] == 3   # v2.pt_BR.json, v2.pt.json: 404; v2.json


def test_tls_is_verified_against_the_test_ca(foreman, tmp_path):
    api = apypie.Api(uri=foreman.url, username=foreman.username, password=foreman.password,
                     api_version=2, verify_ssl=True, apidoc_cache_dir=str(tmp_path))
    with pytest.raises(Exception) as info:
        api.resources
    assert 'CERTIFICATE_VERIFY_FAILED' in str(info.value)


def test_wrong_credentials_answer_401_with_foremans_body(foreman, tmp_path):
    api = api_for(foreman, tmp_path, password='wrong')
    response = http_error(api.call, 'hosts', 'index')
    assert response.status_code == 401
    assert response.json() == {'error': {'message':
                                         f'Unable to authenticate user {foreman.username}'}}
    anonymous = requests.get(foreman.url + '/api/hosts', verify=foreman.ca_path, timeout=10)
    assert anonymous.status_code == 401
    assert anonymous.json() == {'error': {'message': 'Unable to authenticate user'}}


def test_a_user_without_the_permission_gets_403(foreman, tmp_path):
    foreman.add_user('viewer', 'View-Only-1', permissions={'view_hosts', 'view_facts'})
    host_id = foreman.add_host('web1.example.test', {'virt::uuid': UUID})
    api = api_for(foreman, tmp_path, username='viewer', password='View-Only-1')
    assert api.call('hosts', 'show', {'id': host_id})['name'] == 'web1.example.test'
    response = http_error(api.call, 'hosts', 'destroy', {'id': host_id})
    assert response.status_code == 403
    assert response.json() == {'error': {
        'message': 'Access denied',
        'details': 'Missing one of the required permissions: destroy_hosts',
        'missing_permissions': ['destroy_hosts']}}
    assert foreman.has_host(host_id)


def names(result):
    return sorted(h['name'] for h in result['results'])


def test_search_by_fact_name_and_or(foreman, tmp_path):
    foreman.add_host('a.example.test', {'virt::uuid': UUID})
    foreman.add_host('b.example.test', {'dmi::system::uuid': UUID.upper()})
    foreman.add_host('c.example.test', {'virt::uuid': 'other'})
    foreman.add_host('d.example.test')
    api = api_for(foreman, tmp_path)

    def find(query):
        return names(api.call('hosts', 'index', {'search': query}))

    assert find(f'facts.virt::uuid = {UUID}') == ['a.example.test']
    # '=' is exact and case-sensitive (PostgreSQL), '~' is ILIKE '%value%'
    assert find(f'facts.dmi::system::uuid = {UUID}') == []
    assert find(f'facts.dmi::system::uuid ~ "{UUID}"') == ['b.example.test']
    assert find(f'facts.virt::uuid = {UUID} or facts.dmi::system::uuid = {UUID.upper()}') \
        == ['a.example.test', 'b.example.test']
    assert find('name = c.example.test or (facts.virt::uuid = x and name = a.example.test)') \
        == ['c.example.test']
    assert find('facts.virt::uuid !~ other') == ['a.example.test', 'b.example.test',
                                                  'd.example.test']
    assert find('example') == ['a.example.test', 'b.example.test', 'c.example.test',
                               'd.example.test']


def test_a_search_on_an_unknown_field_answers_400(foreman, tmp_path):
    api = api_for(foreman, tmp_path)
    response = http_error(api.call, 'hosts', 'index', {'search': 'fact.virt::uuid = x'})
    assert response.status_code == 400
    assert response.json()['error'] == {
        'message': "Field 'fact.virt::uuid' not recognized for searching!",
        'class': 'ScopedSearch::QueryNotSupported'}


def test_paging_and_the_index_envelope(foreman, tmp_path):
    for i in range(5):
        foreman.add_host(f'h{i}.example.test', {'virt::uuid': UUID if i != 2 else 'x'})
    api = api_for(foreman, tmp_path)
    query = f'facts.virt::uuid = {UUID}'
    first = api.call('hosts', 'index', {'search': query, 'per_page': 3, 'page': 1})
    assert {k: first[k] for k in ('total', 'subtotal', 'page', 'per_page', 'search')} == {
        'total': 5, 'subtotal': 4, 'page': 1, 'per_page': 3, 'search': query}
    second = api.call('hosts', 'index', {'search': query, 'per_page': 3, 'page': 2})
    assert names(first) + names(second) == ['h0.example.test', 'h1.example.test',
                                            'h3.example.test', 'h4.example.test']
    assert api.call('hosts', 'index', {'search': query, 'per_page': 3,
                                       'page': 3})['results'] == []
    assert len(api.call('hosts', 'index', {'per_page': 'all'})['results']) == 5
    assert api.call('hosts', 'index')['per_page'] == 20
    assert http_error(api.call, 'hosts', 'index', {'per_page': '0'}).status_code == 400


def test_fact_values_by_host(foreman, tmp_path):
    web = foreman.add_host('web.example.test', {'virt::uuid': UUID, 'dmi::system::uuid': UUID,
                                                'memory::memtotal': '2048',
                                                '_timestamp': '2024-01-01'})
    foreman.add_host('db.example.test', {'virt::uuid': 'other'})
    api = api_for(foreman, tmp_path)
    query = f'host = {web} and (fact = virt::uuid or fact = dmi::system::uuid)'
    result = api.call('fact_values', 'index', {'search': query})
    assert result['results'] == {'web.example.test': {'virt::uuid': UUID,
                                                      'dmi::system::uuid': UUID}}
    assert result['subtotal'] == 1 and result['total'] == 4   # hosts, not values
    nested = api.call('fact_values', 'index', {'host_id': 'web.example.test'})
    assert nested['results'] == {'web.example.test': {
        'virt::uuid': UUID, 'dmi::system::uuid': UUID, 'memory::memtotal': '2048'}}
    assert foreman.call_log[-1].path == '/api/hosts/web.example.test/facts'


def test_show_and_destroy(foreman, tmp_path):
    host_id = foreman.add_host('web.example.test', {'virt::uuid': UUID})
    api = api_for(foreman, tmp_path)
    shown = api.call('hosts', 'show', {'id': host_id})
    assert shown['id'] == host_id and shown['organization_name'] == 'Default Organization'
    assert api.call('hosts', 'destroy', {'id': host_id})['id'] == host_id
    assert not foreman.has_host(host_id) and foreman.deleted == [(host_id, 'web.example.test')]
    response = http_error(api.call, 'hosts', 'destroy', {'id': host_id})
    assert response.status_code == 404
    assert response.json() == {'error': {
        'message': f"Resource host not found by id '{host_id}'"}}
    assert http_error(api.call, 'hosts', 'show', {'id': host_id}).status_code == 404


def test_organization_scoping(foreman, tmp_path):
    other = foreman.add_organization('Team B')
    foreman.add_host('mine.example.test', {'virt::uuid': UUID})
    theirs = foreman.add_host('theirs.example.test', {'virt::uuid': UUID},
                              organization_id=other)
    api = api_for(foreman, tmp_path)
    scoped = api.call('hosts', 'index', {'organization_id': other,
                                         'search': f'facts.virt::uuid = {UUID}'})
    assert names(scoped) == ['theirs.example.test'] and scoped['total'] == 1
    assert foreman.call_log[-1].path == f'/api/organizations/{other}/hosts'
    assert http_error(api.call, 'hosts', 'destroy',
                      {'id': theirs, 'organization_id': 1}).status_code == 404
    response = http_error(api.call, 'hosts', 'index', {'organization_id': 99})
    assert response.status_code == 404
    assert response.json() == {'message': "Organization not found by id '99'"}
    found = api.call('organizations', 'index', {'search': 'name = "Team B"'})
    assert [o['id'] for o in found['results']] == [other]


def test_down_answers_503_and_paused_refuses_connections(foreman, tmp_path):
    api = api_for(foreman, tmp_path)
    api.call('hosts', 'index')
    foreman.down = True
    assert http_error(api.call, 'hosts', 'index').status_code == 503
    foreman.down = False
    foreman.pause_listening()
    with pytest.raises(requests.ConnectionError):
        api.call('hosts', 'index')
    foreman.resume_listening()
    assert api.call('hosts', 'index')['total'] == 0


def test_fail_next_and_the_call_log(foreman, tmp_path):
    host_id = foreman.add_host('web.example.test')
    api = api_for(foreman, tmp_path)
    foreman.fail_next('DELETE', 500)
    foreman.fail_next('hosts#index', 502, message='proxy error')
    response = http_error(api.call, 'hosts', 'destroy', {'id': host_id})
    assert response.status_code == 500 and 'error' in response.json()
    assert foreman.has_host(host_id)
    assert http_error(api.call, 'hosts', 'index').json() == {
        'error': {'message': 'proxy error'}}
    api.call('hosts', 'destroy', {'id': host_id})
    assert [(c.method, c.action, c.status) for c in foreman.call_log] == [
        ('DELETE', 'hosts#destroy', 500), ('GET', 'hosts#index', 502),
        ('DELETE', 'hosts#destroy', 200)]
    assert foreman.stats['hosts#destroy'] == 2
    assert foreman.call_log[0].user == foreman.username


def test_latency_lets_a_client_time_out(foreman, tmp_path):
    session = requests.Session()
    api = api_for(foreman, tmp_path, session=session)
    api.resources
    foreman.latency = 2.0
    with pytest.raises(requests.Timeout):
        session.get(foreman.url + '/api/hosts', verify=foreman.ca_path, timeout=0.3,
                    auth=(foreman.username, foreman.password))
