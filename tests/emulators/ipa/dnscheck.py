"""DNS record option handling and validation shared by the dnsrecord_* commands."""

from .dnstypes import (
    RAW_RECORD_PARAMS, RECORD_ATTRS, REVERSE_ZONES, RR_TYPES, _record_attr, _record_value_rule)
from .errors import _err


class DnscheckMixin:
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

