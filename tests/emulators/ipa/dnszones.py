"""DNS zones: dnszone_add/show/find, zone state and name helpers."""

import time

from .dnstypes import (
    REVERSE_ZONES, ZONE_OPTION_PARAMS, _dns_sort_key, _reverse_name, _reverse_zone_for_network,
    _zone_key)
from .errors import DNSName, _err, _message, _not_found


class DnszonesMixin:
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
        if record and target in record.get('PTR', []):
            self._check_access('dnsrecord_del', {'dnszoneidnsname': revzone, 'idnsname': revname,
                                                 'ptrrecord': (target,)})
        if not record or target not in record.get('PTR', []):
            return False
        record['PTR'].remove(target)
        if not record['PTR']:
            del record['PTR']
        if not any(record.values()) and revname != '@':
            del records[revname]
            self._zones[revzone]['ttl'].pop(revname, None)
        return True

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

