"""The private library shapes notify/compat.py relies on, checked loudly.

When one of these fails after an upgrade of python-freeipa or oslo.messaging,
the message says which private attribute changed: adapt notify/compat.py (and
only it), or pin the library.
"""

import inspect

import python_freeipa
import requests
from python_freeipa import ClientMeta
from python_freeipa import exceptions as ipa_exc

from notify import compat


def shape(condition, library, what):
    assert condition, (f'{library} changed shape: {what}. notify/compat.py relies on it; '
                       'adapt it there, or pin the version the project was tested with '
                       '(constraints.txt).')


# -- python-freeipa -------------------------------------------------------------

def test_python_freeipa_request_and_session():
    client = ClientMeta('ipa.example.test', verify_ssl=True, dns_discovery=False)
    request = getattr(client, '_request', None)
    shape(callable(request), 'python-freeipa', 'Client._request is gone')
    params = list(inspect.signature(request).parameters)
    shape(params[:3] == ['method', 'args', 'params'], 'python-freeipa',
          f'Client._request takes {params}, not (method, args, params)')
    shape(isinstance(compat.ipa_http_session(client), requests.Session), 'python-freeipa',
          'Client._session is not a requests.Session')
    compat.close_ipa_client(client)
    shape(isinstance(getattr(ClientMeta, 'version', None), str), 'python-freeipa',
          'ClientMeta.version (the API version batch entries carry) is gone')


def test_python_freeipa_request_goes_through_the_session():
    """ipa_request reaches the requests session, where the timeout adapter sits."""
    client = ClientMeta('ipa.example.test', verify_ssl=True, dns_discovery=False)
    seen = []

    class Stop(Exception):
        pass

    def post(url, **kw):
        seen.append(url)
        raise Stop

    compat.ipa_http_session(client).post = post
    client._current_host = 'ipa.example.test'
    try:
        compat.ipa_request(client, 'host_show', ['web1'], {})
    except Stop:
        pass
    shape(seen == ['https://ipa.example.test/ipa/session/json'], 'python-freeipa',
          f'Client._request posted to {seen}')


def test_python_freeipa_error_classes():
    shape(issubclass(ipa_exc.Denied, ipa_exc.Unauthorized), 'python-freeipa',
          'Denied is no longer an Unauthorized: notify/adapters/ipa.py sorts them in '
          'this order on purpose, re-check it')
    shape(ipa_exc.error_codes.get(2100) is ipa_exc.Denied, 'python-freeipa',
          'ACIError (2100) no longer maps to Denied')
    shape(hasattr(ipa_exc, 'PasswordExpired'), 'python-freeipa', 'PasswordExpired is gone')
    assert python_freeipa.__name__ == 'python_freeipa'


# -- oslo.messaging -------------------------------------------------------------

def test_oslo_messaging_rabbit_options():
    names = {opt.dest for opt in compat.rabbit_opts()}
    shape('rabbit_qos_prefetch_count' in names and 'rabbit_quorum_queue' in names,
          'oslo.messaging', '_drivers.impl_rabbit.rabbit_opts lacks the prefetch or '
          'quorum options')


def test_oslo_messaging_listener_and_duplicate_check():
    from oslo_messaging._drivers import amqp, amqpdriver, common, impl_rabbit
    cls = getattr(amqpdriver, 'NotificationAMQPListener', None)
    shape(cls is not None and callable(getattr(cls, '__call__', None)), 'oslo.messaging',
          '_drivers.amqpdriver.NotificationAMQPListener (the consumer callback) is gone')
    shape(hasattr(common, 'DuplicateMessageError'), 'oslo.messaging',
          '_drivers.common.DuplicateMessageError is gone')
    cache = getattr(amqp, '_MsgIdCache', None)
    shape(cache is not None and hasattr(cache, 'check_duplicate_message')
          and hasattr(cache, 'add'), 'oslo.messaging',
          '_drivers.amqp._MsgIdCache.check_duplicate_message/add are gone')
    shape('_raw_message' in inspect.getsource(impl_rabbit.RabbitMessage.__init__),
          'oslo.messaging', 'RabbitMessage no longer keeps the kombu message as _raw_message')


def test_oslo_messaging_dispatcher_metadata_hook():
    from oslo_messaging.notify import dispatcher
    extract = getattr(dispatcher.NotificationDispatcher, '_extract_user_message', None)
    shape(callable(extract), 'oslo.messaging',
          'NotificationDispatcher._extract_user_message is gone')

    class Incoming:
        ctxt = {}
        message = {'priority': 'INFO', 'event_type': 'x', 'publisher_id': 'p',
                   'message_id': 'm', 'timestamp': 't', 'payload': {}}

    out = extract(dispatcher.NotificationDispatcher([], None), Incoming())
    shape(isinstance(out, tuple) and len(out) == 3 and isinstance(out[2].get('metadata'), dict),
          'oslo.messaging', '_extract_user_message no longer returns '
          '(priority, incoming, message with a metadata dict)')
