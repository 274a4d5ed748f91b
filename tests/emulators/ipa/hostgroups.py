"""Host groups (ipaserver/plugins/hostgroup.py): hostgroup_show/find/add_member/
remove_member, the protected ``ipaservers`` group and host membership.

Membership is kept as ``member`` lists (hosts and nested host groups); a host's
or group's ``memberOf`` is transitive, as 389-ds's memberOf plugin makes it, so
``in_hostgroup`` also matches members of nested groups, while entries show
direct groups as ``memberof_hostgroup`` and the rest as
``memberofindirect_hostgroup`` (baseldap get_memberofindirect)."""

import uuid

from .errors import _err, _not_found
from .params import _normalize_hostname

# hostgroup.PROTECTED_HOSTGROUPS
PROTECTED_HOSTGROUPS = ('ipaservers',)
HOSTGROUP_OBJECTCLASSES = ['ipaobject', 'ipahostgroup', 'nestedGroup', 'groupOfNames', 'top',
                           'mepOriginEntry']
# hostgroup_find's member filters the emulator has no objects for: a positive
# filter matches nothing, a negative one everything
HOSTGROUP_OTHER_FILTERS = ('in_netgroup', 'in_hbacrule', 'in_sudorule', 'membermanager_user',
                           'membermanager_group')


def members_visible(p):
    """LDAPRetrieve/LDAPSearch: member attributes are read unless ``no_members``
    (and ``all`` reads them anyway)."""
    return bool(p.get('all') or not p.get('no_members'))


class HostgroupsMixin:

    # -- state helpers -------------------------------------------------------------

    def add_hostgroup(self, cn, description=None, hosts=(), hostgroups=()):
        """Create a host group (its member hosts and groups must exist)."""
        cn = cn.lower()
        with self._lock:
            if cn in self._hostgroups:
                raise ValueError(f'host group {cn} already exists')
            self._create_hostgroup(cn, description)
            for fqdn in hosts:
                self.add_hostgroup_member(cn, host=fqdn)
            for group in hostgroups:
                self.add_hostgroup_member(cn, hostgroup=group)

    def add_hostgroup_member(self, cn, host=None, hostgroup=None):
        """Put an existing host (or host group) into an existing host group."""
        with self._lock:
            group = self._hostgroups[cn.lower()]
            if host is not None:
                fqdn = _normalize_hostname(host)
                if fqdn not in self._hosts:
                    raise ValueError(f'host {fqdn} does not exist')
                if fqdn not in group['member_host']:
                    group['member_host'].append(fqdn)
            if hostgroup is not None:
                if hostgroup.lower() not in self._hostgroups:
                    raise ValueError(f'host group {hostgroup} does not exist')
                if hostgroup.lower() not in group['member_hostgroup']:
                    group['member_hostgroup'].append(hostgroup.lower())

    def hostgroups(self):
        """{cn: sorted fqdns of its direct member hosts}."""
        with self._lock:
            return {cn: sorted(g['member_host']) for cn, g in sorted(self._hostgroups.items())}

    def add_master(self, fqdn):
        """Another IPA server: an enrolled host in ``ipaservers`` that, like the first
        master, cannot be deleted (host_is_master: it has a cn=masters entry)."""
        fqdn = _normalize_hostname(fqdn)
        with self._lock:
            if fqdn not in self._hosts:
                self.add_host(fqdn, enrolled=True, description='IPA server')
            self._masters.add(fqdn)
            self.add_hostgroup_member('ipaservers', host=fqdn)
        return fqdn

    def masters(self):
        with self._lock:
            return sorted(self._masters)

    # -- internal ----------------------------------------------------------------------

    def _create_hostgroup(self, cn, description=None):
        self._hostgroups[cn] = {'cn': cn, 'description': description, 'member_host': [],
                                'member_hostgroup': [], 'uuid': str(uuid.uuid4())}

    def _hostgroup_dn(self, cn):
        return f'cn={cn},cn=hostgroups,cn=accounts,{self.basedn}'

    def _hostgroup(self, cn):
        try:
            return self._hostgroups[cn]
        except KeyError:
            raise _not_found(cn, 'host group') from None

    def _memberof(self, host=None, group=None):
        """(direct, indirect) host groups of a host or of a host group."""
        direct = sorted(cn for cn, g in self._hostgroups.items()
                        if (host is not None and host in g['member_host'])
                        or (group is not None and group in g['member_hostgroup']))
        seen, todo = set(direct), list(direct)
        while todo:
            current = todo.pop()
            for cn, g in self._hostgroups.items():
                if current in g['member_hostgroup'] and cn not in seen:
                    seen.add(cn)
                    todo.append(cn)
        return direct, sorted(seen - set(direct))

    def _group_members(self, cn):
        """(hosts, groups) reachable through nested groups, the direct ones excluded."""
        group = self._hostgroups[cn]
        hosts, groups, todo = set(), set(), list(group['member_hostgroup'])
        while todo:
            current = todo.pop()
            if current in groups or current not in self._hostgroups:
                continue
            groups.add(current)
            hosts.update(self._hostgroups[current]['member_host'])
            todo.extend(self._hostgroups[current]['member_hostgroup'])
        return (sorted(hosts - set(group['member_host'])),
                sorted(groups - set(group['member_hostgroup'])))

    def _memberof_entry(self, entry, p, host=None, group=None):
        """memberof_hostgroup / memberofindirect_hostgroup, or raw memberOf DNs."""
        direct, indirect = self._memberof(host=host, group=group)
        if p.get('raw'):
            if direct or indirect:
                entry['memberof'] = [self._hostgroup_dn(cn) for cn in direct + indirect]
            return
        if direct:
            entry['memberof_hostgroup'] = direct
        if indirect:
            entry['memberofindirect_hostgroup'] = indirect

    def _hostgroup_entry(self, cn, p):
        group = self._hostgroups[cn]
        entry = {'cn': [cn]}
        if not p.get('pkey_only'):
            if group['description']:
                entry['description'] = [group['description']]
            if members_visible(p):
                if p.get('raw'):
                    member = ([self._host_dn(h) for h in group['member_host']]
                              + [self._hostgroup_dn(g) for g in group['member_hostgroup']])
                    if member:
                        entry['member'] = member
                else:
                    hosts, groups = self._group_members(cn)
                    for key, values in (('member_host', group['member_host']),
                                        ('member_hostgroup', group['member_hostgroup']),
                                        ('memberindirect_host', hosts),
                                        ('memberindirect_hostgroup', groups)):
                        if values:
                            entry[key] = sorted(values)
                self._memberof_entry(entry, p, group=cn)
            if p.get('all'):
                entry['objectclass'] = list(HOSTGROUP_OBJECTCLASSES)
                entry['ipauniqueid'] = [group['uuid']]
        entry['dn'] = self._hostgroup_dn(cn)
        return entry

    # -- commands ------------------------------------------------------------------------

    def _hostgroup_show(self, p, ctx):
        self._hostgroup(p['cn'])
        return {'result': self._hostgroup_entry(p['cn'], p), 'value': p['cn']}

    def _hostgroup_find(self, p, ctx):
        term = (p.get('criteria') or '').lower()
        found = []
        for cn in sorted(self._hostgroups):
            group = self._hostgroups[cn]
            if term and not self._hostgroup_term_matches(cn, term):
                continue
            if p.get('cn') and p['cn'] != cn:
                continue
            if p.get('description') is not None and \
                    _fold(group['description'] or '') != _fold(p['description']):
                continue
            if not self._hostgroup_member_filters(cn, p):
                continue
            found.append(cn)
        names, truncated = self._limit(found, p, ctx)
        return {'result': [self._hostgroup_entry(cn, p) for cn in names],
                'count': len(names), 'truncated': truncated}

    def _hostgroup_term_matches(self, cn, term):
        """search_attributes cn, description, member, memberof (substring)."""
        group = self._hostgroups[cn]
        direct, indirect = self._memberof(group=cn)
        values = ([cn, group['description'] or '']
                  + [self._host_dn(h) for h in group['member_host']]
                  + [self._hostgroup_dn(g) for g in group['member_hostgroup'] + direct + indirect])
        return any(term in value.lower() for value in values)

    def _hostgroup_member_filters(self, cn, p):
        group = self._hostgroups[cn]
        hosts, groups = set(group['member_host']), set(group['member_hostgroup'])
        direct, indirect = self._memberof(group=cn)
        memberof = set(direct + indirect)
        checks = [
            (p.get('host'), lambda v: _normalize_hostname(v) in hosts, all),
            (p.get('no_host'), lambda v: _normalize_hostname(v) not in hosts, all),
            (p.get('hostgroup'), lambda v: v.lower() in groups, all),
            (p.get('no_hostgroup'), lambda v: v.lower() not in groups, all),
            (p.get('in_hostgroup'), lambda v: v.lower() in memberof, all),
            (p.get('not_in_hostgroup'), lambda v: v.lower() not in memberof, all),
        ]
        for values, check, rule in checks:
            if values and not rule(check(v) for v in values):
                return False
        return not any(p.get(name) for name in HOSTGROUP_OTHER_FILTERS)

    def _hostgroup_add_member(self, p, ctx):
        return self._hostgroup_members(p, add=True)

    def _hostgroup_remove_member(self, p, ctx):
        return self._hostgroup_members(p, add=False)

    def _hostgroup_members(self, p, add):
        cn = p['cn']
        group = self._hostgroup(cn)
        if not add and cn in PROTECTED_HOSTGROUPS and p.get('host'):
            removing = {self._member_host(h)[0] or _normalize_hostname(h) for h in p['host']}
            if set(group['member_host']) <= removing:
                raise _err('LastMemberError', key=sorted(p['host'])[0], label='hostgroup',
                           container=cn)
        completed = 0
        failed = {'member': {'host': [], 'hostgroup': []}}
        for name in p.get('host') or ():
            try:
                fqdn, shown = self._member_host(name)
            except Exception as exc:  # SingleMatchExpected from a short name
                failed['member']['host'].append([name, getattr(exc, 'message', str(exc))])
                continue
            completed += self._change_member(group['member_host'], fqdn, name, add,
                                             failed['member']['host'])
        for name in p.get('hostgroup') or ():
            key = name.lower()
            if add and key == cn:
                failed['member']['hostgroup'].append([name, _err('SameGroupError').message])
                continue
            target = key if key in self._hostgroups else None
            completed += self._change_member(group['member_hostgroup'], target, name, add,
                                             failed['member']['hostgroup'])
        return {'result': self._hostgroup_entry(cn, p), 'failed': failed,
                'completed': completed}

    @staticmethod
    def _change_member(members, key, name, add, failed):
        """One LDAPAddMember/LDAPRemoveMember step; 1 when done, else a failure noted."""
        if add:
            if key is None:
                failed.append([name, 'no such entry'])
            elif key in members:
                failed.append([name, _err('AlreadyGroupMember').message])
            else:
                members.append(key)
                return 1
            return 0
        if key is None or key not in members:
            failed.append([name, _err('NotGroupMember').message])
            return 0
        members.remove(key)
        return 1

    def _forget_host_memberships(self, fqdn):
        """389-ds referential integrity: a deleted host leaves no ``member``."""
        for group in self._hostgroups.values():
            if fqdn in group['member_host']:
                group['member_host'].remove(fqdn)


def _fold(text):
    """caseIgnoreMatch: case and insignificant spaces do not count."""
    return ' '.join(str(text).split()).casefold()
