"""Can nova's answer be trusted to say which instances are live? Fail closed.

Pure. The ownership check ("does a live instance still carry this name?") is
only as good as nova's listing. When nova cannot tell, nothing may be removed:
the caller makes the notification wait. Each reason names the nova policy the
service user is missing, for the operator to grant.
"""

import dataclasses

UNKNOWN = 'UNKNOWN'
HIDDEN_HOSTNAME = ('nova hides OS-EXT-SRV-ATTR:hostname from the [service_credentials] '
                   'user: grant it the policy os_compute_api:os-extended-server-attributes')
FILTER_IGNORED = ('nova ignored the hostname filter for the [service_credentials] user: '
                  'grant it the policy os_compute_api:servers:allow_all_filters')


@dataclasses.dataclass(frozen=True)
class ServerRecord:
    """One server as nova listed it; ``hostname`` is None when nova hid it."""
    id: str
    hostname: str | None
    project_id: str
    status: str


def listing_problem(servers, labels=None):
    """Why this nova listing cannot decide ownership, or None.

    ``labels``: the first hostname labels the listing was filtered on (None: no
    filter was asked for).
    """
    for server in servers:
        if server.status == UNKNOWN:
            return (f'a nova cell is down (server {server.id} is UNKNOWN): which '
                    f'instances are live cannot be told')
    for server in servers:
        if server.hostname is None:
            return HIDDEN_HOSTNAME
    if labels is not None:
        wanted = set(labels)
        for server in servers:
            if server.hostname.split('.', 1)[0].lower() not in wanted:
                return FILTER_IGNORED
    return None
