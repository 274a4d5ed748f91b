"""The production install of README's "Installation", into a scratch root.

The install command is taken from the README's literal block and run, as an
operator runs it, in a clean copy of the source tree (as an unpacked release
tarball), with ``--root`` so that everything lands under a temporary directory:
pip installs from the package index, like on a controller. Debian's python3 is
the interpreter (PATH without /usr/local), as on a stock Debian 12 controller.
"""

import os
import re
import shutil
import stat
import subprocess

import pytest

from tests.harness import ROOT

NAME = 'novajoin-notify'
SYSTEMD_ANALYZE = '/usr/bin/systemd-analyze'
STOCK_PATH = '/usr/sbin:/usr/bin:/sbin:/bin'
# What a checkout has that an unpacked release does not.
NOT_SHIPPED = shutil.ignore_patterns('.git', '.venv', '.tox', 'build', 'dist', '*.egg-info',
                                     '__pycache__', '.pytest_cache')
# Creating the virtualenv and pip-installing the dependencies takes a while.
INSTALL_TIMEOUT = 900
pytestmark = pytest.mark.timeout(INSTALL_TIMEOUT)


def readme_section(title):
    with open(os.path.join(ROOT, 'README.rst')) as f:
        text = f.read()
    start = text.index(f'\n{title}\n{"=" * len(title)}\n')
    rest = text[start + 2 * len(title) + 3:]
    following = re.search(r'\n[^\n]+\n=+\n', rest)
    return rest[:following.start()] if following else rest


def readme_install_command():
    """The command line of the Installation section's literal block that installs."""
    section = readme_section('Installation')
    block = section.split('::\n', 1)[1]
    lines = [line.strip() for line in block.splitlines()]
    commands = [line for line in lines if line.startswith('tools/install')]
    assert commands == ['tools/install'], commands
    return commands[0].split()


def run_install(src, root):
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(('VIRTUAL_ENV', 'PYTHON'))}
    env['PATH'] = STOCK_PATH
    command = readme_install_command()
    result = subprocess.run([*command, '--root', str(root)], cwd=src, env=env,
                            capture_output=True, text=True, timeout=INSTALL_TIMEOUT)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-5000:]
    return result


@pytest.fixture(scope='module')
def installed(tmp_path_factory):
    base = tmp_path_factory.mktemp('install')
    src = base / 'src'
    shutil.copytree(ROOT, src, ignore=NOT_SHIPPED)
    root = base / 'root'
    result = run_install(src, root)
    return {'src': src, 'root': root, 'log': result.stderr}


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_install_lays_out_what_the_readme_says(installed):
    root = installed['root']
    venv = root / 'opt' / NAME
    etc = root / 'etc' / NAME
    assert os.access(venv / 'bin' / NAME, os.X_OK)
    assert os.path.realpath(root / 'usr' / 'local' / 'bin' / NAME) == str(venv / 'bin' / NAME)
    assert (venv / 'share' / 'doc' / NAME / 'README.rst').is_file()
    sample = (installed['src'] / 'etc' / NAME / f'{NAME}.conf.sample').read_text()
    assert (etc / f'{NAME}.conf.sample').read_text() == sample
    assert (etc / f'{NAME}.conf').read_text() == sample
    assert mode(etc) == 0o750
    assert mode(etc / f'{NAME}.conf') == 0o640
    assert mode(root / 'etc' / 'systemd' / 'system' / f'{NAME}.service') == 0o644
    # Every step is shown, pip's install from the package index among them.
    assert f'pip install --disable-pip-version-check -c {installed["src"]}/constraints.txt' \
        in installed['log']
    # The system's Python is left alone: the package is only in the virtualenv.
    system = subprocess.run(['/usr/bin/python3', '-c', 'import notify'], cwd='/',
                            capture_output=True, env={'PATH': STOCK_PATH})
    assert system.returncode != 0


def test_the_console_script_runs(installed):
    command = str(installed['root'] / 'opt' / NAME / 'bin' / NAME)
    env = {'PATH': STOCK_PATH}
    shown = subprocess.run([command, '--help'], capture_output=True, text=True, env=env,
                           cwd='/', timeout=60)
    assert shown.returncode == 0, shown.stderr[-3000:]
    assert '--config-file' in shown.stdout and '--replay' in shown.stdout
    version = subprocess.run([command, '--version'], capture_output=True, text=True,
                             env=env, cwd='/', timeout=60)
    assert version.returncode == 0, version.stderr[-3000:]
    with open(os.path.join(ROOT, 'setup.cfg')) as f:
        declared = re.search(r'^version\s*=\s*(\S+)', f.read(), re.M).group(1)
    assert version.stdout.strip() == declared


def test_the_installed_unit_verifies_and_runs_the_installed_command(installed):
    root = installed['root']
    unit = root / 'etc' / 'systemd' / 'system' / f'{NAME}.service'
    text = unit.read_text()
    exec_start = re.search(r'^ExecStart=(\S+) --config-file (\S+)$', text, re.M)
    assert exec_start.group(1) == str(root / 'opt' / NAME / 'bin' / NAME)
    assert exec_start.group(2) == str(root / 'etc' / NAME / f'{NAME}.conf')
    # The unit as shipped is the installed one with the scratch root taken away.
    with open(os.path.join(ROOT, 'systemd', f'{NAME}.service')) as f:
        assert text.replace(str(root), '') == f.read()
    verify = subprocess.run([SYSTEMD_ANALYZE, 'verify', str(unit)], capture_output=True,
                            text=True, timeout=120)
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert verify.stdout + verify.stderr == ''


def test_the_shipped_unit_runs_the_virtualenv_command():
    with open(os.path.join(ROOT, 'systemd', f'{NAME}.service')) as f:
        text = f.read()
    assert re.search(rf'^ExecStart=/opt/{NAME}/bin/{NAME} --config-file '
                     rf'/etc/{NAME}/{NAME}.conf$', text, re.M)
    assert f'StateDirectory={NAME}' in text and f'User={NAME}' in text


def test_a_second_install_upgrades_and_keeps_the_configuration(installed):
    conf = installed['root'] / 'etc' / NAME / f'{NAME}.conf'
    conf.write_text('[ipa]\nserver = ipa.example.test\n')
    run_install(installed['src'], installed['root'])
    assert conf.read_text() == '[ipa]\nserver = ipa.example.test\n'
    command = installed['root'] / 'opt' / NAME / 'bin' / NAME
    assert subprocess.run([str(command), '--version'], capture_output=True,
                          timeout=60).returncode == 0
