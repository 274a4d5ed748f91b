"""host_del (ipaserver/plugins/host.py host_del, baseldap LDAPDelete).

Per name, in IPA's order: host_show resolves it (a name that is not a host is
NotFound "<name>: host not found" before anything is touched), an IPA master
is refused (ValidationError 3009, which ``continue`` does not swallow: it only
catches 4xxx execution errors), the host's services go, ``updatedns`` removes
its A/AAAA/SSHFP records and the PTR records pointing to it (warning 13020 when
there was nothing), then the entry; 389-ds referential integrity then drops it
from every managedby and host group ``member``."""

import time

from .errors import IPAError, _err, _message, _pkey_to_value
from .services import _principal_host


class HostDeleteMixin:
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
            self._check_access('service_del', {'krbcanonicalname': principal})
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
                self._check_access('dnsrecord_mod', {'dnszoneidnsname': zone, 'idnsname': name,
                                                     'arecord': ()})
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
        self._check_access('host_del', {'fqdn': fqdn})
        del self._hosts[fqdn]
        self.host_removed_at.append((time.monotonic(), fqdn))
        self._forget_host_memberships(fqdn)
        # 389-ds referential integrity (referint-membership-attr: managedby)
        for entry in self._managed(fqdn):
            entry['managedby'] = [m for m in entry['managedby'] if m != fqdn]
        self._managers.pop(fqdn, None)
