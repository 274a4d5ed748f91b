"""Satellite hosts for the audit ([satellite] url set): every host of the
organization with its UUID facts, complete or not at all; and the removal of one
orphan, its facts and nova asked again just before.

The listing reads Foreman's thin host index page by page (``page``/``per_page``)
until its ``subtotal`` is reached, then the values of each UUID fact
(``fact_values``, one fact at a time) until a short page. A host those fact
listings leave without one of its UUID facts is asked about again, a few hosts
per request: finding the fact then means a fact listing was cut short. A listing
that ends early or repeats itself raises AuditAborted; a failed request raises
the adapter's TransientError / PermanentError. Neither is ever read as "no hosts".
"""

import logging

from notify.adapters.satellite import UUID_FACTS, quoted
from notify.audit import AuditAborted
from notify.audit.plan import Finding, SatHost, satellite_uuids
from notify.errors import bounded, printable

LOG = logging.getLogger(__name__)

PRODUCT_FACT = 'dmi::system::product_name'   # nova's libvirt driver sets it
CONFIRM_BATCH = 20       # hosts per look-up of their facts: at most 40 values
CONFIRM_PAGE = 100       # more than CONFIRM_BATCH * len(UUID_FACTS)
_FACTS = ' or '.join(f'fact = {quoted(f)}' for f in UUID_FACTS)


class SatelliteAudit:
    """The audit's side of a notify.adapters.satellite.SatelliteClient."""

    def __init__(self, client, page_size=100):
        self.client = client
        self._page_size = page_size

    # -- the listing ----------------------------------------------------------

    def hosts(self, progress=None):
        """[plan.SatHost] of every Satellite host the user sees in the organization."""
        names = self._host_names(progress)
        ids = {}
        for host_id, name in names.items():
            if name in ids:
                raise AuditAborted(f'Satellite lists two hosts named {bounded(name, 100)} '
                                   f'(ids {ids[name]} and {host_id}): their facts cannot '
                                   f'be told apart')
            ids[name] = host_id
        facts = {}
        for fact in UUID_FACTS:
            for name, value in self._fact_values(fact, len(names)).items():
                facts.setdefault(name, {})[fact] = value
        lacking = sorted(i for i, n in names.items()
                         if len(facts.get(n, ())) < len(UUID_FACTS))
        for start in range(0, len(lacking), CONFIRM_BATCH):
            for name, values in self._facts_of(lacking[start:start + CONFIRM_BATCH]).items():
                missed = sorted(set(values) - set(facts.get(name, ())))
                if name in ids and missed:
                    raise AuditAborted(f'Satellite fact listing ended early: it left out '
                                       f'{missed[0]} of host {bounded(name, 100)} '
                                       f'(id {ids[name]})')
        products = self._fact_values(PRODUCT_FACT, len(names))
        return [SatHost(i, n, tuple(sorted(facts.get(n, {}).items())), products.get(n))
                for i, n in sorted(names.items())]

    def _host_names(self, progress):
        """{id: name} of every host, page after page until Foreman's count."""
        found, expected, page = {}, None, 0
        while expected is None or len(found) < expected:
            page += 1
            result = self.client.index('hosts', {'thin': True, 'page': page,
                                                 'per_page': self._page_size},
                                       'the host listing')
            if expected is None:
                expected = _count(result)
            rows = result['results']
            if not isinstance(rows, list):
                raise AuditAborted('Satellite host listing: unreadable answer')
            new = 0
            for row in rows:
                if (not isinstance(row, dict) or not isinstance(row.get('id'), int)
                        or not isinstance(row.get('name'), str)):
                    raise AuditAborted('Satellite host listing: a host without id or name')
                new += row['id'] not in found
                found[row['id']] = row['name'].lower()
            if progress:
                progress(len(rows))
            if not new and len(found) < expected:
                raise AuditAborted(f'Satellite host listing ended early: page {page} '
                                   f'brought no new host, {len(found)} of {expected} read')
        return found

    def _fact_values(self, fact, hosts):
        """{host name: value} of one fact, page after page until a short one."""
        values = {}
        for page in range(1, hosts // self._page_size + 3):
            result = self.client.index('fact_values', {
                'search': f'fact = {quoted(fact)}', 'page': page,
                'per_page': self._page_size}, f'the {fact} listing')
            rows = _fact_rows(result, f'{fact} listing')
            for name, facts in rows.items():
                if isinstance(facts.get(fact), str):
                    values[name] = facts[fact]
            if sum(len(v) for v in rows.values()) < self._page_size:
                return values
        raise AuditAborted(f'Satellite {fact} listing does not end: more pages than '
                           f'{hosts} hosts fill')

    def _facts_of(self, host_ids):
        """{host name: {fact: value}} of the UUID facts of a few hosts, one request."""
        hosts = ' or '.join(f'host = {int(i)}' for i in host_ids)
        result = self.client.index('fact_values', {
            'search': f'({hosts}) and ({_FACTS})', 'per_page': CONFIRM_PAGE},
            'the fact look-up')
        rows = _fact_rows(result, 'fact look-up')
        if sum(len(v) for v in rows.values()) >= CONFIRM_PAGE:
            raise AuditAborted('Satellite fact look-up: more values than the hosts can have')
        return {name: {f: v for f, v in facts.items() if f in UUID_FACTS}
                for name, facts in rows.items()}

    # -- removing ---------------------------------------------------------------

    def remove(self, finding, nova):
        """Remove one orphan host: its UUID facts read again, and nova asked for
        each instance they may name (``nova.server(uuid)`` is None), just before.
        [] once removed; a 'keep' Finding when it stays."""
        host = finding.changes[0]
        fresh = {}
        for values in self._facts_of([host.id]).values():
            fresh.update(values)
        forms = satellite_uuids(SatHost(host.id, host.name, tuple(sorted(fresh.items()))))
        if not forms:
            return Finding('satellite', host.label, 'keep',
                           'unknown: no UUID fact (read again before removal)')
        alive = sorted(form for form in forms if nova.server(form) is not None)
        if alive:
            return Finding('satellite', host.label, 'keep',
                           f'instance {", ".join(alive)} is in nova (asked again before '
                           f'removal)')
        if self.client.delete_host(host.id):
            LOG.info('audit: %s Satellite host %s: %s',
                     'dry-run: would remove' if self.client.dry_run else 'removed',
                     printable(host.label), finding.reason)
        else:
            LOG.info('audit: Satellite host %s was already gone', printable(host.label))
        return []


def _count(result):
    for key in ('subtotal', 'total'):
        if isinstance(result.get(key), int) and not isinstance(result.get(key), bool):
            return result[key]
    raise AuditAborted('Satellite host listing gives no count (subtotal): cannot tell '
                       'whether it is complete')


def _fact_rows(result, what):
    rows = result['results']
    if not isinstance(rows, dict) or not all(isinstance(v, dict) for v in rows.values()):
        raise AuditAborted(f'Satellite {what}: unreadable answer')
    return {str(name).lower(): facts for name, facts in rows.items()}
