"""What every scenario measures with: the progress log, the error that ends a
scenario (the run goes on), CPU and RSS readings from /proc, and the small
figures computed from what the emulators record."""

import collections
import math
import os
import time


def log(text):
    print(f'[{time.strftime("%H:%M:%S")}] {text}', flush=True)


class ScenarioError(Exception):
    """A scenario could not finish (timed out, a process died); the run goes on."""


def proc_cpu_seconds(pid):
    """user + system CPU seconds of a process, from /proc (None when gone)."""
    try:
        with open(f'/proc/{pid}/stat') as f:
            fields = f.read().rsplit(')', 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')
    except (OSError, IndexError, ValueError):
        return None


def proc_rss_kb(pid):
    try:
        with open(f'/proc/{pid}/status') as f:
            for line in f:
                if line.startswith('VmRSS:'):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def percentile(values, q):
    """Nearest-rank percentile of a non-empty list."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def hook_rate(times):
    """Deletes per second between the first and the last host removal."""
    times = sorted(times)
    if len(times) < 2 or times[-1] <= times[0]:
        return None
    return (len(times) - 1) / (times[-1] - times[0])


def stats_snapshot(stats):
    return {key: (dict(value) if isinstance(value, collections.Counter) else value)
            for key, value in stats.items()}


def cloud_snapshot(cloud):
    with cloud._lock:
        return {'requests': dict(cloud.stats['requests']),
                'token_issues': cloud.stats['token_issues']}


def cpu_per_event(first, last, events):
    """Milliseconds of CPU per event of each party between two Bench.cpu() snapshots."""
    if not first or not last or events <= 0:
        return None
    return {k: round((last[k] - first[k]) * 1000 / events, 3) for k in first}
