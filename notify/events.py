"""Typed events: what a notification means, independent of its wire format."""

import dataclasses


@dataclasses.dataclass(frozen=True)
class InstanceDeleted:
    """An instance is gone (nova ``compute.instance.delete.end`` or ``instance.delete.end``)."""

    instance_id: str
    hostname: str
    project_id: str
    metadata: dict
    image_id: str | None
    # Image properties carried by the notification itself (the legacy format's
    # ``image_meta``); None when they must be looked up in glance.
    image_properties: dict | None
    ip_addresses: tuple = ()
    launched_at: str | None = None
    deleted_at: str | None = None
    source: str = 'versioned'
