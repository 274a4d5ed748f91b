"""[satellite] options: the Red Hat Satellite (Foreman + Katello) server whose hosts
of deleted instances are removed."""

from oslo_config import cfg

GROUP = 'satellite'

satellite_opts = [
    cfg.ListOpt('instance_products', default=['OpenStack Nova', 'OpenStack Compute'],
                help='Safety, for the audit: a Satellite host is taken for an instance '
                     'of this cloud only when its dmi::system::product_name fact is one '
                     'of these (nova\'s libvirt driver writes "OpenStack Nova"; Red Hat '
                     'OpenStack writes "OpenStack Compute"). Other hosts (bare metal, '
                     'other hypervisors\' guests) are never audit orphans, whatever '
                     'their UUID. The delete handler does not need it: the '
                     'notification names the UUID.'),
    cfg.StrOpt('url',
               help='Base URL of the Satellite or Foreman server, as '
                    'https://satellite.example.com. Unset (the default): Satellite '
                    'hosts are left alone. Only https URLs are accepted.'),
    cfg.StrOpt('username',
               help='Satellite user the daemon authenticates as (HTTP basic '
                    'authentication). See README for the permissions it needs: '
                    'view_hosts, view_facts and destroy_hosts (view_organizations '
                    'when organization is a name).'),
    cfg.StrOpt('password', secret=True,
               help='Password of the Satellite user (or a personal access token).'),
    cfg.StrOpt('ca_cert',
               help='CA certificate bundle the Satellite server certificate is '
                    'verified against (Satellite\'s own CA is '
                    '/etc/rhsm/ca/katello-server-ca.pem on registered hosts). Unset: '
                    'the CA bundle of python-requests. Verification cannot be turned '
                    'off.'),
    cfg.StrOpt('organization',
               help='Only look at hosts of this Satellite organization, given by name '
                    'or numeric id. Unset: hosts of every organization the user may '
                    'see.'),
    cfg.FloatOpt('timeout', default=30.0, min=1.0,
                 help='Seconds to wait for one Satellite request before treating '
                      'Satellite as unreachable.'),
]
