"""The API description Foreman's apipie-rails serves at ``/apidoc/v2.json``.

apypie (apypie/api.py ``_retrieve_apidoc``) fetches ``/apidoc/v<version>.json``
(``/apidoc/v2.<lang>.json`` first when a language is set) and reads
``docs.resources.<name>.methods[]``: each method's ``name``, its routes in
``apis[]`` (``api_url``, ``http_method``, ``short_description``) and its
``params[]`` (``name``, ``full_name``, ``description``, ``required``,
``allow_nil``, ``expected_type``, ``validator``, nested ``params``). The
entries below have the shape and wording of Foreman 3.x's apidoc for the
resources the emulator serves (hosts, fact_values, organizations, ping).
"""

import hashlib
import json

API_URL = '/api'
DOC_URL = '/apidoc/v2'


def _param(name, expected_type='string', description='', required=False,
           validator=None, params=None):
    validators = {'string': 'Must be a String', 'numeric': 'Must be a number.',
                  'boolean': 'Must be one of: <code>true</code>, <code>false</code>, '
                             '<code>1</code>, <code>0</code>.',
                  'hash': 'Must be a Hash'}
    entry = {'name': name, 'full_name': name,
             'description': f'\n<p>{description}</p>\n' if description else '',
             'required': required, 'allow_nil': False, 'allow_blank': False,
             'validator': validator or validators.get(expected_type, 'Must be a String'),
             'expected_type': expected_type, 'metadata': None, 'show': True,
             'validations': [], 'deprecated': False}
    if params is not None:
        entry['params'] = params
    return entry


def _context_params():
    # Api::V2::BaseController's resource_description: every action takes them.
    return [_param('location_id', 'numeric',
                   'Set the current location context for the request',
                   validator='Must be a Integer'),
            _param('organization_id', 'numeric',
                   'Set the current organization context for the request',
                   validator='Must be a Integer')]


def _search_and_pagination():
    return [_param('search', description='filter results'),
            _param('order', description="Sort and order by a searchable field, e.g. "
                                        "&#39;&lt;field&gt; DESC&#39;"),
            _param('page', 'numeric', 'Page number, starting at 1'),
            _param('per_page', description="Number of results per page to return, "
                                           "&#39;all&#39; to return all results",
                   validator='Must match regular expression '
                             '<code>/\\A([1-9]\\d*|all)\\Z$/</code>.')]


def _method(resource, name, apis, params, search_fields=None):
    return {'doc_url': f'{DOC_URL}/{resource}/{name}', 'name': name,
            'apis': [{'api_url': url, 'http_method': verb, 'short_description': text,
                      'deprecated': None} for verb, url, text in apis],
            'formats': None, 'full_description': '', 'errors': [], 'returns': [],
            'examples': [],
            'metadata': ({'search': [{'name': f, 'type': t} for f, t in search_fields]}
                         if search_fields else None),
            'params': params, 'see': [], 'headers': [], 'show': True}


def _resource(resource, title, methods):
    return {'doc_url': f'{DOC_URL}/{resource}', 'id': resource, 'api_url': API_URL,
            'name': title, 'short_description': None, 'full_description': '',
            'version': 'v2', 'formats': None, 'metadata': None, 'headers': None,
            'deprecated': None, 'methods': methods}


HOST_SEARCH = [('facts', 'string'), ('id', 'integer'), ('location_id', 'integer'),
               ('name', 'string'), ('organization', 'string'),
               ('organization_id', 'integer'), ('uuid', 'string')]
FACT_SEARCH = [('fact', 'string'), ('facts', 'string'), ('host', 'string'),
               ('host_id', 'integer'), ('name', 'string'), ('organization_id', 'integer'),
               ('value', 'string')]
ORGANIZATION_SEARCH = [('id', 'integer'), ('name', 'string'), ('title', 'string')]

_HOST_ID = ('Must be an identifier, string from 1 to 128 characters containing only '
            'alphanumeric characters, dot(.), space, underscore(_), hypen(-) with no '
            'leading or trailing space.')


def build():
    """The whole apidoc document."""
    hosts = _resource('hosts', 'Hosts', [
        _method('hosts', 'index', [
            ('GET', '/api/hosts', 'List all hosts'),
            ('GET', '/api/hostgroups/:hostgroup_id/hosts', 'List all hosts for a host group'),
            ('GET', '/api/locations/:location_id/hosts', 'List hosts per location'),
            ('GET', '/api/organizations/:organization_id/hosts',
             'List hosts per organization')],
            [_param('thin', 'boolean', 'Only list ID and name of hosts'),
             _param('hostgroup_id', description='ID of host group'),
             _param('location_id', description='ID of location'),
             _param('organization_id', description='ID of organization'),
             _param('include', description='Array of extra information types to include',
                    validator='Must be one of: <code>parameters</code>, '
                              '<code>all_parameters</code>.')]
            + _search_and_pagination(), HOST_SEARCH),
        _method('hosts', 'show', [('GET', '/api/hosts/:id', 'Show a host')],
                _context_params() + [
                    _param('id', required=True, validator=_HOST_ID),
                    _param('show_hidden_parameters', 'boolean',
                           'Display hidden parameter values')]),
        _method('hosts', 'destroy', [('DELETE', '/api/hosts/:id', 'Delete a host')],
                _context_params() + [_param('id', required=True, validator=_HOST_ID)]),
    ])
    fact_values = _resource('fact_values', 'Fact values', [
        _method('fact_values', 'index', [
            ('GET', '/api/fact_values', 'List all fact values'),
            ('GET', '/api/hosts/:host_id/facts', 'List all fact values of a given host')],
            _context_params() + _search_and_pagination(), FACT_SEARCH),
    ])
    organizations = _resource('organizations', 'Organizations', [
        _method('organizations', 'index', [
            ('GET', '/api/organizations', 'List all organizations')],
            _context_params() + _search_and_pagination(), ORGANIZATION_SEARCH),
        _method('organizations', 'show', [
            ('GET', '/api/organizations/:id', 'Show organization')],
            _context_params() + [_param('id', required=True)]),
    ])
    ping = _resource('ping', 'Ping', [
        _method('ping', 'ping', [('GET', '/api/ping', 'Shows status of Foreman system '
                                                      'and its subcomponents')], []),
    ])
    return {'docs': {
        'name': 'Foreman', 'info': '\n<p>Foreman API v2 is currently the default API '
                                   'version.</p>\n',
        'copyright': '', 'doc_url': DOC_URL, 'api_url': API_URL,
        'resources': {r['id']: r for r in (hosts, fact_values, organizations, ping)}}}


def checksum(document):
    """apipie-rails' Apipie-Checksum header value (config.update_checksum)."""
    return hashlib.md5(json.dumps(document, sort_keys=True).encode()).hexdigest()
