"""A FreeIPA server emulator: JSON-RPC over HTTPS on 127.0.0.1, for tests.

It speaks the wire protocol python-freeipa speaks (password login, session
cookie, ``/ipa/session/json``) and reproduces the server-side behaviour the
daemon relies on, taken from the FreeIPA sources (ipaserver/rpcserver.py,
ipalib/frontend.py, ipalib/errors.py, ipaserver/plugins/{host,hostgroup,
service,dns,batch,baseldap}.py) of the release it claims (IPA_VERSION):

* sessions (sessions.py): Apache's 401 ``WWW-Authenticate: Negotiate``
  without a valid ``ipa_session`` cookie, IPA's empty 401 that clears the
  cookie when its credentials expired, 400 "denied" when the Referer does not
  start with ``https://<Host>/ipa``, login refusals with
  X-IPA-Rejection-Reason (``denied``, ``invalid-password``,
  ``password-expired``); JSONError (909) for a malformed request;
* the schema: every command takes exactly the arguments and options of
  FreeIPA's API.txt for that release (test_ipa_schema.py);
* command validation: CommandError (905), VersionError (901) for another major
  API version, VersionMissing (13001) warning without a version,
  OptionError (3005) "Unknown option: x", Zero/MaxArgumentError (3003/3004),
  RequirementError (3007), ConversionError (3008), ValidationError (3009);
* hosts: host_add/show/find/mod/del with IPA's messages; host_del
  ``updatedns`` removes the host's A/AAAA/SSHFP records and the PTR records
  that point to ``<fqdn>.`` exactly as ``host.py`` does (warning 13020 when
  there was nothing to remove); an IPA master cannot be deleted (3009, not
  swallowed by ``continue``, which only catches 4xxx execution errors), a
  name that is no host is NotFound "<name>: host not found";
* hosts show ``description``, ``managedby_host``, ``memberof_hostgroup`` /
  ``memberofindirect_hostgroup`` (members shown unless ``no_members``, which
  ``all`` overrides; ``raw`` gives DNs), and with ``all`` ``managing_host`` and,
  once enrolled, ``krblastpwdchange`` (a datetime); host_find filters on
  criteria (substring), attribute options (equality), in_/not_in_hostgroup,
  man_by_host, man_host, with ``pkey_only``;
* host groups (hostgroups.py): hostgroup_show/find/add_member/remove_member,
  ``ipaservers`` holds the masters and keeps its last member;
* searches honour ``sizelimit`` and the server limits and say ``truncated``
  (faults.py);
* permissions: ``deny(method)`` answers ACIError 2100 as IPA does;
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
``resume_listening()`` (connection refused, same port), ``latency`` (a request's
time from its arrival to its answer, the emulator's own work included; slept
outside the lock, so calls overlap), ``entry_latency`` (per command: a lone one
or each batch entry),
``expire_sessions(credentials_only=False)``, ``session_max_calls``,
``password_expired``, ``fail_next()`` (inject an IPA error for a command),
``deny()`` / ``allow()`` / ``denied=`` (ACIError), ``search_size_limit``,
``server_size_limit``, ``search_time_limit_hit``.

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
without realm. ``add_host(fqdn, created=None, enrolled=None, hostgroups=(),
**attrs)``, ``enroll_host(fqdn, when=None)``, ``host_info(fqdn)``,
``add_hostgroup(cn, description=None, hosts=(), hostgroups=())``,
``add_hostgroup_member(cn, host=None, hostgroup=None)``, ``hostgroups()``,
``add_master(fqdn)``, ``masters()``.

Known differences from a real server: short host names resolve the way
host.get_dn does (a unique ``serverhostname`` match), not by appending the
domain; the Referer is compared with the Host header the client sent, not
with the server's own name; ``login_requires_referer = False`` accepts a login
without Referer as FreeIPA < 4.11 did. Principals with an escaped ``@`` or
``/`` are not supported, and an empty component is refused as malformed.
Host entries carry no netgroup ``memberof`` in raw mode and no creation time
(IPA shows none either: createTimestamp is operational). Searches run no
clock: the time limit is ``search_time_limit_hit``.

Layout (one module per concern): transport.py (HTTPS server, JSON-RPC
envelope), sessions.py (login, cookies, Referer), commands.py (command table,
parsing, execution), params.py (parameter types and validation), errors.py
(IPA errors, messages, encoding helpers), hosts.py, hostsearch.py
(host_find), hostdel.py (host_del), hostgroups.py, members.py (managedby),
services.py, dnszones.py, dnsrecords.py, dnscheck.py, dnstypes.py, batch.py,
faults.py (fault injection, permissions, stats, search limits), emulator.py
(the IPAEmulator class and its knobs).
"""

from .emulator import IPAEmulator
from .errors import API_VERSION, IPA_VERSION, CallRecord, DNSName, IPAError

__all__ = ['IPAEmulator', 'IPAError', 'CallRecord', 'DNSName', 'API_VERSION', 'IPA_VERSION']
