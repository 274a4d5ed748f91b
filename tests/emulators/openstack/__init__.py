"""An HTTPS emulator of the OpenStack APIs the daemon asks: keystone, nova, glance
and neutron, behind one port, spoken to by the real clients.

One ``ThreadingHTTPServer`` (HTTP/1.1, TLS from the shared test CA) on
127.0.0.1 serves path prefixes the way a devstack-style cloud does::

    /identity   keystone v3       (catalog URL https://localhost:PORT/identity)
    /compute    nova v2.1         (catalog URL https://localhost:PORT/compute/v2.1)
    /image      glance v2         (catalog URL https://localhost:PORT/image)
    /network    neutron v2.0      (catalog URL https://localhost:PORT/network)

Modules: ``common`` (answers, requests, routes, error bodies), ``transport``
(the HTTPS server and the dispatcher), one per service (``keystone``, ``nova``
with ``nova_list``, ``nova_views`` and ``nova_data``, ``glance`` with
``glance_schema``, ``neutron``), and ``emulator``, the ``OpenStackEmulator``
facade holding the data and the test helpers.

Faithful where a wrong call from the daemon should fail:

* every service call needs a valid ``X-Auth-Token`` issued by *this* emulator
  (401 with keystonemiddleware's body otherwise); version documents do not;
* unknown paths answer 404, known paths with another method 405;
* keystone: ``delete_project()`` -> 404 for the project, its servers stay in nova;
* nova: microversion from ``OpenStack-API-Version: compute X`` or
  ``X-OpenStack-Nova-API-Version`` (absent -> 2.1; malformed -> 400 and outside
  2.1..max (2.96 unless ``nova_max_version``) -> 406, exactly as nova's wsgi
  layer answers), echoed with ``Vary``;
  ``name``/``hostname`` filters are unanchored regexes (``re.search``, like nova
  on sqlite); ``all_tenants`` as nova parses it; without it only the token's
  project; ``tenant_id``/``project_id`` only with ``all_tenants``; ``limit`` and
  ``marker`` paging under ``max_limit`` (bad marker -> 400, a deleted server is
  still a valid marker) with ``servers_links``; ``OS-EXT-SRV-ATTR:hostname``
  from 2.3; deleted and soft-deleted servers listed only for ``deleted=True``;
  policy knobs ``hide_extended_attrs``, ``ignore_admin_filters``,
  ``deny_all_tenants`` (or ``set_nova_policy(admin=False)``); down cells
  (``add_server(cell_down=True)``, ``set_cell_down()``, ``skip_down_cells``)
  with 2.69's minimal records; ``truncate_server_lists`` cuts listings short;
* glance: the real ``/v2/schemas/image`` (glance's base properties plus the
  ``schema-image.json`` ones, ``additionalProperties: {"type": "string"}``);
  custom image properties are top-level string keys;
* neutron: ports and floating IPs with neutron's filters, native pagination
  (``limit``, ``marker``, ``page_reverse``, ``*_links``, ``neutron_max_limit``),
  ``port_details`` read from the port, ``NeutronError`` bodies.

Faults: ``down`` (True or a set of service names -> 503 as a load balancer
answers with no backend), ``latency`` (seconds slept before every answer,
outside any lock; a number, or {service: seconds}), ``expire_tokens()``,
``stop()`` then ``start()`` again (same port, same data and tokens: connection
refused in between).  ``stats`` and ``request_log`` record every request,
``calls(service, method, template)`` counts them per path template;
``errors`` holds tracebacks of emulator bugs (answered 500), which a test may
assert empty.
"""

from tests.emulators.openstack.emulator import OpenStackEmulator
from tests.emulators.openstack.glance_schema import glance_image_schema

__all__ = ['OpenStackEmulator', 'glance_image_schema']
