"""requests sessions that read the process environment once per server.

requests, when ``trust_env`` is on (its default), asks the environment for every
request it sends: it walks ``os.environ`` twice for ``*_proxy`` and ``no_proxy``
and looks for a CA bundle (``REQUESTS_CA_BUNDLE``, ``CURL_CA_BUNDLE``). Measured
on a controller's Python 3.11, that was a sixth of the CPU of an HTTPS request
to nova or IPA, paid on every one of them. A daemon's environment does not
change after it starts, so the answer for one server is remembered: proxies,
``no_proxy`` and CA bundles from the environment still apply exactly as
requests applies them, read once per (scheme, host, port).
"""

import threading
import urllib.parse


def read_environment_once(session):
    """Make ``session`` (a requests.Session) remember what the environment adds to
    a request, per server and per request settings. Returns the session."""
    merge = session.merge_environment_settings
    remembered = {}
    lock = threading.Lock()

    def merge_once(url, proxies, stream, verify, cert):
        if proxies or not session.trust_env:
            return merge(url, proxies, stream, verify, cert)
        try:
            parts = urllib.parse.urlsplit(url)
            key = (parts.scheme, parts.hostname, parts.port, stream, verify,
                   tuple(cert) if isinstance(cert, list) else cert)
            hash(key)
        except (TypeError, ValueError):
            return merge(url, proxies, stream, verify, cert)
        settings = remembered.get(key)
        if settings is None:
            settings = merge(url, proxies, stream, verify, cert)
            with lock:
                if len(remembered) < 64:     # a few servers; never grows without bound
                    remembered[key] = settings
        # requests only reads these; copies keep a caller's change out of the memo
        return dict(settings, proxies=dict(settings.get('proxies') or {}))

    session.merge_environment_settings = merge_once
    return session
