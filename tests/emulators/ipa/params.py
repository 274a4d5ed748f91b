"""Parameter types and validation rules (a small ipalib.parameters)."""

import ipaddress
import re

from .errors import MAX_HOSTNAME_LENGTH, _err


NULLS = (None, '', (), [])


TRUTHS = (1, '1', True, 'true', 'TRUE')


FALSEHOODS = (0, '0', False, 'false', 'FALSE')
# StrEnum values shared by hosts and services
AUTH_INDICATORS = ('radius', 'otp', 'pkinit', 'hardened', 'idp', 'passkey')
PAC_TYPES = ('MS-PAC', 'PAD', 'NONE')


class Param:
    def __init__(self, name, kind='str', required=False, multi=False, cli_name=None,
                 query=False, default=None, normalizer=None, rules=(), minvalue=None,
                 maxvalue=None, values=None, default_from=None):
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
        # computed from the other (converted) parameters when not given
        self.default_from = default_from

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


