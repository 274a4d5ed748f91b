"""The kombu connection of --dump and --replay, built from the transport URL's parts:
passwords with URL delimiters, IPv6 literals, several hosts, TLS from the URL's
query or from [oslo_messaging_rabbit]."""

import ssl

import pytest
from amqp.transport import to_host_port
from kombu.utils.url import parse_url

from notify import broker, cmd

SPECIAL = 'p@:/%#x'


def config(tmp_path, url, rabbit=''):
    path = tmp_path / 'notify.conf'
    path.write_text(f'[DEFAULT]\ntransport_url = {url}\n'
                    f'[oslo_messaging_rabbit]\n{rabbit}\n')
    return cmd.parse_config(['--config-file', str(path)])


def connect(tmp_path, url, rabbit=''):
    return broker.connection(config(tmp_path, url, rabbit))


def parts(connection):
    return (connection.hostname, connection.port, connection.userid, connection.password,
            connection.virtual_host)


@pytest.mark.parametrize('url', [
    # percent-encoded, as RFC 3986 says
    'rabbit://nova:p%40%3A%2F%25%23x@192.0.2.1:5672/vh',
    # '@' and ':' left as they are: oslo.messaging reads them so too
    'rabbit://nova:p@:%2F%25%23x@192.0.2.1:5672/vh',
])
def test_password_with_url_delimiters(tmp_path, url):
    connection = connect(tmp_path, url)
    assert parts(connection) == ('192.0.2.1', 5672, 'nova', SPECIAL, 'vh')
    assert connection.transport_cls == 'pyamqp'


def test_ipv6_literal(tmp_path):
    connection = connect(tmp_path, 'rabbit://nova:secret@[2001:db8::5]:5671/')
    assert parts(connection)[:4] == ('2001:db8::5', 5671, 'nova', 'secret')
    # What py-amqp connects to.
    assert to_host_port(connection.host) == ('2001:db8::5', 5671)


def test_no_host_is_the_local_broker(tmp_path):
    connection = connect(tmp_path, 'rabbit://')
    assert (connection.hostname, connection.port) == ('localhost', 5672)


def test_port_defaults_to_5672_as_in_oslo_messaging(tmp_path):
    assert connect(tmp_path, 'rabbit://u:p@broker.example.test/').port == 5672
    assert connect(tmp_path, 'rabbit://u:p@broker.example.test/?ssl=1').port == 5672


@pytest.mark.parametrize('query, rabbit, expected', [
    ('', '', False),
    ('?ssl=1', '', True),
    ('?ssl=true', '', True),
    ('?ssl=True', '', True),
    ('', 'ssl = true', True),
    ('?ssl=0', 'ssl = true', False),     # the URL's query wins, as in oslo.messaging
])
def test_tls_from_query_or_options(tmp_path, query, rabbit, expected):
    connection = connect(tmp_path, f'rabbit://u:p@broker.example.test:5671/{query}', rabbit)
    if not expected:
        assert connection.ssl is False
        return
    assert connection.ssl['cert_reqs'] == ssl.CERT_REQUIRED
    # None: kombu fills in the host connected to, so the name is always checked.
    assert 'server_hostname' in connection.ssl and connection.ssl['server_hostname'] is None


def test_tls_files(tmp_path):
    connection = connect(tmp_path, 'rabbit://u:p@broker.example.test:5671/?ssl=1',
                         'ssl_ca_file = /etc/ca.pem\nssl_cert_file = /etc/c.pem\n'
                         'ssl_key_file = /etc/k.pem')
    assert {k: connection.ssl[k] for k in ('ca_certs', 'certfile', 'keyfile')} == {
        'ca_certs': '/etc/ca.pem', 'certfile': '/etc/c.pem', 'keyfile': '/etc/k.pem'}


def test_tls_file_from_the_query(tmp_path):
    connection = connect(tmp_path, 'rabbit://u:p@h:5671/?ssl=1&ssl_ca_file=/srv/ca.pem')
    assert connection.ssl['ca_certs'] == '/srv/ca.pem'


# An IPv6 literal last: Python's urlsplit, which oslo.messaging's TransportURL.parse
# uses, checks the netloc's last host only, and refuses a literal before a name.
MULTI = ('rabbit://nova:p%40%3A%2F%25%23x@rabbit-0.example.test:5672,'
         'nova3:third@192.0.2.7,nova2:second%2Fone@[2001:db8::6]:5673/nova%2Fvh?ssl=1')


def test_several_hosts_fail_over_in_turn(tmp_path):
    connection = connect(tmp_path, MULTI, 'kombu_failover_strategy = round-robin')
    assert parts(connection) == ('rabbit-0.example.test', 5672, 'nova', SPECIAL, 'nova/vh')
    assert [parse_url(u)['hostname'] for u in connection.alt] == [
        'rabbit-0.example.test', '192.0.2.7', '2001:db8::6']
    # After the first host, the others in turn, then the first again.
    expected = [('192.0.2.7', 5672, 'nova3', 'third', 'nova/vh'),
                ('2001:db8::6', 5673, 'nova2', 'second/one', 'nova/vh'),
                ('rabbit-0.example.test', 5672, 'nova', SPECIAL, 'nova/vh')]
    seen = []
    for _ in expected:
        # What kombu's failover does on a connection error.
        connection.ssl['server_hostname'] = connection.hostname  # as kombu fills it in
        connection.maybe_switch_next()
        seen.append(parts(connection))
        assert connection.ssl['server_hostname'] is None    # checked against the new host
        assert connection.ssl['cert_reqs'] == ssl.CERT_REQUIRED
    assert seen == expected


def test_other_transports_are_refused(tmp_path):
    with pytest.raises(SystemExit, match='only RabbitMQ'):
        connect(tmp_path, 'kafka://broker.example.test:9092/')


def test_bad_query_value_is_a_clear_error(tmp_path):
    with pytest.raises(SystemExit, match='ssl'):
        connect(tmp_path, 'rabbit://u:p@h/?ssl=maybe')


def test_durable_from_the_query(tmp_path):
    conf = config(tmp_path, 'rabbit://u:p@h/?amqp_durable_queues=true')
    assert broker.durable(conf) is True
    assert broker.durable(config(tmp_path, 'rabbit://u:p@h/')) is False


def test_notification_transport_url_comes_first(tmp_path):
    path = tmp_path / 'both.conf'
    path.write_text('[DEFAULT]\ntransport_url = rabbit://rpc:p@rpc-host/\n'
                    '[oslo_messaging_notifications]\n'
                    'transport_url = rabbit://notif:p%23@notif-host:5673/\n')
    connection = broker.connection(cmd.parse_config(['--config-file', str(path)]))
    assert parts(connection)[:4] == ('notif-host', 5673, 'notif', 'p#')


def test_password_never_in_the_connection_text(tmp_path):
    connection = connect(tmp_path, MULTI)
    assert SPECIAL not in connection.as_uri() and 'second/one' not in repr(connection)
