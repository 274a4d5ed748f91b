"""What Foreman's API answers look like: JSON of hosts and organizations (the
rabl views app/views/api/v2/{hosts,organizations}/main.json.rabl, reduced to
their common attributes), the index envelope (layouts/index_layout.json.erb),
error bodies (layouts/error_layout.json.erb around errors/*.json.rabl), and the
search fields each resource knows (Hostext::Search, FactValue, Taxonomy)."""

from tests.emulators.foreman import search
from tests.emulators.foreman.server import Reply

DEFAULT_PER_PAGE = 20     # Setting[:entries_per_page]
TIMESTAMP_FACT = '_timestamp'


# -- error bodies -------------------------------------------------------------

def error(status, message, **more):
    """render_error: {"error": {...}} (error_layout)."""
    return Reply(status, {'error': dict({'message': message}, **more)})


def unauthorized(login):
    return error(401, f'Unable to authenticate user {login or ""}'.rstrip())


def access_denied(missing):
    return error(403, 'Access denied',
                 details=f'Missing one of the required permissions: {missing}',
                 missing_permissions=[missing])


def not_found(resource, ident):
    return error(404, f"Resource {resource} not found by id '{ident}'")


def nested_not_found(what, ident):
    # Api::BaseController#not_found(String): a bare {"message": ...}, no "error" key
    return Reply(404, {'message': f"{what} not found by id '{ident}'"})


def param_error(exc):
    cls = ('ScopedSearch::QueryNotSupported' if isinstance(exc, search.QueryNotSupported)
           else 'Apipie::ParamError')
    return error(400, str(exc), **{'class': cls})


UNAVAILABLE = ('<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\n<html><head>\n'
               '<title>503 Service Unavailable</title>\n</head><body>\n'
               '<h1>Service Unavailable</h1>\n<p>The server is temporarily unable to '
               'service your request due to maintenance downtime or capacity problems. '
               'Please try again later.</p>\n</body></html>\n')


# -- records --------------------------------------------------------------------

def host_json(host, organizations, full=False):
    org_id = host['organization_id']
    body = {
        'id': host['id'], 'name': host['name'], 'display_name': host['name'],
        'ip': host.get('ip'), 'ip6': None, 'mac': host.get('mac'),
        'organization_id': org_id, 'organization_name': organizations.get(org_id),
        'location_id': 2, 'location_name': 'Default Location',
        'uuid': None, 'certname': host['name'], 'comment': host.get('comment'),
        'managed': False, 'enabled': True, 'build': False,
        'global_status': 0, 'global_status_label': 'OK',
        'operatingsystem_name': host.get('os'),
        'created_at': host['created_at'], 'updated_at': host['created_at'],
        'subscription_facet_attributes': {
            'uuid': host['consumer_uuid'], 'registered_at': host['created_at']},
    }
    if full:
        body.update({'parameters': [], 'all_parameters': [], 'interfaces': []})
    return body


def organization_json(org_id, name):
    return {'id': org_id, 'name': name, 'title': name, 'label': name.replace(' ', '_'),
            'description': None, 'created_at': '2024-01-01 00:00:00 UTC',
            'updated_at': '2024-01-01 00:00:00 UTC'}


# -- paging -------------------------------------------------------------------

def page_of(req, items):
    """(page, per_page, slice) as will_paginate takes them from ``page`` and
    ``per_page`` (``all``: every item)."""
    per_page_text = req.param('per_page') or ''
    page_text = req.param('page') or '1'
    if per_page_text == 'all':
        per_page = max(len(items), 1)
    elif per_page_text == '':
        per_page = DEFAULT_PER_PAGE
    elif per_page_text.isdigit() and int(per_page_text) >= 1:
        per_page = int(per_page_text)
    else:
        raise param_error(ValueError(
            f"Invalid parameter 'per_page' value \"{per_page_text}\": Must match regular "
            'expression /\\A([1-9]\\d*|all)\\Z$/.'))
    if not page_text.isdigit() or int(page_text) < 1:
        raise param_error(ValueError(
            f"Invalid parameter 'page' value \"{page_text}\": Must be a number."))
    page = int(page_text)
    start = (page - 1) * per_page
    return page, per_page, items[start:start + per_page]


def envelope(req, total, subtotal, page, per_page, results):
    return {'total': total, 'subtotal': subtotal, 'page': page, 'per_page': per_page,
            'search': req.param('search') or None,
            'sort': {'by': None, 'order': None}, 'results': results}


# -- search fields ------------------------------------------------------------

def host_field(organizations):
    def field(host, name, op, value):
        if name.startswith('facts.'):
            return search.compare(host['facts'].get(name[len('facts.'):]), op, value)
        if name in ('id', 'organization_id'):
            if not value.isdigit():
                raise search.QueryNotSupported(f"Value '{value}' is not valid for field "
                                               f"'{name}'")
            return search.compare(str(host[name]), op, value)
        if name == 'organization':
            return search.compare(organizations.get(host['organization_id']), op, value)
        if name == 'uuid':
            return search.compare(None, op, value)   # compute resource uuid: none here
        return search.compare(host[name], op, value)
    return field


def host_field_known(name):
    return name in ('name', 'id', 'organization', 'organization_id', 'uuid') or (
        name.startswith('facts.') and len(name) > len('facts.'))


def host_free_text(host, value):
    # default fields: name and comment, ILIKE
    return search.compare(host['name'], '~', value) or search.compare(
        host.get('comment'), '~', value)


def fact_field(row, name, op, value):
    """A fact value row: (host_id, hostname, organization_id, fact, value)."""
    host_id, hostname, org_id, fact, fact_value = row
    if name == 'host':
        # FactValue.search_by_host_or_hostgroup: digits are a host id, else a name
        return search.compare(str(host_id) if value.isdigit() else hostname, op, value)
    if name == 'host_id':
        return search.compare(str(host_id), op, value)
    if name in ('fact', 'name'):
        return search.compare(fact, op, value)
    if name == 'value':
        return search.compare(fact_value, op, value)
    if name == 'organization_id':
        return search.compare(str(org_id), op, value)
    if name.startswith('facts.'):
        return fact == name[len('facts.'):] and search.compare(fact_value, op, value)
    raise search.QueryNotSupported(f"Field '{name}' not recognized for searching!")


def fact_field_known(name):
    return name in ('host', 'host_id', 'fact', 'name', 'value', 'organization_id') or (
        name.startswith('facts.') and len(name) > len('facts.'))


def fact_free_text(row, value):
    return search.compare(row[4], '~', value)


def organization_field(org, name, op, value):
    org_id, org_name = org
    if name == 'id':
        return search.compare(str(org_id), op, value)
    return search.compare(org_name, op, value)


def organization_field_known(name):
    return name in ('id', 'name', 'title')


def organization_free_text(org, value):
    return search.compare(org[1], '~', value)
