"""An HTTPS emulator of the OpenStack APIs the daemon asks: keystone, nova, glance
and neutron, behind one port, spoken to by the real clients.

One ``ThreadingHTTPServer`` (HTTP/1.1, TLS from the shared test CA) on
127.0.0.1 serves path prefixes the way a devstack-style cloud does::

    /identity   keystone v3       (catalog URL https://localhost:PORT/identity)
    /compute    nova v2.1         (catalog URL https://localhost:PORT/compute/v2.1)
    /image      glance v2         (catalog URL https://localhost:PORT/image)
    /network    neutron v2.0      (catalog URL https://localhost:PORT/network)

Faithful where a wrong call from the daemon should fail:

* every service call needs a valid ``X-Auth-Token`` issued by *this* emulator
  (401 with keystonemiddleware's body otherwise); version documents do not;
* unknown paths answer 404, known paths with another method 405;
* nova: microversion from ``OpenStack-API-Version: compute X`` or
  ``X-OpenStack-Nova-API-Version`` (absent -> 2.1; malformed -> 400 and outside
  2.1..max (2.96 unless ``nova_max_version``) -> 406, exactly as nova's wsgi
  layer answers), echoed with ``Vary``;
  ``name``/``hostname`` filters are unanchored regexes (``re.search``, like nova
  on sqlite); ``all_tenants`` as nova parses it; without it only the token's
  project; ``tenant_id``/``project_id`` only with ``all_tenants``; ``limit`` and
  ``marker`` paging (bad marker -> 400, a deleted server is still a valid
  marker) with ``servers_links``; ``OS-EXT-SRV-ATTR:hostname`` from 2.3;
* glance: the real ``/v2/schemas/image`` (glance's base properties plus the
  ``schema-image.json`` ones, ``additionalProperties: {"type": "string"}``);
  custom image properties are top-level string keys;
* neutron: ports and floating IPs, ``NeutronError`` bodies.

Faults: ``down`` (True or a set of service names -> 503 as a load balancer
answers with no backend), ``latency`` (seconds slept before every answer,
outside any lock), ``expire_tokens()``, ``stop()`` then ``start()`` again (same
port, same data and tokens: connection refused in between).  ``stats`` and
``request_log`` record every request; ``errors`` holds tracebacks of emulator
bugs (answered 500), which a test may assert empty.
"""

import collections
import copy
import datetime
import functools
import hashlib
import json
import re
import secrets
import socket
import ssl
import threading
import time
import traceback
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.emulators.tls import shared_ca

SERVICES = ('identity', 'compute', 'image', 'network')

NOVA_MIN_VERSION = (2, 1)
KEYSTONE_VERSION = 'v3.14'
GLANCE_VERSIONS = ['2.17', '2.16', '2.15', '2.14', '2.13', '2.12', '2.11', '2.10',
                   '2.9', '2.8', '2.7', '2.6', '2.5', '2.4', '2.3', '2.2', '2.1', '2.0']

DEFAULT_DOMAIN_ID = 'default'
DEFAULT_DOMAIN_NAME = 'Default'


def _now():
    return datetime.datetime.now(datetime.timezone.utc)


def _iso(dt, subsecond=False):
    if subsecond:
        return dt.strftime('%Y-%m-%dT%H:%M:%S.%fZ')
    return dt.strftime('%Y-%m-%dT%H:%M:%SZ')


def _hex():
    return uuid.uuid4().hex


class _Reply(Exception):
    """An HTTP answer, raised to leave a handler early."""

    def __init__(self, status, body=None, headers=None, content_type='application/json'):
        super().__init__(status)
        self.status = status
        self.headers = dict(headers or {})
        if body is None:
            self.body = b''
        elif isinstance(body, (bytes, str)):
            self.body = body.encode() if isinstance(body, str) else body
            self.headers.setdefault('Content-Type', content_type)
        else:
            self.body = json.dumps(body).encode()
            self.headers.setdefault('Content-Type', 'application/json')


class _Request:
    def __init__(self, method, path, query, headers, body):
        self.method = method
        self.path = path
        self.query_string = query
        self.query = urllib.parse.parse_qs(query, keep_blank_values=True)
        self.headers = headers
        self.body = body

    def param(self, name, default=None):
        values = self.query.get(name)
        return values[-1] if values else default

    def json(self):
        try:
            return json.loads(self.body or b'null')
        except ValueError:
            return None


# ----------------------------------------------------------------------------
# Error bodies as each service writes them
# ----------------------------------------------------------------------------

_KEYSTONE_TITLES = {400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden',
                    404: 'Not Found', 405: 'Method Not Allowed'}

_NOVA_FAULT_NAMES = {400: 'badRequest', 401: 'unauthorized', 403: 'forbidden',
                     404: 'itemNotFound', 405: 'badMethod', 409: 'conflictingRequest',
                     413: 'overLimit', 415: 'badMediaType', 429: 'overLimit',
                     501: 'notImplemented', 503: 'serviceUnavailable'}


def _keystone_error(status, message):
    return _Reply(status, {'error': {'code': status, 'message': message,
                                     'title': _KEYSTONE_TITLES.get(status, 'Error')}})


def _nova_error(status, message):
    name = _NOVA_FAULT_NAMES.get(status, 'computeFault')
    return _Reply(status, {name: {'code': status, 'message': message}})


def _glance_error(status, title, message):
    # glance renders webob exceptions as HTML-ish text.
    body = ('<html>\n <head>\n  <title>%d %s</title>\n </head>\n <body>\n'
            '  <h1>%d %s</h1>\n  %s<br /><br />\n\n\n\n </body>\n</html>'
            % (status, title, status, title, message))
    return _Reply(status, body, content_type='text/html; charset=UTF-8')


def _neutron_error(status, type_, message):
    return _Reply(status, {'NeutronError': {'type': type_, 'message': message, 'detail': ''}})


_UNAVAILABLE = ('<html><body><h1>503 Service Unavailable</h1>\n'
                'No server is available to handle this request.\n</body></html>\n')


# ----------------------------------------------------------------------------
# glance's image schema (glance/api/v2/images.py get_schema with the default
# etc/schema-image.json custom properties)
# ----------------------------------------------------------------------------

_UUID_PATTERN = ('^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}'
                 '-([0-9a-fA-F]){4}-([0-9a-fA-F]){12}$')
_CONTAINER_FORMATS = [None, 'ami', 'ari', 'aki', 'bare', 'ovf', 'ova', 'docker', 'compressed']
_DISK_FORMATS = [None, 'ami', 'ari', 'aki', 'vhd', 'vhdx', 'vmdk', 'raw', 'qcow2', 'vdi',
                 'iso', 'ploop']


def glance_image_schema():
    properties = {
        'id': {'type': 'string', 'description': 'An identifier for the image',
               'pattern': _UUID_PATTERN},
        'name': {'type': ['null', 'string'], 'description': 'Descriptive name for the image',
                 'maxLength': 255},
        'status': {'type': 'string', 'readOnly': True, 'description': 'Status of the image',
                   'enum': ['queued', 'saving', 'active', 'killed', 'deleted', 'uploading',
                            'importing', 'pending_delete', 'deactivated']},
        'visibility': {'type': 'string', 'description': 'Scope of image accessibility',
                       'enum': ['community', 'public', 'private', 'shared']},
        'protected': {'type': 'boolean',
                      'description': 'If true, image will not be deletable.'},
        'os_hidden': {'type': 'boolean', 'description': 'If true, image will not appear in '
                                                        'default image list response.'},
        'checksum': {'type': ['null', 'string'], 'readOnly': True,
                     'description': 'md5 hash of image contents.', 'maxLength': 32},
        'os_hash_algo': {'type': ['null', 'string'], 'readOnly': True,
                         'description': 'Algorithm to calculate the os_hash_value',
                         'maxLength': 64},
        'os_hash_value': {'type': ['null', 'string'], 'readOnly': True,
                          'description': 'Hexdigest of the image contents using the '
                                         'algorithm specified by the os_hash_algo',
                          'maxLength': 128},
        'owner': {'type': ['null', 'string'], 'description': 'Owner of the image',
                  'maxLength': 255},
        'size': {'type': ['null', 'integer'], 'readOnly': True,
                 'description': 'Size of image file in bytes'},
        'virtual_size': {'type': ['null', 'integer'], 'readOnly': True,
                         'description': 'Virtual size of image in bytes'},
        'container_format': {'type': ['null', 'string'],
                             'description': 'Format of the container',
                             'enum': _CONTAINER_FORMATS},
        'disk_format': {'type': ['null', 'string'], 'description': 'Format of the disk',
                        'enum': _DISK_FORMATS},
        'created_at': {'type': 'string', 'readOnly': True,
                       'description': 'Date and time of image registration'},
        'updated_at': {'type': 'string', 'readOnly': True,
                       'description': 'Date and time of the last image modification'},
        'tags': {'type': 'array', 'description': 'List of strings related to the image',
                 'items': {'type': 'string', 'maxLength': 255}},
        'direct_url': {'type': 'string', 'readOnly': True,
                       'description': 'URL to access the image file kept in external store'},
        'min_ram': {'type': 'integer',
                    'description': 'Amount of ram (in MB) required to boot image.'},
        'min_disk': {'type': 'integer',
                     'description': 'Amount of disk space (in GB) required to boot image.'},
        'self': {'type': 'string', 'readOnly': True, 'description': 'An image self url'},
        'file': {'type': 'string', 'readOnly': True, 'description': 'An image file url'},
        'stores': {'type': 'string', 'readOnly': True,
                   'description': 'Store in which image data resides.  Only present when '
                                  'the operator has enabled multiple stores.  May be a '
                                  'comma-separated list of store identifiers.'},
        'schema': {'type': 'string', 'readOnly': True, 'description': 'An image schema url'},
        'locations': {
            'type': 'array',
            'items': {
                'type': 'object',
                'properties': {
                    'url': {'type': 'string', 'maxLength': 255},
                    'metadata': {'type': 'object'},
                    'validation_data': {
                        'description': 'Values to be used to populate the corresponding '
                                       'image properties. If the image status is not '
                                       "'queued', values must exactly match those "
                                       'already contained in the image properties.',
                        'type': 'object', 'writeOnly': True, 'additionalProperties': False,
                        'properties': {
                            'checksum': {'type': 'string', 'minLength': 32, 'maxLength': 32},
                            'os_hash_algo': {'type': 'string', 'maxLength': 64},
                            'os_hash_value': {'type': 'string', 'maxLength': 128},
                        },
                        'required': ['os_hash_algo', 'os_hash_value'],
                    },
                },
                'required': ['url', 'metadata'],
            },
            'description': 'A set of URLs to access the image file kept in external store',
        },
        # etc/schema-image.json, merged with is_base False
        'kernel_id': {'type': ['null', 'string'], 'pattern': _UUID_PATTERN,
                      'description': 'ID of image stored in Glance that should be used as '
                                     'the kernel when booting an AMI-style image.',
                      'is_base': False},
        'ramdisk_id': {'type': ['null', 'string'], 'pattern': _UUID_PATTERN,
                       'description': 'ID of image stored in Glance that should be used as '
                                      'the ramdisk when booting an AMI-style image.',
                       'is_base': False},
        'instance_uuid': {'type': 'string',
                          'description': 'Metadata which can be used to record which '
                                         'instance this image is associated with. '
                                         '(Informational only, does not create an instance '
                                         'snapshot.)',
                          'is_base': False},
        'architecture': {'type': 'string',
                         'description': 'Operating system architecture as specified in '
                                        'https://docs.openstack.org/python-glanceclient/'
                                        'latest/cli/property-keys.html',
                         'is_base': False},
        'os_distro': {'type': 'string',
                      'description': 'Common name of operating system distribution as '
                                     'specified in https://docs.openstack.org/'
                                     'python-glanceclient/latest/cli/property-keys.html',
                      'is_base': False},
        'os_version': {'type': 'string',
                       'description': 'Operating system version as specified by the '
                                      'distributor.',
                       'is_base': False},
        'description': {'type': 'string', 'description': 'A human-readable string describing '
                                                         'this image.',
                        'is_base': False},
        'cinder_encryption_key_id': {'type': 'string',
                                     'description': 'Identifier in the OpenStack Key '
                                                    'Management Service for the encryption '
                                                    'key for the Block Storage Service to '
                                                    'use when mounting a volume created '
                                                    'from this image',
                                     'is_base': False},
        'cinder_encryption_key_deletion_policy': {
            'type': 'string', 'enum': ['on_image_deletion', 'do_not_delete'],
            'description': 'States the condition under which the Image Service will delete '
                           'the object associated with the cinder_encryption_key_id image '
                           'property.',
            'is_base': False},
    }
    return {
        'name': 'image',
        'properties': properties,
        'additionalProperties': {'type': 'string'},
        'links': [{'rel': 'self', 'href': '{self}'},
                  {'rel': 'enclosure', 'href': '{file}'},
                  {'rel': 'describedby', 'href': '{schema}'}],
    }


# Image attributes glance keeps itself (everything else is an extra property).
_GLANCE_BASE_ATTRS = ('name', 'disk_format', 'container_format', 'visibility', 'size',
                      'virtual_size', 'status', 'checksum', 'protected', 'min_ram',
                      'min_disk', 'owner', 'os_hidden', 'os_hash_algo', 'os_hash_value',
                      'tags', 'created_at', 'updated_at')


# ----------------------------------------------------------------------------
# nova states
# ----------------------------------------------------------------------------

_STATUS_TO_VM_STATE = {
    'ACTIVE': 'active', 'BUILD': 'building', 'SHUTOFF': 'stopped', 'ERROR': 'error',
    'PAUSED': 'paused', 'SUSPENDED': 'suspended', 'RESCUE': 'rescued',
    'VERIFY_RESIZE': 'resized', 'SOFT_DELETED': 'soft-delete', 'SHELVED': 'shelved',
    'SHELVED_OFFLOADED': 'shelved_offloaded', 'DELETED': 'deleted',
    # task-state statuses (vm_state active + a task)
    'REBOOT': 'active', 'HARD_REBOOT': 'active', 'PASSWORD': 'active', 'REBUILD': 'active',
    'MIGRATING': 'active', 'RESIZE': 'active', 'REVERT_RESIZE': 'resized',
}
_STATUS_TASK_STATE = {
    'REBOOT': 'rebooting', 'HARD_REBOOT': 'rebooting_hard', 'PASSWORD': 'updating_password',
    'REBUILD': 'rebuilding', 'MIGRATING': 'migrating', 'RESIZE': 'resize_prep',
    'REVERT_RESIZE': 'resize_reverting',
}
_POWER_STATE = {'active': 1, 'stopped': 4, 'paused': 3, 'suspended': 7, 'building': 0,
                'error': 0, 'shelved_offloaded': 4, 'shelved': 4, 'rescued': 1,
                'resized': 1, 'soft-delete': 4, 'deleted': 0}
_PROGRESS_STATUSES = ('ACTIVE', 'BUILD', 'REBUILD', 'RESIZE', 'VERIFY_RESIZE', 'MIGRATING')

_BOOL_TRUE = ('1', 't', 'true', 'on', 'y', 'yes')
_BOOL_FALSE = ('0', 'f', 'false', 'off', 'n', 'no')

_NOVA_SORT_KEYS = {
    'created_at': 'created_dt', 'updated_at': 'updated_dt', 'display_name': 'name',
    'hostname': 'hostname', 'uuid': 'id', 'id': 'seq', 'project_id': 'project_id',
    'user_id': 'user_id', 'vm_state': 'vm_state', 'image_ref': 'image_id',
    'host': 'host', 'node': 'host',
}

_SERVER_FIELDS = ('name', 'hostname', 'project_id', 'user_id', 'metadata', 'image_id',
                  'status', 'addresses', 'host', 'flavor', 'key_name',
                  'availability_zone', 'task_state', 'created', 'updated')


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    request_queue_size = 128    # the daemon runs 64 workers; socketserver's 5 drops SYNs

    def __init__(self, address, handler, emulator, ssl_context):
        self.emulator = emulator
        self.ssl_context = ssl_context
        self.connections = set()
        self.connections_lock = threading.Lock()
        super().__init__(address, handler)

    def finish_request(self, request, client_address):
        # The TLS handshake happens in the connection's own thread, so one
        # stuck client cannot block accept().
        request.settimeout(30)
        request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            tls = self.ssl_context.wrap_socket(request, server_side=True)
        except (OSError, ssl.SSLError):
            return
        with self.connections_lock:
            self.connections.add(tls)
        try:
            self.RequestHandlerClass(tls, client_address, self)
        except (OSError, ssl.SSLError):
            pass
        finally:
            with self.connections_lock:
                self.connections.discard(tls)
            try:
                tls.close()
            except OSError:
                pass

    def handle_error(self, request, client_address):
        pass

    def close_connections(self):
        with self.connections_lock:
            conns = list(self.connections)
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class _Handler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    server_version = 'Apache'
    sys_version = ''

    def log_message(self, *args):
        pass

    def _serve(self):
        self.server.emulator._serve(self)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _serve


class OpenStackEmulator:
    """keystone v3 + nova v2.1 + glance v2 + neutron v2.0 over one HTTPS port."""

    def __init__(self, ca=None, username='novajoin', password='Secret456',
                 project_name='service', user_domain='Default', project_domain='Default',
                 region='RegionOne', page_size=1000, port=0, token_ttl=3600,
                 nova_max_version='2.96'):
        self.ca = ca or shared_ca()
        # an older cloud: a lower maximum microversion (nova answers 406 above it)
        self.nova_max_version = tuple(int(x) for x in nova_max_version.split('.'))
        self.ca_path = self.ca.ca_path
        self.region = region
        self.page_size = page_size
        self.token_ttl = token_ttl
        self._requested_port = port
        self.port = None
        self.base_url = None
        self.auth_url = None
        self.down = set()
        self.latency = 0.0

        self._lock = threading.RLock()
        self._server = None
        self._thread = None

        # keystone
        self._domains = {DEFAULT_DOMAIN_ID: {'id': DEFAULT_DOMAIN_ID,
                                             'name': DEFAULT_DOMAIN_NAME}}
        self._projects = {}
        self._users = {}
        self._tokens = {}
        self._roles = [{'id': _hex(), 'name': 'admin'}, {'id': _hex(), 'name': 'member'},
                       {'id': _hex(), 'name': 'reader'}]
        user_domain_id = self._ensure_domain(user_domain)
        project_domain_id = self._ensure_domain(project_domain)
        self.project_id = _hex()
        self.add_project(self.project_id, project_name, domain_id=project_domain_id)
        self.user_id = _hex()
        self._users[self.user_id] = {'id': self.user_id, 'name': username,
                                     'domain_id': user_domain_id, 'password': password}
        self.username = username
        self.password = password
        self.project_name = project_name
        self.user_domain = user_domain
        self.project_domain = project_domain
        self._service_ids = {s: _hex() for s in SERVICES}
        self._endpoint_ids = {(s, i): _hex() for s in SERVICES
                              for i in ('public', 'internal', 'admin')}

        # nova / glance / neutron
        self._servers = {}        # id -> record, deleted ones kept (nova markers see them)
        self._server_seq = 0
        self._images = {}
        self._ports = {}
        self._floatingips = {}
        self.default_user_id = _hex()   # the user who "booted" servers
        self.default_network_id = str(uuid.uuid4())
        self.default_subnet_id = str(uuid.uuid4())
        self.default_security_group_id = str(uuid.uuid4())

        self.errors = []          # tracebacks of emulator bugs (answered 500)
        self.reset_stats()

    # ------------------------------------------------------------------ life

    def start(self):
        ctx = self.ca.server_context()
        self._server = _Server(('127.0.0.1', self._requested_port), _Handler, self, ctx)
        self.port = self._server.server_address[1]
        self._requested_port = self.port   # a restart keeps the port the catalog names
        self.base_url = 'https://localhost:%d' % self.port
        self.auth_url = self.base_url + '/identity/v3'
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={'poll_interval': 0.05},
                                        name='openstack-emulator-%d' % self.port, daemon=True)
        self._thread.start()
        return self

    def stop(self):
        if self._server is None:
            return
        self._server.shutdown()
        self._server.close_connections()
        self._server.server_close()
        self._thread.join(5)
        self._server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def url(self, service):
        """The catalog URL of a service."""
        return {'identity': self.base_url + '/identity',
                'compute': self.base_url + '/compute/v2.1',
                'image': self.base_url + '/image',
                'network': self.base_url + '/network'}[service]

    # ------------------------------------------------------------ test data

    def _ensure_domain(self, name_or_id):
        for d in self._domains.values():
            if name_or_id in (d['id'], d['name']):
                return d['id']
        did = _hex()
        self._domains[did] = {'id': did, 'name': name_or_id}
        return did

    def _find_domain(self, ref):
        """A keystone domain reference {'id'} or {'name'} -> domain id or None."""
        if not isinstance(ref, dict):
            return None
        with self._lock:
            if 'id' in ref:
                return ref['id'] if ref['id'] in self._domains else None
            for d in self._domains.values():
                if d['name'] == ref.get('name'):
                    return d['id']
        return None

    def add_project(self, project_id, name, domain_id='default'):
        with self._lock:
            if domain_id not in self._domains:
                self._domains[domain_id] = {'id': domain_id, 'name': domain_id}
            project = {'id': project_id, 'name': name, 'domain_id': domain_id,
                       'description': '', 'enabled': True, 'parent_id': domain_id,
                       'is_domain': False, 'tags': [], 'options': {}}
            self._projects[project_id] = project
            return dict(project)

    def add_server(self, server_id, hostname, project_id, name=None, metadata=None,
                   image_id=None, status='ACTIVE', addresses=None, **extra):
        unknown = set(extra) - set(_SERVER_FIELDS)
        if unknown:
            raise TypeError('unknown server fields: %s' % sorted(unknown))
        status = status.upper()
        if status not in _STATUS_TO_VM_STATE:
            raise ValueError('unknown nova status %r' % status)
        now = _now()
        with self._lock:
            self._server_seq += 1
            rec = {
                'id': server_id, 'seq': self._server_seq,
                'name': hostname if name is None else name,
                'hostname': hostname, 'project_id': project_id,
                'user_id': self.default_user_id,
                'metadata': dict(metadata or {}),
                'image_id': image_id or '',
                'status': status,
                'addresses': copy.deepcopy(addresses) if addresses is not None else {},
                'host': 'compute-0', 'flavor': 'm1.small', 'key_name': None,
                'availability_zone': 'nova', 'task_state': None,
                'created_dt': now, 'updated_dt': now, 'deleted': False,
                'reservation_id': 'r-' + secrets.token_hex(4),
            }
            for key, value in extra.items():
                self._set_field(rec, key, value)
            self._servers[server_id] = rec
            return self._public_server(rec)

    def _set_field(self, rec, key, value):
        if key == 'status':
            value = value.upper()
            if value not in _STATUS_TO_VM_STATE:
                raise ValueError('unknown nova status %r' % value)
        if key == 'created':
            rec['created_dt'] = value
        elif key == 'updated':
            rec['updated_dt'] = value
        elif key == 'image_id':
            rec['image_id'] = value or ''
        else:
            rec[key] = copy.deepcopy(value)

    def delete_server(self, server_id):
        with self._lock:
            rec = self._servers[server_id]
            if rec['deleted']:
                raise KeyError(server_id)
            rec['deleted'] = True
            rec['updated_dt'] = _now()

    def set_server(self, server_id, **fields):
        unknown = set(fields) - set(_SERVER_FIELDS)
        if unknown:
            raise TypeError('unknown server fields: %s' % sorted(unknown))
        with self._lock:
            rec = self._servers[server_id]
            if rec['deleted']:
                raise KeyError(server_id)
            for key, value in fields.items():
                self._set_field(rec, key, value)
            if 'updated' not in fields:
                rec['updated_dt'] = _now()
            return self._public_server(rec)

    def servers(self):
        with self._lock:
            return [self._public_server(r) for r in sorted(self._servers.values(),
                                                           key=lambda r: r['seq'])
                    if not r['deleted']]

    @staticmethod
    def _public_server(rec):
        out = {k: copy.deepcopy(v) for k, v in rec.items()
               if k not in ('seq', 'created_dt', 'updated_dt', 'deleted')}
        out['created'] = _iso(rec['created_dt'])
        out['updated'] = _iso(rec['updated_dt'])
        return out

    def add_image(self, image_id, name='img', **properties):
        now = _iso(_now())
        image = {
            'id': image_id, 'name': name, 'disk_format': 'qcow2', 'container_format': 'bare',
            'visibility': 'public', 'size': 21430272, 'virtual_size': 117440512,
            'status': 'active', 'checksum': hashlib.md5(image_id.encode()).hexdigest(),
            'protected': False, 'min_ram': 0, 'min_disk': 0, 'owner': self.project_id,
            'os_hidden': False, 'os_hash_algo': 'sha512',
            'os_hash_value': hashlib.sha512(image_id.encode()).hexdigest(),
            'tags': [], 'created_at': now, 'updated_at': now,
        }
        extra = {}
        for key, value in properties.items():
            if key in _GLANCE_BASE_ATTRS:
                image[key] = value
            elif key in ('id', 'self', 'file', 'schema', 'locations', 'direct_url', 'stores'):
                raise ValueError('%r is not an image property glance lets you set' % key)
            elif not isinstance(value, str):
                raise TypeError('glance keeps custom properties as strings: %s=%r'
                                % (key, value))
            else:
                extra[key] = value
        with self._lock:
            self._images[image_id] = {'attrs': image, 'extra': extra, 'deleted': False}
            return self._render_image(self._images[image_id])

    def delete_image(self, image_id):
        with self._lock:
            rec = self._images[image_id]
            if rec['deleted']:
                raise KeyError(image_id)
            rec['deleted'] = True

    def add_port(self, port_id, device_id, device_owner='compute:nova', fixed_ips=None,
                 network_id=None, project_id=None):
        now = _iso(_now())
        ips = []
        for ip in fixed_ips or []:
            if isinstance(ip, str):
                ip = {'subnet_id': self.default_subnet_id, 'ip_address': ip}
            ips.append(dict(ip))
        project_id = project_id or self.project_id
        mac = 'fa:16:3e:%02x:%02x:%02x' % tuple(secrets.token_bytes(3))
        port = {
            'id': port_id, 'name': '', 'network_id': network_id or self.default_network_id,
            'tenant_id': project_id, 'project_id': project_id, 'mac_address': mac,
            'admin_state_up': True, 'status': 'ACTIVE', 'device_id': device_id,
            'device_owner': device_owner, 'fixed_ips': ips, 'allowed_address_pairs': [],
            'extra_dhcp_opts': [], 'security_groups': [self.default_security_group_id],
            'description': '', 'binding:vnic_type': 'normal',
            'binding:host_id': 'compute-0', 'binding:profile': {},
            'binding:vif_type': 'ovs', 'binding:vif_details': {'port_filter': True},
            'port_security_enabled': True, 'dns_name': '', 'dns_assignment': [],
            'qos_policy_id': None, 'qos_network_policy_id': None, 'resource_request': None,
            'ip_allocation': 'immediate', 'tags': [], 'created_at': now, 'updated_at': now,
            'revision_number': 1,
        }
        with self._lock:
            self._ports[port_id] = port
            return copy.deepcopy(port)

    def add_floatingip(self, fip_id, floating_ip_address, port_id=None,
                       fixed_ip_address=None, project_id=None, port_details=True):
        """Create or replace (re-associate) a floating IP. ``port_details=False``:
        a neutron without the fip-port-details extension."""
        now = _iso(_now())
        project_id = project_id or self.project_id
        with self._lock:
            port = self._ports.get(port_id) if port_id else None
            if port is not None and fixed_ip_address is None and port['fixed_ips']:
                fixed_ip_address = port['fixed_ips'][0]['ip_address']
            fip = {
                'id': fip_id, 'floating_ip_address': floating_ip_address,
                'floating_network_id': str(uuid.uuid4()),
                'router_id': str(uuid.uuid4()) if port_id else None,
                'port_id': port_id, 'fixed_ip_address': fixed_ip_address,
                'status': 'ACTIVE' if port_id else 'DOWN',
                'tenant_id': project_id, 'project_id': project_id, 'description': '',
                'dns_domain': '', 'dns_name': '', 'qos_policy_id': None,
                'port_details': None, 'tags': [], 'created_at': now, 'updated_at': now,
                'revision_number': 0,
            }
            if port is not None and port_details:
                fip['port_details'] = {
                    'name': port['name'], 'network_id': port['network_id'],
                    'mac_address': port['mac_address'],
                    'admin_state_up': port['admin_state_up'], 'status': port['status'],
                    'device_id': port['device_id'], 'device_owner': port['device_owner']}
            self._floatingips[fip_id] = fip
            return copy.deepcopy(fip)

    def delete_floatingip(self, fip_id):
        with self._lock:
            self._floatingips.pop(fip_id, None)

    def expire_tokens(self):
        """Every token issued so far stops being valid; clients must authenticate again."""
        with self._lock:
            self._tokens.clear()

    def reset_stats(self):
        with self._lock:
            self.stats = {'requests': collections.Counter(), 'token_issues': 0,
                          'paths': collections.Counter()}
            self.request_log = []

    # ----------------------------------------------------------- dispatching

    def _serve(self, handler):
        method = handler.command
        split = urllib.parse.urlsplit(handler.path)
        path, query = split.path, split.query
        try:
            length = int(handler.headers.get('Content-Length') or 0)
        except ValueError:
            length = 0
        body = handler.rfile.read(length) if length > 0 else b''
        segments = path.strip('/').split('/')
        service = segments[0] if segments[0] in SERVICES else None

        with self._lock:
            self.stats['requests'][service or 'other'] += 1
            self.stats['paths'][(method, path)] += 1
            self.request_log.append((method, path, query))

        latency = self.latency
        if latency:
            time.sleep(latency)

        req = _Request(method, path, query, handler.headers, body)
        down = self.down
        try:
            if down is True or (service and not isinstance(down, bool) and down
                                and service in down):
                raise _Reply(503, _UNAVAILABLE, {'Cache-Control': 'no-cache'},
                             content_type='text/html')
            if service is None:
                raise _Reply(404, '404 Not Found\n\nThe resource could not be found.\n',
                             content_type='text/plain')
            getattr(self, '_' + service)(req, '/' + '/'.join(segments[1:]))
            raise _Reply(500, {'error': 'handler returned nothing'})
        except _Reply as reply:
            answer = reply
        except Exception:  # an emulator bug: say so loudly
            tb = traceback.format_exc()
            with self._lock:
                self.errors.append(tb)
            answer = _Reply(500, tb, content_type='text/plain')

        answer.headers.setdefault('x-openstack-request-id', 'req-' + str(uuid.uuid4()))
        payload = b'' if method == 'HEAD' else answer.body
        try:
            handler.send_response(answer.status)
            for key, value in answer.headers.items():
                if isinstance(value, list):
                    for v in value:
                        handler.send_header(key, v)
                else:
                    handler.send_header(key, value)
            handler.send_header('Content-Length', str(len(answer.body)))
            handler.end_headers()
            handler.wfile.write(payload)
        except (OSError, ssl.SSLError):
            handler.close_connection = True

    @staticmethod
    def _route(req, sub, routes, not_found):
        """routes: list of (regex, {method: callable(*groups)})."""
        for pattern, methods in routes:
            m = re.fullmatch(pattern, sub)
            if m:
                fn = methods.get('GET' if req.method == 'HEAD' else req.method)
                if fn is None:
                    raise not_found(405, sorted(methods))
                fn(*m.groups())
                return
        raise not_found(404, None)

    def _token(self, req, error):
        """The valid token record of the request or the 401 ``error(...)`` answer."""
        token = req.headers.get('X-Auth-Token')
        with self._lock:
            rec = self._tokens.get(token) if token else None
            if rec is not None and rec['expires'] <= _now():
                del self._tokens[token]
                rec = None
        if rec is None:
            raise error()
        return rec

    def _middleware_401(self):
        # keystonemiddleware's auth_token rejection, before the service sees the call
        return _Reply(401, {'error': {'code': 401, 'title': 'Unauthorized',
                                      'message': 'The request you have made requires '
                                                 'authentication.'}},
                      {'WWW-Authenticate': 'Keystone uri="%s"' % self.url('identity')})

    def _service_token(self, req):
        rec = self._token(req, self._middleware_401)
        if rec['project_id'] is None:
            # an unscoped token carries no roles: services refuse it
            raise self._middleware_401()
        return rec

    # -------------------------------------------------------------- keystone

    def _keystone_version(self):
        return {'id': KEYSTONE_VERSION, 'status': 'stable', 'updated': '2020-04-07T00:00:00Z',
                'links': [{'rel': 'self', 'href': self.base_url + '/identity/v3/'}],
                'media-types': [{'base': 'application/json',
                                 'type': 'application/vnd.openstack.identity-v3+json'}]}

    def _identity(self, req, sub):
        def not_found(status, allowed):
            if status == 405:
                return _Reply(405, {'error': {'code': 405, 'title': 'Method Not Allowed',
                                              'message': 'The method is not allowed for the '
                                                         'requested URL.'}},
                              {'Allow': ', '.join(allowed)})
            return _keystone_error(404, 'The resource could not be found.')

        def versions():
            raise _Reply(300, {'versions': {'values': [self._keystone_version()]}},
                         {'Vary': 'X-Auth-Token'})

        def version():
            raise _Reply(200, {'version': self._keystone_version()}, {'Vary': 'X-Auth-Token'})

        self._route(req, sub, [
            (r'/?', {'GET': versions}),
            (r'/v3/?', {'GET': version}),
            (r'/v3/auth/tokens', {'POST': lambda: self._issue_token(req),
                                  'GET': lambda: self._validate_token(req)}),
            (r'/v3/projects/?', {'GET': lambda: self._list_projects(req)}),
            (r'/v3/projects/([^/]+)', {'GET': lambda pid: self._show_project(req, pid)}),
        ], not_found)

    def _keystone_401(self):
        return _keystone_error(401, 'The request you have made requires authentication.')

    def _issue_token(self, req):
        body = req.json()
        try:
            auth = body['auth']
            identity = auth['identity']
            methods = identity['methods']
            if not isinstance(methods, list):
                raise TypeError
        except (TypeError, KeyError):
            raise _keystone_error(400, "Invalid input for field 'identity': 'identity' is a "
                                       "required property") from None
        if 'password' not in methods:
            raise self._keystone_401()
        user_ref = (identity.get('password') or {}).get('user') or {}
        with self._lock:
            user = None
            if 'id' in user_ref:
                user = self._users.get(user_ref['id'])
            elif 'name' in user_ref:
                if 'domain' not in user_ref:
                    raise _keystone_error(400, 'Expecting to find domain in user. The '
                                               'server could not comply with the request '
                                               'since it is either malformed or otherwise '
                                               'incorrect. The client is assumed to be in '
                                               'error.')
                domain_id = self._find_domain(user_ref['domain'])
                user = next((u for u in self._users.values()
                             if u['name'] == user_ref['name'] and u['domain_id'] == domain_id),
                            None)
            else:
                raise _keystone_error(400, "Invalid input for field 'identity/password/user': "
                                           "{} does not have enough properties")
            if user is None or user['password'] != user_ref.get('password'):
                raise self._keystone_401()

            scope = auth.get('scope')
            project = None
            if scope in (None, 'unscoped'):
                pass
            elif isinstance(scope, dict) and 'project' in scope:
                pref = scope['project'] or {}
                if 'id' in pref:
                    project = self._projects.get(pref['id'])
                elif 'name' in pref and 'domain' in pref:
                    domain_id = self._find_domain(pref['domain'])
                    project = next((p for p in self._projects.values()
                                    if p['name'] == pref['name']
                                    and p['domain_id'] == domain_id), None)
                else:
                    raise _keystone_error(400, 'Expecting to find domain in project. The '
                                               'server could not comply with the request '
                                               'since it is either malformed or otherwise '
                                               'incorrect. The client is assumed to be in '
                                               'error.')
                if project is None or project['id'] != self.project_id:
                    # the user has a role on its own project only
                    raise self._keystone_401()
            else:
                raise self._keystone_401()

            issued = _now()
            token = 'gAAAAAB' + secrets.token_urlsafe(135)
            rec = {'user_id': user['id'], 'project_id': project['id'] if project else None,
                   'issued': issued,
                   'expires': issued + datetime.timedelta(seconds=self.token_ttl),
                   'audit_id': secrets.token_urlsafe(16)[:22], 'methods': ['password']}
            self._tokens[token] = rec
            self.stats['token_issues'] += 1
            body = self._token_body(rec)
        raise _Reply(201, body, {'X-Subject-Token': token, 'Vary': 'X-Auth-Token'})

    def _token_body(self, rec):
        user = self._users[rec['user_id']]
        udom = self._domains[user['domain_id']]
        token = {
            'methods': rec['methods'],
            'user': {'domain': {'id': udom['id'], 'name': udom['name']},
                     'id': user['id'], 'name': user['name'], 'password_expires_at': None},
            'audit_ids': [rec['audit_id']],
            'expires_at': _iso(rec['expires'], subsecond=True),
            'issued_at': _iso(rec['issued'], subsecond=True),
        }
        if rec['project_id']:
            project = self._projects[rec['project_id']]
            pdom = self._domains[project['domain_id']]
            token['project'] = {'domain': {'id': pdom['id'], 'name': pdom['name']},
                                'id': project['id'], 'name': project['name']}
            token['is_domain'] = False
            token['roles'] = [dict(r) for r in self._roles]
            token['catalog'] = self._catalog()
        return {'token': token}

    def _catalog(self):
        names = {'identity': 'keystone', 'compute': 'nova', 'image': 'glance',
                 'network': 'neutron'}
        catalog = []
        for service in SERVICES:
            catalog.append({
                'endpoints': [{'id': self._endpoint_ids[(service, iface)],
                               'interface': iface, 'region_id': self.region,
                               'url': self.url(service), 'region': self.region}
                              for iface in ('public', 'internal', 'admin')],
                'id': self._service_ids[service], 'type': service, 'name': names[service],
            })
        return catalog

    def _validate_token(self, req):
        self._token(req, self._keystone_401)
        subject = req.headers.get('X-Subject-Token')
        with self._lock:
            rec = self._tokens.get(subject) if subject else None
            if rec is None or rec['expires'] <= _now():
                raise _keystone_error(404, 'Could not find token: %s.' % subject)
            body = self._token_body(rec)
        raise _Reply(200, body, {'X-Subject-Token': subject, 'Vary': 'X-Auth-Token'})

    def _render_project(self, project):
        out = dict(project)
        out['links'] = {'self': '%s/identity/v3/projects/%s' % (self.base_url, project['id'])}
        return out

    def _show_project(self, req, project_id):
        self._token(req, self._keystone_401)
        with self._lock:
            project = self._projects.get(project_id)
            if project is None:
                raise _keystone_error(404, 'Could not find project: %s.' % project_id)
            raise _Reply(200, {'project': self._render_project(project)},
                         {'Vary': 'X-Auth-Token'})

    def _list_projects(self, req):
        self._token(req, self._keystone_401)
        with self._lock:
            projects = [self._render_project(p) for p in self._projects.values()
                        if all(p.get(k) == req.param(k) for k in ('name', 'domain_id')
                               if req.param(k) is not None)]
        raise _Reply(200, {'projects': projects,
                           'links': {'self': self.base_url + '/identity/v3/projects',
                                     'previous': None, 'next': None}},
                     {'Vary': 'X-Auth-Token'})

    # ------------------------------------------------------------------ nova

    def _nova_versions(self):
        return [
            {'id': 'v2.0', 'status': 'SUPPORTED', 'version': '', 'min_version': '',
             'updated': '2011-01-21T11:33:21Z',
             'links': [{'rel': 'self', 'href': self.base_url + '/compute/v2/'}]},
            {'id': 'v2.1', 'status': 'CURRENT', 'version': '%d.%d' % self.nova_max_version,
             'min_version': '%d.%d' % NOVA_MIN_VERSION, 'updated': '2013-07-23T11:33:21Z',
             'links': [{'rel': 'self', 'href': self.base_url + '/compute/v2.1/'}]},
        ]

    def _nova_version_doc(self, vid):
        version = dict(next(v for v in self._nova_versions() if v['id'] == vid))
        version['links'] = version['links'] + [
            {'rel': 'describedby', 'type': 'text/html', 'href': 'http://docs.openstack.org/'}]
        suffix = '' if vid == 'v2.0' else ';version=2.1'
        version['media-types'] = [{'base': 'application/json',
                                   'type': 'application/vnd.openstack.compute+json' + suffix}]
        return {'version': version}

    def _parse_microversion(self, headers):
        """As microversion_parse.get_version + nova's APIVersionRequest:
        returns (major, minor), or raises ('bad', text) / ('range', (maj, min))."""
        value = None
        for raw in headers.get_all('OpenStack-API-Version') or []:
            for item in raw.split(','):
                parts = item.strip().split(None, 1)
                if len(parts) == 2 and parts[0].lower() == 'compute':
                    value = parts[1].strip()
        if value is None:
            legacy = headers.get_all('X-OpenStack-Nova-API-Version') or []
            if legacy:
                value = legacy[-1].strip()
        if value is None:
            return NOVA_MIN_VERSION
        if value == 'latest':
            return self.nova_max_version
        m = re.fullmatch(r'([1-9]\d*)\.([1-9]\d*|0)', value)
        if not m:
            raise ValueError(value)
        return int(m.group(1)), int(m.group(2))

    def _compute(self, req, sub):
        def not_found(status, allowed):
            if status == 405:
                return _nova_error(405, 'The method is not allowed for the requested URL.')
            return _nova_error(404, 'The resource could not be found.')

        if sub in ('/', ''):
            raise _Reply(200, {'versions': self._nova_versions()})
        if sub == '/v2.1':      # oscomputeversion_v2: no auth in nova's paste pipeline
            raise _Reply(200, self._nova_version_doc('v2.1'))
        if sub == '/v2':
            raise _Reply(200, self._nova_version_doc('v2.0'))
        if not sub.startswith('/v2.1/'):
            raise not_found(404, None)

        token = self._service_token(req)  # keystonemiddleware runs before nova's wsgi
        try:
            version = self._parse_microversion(req.headers)
        except ValueError as exc:
            raise _nova_error(400, 'API Version String %s is of invalid format. Must be of '
                                   'format MajorNum.MinorNum.' % exc.args[0]) from None
        vstr = '%d.%d' % version
        vheaders = {'OpenStack-API-Version': 'compute ' + vstr,
                    'X-OpenStack-Nova-API-Version': vstr,
                    'Vary': 'OpenStack-API-Version, X-OpenStack-Nova-API-Version'}
        try:
            if not NOVA_MIN_VERSION <= version <= self.nova_max_version:
                raise _nova_error(406, 'Version %s is not supported by the API. Minimum is '
                                       '%d.%d and maximum is %d.%d.'
                                  % ((vstr,) + NOVA_MIN_VERSION + self.nova_max_version))
            rest = sub[len('/v2.1'):]
            if rest == '/':
                raise _Reply(200, self._nova_version_doc('v2.1'))
            self._route(req, rest, [
                (r'/servers',
                 {'GET': lambda: self._list_servers(req, token, version, False)}),
                (r'/servers/detail',
                 {'GET': lambda: self._list_servers(req, token, version, True)}),
                (r'/servers/([^/]+)',
                 {'GET': lambda sid: self._show_server(req, version, sid)}),
            ], not_found)
        except _Reply as reply:
            reply.headers.update(vheaders)
            raise

    def _server_view(self, rec, version, detail=True):
        link_base = self.base_url + '/compute/v2.1'
        bookmark_base = self.base_url + '/compute'
        links = [{'rel': 'self', 'href': '%s/servers/%s' % (link_base, rec['id'])},
                 {'rel': 'bookmark', 'href': '%s/servers/%s' % (bookmark_base, rec['id'])}]
        if not detail:
            return {'id': rec['id'], 'name': rec['name'], 'links': links}
        vm_state = _STATUS_TO_VM_STATE[rec['status']]
        if rec['image_id']:
            image = {'id': rec['image_id'],
                     'links': [{'rel': 'bookmark',
                                'href': '%s/images/%s' % (bookmark_base, rec['image_id'])}]}
        else:
            image = ''
        if version >= (2, 47):
            flavor = {'vcpus': 1, 'ram': 2048, 'disk': 20, 'ephemeral': 0, 'swap': 0,
                      'original_name': rec['flavor'], 'extra_specs': {}}
        else:
            flavor = {'id': '2', 'links': [{'rel': 'bookmark',
                                            'href': bookmark_base + '/flavors/2'}]}
        host = rec['host']
        server = {
            'id': rec['id'], 'name': rec['name'], 'status': rec['status'],
            'tenant_id': rec['project_id'], 'user_id': rec['user_id'],
            'metadata': copy.deepcopy(rec['metadata']),
            'hostId': (hashlib.sha224((rec['project_id'] + host).encode()).hexdigest()
                       if host else ''),
            'image': image, 'flavor': flavor,
            'created': _iso(rec['created_dt']), 'updated': _iso(rec['updated_dt']),
            'addresses': copy.deepcopy(rec['addresses']),
            'accessIPv4': '', 'accessIPv6': '', 'links': links,
            'OS-DCF:diskConfig': 'MANUAL',
            'OS-EXT-AZ:availability_zone': rec['availability_zone'],
            'config_drive': '', 'key_name': rec['key_name'],
            'OS-SRV-USG:launched_at': (_iso(rec['created_dt']).replace('Z', '.000000')
                                       if vm_state != 'building' else None),
            'OS-SRV-USG:terminated_at': None,
            'OS-EXT-SRV-ATTR:host': host,
            'OS-EXT-SRV-ATTR:instance_name': 'instance-%08x' % rec['seq'],
            'OS-EXT-SRV-ATTR:hypervisor_hostname': host,
            'OS-EXT-STS:task_state': rec['task_state'] or _STATUS_TASK_STATE.get(rec['status']),
            'OS-EXT-STS:vm_state': vm_state,
            'OS-EXT-STS:power_state': _POWER_STATE.get(vm_state, 0),
            'os-extended-volumes:volumes_attached': [],
            'security_groups': [{'name': 'default'}],
        }
        if rec['status'] in _PROGRESS_STATUSES:
            server['progress'] = 0
        if version >= (2, 3):
            server.update({
                'OS-EXT-SRV-ATTR:reservation_id': rec['reservation_id'],
                'OS-EXT-SRV-ATTR:launch_index': 0,
                'OS-EXT-SRV-ATTR:hostname': rec['hostname'],
                'OS-EXT-SRV-ATTR:kernel_id': '', 'OS-EXT-SRV-ATTR:ramdisk_id': '',
                'OS-EXT-SRV-ATTR:root_device_name': '/dev/vda',
                'OS-EXT-SRV-ATTR:user_data': None,
            })
        if version >= (2, 9):
            server['locked'] = False
        if version >= (2, 16):
            server['host_status'] = 'UP' if host else ''
        if version >= (2, 19):
            server['description'] = None
        if version >= (2, 26):
            server['tags'] = []
        if version >= (2, 63):
            server['trusted_image_certificates'] = None
        if version >= (2, 73):
            server['locked_reason'] = None
        if version >= (2, 96):
            server['pinned_availability_zone'] = None
        return server

    def _show_server(self, req, version, server_id):
        with self._lock:
            rec = self._servers.get(server_id)
            if rec is None or rec['deleted']:
                raise _nova_error(404, 'Instance %s could not be found.' % server_id)
            raise _Reply(200, {'server': self._server_view(rec, version)})

    def _list_servers(self, req, token, version, detail):
        q = req.query
        bad = lambda msg: _nova_error(400, msg)  # noqa: E731

        # all_tenants, as nova.api.openstack.common.is_all_tenants
        raw = req.param('all_tenants')
        if raw:
            if raw.strip().lower() in _BOOL_TRUE:
                all_tenants = True
            elif raw.strip().lower() in _BOOL_FALSE:
                all_tenants = False
            else:
                raise bad("Invalid input received: Unrecognized value '%s', acceptable values "
                          "are: '0', '1', 'f', 'false', 'n', 'no', 'off', 'on', 't', 'true', "
                          "'y', 'yes'" % raw)
        else:
            all_tenants = 'all_tenants' in q

        # without all_tenants nova drops tenant_id and forces the token's project
        if all_tenants:
            projects = [req.param(k) for k in ('tenant_id', 'project_id') if k in q]
        else:
            projects = [token['project_id']]

        # paging
        limit = self.page_size
        if 'limit' in q:
            try:
                requested = int(req.param('limit'))
            except ValueError:
                raise bad('limit param must be an integer') from None
            if requested < 0:
                raise bad('limit param must be positive')
            limit = min(limit, requested)
        marker = req.param('marker') if 'marker' in q else None

        # status
        statuses = None
        if 'status' in q:
            statuses = {s.upper() for s in q['status']}
            if not statuses & set(_STATUS_TO_VM_STATE):
                if version >= (2, 38):
                    raise bad('Invalid status value')
                raise _Reply(200, {'servers': []})
            # nova filters on vm_state, and on task_state only when no requested
            # status is a plain ("default" task) one: ACTIVE also lists rebooting servers
            known = statuses & set(_STATUS_TO_VM_STATE)
            vm_states = {_STATUS_TO_VM_STATE[s] for s in known}
            task_states = None
            if all(s in _STATUS_TASK_STATE for s in known):
                task_states = {_STATUS_TASK_STATE[s] for s in known}
        regexes = {}
        for param, field in (('name', 'name'), ('hostname', 'hostname')):
            if param in q:
                try:
                    regexes[field] = re.compile(req.param(param))
                except re.error:
                    raise _nova_error(500, 'Unexpected API Error. Please report this at '
                                           'http://bugs.launchpad.net/nova/ and attach the Nova '
                                           "API log if possible.\n<class 'oslo_db.exception."
                                           "DBError'>") from None

        # sorting, as nova: default created_at desc, then id as tie-breaker
        sort_keys = [k.strip() for k in q.get('sort_key', [])] or ['created_at']
        sort_dirs = [d.strip().lower() for d in q.get('sort_dir', [])] or ['desc']
        for k in sort_keys:
            if k not in _NOVA_SORT_KEYS:
                raise bad("Invalid input for query parameters sort_key. Value: %s." % k)
        for d in sort_dirs:
            if d not in ('asc', 'desc'):
                raise bad("Invalid input for query parameters sort_dir. Value: %s." % d)
        if len(sort_dirs) not in (1, len(sort_keys)):
            raise bad('Sort direction size exceeds sort key size')
        if len(sort_dirs) == 1:
            sort_dirs = sort_dirs * len(sort_keys)
        for extra in ('created_at', 'id'):
            if extra not in sort_keys:
                sort_keys.append(extra)
                sort_dirs.append(sort_dirs[0])
        order = [(_NOVA_SORT_KEYS[k], d) for k, d in zip(sort_keys, sort_dirs)]

        def cmp(a, b):
            for field, direction in order:
                va, vb = a.get(field), b.get(field)
                if va == vb:
                    continue
                if va is None or vb is None:
                    less = va is None
                else:
                    less = va < vb
                result = -1 if less else 1
                return result if direction == 'asc' else -result
            return 0

        with self._lock:
            found = []
            for rec in self._servers.values():
                if rec['deleted']:
                    continue
                if any(rec['project_id'] != p for p in projects):
                    continue
                if statuses is not None:
                    if _STATUS_TO_VM_STATE[rec['status']] not in vm_states:
                        continue
                    task = rec['task_state'] or _STATUS_TASK_STATE.get(rec['status'])
                    if task_states is not None and task not in task_states:
                        continue
                if any(not rx.search(str(rec[field])) for field, rx in regexes.items()):
                    continue
                found.append(rec)
            found.sort(key=functools.cmp_to_key(cmp))
            if marker is not None:
                marker_rec = self._servers.get(marker)   # deleted ones too (read_deleted)
                if marker_rec is None:
                    raise bad('marker [%s] not found' % marker)
                found = [r for r in found if cmp(r, marker_rec) > 0]
            page = found[:limit]
            servers = [self._server_view(r, version, detail) for r in page]

        body = {'servers': servers}
        max_items = min(int(req.param('limit', self.page_size)), self.page_size)
        if max_items and max_items == len(servers):
            params = collections.OrderedDict(sorted((k, v[-1]) for k, v in q.items()))
            params['marker'] = servers[-1]['id']
            collection = 'servers/detail' if detail else 'servers'
            body['servers_links'] = [{
                'rel': 'next',
                'href': '%s/compute/v2.1/%s?%s' % (self.base_url, collection,
                                                   urllib.parse.urlencode(params))}]
        raise _Reply(200, body)

    # ---------------------------------------------------------------- glance

    def _glance_versions(self):
        statuses = ['CURRENT'] + ['SUPPORTED'] * (len(GLANCE_VERSIONS) - 1)
        return {'versions': [{'id': 'v' + v, 'status': s,
                              'links': [{'rel': 'self', 'href': self.base_url + '/image/v2/'}]}
                             for v, s in zip(GLANCE_VERSIONS, statuses)]}

    def _render_image(self, rec):
        image = dict(rec['extra'])
        image.update(copy.deepcopy(rec['attrs']))
        iid = image['id']
        image['self'] = '/v2/images/%s' % iid
        image['file'] = '/v2/images/%s/file' % iid
        image['schema'] = '/v2/schemas/image'
        return image

    def _image(self, req, sub):
        def not_found(status, allowed):
            if status == 405:
                return _glance_error(405, 'Method Not Allowed',
                                     'The method is not allowed for this resource.')
            return _glance_error(404, 'Not Found', 'The resource could not be found.')

        if sub in ('/', ''):
            raise _Reply(300, self._glance_versions())
        if sub == '/versions':
            raise _Reply(200, self._glance_versions())
        if not sub.startswith('/v2/'):
            raise not_found(404, None)
        self._service_token(req)

        def schema():
            raise _Reply(200, glance_image_schema())

        def show(image_id):
            with self._lock:
                rec = self._images.get(image_id)
                if rec is None or rec['deleted']:
                    raise _glance_error(404, 'Not Found', 'No image found with ID %s'
                                        % image_id)
                raise _Reply(200, self._render_image(rec))

        self._route(req, sub[len('/v2'):], [
            (r'/schemas/image', {'GET': schema}),
            (r'/images/([^/]+)', {'GET': show}),
        ], not_found)

    # --------------------------------------------------------------- neutron

    _PORT_FILTERS = ('id', 'name', 'network_id', 'tenant_id', 'project_id', 'mac_address',
                     'admin_state_up', 'status', 'device_id', 'device_owner', 'description',
                     'binding:host_id', 'binding:vnic_type', 'ip_allocation', 'fixed_ips')
    _FIP_FILTERS = ('id', 'floating_ip_address', 'floating_network_id', 'router_id', 'port_id',
                    'fixed_ip_address', 'status', 'tenant_id', 'project_id', 'description')
    _PAGING = ('fields', 'limit', 'marker', 'sort_key', 'sort_dir', 'page_reverse')

    def _network(self, req, sub):
        def not_found(status, allowed):
            if status == 405:
                return _neutron_error(405, 'HTTPMethodNotAllowed',
                                      'The method is not allowed for this resource.')
            return _neutron_error(404, 'HTTPNotFound', 'The resource could not be found.')

        if sub in ('/', ''):
            raise _Reply(200, {'versions': [{
                'id': 'v2.0', 'status': 'CURRENT',
                'links': [{'href': self.base_url + '/network/v2.0/', 'rel': 'self'}]}]})
        if not (sub == '/v2.0' or sub.startswith('/v2.0/')):
            raise not_found(404, None)
        self._service_token(req)
        rest = sub[len('/v2.0'):]

        def resources():
            base = self.base_url + '/network/v2.0/'
            raise _Reply(200, {'resources': [
                {'links': [{'href': base + c, 'rel': 'self'}], 'name': n, 'collection': c}
                for n, c in (('port', 'ports'), ('floatingip', 'floatingips'))]})

        def show(store, singular, type_, label, item_id):
            with self._lock:
                item = store.get(item_id)
                if item is None:
                    raise _neutron_error(404, type_, '%s %s could not be found.'
                                         % (label, item_id))
                raise _Reply(200, {singular: self._fields(req, item)})

        def index(store, plural, allowed):
            for key in req.query:
                if key not in allowed and key not in self._PAGING:
                    raise _neutron_error(400, 'HTTPBadRequest',
                                         "['%s'] is invalid attribute for filtering" % key)
            with self._lock:
                items = []
                for item in store.values():
                    ok = True
                    for key, values in req.query.items():
                        if key in self._PAGING:
                            continue
                        if key == 'fixed_ips':
                            ok = all(self._fixed_ip_match(item['fixed_ips'], v) for v in values)
                        else:
                            ok = str(item.get(key)) in values or (
                                isinstance(item.get(key), bool)
                                and str(item.get(key)).lower() in [v.lower() for v in values])
                        if not ok:
                            break
                    if ok:
                        items.append(self._fields(req, item))
                raise _Reply(200, {plural: items})

        self._route(req, rest, [
            (r'/?', {'GET': resources}),
            (r'/ports', {'GET': lambda: index(self._ports, 'ports', self._PORT_FILTERS)}),
            (r'/ports/([^/]+)', {'GET': lambda i: show(self._ports, 'port', 'PortNotFound',
                                                       'Port', i)}),
            (r'/floatingips', {'GET': lambda: index(self._floatingips, 'floatingips',
                                                    self._FIP_FILTERS)}),
            (r'/floatingips/([^/]+)', {'GET': lambda i: show(
                self._floatingips, 'floatingip', 'FloatingIPNotFound', 'Floating IP', i)}),
        ], not_found)

    @staticmethod
    def _fixed_ip_match(fixed_ips, value):
        # neutron's fixed_ips filter: "ip_address=10.0.0.5" / "subnet_id=..."
        key, _, wanted = value.partition('=')
        return any(ip.get(key) == wanted for ip in fixed_ips)

    @staticmethod
    def _fields(req, item):
        fields = req.query.get('fields')
        if not fields:
            return copy.deepcopy(item)
        return {k: copy.deepcopy(v) for k, v in item.items() if k in fields}
