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
"""

import collections
import ipaddress
import json
import re
import secrets
import socket
import ssl
import threading
import time
import traceback
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.emulators.tls import shared_ca

IPA_VERSION = '4.12.2'
API_VERSION = '2.254'
VERSION_WITHOUT_CAPABILITIES = '2.51'
CAPABILITIES = {
    'messages': '2.52',
    'primary_key_types': '2.83',
    'dns_name_values': '2.88',
}
# ipamaxhostnamelength default and the default search size limit
MAX_HOSTNAME_LENGTH = 64
SEARCH_RECORDS_LIMIT = 100


# ---------------------------------------------------------------------------
# errors and messages (ipalib/errors.py, ipalib/messages.py)

class IPAError(Exception):
    """A PublicError as the server would send it."""

    def __init__(self, code, name, message, data=None):
        super().__init__(message)
        self.code = code
        self.name = name
        self.message = message
        self.data = dict(data or {})

    def to_dict(self):
        return {'code': self.code, 'message': self.message, 'data': self.data,
                'name': self.name}


_ERRORS = {
    'VersionError': (901, "%(cver)s client incompatible with %(sver)s server at '%(server)s'"),
    'InternalError': (903, 'an internal error has occurred'),
    'CommandError': (905, "unknown command '%(name)s'"),
    'JSONError': (909, 'Invalid JSON-RPC request: %(error)s'),
    'RefererError': (911, 'Missing or invalid HTTP Referer, %(referer)s'),
    'ZeroArgumentError': (3003, "command '%(name)s' takes no arguments"),
    'MaxArgumentError': (3004, None),
    'OptionError': (3005, None),
    'OverlapError': (3006, 'overlapping arguments and options: %(names)s'),
    'RequirementError': (3007, "'%(name)s' is required"),
    'ConversionError': (3008, "invalid '%(name)s': %(error)s"),
    'ValidationError': (3009, "invalid '%(name)s': %(error)s"),
    'NotFound': (4001, '%(reason)s'),
    'DuplicateEntry': (4002, 'This entry already exists'),
    'HostService': (4003, 'You must enroll a host in order to create a host service'),
    'RealmMismatch': (
        4005, 'The realm for the principal does not match the realm for this IPA server'),
    'NotGroupMember': (4012, 'This entry is not a member'),
    'AlreadyGroupMember': (4014, 'This entry is already a member'),
    'DNSNotARecordError': (
        4019, "Host '%(hostname)s' does not have corresponding DNS A/AAAA record"),
    'AttrValueNotFound': (4026, "%(attr)s does not contain '%(value)s'"),
    'SingleMatchExpected': (
        4027, 'The search criteria was not specific enough. Expected 1 and found %(found)d.'),
    'EmptyModlist': (4202, 'no modifications to be performed'),
    'NonFatalError': (4304, '%(reason)s'),
}


def _err(_cls, message=None, **kw):
    code, fmt = _ERRORS[_cls]
    if message is None:
        if _cls == 'MaxArgumentError':
            fmt = ("command '%(name)s' takes at most %(count)d argument" if kw['count'] == 1
                   else "command '%(name)s' takes at most %(count)d arguments")
        message = fmt % kw
    return IPAError(code, _cls, message, kw)


def _not_found(pkey, oname):
    return _err('NotFound', reason=f'{pkey}: {oname} not found')


def _message(code, name, text, **kw):
    return {'type': 'warning', 'name': name, 'message': text, 'code': code, 'data': kw}


def _api_version(text):
    major, dot, minor = str(text).partition('.')
    return (int(major), int(minor) if dot else 0)


def _has_capability(version, capability):
    try:
        return _api_version(version) >= _api_version(CAPABILITIES[capability])
    except ValueError:
        return False


class DNSName(str):
    """A DNS name in a result; JSON-encoded according to the client's API version."""


class CallRecord(tuple):
    """(method, args, options) as received; ``in_batch`` marks batch sub-calls."""

    def __new__(cls, method, args, options, in_batch=False):
        record = super().__new__(cls, (method, args, options))
        record.in_batch = in_batch
        return record

    method = property(lambda self: self[0])
    args = property(lambda self: self[1])
    options = property(lambda self: self[2])

    def __repr__(self):
        return f'CallRecord({self[0]!r}, {self[1]!r}, {self[2]!r}, in_batch={self.in_batch})'


# ---------------------------------------------------------------------------
# parameters (a small ipalib.parameters)

NULLS = (None, '', (), [])
TRUTHS = (1, '1', True, 'true', 'TRUE')
FALSEHOODS = (0, '0', False, 'false', 'FALSE')


class Param:
    def __init__(self, name, kind='str', required=False, multi=False, cli_name=None,
                 query=False, default=None, normalizer=None, rules=(), minvalue=None,
                 maxvalue=None, values=None):
        self.name = name
        self.kind = kind
        self.required = required
        self.multi = multi
        self.cli_name = cli_name or name
        self.query = query
        self.default = default
        self.normalizer = normalizer
        self.rules = tuple(rules)
        self.minvalue = minvalue
        self.maxvalue = maxvalue
        self.values = values

    def clone(self, **kw):
        new = Param.__new__(Param)
        new.__dict__.update(self.__dict__)
        new.__dict__.update(kw)
        return new

    def convert(self, value):
        if _is_null(value):
            return None
        if self.multi:
            if not isinstance(value, (list, tuple)):
                value = [value]
            values = tuple(self._scalar(v) for v in value if not _is_null(v))
            return values or None
        if isinstance(value, (list, tuple)):
            if len(value) > 1:
                raise _err('ConversionError', name=self.name, error='Only one value is allowed')
            value = value[0]
            if _is_null(value):
                return None
        return self._scalar(value)

    def _scalar(self, value):
        kind = self.kind
        if kind in ('str', 'dnsname'):
            if isinstance(value, bool) or not isinstance(value, (str, int, float)):
                raise _err('ConversionError', name=self.name, error='must be Unicode text')
            value = str(value)
            if kind == 'dnsname':
                problem = _dns_name_problem(value)
                if problem:
                    raise _err('ConversionError', name=self.cli_name, error=problem)
        elif kind == 'bool':
            if value in TRUTHS and not isinstance(value, float):
                value = True
            elif value in FALSEHOODS and not isinstance(value, float):
                value = False
            else:
                raise _err('ConversionError', name=self.name, error='must be True or False')
        elif kind == 'int':
            value = _to_int(value)
            if value is None:
                raise _err('ConversionError', name=self.name, error='must be an integer')
        elif kind == 'dict':
            if not isinstance(value, dict):
                raise _err('ConversionError', name=self.name, error='must be dictionary')
        if self.normalizer is not None:
            value = self.normalizer(value)
        return value

    def validate(self, value):
        if value is None:
            if self.required:
                raise _err('RequirementError', name=self.name)
            return
        if self.query:
            return
        for scalar in (value if self.multi else (value,)):
            for rule in self._all_rules():
                problem = rule(scalar)
                if problem:
                    raise _err('ValidationError', name=self.cli_name, error=problem)

    def _all_rules(self):
        rules = list(self.rules)
        if self.kind == 'int':
            if self.minvalue is not None:
                rules.append(lambda v: None if v >= self.minvalue
                             else 'must be at least %d' % self.minvalue)
            if self.maxvalue is not None:
                rules.append(lambda v: None if v <= self.maxvalue
                             else 'must be at most %d' % self.maxvalue)
        if self.values is not None:
            rules.append(lambda v: None if v in self.values else 'must be one of %s' % (
                ', '.join("'%s'" % x for x in self.values)))
        return rules


def _is_null(value):
    return value is None or (isinstance(value, (str, list, tuple)) and len(value) == 0)


def _to_int(value):
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    if isinstance(value, str):
        try:
            return int(value.strip(), 0) if value.strip().lower().startswith('0x') \
                else int(value.strip())
        except ValueError:
            return None
    return None


def S(name, **kw):
    return Param(name, 'str', **kw)


def M(name, **kw):
    return Param(name, 'str', multi=True, **kw)


def Flag(name):
    return Param(name, 'bool', default=False)


def Bool(name):
    return Param(name, 'bool')


def Int(name, **kw):
    return Param(name, 'int', **kw)


def _normalize_hostname(value):
    if value.endswith('.'):
        value = value[:-1]
    return value.lower()


_LABEL_RE = re.compile(r'^[a-z0-9]([a-z0-9-]*[a-z0-9])*$', re.IGNORECASE)


def _dns_label_problem(label):
    if not label:
        return 'empty DNS label'
    if len(label) > 63:
        return 'DNS label cannot be longer that 63 characters'
    if not _LABEL_RE.match(label):
        return ("only letters, numbers, '-' are allowed. "
                "DNS label may not start or end with '-'")
    return None


def _hostname_rule(value):
    """ipalib.util.hostname_validator (check_fqdn=True)."""
    if len(value) > 255:
        problem = 'cannot be longer that 255 characters'
    else:
        name = value[:-1] if value.endswith('.') else value
        if '..' in name:
            problem = 'hostname contains empty label (consecutive dots)'
        elif '.' not in name:
            problem = 'not fully qualified'
        else:
            problem = None
            for label in name.split('.'):
                problem = _dns_label_problem(label)
                if problem:
                    break
    return None if problem is None else 'invalid domain-name: %s' % problem


def _hostname_length_rule(value):
    if len(value) > MAX_HOSTNAME_LENGTH:
        return 'can be at most %d characters' % MAX_HOSTNAME_LENGTH
    return None


def _dns_name_problem(value):
    """What dnspython would refuse in a DNS name (None when acceptable)."""
    if value in ('@', '.'):
        return None
    name = value[:-1] if value.endswith('.') else value
    if len(value) > 255:
        return 'A DNS name is > 255 octets long.'
    for label in name.split('.'):
        if not label:
            return 'A DNS label is empty.'
        if len(label) > 63:
            return 'A DNS label is > 63 octets long.'
    return None


def _ipaddr_rule(version):
    def rule(value):
        try:
            ip = ipaddress.ip_address(value)
        except ValueError:
            return 'invalid IP address format'
        if version is not None and ip.version != version:
            return 'invalid IP address version (is %d, must be %d)!' % (ip.version, version)
        return None
    return rule


_MAC_RE = re.compile(r'^([a-fA-F0-9]{2}[:|\-]?){5}[a-fA-F0-9]{2}$')


def _mac_rule(value):
    if not _MAC_RE.match(value):
        return ('Must be of the form HH:HH:HH:HH:HH:HH, where each H is a '
                'hexadecimal character.')
    return None


def _attr_pair_rule(value):
    if not re.match(r'\s*(.*?)\s*=\s*(.*?)\s*$', value):
        return 'Invalid format. Should be name=value'
    return None


# ---------------------------------------------------------------------------
# DNS record types (ipaserver/plugins/dns.py)

_UNSUPPORTED = ('APL', 'DHCID', 'HIP', 'IPSECKEY', 'KEY', 'NSEC', 'RRSIG', 'RP', 'SIG', 'SPF')
_LOC_PARTS = ('lat_deg', 'lat_min', 'lat_sec', 'lat_dir', 'lon_deg', 'lon_min', 'lon_sec',
              'lon_dir', 'altitude', 'size', 'h_precision', 'v_precision')
# rtype: (rfc, parts); a part is (name, kind, min, max)
RR_TYPES = {
    'A': (1035, [('ip_address', 'ipv4')]),
    'AAAA': (3596, [('ip_address', 'ipv6')]),
    'A6': (3226, [('data', 'whole')]),
    'AFSDB': (1183, [('subtype', 'int', 0, 65535), ('hostname', 'dnsname')]),
    'APL': (3123, None),
    'CERT': (4398, [('type', 'int', 0, 65535), ('key_tag', 'int', 0, 65535),
                    ('algorithm', 'int', 0, 255), ('certificate_or_crl', 'str')]),
    'CNAME': (1035, [('hostname', 'dnsname')]),
    'DHCID': (4701, None),
    'DLV': (4431, [('key_tag', 'int', 0, 65535), ('algorithm', 'int', 0, 255),
                   ('digest_type', 'int', 0, 255), ('digest', 'hex')]),
    'DNAME': (2672, [('target', 'dnsname')]),
    'DS': (4034, [('key_tag', 'int', 0, 65535), ('algorithm', 'int', 0, 255),
                  ('digest_type', 'int', 0, 255), ('digest', 'hex')]),
    'HIP': (5205, None),
    'IPSECKEY': (4025, None),
    'KEY': (2535, None),
    'KX': (2230, [('preference', 'int', 0, 65535), ('exchanger', 'dnsname')]),
    'LOC': (1876, [(p, 'loc') for p in _LOC_PARTS]),
    'MX': (1035, [('preference', 'int', 0, 65535), ('exchanger', 'dnsname')]),
    'NAPTR': (2915, [('order', 'int', 0, 65535), ('preference', 'int', 0, 65535),
                     ('flags', 'str'), ('service', 'str'), ('regexp', 'str'),
                     ('replacement', 'str')]),
    'NS': (1035, [('hostname', 'dnsname')]),
    'NSEC': (4034, None),
    'PTR': (1035, [('hostname', 'dnsname')]),
    'RRSIG': (4034, None),
    'RP': (1183, None),
    'SIG': (2535, None),
    'SPF': (4408, None),
    'SRV': (2782, [('priority', 'int', 0, 65535), ('weight', 'int', 0, 65535),
                   ('port', 'int', 0, 65535), ('target', 'dnsname')]),
    'SSHFP': (4255, [('algorithm', 'int', 0, 255), ('fp_type', 'int', 0, 255),
                     ('fingerprint', 'str')]),
    'TLSA': (6698, [('cert_usage', 'int', 0, 255), ('selector', 'int', 0, 255),
                    ('matching_type', 'int', 0, 255), ('cert_association_data', 'str')]),
    'TXT': (1035, [('data', 'whole')]),
    'URI': (7553, [('priority', 'int', 0, 65535), ('weight', 'int', 0, 65535),
                   ('target', 'str')]),
}
RECORD_ATTRS = {f'{t.lower()}record': t for t in RR_TYPES}
REVERSE_ZONES = {'in-addr.arpa.': 4, 'ip6.arpa.': 32}


def _record_attr(rtype):
    return f'{rtype.lower()}record'


def _split_parts(rtype, value):
    parts = RR_TYPES[rtype][1]
    if parts[0][1] == 'whole':
        return (value,)
    if rtype == 'LOC':
        return None
    maxsplit = len(parts) - 1 if rtype in ('SSHFP', 'URI') else -1
    values = value.split(None, maxsplit)
    if len(values) != len(parts):
        return None
    return tuple(values)


def _record_value_rule(rtype):
    """The DNSRecord._rule_validatedns of one record type (raises for part errors)."""
    rfc, parts = RR_TYPES[rtype]

    def rule(value):
        if parts is None:
            return f'DNS RR type "{rtype}" is not supported by bind-dyndb-ldap plugin'
        if rtype == 'LOC':
            return None
        values = _split_parts(rtype, value)
        if values is None:
            return 'format must be specified as "%s"  (see RFC %s for details)' % (
                ' '.join(p[0].upper() for p in parts), rfc)
        for part, text in zip(parts, values):
            _validate_part(part, text)
        return None
    return rule


def _validate_part(part, text):
    name, kind = part[0], part[1]
    if kind == 'ipv4' or kind == 'ipv6':
        problem = _ipaddr_rule(4 if kind == 'ipv4' else 6)(text)
        if problem:
            raise _err('ValidationError', name=name, error=problem)
    elif kind == 'int':
        number = _to_int(text)
        if number is None:
            raise _err('ConversionError', name=name, error='must be an integer')
        if number < part[2]:
            raise _err('ValidationError', name=name, error='must be at least %d' % part[2])
        if number > part[3]:
            raise _err('ValidationError', name=name, error='must be at most %d' % part[3])
    elif kind == 'dnsname':
        problem = _dns_name_problem(text)
        if problem:
            raise _err('ConversionError', name=name, error=problem)
    elif kind == 'hex':
        if not re.match(r'^[0-9a-fA-F]+$', text):
            raise _err('ValidationError', name=name,
                       error='only hexadecimal digits are allowed')


def _record_params():
    """Raw record options, per-part options and the A/AAAA create_reverse extras."""
    raw, parts, extras = [], [], []
    for rtype, (_rfc, rparts) in RR_TYPES.items():
        raw.append(M(_record_attr(rtype), cli_name=f'{rtype.lower()}_rec',
                     rules=[_record_value_rule(rtype)]))
        for part in rparts or ():
            kind = {'int': 'int'}.get(part[1], 'str')
            parts.append(Param(f'{rtype.lower()}_part_{part[0]}', kind,
                               cli_name=f'{rtype.lower()}_{part[0]}'))
    for rtype in ('A', 'AAAA'):
        extras.append(Flag(f'{rtype.lower()}_extra_create_reverse'))
    return raw, parts, extras


RAW_RECORD_PARAMS, PART_PARAMS, EXTRA_PARAMS = _record_params()


def _zone_key(name):
    name = name.strip().lower()
    if name == '.':
        return name
    return name if name.endswith('.') else name + '.'


def _reverse_name(address):
    return ipaddress.ip_address(address).reverse_pointer + '.'


def _reverse_zone_for_network(text):
    """dns._reverse_zone_name: the reverse zone of a network (or an address's default)."""
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        net = ipaddress.ip_network(text, strict=False)
        labels = net.network_address.reverse_pointer.split('.')
        if net.version == 4:
            return '.'.join(labels[4 - net.prefixlen // 8:]) + '.'
        return '.'.join(labels[32 - net.prefixlen // 4:]) + '.'
    labels = address.reverse_pointer.split('.')
    return '.'.join(labels[1:] if address.version == 4 else labels[16:]) + '.'


# ---------------------------------------------------------------------------
# commands

class Command:
    def __init__(self, name, args, options, output, handler, summary=None,
                 plural_summary=None):
        self.name = name
        self.args = list(args)
        self.options = list(options) + [S('version')]
        self.params = {}
        for param in self.args + self.options:
            self.params.setdefault(param.name, param)
        self.output = output
        self.handler = handler
        self.summary = summary
        self.plural_summary = plural_summary
        if self.args and self.args[-1].multi:
            self.max_args = None
        else:
            self.max_args = len(self.args)

    def args_options_2_params(self, args, options):
        """frontend.Command.args_options_2_params: arity, unknown options, overlap."""
        if self.max_args is not None and len(args) > self.max_args:
            if self.max_args == 0:
                raise _err('ZeroArgumentError', name=self.name)
            raise _err('MaxArgumentError', name=self.name, count=self.max_args)
        options = dict(options)
        params = {}
        for name in self.params:
            if name in options:
                params[name] = options.pop(name)
        if options:
            unknown = sorted(options)[0]
            raise _err('OptionError', 'Unknown option: %s' % unknown, option=unknown)
        arg_kw = {}
        for i, arg in enumerate(self.args):
            if len(args) <= i:
                break
            if arg.multi:
                if len(args) == i + 1 and isinstance(args[i], (list, tuple)):
                    arg_kw[arg.name] = args[i]
                else:
                    arg_kw[arg.name] = list(args[i:])
                break
            arg_kw[arg.name] = args[i]
        overlap = set(arg_kw) & set(params)
        if overlap:
            raise _err('OverlapError', names=sorted(overlap))
        params.update(arg_kw)
        return params

    def parse(self, args, options):
        params = self.args_options_2_params(args, options)
        given = set(params)
        converted = {}
        for name, param in self.params.items():
            if name in params:
                converted[name] = param.convert(params[name])
            elif param.default is not None:
                converted[name] = param.default
        for param in self.params.values():
            param.validate(converted.get(param.name))
        return converted, given


STANDARD_ENTRY = ('summary', 'result', 'value')
STANDARD_LIST = ('summary', 'result', 'count', 'truncated')
MEMBER_OUTPUT = ('result', 'failed', 'completed')

HOST_ATTR_PARAMS = [
    S('description', cli_name='desc'),
    S('l', cli_name='locality'),
    S('nshostlocation', cli_name='location'),
    S('nshardwareplatform', cli_name='platform'),
    S('nsosversion', cli_name='os'),
    S('userpassword', cli_name='password'),
    Flag('random'),
    M('usercertificate', cli_name='certificate'),
    M('macaddress', normalizer=str.upper, rules=[_mac_rule]),
    M('ipasshpubkey', cli_name='sshpubkey'),
    M('userclass', cli_name='class'),
    S('ipaassignedidview'),
    M('krbprincipalauthind', cli_name='auth_ind',
      values=('radius', 'otp', 'pkinit', 'hardened', 'idp', 'passkey')),
    Bool('ipakrbrequirespreauth'),
    Bool('ipakrbokasdelegate'),
    Bool('ipakrboktoauthasdelegate'),
]
HOST_STORED = ('description', 'l', 'nshostlocation', 'nshardwareplatform', 'nsosversion',
               'userpassword', 'usercertificate', 'macaddress', 'ipasshpubkey', 'userclass',
               'ipaassignedidview', 'krbprincipalauthind', 'ipakrbrequirespreauth',
               'ipakrbokasdelegate', 'ipakrboktoauthasdelegate')
HOST_DEFAULT_ATTRS = ('fqdn', 'description', 'l', 'nshostlocation', 'nshardwareplatform',
                      'nsosversion', 'usercertificate', 'macaddress', 'userclass',
                      'ipaassignedidview', 'krbprincipalauthind')
HOST_SEARCH_ATTRS = ('fqdn', 'description', 'l', 'nshostlocation', 'krbcanonicalname',
                     'krbprincipalname', 'nshardwareplatform', 'nsosversion', 'managedby')
HOST_MEMBER_FILTERS = ('in_hostgroup', 'not_in_hostgroup', 'in_netgroup', 'not_in_netgroup',
                       'in_role', 'not_in_role', 'in_hbacrule', 'not_in_hbacrule',
                       'in_sudorule', 'not_in_sudorule', 'enroll_by_user',
                       'not_enroll_by_user', 'man_by_host', 'not_man_by_host', 'man_host',
                       'not_man_host')


def _fqdn(**kw):
    return S('fqdn', required=True, cli_name='hostname', normalizer=_normalize_hostname, **kw)


# services (ipaserver/plugins/service.py)
SERVICE_OBJECTCLASSES = ['krbprincipal', 'krbprincipalaux', 'krbticketpolicyaux', 'ipaobject',
                         'ipaservice', 'pkiuser', 'ipakrbprincipal', 'top']
SERVICE_STORED = ('usercertificate', 'ipakrbauthzdata', 'krbprincipalauthind')
# check_required_principal: these services of an IPA master cannot be deleted
MASTER_REQUIRED_SERVICES = ('http', 'ldap', 'dns', 'dogtagldap')
# the services a fresh IPA master (with integrated DNS) holds
MASTER_SERVICES = ('HTTP', 'ldap', 'DNS')
# _ticket_flags_map / _ticket_flags_default
TICKET_FLAGS = {'ipakrbrequirespreauth': 0x00000080, 'ipakrbokasdelegate': 0x00100000,
                'ipakrboktoauthasdelegate': 0x00200000}
TICKET_FLAGS_DEFAULT = TICKET_FLAGS['ipakrbrequirespreauth']


def _parse_principal(text):
    """ipapython.kerberos.Principal: (components, realm or None); None when malformed.

    Escaped separators are not supported; an empty component is refused
    here (kerberos.Principal would accept it and fail later)."""
    name, *realm = text.split('@')
    if len(realm) > 1:
        return None
    components = tuple(name.split('/'))
    if any(not c for c in components):
        return None
    return components, (realm[0] if realm else None)


def _principal_str(components, realm):
    return '/'.join(components) + ('' if realm is None else '@' + realm)


def _principal_host(principal):
    """Principal.hostname of a service principal (None for a user principal)."""
    parsed = _parse_principal(principal)
    if parsed is None or len(parsed[0]) < 2:
        return None
    return parsed[0][-1]


def _service_name(principal):
    parsed = _parse_principal(principal)
    return '/'.join(parsed[0][:-1]) if parsed and len(parsed[0]) > 1 else None


def _zone_arg(required=True):
    return Param('dnszoneidnsname', 'dnsname', required=required, cli_name='dnszoneidnsname',
                 normalizer=_zone_key, query=True)


def _record_name_arg():
    return Param('idnsname', 'dnsname', required=True, cli_name='name', query=True)


ZONE_OPTION_PARAMS = [
    S('name_from_ip'), M('idnsforwarders', cli_name='forwarder'), S('idnsforwardpolicy'),
    Param('idnssoamname', 'dnsname', cli_name='name_server'),
    Param('idnssoarname', 'dnsname', cli_name='admin_email'),
    Int('idnssoaserial', minvalue=1, maxvalue=4294967295),
    Int('idnssoarefresh', minvalue=0, maxvalue=2147483647),
    Int('idnssoaretry', minvalue=0, maxvalue=2147483647),
    Int('idnssoaexpire', minvalue=0, maxvalue=2147483647),
    Int('idnssoaminimum', minvalue=0, maxvalue=10800),
    Int('dnsttl', minvalue=0, maxvalue=2147483647), Int('dnsdefaultttl'), S('dnsclass'),
    S('idnsupdatepolicy'), Bool('idnsallowdynupdate'), S('idnsallowquery'),
    S('idnsallowtransfer'), Bool('idnsallowsyncptr'), Bool('idnssecinlinesigning'),
    S('nsec3paramrecord'),
]


# ---------------------------------------------------------------------------
# the emulator

class IPAEmulator:
    """A FreeIPA server on 127.0.0.1 (HTTPS, JSON-RPC, password sessions)."""

    def __init__(self, domain='example.test', realm=None, username='admin',
                 password='Secret123', ca=None, latency=0.0, port=0):
        self.domain = _normalize_hostname(domain)
        self.realm = realm or self.domain.upper()
        self.username = username
        self.password = password
        self.ca = ca or shared_ca()
        self.ca_path = self.ca.ca_path
        self.latency = latency
        self.port = port
        self.down = False
        self.session_max_calls = None
        # Real IPA's login_password handler does not itself check the Referer;
        # this emulator insists on one (python-freeipa always sends it).
        self.login_requires_referer = True
        self.master = f'ipa.{self.domain}'
        self.basedn = ','.join(f'dc={part}' for part in self.domain.split('.'))
        self.internal_errors = []

        self._lock = threading.RLock()
        self._hosts = {}
        self._services = {}
        self._masters = {self.master}
        self._zones = {}
        self._sessions = {}
        self._faults = collections.defaultdict(collections.deque)
        self.stats = {}
        self.call_log = []
        # (time.monotonic(), fqdn) of every host deleted, for the benchmarks
        self.host_removed_at = []
        self.reset_stats()

        self._create_host(self.master, {'description': ['IPA master']}, has_keytab=True)
        for name in MASTER_SERVICES:
            self._create_service(f'{name}/{self.master}@{self.realm}', [self.master],
                                 has_keytab=True)

        self._server = None
        self._thread = None
        self._conns = set()
        self._conns_lock = threading.Lock()
        self._commands = self._build_commands()

    # -- lifecycle ------------------------------------------------------------

    @property
    def server(self):
        return f'localhost:{self.port}'

    @property
    def principal(self):
        return f'{self.username}@{self.realm}'

    def start(self):
        self._open()
        return self

    def stop(self):
        self._close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def pause_listening(self):
        """Close the listening socket and drop open connections: connection refused."""
        self._close()

    def resume_listening(self):
        """Listen again on the same port."""
        if self._server is None:
            self._open()

    def _open(self):
        server = _TLSServer(('127.0.0.1', self.port), _Handler, self)
        self.port = server.server_address[1]
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever,
                                        kwargs={'poll_interval': 0.05},
                                        name=f'ipa-emulator-{self.port}', daemon=True)
        self._thread.start()

    def _close(self):
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None:
            server.shutdown()
            server.server_close()
        with self._conns_lock:
            conns = list(self._conns)
        for conn in conns:
            try:
                socket.socket.shutdown(conn, socket.SHUT_RDWR)
            except OSError:
                pass
        if thread is not None:
            thread.join(5)

    # -- state helpers ------------------------------------------------------------

    def add_host(self, fqdn, **attrs):
        """Create a host as ``host_add --force`` would (no DNS checks)."""
        fqdn = _normalize_hostname(fqdn)
        with self._lock:
            if fqdn in self._hosts:
                raise ValueError(f'host {fqdn} already exists')
            stored = {}
            managedby = [fqdn]
            for key, value in attrs.items():
                values = list(value) if isinstance(value, (list, tuple, set)) else [value]
                if key == 'managedby':
                    managedby += [_normalize_hostname(v) for v in values
                                  if _normalize_hostname(v) != fqdn]
                else:
                    stored[key.lower()] = values
            self._create_host(fqdn, stored, managedby=managedby)

    def has_host(self, fqdn):
        with self._lock:
            return _normalize_hostname(fqdn) in self._hosts

    def hosts(self):
        with self._lock:
            return sorted(self._hosts)

    def add_zone(self, name):
        """Create a DNS zone (idempotent); returns its absolute name."""
        zone = _zone_key(name)
        with self._lock:
            if zone not in self._zones:
                self._create_zone(zone, {})
        return zone

    def zones(self):
        with self._lock:
            return sorted(self._zones)

    def add_record(self, zone, name, rtype, value):
        """Add record value(s) directly (no IPA validation); a present value is kept once."""
        zone = _zone_key(zone)
        rtype = rtype.upper()
        if rtype not in RR_TYPES:
            raise ValueError(f'unknown record type {rtype}')
        values = list(value) if isinstance(value, (list, tuple)) else [value]
        with self._lock:
            data = self._zone(zone)
            key = self._record_key(zone, name)
            if key is None:
                raise ValueError(f'{name} is not in zone {zone}')
            record = data['records'].setdefault(key, {})
            current = record.setdefault(rtype, [])
            for v in values:
                if v not in current:
                    current.append(str(v))

    def records(self, zone, name=None):
        zone = _zone_key(zone)
        with self._lock:
            data = self._zone(zone)
            if name is not None:
                key = self._record_key(zone, name)
                record = data['records'].get(key, {})
                return {rtype: list(values) for rtype, values in record.items() if values}
            return {key: {rtype: list(values) for rtype, values in record.items() if values}
                    for key, record in data['records'].items()}

    def all_records(self):
        with self._lock:
            return {zone: self.records(zone) for zone in self._zones}

    def add_service(self, principal, managed_by=(), skip_host_check=False, has_keytab=False):
        """Create a service as ``service_add --force`` would (no DNS check); returns the
        canonical principal (the realm is appended when missing).

        Like IPA, the service is managed by its own host, which must exist unless
        ``skip_host_check`` (then it starts unmanaged); ``managed_by`` adds more
        (existing) hosts, as ``service_add_host`` would."""
        parsed = _parse_principal(str(principal))
        if parsed is None or len(parsed[0]) < 2:
            raise ValueError(f'{principal} is not a service principal')
        canonical = _principal_str(parsed[0], parsed[1] or self.realm)
        with self._lock:
            if canonical in self._services:
                raise ValueError(f'service {canonical} already exists')
            managedby = []
            own = _normalize_hostname(parsed[0][-1])
            if own in self._hosts:
                managedby.append(own)
            elif not skip_host_check:
                raise ValueError(f'host {own} does not exist to add a service to')
            for name in managed_by:
                fqdn = _normalize_hostname(name)
                if fqdn not in self._hosts:
                    raise ValueError(f'host {fqdn} does not exist')
                if fqdn not in managedby:
                    managedby.append(fqdn)
            self._create_service(canonical, managedby, has_keytab=has_keytab)
        return canonical

    def has_service(self, principal):
        with self._lock:
            return self._service_key(principal) in self._services

    def services(self):
        """{principal: sorted fqdns of the hosts that manage it}, the master's included."""
        with self._lock:
            return {principal: sorted(svc['managedby'])
                    for principal, svc in sorted(self._services.items())}

    # -- fault and counter controls ---------------------------------------------

    def expire_sessions(self):
        with self._lock:
            self._sessions.clear()

    def fail_next(self, method, code, name, message, count=1):
        """The next ``count`` calls of ``method`` (direct or in a batch) fail with this
        IPA error, after argument validation and before anything is changed."""
        with self._lock:
            for _ in range(count):
                self._faults[method].append((code, name, message))

    def reset_stats(self):
        with self._lock:
            self.stats.clear()
            self.stats.update({'http_requests': 0, 'logins': 0, 'login_failures': 0,
                               'calls': collections.Counter(),
                               'batch_calls': collections.Counter(), 'unauthorized': 0})
            self.call_log.clear()

    # -- internal state ---------------------------------------------------------

    def _create_host(self, fqdn, attrs, managedby=None, has_keytab=False):
        self._hosts[fqdn] = {
            'fqdn': fqdn,
            'attrs': attrs,
            'managedby': managedby or [fqdn],
            'has_keytab': has_keytab,
            'uuid': str(uuid.uuid4()),
        }

    def _create_service(self, principal, managedby, attrs=None, has_keytab=False,
                        ticket_flags=TICKET_FLAGS_DEFAULT):
        self._services[principal] = {
            'principal': principal,
            'attrs': dict(attrs or {}),
            'managedby': list(managedby),
            'has_keytab': has_keytab,
            'ticket_flags': ticket_flags,
            'uuid': str(uuid.uuid4()),
        }

    def _service_key(self, principal):
        """The stored key of a principal: the realm appended when missing."""
        parsed = _parse_principal(str(principal))
        if parsed is None:
            return str(principal)
        return _principal_str(parsed[0], parsed[1] or self.realm)

    def _create_zone(self, zone, attrs):
        reverse = any(zone == z or zone.endswith('.' + z) for z in REVERSE_ZONES)
        if reverse:
            policy = f'grant {self.realm} krb5-subdomain {zone} PTR;'
        else:
            policy = (f'grant {self.realm} krb5-self * A; grant {self.realm} krb5-self * AAAA; '
                      f'grant {self.realm} krb5-self * SSHFP;')
        meta = {
            'idnszoneactive': True,
            'idnssoamname': f'{self.master}.',
            'idnssoarname': f'hostmaster.{zone}' if zone != '.' else 'hostmaster.',
            'idnssoaserial': int(time.time()),
            'idnssoarefresh': 3600, 'idnssoaretry': 900, 'idnssoaexpire': 1209600,
            'idnssoaminimum': 3600,
            'idnsupdatepolicy': policy,
            'idnsallowdynupdate': False,
            'idnsallowquery': 'any;', 'idnsallowtransfer': 'none;',
            'idnsallowsyncptr': False,
        }
        meta.update({k: v for k, v in attrs.items() if v is not None})
        self._zones[zone] = {'meta': meta,
                             'records': {'@': {'NS': [f'{self.master}.']}},
                             'ttl': {}}

    def _zone(self, zone):
        try:
            return self._zones[zone]
        except KeyError:
            raise KeyError(f'zone {zone} does not exist') from None

    @staticmethod
    def _record_key(zone, name):
        """Relative, lower-case record name ('@' for the apex); None when out of zone."""
        name = str(name).strip()
        if name in ('@', ''):
            return '@'
        low = name.lower()
        if low.endswith('.'):
            if low == zone:
                return '@'
            if low.endswith('.' + zone):
                return low[:-len(zone) - 1]
            return None
        return low

    def _zone_for_name(self, absolute):
        best = None
        for zone in self._zones:
            if absolute == zone or absolute.endswith('.' + zone) or zone == '.':
                if best is None or len(zone) > len(best):
                    best = zone
        return best

    def _relative(self, absolute, zone):
        if absolute == zone:
            return '@'
        if zone == '.':
            return absolute[:-1]
        return absolute[:-len(zone) - 1]

    def _resolve_host(self, pkey):
        """host.get_dn: the fqdn, else a unique ``serverhostname`` (short name) match."""
        if pkey in self._hosts:
            return self._hosts[pkey]
        matches = [h for fqdn, h in self._hosts.items() if fqdn.split('.', 1)[0] == pkey]
        if len(matches) > 1:
            raise _err('SingleMatchExpected', found=len(matches))
        if not matches:
            raise _not_found(pkey, 'host')
        return matches[0]

    # -- HTTP ------------------------------------------------------------------------

    def _count(self, key):
        with self._lock:
            self.stats[key] += 1

    def _handle(self, handler, method):
        self._count('http_requests')
        length = handler.headers.get('Content-Length')
        try:
            body = handler.rfile.read(int(length)) if length else b''
        except ValueError:
            return handler.respond(400, _html('400 Bad Request', 'Bad Request',
                                              'invalid Content-Length'))
        if self.down:
            return handler.respond(503, _html(
                '503 Service Unavailable', 'Service Unavailable',
                'The server is temporarily unable to service your request due to '
                'maintenance downtime or capacity problems. Please try again later.'))
        path = urllib.parse.urlsplit(handler.path).path
        if path == '/ipa/session/login_password':
            return self._login(handler, method, body)
        if path == '/ipa/session/json':
            return self._json(handler, method, body)
        return handler.respond(404, _html(
            '404 Not Found', 'Not Found',
            f'The requested URL {path} was not found on this server.'))

    def _login(self, handler, method, body):
        content_type = handler.headers.get('Content-Type', '').lower()
        if not content_type.startswith('application/x-www-form-urlencoded'):
            return handler.respond(400, _bad_request(
                'Content-Type must be application/x-www-form-urlencoded'))
        if method != 'POST':
            return handler.respond(400, _bad_request('HTTP request method must be POST'))
        if self.login_requires_referer and not handler.headers.get('Referer'):
            return handler.respond(400, _bad_request('Missing HTTP Referer'))
        try:
            form = urllib.parse.parse_qs(body.decode('utf-8'))
        except (UnicodeDecodeError, ValueError):
            return handler.respond(400, _bad_request('cannot parse query data'))
        users, passwords = form.get('user'), form.get('password')
        if users is None:
            return handler.respond(400, _bad_request('no user specified'))
        if len(users) != 1:
            return handler.respond(400, _bad_request('more than one user parameter'))
        user = users[0]
        name, at, realm = user.partition('@')
        if not name or '@' in realm or (at and not realm):
            self._count('login_failures')
            return handler.respond(401, _unauthorized(''), [('X-IPA-Rejection-Reason', 'denied')])
        if passwords is None:
            return handler.respond(400, _bad_request('no password specified'))
        if len(passwords) != 1:
            return handler.respond(400, _bad_request('more than one password parameter'))
        principal = f'{name}@{realm or self.realm}'
        if name != self.username or (realm and realm.upper() != self.realm.upper()):
            reason = (f"kinit: Client '{principal}' not found in Kerberos database while "
                      "getting initial credentials")
        elif passwords[0] != self.password:
            reason = 'kinit: Password incorrect while getting initial credentials'
        else:
            token = secrets.token_urlsafe(24)
            with self._lock:
                self._sessions[token] = {'calls': 0, 'principal': self.principal}
                self.stats['logins'] += 1
            cookie = f'ipa_session=MagBearerToken={token};path=/ipa;httponly;secure;'
            return handler.respond(200, b'', [('Set-Cookie', cookie)],
                                   content_type='text/plain; charset=utf-8')
        self._count('login_failures')
        message = f'Principal {principal} cannot be authenticated: {reason}'
        return handler.respond(401, _unauthorized(message),
                               [('X-IPA-Rejection-Reason', 'invalid-password')])

    def _session_token(self, handler):
        for header in handler.headers.get_all('Cookie') or ():
            for part in header.split(';'):
                key, _eq, value = part.strip().partition('=')
                if key == 'ipa_session' and value.startswith('MagBearerToken='):
                    return value[len('MagBearerToken='):]
        return None

    def _json(self, handler, method, body):
        token = self._session_token(handler)
        with self._lock:
            session = self._sessions.get(token) if token else None
            limit = self.session_max_calls
            if session is not None and limit is not None and session['calls'] >= limit:
                del self._sessions[token]
                session = None
            if session is None:
                self.stats['unauthorized'] += 1
            else:
                session['calls'] += 1
        if session is None:
            return handler.respond(401, b'', content_type=None)

        host = handler.headers.get('Host') or self.server
        referer = handler.headers.get('Referer')
        if referer is None:
            return self._reply(handler, None, _err('RefererError', referer='missing'))
        if not referer.startswith(f'https://{host}/ipa'):
            return self._reply(handler, None, _err('RefererError', referer=referer))

        content_type = handler.headers.get('Content-Type', '')
        if not (content_type.startswith('application/json') and method == 'POST'):
            # rpcserver falls back to simple_unmarshal: the command is the path
            return self._reply(handler, None, _err('CommandError', name='session/json'))
        try:
            name, args, options, _id = _unmarshal(body)
        except IPAError as exc:
            return self._reply(handler, None, exc)

        with self._lock:
            self.stats['calls'][name if isinstance(name, str) else repr(name)] += 1
            self.call_log.append(CallRecord(name, args, options))
        if self.latency:
            time.sleep(self.latency)
        result, error = None, None
        try:
            result = self._execute(name, args, options)
        except IPAError as exc:
            error = exc
        except Exception:
            self.internal_errors.append(traceback.format_exc())
            traceback.print_exc()
            error = _err('InternalError')
        version = options.get('version', VERSION_WITHOUT_CAPABILITIES)
        return self._reply(handler, result, error, _id, version)

    def _reply(self, handler, result, error, _id=None, version=VERSION_WITHOUT_CAPABILITIES):
        response = {
            'result': result,
            'error': error.to_dict() if error is not None else None,
            'id': _id,
            'principal': self.principal,
            'version': IPA_VERSION,
        }
        try:
            dns_names = _has_capability(str(version), 'dns_name_values')
        except Exception:
            dns_names = False
        body = json.dumps(_encode(response, dns_names)).encode('utf-8')
        return handler.respond(200, body, content_type='application/json; charset=utf-8')

    # -- command execution --------------------------------------------------------

    def _execute(self, method, args, options):
        command = self._commands.get(method) if isinstance(method, str) else None
        if command is None:
            raise _err('CommandError', name=method)
        messages = []
        options = dict(options)
        if 'version' in options:
            version = str(options['version'])
            self._verify_version(version)
        else:
            version = API_VERSION
            messages.append(_message(
                13001, 'VersionMissing',
                "API Version number was not sent, forward compatibility not guaranteed. "
                f"Assuming server's API version, {API_VERSION}",
                server_version=API_VERSION))
        params, given = command.parse(list(args), options)
        params['version'] = version
        self._inject_fault(method)
        ctx = _Context(version, messages, given)
        if method == 'batch':
            result = command.handler(params, ctx)
        else:
            with self._lock:
                result = command.handler(params, ctx)
        if ctx.messages and _has_capability(version, 'messages'):
            result.setdefault('messages', []).extend(ctx.messages)
        if 'summary' in command.output and 'summary' not in result:
            result['summary'] = self._summary(command, result)
        return result

    def _verify_version(self, version):
        try:
            major = _api_version(version)[0]
        except ValueError:
            major = None
        if major != _api_version(API_VERSION)[0]:
            raise _err('VersionError', cver=version, sver=API_VERSION,
                       server=f'https://{self.master}/ipa/xml')

    def _inject_fault(self, method):
        with self._lock:
            queue = self._faults.get(method)
            fault = queue.popleft() if queue else None
        if fault is not None:
            code, name, message = fault
            raise IPAError(code, name, message)

    @staticmethod
    def _summary(command, result):
        if command.plural_summary is not None:
            count = result.get('count', 0)
            return (command.summary if count == 1 else command.plural_summary) % result
        if command.summary is None:
            return None
        data = dict(result)
        if 'value' in data:
            data['value'] = _pkey_to_unicode(data['value'])
        return command.summary % data

    # -- command table -----------------------------------------------------------

    def _build_commands(self):
        ldap_out = [Flag('all'), Flag('raw')]
        members = [Flag('no_members')]
        rights = [Flag('rights')]
        attr_ops = [M('setattr', rules=[_attr_pair_rule]), M('addattr', rules=[_attr_pair_rule])]
        search = [Int('timelimit', minvalue=0), Int('sizelimit', minvalue=0), Flag('pkey_only')]
        host_query_attrs = [p.clone(query=True, rules=()) for p in HOST_ATTR_PARAMS
                            if p.name not in ('userpassword', 'random', 'ipasshpubkey',
                                              'ipakrbrequirespreauth', 'ipakrbokasdelegate',
                                              'ipakrboktoauthasdelegate')]
        structured = [Flag('structured')]
        zone_opts = [p.clone() for p in ZONE_OPTION_PARAMS]
        service_attrs = [
            M('usercertificate', cli_name='certificate'),
            M('ipakrbauthzdata', cli_name='pac_type', values=('MS-PAC', 'PAD', 'NONE')),
            M('krbprincipalauthind', cli_name='auth_ind'),
            Bool('ipakrbrequirespreauth'), Bool('ipakrbokasdelegate'),
            Bool('ipakrboktoauthasdelegate'),
        ]
        commands = [
            Command('ping', [], [], ('summary',), self._ping),
            Command('session_logout', [], [], ('result',), self._session_logout),
            Command('batch', [Param('methods', 'dict', multi=True)], [M('keeponly')],
                    ('count', 'results'), self._batch),
            Command('host_add', [_fqdn(rules=[_hostname_rule, _hostname_length_rule])],
                    HOST_ATTR_PARAMS + attr_ops
                    + [Flag('force'), Flag('no_reverse'),
                       S('ip_address', rules=[_ipaddr_rule(None)])]
                    + ldap_out + members,
                    STANDARD_ENTRY, self._host_add, summary='Added host "%(value)s"'),
            Command('host_show', [_fqdn(query=True)],
                    rights + [S('out')] + ldap_out + members,
                    STANDARD_ENTRY, self._host_show),
            Command('host_find', [S('criteria')],
                    [S('fqdn', cli_name='hostname', normalizer=_normalize_hostname,
                       query=True)]
                    + host_query_attrs + search
                    + [M(name) for name in HOST_MEMBER_FILTERS] + ldap_out
                    + [Param('no_members', 'bool', default=True)],
                    STANDARD_LIST, self._host_find, summary='%(count)d host matched',
                    plural_summary='%(count)d hosts matched'),
            Command('host_mod', [_fqdn(query=True)],
                    HOST_ATTR_PARAMS + attr_ops
                    + [M('delattr', rules=[_attr_pair_rule]), M('krbprincipalname'),
                       Flag('updatedns')]
                    + rights + ldap_out + members,
                    STANDARD_ENTRY, self._host_mod, summary='Modified host "%(value)s"'),
            Command('host_del', [_fqdn(query=True, multi=True)],
                    [Flag('continue'), Flag('updatedns')],
                    STANDARD_ENTRY, self._host_del, summary='Deleted host "%(value)s"'),
            Command('host_add_managedby', [_fqdn(query=True)],
                    ldap_out + members + [M('host', cli_name='hosts')],
                    MEMBER_OUTPUT, self._host_add_managedby),
            Command('host_remove_managedby', [_fqdn(query=True)],
                    ldap_out + members + [M('host', cli_name='hosts')],
                    MEMBER_OUTPUT, self._host_remove_managedby),
            Command('service_add', [self._principal_param()],
                    service_attrs + attr_ops + [Flag('force'), Flag('skip_host_check')]
                    + ldap_out + members,
                    STANDARD_ENTRY, self._service_add, summary='Added service "%(value)s"'),
            Command('service_show', [self._principal_param(query=True)],
                    rights + [S('out')] + ldap_out + members,
                    STANDARD_ENTRY, self._service_show),
            Command('service_find', [S('criteria')],
                    [self._principal_param(required=False, query=True),
                     self._principal_param('krbprincipalname', 'principal', required=False,
                                           multi=True, query=True),
                     M('ipakrbauthzdata', cli_name='pac_type', query=True),
                     M('krbprincipalauthind', cli_name='auth_ind', query=True)]
                    + search
                    + [M(name, normalizer=_normalize_hostname)
                       for name in ('man_by_host', 'not_man_by_host')]
                    + ldap_out + [Param('no_members', 'bool', default=True)],
                    STANDARD_LIST, self._service_find, summary='%(count)d service matched',
                    plural_summary='%(count)d services matched'),
            Command('service_del', [self._principal_param(query=True, multi=True)],
                    [Flag('continue')],
                    STANDARD_ENTRY, self._service_del, summary='Deleted service "%(value)s"'),
            Command('service_add_host', [self._principal_param(query=True)],
                    ldap_out + members + [M('host', cli_name='hosts')],
                    MEMBER_OUTPUT, self._service_add_host),
            Command('service_remove_host', [self._principal_param(query=True)],
                    ldap_out + members + [M('host', cli_name='hosts')],
                    MEMBER_OUTPUT, self._service_remove_host),
            Command('dnszone_add',
                    [Param('idnsname', 'dnsname', cli_name='name', normalizer=_zone_key)],
                    zone_opts + attr_ops
                    + [Flag('skip_overlap_check'), Flag('force'),
                       Flag('skip_nameserver_check'), S('ip_address')] + ldap_out,
                    STANDARD_ENTRY, self._dnszone_add),
            Command('dnszone_show',
                    [Param('idnsname', 'dnsname', required=True, cli_name='name',
                           normalizer=_zone_key, query=True)],
                    rights + ldap_out, STANDARD_ENTRY, self._dnszone_show),
            Command('dnszone_find', [S('criteria')],
                    [Param('idnsname', 'dnsname', cli_name='name', normalizer=_zone_key,
                           query=True)]
                    + [p.clone(query=True, rules=()) for p in ZONE_OPTION_PARAMS]
                    + [Bool('idnszoneactive')] + search + [Flag('forward_only')]
                    + ldap_out,
                    STANDARD_LIST, self._dnszone_find, summary='%(count)d DNS zone matched',
                    plural_summary='%(count)d DNS zones matched'),
            Command('dnsrecord_add', [_zone_arg(), _record_name_arg()],
                    [Int('dnsttl', minvalue=0, maxvalue=2147483647), S('dnsclass')]
                    + RAW_RECORD_PARAMS + PART_PARAMS + EXTRA_PARAMS + attr_ops
                    + [Flag('force')] + structured + ldap_out,
                    STANDARD_ENTRY, self._dnsrecord_add),
            Command('dnsrecord_mod', [_zone_arg(), _record_name_arg()],
                    [Int('dnsttl', minvalue=0, maxvalue=2147483647), S('dnsclass')]
                    + [p.clone(rules=(), multi=True) for p in RAW_RECORD_PARAMS]
                    + PART_PARAMS + attr_ops + [M('delattr', rules=[_attr_pair_rule])]
                    + rights + structured + ldap_out
                    + [Param('rename', 'dnsname', cli_name='rename')],
                    STANDARD_ENTRY, self._dnsrecord_mod),
            Command('dnsrecord_del', [_zone_arg(), _record_name_arg()],
                    [Int('dnsttl'), S('dnsclass')]
                    + RAW_RECORD_PARAMS
                    + [Flag('del_all')] + structured + [Flag('raw')],
                    STANDARD_ENTRY, self._dnsrecord_del),
            Command('dnsrecord_show', [_zone_arg(), _record_name_arg()],
                    rights + structured + ldap_out, STANDARD_ENTRY, self._dnsrecord_show),
            Command('dnsrecord_find', [_zone_arg(), S('criteria')],
                    [Param('idnsname', 'dnsname', cli_name='name', query=True),
                     Int('dnsttl'), S('dnsclass')]
                    + [p.clone(rules=(), query=True) for p in RAW_RECORD_PARAMS]
                    + search + structured + ldap_out,
                    STANDARD_LIST, self._dnsrecord_find),
        ]
        return {c.name: c for c in commands}

    def _principal_param(self, name='krbcanonicalname', cli_name='canonical_principal',
                         required=True, multi=False, query=False):
        """ipalib.parameters.Principal(require_service=True) with service.py's
        normalize_principal (the realm appended when missing) and validate_realm."""
        realm = self.realm

        def normalize(value):
            parsed = _parse_principal(value)
            if parsed is None:
                raise _err('ConversionError', name=cli_name,
                           error=f"Malformed principal: '{value}'")
            return _principal_str(parsed[0], realm if parsed[1] is None else parsed[1])

        def require_service(value):
            if len(_parse_principal(value)[0]) < 2:
                return 'Service principal is required'
            return None

        def validate_realm(value):
            if _parse_principal(value)[1] != realm:
                raise _err('RealmMismatch')
            return None

        return Param(name, 'str', required=required, multi=multi, cli_name=cli_name,
                     query=query, normalizer=normalize,
                     rules=[require_service, validate_realm])

    # -- commands: misc ---------------------------------------------------------

    def _ping(self, p, ctx):
        return {'summary': f'IPA server version {IPA_VERSION}. API version {API_VERSION}'}

    def _session_logout(self, p, ctx):
        # the session of the current request is dropped by the HTTP layer
        token = getattr(_REQUEST, 'token', None)
        if token:
            self._sessions.pop(token, None)
        return {'result': None}

    def _batch(self, p, ctx):
        results = []
        keeponly = p.get('keeponly')
        for request in p.get('methods') or ():
            name = None
            try:
                if not isinstance(request, dict) or 'method' not in request:
                    raise _err('RequirementError', name='method')
                if 'params' not in request:
                    raise _err('RequirementError', name='params')
                name = request['method']
                with self._lock:
                    self.stats['batch_calls'][str(name)] += 1
                    self.call_log.append(CallRecord(name, _sub_args(request),
                                                    _sub_options(request), in_batch=True))
                if not isinstance(name, str) or name not in self._commands:
                    raise _err('CommandError', name=name)
                try:
                    sub_args, sub_kw = request['params']
                    sub_kw = {str(k): v for k, v in sub_kw.items()}
                    sub_args = list(sub_args)
                    self._commands[name].args_options_2_params(sub_args, sub_kw)
                except (AttributeError, ValueError, TypeError):
                    raise _err('ConversionError', name='params',
                               error='must contain a tuple (list, dict)') from None
                except IPAError as exc:
                    raise _err('ConversionError', name='params', error=exc.message) from None
                sub_kw.setdefault('version', p['version'])
                result = self._execute(name, sub_args, sub_kw)
                result['error'] = None
                if keeponly is not None and isinstance(result.get('result'), dict):
                    result['result'] = {k: v for k, v in result['result'].items()
                                        if k in keeponly}
            except IPAError as exc:
                result = {'error': exc.message, 'error_code': exc.code,
                          'error_name': exc.name, 'error_kw': exc.data}
            except Exception:
                self.internal_errors.append(traceback.format_exc())
                traceback.print_exc()
                exc = _err('InternalError')
                result = {'error': exc.message, 'error_code': exc.code,
                          'error_name': exc.name, 'error_kw': exc.data}
            results.append(result)
        return {'count': len(results), 'results': results}

    # -- commands: hosts ----------------------------------------------------------

    def _host_dn(self, fqdn):
        return f'fqdn={fqdn},cn=computers,cn=accounts,{self.basedn}'

    def _host_entry(self, host, p, search=False, keytab=True):
        """A host entry as LDAPRetrieve/LDAPSearch/LDAPAddMember return it (always with
        its dn); ``keytab=False`` for the member commands, which do not add
        has_keytab/has_password."""
        fqdn = host['fqdn']
        if p.get('pkey_only'):
            entry = {'fqdn': [fqdn]}
        else:
            attrs = host['attrs']
            entry = {'fqdn': [fqdn]}
            names = HOST_STORED if p.get('all') else HOST_DEFAULT_ATTRS
            for name in names:
                if name in attrs and name != 'userpassword':
                    entry[name] = list(attrs[name])
            for name, values in attrs.items():
                if p.get('all') and name not in entry and name not in HOST_STORED:
                    entry[name] = list(values)
            has_password = bool(attrs.get('userpassword'))
            if not has_password:
                principal = f'host/{fqdn}@{self.realm}'
                entry['krbcanonicalname'] = [principal]
                entry['krbprincipalname'] = [principal]
            if host['managedby']:
                # convert_attribute_members: managedby DNs -> managedby_host (not raw)
                if p.get('raw'):
                    entry['managedby'] = [self._host_dn(m) for m in host['managedby']]
                elif not p.get('no_members'):
                    entry['managedby_host'] = list(host['managedby'])
            if keytab:
                entry['has_keytab'] = host['has_keytab'] and not has_password
                entry['has_password'] = has_password
            if p.get('all'):
                entry['cn'] = [fqdn]
                entry['serverhostname'] = [fqdn.split('.', 1)[0]]
                entry['ipauniqueid'] = [host['uuid']]
                entry['objectclass'] = ['ipaobject', 'nshost', 'ipahost', 'pkiuser',
                                        'ipaservice', 'krbprincipalaux', 'krbprincipal',
                                        'ieee802device', 'ipasshhost', 'top']
        entry['dn'] = self._host_dn(fqdn)
        return entry

    def _apply_attr_options(self, attrs, p):
        """setattr/addattr/delattr on a host's attribute dict."""
        for option in ('setattr', 'addattr', 'delattr'):
            for pair in p.get(option) or ():
                key, _eq, value = pair.partition('=')
                key, value = key.strip().lower(), value.strip()
                if key == 'fqdn':
                    raise _err('ValidationError', name='fqdn',
                               error='attribute is not configurable')
                if option == 'setattr':
                    attrs[key] = [value] if value else []
                elif option == 'addattr':
                    current = attrs.setdefault(key, [])
                    if value in current:
                        raise _err('ValidationError', name=key,
                                   error=f'{value} already exists')
                    current.append(value)
                else:
                    current = attrs.get(key, [])
                    if value not in current:
                        raise _err('AttrValueNotFound', attr=key, value=value)
                    current.remove(value)
                if not attrs.get(key):
                    attrs.pop(key, None)

    def _host_add(self, p, ctx):
        fqdn = p['fqdn']
        ip = p.get('ip_address')
        if ip:
            host, _dot, domain = fqdn.partition('.')
            zone = _zone_key(domain)
            if zone not in self._zones:
                raise _err('NotFound', reason=f'DNS zone {zone} not found')
            for record in self._zones[zone]['records'].values():
                if ip in record.get('A', []) + record.get('AAAA', []):
                    raise _err('DuplicateEntry',
                               f'IP address {ip} is already assigned in domain {zone}.')
            if not p.get('no_reverse'):
                revzone, revname = self._reverse_zone(ip)
                if revzone and revname in self._zones[revzone]['records']:
                    raise _err('DuplicateEntry', f'Reverse record for IP address {ip} already '
                                                 f'exists in reverse zone {revzone}.')
        elif not p.get('force') and not self._resolvable(fqdn):
            raise _err('DNSNotARecordError', hostname=fqdn)
        if fqdn in self._hosts:
            raise _err('DuplicateEntry', f'host with name "{fqdn}" already exists')
        attrs = {name: list(p[name]) if isinstance(p[name], tuple) else [p[name]]
                 for name in HOST_STORED if p.get(name) is not None}
        self._apply_attr_options(attrs, p)
        random_password = None
        if p.get('random'):
            random_password = secrets.token_urlsafe(12)
            attrs['userpassword'] = [random_password]
        self._create_host(fqdn, attrs)
        if ip:
            host, _dot, domain = fqdn.partition('.')
            zone = _zone_key(domain)
            rtype = 'A' if ipaddress.ip_address(ip).version == 4 else 'AAAA'
            self._add_values(zone, host, rtype, [ip])
            if not p.get('no_reverse'):
                revzone, revname = self._reverse_zone(ip)
                if revzone:
                    self._add_values(revzone, revname, 'PTR', [f'{fqdn}.'])
        entry = self._host_entry(self._hosts[fqdn], p)
        if random_password:
            entry['randompassword'] = random_password
        return {'result': entry, 'value': fqdn}

    def _resolvable(self, fqdn):
        absolute = fqdn + '.'
        zone = self._zone_for_name(absolute)
        if zone is None:
            return False
        record = self._zones[zone]['records'].get(self._relative(absolute, zone), {})
        return bool(record.get('A') or record.get('AAAA'))

    def _host_show(self, p, ctx):
        host = self._resolve_host(p['fqdn'])
        return {'result': self._host_entry(host, p), 'value': p['fqdn']}

    def _host_find(self, p, ctx):
        term = (p.get('criteria') or '').lower()
        found = []
        for fqdn in sorted(self._hosts):
            host = self._hosts[fqdn]
            values = self._host_values(host)
            if term and not any(term in v.lower() for name in HOST_SEARCH_ATTRS
                                for v in values.get(name, [])):
                continue
            if p.get('fqdn') and p['fqdn'] != fqdn:
                continue
            ok = True
            for name in HOST_STORED:
                wanted = p.get(name)
                if wanted is None or name in ('random',):
                    continue
                wanted = wanted if isinstance(wanted, tuple) else (wanted,)
                have = [str(v).lower() for v in values.get(name, [])]
                if not all(str(w).lower() in have for w in wanted):
                    ok = False
            if any(p.get(name) for name in HOST_MEMBER_FILTERS
                   if not name.startswith('not_') and name not in ('man_by_host', 'man_host')):
                ok = False
            if p.get('man_by_host') and not set(p['man_by_host']) <= set(host['managedby']):
                ok = False
            if p.get('not_man_by_host') and set(p['not_man_by_host']) & set(host['managedby']):
                ok = False
            if ok:
                found.append(host)
        entries, truncated = self._limit(found, p, ctx)
        return {'result': [self._host_entry(h, p, search=True) for h in entries],
                'count': len(entries), 'truncated': truncated}

    def _host_values(self, host):
        values = {name: [str(v) for v in vals] for name, vals in host['attrs'].items()}
        values['fqdn'] = [host['fqdn']]
        principal = f'host/{host["fqdn"]}@{self.realm}'
        values['krbprincipalname'] = values['krbcanonicalname'] = [principal]
        values['managedby'] = [self._host_dn(m) for m in host['managedby']]
        return values

    def _limit(self, entries, p, ctx):
        limit = p.get('sizelimit')
        if limit is None:
            limit = SEARCH_RECORDS_LIMIT
        if limit and len(entries) > limit:
            ctx.messages.append(_message(
                13017, 'SearchResultTruncated',
                'Search result has been truncated: limits exceeded for this query',
                reason='limits exceeded for this query'))
            return entries[:limit], True
        return entries, False

    def _host_mod(self, p, ctx):
        host = self._resolve_host(p['fqdn'])
        attrs = {k: list(v) for k, v in host['attrs'].items()}
        for name in HOST_STORED:
            if name in ctx.given:
                value = p.get(name)
                if value is None:
                    attrs.pop(name, None)
                else:
                    attrs[name] = list(value) if isinstance(value, tuple) else [value]
        self._apply_attr_options(attrs, p)
        random_password = None
        if p.get('random'):
            random_password = secrets.token_urlsafe(12)
            attrs['userpassword'] = [random_password]
        if attrs == host['attrs']:
            raise _err('EmptyModlist')
        host['attrs'] = attrs
        entry = self._host_entry(host, p)
        if random_password:
            entry['randompassword'] = random_password
        return {'result': entry, 'value': p['fqdn']}

    def _host_del(self, p, ctx):
        deleted, failed = [], []
        for pkey in p['fqdn']:
            try:
                self._delete_host(pkey, p, ctx)
            except IPAError as exc:
                # LDAPDelete: 'continue' only swallows ExecutionError (4000-4999)
                if not (p.get('continue') and 4000 <= exc.code < 5000):
                    raise
                failed.append(pkey)
            else:
                deleted.append(pkey)
        return {'result': {'failed': _pkey_to_value(failed, ctx.version)},
                'value': _pkey_to_value(deleted, ctx.version)}

    def _delete_host(self, pkey, p, ctx):
        host = self._resolve_host(pkey)
        fqdn = host['fqdn']
        if fqdn in self._masters:
            raise _err('ValidationError', name='hostname',
                       error='An IPA master host cannot be deleted or disabled')
        # host_del.pre_callback: service_del every service found by
        # service_find(fqdn) whose principal's host part is this host
        for principal in [s for s, svc in self._services.items()
                          if self._service_matches(svc, fqdn)
                          and (_principal_host(s) or '').lower() == fqdn]:
            self._delete_service(principal)
        if p.get('updatedns') and self._zones:
            absolute = fqdn + '.'
            removed = False
            zone = self._zone_for_name(absolute)
            record = None
            if zone is not None:
                name = self._relative(absolute, zone)
                record = self._zones[zone]['records'].get(name)
            if record:
                for rtype in ('A', 'AAAA'):
                    for value in list(record.get(rtype, [])):
                        removed = self._remove_ptr(value, absolute) or removed
                changed = False
                for rtype in ('A', 'AAAA', 'SSHFP'):
                    if record.pop(rtype, None):
                        changed = True
                if changed:
                    removed = True
                    if not any(record.values()) and name != '@':
                        del self._zones[zone]['records'][name]
                        self._zones[zone]['ttl'].pop(name, None)
            if not removed:
                reason = 'No A, AAAA, SSHFP or PTR records found.'
                ctx.messages.append(_message(
                    13020, 'FailedToRemoveHostDNSRecords',
                    f'DNS record(s) of host {fqdn} could not be removed. ({reason})',
                    host=fqdn, reason=reason))
        del self._hosts[fqdn]
        self.host_removed_at.append((time.monotonic(), fqdn))
        # 389-ds referential integrity (referint-membership-attr: managedby)
        for entry in list(self._hosts.values()) + list(self._services.values()):
            if fqdn in entry['managedby']:
                entry['managedby'] = [m for m in entry['managedby'] if m != fqdn]

    def _reverse_zone(self, address):
        """get_reverse_zone: (zone, relative name) or (None, None) when not served."""
        try:
            revname = _reverse_name(address)
        except ValueError:
            return None, None
        zone = self._zone_for_name(revname)
        if zone is None or zone == '.':
            return None, None
        return zone, self._relative(revname, zone)

    def _remove_ptr(self, address, target):
        """host.remove_ptr_rec: dnsrecord_del(revzone, revname, ptrrecord=<fqdn>.)."""
        revzone, revname = self._reverse_zone(address)
        if revzone is None:
            return False
        records = self._zones[revzone]['records']
        record = records.get(revname)
        if not record or target not in record.get('PTR', []):
            return False
        record['PTR'].remove(target)
        if not record['PTR']:
            del record['PTR']
        if not any(record.values()) and revname != '@':
            del records[revname]
            self._zones[revzone]['ttl'].pop(revname, None)
        return True

    # -- commands: managedby (baseldap LDAPAddMember / LDAPRemoveMember) ---------------

    def _member_host(self, name):
        """host.get_dn + get_primary_key_from_dn for a member name: (fqdn or None, the
        name reported in ``failed``). A short name resolves through a unique
        ``serverhostname``; an ambiguous one raises SingleMatchExpected."""
        fqdn = _normalize_hostname(name)
        if fqdn in self._hosts:
            return fqdn, name
        matches = [h for h in self._hosts if h.split('.', 1)[0] == fqdn]
        if len(matches) > 1:
            raise _err('SingleMatchExpected', found=len(matches))
        if matches:
            return matches[0], matches[0]
        return None, name

    def _modify_managedby(self, managedby, p, add):
        """Add/remove hosts to/from a managedby list; returns (completed, failed list).

        Adding refuses a host that does not exist ('no such entry') or is already
        there; removing refuses a host that is not there (whether or not it exists).
        Adding a host to its own managedby is allowed (host_add_managedby has
        ``allow_same``; a service never is its own host entry)."""
        completed, failed = 0, []
        for name in p.get('host') or ():
            try:
                fqdn, shown = self._member_host(name)
            except IPAError as exc:
                failed.append([name, exc.message])
                continue
            if add:
                if fqdn is None:
                    failed.append([shown, 'no such entry'])
                elif fqdn in managedby:
                    failed.append([shown, _err('AlreadyGroupMember').message])
                else:
                    managedby.append(fqdn)
                    completed += 1
            else:
                fqdn = fqdn or _normalize_hostname(name)
                if fqdn not in managedby:
                    failed.append([shown, _err('NotGroupMember').message])
                else:
                    managedby.remove(fqdn)
                    completed += 1
        return completed, {'managedby': {'host': failed}}

    def _host_add_managedby(self, p, ctx):
        return self._host_managedby(p, add=True)

    def _host_remove_managedby(self, p, ctx):
        return self._host_managedby(p, add=False)

    def _host_managedby(self, p, add):
        host = self._resolve_host(p['fqdn'])
        completed, failed = self._modify_managedby(host['managedby'], p, add)
        return {'result': self._host_entry(host, p, keytab=False), 'failed': failed,
                'completed': completed}

    # -- commands: services ------------------------------------------------------------

    def _service_dn(self, principal):
        return f'krbprincipalname={principal},cn=services,cn=accounts,{self.basedn}'

    def _service(self, principal):
        try:
            return self._services[principal]
        except KeyError:
            raise _not_found(principal, 'service') from None

    def _service_entry(self, svc, p, keytab=True, created=False):
        principal = svc['principal']
        entry = {'krbcanonicalname': [principal], 'krbprincipalname': [principal]}
        if not p.get('pkey_only'):
            for name in SERVICE_STORED:
                if svc['attrs'].get(name):
                    entry[name] = list(svc['attrs'][name])
            if svc['managedby']:
                if p.get('raw'):
                    entry['managedby'] = [self._host_dn(m) for m in svc['managedby']]
                elif not p.get('no_members'):
                    entry['managedby_host'] = list(svc['managedby'])
            if keytab:
                entry['has_keytab'] = svc['has_keytab']
            if created or p.get('all'):
                entry['objectclass'] = list(SERVICE_OBJECTCLASSES)
                entry['ipauniqueid'] = [svc['uuid']]
            if p.get('all'):
                entry['ipakrbprincipalalias'] = [principal]
                entry['krbpwdpolicyreference'] = [
                    f'cn=Default Service Password Policy,cn=services,cn=accounts,'
                    f'{self.basedn}']
            if svc['ticket_flags'] != TICKET_FLAGS_DEFAULT:
                entry['krbticketflags'] = [str(svc['ticket_flags'])]
            if not p.get('raw'):
                for name, bit in TICKET_FLAGS.items():
                    if p.get('all') or p.get(name) is not None:
                        entry[name] = bool(svc['ticket_flags'] & bit)
        entry['dn'] = self._service_dn(principal)
        return entry

    def _service_add(self, p, ctx):
        principal = p['krbcanonicalname']
        components = _parse_principal(principal)[0]
        hostname = components[-1]
        if components[0] == 'host' and len(components) == 2 and not p.get('force'):
            raise _err('HostService')
        host = None
        if not p.get('skip_host_check'):
            try:
                host = self._resolve_host(_normalize_hostname(hostname))
            except IPAError as exc:
                if exc.name != 'NotFound':
                    raise
                raise _err('NotFound', reason=f"The host '{hostname}' does not exist to add "
                                              f"a service to.") from None
        authz = p.get('ipakrbauthzdata') or ()
        if 'NONE' in authz and len(set(authz)) > 1:
            raise _err('ValidationError', name='ipakrbauthzdata',
                       error='NONE value cannot be combined with other PAC types')
        if not p.get('force') and not self._resolvable(_normalize_hostname(hostname)):
            raise _err('DNSNotARecordError', hostname=hostname)
        if principal in self._services:
            raise _err('DuplicateEntry', f'service with name "{principal}" already exists')
        attrs = {name: list(p[name]) for name in SERVICE_STORED if p.get(name)}
        self._apply_attr_options(attrs, p)
        flags = TICKET_FLAGS_DEFAULT
        for name, bit in TICKET_FLAGS.items():
            if p.get(name) is True:
                flags |= bit
            elif p.get(name) is False:
                flags &= ~bit
        self._create_service(principal, [host['fqdn']] if host else [], attrs,
                             ticket_flags=flags)
        return {'result': self._service_entry(self._services[principal], p, keytab=False,
                                              created=True),
                'value': principal}

    def _service_show(self, p, ctx):
        principal = p['krbcanonicalname']
        return {'result': self._service_entry(self._service(principal), p),
                'value': principal}

    def _service_matches(self, svc, term):
        """service_find's term filter: a substring of krbprincipalname (caseExact), of a
        managedby DN (DN syntax: case-insensitive) or of ipakrbauthzdata."""
        if term in svc['principal']:
            return True
        low = term.lower()
        if any(low in self._host_dn(m).lower() for m in svc['managedby']):
            return True
        return any(low in v.lower() for v in svc['attrs'].get('ipakrbauthzdata', []))

    def _service_find(self, p, ctx):
        term = p.get('criteria')
        found = []
        for principal in sorted(self._services):
            svc = self._services[principal]
            if term and not self._service_matches(svc, term):
                continue
            if p.get('krbcanonicalname') and p['krbcanonicalname'] != principal:
                continue
            if p.get('krbprincipalname') and set(p['krbprincipalname']) - {principal}:
                continue
            ok = True
            for name in ('ipakrbauthzdata', 'krbprincipalauthind'):
                have = [v.lower() for v in svc['attrs'].get(name, [])]
                if p.get(name) and not all(w.lower() in have for w in p[name]):
                    ok = False
            if p.get('man_by_host') and not set(p['man_by_host']) <= set(svc['managedby']):
                ok = False
            if p.get('not_man_by_host') and set(p['not_man_by_host']) & set(svc['managedby']):
                ok = False
            if ok:
                found.append(svc)
        entries, truncated = self._limit(found, p, ctx)
        return {'result': [self._service_entry(svc, p) for svc in entries],
                'count': len(entries), 'truncated': truncated}

    def _service_del(self, p, ctx):
        deleted, failed = [], []
        for principal in p['krbcanonicalname']:
            try:
                self._delete_service(principal)
            except IPAError as exc:
                if not (p.get('continue') and 4000 <= exc.code < 5000):
                    raise
                failed.append(principal)
            else:
                deleted.append(principal)
        return {'result': {'failed': _pkey_to_value(failed, ctx.version)},
                'value': _pkey_to_value(deleted, ctx.version)}

    def _delete_service(self, principal):
        # check_required_principal runs (pre_callback) before the entry is looked up
        hostname = _principal_host(principal)
        if hostname is not None and _normalize_hostname(hostname) in self._masters \
                and _service_name(principal).lower() in MASTER_REQUIRED_SERVICES:
            raise _err('ValidationError', name='principal',
                       error='This principal is required by the IPA master')
        self._service(principal)
        del self._services[principal]

    def _service_add_host(self, p, ctx):
        return self._service_managedby(p, add=True)

    def _service_remove_host(self, p, ctx):
        return self._service_managedby(p, add=False)

    def _service_managedby(self, p, add):
        svc = self._service(p['krbcanonicalname'])
        completed, failed = self._modify_managedby(svc['managedby'], p, add)
        return {'result': self._service_entry(svc, p, keytab=False), 'failed': failed,
                'completed': completed}

    # -- commands: DNS zones --------------------------------------------------------

    def _zone_dn(self, zone):
        return f'idnsname={zone},cn=dns,{self.basedn}'

    def _zone_entry(self, zone, p, search=False):
        meta = self._zones[zone]['meta']
        dns = (lambda v: v) if p.get('raw') else DNSName
        entry = {'idnsname': [dns(zone)]}
        if not p.get('pkey_only'):
            for key, value in meta.items():
                if key in ('idnssoamname', 'idnssoarname'):
                    value = dns(value)
                entry[key] = [value]
            entry['nsrecord'] = list(self._zones[zone]['records'].get('@', {}).get('NS', []))
            if p.get('all'):
                entry['objectclass'] = ['top', 'idnsrecord', 'idnszone']
        if search or p.get('all'):
            entry['dn'] = self._zone_dn(zone)
        return entry

    def _dnszone_add(self, p, ctx):
        zone = p.get('idnsname')
        if zone is None and p.get('name_from_ip'):
            try:
                zone = _reverse_zone_for_network(p['name_from_ip'])
            except ValueError:
                raise _err('ValidationError', name='name_from_ip',
                           error='invalid IP network format') from None
        if zone is None:
            raise _err('RequirementError', name='idnsname')
        if zone in self._zones:
            raise _err('DuplicateEntry', f'DNS zone with name "{zone}" already exists')
        attrs = {}
        for param in ZONE_OPTION_PARAMS:
            if param.name.startswith('idns') and p.get(param.name) is not None:
                value = p[param.name]
                attrs[param.name] = list(value) if isinstance(value, tuple) else value
        if attrs.get('idnssoamname') and not attrs['idnssoamname'].endswith('.'):
            attrs['idnssoamname'] += '.'
        self._create_zone(zone, attrs)
        if 'ip_address' in ctx.given:
            ctx.messages.append(_message(
                13004, 'OptionDeprecatedWarning',
                "'ip-address' option is deprecated. Value will be ignored.",
                option='ip-address', additional_info='Value will be ignored.'))
        return {'result': self._zone_entry(zone, p), 'value': DNSName(zone)}

    def _dnszone_show(self, p, ctx):
        zone = p['idnsname']
        if zone not in self._zones:
            raise _not_found(zone, 'DNS zone')
        return {'result': self._zone_entry(zone, p), 'value': DNSName(zone)}

    def _dnszone_find(self, p, ctx):
        term = (p.get('criteria') or '').lower()
        wanted = p.get('idnsname')
        if p.get('name_from_ip'):
            try:
                wanted = _reverse_zone_for_network(p['name_from_ip'])
            except ValueError:
                raise _err('ValidationError', name='name_from_ip',
                           error='invalid IP network format') from None
        found = []
        for zone in sorted(self._zones, key=_dns_sort_key):
            if term and term not in zone:
                continue
            if wanted and zone != wanted:
                continue
            if p.get('forward_only') and any(zone == z or zone.endswith('.' + z)
                                             for z in REVERSE_ZONES):
                continue
            found.append(zone)
        zones, truncated = self._limit(found, p, ctx)
        return {'result': [self._zone_entry(z, p, search=True) for z in zones],
                'count': len(zones), 'truncated': truncated}

    # -- commands: DNS records --------------------------------------------------------

    def _check_zone(self, zone):
        if zone not in self._zones:
            raise _not_found(zone, 'DNS zone')
        return self._zones[zone]

    def _record_dn(self, zone, name):
        if name == '@':
            return self._zone_dn(zone)
        return f'idnsname={name},{self._zone_dn(zone)}'

    def _record_entry(self, zone, name, p, search=False):
        data = self._zones[zone]
        record = data['records'].get(name, {})
        dns = (lambda v: v) if p.get('raw') else DNSName
        entry = {'idnsname': [dns(name)]}
        if not p.get('pkey_only'):
            if p.get('structured'):
                structured = []
                for rtype, values in record.items():
                    for value in values:
                        item = {'dnstype': rtype, 'dnsdata': value}
                        parts = RR_TYPES[rtype][1]
                        split = _split_parts(rtype, value) if parts else None
                        if split:
                            item.update({part[0]: text for part, text in zip(parts, split)})
                        structured.append(item)
                if structured:
                    entry['dnsrecords'] = structured
            else:
                for rtype, values in record.items():
                    if values:
                        entry[_record_attr(rtype)] = list(values)
            if name in data['ttl']:
                entry['dnsttl'] = [data['ttl'][name]]
            if p.get('all'):
                entry['objectclass'] = ['top', 'idnsrecord'] + (
                    ['idnszone'] if name == '@' else [])
        if search or p.get('all'):
            entry['dn'] = self._record_dn(zone, name)
        return entry

    def _name_key(self, zone, name):
        """The record name relative to the zone ('@' for the apex), or None if outside."""
        return self._record_key(zone, name)

    def _record_options(self, p):
        """{rtype: [values]} from the raw record options and the per-part options."""
        values = {}
        for param in RAW_RECORD_PARAMS:
            if p.get(param.name):
                values[RECORD_ATTRS[param.name]] = list(p[param.name])
        for rtype, (_rfc, parts) in RR_TYPES.items():
            if not parts:
                continue
            names = [f'{rtype.lower()}_part_{part[0]}' for part in parts]
            given = [p.get(n) for n in names]
            if all(v is None for v in given):
                continue
            if rtype in values:
                raise _err('ValidationError', name=f'{rtype.lower()}_{parts[0][0]}',
                           error=f'Raw value of a DNS record was already set by '
                                 f'"{rtype.lower()}_rec" option')
            for part, value in zip(parts, given):
                if value is None and rtype != 'LOC' and not (rtype == 'AFSDB'
                                                              and part[0] == 'subtype'):
                    raise _err('ConversionError', name=_record_attr(rtype),
                               error=f"'{rtype.lower()}_{part[0]}' is a required part of "
                                     f"DNS record")
            value = ' '.join(str(v) for v in given if v is not None)
            problem = _record_value_rule(rtype)(value)
            if problem:
                raise _err('ValidationError', name=f'{rtype.lower()}_rec', error=problem)
            values[rtype] = [value]
        return values

    def _has_record_options(self, p, given, allow_empty=False):
        if any(k in given for k in ('setattr', 'addattr', 'delattr', 'rename', 'dnsttl')):
            return True
        for name in given:
            if name in RECORD_ATTRS or '_part_' in name:
                if p.get(name) is not None or allow_empty:
                    return True
        return False

    def _check_ptr_name(self, zone, name):
        """dnsrecord._ptrrecord_pre_callback."""
        zone_len = 0
        rest = zone
        for valid, length in REVERSE_ZONES.items():
            if zone == valid or zone.endswith('.' + valid):
                zone_len = length
                zone_name = valid
                rest = zone[:-len(valid)].rstrip('.')
        if not zone_len:
            raise _err('ValidationError', name='ptrrecord', error=(
                'Reverse zone for PTR record should be a sub-zone of one the following fully '
                'qualified domains: %s' % ', '.join(REVERSE_ZONES)))
        addr_labels = [] if name == '@' else name.split('.')
        zone_labels = rest.split('.') if rest else []
        if any('/' in label or '-' in label for label in addr_labels + zone_labels):
            return
        count = len(addr_labels) + len(zone_labels)
        if count != zone_len:
            raise _err('ValidationError', name='ptrrecord', error=(
                'Reverse zone %s requires exactly %d IP address components, %d given'
                % (zone_name, zone_len, count)))

    @staticmethod
    def _check_collisions(rrsets):
        cnames = rrsets.get('CNAME')
        if cnames:
            if len(cnames) > 1:
                raise _err('ValidationError', name='cnamerecord', error=(
                    'only one CNAME record is allowed per name (RFC 2136, section 1.1.5)'))
            if any(values for rtype, values in rrsets.items() if rtype != 'CNAME'):
                raise _err('ValidationError', name='cnamerecord', error=(
                    'CNAME record is not allowed to coexist with any other record '
                    '(RFC 1034, section 3.6.2)'))
        dnames = rrsets.get('DNAME')
        if dnames and len(dnames) > 1:
            raise _err('ValidationError', name='dnamerecord', error=(
                'only one DNAME record is allowed per name (RFC 6672, section 2.4)'))

    def _add_values(self, zone, name, rtype, values):
        record = self._zones[zone]['records'].setdefault(name, {})
        current = record.setdefault(rtype, [])
        for value in values:
            if value not in current:
                current.append(value)

    def _dnsrecord_add(self, p, ctx):
        zone = p['dnszoneidnsname']
        data = self._check_zone(zone)
        if not self._has_record_options(p, ctx.given):
            raise _err('OptionError', 'No options to add a specific record provided.\n'
                                      'Command help may be consulted for all supported '
                                      'record types.')
        given_name = p['idnsname']
        name = self._name_key(zone, given_name)
        if name is None:
            raise _err('ValidationError', name='idnsname', error=(
                'out-of-zone data: record name must be a subdomain of the zone or a '
                'relative name'))
        new = self._record_options(p)
        if 'PTR' in new:
            self._check_ptr_name(zone, name)
        old = data['records'].get(name)
        merged = {rtype: list(values) for rtype, values in (old or {}).items()}
        for rtype, values in new.items():
            current = merged.setdefault(rtype, [])
            for value in values:
                if value not in current:
                    current.append(value)
        self._check_collisions(merged)
        reverse = []
        for rtype in ('A', 'AAAA'):
            if p.get(f'{rtype.lower()}_extra_create_reverse'):
                if not new.get(rtype):
                    raise _err('RequirementError', name=_record_attr(rtype))
                for value in new[rtype]:
                    revzone, revname = self._reverse_zone(value)
                    if revzone and revname in self._zones[revzone]['records']:
                        raise _err('DuplicateEntry', f'Reverse record for IP address {value} '
                                                     f'already exists in reverse zone {revzone}.')
                    reverse.append(value)
        ttl = p.get('dnsttl')
        if old is not None and merged == old and (ttl is None or data['ttl'].get(name) == ttl):
            raise _err('EmptyModlist')
        data['records'][name] = merged
        if ttl is not None:
            data['ttl'][name] = ttl
        for value in reverse:
            revzone, revname = self._reverse_zone(value)
            absolute = (zone if name == '@' else f'{name}.{zone}')
            if revzone is None:
                raise _err('NonFatalError', reason=(
                    f'Cannot create reverse record for "{value}": DNS reverse zone '
                    f'{_reverse_zone_for_network(value)} for IP address {value} is not '
                    f'managed by this server'))
            self._add_values(revzone, revname, 'PTR', [absolute])
        if name != '@' and not given_name.endswith('.') and zone != '.' \
                and (name == zone[:-1] or name.endswith('.' + zone[:-1])):
            ctx.messages.append(_message(
                13014, 'DNSSuspiciousRelativeName',
                f"Relative record name '{given_name}' contains the zone name '{zone}' as a "
                f"suffix, which results in FQDN '{given_name}.{zone}'. This is usually a "
                "mistake caused by a missing dot at the end of the name specification.",
                record=given_name, zone=zone, fqdn=f'{given_name}.{zone}'))
        return {'result': self._record_entry(zone, name, p), 'value': DNSName(given_name)}

    def _dnsrecord_mod(self, p, ctx):
        zone = p['dnszoneidnsname']
        data = self._check_zone(zone)
        if not self._has_record_options(p, ctx.given, allow_empty=True):
            raise _err('OptionError', 'No options to modify a specific record provided.')
        given_name = p['idnsname']
        name = self._name_key(zone, given_name)
        if name is None or name not in data['records']:
            raise _not_found(given_name, 'DNS resource record')
        if p.get('rename') and name == '@':
            raise _err('ValidationError', name='rename',
                       error='DNS zone root record cannot be renamed')
        old = data['records'][name]
        updated = {rtype: list(values) for rtype, values in old.items()}
        for param in RAW_RECORD_PARAMS:
            if param.name in ctx.given:
                rtype = RECORD_ATTRS[param.name]
                values = list(p.get(param.name) or ())
                rule = _record_value_rule(rtype)
                for value in values:
                    problem = rule(value)
                    if problem:
                        raise _err('ValidationError', name=param.cli_name, error=problem)
                if values:
                    updated[rtype] = values
                else:
                    updated.pop(rtype, None)
        updated = {k: v for k, v in updated.items() if v}
        self._check_collisions(updated)
        ttl = p.get('dnsttl')
        new_name = None
        if p.get('rename'):
            new_name = self._name_key(zone, p['rename'])
        if updated == {k: v for k, v in old.items() if v} and new_name is None \
                and (ttl is None or data['ttl'].get(name) == ttl):
            raise _err('EmptyModlist')
        data['records'][name] = updated
        if ttl is not None:
            data['ttl'][name] = ttl
        if new_name is not None:
            data['records'][new_name] = data['records'].pop(name)
            if name in data['ttl']:
                data['ttl'][new_name] = data['ttl'].pop(name)
            name = new_name
        if name != '@' and not data['records'][name]:
            del data['records'][name]
            data['ttl'].pop(name, None)
            value = DNSName(given_name)
            if not _has_capability(ctx.version, 'primary_key_types'):
                value = str(value)
            return {'result': {'failed': []}, 'value': value,
                    'summary': f'Deleted record "{given_name}"'}
        return {'result': self._record_entry(zone, name, p), 'value': DNSName(given_name)}

    def _dnsrecord_del(self, p, ctx):
        zone = p['dnszoneidnsname']
        data = self._check_zone(zone)
        given_name = p['idnsname']
        name = self._name_key(zone, given_name)
        deleted = {'result': {'failed': _pkey_to_value([], ctx.version)},
                   'value': _pkey_to_value([DNSName(given_name)], ctx.version),
                   'summary': f'Deleted record "{given_name}"'}
        if p.get('del_all'):
            if name == '@':
                raise _err('ValidationError', name='del_all',
                           error="Zone record '@' cannot be deleted")
            if name is None or name not in data['records']:
                raise _not_found(given_name, 'DNS resource record')
            del data['records'][name]
            data['ttl'].pop(name, None)
            return deleted
        if not self._has_record_options(p, ctx.given):
            raise _err('OptionError', 'Neither --del-all nor options to delete a specific '
                                      'record provided.\nCommand help may be consulted for '
                                      'all supported record types.')
        if name is None or name not in data['records']:
            raise _not_found(given_name, 'DNS resource record')
        record = {rtype: list(values) for rtype, values in data['records'][name].items()}
        for param in RAW_RECORD_PARAMS:
            rtype = RECORD_ATTRS[param.name]
            for value in p.get(param.name) or ():
                try:
                    record.get(rtype, []).remove(value)
                except ValueError:
                    raise _err('AttrValueNotFound', attr=f'{rtype} record',
                               value=value) from None
        record = {rtype: values for rtype, values in record.items() if values}
        if name != '@' and not record:
            del data['records'][name]
            data['ttl'].pop(name, None)
            return deleted
        data['records'][name] = record
        return {'result': self._record_entry(zone, name, p),
                'value': _pkey_to_value([DNSName(given_name)], ctx.version)}

    def _dnsrecord_show(self, p, ctx):
        zone = p['dnszoneidnsname']
        data = self._check_zone(zone)
        given_name = p['idnsname']
        name = self._name_key(zone, given_name)
        if name is None or name not in data['records']:
            raise _not_found(given_name, 'DNS resource record')
        return {'result': self._record_entry(zone, name, p), 'value': DNSName(given_name)}

    def _dnsrecord_find(self, p, ctx):
        zone = p['dnszoneidnsname']
        data = self._check_zone(zone)
        term = (p.get('criteria') or '').lower()
        wanted_name = self._name_key(zone, p['idnsname']) if p.get('idnsname') else None
        found = []
        for name in sorted(data['records'], key=lambda n: '' if n == '@' else n):
            record = data['records'][name]
            if wanted_name is not None and name != wanted_name:
                continue
            if term:
                haystack = [name] + [v for values in record.values() for v in values]
                if not any(term in v.lower() for v in haystack):
                    continue
            ok = True
            for param in RAW_RECORD_PARAMS:
                wanted = p.get(param.name)
                if wanted:
                    have = [v.lower() for v in record.get(RECORD_ATTRS[param.name], [])]
                    if not all(w.lower() in have for w in wanted):
                        ok = False
            if p.get('dnsttl') is not None and data['ttl'].get(name) != p['dnsttl']:
                ok = False
            if ok:
                found.append(name)
        names, truncated = self._limit(found, p, ctx)
        return {'result': [self._record_entry(zone, n, p, search=True) for n in names],
                'count': len(names), 'truncated': truncated}


class _Context:
    def __init__(self, version, messages, given):
        self.version = version
        self.messages = messages
        self.given = given


_REQUEST = threading.local()


def _dns_sort_key(zone):
    return list(reversed(zone.rstrip('.').split('.')))


def _pkey_to_unicode(key):
    if key is None:
        return ''
    if isinstance(key, (list, tuple)):
        return ','.join(str(k) for k in key)
    return str(key)


def _pkey_to_value(key, version):
    if _has_capability(version, 'primary_key_types'):
        return list(key) if isinstance(key, tuple) else key
    return _pkey_to_unicode(key)


def _sub_args(request):
    params = request.get('params') if isinstance(request, dict) else None
    if isinstance(params, (list, tuple)) and params:
        return params[0]
    return []


def _sub_options(request):
    params = request.get('params') if isinstance(request, dict) else None
    if isinstance(params, (list, tuple)) and len(params) > 1:
        return params[1]
    return {}


def _decode(value):
    """json_decode_binary: {'__dns_name__': x} -> x (other wrappers are kept)."""
    if isinstance(value, dict):
        if set(value) == {'__dns_name__'}:
            return value['__dns_name__']
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


def _encode(value, dns_names):
    if isinstance(value, DNSName):
        return {'__dns_name__': str(value)} if dns_names else str(value)
    if isinstance(value, dict):
        return {k: _encode(v, dns_names) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_encode(v, dns_names) for v in value]
    return value


def _unmarshal(body):
    """jsonserver.unmarshal."""
    try:
        data = json.loads(body.decode('utf-8'))
    except (ValueError, UnicodeDecodeError) as exc:
        raise _err('JSONError', error=str(exc)) from None
    data = _decode(data)
    if not isinstance(data, dict):
        raise _err('JSONError', error='Request must be a dict')
    if 'method' not in data:
        raise _err('JSONError', error='Request is missing "method"')
    if 'params' not in data:
        raise _err('JSONError', error='Request is missing "params"')
    params = data['params']
    if not isinstance(params, list):
        raise _err('JSONError', error='params must be a list')
    if len(params) != 2:
        raise _err('JSONError', error='params must contain [args, options]')
    args, options = params
    if not isinstance(args, list):
        raise _err('JSONError', error='params[0] (aka args) must be a list')
    if not isinstance(options, dict):
        raise _err('JSONError', error='params[1] (aka options) must be a dict')
    return data['method'], args, {str(k): v for k, v in options.items()}, data.get('id')


def _html(title, heading, message):
    from html import escape
    return (f'<html>\n<head>\n<title>{title}</title>\n</head>\n<body>\n<h1>{heading}</h1>\n'
            f'<p>\n<strong>{escape(message)}</strong>\n</p>\n</body>\n</html>').encode('utf-8')


def _bad_request(message):
    return _html('400 Bad Request', 'Bad Request', message)


def _unauthorized(message):
    return _html('401 Unauthorized', 'Invalid Authentication', message)


# ---------------------------------------------------------------------------
# HTTP server

class _TLSServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, address, handler, emulator):
        self.emulator = emulator
        self.ssl_context = emulator.ca.server_context()
        self.ssl_context.minimum_version = ssl.TLSVersion.TLSv1_2
        super().__init__(address, handler)

    def finish_request(self, request, client_address):
        # The TLS handshake happens here, in the connection's own thread.
        request.settimeout(30)
        request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            conn = self.ssl_context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return
        with self.emulator._conns_lock:
            self.emulator._conns.add(conn)
        try:
            self.RequestHandlerClass(conn, client_address, self)
        except (ssl.SSLError, OSError):
            pass
        finally:
            with self.emulator._conns_lock:
                self.emulator._conns.discard(conn)
            try:
                conn.close()
            except OSError:
                pass

    def handle_error(self, request, client_address):
        pass


class _Handler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    server_version = 'Apache'

    def version_string(self):
        return self.server_version

    def log_message(self, format, *args):
        pass

    def do_POST(self):
        self._dispatch('POST')

    def do_GET(self):
        self._dispatch('GET')

    def _dispatch(self, method):
        _REQUEST.token = self.server.emulator._session_token(self)
        try:
            self.server.emulator._handle(self, method)
        finally:
            _REQUEST.token = None

    def respond(self, status, body, headers=(), content_type='text/html; charset=utf-8'):
        self.send_response(status)
        if content_type:
            self.send_header('Content-Type', content_type)
        for key, value in headers:
            self.send_header(key, value)
        self.send_header('Content-Length', str(len(body)))
        if self.close_connection:
            self.send_header('Connection', 'close')
        # headers and body in one write: no Nagle / delayed-ACK stall per call
        self._headers_buffer.append(b'\r\n' + body)
        self.flush_headers()
