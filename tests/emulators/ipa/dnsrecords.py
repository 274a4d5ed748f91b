"""dnsrecord_add/mod/del/show/find and the record state helpers."""

from .dnstypes import (
    RAW_RECORD_PARAMS, RECORD_ATTRS, RR_TYPES, _record_attr, _record_value_rule,
    _reverse_zone_for_network, _split_parts, _zone_key)
from .errors import DNSName, _err, _has_capability, _message, _not_found, _pkey_to_value


class DnsrecordsMixin:
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

