"""Options and the generated sample configuration."""

import json
import os
import re
import subprocess
import sys

from notify import cmd

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SAMPLE = os.path.join(ROOT, 'etc', 'novajoin-notify', 'novajoin-notify.conf.sample')
GENERATOR = os.path.join(ROOT, 'etc', 'oslo-config-generator', 'novajoin-notify.conf')


# The sample also shows oslo.messaging's and oslo.log's options ("tox -e genconfig"
# writes them all) and keystoneauth1's in [service_credentials], but only the
# options notify/opts.py defines are compared here, and the library defaults it
# changes: a library release that rewords its help must not fail these tests.
OWN_NAMESPACE = 'novajoin-notify'
_FROM = re.compile(r'^#\n# From (\S+)\n#$')
_VALUE = re.compile(r'^#([\w-]+) = ?(.*)$')


def option_blocks(text):
    """{(namespace, group, option): its block of lines} of a generated sample."""
    blocks = {}
    for section in re.split(r'^\[', text, flags=re.M)[1:]:
        group, body = section.split(']\n', 1)
        namespace = None
        for paragraph in body.strip('\n').split('\n\n'):
            paragraph = paragraph.strip('\n')
            header = _FROM.match(paragraph)
            value = _VALUE.match(paragraph.splitlines()[-1]) if paragraph else None
            if header:
                namespace = header.group(1)
            elif value:
                blocks[(namespace, group, value.group(1))] = paragraph
    return blocks


def own_options():
    """(group, option) of every option notify/opts.py defines itself."""
    from notify import opts
    own = {(group, opt.dest) for group, group_opts in opts.GROUPS.items()
           for opt in group_opts}
    return own | {(opts.SERVICE_CREDENTIALS, opt.dest)
                  for opt in opts.service_credentials_opts}


def generator_setting(name):
    """Values of ``name`` in the generator's configuration (tox -e genconfig)."""
    with open(GENERATOR) as f:
        return re.findall(rf'^{name}\s*=\s*(\S+)', f.read(), re.M)


def generate(tmp_path, namespace):
    out = tmp_path / 'sample.conf'
    subprocess.run([sys.executable, '-m', 'oslo_config.generator', '--namespace', namespace,
                    '--wrap-width', generator_setting('wrap_width')[0],
                    '--output-file', str(out)],
                   check=True, cwd=ROOT, capture_output=True)
    return out.read_text()


def test_sample_config_shows_the_projects_options(tmp_path):
    own = own_options()
    generated = option_blocks(generate(tmp_path, OWN_NAMESPACE))
    want = {key: block for key, block in generated.items() if key[1:] in own}
    with open(SAMPLE) as f:
        have = {key: block for key, block in option_blocks(f.read()).items()
                if key[0] == OWN_NAMESPACE and key[1:] in own}
    assert len(want) == len(own), 'an option of notify/opts.py is missing from list_opts()'
    stale = sorted(f'[{group}] {name}' for key in set(want) | set(have)
                   for _, group, name in [key] if want.get(key) != have.get(key))
    assert not stale, (
        'etc/novajoin-notify/novajoin-notify.conf.sample is stale for ' + ', '.join(stale)
        + ': run "tox -e genconfig" and commit the result')


# Which library defaults notify.opts.update_library_defaults() changes, learnt by
# calling it between two readings of the libraries' options (in a fresh
# interpreter: the hook changes them for the whole process).
_HOOK_CHANGES = """
import importlib.metadata, json, sys
from notify import opts
names = set(sys.argv[1:])
loaders = [ep.load() for ep in importlib.metadata.entry_points(group='oslo.config.opts')
           if ep.name in names]
def defaults():
    return {f'{group or "DEFAULT"}/{opt.dest}': opt.default
            for load in loaders for group, group_opts in load() for opt in group_opts}
before = defaults()
opts.update_library_defaults()
after = defaults()
print(json.dumps({key: [before[key], value] for key, value in after.items()
                  if before.get(key) != value}))
"""


def sample_value(blocks, group, name):
    for (_, block_group, block_name), block in blocks.items():
        if (block_group, block_name) == (group, name):
            return _VALUE.match(block.splitlines()[-1]).group(2)
    return None


def test_sample_config_shows_the_library_defaults_the_project_changes():
    libraries = [ns for ns in generator_setting('namespace') if ns != OWN_NAMESPACE]
    out = subprocess.run([sys.executable, '-c', _HOOK_CHANGES, *libraries], check=True,
                         cwd=ROOT, capture_output=True, text=True).stdout
    changes = json.loads(out.strip().splitlines()[-1])
    assert changes, 'update_library_defaults() changed no library default'
    with open(SAMPLE) as f:
        blocks = option_blocks(f.read())
    for key, (old, new) in changes.items():
        group, name = key.split('/')
        shown = sample_value(blocks, group, name)
        if shown is None:       # that library's options are not in the sample
            continue
        if isinstance(new, list):
            shown_items = shown.split(',')
            stale = ([item for item in new if item not in (old or []) and item not in shown_items]
                     + [item for item in (old or []) if item not in new and item in shown_items])
        else:
            stale = shown != (str(new).lower() if isinstance(new, bool) else str(new))
        assert not stale, (f'the sample is stale for [{group}] {name}, whose default '
                           f'novajoin-notify changes ({stale if stale is not True else new}): '
                           'run "tox -e genconfig" and commit the result')


def test_every_option_has_help():
    from notify import opts
    for group, group_opts in opts.list_opts():
        for opt in group_opts:
            assert opt.help, f'[{group}] {opt.name} has no help text'


def test_defaults(tmp_path):
    conf_file = tmp_path / 'empty.conf'
    conf_file.write_text('')
    conf = cmd.parse_config(['--config-file', str(conf_file)])
    assert conf.listener.topics == ['novajoin_notifications']
    assert conf.listener.nova_exchange == 'nova'
    assert conf.listener.neutron_exchange == 'neutron'
    assert conf.listener.pool is None
    assert conf.ipa.project_subdomain is False
    assert conf.service_credentials.insecure is False
    assert conf.oslo_messaging_rabbit.rabbit_qos_prefetch_count == 64


def test_passwords_are_never_logged(tmp_path, caplog):
    import logging
    from notify.adapters import openstack
    conf_file = tmp_path / 'secret.conf'
    conf_file.write_text(
        '[DEFAULT]\ntransport_url = rabbit://nova:rabbit-secret-1@127.0.0.1:1/\n'
        '[ipa]\npassword = ipa-secret-2\n'
        '[service_credentials]\nauth_type = password\nauth_url = https://k/v3\n'
        'password = keystone-secret-3\nusername = u\n')
    conf = cmd.parse_config(['--config-file', str(conf_file)])
    openstack.load_session(conf)  # registers the password plugin's options
    with caplog.at_level(logging.DEBUG):
        conf.log_opt_values(logging.getLogger('test'), logging.DEBUG)
    assert 'ipa.password' in caplog.text and 'service_credentials.password' in caplog.text
    for secret in ('rabbit-secret-1', 'ipa-secret-2', 'keystone-secret-3'):
        assert secret not in caplog.text


def test_missing_settings_are_reported(tmp_path):
    conf_file = tmp_path / 'partial.conf'
    conf_file.write_text('[DEFAULT]\ntransport_url = rabbit://u:p@127.0.0.1:1/\n')
    conf = cmd.parse_config(['--config-file', str(conf_file)])
    problems = cmd.config_problems(conf)
    assert '[ipa] server is not set' in problems
    assert '[service_credentials] auth_type is not set' in problems
