"""Hosts (ipaserver/plugins/host.py): host_add/show/find/mod/del and host state."""

import ipaddress
import secrets
import time
import uuid

from .dnstypes import _zone_key
from .errors import IPAError, _err, _message, _not_found, _pkey_to_value
from .params import Bool, Flag, M, S, _mac_rule, _normalize_hostname
from .services import _principal_host


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


class HostsMixin:
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

    def _create_host(self, fqdn, attrs, managedby=None, has_keytab=False):
        self._hosts[fqdn] = {
            'fqdn': fqdn,
            'attrs': attrs,
            'managedby': managedby or [fqdn],
            'has_keytab': has_keytab,
            'uuid': str(uuid.uuid4()),
        }

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
        managers = set(p.get('man_by_host') or ())
        names = self._hosts if not managers else [   # first, as IPA's managedby index
            f for f, h in self._hosts.items() if managers.issubset(h['managedby'])]
        for fqdn in sorted(names):
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

