"""Every private part of python-freeipa and oslo.messaging this daemon relies on.

Neither library offers a public way to do these few things. Each private use is
here and nowhere else; tests/unit/test_compat.py fails with a message naming the
library and the attribute when an upgrade changes the shape relied on.

python-freeipa 1.0 (checked with 1.0.10):
- ``Client._request(method, args, params)``: the JSON-RPC call under every
  generated command method (which take ``a_``/``o_`` keyword names instead);
  used where a proxy applies (notify/adapters/ipa_rpc.py sends the rest).
- ``Client._session``: its requests.Session, for a timeout adapter, closing,
  and the cookie jar the urllib3 path sends from.

oslo.messaging 14-18 (checked with 18.3.1):
- ``_drivers.impl_rabbit.rabbit_opts``: to change the prefetch default (also
  for oslo-config-generator; the public ``opts.list_opts`` returns copies).
- ``_drivers.amqpdriver.NotificationAMQPListener.__call__``: the consumer
  callback, wrapped to acknowledge redelivered duplicates and to see every
  delivery (see ``install_listener_hook``).
- ``RabbitMessage._raw_message``: the kombu message under a notification, for
  its headers (``x-delivery-count``) and its acknowledgement state.
- ``NotificationDispatcher._extract_user_message``: where the endpoint's
  metadata is made, to add the delivery count to it.
"""

import logging

from notify.errors import printable

LOG = logging.getLogger(__name__)

DELIVERY_COUNT = 'x-delivery-count'   # set by RabbitMQ quorum queues on redelivery


# -- python-freeipa -------------------------------------------------------------

def ipa_request(client, method, args, options):
    """One JSON-RPC command; python-freeipa's answer or exception."""
    return client._request(method, list(args), dict(options))


def ipa_http_session(client):
    """The requests.Session a python-freeipa client sends with."""
    return client._session


def close_ipa_client(client):
    """Close the HTTP connections of a client that is dropped."""
    try:
        ipa_http_session(client).close()
    except Exception as exc:   # closing must never fail the caller
        LOG.debug('closing a dropped IPA client: %s: %s', type(exc).__name__, exc)


# -- oslo.messaging -------------------------------------------------------------

def rabbit_opts():
    """The [oslo_messaging_rabbit] option objects oslo.messaging registers."""
    from oslo_messaging._drivers import impl_rabbit
    return impl_rabbit.rabbit_opts


def raw_delivery(incoming):
    """The kombu message under an oslo.messaging incoming notification, or None."""
    return getattr(getattr(incoming, 'message', None), '_raw_message', None)


def delivery_count(incoming):
    """How often RabbitMQ delivered this message before (quorum queues), or None."""
    headers = getattr(raw_delivery(incoming), 'headers', None)
    value = headers.get(DELIVERY_COUNT) if isinstance(headers, dict) else None
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    return None


class DeliveryCountMixin:
    """For a NotificationDispatcher subclass: the endpoint's metadata carries
    ``delivery_count`` (RabbitMQ's ``x-delivery-count``, None without it)."""

    def _extract_user_message(self, incoming):
        priority, raw, message = super()._extract_user_message(incoming)
        message['metadata']['delivery_count'] = delivery_count(incoming)
        return priority, raw, message


def _listener_class():
    from oslo_messaging._drivers import amqpdriver
    return amqpdriver.NotificationAMQPListener


def _duplicate_error():
    from oslo_messaging._drivers import common
    return common.DuplicateMessageError


class _Hook:
    deliveries = None   # notify.watchdog.Deliveries of the running daemon, or None


def install_listener_hook(deliveries=None):
    """Wrap oslo.messaging's notification consumer callback (idempotent).

    1. A message acknowledged by this process, whose acknowledgement was lost
       with the connection (a broker restart), comes back with a unique id that
       oslo.messaging remembers (its last 16). oslo.messaging then ignores it
       without acknowledging it, so it stays unacknowledged, holding a prefetch
       slot, until the connection closes. Its work is done: acknowledge it.
    2. Every other delivery is reported to ``deliveries`` (the watchdog's view
       of prefetch slots), with the kombu message.
    """
    _Hook.deliveries = deliveries
    cls = _listener_class()
    if getattr(cls.__call__, 'novajoin_original', None) is not None:
        return
    original = cls.__call__
    duplicate = _duplicate_error()

    def __call__(listener, message):
        try:
            listener.msg_id_cache.check_duplicate_message(dict(message))   # a copy: it pops
        except duplicate:
            _acknowledge_duplicate(message)
            return None
        raw = getattr(message, '_raw_message', None)
        if _Hook.deliveries is not None and raw is not None:
            _Hook.deliveries.delivered(raw)
        return original(listener, message)

    __call__.novajoin_original = original
    cls.__call__ = __call__


def uninstall_listener_hook():
    _Hook.deliveries = None
    cls = _listener_class()
    original = getattr(cls.__call__, 'novajoin_original', None)
    if original is not None:
        cls.__call__ = original


def _acknowledge_duplicate(message):
    what = (printable(message.get('event_type')), printable(message.get('message_id')))
    failed = None
    try:
        message.acknowledge()   # on the consumer thread, as kombu wants
    except Exception as exc:
        failed = type(exc).__name__
    if failed:   # said outside the except block: one line, no exception text
        LOG.warning('%s notification %s, delivered again after it was handled, could not '
                    'be acknowledged (%s); the broker delivers it again', *what, failed)
        return
    LOG.info('%s notification %s was delivered again after it was handled (its '
             'acknowledgement was lost with the connection): acknowledged', *what)
