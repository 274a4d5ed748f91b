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


@dataclasses.dataclass(frozen=True)
class FloatingIPAssociated:
    """A floating IP now points at a port (neutron) or an instance (nova-network)."""

    floating_ip: str
    port_id: str | None = None
    # Known without a look-up when neutron sends port_details, or from nova-network.
    instance_id: str | None = None
    device_owner: str | None = None
    project_id: str | None = None
    floatingip_id: str | None = None
    source: str = 'neutron'


@dataclasses.dataclass(frozen=True)
class FloatingIPReleased:
    """A floating IP points at nothing any more (disassociated or deleted).

    ``floating_ip`` is None when a very old neutron sent the id alone.
    """

    floating_ip: str | None
    floatingip_id: str | None = None
    project_id: str | None = None
    reason: str = 'disassociated'
    source: str = 'neutron'
