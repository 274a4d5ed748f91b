"""``novajoin-notify audit``: find, and with ``--apply`` remove, what notifications
missed, with the same rules as the daemon (notify.decide).

- inventory: complete listings of IPA (marked hosts, their relations and DNS
  records), nova (every server, paged) and neutron (floating IPs and ports,
  paged); an incomplete listing aborts the audit (AuditAborted) before anything
  is decided;
- satellite: with [satellite] url, every Satellite host and its UUID facts,
  complete or aborted, and the removal of one, re-checked just before;
- plan: pure, snapshots in, findings out;
- run: read IPA first (and Satellite), then nova and neutron; abort rules;
  removals that re-check nova for each host just before removing it;
- report: the table or JSON, and the exit status;
- periodic: the daemon's background audit, one at a time across daemons.
"""

EXIT_CLEAN = 0        # nothing stale, or everything stale removed
EXIT_STALE = 1        # stale entries found and not (all) removed
EXIT_CONFIG = 2       # configuration error
EXIT_ABORTED = 3      # a safety rule aborted the audit; nothing was changed


class AuditAborted(Exception):
    """A safety rule stopped the audit before any change."""
