"""The references of the audit scenario (7), run as a child process like the
audit itself, from the same configuration file, with the same clients:

``listings``: the bare listings the audit needs and nothing else. IPA:
  ``host_find --pkey-only`` (no size or time limit), then ``host_show --all`` of
  every host under the domain in IPA batch requests of 100 (the audit's
  inventory.BATCH), one batch after the other as the audit sends them; the DNS
  zones and ``dnsrecord_find`` of each zone under the domain. nova: every
  server of every project, ``/servers/detail?all_tenants`` paged with ``limit``
  = [audit] page_size following ``servers_links``, then the soft-deleted ones
  the same way. neutron: floating IPs and ports (id, device_id, device_owner)
  paged the same way. One IPAClient built as the audit builds it, one
  keystoneauth session (notify.adapters.openstack.load_session) with the
  audit's pool size. The answers are kept in memory (the audit needs them all
  at once), nothing is decided. Left out, as the audit's own cost: the nova
  down-cell probe, the probe past each last page, the provenance/naming rules,
  the plan and the report.

``deletes FILE``: ``host_del --updatedns`` of every fqdn in FILE from
  ``--threads`` threads at once (the daemon's executor_thread_pool_size)
  through an IPAClient built as the daemon builds it ([ipa] max_connections,
  batch_window, batch_size): the IPA-bound rate of the daemon's batched
  deletes, with none of its other work.

Prints one JSON object (seconds, counts) on stdout.
"""

import argparse
import concurrent.futures
import json
import sys
import time
import urllib.parse


def ipa_client(conf, max_connections):
    from notify.adapters.ipa import IPAClient
    return IPAClient.from_config(conf, max_connections=max_connections)


def complete(ipa, command, *args, **options):
    return ipa.call(command, *args, sizelimit=0, timelimit=0, **options)['result']


def ipa_listings(conf, ipa):
    from notify.adapters.ipa_dns import dns_text
    domain = conf.ipa.domain.rstrip('.').lower()
    names = [str(n).lower() for e in complete(ipa, 'host_find', pkey_only=True)
             for n in e.get('fqdn', ())]
    names = sorted(n for n in names if n.endswith('.' + domain))
    hosts = []
    for start in range(0, len(names), 100):
        hosts += ipa.call_batch([('host_show', (n,), {'all': True})
                                 for n in names[start:start + 100]])
    records = []
    for zone in complete(ipa, 'dnszone_find', pkey_only=True):
        name = dns_text(zone['idnsname'][0])
        if ('.' + name.rstrip('.') + '.').lower().endswith('.' + domain + '.'):
            records += complete(ipa, 'dnsrecord_find', name)
    return hosts, records


def paged(session, service_type, conf, path, key, query, headers=None):
    """Every item of a collection: GET with limit, then the ``<key>_links`` next."""
    sc = conf.service_credentials
    endpoint = {'service_type': service_type, 'interface': sc.interface,
                'region_name': sc.region_name}
    url = f'{path}?{urllib.parse.urlencode(dict(query, limit=conf.audit.page_size), True)}'
    items, pages = [], 0
    while url:
        kwargs = {'headers': headers or {}}
        if not url.startswith('http'):
            kwargs['endpoint_filter'] = endpoint
        body = session.get(url, **kwargs).json()
        pages += 1
        items += body.get(key) or []
        url = next((link['href'] for link in body.get(f'{key}_links') or ()
                    if link.get('rel') == 'next'), None)
    return items, pages


def listings(conf):
    from notify.adapters import openstack
    from notify.adapters.openstack import NOVA_HEADERS
    started = time.monotonic()
    ipa = ipa_client(conf, min(conf.audit.workers, conf.ipa.max_connections))   # as build.py
    session = openstack.load_session(conf, pool_size=conf.audit.workers)
    t0 = time.monotonic()
    hosts, records = ipa_listings(conf, ipa)
    t1 = time.monotonic()
    servers, nova_pages = paged(session, 'compute', conf, '/servers/detail', 'servers',
                                {'all_tenants': 'True'}, NOVA_HEADERS)
    soft, soft_pages = paged(session, 'compute', conf, '/servers/detail', 'servers',
                             {'all_tenants': 'True', 'deleted': True,
                              'status': 'SOFT_DELETED'}, NOVA_HEADERS)
    t2 = time.monotonic()
    fips, fip_pages = paged(session, 'network', conf, '/v2.0/floatingips', 'floatingips', {})
    ports, port_pages = paged(session, 'network', conf, '/v2.0/ports', 'ports',
                              {'fields': ['id', 'device_id', 'device_owner']})
    t3 = time.monotonic()
    return {'seconds': t3 - started, 'setup_seconds': t0 - started,
            'ipa_seconds': t1 - t0, 'nova_seconds': t2 - t1, 'neutron_seconds': t3 - t2,
            'hosts': len(hosts), 'records': len(records), 'servers': len(servers) + len(soft),
            'nova_pages': nova_pages + soft_pages, 'floatingips': len(fips),
            'ports': len(ports), 'neutron_pages': fip_pages + port_pages}


def deletes(conf, path, threads):
    from notify.adapters.ipa_hosts import IPAHosts
    with open(path) as f:
        fqdns = [line.strip() for line in f if line.strip()]
    hosts = IPAHosts(ipa_client(conf, conf.ipa.max_connections))
    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(threads) as pool:
        removed = sum(pool.map(hosts.remove, fqdns))
    return {'seconds': time.monotonic() - started, 'removed': removed, 'asked': len(fqdns),
            'threads': threads}


def main(argv=None):
    parser = argparse.ArgumentParser(prog='bench.audit_baseline', description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--config-file', required=True)
    sub = parser.add_subparsers(dest='what', required=True)
    sub.add_parser('listings')
    dels = sub.add_parser('deletes')
    dels.add_argument('fqdn_file')
    dels.add_argument('--threads', type=int, default=64)
    args = parser.parse_args(argv)
    from notify.cmd import parse_config
    conf = parse_config(['--config-file', args.config_file])
    if args.what == 'listings':
        result = listings(conf)
    else:
        result = deletes(conf, args.fqdn_file, args.threads)
    print(json.dumps(result, sort_keys=True), flush=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
