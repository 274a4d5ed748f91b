"""Hosts (ipaserver/plugins/host.py): host_add/show/find/mod/del and host state."""

import datetime
import ipaddress
import secrets
import uuid

from .dnstypes import _zone_key
from .hostgroups import members_visible
from .errors import LDAP_GENERALIZED_TIME_FORMAT, _err, _not_found
from .params import AUTH_INDICATORS, Bool, Flag, M, S, _mac_rule, _normalize_hostname


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
    M('krbprincipalauthind', cli_name='auth_ind', values=AUTH_INDICATORS),
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
    def add_host(self, fqdn, created=None, enrolled=None, hostgroups=(), **attrs):
        """Create a host as ``host_add --force`` would (no DNS checks).

        ``created``: when the entry was made (a datetime; default now). IPA shows no
        creation time (createTimestamp is operational, not even read by ``all``).
        ``enrolled``: True (at ``created``) or a datetime: the host ran
        ipa-client-install then, so it has a keytab, no OTP, and host_show/find
        with ``all`` show that time as ``krblastpwdchange``.
        ``hostgroups``: existing host groups to put it in. Other keywords are
        attributes (``description='IPA host for OpenStack'``, ``userpassword``
        for an OTP, ``managedby=[fqdn, ...]``)."""
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
            self._create_host(fqdn, stored, managedby=managedby, created=created)
            if enrolled:
                self.enroll_host(fqdn, self._hosts[fqdn]['created'] if enrolled is True
                                 else enrolled)
            for cn in hostgroups:
                self.add_hostgroup_member(cn, host=fqdn)

    def enroll_host(self, fqdn, when=None):
        """What ipa-client-install does with a host's OTP: ipa-join retrieves a keytab
        (krbLastPwdChange = ``when``, default now) and the OTP is gone."""
        with self._lock:
            host = self._hosts[_normalize_hostname(fqdn)]
            host['attrs'].pop('userpassword', None)
            host['has_keytab'] = True
            host['enrolled'] = _utc(when or datetime.datetime.now(datetime.timezone.utc))

    def has_host(self, fqdn):
        with self._lock:
            return _normalize_hostname(fqdn) in self._hosts

    def hosts(self):
        with self._lock:
            return sorted(self._hosts)

    def host_info(self, fqdn):
        """A copy of a host's state: attrs, managedby, has_keytab, created, enrolled,
        memberof (direct and indirect host groups)."""
        with self._lock:
            host = self._hosts[_normalize_hostname(fqdn)]
            direct, indirect = self._memberof(host=host['fqdn'])
            return {'fqdn': host['fqdn'], 'attrs': {k: list(v) for k, v in host['attrs'].items()},
                    'managedby': list(host['managedby']), 'has_keytab': host['has_keytab'],
                    'created': host['created'], 'enrolled': host['enrolled'],
                    'memberof': direct + indirect}

    def _create_host(self, fqdn, attrs, managedby=None, has_keytab=False, created=None):
        created = _utc(created or datetime.datetime.now(datetime.timezone.utc))
        self._hosts[fqdn] = {
            'fqdn': fqdn,
            'attrs': attrs,
            'managedby': managedby or [fqdn],
            'has_keytab': has_keytab,
            'created': created,
            'enrolled': created if has_keytab else None,
            'uuid': str(uuid.uuid4()),
        }
        self._note_managers(('host', fqdn), self._hosts[fqdn]['managedby'])

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
        entry = {'fqdn': [fqdn]}
        if not p.get('pkey_only'):
            attrs = host['attrs']
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
            if members_visible(p):
                self._host_members_entry(entry, host, p)
            if keytab:
                entry['has_keytab'] = host['has_keytab'] and not has_password
                entry['has_password'] = has_password
            if p.get('all'):
                self._host_all_entry(entry, host, p)
        entry['dn'] = self._host_dn(fqdn)
        return entry

    def _host_members_entry(self, entry, host, p):
        """managedby and memberof, converted (convert_attribute_members) unless raw."""
        if host['managedby']:
            if p.get('raw'):
                entry['managedby'] = [self._host_dn(m) for m in host['managedby']]
            else:
                entry['managedby_host'] = list(host['managedby'])
        self._memberof_entry(entry, p, host=host['fqdn'])

    def _host_all_entry(self, entry, host, p):
        """What ``all`` adds: LDAP attributes outside the defaults and ``managing``."""
        fqdn = host['fqdn']
        entry['cn'] = [fqdn]
        entry['serverhostname'] = [fqdn.split('.', 1)[0]]
        entry['ipauniqueid'] = [host['uuid']]
        entry['objectclass'] = ['ipaobject', 'nshost', 'ipahost', 'pkiuser',
                                'ipaservice', 'krbprincipalaux', 'krbprincipal',
                                'ieee802device', 'ipasshhost', 'top']
        if host['enrolled'] is not None and host['has_keytab']:
            # GeneralizedTime: a datetime ({'__datetime__': ...} for clients >= 2.84)
            when = host['enrolled']
            entry['krblastpwdchange'] = [when.strftime(LDAP_GENERALIZED_TIME_FORMAT)
                                         if p.get('raw') else when]
        # get_managed_hosts: the hosts whose managedby names this one
        managing = [managed['fqdn'] for managed in self._managed(fqdn, 'host')]
        if managing:
            if p.get('raw'):
                entry['managing'] = [self._host_dn(m) for m in managing]
            else:
                entry['managing_host'] = list(managing)

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


def _utc(moment):
    """A datetime in UTC (a naive one is taken as UTC), to the second as LDAP keeps it."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    return moment.astimezone(datetime.timezone.utc).replace(microsecond=0)
