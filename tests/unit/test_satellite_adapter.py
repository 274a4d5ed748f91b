"""The Satellite adapter against the Foreman emulator: UUID matching, paging,
organization scope, and how each failure is sorted."""

import logging
import threading

import pytest

from notify.adapters import satellite
from notify.adapters.satellite import SatelliteClient, fact_matches, uuid_forms
from notify.errors import PermanentError, TransientError
from tests.emulators import tls

UUID = '12345678-1234-5678-9abc-def012345678'
SWAPPED = '78563412-3412-7856-9abc-def012345678'
OTHER = '0f0f0f0f-1111-2222-3333-444455556666'


def test_uuid_forms_are_the_uuid_and_its_byte_swapped_form():
    assert uuid_forms(UUID) == {UUID, SWAPPED}
    assert uuid_forms(UUID.upper()) == {UUID, SWAPPED}
    assert uuid_forms(SWAPPED) == {UUID, SWAPPED}      # the swap is its own inverse
    assert uuid_forms('not-a-uuid') == frozenset() and uuid_forms(None) == frozenset()


@pytest.mark.parametrize('value, expected', [
    (UUID, True), (UUID.upper(), True), (SWAPPED.upper(), True), (f' {UUID}\n', True),
    (UUID + '0', False), (OTHER, False), ('', False), (None, False), (42, False),
])
def test_fact_matches_compares_case_insensitively(value, expected):
    assert fact_matches(value, uuid_forms(UUID)) is expected


def client_for(foreman, **options):
    kwargs = dict(ca_cert=foreman.ca_path, timeout=5.0)
    kwargs.update(options)
    username = kwargs.pop('username', foreman.username)
    password = kwargs.pop('password', foreman.password)
    return SatelliteClient(foreman.url, username, password, **kwargs)


def found(client, instance_id=UUID):
    return sorted((h.name, h.fact, h.value) for h in client.hosts_for_instance(instance_id))


def test_hosts_are_found_by_either_uuid_fact_in_any_form(foreman):
    foreman.add_host('virt.example.test', {'virt::uuid': UUID})
    foreman.add_host('dmi.example.test', {'dmi::system::uuid': UUID.upper()})
    foreman.add_host('old-smbios.example.test', {'dmi::system::uuid': SWAPPED.upper()})
    foreman.add_host('other.example.test', {'virt::uuid': OTHER, 'dmi::system::uuid': OTHER})
    foreman.add_host('no-facts.example.test')
    foreman.add_host('longer.example.test', {'virt::uuid': UUID + '-old'})
    foreman.add_host('elsewhere.example.test', {'custom::note': UUID})
    assert found(client_for(foreman)) == [
        ('dmi.example.test', 'dmi::system::uuid', UUID.upper()),
        ('old-smbios.example.test', 'dmi::system::uuid', SWAPPED.upper()),
        ('virt.example.test', 'virt::uuid', UUID)]


def test_a_candidate_whose_facts_do_not_confirm_is_left_out(foreman):
    # The search is ILIKE '%uuid%'; the facts read back must equal the UUID.
    foreman.add_host('prefix.example.test', {'virt::uuid': 'x' + UUID})
    assert found(client_for(foreman)) == []
    assert foreman.stats['fact_values#index'] == 1


def test_every_page_is_read(foreman, monkeypatch):
    monkeypatch.setattr(satellite, 'PAGE_SIZE', 2)
    for i in range(5):
        foreman.add_host(f'h{i}.example.test', {'virt::uuid': UUID})
    foreman.add_host('other.example.test', {'virt::uuid': OTHER})
    assert [h[0] for h in found(client_for(foreman))] == [f'h{i}.example.test'
                                                           for i in range(5)]
    pages = [int(c.params['page']) for c in foreman.calls('hosts#index')]
    assert pages == [1, 2, 3]


def test_a_non_uuid_instance_id_finds_nothing_and_asks_nothing(foreman):
    assert found(client_for(foreman), 'i-not-a-uuid') == []
    assert foreman.stats['http_requests'] == 0


@pytest.mark.parametrize('organization', ['Team B', 'by-id'])
def test_organization_scope_by_name_or_id(foreman, organization):
    team = foreman.add_organization('Team B')
    foreman.add_host('mine.example.test', {'virt::uuid': UUID}, organization_id=team)
    foreman.add_host('default.example.test', {'virt::uuid': UUID})
    client = client_for(foreman, organization=str(team) if organization == 'by-id'
                        else organization)
    assert [h[0] for h in found(client)] == ['mine.example.test']
    assert all(c.path == f'/api/organizations/{team}/hosts'
               for c in foreman.calls('hosts#index'))


def test_an_unknown_organization_is_one_error_and_waits(foreman, caplog):
    foreman.add_host('web.example.test', {'virt::uuid': UUID})
    for organization in ('Nobody', '99'):
        caplog.clear()
        with caplog.at_level(logging.ERROR, logger='notify'), pytest.raises(TransientError):
            client_for(foreman, organization=organization).hosts_for_instance(UUID)
        assert len([r for r in caplog.records if r.levelno >= logging.ERROR]) == 1
        assert 'organization' in caplog.text


def test_delete_host_and_a_host_already_gone(foreman):
    host_id = foreman.add_host('web.example.test', {'virt::uuid': UUID})
    client = client_for(foreman)
    assert client.delete_host(host_id) is True
    assert not foreman.has_host(host_id)
    assert client.delete_host(host_id) is False


def test_dry_run_deletes_nothing(foreman):
    host_id = foreman.add_host('web.example.test', {'virt::uuid': UUID})
    client = client_for(foreman, dry_run=True)
    assert [h.id for h in client.hosts_for_instance(UUID)] == [host_id]
    assert client.delete_host(host_id) is True
    assert foreman.has_host(host_id) and foreman.stats['hosts#destroy'] == 0


def test_unreachable_and_5xx_are_transient_and_a_failed_search_is_never_empty(foreman):
    foreman.add_host('web.example.test', {'virt::uuid': UUID})
    client = client_for(foreman)
    foreman.down = True
    with pytest.raises(TransientError, match='503'):
        client.hosts_for_instance(UUID)
    foreman.down = False
    foreman.pause_listening()
    with pytest.raises(TransientError, match='unreachable'):
        client.hosts_for_instance(UUID)
    foreman.resume_listening()
    for action in ('hosts#index', 'fact_values#index', 'hosts#destroy'):
        foreman.fail_next(action, 500)
        with pytest.raises(TransientError, match='500'):
            client.hosts_for_instance(UUID)
            client.delete_host(1)
    assert foreman.has_host(1)
    assert found(client) == [('web.example.test', 'virt::uuid', UUID)]


def test_a_slow_satellite_times_out_as_transient(foreman):
    client = client_for(foreman, timeout=1.0)
    client.hosts_for_instance(UUID)
    foreman.latency = 3.0
    with pytest.raises(TransientError, match='unreachable'):
        client.hosts_for_instance(UUID)


def test_wrong_credentials_are_one_error_line_and_the_work_waits(foreman, caplog):
    client = client_for(foreman, password='not-the-password')
    with caplog.at_level(logging.DEBUG, logger='notify'), pytest.raises(TransientError):
        client.hosts_for_instance(UUID)
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and '401' in errors[0].getMessage()
    assert 'Unable to authenticate user' in errors[0].getMessage()
    assert 'not-the-password' not in caplog.text


def test_missing_permission_is_one_error_line_and_the_work_waits(foreman, caplog):
    foreman.add_user('reader', 'Reader-Pass-1', permissions={'view_hosts', 'view_facts'})
    host_id = foreman.add_host('web.example.test', {'virt::uuid': UUID})
    client = client_for(foreman, username='reader', password='Reader-Pass-1')
    assert [h.id for h in client.hosts_for_instance(UUID)] == [host_id]
    with caplog.at_level(logging.ERROR, logger='notify'), pytest.raises(TransientError):
        client.delete_host(host_id)
    [error] = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert '403' in error and 'reader' in error
    assert foreman.has_host(host_id)


def test_a_refused_request_is_permanent(foreman):
    foreman.fail_next('DELETE', 422, message='Host is in use')
    with pytest.raises(PermanentError, match='Host is in use'):
        client_for(foreman).delete_host(foreman.add_host('web.example.test'))


def test_tls_is_verified(foreman, caplog):
    client = client_for(foreman, ca_cert=tls.TestCA().ca_path)   # another CA
    with caplog.at_level(logging.ERROR, logger='notify'), pytest.raises(TransientError):
        client.hosts_for_instance(UUID)
    assert 'TLS verification failed' in caplog.text
    assert foreman.stats['apidoc'] == 0


def test_only_https_urls_and_credentials_are_accepted(foreman):
    with pytest.raises(ValueError, match='https'):
        SatelliteClient(f'http://localhost:{foreman.port}', 'u', 'p')
    with pytest.raises(ValueError, match='password'):
        SatelliteClient(foreman.url, 'u', None)


def test_the_apidoc_is_loaded_once_for_concurrent_callers(foreman):
    foreman.add_host('web.example.test', {'virt::uuid': UUID})
    client = client_for(foreman)
    results, threads = [], []
    for _ in range(8):
        threads.append(threading.Thread(target=lambda: results.append(found(client))))
        threads[-1].start()
    for thread in threads:
        thread.join(30)
    assert len(results) == 8 and all(r == results[0] and r for r in results)
    assert foreman.stats['apidoc'] == 1
