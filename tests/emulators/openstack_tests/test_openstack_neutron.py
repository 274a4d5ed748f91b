"""The OpenStack emulator's neutron: ports and floating IPs, neutron's filters,
native pagination (neutron/api/api_common.py) and fip-port-details, checked
with a keystoneauth session over verified TLS."""

import urllib.parse

import pytest
from keystoneauth1 import exceptions as ks_exc

from tests.emulators.openstack.clients import NETWORK


def get(sess, path):
    r = sess.get(path, endpoint_filter=NETWORK, raise_exc=False)
    return r.status_code, r.json()


def ids(body, plural):
    return [item['id'] for item in body[plural]]


def links(body, plural):
    """{rel: query dict} of a page's links."""
    return {link['rel']: urllib.parse.parse_qs(urllib.parse.urlsplit(link['href']).query)
            for link in body.get(plural + '_links', [])}


def test_neutron_ports_and_floating_ips(emu, sess):
    emu.add_port('port-1', 'server-1', fixed_ips=['10.0.0.5'])
    emu.add_floatingip('fip-1', '172.24.4.10', port_id='port-1')
    port = sess.get('/v2.0/ports/port-1', endpoint_filter=NETWORK).json()['port']
    assert port['device_id'] == 'server-1' and port['device_owner'] == 'compute:nova'
    assert port['fixed_ips'][0]['ip_address'] == '10.0.0.5'
    assert port['project_id'] == port['tenant_id'] == emu.project_id
    fip = sess.get('/v2.0/floatingips/fip-1', endpoint_filter=NETWORK).json()['floatingip']
    assert (fip['floating_ip_address'], fip['fixed_ip_address']) == ('172.24.4.10', '10.0.0.5')
    ports = sess.get('/v2.0/ports?device_id=server-1', endpoint_filter=NETWORK).json()
    assert [p['id'] for p in ports['ports']] == ['port-1']
    r = sess.get('/v2.0/ports/nope', endpoint_filter=NETWORK, raise_exc=False)
    assert r.status_code == 404 and r.json()['NeutronError']['type'] == 'PortNotFound'
    with pytest.raises(ks_exc.NotFound):
        sess.get('/v2.0/floatingips/nope', endpoint_filter=NETWORK)


def test_floating_ip_filters(emu, sess):
    emu.add_port('port-1', 'server-1', fixed_ips=['10.0.0.5'])
    emu.add_port('port-2', 'server-2', fixed_ips=['10.0.0.6'], project_id='p-2')
    emu.add_floatingip('fip-1', '172.24.4.10', port_id='port-1')
    emu.add_floatingip('fip-2', '172.24.4.11', port_id='port-2', project_id='p-2')
    emu.add_floatingip('fip-3', '172.24.4.12')
    for query, expected in (('port_id=port-1', ['fip-1']),
                            ('floating_ip_address=172.24.4.11', ['fip-2']),
                            ('fixed_ip_address=10.0.0.5', ['fip-1']),
                            ('project_id=p-2', ['fip-2']),
                            ('id=fip-3', ['fip-3']),
                            ('id=fip-1&id=fip-3', ['fip-1', 'fip-3']),
                            ('port_id=port-1&project_id=p-2', []),
                            ('status=DOWN', ['fip-3'])):
        status, body = get(sess, '/v2.0/floatingips?' + query)
        assert status == 200 and sorted(ids(body, 'floatingips')) == expected, query
    status, body = get(sess, '/v2.0/floatingips?device_id=server-1')
    assert status == 400 and body['NeutronError']['type'] == 'HTTPBadRequest'
    status, body = get(sess, '/v2.0/ports?device_id=server-2&fields=id&fields=device_id')
    assert body == {'ports': [{'id': 'port-2', 'device_id': 'server-2'}]}
    status, body = get(sess, '/v2.0/ports?fixed_ips=ip_address%3D10.0.0.6')
    assert ids(body, 'ports') == ['port-2']


def test_port_details_follow_the_port(emu, sess):
    emu.add_port('port-1', 'server-1', fixed_ips=['10.0.0.5'])
    emu.add_floatingip('fip-1', '172.24.4.10', port_id='port-1')
    emu.add_floatingip('fip-old', '172.24.4.20', port_id='port-1', port_details=False)
    status, body = get(sess, '/v2.0/floatingips/fip-1')
    details = body['floatingip']['port_details']
    assert sorted(details) == ['admin_state_up', 'device_id', 'device_owner', 'mac_address',
                               'name', 'network_id', 'status']
    assert details['device_id'] == 'server-1'
    # a neutron without fip-port-details has no such key at all
    assert 'port_details' not in get(sess, '/v2.0/floatingips/fip-old')[1]['floatingip']
    # the port is read at every answer
    emu._ports['port-1']['device_id'] = 'server-9'
    assert get(sess, '/v2.0/floatingips?port_id=port-1')[1]['floatingips'][0][
        'port_details']['device_id'] == 'server-9'
    # deleting the port disassociates its floating IPs
    emu.delete_port('port-1')
    fip = get(sess, '/v2.0/floatingips/fip-1')[1]['floatingip']
    assert (fip['port_id'], fip['fixed_ip_address'], fip['port_details']) == (None, None, None)
    assert get(sess, '/v2.0/ports/port-1')[0] == 404


def test_pagination_as_neutron_does_it(emu, sess):
    for i in (3, 1, 4, 0, 2):
        emu.add_floatingip('fip-%d' % i, '172.24.4.%d' % (10 + i))
    # no limit: no paging, no links, stored order
    status, body = get(sess, '/v2.0/floatingips')
    assert ids(body, 'floatingips') == ['fip-3', 'fip-1', 'fip-4', 'fip-0', 'fip-2']
    assert 'floatingips_links' not in body
    # a limit sorts by id and links both ways
    status, body = get(sess, '/v2.0/floatingips?limit=2&status=DOWN')
    assert ids(body, 'floatingips') == ['fip-0', 'fip-1']
    found = links(body, 'floatingips')
    assert found['next'] == {'limit': ['2'], 'status': ['DOWN'], 'marker': ['fip-1']}
    assert found['previous'] == {'limit': ['2'], 'status': ['DOWN'], 'marker': ['fip-0'],
                                 'page_reverse': ['True']}
    status, body = get(sess, '/v2.0/floatingips?limit=2&marker=fip-3')
    assert ids(body, 'floatingips') == ['fip-4'] and 'next' not in links(body, 'floatingips')
    # a full last page links to an empty one
    status, body = get(sess, '/v2.0/floatingips?limit=2&marker=fip-2')
    assert ids(body, 'floatingips') == ['fip-3', 'fip-4']
    status, body = get(sess, '/v2.0/floatingips?limit=2&marker=fip-4')
    assert ids(body, 'floatingips') == [] and 'next' not in links(body, 'floatingips')
    # page_reverse walks back from the marker
    status, body = get(sess, '/v2.0/floatingips?limit=2&marker=fip-3&page_reverse=True')
    assert ids(body, 'floatingips') == ['fip-1', 'fip-2']
    status, body = get(sess, '/v2.0/floatingips?limit=2&marker=fip-1&page_reverse=True')
    assert ids(body, 'floatingips') == ['fip-0'] and 'previous' not in links(body,
                                                                             'floatingips')
    # an unknown marker: floating IPs start over, ports are not found
    status, body = get(sess, '/v2.0/floatingips?limit=1&marker=nope')
    assert ids(body, 'floatingips') == ['fip-0']
    status, body = get(sess, '/v2.0/ports?limit=1&marker=nope')
    assert status == 404 and body['NeutronError']['type'] == 'PortNotFound'
    status, body = get(sess, '/v2.0/ports?limit=-1')
    assert status == 400 and 'Limit must be an integer 0 or greater' in (
        body['NeutronError']['message'])
    # limit=0 is no paging
    status, body = get(sess, '/v2.0/floatingips?limit=0')
    assert len(body['floatingips']) == 5 and 'floatingips_links' not in body


def test_pagination_max_limit_and_sorting(emu, sess):
    for i in range(4):
        emu.add_port('port-%d' % i, 'server-%d' % (3 - i))
    emu.neutron_max_limit = 3
    status, body = get(sess, '/v2.0/ports')
    assert ids(body, 'ports') == ['port-0', 'port-1', 'port-2']
    assert links(body, 'ports')['next']['marker'] == ['port-2']
    status, body = get(sess, '/v2.0/ports?sort_key=device_id&sort_dir=asc&limit=2')
    assert ids(body, 'ports') == ['port-3', 'port-2']
    status, body = get(sess, '/v2.0/ports?sort_key=device_id&sort_dir=desc&limit=2'
                             '&marker=port-0')
    assert ids(body, 'ports') == ['port-1', 'port-2']
    status, body = get(sess, '/v2.0/ports?sort_key=device_id')
    assert status == 400
