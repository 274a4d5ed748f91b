"""Fault-test report: figures recorded by tests/functional/test_faults_*.py, printed as
a table at the end of the run and written as JSON ($NOVAJOIN_FAULT_REPORT, else
fault-report.json in the session's temporary directory).

conftest.py holds only the pytest glue (the ``fault_report`` fixture and the
makereport / terminal-summary hooks); the report itself lives here.
"""

import json
import os
import tempfile
import time

COLUMNS = ('test', 'events', 'faults', 'lost', 'wrong', 'duplicates', 'extra')


class FaultReport:
    """Per-test figures of the fault tests, in the order they were recorded."""

    def __init__(self):
        self.rows = {}
        self.outcomes = {}
        self.started = time.monotonic()

    def record(self, name, events=None, faults='', lost=None, wrong=None, duplicates=None,
               extra='', **more):
        row = {'test': name, 'events': events, 'faults': faults, 'lost': lost,
               'wrong': wrong, 'duplicates': duplicates, 'extra': extra}
        row.update(more)
        self.rows[name] = row
        return row

    def set_outcome(self, name, when, outcome, failed):
        """Remember a test's outcome from its pytest report phase."""
        if when == 'call' or (when == 'setup' and failed):
            self.outcomes[name] = outcome
        elif when == 'teardown' and failed:
            self.outcomes[name] = 'teardown-failed'

    def _names(self):
        return list(self.rows) + [n for n in self.outcomes if n not in self.rows]

    def table(self):
        rows = []
        for name in self._names():
            row = self.rows.get(name, {'test': name})
            outcome = self.outcomes.get(name)
            shown = dict(row)
            if outcome and outcome != 'passed':
                shown['test'] = f'{name} [{outcome.upper()}]'
            rows.append(['' if shown.get(c) is None else str(shown[c]) for c in COLUMNS])
        widths = [max([len(c)] + [len(r[i]) for r in rows]) for i, c in enumerate(COLUMNS)]
        line = '  '.join(c.ljust(w) for c, w in zip(COLUMNS, widths))
        out = [line, '  '.join('-' * w for w in widths)]
        out += ['  '.join(v.ljust(w) for v, w in zip(r, widths)) for r in rows]
        return out

    def as_json(self):
        return {'columns': list(COLUMNS),
                'rows': [dict(self.rows.get(name, {'test': name}),
                              outcome=self.outcomes.get(name)) for name in self._names()],
                'wall_seconds': round(time.monotonic() - self.started, 1)}


def report_path(basetemp=None):
    """$NOVAJOIN_FAULT_REPORT, else fault-report.json in ``basetemp`` (or a new
    temporary directory)."""
    path = os.environ.get('NOVAJOIN_FAULT_REPORT')
    if path:
        return path
    base = basetemp if basetemp is not None else tempfile.mkdtemp(
        prefix='novajoin-fault-report-')
    return os.path.join(base, 'fault-report.json')


def write_summary(report, write_sep, write_line, basetemp=None):
    """Print the table and write the JSON; nothing when nothing was recorded."""
    if not report.rows and not report.outcomes:
        return
    path = report_path(basetemp)
    write_sep('=', 'novajoin-notify fault tests')
    for line in report.table():
        write_line(line)
    try:
        with open(path, 'w') as f:
            json.dump(report.as_json(), f, indent=2, sort_keys=True)
        write_line(f'fault report written to {path}')
    except OSError as exc:
        write_line(f'fault report not written to {path}: {exc}')
