"""Every command the IPA emulator implements takes exactly the arguments and
options real FreeIPA takes, so a call real IPA would reject (an unknown option,
a missing argument, a list where one value goes) fails in the emulator too.

The facts come from FreeIPA's API.txt of the release the emulator speaks,
vendored as tests/emulators/ipa_schema.json by tools/ipa-schema-json.
"""

import json
from pathlib import Path

import pytest

from tests.emulators.ipa import API_VERSION, IPAEmulator, IPAError

SCHEMA = json.loads(Path(__file__).with_name('ipa_schema.json').read_text())
COMMANDS = SCHEMA['commands']
# the emulator's Param kinds for FreeIPA's parameter classes; everything else
# (Str, StrEnum, Principal, Certificate, HostPassword, the DNS record types and
# Decimal, which takes its value as text) is text
KINDS = {'Flag': 'bool', 'Bool': 'bool', 'Int': 'int', 'Dict': 'dict',
         'DNSNameParam': 'dnsname'}


def _emulator_commands():
    return IPAEmulator()._commands


EMULATED = _emulator_commands()


def _fact(param):
    return {'multivalue': param.multi,
            'required': param.required and param.default is None,
            'kind': param.kind}


def _schema_fact(item):
    return {'multivalue': item['multivalue'], 'required': item['required'],
            'kind': KINDS.get(item['type'], 'str')}


def test_the_schema_is_the_one_of_the_api_version_the_emulator_speaks():
    assert SCHEMA['api_version'] == API_VERSION
    assert SCHEMA['origin'].startswith('FreeIPA API.txt at release-')


def test_every_emulated_command_is_a_real_command():
    assert sorted(set(EMULATED) - set(COMMANDS)) == []
    assert sorted(set(COMMANDS) - set(EMULATED)) == []


@pytest.mark.parametrize('name', sorted(COMMANDS))
def test_positional_arguments_match(name):
    command = EMULATED[name]
    ours = [(p.name, _fact(p)) for p in command.args]
    theirs = [(a['name'], _schema_fact(a)) for a in COMMANDS[name]['args']]
    assert ours == theirs


@pytest.mark.parametrize('name', sorted(COMMANDS))
def test_option_names_match(name):
    ours = {p.name for p in EMULATED[name].options}
    theirs = {o['name'] for o in COMMANDS[name]['options']}
    assert sorted(ours - theirs) == [], 'options real IPA would refuse'
    assert sorted(theirs - ours) == [], 'options real IPA accepts'


@pytest.mark.parametrize('name', sorted(COMMANDS))
def test_options_are_multivalued_required_and_typed_alike(name):
    ours = {p.name: _fact(p) for p in EMULATED[name].options}
    theirs = {o['name']: _schema_fact(o) for o in COMMANDS[name]['options']}
    differ = {key: (ours[key], theirs[key]) for key in ours
              if key in theirs and ours[key] != theirs[key]}
    assert differ == {}


@pytest.mark.parametrize('name', sorted(COMMANDS))
def test_enumerations_and_bounds_match(name):
    params = {p.name: p for p in EMULATED[name].args + EMULATED[name].options}
    differ = {}
    for item in COMMANDS[name]['args'] + COMMANDS[name]['options']:
        param = params.get(item['name'])
        if param is None:
            continue
        if 'values' in item and tuple(param.values or ()) != tuple(item['values']):
            differ[item['name']] = (param.values, item['values'])
        for bound in ('minvalue', 'maxvalue'):
            if bound in item and getattr(param, bound) != item[bound]:
                differ[f"{item['name']}.{bound}"] = (getattr(param, bound), item[bound])
    assert differ == {}


def test_calls_real_ipa_rejects_fail_in_the_emulator(emu, client):
    def error_of(method, args, options):
        options = dict(options, version=API_VERSION)
        return client._request('batch', [[{'method': method, 'params': [args, options]}]],
                               {'version': API_VERSION})['results'][0]
    assert error_of('host_find', [], {'hostgroup': ['g']})['error_name'] == 'ConversionError'
    direct = emu._execute
    with pytest.raises(IPAError) as err:
        direct('host_find', [], {'hostgroup': ['g'], 'version': API_VERSION})
    assert err.value.name == 'OptionError' and err.value.message == 'Unknown option: hostgroup'
    with pytest.raises(IPAError) as err:
        direct('dnszone_add', [], {'version': API_VERSION})
    assert err.value.name == 'RequirementError' and err.value.message == "'idnsname' is required"
    with pytest.raises(IPAError) as err:
        direct('service_add', ['HTTP/ipa.example.test'],
               {'krbprincipalauthind': ['sms'], 'version': API_VERSION})
    assert err.value.name == 'ValidationError'
    with pytest.raises(IPAError) as err:
        direct('hostgroup_show', ['ipaservers', 'extra'], {'version': API_VERSION})
    assert err.value.name == 'MaxArgumentError'
