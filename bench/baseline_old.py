"""Baseline of scenario 2: the call pattern of the archived novajoin listener.

For every ``compute.instance.delete.end`` it does what the old novajoin
``notifications.py`` did for a delete, with the real clients:

* a glance image look-up for the instance's image (python-glanceclient,
  ``images.get``) to read ``ipa_enroll`` from the image properties;
* a NEW python-freeipa client and login for the event;
* ``host_del`` (without ``updatedns``) and then a separate ``dnsrecord_del``
  (``del_all``) for the host's name, a NotFound being fine.

It consumes with oslo.messaging's threading executor, with as many workers as
the daemon has IPA connections (``executor_thread_pool_size`` in the oslo
configuration file, 8 in the benchmark) and the same prefetch. It is kept
generous: the keystone session (token) and each worker's glance client are
reused, which the old code did not always do.

    python -m bench.baseline_old --config-file OSLO.conf --topic TOPIC \\
        --ipa-server HOST:PORT --ipa-ca CA --ipa-user U --ipa-password P \\
        --domain example.test --auth-url URL --os-username U --os-password P \\
        --os-project-name P --cafile CA
"""

import argparse
import logging
import sys
import threading

import oslo_messaging
from glanceclient import Client as GlanceClient
from glanceclient import exc as glance_exc
from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3
from python_freeipa import ClientMeta
from python_freeipa import exceptions as ipa_exc

from bench import common

LOG = logging.getLogger('bench.baseline_old')


class OldNovajoinEndpoint:
    # the old listener's filter rule
    filter_rule = oslo_messaging.NotificationFilter(
        publisher_id='^compute.*|^network.*',
        event_type='^compute.instance.create.end|'
                   '^compute.instance.delete.end|'
                   '^network.floating_ip.(dis)?associate|'
                   '^floatingip.update.end')

    def __init__(self, args):
        self.args = args
        auth = v3.Password(auth_url=args.auth_url, username=args.os_username,
                           password=args.os_password, project_name=args.os_project_name,
                           user_domain_name='Default', project_domain_name='Default')
        self.session = ks_session.Session(auth=auth, verify=args.cafile)
        self._local = threading.local()
        self.zone = args.domain.rstrip('.') + '.'

    def _glance(self):
        client = getattr(self._local, 'glance', None)
        if client is None:
            client = self._local.glance = GlanceClient(
                '2', session=self.session, interface='public', region_name='RegionOne')
        return client

    def info(self, ctxt, publisher_id, event_type, payload, metadata):
        if event_type != 'compute.instance.delete.end':
            return None
        try:
            self._delete(payload)
        except Exception:
            LOG.exception('delete failed')
        return None

    def _delete(self, payload):
        hostname = payload['hostname']
        fqdn = f'{hostname}.{self.args.domain}'
        image_props = {}
        image_ref = (payload.get('image_ref_url') or '').rsplit('/', 1)[-1]
        if image_ref:
            try:
                image_props = dict(self._glance().images.get(image_ref))
            except glance_exc.HTTPNotFound:
                pass
        enroll = str((payload.get('metadata') or {}).get('ipa_enroll', ''))
        image_enroll = str(image_props.get('ipa_enroll', ''))
        if enroll.lower() != 'true' and image_enroll.lower() != 'true':
            return
        client = ClientMeta(self.args.ipa_server, verify_ssl=self.args.ipa_ca,
                            dns_discovery=False)
        try:
            client.login(self.args.ipa_user, self.args.ipa_password)
            try:
                client._request('host_del', [fqdn], {})
            except ipa_exc.NotFound:
                pass
            try:
                client._request('dnsrecord_del', [self.zone, hostname], {'del_all': True})
            except ipa_exc.NotFound:
                pass
        finally:
            client._session.close()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--config-file', required=True)
    parser.add_argument('--topic', required=True)
    for name in ('ipa-server', 'ipa-ca', 'ipa-user', 'ipa-password', 'domain', 'auth-url',
                 'os-username', 'os-password', 'os-project-name', 'cafile'):
        parser.add_argument('--' + name, required=True)
    args = parser.parse_args(argv)
    conf = common.listener_conf(args.config_file)
    return common.run_listener(conf, args.topic, [OldNovajoinEndpoint(args)])


if __name__ == '__main__':
    sys.exit(main())
