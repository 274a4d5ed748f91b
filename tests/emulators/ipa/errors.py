"""IPA errors and messages (ipalib/errors.py, ipalib/messages.py), versions and
small value helpers shared by every module."""




IPA_VERSION = '4.12.2'


API_VERSION = '2.254'


VERSION_WITHOUT_CAPABILITIES = '2.51'


LDAP_GENERALIZED_TIME_FORMAT = '%Y%m%d%H%M%SZ'
CAPABILITIES = {
    'messages': '2.52',
    'primary_key_types': '2.83',
    'datetime_values': '2.84',
    'dns_name_values': '2.88',
}


# ipamaxhostnamelength default and the default search size limit
MAX_HOSTNAME_LENGTH = 64


SEARCH_RECORDS_LIMIT = 100
# 389-ds nsslapd-sizelimit as IPA's 10-config.update sets it
SERVER_SIZE_LIMIT = 100000


class IPAError(Exception):
    """A PublicError as the server would send it."""

    def __init__(self, code, name, message, data=None):
        super().__init__(message)
        self.code = code
        self.name = name
        self.message = message
        self.data = dict(data or {})

    def to_dict(self):
        return {'code': self.code, 'message': self.message, 'data': self.data,
                'name': self.name}


_ERRORS = {
    'VersionError': (901, "%(cver)s client incompatible with %(sver)s server at '%(server)s'"),
    'InternalError': (903, 'an internal error has occurred'),
    'CommandError': (905, "unknown command '%(name)s'"),
    'JSONError': (909, 'Invalid JSON-RPC request: %(error)s'),
    'RefererError': (911, 'Missing or invalid HTTP Referer, %(referer)s'),
    'ACIError': (2100, 'Insufficient access: %(info)s'),
    'ZeroArgumentError': (3003, "command '%(name)s' takes no arguments"),
    'MaxArgumentError': (3004, None),
    'OptionError': (3005, None),
    'OverlapError': (3006, 'overlapping arguments and options: %(names)s'),
    'RequirementError': (3007, "'%(name)s' is required"),
    'ConversionError': (3008, "invalid '%(name)s': %(error)s"),
    'ValidationError': (3009, "invalid '%(name)s': %(error)s"),
    'NotFound': (4001, '%(reason)s'),
    'DuplicateEntry': (4002, 'This entry already exists'),
    'HostService': (4003, 'You must enroll a host in order to create a host service'),
    'RealmMismatch': (
        4005, 'The realm for the principal does not match the realm for this IPA server'),
    'NotGroupMember': (4012, 'This entry is not a member'),
    'SameGroupError': (4017, 'A group may not be added as a member of itself'),
    'AlreadyGroupMember': (4014, 'This entry is already a member'),
    'DNSNotARecordError': (
        4019, "Host '%(hostname)s' does not have corresponding DNS A/AAAA record"),
    'AttrValueNotFound': (4026, "%(attr)s does not contain '%(value)s'"),
    'SingleMatchExpected': (
        4027, 'The search criteria was not specific enough. Expected 1 and found %(found)d.'),
    'EmptyModlist': (4202, 'no modifications to be performed'),
    'NonFatalError': (4304, '%(reason)s'),
    'LastMemberError': (4308, '%(key)s cannot be deleted or disabled because it is the last '
                              'member of %(label)s %(container)s'),
}


def _err(_cls, message=None, **kw):
    code, fmt = _ERRORS[_cls]
    if message is None:
        if _cls == 'MaxArgumentError':
            fmt = ("command '%(name)s' takes at most %(count)d argument" if kw['count'] == 1
                   else "command '%(name)s' takes at most %(count)d arguments")
        message = fmt % kw
    return IPAError(code, _cls, message, kw)


def _not_found(pkey, oname):
    return _err('NotFound', reason=f'{pkey}: {oname} not found')


def _message(code, name, text, **kw):
    return {'type': 'warning', 'name': name, 'message': text, 'code': code, 'data': kw}


def _api_version(text):
    major, dot, minor = str(text).partition('.')
    return (int(major), int(minor) if dot else 0)


def _has_capability(version, capability):
    try:
        return _api_version(version) >= _api_version(CAPABILITIES[capability])
    except ValueError:
        return False


class DNSName(str):
    """A DNS name in a result; JSON-encoded according to the client's API version."""


class CallRecord(tuple):
    """(method, args, options) as received; ``in_batch`` marks batch sub-calls."""

    def __new__(cls, method, args, options, in_batch=False):
        record = super().__new__(cls, (method, args, options))
        record.in_batch = in_batch
        return record

    method = property(lambda self: self[0])
    args = property(lambda self: self[1])
    options = property(lambda self: self[2])

    def __repr__(self):
        return f'CallRecord({self[0]!r}, {self[1]!r}, {self[2]!r}, in_batch={self.in_batch})'


def _pkey_to_unicode(key):
    if key is None:
        return ''
    if isinstance(key, (list, tuple)):
        return ','.join(str(k) for k in key)
    return str(key)


def _pkey_to_value(key, version):
    if _has_capability(version, 'primary_key_types'):
        return list(key) if isinstance(key, tuple) else key
    return _pkey_to_unicode(key)


