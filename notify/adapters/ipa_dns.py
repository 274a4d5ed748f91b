"""IPA DNS and service look-ups and changes, over the IPA adapter's sessions.

Records already as wanted are success: adding a value IPA has (4202
EmptyModlist), removing one it lacks (4026 AttrValueNotFound) or whose name is
gone (4001 NotFound).
"""

import ipaddress
import logging

from python_freeipa import exceptions as ipa_exc

from notify import decide
from notify.adapters.ipa import ATTR_VALUE_NOT_FOUND, EMPTY_MODLIST, error_code
from notify.cache import ttl_cached
from notify.errors import PermanentError

LOG = logging.getLogger(__name__)
MISSING_REVERSE_KEPT = 4096   # addresses remembered as having no reverse zone


def dns_text(value):
    """IPA sends DNS names as {"__dns_name__": "web1"} when the client gives a version."""
    if isinstance(value, dict) and '__dns_name__' in value:
        return value['__dns_name__']
    return value


def absolute(name):
    return name if name.endswith('.') else name + '.'


class IPADns:
    def __init__(self, ipa, zone_ttl=300, record_ttl=None):
        self._ipa = ipa
        self._record_ttl = record_ttl
        self._zones = ttl_cached(lambda _key: self._load_zones(), zone_ttl, 1)
        self._missing_reverse_said = set()

    # -- zones ----------------------------------------------------------------

    def _load_zones(self):
        result = self._ipa.call('dnszone_find', pkey_only=True, sizelimit=0)
        return tuple(sorted((absolute(dns_text(z['idnsname'][0]).lower())
                             for z in result['result']), key=len, reverse=True))

    def locate(self, name):
        """(zone, relative name) of the IPA zone serving ``name``, or None."""
        name = absolute(name.lower())
        for zone in self._zones('zones'):   # longest first
            if name == zone:
                return zone, '@'
            if name.endswith('.' + zone):
                return zone, name[:-len(zone) - 1]
        return None

    def reverse(self, address):
        """(reverse zone, relative name) for ``address``, or None (once said at debug)."""
        found = self.locate(ipaddress.ip_address(address).reverse_pointer)
        if found is None and address not in self._missing_reverse_said:
            if len(self._missing_reverse_said) >= MISSING_REVERSE_KEPT:
                self._missing_reverse_said.clear()   # bounded: said again, at debug
            self._missing_reverse_said.add(address)
            LOG.debug('no reverse zone in IPA serves %s: no PTR record', address)
        return found

    # -- look-ups -------------------------------------------------------------

    def _show(self, zone, name):
        try:
            return self._ipa.call('dnsrecord_show', zone, name)['result']
        except ipa_exc.NotFound:
            return None

    def addresses_of(self, fqdn):
        """The A and AAAA values of ``fqdn`` in IPA DNS."""
        where = self.locate(fqdn)
        record = self._show(*where) if where else None
        if not record:
            return []
        return list(record.get('arecord', [])) + list(record.get('aaaarecord', []))

    def names_pointing_at(self, address, fqdns_hint=()):
        """FQDNs whose A/AAAA records hold ``address`` (searched in the zones of
        ``fqdns_hint``) or whose PTR record ``address`` names."""
        names = set()
        reverse = self.reverse(address)
        if reverse:
            record = self._show(*reverse) or {}
            names |= {dns_text(v).rstrip('.').lower() for v in record.get('ptrrecord', [])}
        attr = _address_attr(address)
        zones = {where[0] for where in map(self.locate, set(fqdns_hint) | names) if where}
        for zone in sorted(zones):
            result = self._ipa.call('dnsrecord_find', zone, **{attr: address})
            for entry in result['result']:
                relative = dns_text(entry['idnsname'][0])
                names.add(zone.rstrip('.') if relative == '@' else
                          f'{relative}.{zone}'.rstrip('.').lower())
        return names

    # -- changes --------------------------------------------------------------

    def apply(self, actions):
        """Make the record changes among ``actions`` (decide.changes) in IPA DNS."""
        for action in decide.changes(actions):
            if isinstance(action, decide.AddressRecord):
                where = self.locate(action.fqdn)
                if where is None:
                    LOG.warning('no IPA DNS zone serves %s: its record for %s is not '
                                'managed', action.fqdn, action.address)
                    continue
                self._change(where, _address_attr(action.address), action.address,
                             action.present)
            elif isinstance(action, decide.PointerRecord):
                where = self.reverse(action.address)
                if where is not None:
                    self._change(where, 'ptrrecord', absolute(action.fqdn), action.present)

    def _change(self, where, attr, value, present):
        zone, name = where
        options = {attr: [value]}
        try:
            if present:
                if self._record_ttl is not None:
                    options['dnsttl'] = self._record_ttl
                self._ipa.call('dnsrecord_add', zone, name, **options)
            else:
                self._ipa.call('dnsrecord_del', zone, name, **options)
        except ipa_exc.FreeIPAError as exc:
            code = error_code(exc)
            if present and code == EMPTY_MODLIST:
                return
            if not present and (code == ATTR_VALUE_NOT_FOUND or isinstance(exc, ipa_exc.NotFound)):
                return
            raise PermanentError(f'IPA refused {"adding" if present else "removing"} '
                                 f'{attr} {value} of {name} in {zone}: {exc} '
                                 f'(code {code})') from None
        if self._ipa.dry_run:
            verb = 'dry-run: would add' if present else 'dry-run: would remove'
        else:
            verb = 'added' if present else 'removed'
        LOG.info('%s %s %s %s in IPA DNS zone %s', verb, attr[:-len('record')].upper(), value,
                 name, zone)


def _address_attr(address):
    return 'aaaarecord' if ipaddress.ip_address(address).version == 6 else 'arecord'
