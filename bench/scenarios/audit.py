"""Scenario 7, audit: ``novajoin-notify audit`` against a large estate, with
per-call latency (IPA: ``--ipa-latency`` per HTTP request, 20 ms by default;
nova and neutron: 10 ms per request; keystone and glance: none).

The estate, seeded through the emulators' Python helpers (bench.audit_estate):
``audit_live`` enrolled instances over ``audit_projects`` projects, each with
its marked IPA host (description 'IPA host for OpenStack', enrolled long ago);
``audit_orphans`` marked hosts whose instance is gone, with the A/PTR records
of their old address; floating IPs (neutron floating IP + port) on the first
``audit_fips`` instances, with their A/PTR records in IPA DNS, so the audit's
records part lists and matches them all (and finds nothing stale).

The audit's configuration is the daemon's as the bench writes it (IPA batching,
``[ipa] max_connections`` IPA sessions) with ``[audit] workers`` = ``--workers``
(64), the daemon's executor threads: removals in flight as many as the
daemon's deletes, at the same IPA sessions.

Measured, in one run, ``rounds`` times interleaved (medians):

* the bare listings (bench.audit_baseline ``listings``, a child process with
  the same configuration, clients and page sizes; its docstring says exactly
  what it lists and what it leaves out), then the audit in report mode
  (``--format json --max-removals N``), each timed from process start to exit:
  audit wall / listings wall <= 1.5;
* during the audit, nova's request log: the server listing must come in
  several pages, each with a ``limit`` (the down-cell probe on /servers,
  unpaged by design, is bounded by nova's max_limit and counted apart);
* the audit's peak RSS (ru_maxrss of the child from wait4) < 250 MB, over the
  report and the apply runs;
* ``--apply --max-removals N`` removing every orphan (and nothing else): its
  removals per second (first to last removal, as IPA saw them) against the
  daemon's: the real daemon (batching on, ``--workers`` threads) draining the
  deletes of as many enrolled instances of this same estate, so each of its
  deletes asks nova over the same servers, as each audit removal does; and,
  for information, bench.audit_baseline ``deletes``: bare ``host_del
  --updatedns`` of as many marked hosts from ``--workers`` threads through the
  daemon's batched IPAClient.
"""

import json
import os
import statistics
import urllib.parse

from tests import harness

from bench.audit_estate import (DAEMON_BASE, SPARE_BASE, Estate, Measured, address,
                                audit_command, baseline_command, write_config)
from bench.measure import ScenarioError, hook_rate, log, stats_snapshot
from bench.processes import stop
from bench.report import TARGETS, rate_cell
from bench.traffic import Host

CLOUD_LATENCY = {'compute': 0.010, 'network': 0.010}


def _latencies(bench):
    return (f'IPA {bench.args.ipa_latency * 1000:g} ms, nova/neutron '
            f'{CLOUD_LATENCY["compute"] * 1000:g} ms per request')


def nova_listing(request_log):
    """(pages of /servers/detail, how many asked without a limit, the limits
    asked, unpaged /servers probes) from the emulator's request log."""
    pages, unbounded, limits, probes = 0, 0, set(), 0
    for method, path, query in request_log:
        if method != 'GET' or not path.startswith('/compute/'):
            continue
        q = urllib.parse.parse_qs(query, keep_blank_values=True)
        if path.endswith('/servers/detail'):
            if 'hostname' in q:
                continue           # the re-checks of --apply, not the listing
            pages += 1
            if 'limit' in q:
                limits.add(int(q['limit'][-1]))
            else:
                unbounded += 1
        elif path.endswith('/servers') and 'limit' not in q:
            probes += 1
    return pages, unbounded, sorted(limits), probes


def run_report(bench, config, directory, label, estate, timeout):
    """The audit in report mode; its figures and nova's paging."""
    bench.cloud.reset_stats()
    bench.ipa.reset_stats()
    proc = Measured(audit_command(config, '--format', 'json', '--max-removals',
                                  str(estate.orphans * 2 + 10)),
                    directory, label, timeout).run()
    if proc.returncode != 1:
        raise ScenarioError(f'{label}: exit status {proc.returncode} (1 expected): '
                            f'{proc.stderr_tail()}')
    summary = json.loads(proc.stdout())['summary']
    if summary.get('hosts_remove') != estate.orphans or summary.get('records_remove') \
            or summary.get('records_add'):
        raise ScenarioError(f'{label}: unexpected findings {summary}')
    with bench.cloud._lock:
        request_log = list(bench.cloud.request_log)
    pages, unbounded, limits, probes = nova_listing(request_log)
    counted = bench.cloud.calls('compute', 'GET', '/v2.1/servers/detail')
    if counted != pages:
        raise ScenarioError(f'{label}: nova counted {counted} GET /servers/detail, the '
                            f'request log {pages}')
    return {'seconds': proc.seconds, 'peak_rss_kb': proc.peak_rss_kb, 'summary': summary,
            'nova_pages': pages, 'nova_unbounded_pages': unbounded, 'nova_limits': limits,
            'nova_unpaged_probes': probes, 'ipa': stats_snapshot(bench.ipa.stats),
            'openstack_requests': dict(bench.cloud.stats['requests'])}


def run_listings(bench, config, directory, label, timeout):
    proc = Measured(baseline_command(config, 'listings'), directory, label, timeout).run()
    if proc.returncode != 0:
        raise ScenarioError(f'{label}: exit status {proc.returncode}: {proc.stderr_tail()}')
    figures = json.loads(proc.stdout())
    figures.update(wall_seconds=proc.seconds, peak_rss_kb=proc.peak_rss_kb)
    return figures


def removals(bench, fqdns, mark, what):
    """{fqdn: when IPA removed it} for ``fqdns`` since index ``mark``; all of them."""
    wanted = set(fqdns)
    found = {f: t for t, f in bench.ipa.host_removed_at[mark:] if f in wanted}
    if len(found) != len(wanted):
        raise ScenarioError(f'{what}: {len(wanted) - len(found)} of {len(wanted)} hosts '
                            f'not removed')
    return found


def run_apply(bench, config, directory, estate, timeout):
    bench.ipa.reset_stats()
    bench.cloud.reset_stats()
    mark = len(bench.ipa.host_removed_at)
    proc = Measured(audit_command(config, '--apply', '--format', 'json', '--max-removals',
                                  str(estate.orphans * 2 + 10)),
                    directory, 'audit-apply', timeout).run()
    if proc.returncode != 0:
        raise ScenarioError(f'audit --apply: exit status {proc.returncode}: '
                            f'{proc.stderr_tail()}')
    summary = json.loads(proc.stdout())['summary']
    times = removals(bench, estate.orphan_fqdns, mark, 'audit --apply')
    others = len(bench.ipa.host_removed_at) - mark - len(times)
    live_left = sum(1 for f in estate.live_fqdns if bench.ipa.has_host(f))
    if others or live_left != estate.live:
        raise ScenarioError(f'audit --apply removed {others} other hosts; '
                            f'{estate.live - live_left} live hosts gone')
    ipa = stats_snapshot(bench.ipa.stats)
    return {'seconds': proc.seconds, 'peak_rss_kb': proc.peak_rss_kb, 'summary': summary,
            'rate': hook_rate(times.values()), 'removed': len(times),
            'removal_seconds': max(times.values()) - min(times.values()), 'ipa': ipa,
            'audit_cpu_seconds': proc.cpu_seconds,
            'emulators_cpu_seconds': proc.cpu_between(min(times.values()),
                                                      max(times.values())),
            'ipa_requests_per_removal': (ipa['http_requests'] - ipa['logins']) / len(times),
            'openstack_requests': dict(bench.cloud.stats['requests'])}


def run_host_del(bench, config, directory, estate, timeout):
    spare = Estate.marked_hosts(bench.ipa, 'spare', estate.orphans, SPARE_BASE)
    path = os.path.join(directory, 'spare-hosts.txt')
    with open(path, 'w') as f:
        f.write('\n'.join(spare) + '\n')
    bench.ipa.reset_stats()
    mark = len(bench.ipa.host_removed_at)
    proc = Measured(baseline_command(config, 'deletes', path, '--threads',
                                     str(bench.args.workers)),
                    directory, 'host-del-baseline', timeout).run()
    if proc.returncode != 0:
        raise ScenarioError(f'host_del baseline: exit status {proc.returncode}: '
                            f'{proc.stderr_tail()}')
    times = removals(bench, spare, mark, 'host_del baseline')
    ipa = stats_snapshot(bench.ipa.stats)
    return {'rate': hook_rate(times.values()), 'threads': bench.args.workers,
            'emulators_cpu_seconds': proc.cpu_between(min(times.values()),
                                                      max(times.values())),
            'child': json.loads(proc.stdout()), 'ipa': ipa,
            'ipa_requests_per_removal': (ipa['http_requests'] - ipa['logins']) / len(times)}


def run_daemon(bench, estate):
    """The daemon (IPA batching, ``--workers`` executor threads) draining the
    deletes of as many enrolled instances of this estate: what the audit's
    removals are measured against. Each delete costs what an audit removal does
    (a nova look-up over the same servers, then IPA), plus the provenance read."""
    fqdns = Estate.marked_hosts(bench.ipa, 'gone', estate.orphans, DAEMON_BASE)
    hosts = [Host(f.split('.', 1)[0], f, address(DAEMON_BASE + i)[0])
             for i, f in enumerate(fqdns)]
    topic = harness.unique_topic('bench_s7_daemon')
    bench.bus.prime(topic)
    bench.bus.publish(topic, (bench.payloads.delete(h) for h in hosts))
    bench.bus.wait_depth(f'{topic}.info', lambda i: i is not None and i[0] >= len(hosts),
                         120, 'audit daemon baseline preload')
    bench.ipa.reset_stats()
    mark = len(bench.ipa.host_removed_at)
    daemon = bench.daemon('s7-daemon', topic, batching=True, wait_ready=False)
    try:
        removed = bench.wait_removed(fqdns, mark, 120 + len(fqdns) / 5, [daemon],
                                     'audit daemon baseline')
    finally:
        stop(daemon)
    ipa = stats_snapshot(bench.ipa.stats)
    return {'rate': hook_rate(removed.values()), 'deletes': len(fqdns), 'ipa': ipa,
            'ipa_requests_per_delete': (ipa['http_requests'] - ipa['logins']) / len(fqdns)}


def scenario(bench):
    sizes = bench.sizes
    estate = Estate(sizes['audit_live'], sizes['audit_orphans'], sizes['audit_projects'],
                    sizes['audit_fips']).seed(bench.ipa, bench.cloud)
    log(f'  7: seeded {estate.live} live instances with hosts over {estate.projects} '
        f'projects, {estate.orphans} orphans, {estate.fips} floating IPs in '
        f'{estate.seed_seconds:.1f}s')
    directory = os.path.join(bench._work, 's7-audit')
    config = write_config(bench, directory, workers=bench.args.workers)
    timeout = 300 + (estate.live + estate.orphans) / 20
    saved = bench.cloud.latency
    bench.cloud.latency = dict(CLOUD_LATENCY)
    result = {'estate': {'live': estate.live, 'orphans': estate.orphans,
                         'projects': estate.projects, 'floating_ips': estate.fips,
                         'seed_seconds': estate.seed_seconds},
              'latency': {'ipa': bench.args.ipa_latency, **CLOUD_LATENCY},
              'listings': [], 'report': []}
    bench.report.results['7_audit'] = result
    try:
        for r in range(sizes['rounds']):
            result['listings'].append(run_listings(bench, config, directory,
                                                   f'listings-{r}', timeout))
            log(f'  7: bare listings {result["listings"][-1]["wall_seconds"]:.1f}s')
            result['report'].append(run_report(bench, config, directory,
                                               f'audit-report-{r}', estate, timeout))
            log(f'  7: audit report {result["report"][-1]["seconds"]:.1f}s, peak RSS '
                f'{result["report"][-1]["peak_rss_kb"] / 1024:.0f} MB')
        result['apply'] = run_apply(bench, config, directory, estate, timeout)
        log(f'  7: audit --apply {result["apply"]["rate"]:.1f} removals/s')
        result['host_del'] = run_host_del(bench, config, directory, estate, timeout)
        log(f'  7: host_del baseline {result["host_del"]["rate"]:.1f} removals/s')
        result['daemon'] = run_daemon(bench, estate)
        log(f'  7: the daemon on this estate {result["daemon"]["rate"]:.1f} deletes/s')
    finally:
        bench.cloud.latency = saved
    rows(bench, result, estate)


def rows(bench, result, estate):
    report = bench.report
    reports, lists, apply = result['report'], result['listings'], result['apply']
    med = f', median of {len(reports)}' if len(reports) > 1 else ''
    pages = min(x['nova_pages'] for x in reports)
    unbounded = max(x['nova_unbounded_pages'] for x in reports)
    limits = sorted({n for x in reports for n in x['nova_limits']})
    probes = max(x['nova_unpaged_probes'] for x in reports)
    report.row('7a audit: nova server listing in limited pages', f'{pages} pages',
               f'limit {",".join(map(str, limits))}; {estate.live} servers; '
               f'{unbounded} unbounded (+{probes} down-cell probe)', None,
               f'>= {TARGETS["audit_nova_pages"]} pages, 0 unbounded',
               pages >= TARGETS['audit_nova_pages'] and unbounded == 0)
    audit_s = statistics.median(x['seconds'] for x in reports)
    base_s = statistics.median(x['wall_seconds'] for x in lists)
    result['audit_vs_listings'] = audit_s / base_s
    report.row(f'7b audit wall (report, json) vs bare listings ({_latencies(bench)}{med})',
               f'{audit_s:.1f}s', f'{base_s:.1f}s', audit_s / base_s,
               f'<= {TARGETS["audit_vs_listings"]:g}x',
               audit_s / base_s <= TARGETS['audit_vs_listings'])
    host_del = result['host_del']['rate']
    rate = apply['rate']
    reference = result['daemon']['rate']
    what = 'the daemon\'s batched deletes on this estate'
    result['removals_reference'] = {'rate': reference, 'what': what}
    report.row(f'7c audit --apply removals of {estate.orphans} orphans ([audit] workers '
               f'{bench.args.workers}) vs {what}',
               rate_cell(rate), rate_cell(reference), rate / reference if rate else None,
               f'>= {TARGETS["audit_removals_vs_daemon"]:g}x',
               bool(rate) and rate / reference >= TARGETS['audit_removals_vs_daemon'])
    report.row('7c audit --apply removals vs bare batched host_del (info)', rate_cell(rate),
               rate_cell(host_del), rate / host_del if rate else None, '-', None)
    peak = max([x['peak_rss_kb'] for x in reports] + [apply['peak_rss_kb']]) / 1024
    bare = max(x['peak_rss_kb'] for x in lists) / 1024
    report.row(f'7d audit peak RSS ({estate.live + estate.orphans} hosts, {estate.live} '
               f'servers)', f'{peak:.0f} MB', f'bare listings {bare:.0f} MB', None,
               f'< {TARGETS["audit_peak_rss_mb"]:g} MB', peak < TARGETS['audit_peak_rss_mb'])
    audit_ms = apply['emulators_cpu_seconds'] * 1000 / apply['removed']
    del_ms = result['host_del']['emulators_cpu_seconds'] * 1000 / estate.orphans
    report.row('7c emulators\' CPU per removal, first to last: audit vs host_del (info)',
               f'{audit_ms:.1f} ms (GIL-bound ceiling {1000 / audit_ms:.0f}/s)',
               f'{del_ms:.1f} ms ({1000 / del_ms:.0f}/s)', audit_ms / del_ms,
               '-', None)
    report.row('7 audit --apply wall, IPA requests per removal (info)',
               f'{apply["seconds"]:.1f}s',
               f'{apply["ipa_requests_per_removal"]:.2f} IPA requests/removal', None, '-',
               None)
