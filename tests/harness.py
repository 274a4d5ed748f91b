"""Run the real daemon against a private RabbitMQ and the emulators.

Shared by the functional tests, the quick-start demo and the benchmarks: the
daemon is started from its console script as a separate process; notifications
are published with oslo.messaging's own Notifier, as nova and neutron do.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
import uuid

import kombu
import oslo_messaging
from oslo_config import cfg

IPA_DOMAIN = 'example.test'
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
READY_LINE = 'listening on topics'


def wait_for(predicate, timeout=30.0, interval=0.1, what='condition'):
    """Poll ``predicate`` until it returns a true value; bounded in time."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f'timed out after {timeout:.0f}s waiting for {what}')
        time.sleep(interval)


def daemon_command():
    script = shutil.which('novajoin-notify')
    if script:
        return [script]
    return [sys.executable, '-m', 'notify.cmd']


def write_config(path, rabbit_url, ipa, cloud, topic, extra=''):
    """A daemon configuration for the emulators, as an operator would write it."""
    text = textwrap.dedent(f"""\
        [DEFAULT]
        transport_url = {rabbit_url}
        debug = True

        [listener]
        topics = {topic}
        requeue_delay = 0.5
        retry_initial_delay = 0.1
        retry_max_delay = 0.5
        shutdown_timeout = 10

        [dead_letter]
        spool_dir = {os.path.join(os.path.dirname(os.path.abspath(path)), 'failed')}

        [http]
        listen =

        [ipa]
        server = {ipa.server}
        ca_cert = {ipa.ca_path}
        username = {ipa.username}
        password = {ipa.password}
        domain = {IPA_DOMAIN}

        [service_credentials]
        auth_type = password
        auth_url = {cloud.auth_url}
        username = {cloud.username}
        password = {cloud.password}
        project_name = {cloud.project_name}
        user_domain_name = Default
        project_domain_name = Default
        cafile = {cloud.ca_path}
        region_name = RegionOne
        interface = public
        """)
    text = _merge(text, extra)
    with open(path, 'w') as f:
        f.write(text)
    return path


def _merge(text, extra):
    """Apply ``extra`` ini lines: a key already in its section is replaced, a new
    key is added under its section, a new section is appended."""
    if not extra.strip():
        return text
    lines = text.splitlines()
    section = None
    for line in textwrap.dedent(extra).splitlines():
        if line.startswith('['):
            section = line.strip()
            if section not in lines:
                lines += ['', section]
            continue
        if not line.strip():
            continue
        key = line.split('=', 1)[0].strip()
        start = lines.index(section) + 1
        end = next((i for i in range(start, len(lines)) if lines[i].startswith('[')),
                   len(lines))
        for i in range(start, end):
            if lines[i].split('=', 1)[0].strip() == key:
                lines[i] = line
                break
        else:
            while end > start and not lines[end - 1].strip():
                end -= 1
            lines.insert(end, line)
    return '\n'.join(lines) + '\n'


class Daemon:
    """The real ``novajoin-notify`` process."""

    def __init__(self, config_path, log_path, args=(), env=None):
        self.config_path = config_path
        self.log_path = log_path
        self.args = list(args)
        self.env = dict(env or {})
        self.process = None
        self.stdout_path = log_path + '.stdout'

    def start(self, wait_ready=True, timeout=60):
        env = dict(os.environ, PYTHONWARNINGS='ignore')
        for name in ('REQUESTS_CA_BUNDLE', 'NOTIFY_SOCKET', 'WATCHDOG_USEC'):
            env.pop(name, None)
        env.update(self.env)
        self._stdout = open(self.stdout_path, 'ab')
        self._log = open(self.log_path, 'ab')
        self.process = subprocess.Popen(
            daemon_command() + ['--config-file', self.config_path] + self.args,
            stdout=self._stdout, stderr=self._log, env=env, start_new_session=True)
        if wait_ready:
            wait_for(lambda: self.ready() or self._died(), timeout, what='daemon start')
            if self.process.poll() is not None:
                raise RuntimeError(f'daemon exited with {self.process.returncode}:\n'
                                   + self.log()[-3000:])
        return self

    def _died(self):
        return self.process.poll() is not None

    def ready(self):
        return READY_LINE in self.log()

    def log(self):
        with open(self.log_path, errors='replace') as f:
            return f.read()

    def stdout(self):
        with open(self.stdout_path, errors='replace') as f:
            return f.read()

    def send_signal(self, signum):
        self.process.send_signal(signum)

    def stop(self, signum=signal.SIGTERM, timeout=30):
        """Stop by signal and return the exit status (SIGKILL only if it hangs)."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signum)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self._stdout.close()
        self._log.close()
        return self.process.returncode

    def kill(self):
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)


class Publisher:
    """oslo.messaging's Notifier on one exchange, as nova (or neutron) uses it."""

    def __init__(self, transport_url, exchange, topic, publisher_id='nova-compute:compute-0',
                 durable=False):
        conf = cfg.ConfigOpts()
        conf([], project='novajoin-notify-tests')
        # Build once to register the transport options, then set the exchange:
        # it is read when a transport is built.
        oslo_messaging.get_notification_transport(conf, url=transport_url).cleanup()
        conf.set_override('control_exchange', exchange)
        conf.set_override('amqp_durable_queues', durable, group='oslo_messaging_rabbit')
        self.transport = oslo_messaging.get_notification_transport(conf, url=transport_url)
        self.notifier = oslo_messaging.Notifier(
            self.transport, publisher_id=publisher_id, driver='messagingv2',
            topics=[topic])

    def send(self, event_type, payload, priority='info', context=None):
        ctxt = context if context is not None else {
            'user_id': 'admin', 'project_id': 'service',
            'request_id': 'req-' + str(uuid.uuid4())}
        getattr(self.notifier, priority)(ctxt, event_type, payload)

    def close(self):
        self.transport.cleanup()


def publish_raw(transport_url, exchange, routing_key, body, content_type='application/json'):
    """Put bytes on the bus exactly as given (for garbage and hostile messages)."""
    url = transport_url.replace('rabbit://', 'amqp://', 1)
    with kombu.Connection(url, connect_timeout=10) as connection:
        producer = connection.Producer(serializer='json')
        producer.publish(body if isinstance(body, (bytes, str)) else json.dumps(body),
                         exchange=exchange, routing_key=routing_key,
                         content_type=content_type, content_encoding='utf-8',
                         declare=[], retry=False)


def unique_topic(prefix='nj'):
    return f'{prefix}_{uuid.uuid4().hex[:10]}'


def log_lines(log, level):
    """The log records of one level (oslo.log's format: date time pid LEVEL name ...)."""
    marker = f' {level} '
    return [line for line in log.splitlines()
            if marker in line[:60] and line[:4].isdigit()]
