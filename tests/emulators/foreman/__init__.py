"""A Foreman (Red Hat Satellite) API emulator for tests: HTTPS on 127.0.0.1 with
the shared test CA, spoken to by apypie unchanged.

What it serves, as Foreman 3.x does (app/controllers/api/v2, app/views/api/v2):

* ``/apidoc/v2.json`` (and ``v2.en.json``): the apipie-rails description apypie
  loads, for hosts (index, show, destroy), fact_values (index), organizations
  (index, show) and ping; every ``/api/`` and ``/apidoc/`` answer carries
  ``Apipie-Checksum``;
* ``GET /api/hosts`` (also ``/api/organizations/:organization_id/hosts`` and
  the ``organization_id`` parameter): ``search`` in Foreman's search language
  (``facts.virt::uuid = X``, ``facts.dmi::system::uuid ~ X``, ``name = X``,
  ``and``/``or``/parentheses; see search.py for the semantics), paging with
  ``page``/``per_page`` (default 20, ``all``), the index envelope ``total``,
  ``subtotal``, ``page``, ``per_page``, ``search``, ``sort``, ``results``;
* ``GET /api/fact_values`` and ``/api/hosts/:host_id/facts``: results
  ``{hostname: {fact: value}}``, ``host = <id or name>``, ``fact = <name>``;
  its ``subtotal`` counts hosts, not values, as Foreman's does;
* ``GET /api/hosts/:id`` and ``DELETE /api/hosts/:id`` (id or name): 404
  ``{"error": {"message": "Resource host not found by id '7'"}}`` when gone;
* HTTP basic authentication: a wrong login or password answers 401
  ``{"error": {"message": "Unable to authenticate user <login>"}}``; a user
  without the action's permission (``add_user(login, password, permissions)``;
  view_hosts, destroy_hosts, view_facts, view_organizations) answers 403
  ``{"error": {"message": "Access denied", "details": "Missing one of the
  required permissions: destroy_hosts", "missing_permissions": [...]}}``;
* a search on a field the resource does not know answers 400 with
  ``ScopedSearch::QueryNotSupported``; an unknown organization 404.

Faults: ``down = True`` (503 from the front web server for everything),
``pause_listening()`` / ``resume_listening()`` (connection refused, same
port), ``latency`` (seconds slept before every answer), ``fail_next(what,
status, count=1)`` with ``what`` an HTTP method or an action ('hosts#destroy'),
``truncate_lists`` ({'hosts#index' or 'fact_values#index': n}: asked for by
``page``, only the first n items are served; the counts stay whole).
Counters: ``stats`` (a Counter by action, plus 'http_requests' and 'apidoc'),
``call_log`` (CallRecord: method, path, params, action, status, user),
``deleted`` ((id, name) of every host deleted through the API), ``errors``
(tracebacks of emulator bugs, answered 500).

Known differences: one location; no host groups, parameters or interfaces; the
host JSON carries the common attributes of hosts/main.json.rabl only; every
user but the configured one starts without permissions.
"""

from tests.emulators.foreman.emulator import CallRecord, ForemanEmulator

__all__ = ['CallRecord', 'ForemanEmulator']
