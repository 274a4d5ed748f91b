"""Options and the generated sample configuration."""

import os
import subprocess
import sys

from notify import cmd

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SAMPLE = os.path.join(ROOT, 'etc', 'novajoin-notify', 'novajoin-notify.conf.sample')
GENERATOR = os.path.join(ROOT, 'etc', 'oslo-config-generator', 'novajoin-notify.conf')


def test_sample_config_matches_generator(tmp_path):
    out = tmp_path / 'sample.conf'
    subprocess.run([sys.executable, '-m', 'oslo_config.generator', '--config-file',
                    GENERATOR, '--output-file', str(out)], check=True, cwd=ROOT,
                   capture_output=True)
    with open(SAMPLE) as f:
        assert f.read() == out.read_text(), (
            'etc/novajoin-notify/novajoin-notify.conf.sample is stale: run '
            '"tox -e genconfig" and commit the result')


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
