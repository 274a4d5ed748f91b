"""Handlers: what the daemon does with each typed event, one plugin per job.

The handler interface (the one place it is defined)
----------------------------------------------------
A handler is a subclass of ``Handler`` with:

``name``
    a short unique name (str), used in log lines and to record which handlers
    finished a message;
``events``
    the ``notify.events`` classes it takes (InstanceDeleted, FloatingIPAssociated,
    FloatingIPReleased);
``handle(event)``
    does its work for one event. It is idempotent: an event may come again (a
    redelivery, a replay), and the handler then finds its work done. It says how
    a failure should be treated by raising a ``notify.errors`` exception:
    TransientError (retried, then handed back to the broker), PermanentError or
    BadNotification (logged, kept in the dead-letter spool). Anything else is a
    bug. A handler's failure never makes the daemon redo another handler's
    finished work for the same message (notify.endpoint keeps count);
``from_config(conf, shared)`` (classmethod)
    the factory: returns the handler, or None when its configuration leaves it
    off. ``conf`` is the daemon's parsed oslo.config object; a plugin may
    register options of its own on it here. ``shared`` is a ``Shared``: the
    adapters the daemon builds once for every handler. Raise
    ``ConfigurationError`` for a configuration that cannot work: the daemon
    logs it and exits with status 2.

Handlers are found through the setuptools entry-point group ``HANDLERS_NAMESPACE``
(``novajoin_notify.handlers``), as designate finds its notification handlers:
a third-party package adds one with

    [options.entry_points]
    novajoin_notify.handlers =
        my_cleanup = my_package.handler:MyCleanupHandler

Handlers run in the listener's worker threads, several events at once.
"""

import abc
import dataclasses
import logging

import stevedore

LOG = logging.getLogger(__name__)

HANDLERS_NAMESPACE = 'novajoin_notify.handlers'


class ConfigurationError(ValueError):
    """A handler's configuration cannot work (an operator must change it)."""


@dataclasses.dataclass(frozen=True)
class Shared:
    """What the daemon builds once and hands to every handler factory.

    - ``nova``: notify.adapters.openstack.Nova (``server(id)`` is None once the
      instance is gone; ``servers_named(hostname)``);
    - ``glance``, ``keystone`` (None unless [ipa] project_subdomain),
      ``neutron``: the other OpenStack adapters, on one keystoneauth ``session``;
    - ``ipa``: notify.adapters.ipa.IPAClient; ``dns``: notify.adapters.ipa_dns.IPADns;
    - ``naming`` (instance -> FQDN) and ``enrollment`` (``ipa_enroll``):
      notify.handlers.common;
    - ``hosts``: notify.adapters.ipa_hosts.IPAHosts (host facts, removals);
    - ``protection``: notify.decide.Protection, the operator's safety settings;
    - ``locks``: one worker at a time per key, across daemons with [coordination]
      (notify.coordination; notify.locks.KeyedLock without);
    - ``dry_run``: True under --dry-run: read, log what would change, change nothing.
    """

    nova: object
    glance: object
    keystone: object
    neutron: object
    ipa: object
    dns: object
    naming: object
    enrollment: object
    locks: object
    hosts: object = None
    protection: object = None
    session: object = None
    dry_run: bool = False


class Handler(abc.ABC):
    #: unique short name of the handler
    name = None
    #: the notify.events classes this handler takes
    events = ()

    @classmethod
    def from_config(cls, conf, shared):
        """The handler for this configuration, or None when it is not enabled."""
        raise NotImplementedError(f'{cls.__name__} has no from_config factory')

    @abc.abstractmethod
    def handle(self, event):
        """Do this handler's work for one event; idempotent, as events may repeat."""


def _load_failed(manager, entrypoint, exc):
    raise ConfigurationError(f'handler plugin {entrypoint.name} ({entrypoint.value}) '
                             f'cannot be loaded: {type(exc).__name__}: {exc}') from exc


def load(conf, shared, namespace=HANDLERS_NAMESPACE):
    """Every enabled handler, by asking each plugin's factory in name order."""
    manager = stevedore.ExtensionManager(namespace, invoke_on_load=False,
                                         on_load_failure_callback=_load_failed)
    handlers, names = [], set()
    for extension in sorted(manager, key=lambda e: e.name):
        plugin = extension.plugin
        if not (isinstance(plugin, type) and issubclass(plugin, Handler)):
            raise ConfigurationError(f'handler plugin {extension.name} is not a '
                                     f'notify.handlers.Handler')
        handler = plugin.from_config(conf, shared)
        if handler is None:
            LOG.debug('handler plugin %s is not enabled', extension.name)
            continue
        if not handler.name or handler.name in names or not handler.events:
            raise ConfigurationError(f'handler plugin {extension.name}: a handler needs '
                                     f'a unique name and the events it takes')
        names.add(handler.name)
        handlers.append(handler)
    LOG.info('handlers: %s', ', '.join(h.name for h in handlers) or 'none')
    return handlers
