"""Fault injection, counters and search limits."""

import collections

from .errors import IPAError, SEARCH_RECORDS_LIMIT, _message


class FaultsMixin:
    def expire_sessions(self):
        with self._lock:
            self._sessions.clear()

    def fail_next(self, method, code, name, message, count=1):
        """The next ``count`` calls of ``method`` (direct or in a batch) fail with this
        IPA error, after argument validation and before anything is changed."""
        with self._lock:
            for _ in range(count):
                self._faults[method].append((code, name, message))

    def reset_stats(self):
        with self._lock:
            self.stats.clear()
            self.stats.update({'http_requests': 0, 'logins': 0, 'login_failures': 0,
                               'calls': collections.Counter(),
                               'batch_calls': collections.Counter(), 'unauthorized': 0})
            self.call_log.clear()

    def _inject_fault(self, method):
        with self._lock:
            queue = self._faults.get(method)
            fault = queue.popleft() if queue else None
        if fault is not None:
            code, name, message = fault
            raise IPAError(code, name, message)

    def _limit(self, entries, p, ctx):
        limit = p.get('sizelimit')
        if limit is None:
            limit = SEARCH_RECORDS_LIMIT
        if limit and len(entries) > limit:
            ctx.messages.append(_message(
                13017, 'SearchResultTruncated',
                'Search result has been truncated: limits exceeded for this query',
                reason='limits exceeded for this query'))
            return entries[:limit], True
        return entries, False

