"""DNS record types and their per-part validation (ipaserver/plugins/dns.py)."""

import ipaddress
import re

from .errors import _err
from .params import Bool, Flag, Int, M, Param, S, _dns_name_problem, _ipaddr_rule, _to_int


_UNSUPPORTED = ('APL', 'DHCID', 'HIP', 'IPSECKEY', 'KEY', 'NSEC', 'RRSIG', 'RP', 'SIG', 'SPF')


_LOC_PARTS = ('lat_deg', 'lat_min', 'lat_sec', 'lat_dir', 'lon_deg', 'lon_min', 'lon_sec',
              'lon_dir', 'altitude', 'size', 'h_precision', 'v_precision')
# LOC parts that are Int or StrEnum (the rest are Decimal, taken as text)
_LOC_INT_PARTS = ('lat_deg', 'lat_min', 'lon_deg', 'lon_min')
_LOC_ENUM_PARTS = {'lat_dir': ('N', 'S'), 'lon_dir': ('E', 'W')}
DNS_CLASSES = ('IN', 'CS', 'CH', 'HS')


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
            kind = {'int': 'int', 'dnsname': 'dnsname'}.get(part[1], 'str')
            if rtype == 'LOC' and part[0] in _LOC_INT_PARTS:
                kind = 'int'
            parts.append(Param(f'{rtype.lower()}_part_{part[0]}', kind,
                               cli_name=f'{rtype.lower()}_{part[0]}',
                               values=_LOC_ENUM_PARTS.get(part[0]) if rtype == 'LOC' else None))
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


def _zone_arg(required=True):
    return Param('dnszoneidnsname', 'dnsname', required=required, cli_name='dnszoneidnsname',
                 normalizer=_zone_key, query=True)


def _record_name_arg():
    return Param('idnsname', 'dnsname', required=True, cli_name='name', query=True)


ZONE_OPTION_PARAMS = [
    S('name_from_ip'), M('idnsforwarders', cli_name='forwarder'),
    S('idnsforwardpolicy', cli_name='forward_policy', values=('only', 'first', 'none')),
    Param('idnssoamname', 'dnsname', cli_name='name_server'),
    Param('idnssoarname', 'dnsname', cli_name='admin_email'),
    Int('idnssoaserial', minvalue=1, maxvalue=4294967295),
    Int('idnssoarefresh', minvalue=0, maxvalue=2147483647),
    Int('idnssoaretry', minvalue=0, maxvalue=2147483647),
    Int('idnssoaexpire', minvalue=0, maxvalue=2147483647),
    Int('idnssoaminimum', minvalue=0, maxvalue=10800),
    Int('dnsttl', minvalue=0, maxvalue=2147483647), Int('dnsdefaultttl'),
    S('dnsclass', values=DNS_CLASSES),
    S('idnsupdatepolicy'), Bool('idnsallowdynupdate'), S('idnsallowquery'),
    S('idnsallowtransfer'), Bool('idnsallowsyncptr'), Bool('idnssecinlinesigning'),
    S('nsec3paramrecord'),
]


def _dns_sort_key(zone):
    return list(reversed(zone.rstrip('.').split('.')))


