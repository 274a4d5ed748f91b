"""Quick-start demo: the daemon's main job, locally, end to end.

Starts a private RabbitMQ, the IPA, OpenStack and Satellite (Foreman) emulators
and the real daemon; publishes (as nova does, with oslo.messaging's Notifier) the
deletes of:
- web1: enrolled by instance metadata (legacy notification format),
- db1:  enrolled by its glance image's ipa_enroll property (versioned format),
- web2: never enrolled (but registered in Satellite),
- app1: deleted while another, live instance still carries the name;
then shows which IPA hosts, DNS records and Satellite hosts remain; as neutron
does, associates a floating IP with the enrolled instance web3 and disassociates
it again, showing its A and PTR records appear in and leave IPA DNS; reads a few
metrics and asks /check/{uuid} for a live and a deleted instance. Last,
``novajoin-notify audit`` finds the orphans seeded before the daemon started
(old1, old2: enrolled hosts of instances deleted while nobody listened), reports
them, and removes them with --apply, keeping the operator's hypervisor hv1.
"""

import argparse
import socket
import subprocess
import sys
import tempfile
import time
import uuid

from notify.decide import NOVAJOIN_MARKER as MARKER
from tests import harness, payloads
from tests.demo_parts import show, web
from tests.emulators.foreman import ForemanEmulator
from tests.emulators.ipa import IPAEmulator
from tests.emulators.openstack import OpenStackEmulator
from tests.fixtures.rabbitmq import RabbitNode

PROJECT = 'a5c0ffee5a1e4d6e9b7c2f00d1e2f3a4'
IMAGE = '6b2ab0c4-1f6a-4e57-9c9b-0dd1a1e0c0de'
ZONE, REVERSE = show.ZONE, show.REVERSE
FIP, FIP_REVERSE = '198.51.100.7', '100.51.198.in-addr.arpa.'
OLD = '20240101000000Z'
IDS = {name: str(uuid.uuid4()) for name in ('web1', 'db1', 'web2', 'app1')}


def seed(ipa, cloud, foreman):
    for zone in (ZONE, REVERSE, FIP_REVERSE):
        ipa.add_zone(zone)
    ipa.add_host('web3.example.test', description=MARKER)
    for name, address in (('web1', '192.0.2.11'), ('db1', '192.0.2.12'),
                          ('web2', '192.0.2.13'), ('app1', '192.0.2.14')):
        ipa.add_host(f'{name}.example.test', description=MARKER)
        ipa.add_record(ZONE, name, 'A', address)
        ipa.add_record(REVERSE, address.rsplit('.', 1)[1], 'PTR', f'{name}.example.test.')
    for name in ('old1', 'old2'):      # orphans from before the daemon
        ipa.add_host(f'{name}.example.test', description=MARKER, krblastpwdchange=OLD)
    ipa.add_host('hv1.example.test', krblastpwdchange=OLD)
    cloud.add_project(PROJECT, 'demo')
    cloud.add_image(IMAGE, name='rhel-ipa', ipa_enroll='True')
    live = {'app1': cloud.add_server(str(uuid.uuid4()), 'app1', PROJECT,
                                     metadata={'ipa_enroll': 'true'})['id'],
            'web3': cloud.add_server(str(uuid.uuid4()), 'web3', PROJECT,
                                     metadata={'ipa_enroll': 'true'})['id']}
    port = str(uuid.uuid4())
    cloud.add_port(port, live['web3'], 'compute:nova', project_id=PROJECT)
    satellite = {name: foreman.add_host(f'{name}.example.test', {'virt::uuid': IDS[name]})
                 for name in ('web1', 'web2')}
    satellite['app1'] = foreman.add_host('app1.example.test', {'virt::uuid': live['app1']})
    return live, port, satellite


def publish_deletes(nova):
    nova.send(*payloads.legacy_delete(IDS['web1'], 'web1', PROJECT,
                                      metadata={'ipa_enroll': 'true'},
                                      addresses=['192.0.2.11']))
    nova.send(*payloads.versioned_delete(IDS['db1'], 'db1', PROJECT, image_id=IMAGE,
                                         addresses=['192.0.2.12']))
    nova.send(*payloads.versioned_delete(IDS['web2'], 'web2', PROJECT))
    nova.send(*payloads.versioned_delete(IDS['app1'], 'app1', PROJECT,
                                         metadata={'ipa_enroll': 'true'}))
    print('- published 4 instance deletes (web1 legacy, db1/web2/app1 versioned)')


def floating_ip(ipa, cloud, neutron, port):
    """Associate, then disassociate, as neutron does; the records seen each time."""
    def update(to_port):
        fip = cloud.add_floatingip('fip-demo', FIP, to_port, None, PROJECT)
        neutron.send('floatingip.update.end', {'floatingip': fip})

    def records():
        return (ipa.records(ZONE, 'web3').get('A', []),
                ipa.records(FIP_REVERSE, '7').get('PTR', []))

    seen = []
    for to_port, wanted in ((port, ([FIP], ['web3.example.test.'])), (None, ([], []))):
        update(to_port)
        harness.wait_for(lambda: records() == wanted, timeout=30, what='floating IP records')
        seen.append(records())
    return seen


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
    show.ipa_state('IPA after the audit:', ipa)
    return (report.returncode == 1 and applied.returncode == 0
            and not ipa.has_host('old1.example.test') and ipa.has_host('hv1.example.test'))


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def configure(work, rabbit, ipa, cloud, foreman, topic, http_port):
    extra = (f'[DEFAULT]\ndebug = False\n[http]\nlisten = 127.0.0.1:{http_port}\n'
             f'[satellite]\nurl = {foreman.url}\nusername = {foreman.username}\n'
             f'password = {foreman.password}\nca_cert = {foreman.ca_path}\n')
    return harness.write_config(work + '/novajoin-notify.conf', rabbit.transport_url, ipa,
                                cloud, topic, extra=extra)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--keep', action='store_true', help='keep the work directory')
    args = parser.parse_args(argv)
    work = tempfile.mkdtemp(prefix='novajoin-demo-')
    started = time.monotonic()
    print(f'novajoin-notify demo (work directory {work})')

    with RabbitNode(base_dir=work + '/rabbit') as rabbit, \
            IPAEmulator(domain=harness.IPA_DOMAIN) as ipa, OpenStackEmulator() as cloud, \
            ForemanEmulator() as foreman:
        print(f'- private RabbitMQ on {rabbit.transport_url.split("@")[1]}, IPA emulator on '
              f'https://{ipa.server}, keystone/nova/glance/neutron emulator on '
              f'{cloud.auth_url}, Satellite emulator on {foreman.url}')
        live, port, satellite = seed(ipa, cloud, foreman)
        show.ipa_state('IPA before:', ipa)
        show.satellite_state('Satellite before:', foreman)
        topic, http_port = 'novajoin_notifications', free_port()
        config = configure(work, rabbit, ipa, cloud, foreman, topic, http_port)
        daemon = harness.Daemon(config, work + '/novajoin-notify.log').start()
        print(f'- daemon running: novajoin-notify --config-file {config}')
        nova = harness.Publisher(rabbit.transport_url, 'nova', topic)
        neutron = harness.Publisher(rabbit.transport_url, 'neutron', topic,
                                    publisher_id='network.controller-0')
        try:
            publish_deletes(nova)
            rabbit.wait_queue(f'{topic}.info',
                              lambda q: q is not None and q['messages'] == 0, timeout=60)
            harness.wait_for(lambda: not ipa.has_host('db1.example.test')
                             and not foreman.has_host(satellite['web2']), timeout=30,
                             what='db1 and the Satellite host of web2 removed')
            fip_seen = floating_ip(ipa, cloud, neutron, port)
            web_ok = web.show(http_port, live['web3'], IDS['web1'])
        finally:
            nova.close()
            neutron.close()
            status = daemon.stop()
        show.daemon_lines(daemon.log())
        show.ipa_state('IPA after the notifications:', ipa)
        show.satellite_state('Satellite after the notifications:', foreman)
        audited = audit(config, ipa)
        print(f'\n- live instance {live["app1"]} still carries app1, so its host stayed '
              f'(in IPA and in Satellite)')
        for when, (a, ptr) in zip(('associated with web3', 'disassociated'), fip_seen):
            print(f'- floating IP {FIP} {when}: A web3 = {a or "-"}; PTR 7 in {FIP_REVERSE} = '
                  f'{ptr or "-"}')
        print(f'- daemon stopped with status {status}; '
              f'{ipa.stats["logins"]} IPA login(s), {ipa.stats["http_requests"]} IPA requests')
        ok = (not ipa.has_host('web1.example.test') and not ipa.has_host('db1.example.test')
              and ipa.has_host('web2.example.test') and ipa.has_host('app1.example.test')
              and status == 0 and fip_seen == [([FIP], ['web3.example.test.']), ([], [])]
              and not foreman.has_host(satellite['web1'])
              and not foreman.has_host(satellite['web2'])
              and foreman.has_host(satellite['app1']) and web_ok and audited)
    print(f'\ndemo {"PASSED" if ok else "FAILED"} in {time.monotonic() - started:.1f}s')
    if not args.keep:
        import shutil
        shutil.rmtree(work, ignore_errors=True)
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
