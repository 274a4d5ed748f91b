"""Services (ipaserver/plugins/service.py) and Kerberos principal helpers."""

import uuid

from .errors import IPAError, _err, _not_found, _pkey_to_value
from .hostgroups import members_visible
from .params import Param, _normalize_hostname


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


class ServicesMixin:
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
        self._note_managers(('service', principal), managedby)

    def _service_key(self, principal):
        """The stored key of a principal: the realm appended when missing."""
        parsed = _parse_principal(str(principal))
        if parsed is None:
            return str(principal)
        return _principal_str(parsed[0], parsed[1] or self.realm)

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
                elif members_visible(p):    # find's no_members yields to all
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
        completed, failed = self._modify_managedby(('service', svc['principal']), svc['managedby'],
                                                     p, add)
        return {'result': self._service_entry(svc, p, keytab=False), 'failed': failed,
                'completed': completed}

