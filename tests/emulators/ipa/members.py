"""managedby membership (baseldap LDAPAddMember / LDAPRemoveMember)."""

from .errors import IPAError, _err
from .params import _normalize_hostname


class MembersMixin:
    def _note_managers(self, entry, managers):
        """Index ``entry`` (('host', fqdn) or ('service', principal)) under each host
        that now manages it. A hint: removals leave it, ``_managed`` checks."""
        for fqdn in managers:
            self._managers[fqdn].add(entry)

    def _managed(self, fqdn, kind=None):
        """The entries (of ``kind``, 'host' or 'service', or both) whose managedby
        names ``fqdn`` now, by key: the index's hints, checked."""
        tables = {'host': self._hosts, 'service': self._services}
        found = []
        for hint, key in sorted(self._managers.get(fqdn, ())):
            entry = tables[hint].get(key) if kind in (None, hint) else None
            if entry is not None and fqdn in entry['managedby']:
                found.append(entry)
        return found

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

    def _modify_managedby(self, entry, managedby, p, add):
        """Add/remove hosts to/from ``entry``'s managedby list (``entry``: ('host',
        fqdn) or ('service', principal)); returns (completed, failed list).

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
                    self._note_managers(entry, [fqdn])
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
        completed, failed = self._modify_managedby(('host', host['fqdn']), host['managedby'],
                                                     p, add)
        return {'result': self._host_entry(host, p, keytab=False), 'failed': failed,
                'completed': completed}

