"""The README's quick-start demo runs end to end and shows what it promises."""

import re
import subprocess
import sys

from tests.harness import ROOT


def test_demo():
    result = subprocess.run([sys.executable, '-m', 'tests.demo'], cwd=ROOT,
                            capture_output=True, text=True, timeout=180)
    out = result.stdout
    assert result.returncode == 0, out + result.stderr[-3000:]
    assert 'demo PASSED' in out
    after = out.split('IPA after the notifications:')[1].split('$ novajoin-notify')[0]
    assert 'web1.example.test' not in after and 'db1.example.test' not in after
    assert 'web2.example.test' in after and 'app1.example.test' in after
    assert 'old1.example.test' in after                 # until the audit
    audited = out.split('IPA after the audit:')[1]
    assert 'old1.example.test' not in audited and 'old2.example.test' not in audited
    assert 'hv1.example.test' in audited
    assert re.search(r'host +remove +old1\.example\.test', out)
    satellite = out.split('Satellite after the notifications:')[1].split('$ novajoin-notify')[0]
    assert 'app1.example.test' in satellite and 'web1.example.test' not in satellite
    assert 'novajoin_notify_notifications_total' in out
    assert '-> HTTP 200 {"exists": true' in out and '-> HTTP 404 {"exists": false' in out
    assert "associated with web3: A web3 = ['198.51.100.7']" in out
    assert 'disassociated: A web3 = -' in out
