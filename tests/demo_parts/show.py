"""What the demo prints: IPA hosts with their records, Satellite hosts, log lines."""

import re

ZONE, REVERSE = 'example.test.', '2.0.192.in-addr.arpa.'


def ipa_state(title, ipa):
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


def satellite_state(title, foreman):
    print(f'\n{title}')
    for host_id, name in sorted(foreman.hosts().items()):
        print(f'  {name:<24} id {host_id}')


def daemon_lines(log):
    """The daemon's INFO/WARNING/ERROR lines about hosts, records and Satellite."""
    print('\nwhat the daemon logged:')
    for line in log.splitlines():
        if re.search(r' (INFO|WARNING|ERROR) notify\.(handlers|adapters\.ipa_dns)', line):
            print('  ' + line.split(' ', 3)[-1])
