"""host_find (ipaserver/plugins/host.py host_find, baseldap LDAPSearch).

The criteria is a substring (case-insensitive) of any search attribute; an
attribute option is an equality match (``description='IPA host for OpenStack'``
matches that description, in any case and spacing, as caseIgnoreMatch does, and
nothing longer); member options filter on memberOf / managedBy like IPA's
member filter; the result is sorted, cut at the size limit and marked
``truncated`` (see faults.FaultsMixin._limit)."""

from .hostgroups import _fold
from .hosts import HOST_SEARCH_ATTRS, HOST_STORED
from .params import _normalize_hostname

# member options of objects the emulator does not have: a positive one matches
# no host (nothing is a member), a negative one every host
UNSUPPORTED_MEMBER_FILTERS = ('in_netgroup', 'in_role', 'in_hbacrule', 'in_sudorule',
                              'enroll_by_user')


class HostSearchMixin:

    def _host_find(self, p, ctx):
        term = (p.get('criteria') or '').lower()
        if any(p.get(name) for name in UNSUPPORTED_MEMBER_FILTERS):
            candidates = []
        else:
            managers = set(p.get('man_by_host') or ())
            # first, as IPA's managedby index answers it
            candidates = sorted(f for f, h in self._hosts.items()
                                if managers.issubset(h['managedby']))
        managing = self._man_host_filter(p)
        found = []
        for fqdn in candidates:
            host = self._hosts[fqdn]
            values = self._host_values(host)
            if term and not any(term in v.lower() for name in HOST_SEARCH_ATTRS
                                for v in values.get(name, [])):
                continue
            if p.get('fqdn') and p['fqdn'] != fqdn:
                continue
            if not self._host_attr_filters(values, p):
                continue
            if not self._host_member_filters(host, p):
                continue
            if managing is not None and not managing(fqdn):
                continue
            found.append(host)
        entries, truncated = self._limit(found, p, ctx)
        return {'result': [self._host_entry(h, p, search=True) for h in entries],
                'count': len(entries), 'truncated': truncated}

    def _host_values(self, host):
        values = {name: [str(v) for v in vals] for name, vals in host['attrs'].items()}
        values['fqdn'] = [host['fqdn']]
        if not host['attrs'].get('userpassword'):
            principal = f'host/{host["fqdn"]}@{self.realm}'
            values['krbprincipalname'] = values['krbcanonicalname'] = [principal]
        values['managedby'] = [self._host_dn(m) for m in host['managedby']]
        return values

    @staticmethod
    def _host_attr_filters(values, p):
        """get_attr_filter: each given attribute option is an equality match (all the
        values of a multivalued option must be present)."""
        for name in HOST_STORED:
            wanted = p.get(name)
            if wanted is None:
                continue
            wanted = wanted if isinstance(wanted, tuple) else (wanted,)
            have = {_fold(v) for v in values.get(name, [])}
            if not all(_fold(w) in have for w in wanted):
                return False
        return True

    def _host_member_filters(self, host, p):
        """get_member_filter: in_/not_in_hostgroup on memberOf (nested groups count),
        man_by_/not_man_by_host on managedBy."""
        direct, indirect = self._memberof(host=host['fqdn'])
        memberof = set(direct + indirect)
        managedby = set(host['managedby'])
        wanted = [_normalize_hostname(h) for h in p.get('man_by_host') or ()]
        unwanted = [_normalize_hostname(h) for h in p.get('not_man_by_host') or ()]
        if not all(h in managedby for h in wanted) or any(h in managedby for h in unwanted):
            return False
        groups_in = [g.lower() for g in p.get('in_hostgroup') or ()]
        groups_out = [g.lower() for g in p.get('not_in_hostgroup') or ()]
        return all(g in memberof for g in groups_in) and not any(g in memberof
                                                                 for g in groups_out)

    def _man_host_filter(self, p):
        """host_find.pre_callback: ``man_host`` keeps the hosts that manage every
        listed host, ``not_man_host`` drops those managing any (a listed host that
        does not exist is NotFound)."""
        if not p.get('man_host') and not p.get('not_man_host'):
            return None
        keep = None
        for name in p.get('man_host') or ():
            managers = set(self._resolve_host(_normalize_hostname(name))['managedby'])
            keep = managers if keep is None else keep & managers
        drop = set()
        for name in p.get('not_man_host') or ():
            drop |= set(self._resolve_host(_normalize_hostname(name))['managedby'])
        return lambda fqdn: (keep is None or fqdn in keep) and fqdn not in drop
