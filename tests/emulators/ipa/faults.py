"""Fault injection, the permission model, counters and search limits."""

import collections

from .errors import IPAError, _err, _message

# commands whose access is checked where IPA's LDAP operation fails, not up
# front: host_del runs its pre_callback (service_del, DNS removal) first
LATE_ACCESS_CHECK = ('host_del',)


class FaultsMixin:
    def expire_sessions(self, credentials_only=False):
        """Every session ends. By default the session cookies become unknown (Apache
        answers 401 with ``WWW-Authenticate: Negotiate``); ``credentials_only``
        keeps the cookies but expires the delegated Kerberos credentials behind
        them (IPA answers 401 and clears the cookie)."""
        with self._lock:
            if credentials_only:
                for session in self._sessions.values():
                    session['expired'] = True
            else:
                self._sessions.clear()

    def fail_next(self, method, code, name, message, count=1):
        """The next ``count`` calls of ``method`` (direct or in a batch) fail with this
        IPA error, after argument validation and before anything is changed."""
        with self._lock:
            for _ in range(count):
                self._faults[method].append((code, name, message))

    def deny(self, method, info=None):
        """The admin lacks the permission for ``method``: calls of it (direct or in a
        batch) are answered with ACIError 2100 "Insufficient access: <info>".

        ``info`` defaults to what 389-ds says for the LDAP operation the command
        makes ("Insufficient 'delete' privilege to delete the entry '<dn>'.",
        "... 'add' privilege to add the entry ...", "... 'write' privilege to the
        '<attr>' attribute of entry ..."). host_del is refused where its LDAP
        delete is, after its pre_callback deleted the host's services (unless
        service_del is denied too) and, with updatedns, its DNS records (unless
        dnsrecord_mod is denied)."""
        with self._lock:
            self._denied[method] = info

    def allow(self, method):
        with self._lock:
            self._denied.pop(method, None)

    def reset_stats(self):
        with self._lock:
            self.stats.clear()
            self.stats.update({'http_requests': 0, 'logins': 0, 'login_failures': 0,
                               'calls': collections.Counter(),
                               'batch_calls': collections.Counter(), 'unauthorized': 0,
                               'busy_seconds': 0.0})
            self.call_log.clear()

    def _inject_fault(self, method):
        with self._lock:
            queue = self._faults.get(method)
            fault = queue.popleft() if queue else None
        if fault is not None:
            code, name, message = fault
            raise IPAError(code, name, message)

    def _check_access(self, method, params):
        with self._lock:
            if method not in self._denied:
                return
            info = self._denied[method]
        if info is None:
            info = self._aci_info(method, params)
        raise _err('ACIError', info=info)

    def _aci_info(self, method, params):
        """389-ds's words for the LDAP operation behind ``method``."""
        obj, _sep, verb = method.partition('_')
        dn = self._aci_dn(obj, params)
        if verb == 'del':
            return f"Insufficient 'delete' privilege to delete the entry '{dn}'."
        if verb == 'add' and obj != 'dnsrecord':
            return f"Insufficient 'add' privilege to add the entry '{dn}'."
        if verb in ('show', 'find'):
            return f"Insufficient 'read' privilege to the entry '{dn}'."
        attr = {'add_managedby': 'managedby', 'remove_managedby': 'managedby',
                'add_host': 'managedby', 'remove_host': 'managedby',
                'add_member': 'member', 'remove_member': 'member'}.get(verb)
        if attr is None:
            given = [name for name in sorted(params) if name.endswith('record')
                     or name in ('description', 'l', 'nshostlocation', 'userpassword',
                                 'usercertificate', 'macaddress', 'ipasshpubkey')]
            attr = given[0] if given else 'description'
        return f"Insufficient 'write' privilege to the '{attr}' attribute of entry '{dn}'."

    def _aci_dn(self, obj, params):
        def first(value):
            return value[0] if isinstance(value, (list, tuple)) and value else value
        accounts = f'cn=accounts,{self.basedn}'
        if obj == 'host':
            fqdn = first(params.get('fqdn'))
            return self._host_dn(fqdn) if fqdn else f'cn=computers,{accounts}'
        if obj == 'service':
            principal = first(params.get('krbcanonicalname'))
            return self._service_dn(principal) if principal else f'cn=services,{accounts}'
        if obj == 'hostgroup':
            cn = params.get('cn')
            return self._hostgroup_dn(cn) if cn else f'cn=hostgroups,{accounts}'
        if obj == 'dnszone':
            zone = params.get('idnsname')
            return self._zone_dn(zone) if zone else f'cn=dns,{self.basedn}'
        if obj == 'dnsrecord':
            zone, name = params.get('dnszoneidnsname'), params.get('idnsname')
            return f'idnsname={name},{self._zone_dn(zone)}' if name else self._zone_dn(zone)
        return self.basedn

    def _limit(self, entries, p, ctx):
        """ldap2.find_entries' limits: ``sizelimit`` (None: the server's
        ipasearchrecordslimit; 0: none) under 389-ds's own size limit, and a
        simulated time limit; a cut list is ``truncated`` with IPA's
        SearchResultTruncated warning (13017) giving the limit's reason."""
        size = p.get('sizelimit')
        if size is None:
            size = self.search_size_limit
        caps = [cap for cap in (size, self.server_size_limit) if cap]
        limit = min(caps) if caps else None
        reason = None
        hit = self.search_time_limit_hit
        if hit is not None and hit is not False and p.get('timelimit') != 0:
            hit = 0 if hit is True else int(hit)
            if len(entries) > hit and (limit is None or hit < limit):
                entries, reason = entries[:hit], 'Configured time limit exceeded'
        if reason is None and limit is not None and len(entries) > limit:
            entries, reason = entries[:limit], 'Configured size limit exceeded'
        if reason is None:
            return entries, False
        ctx.messages.append(_message(
            13017, 'SearchResultTruncated', f'Search result has been truncated: {reason}',
            reason=reason))
        return entries, True
