"""What the helper processes of the benchmark share: an oslo.messaging listener
started like the daemon's (threading executor, the pool size and prefetch of its
oslo configuration file), run until SIGTERM."""

import logging
import signal
import sys
import threading

import oslo_messaging
from oslo_config import cfg

READY_LINE = 'bench helper consuming'


def listener_conf(config_file):
    """oslo configuration read from ``config_file`` ([DEFAULT] transport_url,
    executor_thread_pool_size; [oslo_messaging_rabbit] rabbit_qos_prefetch_count)."""
    conf = cfg.ConfigOpts()
    conf(['--config-file', config_file], project='novajoin-notify-bench')
    return conf


def run_listener(conf, topic, endpoints, exchanges=('nova', 'neutron')):
    """Consume ``topic`` on each exchange (as the daemon does) until SIGTERM/SIGINT."""
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr,
                        format='%(asctime)s %(process)d %(levelname)s %(name)s %(message)s')
    transport = oslo_messaging.get_notification_transport(conf)
    targets = [oslo_messaging.Target(topic=topic, exchange=exchange) for exchange in exchanges]
    server = oslo_messaging.get_notification_listener(
        transport, targets, endpoints, executor='threading', allow_requeue=True)
    stopping = threading.Event()

    def on_signal(signum, frame):
        stopping.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    server.start()
    print(f'{READY_LINE} {topic} (pool {conf.executor_thread_pool_size}, prefetch '
          f'{conf.oslo_messaging_rabbit.rabbit_qos_prefetch_count})', file=sys.stderr,
          flush=True)
    while not stopping.wait(1.0):
        pass
    server.stop()
    server.wait()
    transport.cleanup()
    return 0
