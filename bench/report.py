"""What a benchmark run reports: the targets, the printed table (one row per
figure: measured, reference, ratio, target, met?), the raw figures of every
scenario written as JSON, and the exit status derived from them."""

import json
import os
import platform
import subprocess

from bench.processes import REPO

TARGETS = {
    'ignored_ratio': 0.9,          # daemon rate / plain listener rate >=
    'unbatched_vs_ideal': 0.8,     # 2a / (max_connections / (2 x IPA request)) >=
    'batched_vs_old': 5.0,         # 2b / 2c >=
    # IPA requests per lone delete <=: the provenance read (host_show) the safety
    # rules need before host_del, then host_del; they depend on each other, so a
    # lone delete cannot share one request
    'lone_requests': 2.0,
    'burst_requests': 0.2,         # IPA requests per delete under the 2b burst <=
    'steady_p99': 0.5,             # seconds, publish -> host gone, p99 <=
    'memory_growth_mb': 20.0,      # RSS growth over the memory run <
    'audit_nova_pages': 2,         # pages of the audit's nova server listing >=
    'audit_vs_listings': 1.5,      # audit wall (report mode) / bare listings wall <=
    'audit_removals_vs_daemon': 0.8,   # audit --apply removals/s / daemon deletes/s >=
    'audit_peak_rss_mb': 250.0,    # peak RSS of the audit process <
}


class Report:
    """The table rows and the raw figures (``results``, by scenario) of one run."""

    def __init__(self):
        self.results = {}
        self.rows = []

    def row(self, scenario, measured, reference, ratio, target, met, error=None):
        if error:
            measured, met = f'FAILED: {error[:60]}', False
        self.rows.append({'scenario': scenario, 'measured': measured, 'reference': reference,
                          'ratio': None if ratio is None else round(ratio, 3),
                          'target': target, 'met': met})

    def table(self):
        heads = ('scenario', 'measured', 'reference', 'ratio', 'target', 'met?')
        lines = []
        for r in self.rows:
            met = {True: 'yes', False: 'NO', None: '-'}[r['met']]
            ratio = '-' if r['ratio'] is None else f'{r["ratio"]:.2f}'
            lines.append((r['scenario'], str(r['measured']), str(r['reference']), ratio,
                          r['target'], met))
        widths = [max(len(h), *(len(x[i]) for x in lines)) if lines else len(h)
                  for i, h in enumerate(heads)]
        out = ['  '.join(h.ljust(w) for h, w in zip(heads, widths)),
               '  '.join('-' * w for w in widths)]
        out += ['  '.join(v.ljust(w) for v, w in zip(x, widths)) for x in lines]
        return out

    def publish(self, path, wall, mode, context):
        """Print the table and the wall time; write the raw figures, with ``context``
        (sizes, options, environment...), as JSON to ``path``."""
        report = dict(context, mode=mode, total_wall_seconds=round(wall, 1), targets=TARGETS,
                      table=self.rows, scenarios=self.results)
        print()
        for line in self.table():
            print(line)
        print(f'\ntotal wall time {wall:.0f}s ({mode} size)')
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        with open(path, 'w') as f:
            json.dump(report, f, indent=2, sort_keys=True, default=str)
        print(f'raw figures written to {path}')

    def exit_status(self):
        """0 every target met, 1 some target not met, 2 some scenario failed."""
        if any(key.endswith('_error') for key in self.results) or any(
                'error' in run for result in self.results.values() if isinstance(result, dict)
                for run in result.values() if isinstance(run, dict)):
            return 2
        return 0 if all(r['met'] is not False for r in self.rows) else 1


def rate_cell(value):
    return 'n/a' if value is None else f'{value:.1f}/s'


def environment(load_before):
    def version(name):
        try:
            from importlib import metadata
            return metadata.version(name)
        except Exception:
            return None

    commit = None
    try:
        commit = subprocess.run(['git', 'rev-parse', 'HEAD'], cwd=REPO, capture_output=True,
                                text=True, timeout=10).stdout.strip() or None
        dirty = subprocess.run(['git', 'status', '--porcelain', '--', 'notify'], cwd=REPO,
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except Exception:
        dirty = None
    return {'cpus': os.cpu_count(), 'python': platform.python_version(),
            'platform': platform.platform(), 'loadavg_before': load_before,
            'loadavg_after': os.getloadavg(), 'git_commit': commit,
            'notify_uncommitted_changes': bool(dirty) if dirty is not None else None,
            'versions': {n: version(n) for n in ('oslo.messaging', 'kombu', 'python-freeipa',
                                                 'python-novaclient', 'python-glanceclient',
                                                 'novajoin-notify')}}
