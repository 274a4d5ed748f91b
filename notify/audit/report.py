"""The audit's output: a table (with a progress display on a terminal) or one JSON
object, and the log lines of a periodic run."""

import contextlib
import json
import sys

from notify.errors import printable

COLUMNS = ('kind', 'action', 'name', 'reason')


def progress_factory(stream):
    """Progress bars on a terminal (tqdm), nothing elsewhere."""
    if not stream.isatty():
        return None
    import tqdm

    @contextlib.contextmanager
    def progress(desc, total=None):
        with tqdm.tqdm(total=total, desc=desc, unit='', file=sys.stderr, leave=False,
                       dynamic_ncols=True) as bar:
            yield bar
    return progress


def as_json(result):
    return json.dumps({'findings': [f.as_dict() for f in result.findings],
                       'summary': result.summary()}, sort_keys=True)


def as_table(result):
    rows = [(f.kind, f.action, printable(f.name, 80), printable(f.reason, 200))
            for f in result.findings]
    widths = [max([len(c)] + [len(r[i]) for r in rows]) for i, c in enumerate(COLUMNS[:3])]
    lines = ['  '.join(c.ljust(w) for c, w in zip(COLUMNS, widths + [0])).rstrip()]
    lines += ['  '.join(v.ljust(w) for v, w in zip(row, widths + [0])).rstrip()
              for row in rows]
    summary = result.summary()
    lines.append('')
    lines.append('summary: ' + ', '.join(f'{k} {v}' for k, v in sorted(summary.items())))
    if result.aborted:
        lines.append(f'ABORTED, nothing changed: {result.aborted}')
    return '\n'.join(lines)


def log_result(log, result, applied):
    """A periodic run's lines: one per change or stale entry, then the summary."""
    if result.aborted:
        log.error('audit aborted, nothing changed: %s', result.aborted)
    for f in result.findings:
        if f.action in ('remove', 'add'):
            log.info('audit: %s %s %s%s: %s', 'did' if applied else 'would', f.action,
                     f.kind, '' if applied else ' (report only)', f'{f.name} ({f.reason})')
    log.info('audit finished: %s', ', '.join(f'{k} {v}' for k, v in
                                             sorted(result.summary().items())))


def record_metrics(result, applied):
    """The periodic audit's run in the Prometheus metrics (notify.metrics)."""
    from notify import metrics
    stale = [f for f in result.findings if f.action in ('remove', 'add')]
    found = {}
    for f in stale:
        found[f.kind] = found.get(f.kind, 0) + 1
    if result.aborted or result.failed:
        outcome = 'failed'
    else:
        outcome = 'ok' if applied else 'dry_run'
    metrics.audit_run(outcome, findings=found,
                      removals=found if applied and not result.failed else None)
