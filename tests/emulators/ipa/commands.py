"""The command table, argument/option parsing and the execution pipeline
(ipalib/frontend.py Command.args_options_2_params, version checks, summaries)."""

from .dnstypes import (
    DNS_CLASSES, EXTRA_PARAMS, PART_PARAMS, RAW_RECORD_PARAMS, ZONE_OPTION_PARAMS,
    _record_name_arg, _reverse_zone_for_network, _zone_arg, _zone_key)
from .errors import API_VERSION, _api_version, _err, _has_capability, _message, _pkey_to_unicode
from .faults import LATE_ACCESS_CHECK
from .hosts import HOST_ATTR_PARAMS, HOST_MEMBER_FILTERS, _fqdn
from .params import (
    AUTH_INDICATORS, PAC_TYPES, Bool, Flag, Int, M, Param, S, _attr_pair_rule,
    _hostname_length_rule, _hostname_rule, _ipaddr_rule, _normalize_hostname)


class Command:
    def __init__(self, name, args, options, output, handler, summary=None,
                 plural_summary=None):
        self.name = name
        self.args = list(args)
        self.options = list(options) + [S('version')]
        self.params = {}
        for param in self.args + self.options:
            self.params.setdefault(param.name, param)
        self.output = output
        self.handler = handler
        self.summary = summary
        self.plural_summary = plural_summary
        if self.args and self.args[-1].multi:
            self.max_args = None
        else:
            self.max_args = len(self.args)

    def args_options_2_params(self, args, options):
        """frontend.Command.args_options_2_params: arity, unknown options, overlap."""
        if self.max_args is not None and len(args) > self.max_args:
            if self.max_args == 0:
                raise _err('ZeroArgumentError', name=self.name)
            raise _err('MaxArgumentError', name=self.name, count=self.max_args)
        options = dict(options)
        params = {}
        for name in self.params:
            if name in options:
                params[name] = options.pop(name)
        if options:
            unknown = sorted(options)[0]
            raise _err('OptionError', 'Unknown option: %s' % unknown, option=unknown)
        arg_kw = {}
        for i, arg in enumerate(self.args):
            if len(args) <= i:
                break
            if arg.multi:
                if len(args) == i + 1 and isinstance(args[i], (list, tuple)):
                    arg_kw[arg.name] = args[i]
                else:
                    arg_kw[arg.name] = list(args[i:])
                break
            arg_kw[arg.name] = args[i]
        overlap = set(arg_kw) & set(params)
        if overlap:
            raise _err('OverlapError', names=sorted(overlap))
        params.update(arg_kw)
        return params

    def parse(self, args, options):
        params = self.args_options_2_params(args, options)
        given = set(params)
        converted = {}
        for name, param in self.params.items():
            if name in params:
                converted[name] = param.convert(params[name])
            elif param.default is not None:
                converted[name] = param.default
        for name, param in self.params.items():
            if converted.get(name) is None and param.default_from is not None:
                converted[name] = param.default_from(converted)
        for param in self.params.values():
            param.validate(converted.get(param.name))
        return converted, given


def _zone_from_ip(params):
    """dnszone_add's idnsname default_from: the reverse zone of ``name_from_ip``."""
    if not params.get('name_from_ip'):
        return None
    try:
        return _reverse_zone_for_network(params['name_from_ip'])
    except ValueError:
        raise _err('ValidationError', name='name_from_ip',
                   error='invalid IP network format') from None


# hostgroup_find's member options (LDAPSearch.get_options for hostgroup)
HOSTGROUP_MEMBER_FILTERS = (
    'host', 'hostgroup', 'no_host', 'no_hostgroup', 'in_hostgroup', 'not_in_hostgroup',
    'in_netgroup', 'not_in_netgroup', 'in_hbacrule', 'not_in_hbacrule', 'in_sudorule',
    'not_in_sudorule', 'membermanager_user', 'not_membermanager_user', 'membermanager_group',
    'not_membermanager_group')


def _hostgroup_cn():
    return S('cn', required=True, cli_name='hostgroup_name', normalizer=str.lower, query=True)


STANDARD_ENTRY = ('summary', 'result', 'value')


STANDARD_LIST = ('summary', 'result', 'count', 'truncated')


MEMBER_OUTPUT = ('result', 'failed', 'completed')


class _Context:
    def __init__(self, version, messages, given):
        self.version = version
        self.messages = messages
        self.given = given


class CommandsMixin:
    def _execute(self, method, args, options):
        command = self._commands.get(method) if isinstance(method, str) else None
        if command is None:
            raise _err('CommandError', name=method)
        messages = []
        options = dict(options)
        if 'version' in options:
            version = str(options['version'])
            self._verify_version(version)
        else:
            version = API_VERSION
            messages.append(_message(
                13001, 'VersionMissing',
                "API Version number was not sent, forward compatibility not guaranteed. "
                f"Assuming server's API version, {API_VERSION}",
                server_version=API_VERSION))
        params, given = command.parse(list(args), options)
        params['version'] = version
        if method not in LATE_ACCESS_CHECK:
            self._check_access(method, params)
        self._inject_fault(method)
        ctx = _Context(version, messages, given)
        if method == 'batch':
            result = command.handler(params, ctx)
        else:
            with self._lock:
                result = command.handler(params, ctx)
        if ctx.messages and _has_capability(version, 'messages'):
            result.setdefault('messages', []).extend(ctx.messages)
        if 'summary' in command.output and 'summary' not in result:
            result['summary'] = self._summary(command, result)
        return result

    def _verify_version(self, version):
        try:
            major = _api_version(version)[0]
        except ValueError:
            major = None
        if major != _api_version(API_VERSION)[0]:
            raise _err('VersionError', cver=version, sver=API_VERSION,
                       server=f'https://{self.master}/ipa/xml')

    @staticmethod
    def _summary(command, result):
        if command.plural_summary is not None:
            count = result.get('count', 0)
            return (command.summary if count == 1 else command.plural_summary) % result
        if command.summary is None:
            return None
        data = dict(result)
        if 'value' in data:
            data['value'] = _pkey_to_unicode(data['value'])
        return command.summary % data

    def _build_commands(self):
        ldap_out = [Flag('all'), Flag('raw')]
        members = [Flag('no_members')]
        rights = [Flag('rights')]
        attr_ops = [M('setattr', rules=[_attr_pair_rule]), M('addattr', rules=[_attr_pair_rule])]
        search = [Int('timelimit', minvalue=0), Int('sizelimit', minvalue=0), Flag('pkey_only')]
        host_query_attrs = [p.clone(query=True, rules=()) for p in HOST_ATTR_PARAMS
                            if p.name not in ('userpassword', 'random', 'ipasshpubkey',
                                              'ipakrbrequirespreauth', 'ipakrbokasdelegate',
                                              'ipakrboktoauthasdelegate')]
        structured = [Flag('structured')]
        dns_class = S('dnsclass', values=DNS_CLASSES)
        zone_opts = [p.clone() for p in ZONE_OPTION_PARAMS]
        service_attrs = [
            M('usercertificate', cli_name='certificate'),
            M('ipakrbauthzdata', cli_name='pac_type', values=PAC_TYPES),
            M('krbprincipalauthind', cli_name='auth_ind', values=AUTH_INDICATORS),
            Bool('ipakrbrequirespreauth'), Bool('ipakrbokasdelegate'),
            Bool('ipakrboktoauthasdelegate'),
        ]
        commands = [
            Command('ping', [], [], ('summary',), self._ping),
            Command('session_logout', [], [], ('result',), self._session_logout),
            Command('batch', [Param('methods', 'dict', multi=True)], [M('keeponly')],
                    ('count', 'results'), self._batch),
            Command('host_add', [_fqdn(rules=[_hostname_rule, _hostname_length_rule])],
                    HOST_ATTR_PARAMS + attr_ops
                    + [Flag('force'), Flag('no_reverse'),
                       S('ip_address', rules=[_ipaddr_rule(None)])]
                    + ldap_out + members,
                    STANDARD_ENTRY, self._host_add, summary='Added host "%(value)s"'),
            Command('host_show', [_fqdn(query=True)],
                    rights + [S('out')] + ldap_out + members,
                    STANDARD_ENTRY, self._host_show),
            Command('host_find', [S('criteria')],
                    [S('fqdn', cli_name='hostname', normalizer=_normalize_hostname,
                       query=True)]
                    + host_query_attrs + search
                    + [M(name) for name in HOST_MEMBER_FILTERS] + ldap_out
                    + [Param('no_members', 'bool', default=True)],
                    STANDARD_LIST, self._host_find, summary='%(count)d host matched',
                    plural_summary='%(count)d hosts matched'),
            Command('host_mod', [_fqdn(query=True)],
                    HOST_ATTR_PARAMS + attr_ops
                    + [M('delattr', rules=[_attr_pair_rule]), M('krbprincipalname'),
                       Flag('updatedns')]
                    + rights + ldap_out + members,
                    STANDARD_ENTRY, self._host_mod, summary='Modified host "%(value)s"'),
            Command('host_del', [_fqdn(query=True, multi=True)],
                    [Flag('continue'), Flag('updatedns')],
                    STANDARD_ENTRY, self._host_del, summary='Deleted host "%(value)s"'),
            Command('host_add_managedby', [_fqdn(query=True)],
                    ldap_out + members + [M('host', cli_name='hosts')],
                    MEMBER_OUTPUT, self._host_add_managedby),
            Command('host_remove_managedby', [_fqdn(query=True)],
                    ldap_out + members + [M('host', cli_name='hosts')],
                    MEMBER_OUTPUT, self._host_remove_managedby),
            Command('hostgroup_show', [_hostgroup_cn()],
                    rights + ldap_out + members, STANDARD_ENTRY, self._hostgroup_show),
            Command('hostgroup_find', [S('criteria')],
                    [S('cn', cli_name='hostgroup_name', normalizer=str.lower, query=True),
                     S('description', cli_name='desc', query=True)]
                    + [M(name) for name in HOSTGROUP_MEMBER_FILTERS] + search + ldap_out
                    + [Param('no_members', 'bool', default=True)],
                    STANDARD_LIST, self._hostgroup_find, summary='%(count)d hostgroup matched',
                    plural_summary='%(count)d hostgroups matched'),
            Command('hostgroup_add_member', [_hostgroup_cn()],
                    ldap_out + members + [M('host', cli_name='hosts'),
                                          M('hostgroup', cli_name='hostgroups')],
                    MEMBER_OUTPUT, self._hostgroup_add_member),
            Command('hostgroup_remove_member', [_hostgroup_cn()],
                    ldap_out + members + [M('host', cli_name='hosts'),
                                          M('hostgroup', cli_name='hostgroups')],
                    MEMBER_OUTPUT, self._hostgroup_remove_member),
            Command('service_add', [self._principal_param()],
                    service_attrs + attr_ops + [Flag('force'), Flag('skip_host_check')]
                    + ldap_out + members,
                    STANDARD_ENTRY, self._service_add, summary='Added service "%(value)s"'),
            Command('service_show', [self._principal_param(query=True)],
                    rights + [S('out')] + ldap_out + members,
                    STANDARD_ENTRY, self._service_show),
            Command('service_find', [S('criteria')],
                    [self._principal_param(required=False, query=True),
                     self._principal_param('krbprincipalname', 'principal', required=False,
                                           multi=True, query=True),
                     M('ipakrbauthzdata', cli_name='pac_type', query=True, values=PAC_TYPES),
                     M('krbprincipalauthind', cli_name='auth_ind', query=True,
                       values=AUTH_INDICATORS)]
                    + search
                    + [M(name, normalizer=_normalize_hostname)
                       for name in ('man_by_host', 'not_man_by_host')]
                    + ldap_out + [Param('no_members', 'bool', default=True)],
                    STANDARD_LIST, self._service_find, summary='%(count)d service matched',
                    plural_summary='%(count)d services matched'),
            Command('service_del', [self._principal_param(query=True, multi=True)],
                    [Flag('continue')],
                    STANDARD_ENTRY, self._service_del, summary='Deleted service "%(value)s"'),
            Command('service_add_host', [self._principal_param(query=True)],
                    ldap_out + members + [M('host', cli_name='hosts')],
                    MEMBER_OUTPUT, self._service_add_host),
            Command('service_remove_host', [self._principal_param(query=True)],
                    ldap_out + members + [M('host', cli_name='hosts')],
                    MEMBER_OUTPUT, self._service_remove_host),
            Command('dnszone_add',
                    [Param('idnsname', 'dnsname', required=True, cli_name='name',
                           normalizer=_zone_key, default_from=_zone_from_ip)],
                    zone_opts + attr_ops
                    + [Flag('skip_overlap_check'), Flag('force'),
                       Flag('skip_nameserver_check'), S('ip_address')] + ldap_out,
                    STANDARD_ENTRY, self._dnszone_add),
            Command('dnszone_show',
                    [Param('idnsname', 'dnsname', required=True, cli_name='name',
                           normalizer=_zone_key, query=True)],
                    rights + ldap_out, STANDARD_ENTRY, self._dnszone_show),
            Command('dnszone_find', [S('criteria')],
                    [Param('idnsname', 'dnsname', cli_name='name', normalizer=_zone_key,
                           query=True)]
                    + [p.clone(query=True, rules=()) for p in ZONE_OPTION_PARAMS]
                    + [Bool('idnszoneactive')] + search + [Flag('forward_only')]
                    + ldap_out,
                    STANDARD_LIST, self._dnszone_find, summary='%(count)d DNS zone matched',
                    plural_summary='%(count)d DNS zones matched'),
            Command('dnsrecord_add', [_zone_arg(), _record_name_arg()],
                    [Int('dnsttl', minvalue=0, maxvalue=2147483647), dns_class]
                    + RAW_RECORD_PARAMS + PART_PARAMS + EXTRA_PARAMS + attr_ops
                    + [Flag('force')] + structured + ldap_out,
                    STANDARD_ENTRY, self._dnsrecord_add),
            Command('dnsrecord_mod', [_zone_arg(), _record_name_arg()],
                    [Int('dnsttl', minvalue=0, maxvalue=2147483647), dns_class]
                    + [p.clone(rules=(), multi=True) for p in RAW_RECORD_PARAMS]
                    + PART_PARAMS + attr_ops + [M('delattr', rules=[_attr_pair_rule])]
                    + rights + structured + ldap_out
                    + [Param('rename', 'dnsname', cli_name='rename')],
                    STANDARD_ENTRY, self._dnsrecord_mod),
            Command('dnsrecord_del', [_zone_arg(), _record_name_arg()],
                    [Int('dnsttl'), dns_class]
                    + RAW_RECORD_PARAMS
                    + [Flag('del_all')] + structured + [Flag('raw')],
                    STANDARD_ENTRY, self._dnsrecord_del),
            Command('dnsrecord_show', [_zone_arg(), _record_name_arg()],
                    rights + structured + ldap_out, STANDARD_ENTRY, self._dnsrecord_show),
            Command('dnsrecord_find', [_zone_arg(), S('criteria')],
                    [Param('idnsname', 'dnsname', cli_name='name', query=True),
                     Int('dnsttl'), dns_class]
                    + [p.clone(rules=(), query=True) for p in RAW_RECORD_PARAMS]
                    + search + structured + ldap_out,
                    STANDARD_LIST, self._dnsrecord_find),
        ]
        return {c.name: c for c in commands}

