"""In-memory adapters for the handlers' unit tests (no network)."""

from notify import decide
from notify.errors import TransientError
from notify.handlers.common import Enrollment, InstanceNaming
from notify.handlers.floating_ip import FloatingIPHandler
from notify.handlers.instance import InstanceDeleteHandler
from notify.locks import KeyedLock

MARK = decide.NOVAJOIN_MARKER


class Clock:
    """A monotonic clock a test moves by hand (``clock.now += 5``)."""

    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


class FakeHosts:
    dry_run = False

    def __init__(self, hosts=None, services=None):
        self.hosts = dict(hosts or {})          # fqdn -> HostFacts
        self.services = dict(services or {})    # principal -> set of managers
        self.removed, self.removed_services = [], []

    def facts(self, fqdn):
        return self.hosts.get(fqdn)

    def find(self, criteria):
        return [f for name, f in sorted(self.hosts.items()) if criteria in name]

    def service_managers(self, principal):
        return self.services.get(principal)

    def remove(self, fqdn):
        self.removed.append(fqdn)
        return self.hosts.pop(fqdn, None) is not None

    def remove_service(self, principal):
        self.removed_services.append(principal)
        return self.services.pop(principal, None) is not None


def marked(fqdn, managed_by=(), description=(MARK,), groups=()):
    return decide.HostFacts(fqdn, tuple(description), frozenset(managed_by),
                            frozenset(groups))


class FakeDns:
    def __init__(self, records=None, pointing=None):
        self.records = records or {}     # fqdn -> [addresses]
        self.pointing = pointing or {}   # address -> set of fqdns
        self.applied = []

    def addresses_of(self, fqdn):
        return list(self.records.get(fqdn, []))

    def names_pointing_at(self, address, hints=()):
        return set(self.pointing.get(address, ()))

    def apply(self, actions):
        self.applied += decide.changes(actions)


class FakeNova:
    def __init__(self, servers=(), problem=None, details=None):
        self.servers = [decide.ServerRecord(*s) for s in servers]
        self.problem = problem           # nova cannot tell: TransientError
        self.details = details or {}     # instance id -> adapters.openstack.Server
        self.asked = []

    def servers_named(self, hostname):
        self.asked.append(hostname)
        if self.problem:
            raise TransientError(self.problem)
        short = decide.short_name(hostname)
        return [s for s in self.servers if decide.short_name(s.hostname) == short]

    def server(self, instance_id):
        return self.details.get(instance_id)


class FakeGlance:
    def __init__(self, images=None):
        self.images = images or {}
        self.asked = []

    def image_properties(self, image_id):
        self.asked.append(image_id)
        return self.images.get(image_id, {})


class FakeKeystone:
    def __init__(self, names):
        self.names = names               # project id -> name (deleted: absent)

    def project_name(self, project_id):
        return self.names.get(project_id)

    def project_names(self):
        return dict(self.names)


class FakeNeutron:
    def __init__(self, fips=(), ports=None, floatingips=None):
        self.fips = list(fips)           # floating IP dicts as neutron lists them
        self.ports = ports or {}         # port id -> (device_id, device_owner)
        self.by_id = floatingips or {}

    def floatingips_at(self, address):
        return [f for f in self.fips if f['floating_ip_address'] == address]

    def port(self, port_id):
        return self.ports.get(port_id)

    def floatingip(self, fip_id):
        return self.by_id.get(fip_id)


def instance_handler(hosts=None, services=None, servers=(), images=None, keystone=None,
                     dns=None, neutron=None, problem=None, rules=None):
    ipa = FakeHosts(hosts, services)
    nova, glance = FakeNova(servers, problem), FakeGlance(images)
    h = InstanceDeleteHandler(ipa, dns or FakeDns(), nova, Enrollment(glance),
                              InstanceNaming('example.test', keystone), KeyedLock(),
                              rules or decide.Protection(), neutron=neutron)
    return h, ipa, nova, glance


def fip_handler(hosts=None, dns=None, nova=None, neutron=None, images=None):
    ipa = FakeHosts(hosts)
    h = FloatingIPHandler(dns or FakeDns(), ipa, nova or FakeNova(), neutron or FakeNeutron(),
                          Enrollment(FakeGlance(images)), InstanceNaming('example.test'),
                          KeyedLock(), decide.Protection())
    return h, ipa
