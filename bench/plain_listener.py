"""A plain oslo.messaging notification listener with a do-nothing endpoint.

The reference of scenario 1: what oslo.messaging itself costs to consume a
notification (threading executor, same pool size and prefetch as the daemon,
same topic on the same two exchanges), with no filter and no work.

    python -m bench.plain_listener --config-file OSLO.conf --topic TOPIC
"""

import argparse
import sys

from bench import common


class DoNothing:
    """Every notification is acknowledged as it arrives."""

    def info(self, ctxt, publisher_id, event_type, payload, metadata):
        return None


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--config-file', required=True)
    parser.add_argument('--topic', required=True)
    args = parser.parse_args(argv)
    conf = common.listener_conf(args.config_file)
    return common.run_listener(conf, args.topic, [DoNothing()])


if __name__ == '__main__':
    sys.exit(main())
