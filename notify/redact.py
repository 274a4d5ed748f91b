"""Keep secrets out of logs and dump output."""

import re

from oslo_utils import strutils

_URL_CREDENTIALS = re.compile(r'(?P<scheme>[a-z][a-z0-9+.-]*://)(?P<user>[^:/@\s]*):[^@/\s]*@',
                              re.IGNORECASE)


def redact(value):
    """A copy of ``value`` with secret-looking keys masked (oslo.utils' list:
    auth_token, token, password, secret, ...) and URL passwords hidden."""
    if isinstance(value, dict):
        masked = strutils.mask_dict_password(value)
        return {k: redact(v) for k, v in masked.items()}
    if isinstance(value, list):
        return [redact(v) for v in value]
    if isinstance(value, str):
        return _URL_CREDENTIALS.sub(r'\g<scheme>\g<user>:***@', strutils.mask_password(value))
    return value
