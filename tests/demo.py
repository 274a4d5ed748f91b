"""Quick-start demo: the daemon's main job, locally, end to end.

Starts a private RabbitMQ, the IPA and OpenStack emulators and the real daemon;
publishes (as nova does, with oslo.messaging's Notifier) the deletes of:
- web1: enrolled by instance metadata (legacy notification format),
- db1:  enrolled by its glance image's ipa_enroll property (versioned format),
- web2: never enrolled,
- app1: deleted while another, live instance still carries the name;
then shows which IPA hosts and DNS records remain; and, as neutron does, associates
a floating IP with the enrolled instance web3 and disassociates it again, showing
its A and PTR records appear in and leave IPA DNS. Last, ``novajoin-notify audit``
finds the orphans seeded before the daemon started (old1, old2: enrolled hosts of
instances deleted while nobody listened), reports them, and removes them with
--apply, keeping the operator's hypervisor hv1.
"""

import argparse
import re
import subprocess
import sys
import tempfile
import time
import uuid

from tests import harness, payloads
from tests.emulators.ipa import IPAEmulator
from tests.emulators.openstack import OpenStackEmulator
from tests.fixtures.rabbitmq import RabbitNode
from notify.decide import NOVAJOIN_MARKER as MARKER

PROJECT = 'a5c0ffee5a1e4d6e9b7c2f00d1e2f3a4'
IMAGE = '6b2ab0c4-1f6a-4e57-9c9b-0dd1a1e0c0de'
ZONE, REVERSE = 'example.test.', '2.0.192.in-addr.arpa.'
FIP, FIP_REVERSE = '198.51.100.7', '100.51.198.in-addr.arpa.'


def show(title, ipa):
    print(f'\n{title}')
    print(f'  {"IPA host":<24} DNS records')
    for fqdn in ipa.hosts():
        name = fqdn[:-len('.example.test')] if fqdn.endswith('.example.test') else fqdn
        records = ipa.records(ZONE, name) if fqdn.endswith('.example.test') else {}
        text = ', '.join(f'{t} {", ".join(v)}' for t, v in sorted(records.items())) or '-'
        print(f'  {fqdn:<24} {text}')
    ptrs = ipa.records(REVERSE)
    print('  reverse zone %s: %s' % (REVERSE, ', '.join(
        f'{n} PTR {v["PTR"][0]}' for n, v in sorted(ptrs.items()) if 'PTR' in v) or '-'))


def audit(config, ipa):
    """``novajoin-notify audit``, then ``audit --apply``: the orphans go."""
    command = harness.daemon_command() + ['--config-file', config, 'audit']
    report = subprocess.run(command, capture_output=True, text=True, timeout=120)
    print(f'\n$ novajoin-notify --config-file ... audit   (exit status {report.returncode})')
    print('\n'.join('  ' + line for line in report.stdout.splitlines()))
    applied = subprocess.run(command + ['--apply'], capture_output=True, text=True,
                             timeout=120)
    print(f'$ novajoin-notify --config-file ... audit --apply   (exit status '
          f'{applied.returncode})')
    show('IPA after the audit:', ipa)
    return (report.returncode == 1 and applied.returncode == 0
            and not ipa.has_host('old1.example.test') and ipa.has_host('hv1.example.test'))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--keep', action='store_true', help='keep the work directory')
    args = parser.parse_args(argv)
    work = tempfile.mkdtemp(prefix='novajoin-demo-')
    started = time.monotonic()
    print(f'novajoin-notify demo (work directory {work})')

    with RabbitNode(base_dir=work + '/rabbit') as rabbit, \
            IPAEmulator(domain=harness.IPA_DOMAIN) as ipa, OpenStackEmulator() as cloud:
        print(f'- private RabbitMQ on {rabbit.transport_url.split("@")[1]}, IPA emulator on '
              f'https://{ipa.server}, keystone/nova/glance emulator on {cloud.auth_url}')
        ipa.add_zone(ZONE)
        ipa.add_zone(REVERSE)
        ipa.add_zone(FIP_REVERSE)
        ipa.add_host('web3.example.test', description=MARKER)
        for name, address in (('web1', '192.0.2.11'), ('db1', '192.0.2.12'),
                              ('web2', '192.0.2.13'), ('app1', '192.0.2.14')):
            ipa.add_host(f'{name}.example.test', description=MARKER)
            ipa.add_record(ZONE, name, 'A', address)
            ipa.add_record(REVERSE, address.rsplit('.', 1)[1], 'PTR', f'{name}.example.test.')
        for name in ('old1', 'old2'):      # orphans from before the daemon
            ipa.add_host(f'{name}.example.test', description=MARKER,
                         krblastpwdchange='20240101000000Z')
        ipa.add_host('hv1.example.test', krblastpwdchange='20240101000000Z')
        cloud.add_project(PROJECT, 'demo')
        cloud.add_image(IMAGE, name='rhel-ipa', ipa_enroll='True')
        live_app1 = cloud.add_server(str(uuid.uuid4()), 'app1', PROJECT,
                                     metadata={'ipa_enroll': 'true'})['id']
        web3 = cloud.add_server(str(uuid.uuid4()), 'web3', PROJECT,
                                metadata={'ipa_enroll': 'true'})['id']
        web3_port = str(uuid.uuid4())
        cloud.add_port(web3_port, web3, 'compute:nova', project_id=PROJECT)
        show('IPA before:', ipa)

        topic = 'novajoin_notifications'
        config = harness.write_config(work + '/novajoin-notify.conf', rabbit.transport_url,
                                      ipa, cloud, topic, extra='[DEFAULT]\ndebug = False\n')
        daemon = harness.Daemon(config, work + '/novajoin-notify.log').start()
        print(f'- daemon running: novajoin-notify --config-file {config}')
        nova = harness.Publisher(rabbit.transport_url, 'nova', topic)
        neutron = harness.Publisher(rabbit.transport_url, 'neutron', topic,
                                    publisher_id='network.controller-0')
        fip_shown = []
        try:
            nova.send(*payloads.legacy_delete(str(uuid.uuid4()), 'web1', PROJECT,
                                              metadata={'ipa_enroll': 'true'},
                                              addresses=['192.0.2.11']))
            nova.send(*payloads.versioned_delete(str(uuid.uuid4()), 'db1', PROJECT,
                                                 image_id=IMAGE, addresses=['192.0.2.12']))
            nova.send(*payloads.versioned_delete(str(uuid.uuid4()), 'web2', PROJECT))
            nova.send(*payloads.versioned_delete(str(uuid.uuid4()), 'app1', PROJECT,
                                                 metadata={'ipa_enroll': 'true'}))
            print('- published 4 instance deletes (web1 legacy, db1/web2/app1 versioned)')
            rabbit.wait_queue(f'{topic}.info',
                              lambda q: q is not None and q['messages'] == 0, timeout=60)
            harness.wait_for(lambda: not ipa.has_host('db1.example.test'), timeout=30,
                             what='db1 removed')

            def fip_update(port):
                # neutron changes the floating IP, then notifies about it
                fip = cloud.add_floatingip('fip-demo', FIP, port, None, PROJECT)
                neutron.send('floatingip.update.end', {'floatingip': fip})

            def fip_records():
                return (ipa.records(ZONE, 'web3').get('A', []),
                        ipa.records(FIP_REVERSE, '7').get('PTR', []))

            fip_update(web3_port)
            harness.wait_for(lambda: fip_records() == ([FIP], ['web3.example.test.']),
                             timeout=30, what='floating IP records')
            fip_shown.append(fip_records())
            fip_update(None)
            harness.wait_for(lambda: fip_records() == ([], []), timeout=30,
                             what='floating IP records removed')
            fip_shown.append(fip_records())
        finally:
            nova.close()
            neutron.close()
            status = daemon.stop()
        print('\nwhat the daemon logged:')
        for line in daemon.log().splitlines():
            if re.search(r' (INFO|WARNING|ERROR) notify\.(handlers|adapters\.ipa_dns)',
                         line):
                print('  ' + line.split(' ', 3)[-1])
        show('IPA after the notifications:', ipa)
        audited = audit(config, ipa)
        print(f'\n- live instance {live_app1} still carries app1, so its host stayed')
        for when, (a, ptr) in zip(('associated with web3', 'disassociated'), fip_shown):
            print(f'- floating IP {FIP} {when}: A web3 = {a or "-"}; PTR 7 in {FIP_REVERSE} = '
                  f'{ptr or "-"}')
        print(f'- daemon stopped with status {status}; '
              f'{ipa.stats["logins"]} IPA login(s), {ipa.stats["http_requests"]} IPA requests')
        ok = (not ipa.has_host('web1.example.test') and not ipa.has_host('db1.example.test')
              and ipa.has_host('web2.example.test') and ipa.has_host('app1.example.test')
              and status == 0 and fip_shown == [([FIP], ['web3.example.test.']), ([], [])]
              and audited)
    print(f'\ndemo {"PASSED" if ok else "FAILED"} in {time.monotonic() - started:.1f}s')
    if not args.keep:
        import shutil
        shutil.rmtree(work, ignore_errors=True)
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
