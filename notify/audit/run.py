"""One audit: read IPA, then nova and neutron; plan; check the abort rules; with
``apply``, remove (each host re-checked in nova just before) and add records."""

import concurrent.futures
import dataclasses
import datetime
import logging

from notify import decide
from notify.audit import AuditAborted, EXIT_ABORTED, EXIT_CLEAN, EXIT_STALE, inventory, plan
from notify.errors import BadNotification, NotifyError

LOG = logging.getLogger(__name__)


@dataclasses.dataclass
class Result:
    findings: list
    exit_code: int
    aborted: str | None = None
    changed: int = 0
    failed: int = 0

    def summary(self):
        counts = plan.summary(self.findings)
        counts.update(changed=self.changed, failed=self.failed,
                      stale=sum(1 for f in self.findings if f.action in ('remove', 'add')))
        if self.aborted:
            counts['aborted'] = self.aborted
        return counts


class Audit:
    def __init__(self, parts, protection, min_age, max_removals, manage_ptr=True,
                 workers=8, progress=None):
        self.p = parts                    # adapters, see notify.audit.build
        self._protection = protection
        self._min_age = min_age
        self._max_removals = max_removals
        self._manage_ptr = manage_ptr
        self._workers = workers
        self._progress = progress or (lambda *a, **k: _NoProgress())

    # -- reading --------------------------------------------------------------

    def snapshot(self):
        now = datetime.datetime.now(datetime.timezone.utc)
        names = self.p.ipa_inventory.host_names()
        with self._progress('IPA hosts', len(names)) as bar:
            hosts = self.p.ipa_inventory.hosts(names, now, bar.update)
        records = self.p.ipa_inventory.records()
        service_managers = self.p.ipa_inventory.service_managers()
        satellite = ()
        if self.p.satellite:     # before nova, as IPA: a host registered later is spared
            with self._progress('Satellite hosts') as bar:
                satellite = tuple(self.p.satellite.hosts(bar.update))
        with self._progress('nova servers') as bar:
            servers, details = inventory.nova_servers(self.p.nova_paged, bar.update)
        marked = [h for h in hosts.values()
                  if decide.provenance_problem(h.facts, self._protection) is None]
        carried = sum(1 for h in satellite if plan.satellite_uuids(h))
        if (marked or carried) and not servers:
            also = f' and Satellite {carried} with a UUID fact' if self.p.satellite else ''
            raise AuditAborted(f'nova listed no servers at all while IPA has {len(marked)} '
                               f'enrolled hosts{also}')
        live, unresolved, fqdn_of = self._live(servers)
        fip_owner = self._fip_owners(fqdn_of, details) if self.p.neutron_paged else {}
        return plan.Snapshot(hosts, live, frozenset(unresolved), records, fip_owner,
                             project_zones=self.p.naming.per_project,
                             server_ids=frozenset(str(s.id).lower() for s in servers),
                             satellite=satellite, service_managers=service_managers)

    def _live(self, servers):
        live, unresolved, fqdn_of = {}, set(), {}
        for server in servers:
            try:
                fqdn = self.p.naming.fqdn(server.hostname, server.project_id)
            except self.p.project_gone:
                unresolved.add(decide.short_name(server.hostname))
                continue
            except BadNotification:
                continue
            live.setdefault(fqdn, []).append(server.id)
            fqdn_of[server.id] = fqdn
        return live, unresolved, fqdn_of

    def _fip_owners(self, fqdn_of, details):
        with self._progress('neutron floating IPs') as bar:
            fips = self.p.neutron_paged.all('/v2.0/floatingips', 'floatingips', {}, 'neutron',
                                            bar.update)
        with self._progress('neutron ports') as bar:
            ports = {p['id']: p for p in self.p.neutron_paged.all(
                '/v2.0/ports', 'ports', {'fields': ['id', 'device_id', 'device_owner']},
                'neutron', bar.update)}
        owners = {}
        for fip in fips:
            port = fip.get('port_details') or ports.get(fip.get('port_id')) or {}
            device = port.get('device_id') if fip.get('port_id') else None
            owner = None
            if device in fqdn_of and (port.get('device_owner') or '').startswith('compute:'):
                metadata, image_id = details[device]
                if self.p.enrollment.enrolled(metadata, image_id=image_id):
                    owner = fqdn_of[device]
            owners[fip['floating_ip_address']] = owner
        return owners

    # -- deciding and acting ------------------------------------------------

    def run(self, apply=False):
        try:
            snapshot = self.snapshot()
        except AuditAborted as exc:
            return Result([], EXIT_ABORTED, aborted=str(exc))
        except NotifyError as exc:      # a service that cannot be asked: no listing
            return Result([], EXIT_ABORTED, aborted=f'a listing failed: {exc}')
        findings = (plan.plan_hosts(snapshot, self._protection, self._min_age)
                    + plan.plan_records(snapshot, self._protection, self._manage_ptr)
                    + plan.plan_satellite(snapshot, self.p.satellite_products))
        doomed = [f for f in findings if f.kind in ('host', 'satellite')
                  and f.action == 'remove']
        if len(doomed) > self._max_removals:
            return Result(findings, EXIT_ABORTED, aborted=(
                f'{len(doomed)} hosts to remove, more than max_removals '
                f'{self._max_removals}: raise it explicitly ([audit] max_removals or '
                f'--max-removals) after checking the list'))
        stale = [f for f in findings if f.action in ('remove', 'add')]
        if not apply:
            return Result(findings, EXIT_STALE if stale else EXIT_CLEAN)
        return self._apply(findings, snapshot)

    def _apply(self, findings, snapshot):
        result = Result(list(findings), EXIT_CLEAN)
        todo = [f for f in findings if f.action in ('remove', 'add')]
        with self._progress('changes', len(todo)) as bar, \
                concurrent.futures.ThreadPoolExecutor(self._workers) as pool:
            futures = {pool.submit(self._apply_one, f, snapshot): f for f in todo}
            for future in concurrent.futures.as_completed(futures):
                finding = futures[future]
                try:
                    extra = future.result()
                except Exception as exc:   # one failure stops nothing else
                    result.failed += 1
                    LOG.error('audit: %s %s not done: %s: %s', finding.kind, finding.name,
                              type(exc).__name__, exc)
                    bar.update(1)
                    continue
                if isinstance(extra, plan.Finding):        # kept after the re-check
                    result.findings[result.findings.index(finding)] = extra
                else:
                    result.changed += 1
                    result.findings += extra
                bar.update(1)
        if result.failed:
            result.exit_code = EXIT_STALE
        return result

    def _apply_one(self, finding, snapshot):
        if finding.kind == 'record':
            self.p.dns.apply(list(finding.changes))
            LOG.info('audit: %s record %s', 'added' if finding.action == 'add' else 'removed',
                     finding.name)
            return []
        if finding.kind == 'satellite':
            return self.p.satellite.remove(finding, self.p.nova)
        fqdn = finding.name
        with self.p.locks(fqdn):
            # nova again, just before: an instance that appeared meanwhile wins.
            owners = [s.id for s in self.p.nova.servers_named(fqdn)
                      if self._carries(s, fqdn)]
            if owners:
                return plan.Finding('host', fqdn, 'keep', f'live instance(s) '
                                    f'{", ".join(owners)} appeared meanwhile')
            extra = []
            # IPA's relations afresh, but only for a host the snapshot showed managing
            # something (a TripleO node): a relation added since is at worst left
            # behind, never wrongly removed.
            if snapshot.manages_anything(fqdn):
                managed_hosts, managed_services = self.p.ipa_inventory.managed(fqdn)
                extra = plan.plan_managed(fqdn, '', managed_hosts, managed_services,
                                          self._protection)
            self.p.hosts.remove(fqdn)
            LOG.info('audit: removed IPA host %s: %s', fqdn, finding.reason)
            return self._apply_managed(fqdn, extra)

    def _carries(self, server, fqdn):
        try:
            return self.p.naming.fqdn(server.hostname, server.project_id) == fqdn
        except self.p.project_gone:
            return True     # cannot tell: a live instance of a deleted project
        except BadNotification:
            return False

    def _apply_managed(self, node, actions):
        done = []
        for action in actions:
            if isinstance(action, decide.RemoveHost):
                self.p.hosts.remove(action.fqdn)
                done.append(plan.Finding('host', action.fqdn, 'remove',
                                         f'managed only by the orphan {node}'))
            elif isinstance(action, decide.RemoveService):
                self.p.hosts.remove_service(action.principal)
                done.append(plan.Finding('service', action.principal, 'remove',
                                         f'managed only by the orphan {node}'))
            else:
                kind = 'service' if isinstance(action, decide.KeepService) else 'host'
                name = getattr(action, 'principal', None) or action.fqdn
                done.append(plan.Finding(kind, name, 'keep', action.reason))
        return done


class _NoProgress:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def update(self, _n=1):
        pass
