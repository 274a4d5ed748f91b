"""The batch command (ipaserver/plugins/batch.py) and the small misc commands."""

import time
import traceback

from .errors import API_VERSION, CallRecord, IPAError, IPA_VERSION, _err
from .transport import _REQUEST


def _sub_args(request):
    params = request.get('params') if isinstance(request, dict) else None
    if isinstance(params, (list, tuple)) and params:
        return params[0]
    return []


def _sub_options(request):
    params = request.get('params') if isinstance(request, dict) else None
    if isinstance(params, (list, tuple)) and len(params) > 1:
        return params[1]
    return {}


class BatchMixin:
    def _ping(self, p, ctx):
        return {'summary': f'IPA server version {IPA_VERSION}. API version {API_VERSION}'}

    def _session_logout(self, p, ctx):
        # the session of the current request is dropped by the HTTP layer
        token = getattr(_REQUEST, 'token', None)
        if token:
            self._sessions.pop(token, None)
        return {'result': None}

    def _batch(self, p, ctx):
        results = []
        keeponly = p.get('keeponly')
        for request in p.get('methods') or ():
            name = None
            try:
                if not isinstance(request, dict) or 'method' not in request:
                    raise _err('RequirementError', name='method')
                if 'params' not in request:
                    raise _err('RequirementError', name='params')
                name = request['method']
                with self._lock:
                    self.stats['batch_calls'][str(name)] += 1
                    self.call_log.append(CallRecord(name, _sub_args(request),
                                                    _sub_options(request), in_batch=True))
                if not isinstance(name, str) or name not in self._commands:
                    raise _err('CommandError', name=name)
                try:
                    sub_args, sub_kw = request['params']
                    sub_kw = {str(k): v for k, v in sub_kw.items()}
                    sub_args = list(sub_args)
                    self._commands[name].args_options_2_params(sub_args, sub_kw)
                except (AttributeError, ValueError, TypeError):
                    raise _err('ConversionError', name='params',
                               error='must contain a tuple (list, dict)') from None
                except IPAError as exc:
                    raise _err('ConversionError', name='params', error=exc.message) from None
                sub_kw.setdefault('version', p['version'])
                if self.entry_latency:
                    # batch runs its entries one after another
                    time.sleep(self.entry_latency)
                result = self._execute(name, sub_args, sub_kw)
                result['error'] = None
                if keeponly is not None and isinstance(result.get('result'), dict):
                    result['result'] = {k: v for k, v in result['result'].items()
                                        if k in keeponly}
            except IPAError as exc:
                result = {'error': exc.message, 'error_code': exc.code,
                          'error_name': exc.name, 'error_kw': exc.data}
            except Exception:
                self.internal_errors.append(traceback.format_exc())
                traceback.print_exc()
                exc = _err('InternalError')
                result = {'error': exc.message, 'error_code': exc.code,
                          'error_name': exc.name, 'error_kw': exc.data}
            results.append(result)
        return {'count': len(results), 'results': results}

