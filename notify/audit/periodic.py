"""The daemon's periodic audit ([audit] interval): a background thread, one audit at
a time across every daemon (a tooz lock when [coordination] backend_url is set;
never a lock written into IPA). It has its own IPA sessions and nova/neutron
connections, so it never delays notifications."""

import logging
import threading

from notify.audit.report import log_result

LOG = logging.getLogger(__name__)

LOCK = 'audit'


class PeriodicAudit:
    def __init__(self, make_audit, interval, apply, try_lock, on_result=None):
        self._make_audit = make_audit      # () -> notify.audit.run.Audit
        self._interval = interval
        self._apply = apply
        self._try_lock = try_lock          # name -> context manager yielding bool
        self._on_result = on_result
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name='periodic-audit',
                                        daemon=True)

    def start(self):
        self._thread.start()
        return self

    def stop(self, timeout=5):
        self._stop.set()
        self._thread.join(timeout)

    def _loop(self):
        while not self._stop.wait(self._interval):
            try:
                self.run_once()
            except Exception as exc:   # the next period tries again
                LOG.error('periodic audit failed: %s: %s', type(exc).__name__, exc)

    def run_once(self):
        with self._try_lock(LOCK) as mine:
            if not mine:
                LOG.info('periodic audit skipped: another daemon is auditing (or the coordination '
                         'backend did not answer)')
                return None
            result = self._make_audit().run(apply=self._apply)
        log_result(LOG, result, self._apply)
        if self._on_result is not None:
            self._on_result(result)
        return result
