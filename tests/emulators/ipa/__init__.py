"""A FreeIPA server emulator: JSON-RPC over HTTPS on 127.0.0.1, for tests.

It speaks the wire protocol python-freeipa speaks (password login, session
cookie, ``/ipa/session/json``) and reproduces the server-side behaviour the
daemon relies on, taken from the FreeIPA sources (ipaserver/rpcserver.py,
ipalib/frontend.py, ipalib/errors.py, ipaserver/plugins/{host,service,dns,
batch,baseldap}.py):

* session handling: 401 without a valid ``ipa_session`` cookie; RefererError
  (911) when the Referer does not start with ``https://<Host>/ipa``;
  JSONError (909) for a malformed request;
* command validation: CommandError (905), VersionError (901) for another major
  API version, VersionMissing (13001) warning without a version,
  OptionError (3005) "Unknown option: x", Zero/MaxArgumentError (3003/3004),
  RequirementError (3007), ConversionError (3008), ValidationError (3009);
* hosts: host_add/show/find/mod/del with IPA's messages; host_del
  ``updatedns`` removes the host's A/AAAA/SSHFP records and the PTR records
  that point to ``<fqdn>.`` exactly as ``host.py`` does (warning 13020 when
  there was nothing to remove); the IPA master cannot be deleted (3009, not
  swallowed by ``continue``, which only catches 4xxx execution errors);
* hosts' managedby: host_show shows ``managedby_host`` and ``has_keytab``;
  host_add_managedby / host_remove_managedby and service_add_host /
  service_remove_host answer like baseldap's LDAPAddMember/LDAPRemoveMember:
  ``{'result': entry, 'completed': n, 'failed': {'managedby': {'host':
  [[name, reason], ...]}}}`` with 'no such entry', 'This entry is already a
  member' or 'This entry is not a member';
* services (service.py): service_add/show/find/del. The principal gets the
  realm when it has none; 'Service principal is required' (3009),
  RealmMismatch (4005), HostService (4003) for ``host/...`` without force;
  the host part must be an IPA host unless ``skip_host_check`` (then the
  service starts unmanaged), and must resolve in DNS unless ``force``
  (DNSNotARecordError 4019); a new service is managed by its host. The
  master's HTTP/ldap/DNS services exist and cannot be deleted (3009).
  service_find's term is a substring of the principal (caseExact, as
  krbPrincipalName) or of a managedby DN (case-insensitive);
* referential integrity: host_del first deletes the host's services (those
  service_find(fqdn) returns whose principal's host part is the host), and
  once the host is gone it leaves no ``managedby`` of any host or service
  (389-ds referint, referint-membership-attr: managedby);
* DNS: dnszone_add/show/find, dnsrecord_add/show/find/mod/del with IPA's
  per-type validation, EmptyModlist (4202), AttrValueNotFound (4026),
  removal of a name when its last record goes; dnsrecord_find with record
  options (``arecord``, ``aaaarecord``, ``ptrrecord`` ...) returns only the
  names that hold all the given values, as the LDAP filter does;
* batch: per-entry results or error objects, a failing entry never stops the
  others;
* JSON encoding by client API version: DNS names as ``{"__dns_name__": ...}``
  for clients >= 2.88, plain strings otherwise (and without a version).

Faults for tests: ``down`` (503 for everything), ``pause_listening()`` /
``resume_listening()`` (connection refused, same port), ``latency`` (slept
outside the lock, so calls overlap), ``expire_sessions()``,
``session_max_calls``, ``fail_next()`` (inject an IPA error for a command).

Counters: ``stats`` and ``call_log`` (batch sub-calls are marked with
``in_batch``).

State helpers: the IPA master ``ipa.<domain>`` exists from the start and can
never be deleted. No DNS zone exists until ``add_zone()`` (idempotent) makes
one; like ``dnszone_add`` it gives the apex ``@`` an NS record pointing to the
master, so ``records(zone)`` includes ``'@': {'NS': ['ipa.<domain>.']}``.
Record names are relative and lower-case; values are kept exactly as given
(a PTR target without a final dot is relative to its zone, as in IPA).
``add_service(principal, managed_by=(), skip_host_check=False,
has_keytab=False)`` creates a service (its host must exist unless
``skip_host_check``) and returns the principal with its realm;
``services()`` is ``{principal: sorted managing fqdns}`` (the master's three
services included) and ``has_service(principal)`` accepts a principal with or
without realm.

Known differences from a real server: short host names resolve the way
host.get_dn does (a unique ``serverhostname`` match), not by appending the
domain; ``login_requires_referer`` (default True) makes the login page insist
on a Referer header, which FreeIPA's login_password handler does not check.
host_del of a fully-qualified name that is not a host fails with NotFound
before anything is touched; real IPA runs host_del's pre_callback first, so it
would still delete that name's services and (with ``updatedns``) its DNS
records before answering NotFound. Principals with an escaped ``@`` or ``/``
are not supported, and an empty component is refused as malformed.

Layout (one module per concern): transport.py (HTTPS server, login, cookies,
Referer, JSON-RPC envelope), commands.py (command table, parsing, execution),
params.py (parameter types and validation), errors.py (IPA errors, messages,
encoding helpers), hosts.py, members.py (managedby), services.py,
dnszones.py, dnsrecords.py, dnscheck.py, dnstypes.py, batch.py, faults.py
(fault injection, stats, search limits), emulator.py (the IPAEmulator class).
"""

from .emulator import IPAEmulator
from .errors import API_VERSION, IPA_VERSION, CallRecord, DNSName, IPAError

__all__ = ['IPAEmulator', 'IPAError', 'CallRecord', 'DNSName', 'API_VERSION', 'IPA_VERSION']
