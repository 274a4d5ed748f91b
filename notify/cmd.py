"""The ``novajoin-notify`` command."""

import importlib.metadata
import logging as std_logging
import sys
import warnings

# oslo.service (imported by oslo.messaging) warns about eventlet at import time;
# this daemon uses the threading executor and never eventlet.
warnings.filterwarnings('ignore', message=r'\s*Eventlet is deprecated')

from oslo_messaging import opts as messaging_opts
from oslo_config import cfg
from oslo_log import log as logging

from notify import opts

LOG = logging.getLogger(__name__)

cli_opts = [
    cfg.BoolOpt('dump', default=False,
                help='Debug mode: print every notification arriving on the configured '
                     'topics as JSON (secrets redacted) and act on none. Uses a '
                     'queue of its own, so a running daemon misses nothing.'),
    cfg.BoolOpt('dry-run', default=False,
                help='Consume and decide as usual, but only log the IPA changes that '
                     'would be made; IPA is read, never changed. Messages are '
                     'acknowledged: run it with a [listener] pool or a copy of the '
                     'topic, not in place of the daemon.'),
    cfg.BoolOpt('replay', default=False,
                help='Publish every notification kept in [dead_letter] spool_dir again '
                     'on its exchange and the first topic, remove what was published, '
                     'and exit.'),
]


def version():
    try:
        return importlib.metadata.version('novajoin-notify')
    except importlib.metadata.PackageNotFoundError:
        return 'unknown'


def parse_config(argv=None):
    opts.update_library_defaults()
    conf = cfg.ConfigOpts()
    opts.register_opts(conf)
    logging.register_options(conf)
    # Logs to stderr (the journal under systemd); stdout is kept for --dump output.
    conf.set_default('use_stderr', True)
    for group, group_opts in messaging_opts.list_opts():
        conf.register_opts(group_opts, group=group)
    conf.register_cli_opts(cli_opts)
    conf(sys.argv[1:] if argv is None else argv, project=opts.PROJECT, version=version())
    return conf


def config_problems(conf, command=None):
    """What keeps the daemon from working, as operator-readable sentences."""
    problems = []
    if not conf.transport_url and command is None:
        problems.append('[DEFAULT] transport_url is not set')
    if conf.dump or conf.replay:
        return problems
    for group, name in (('ipa', 'server'), ('ipa', 'domain'), ('ipa', 'password'),
                        ('service_credentials', 'auth_type')):
        if not getattr(conf[group], name):
            problems.append(f'[{group}] {name} is not set')
    from notify.adapters.ipa import check_ca_cert
    problems.append(check_ca_cert(conf.ipa.ca_cert) if conf.ipa.ca_cert
                    else '[ipa] ca_cert is not set')
    return [problem for problem in problems if problem]


def main(argv=None):
    from notify.audit import cli as audit_cli
    argv, command, command_args = audit_cli.split_command(
        sys.argv[1:] if argv is None else argv)
    if command:
        command_args = audit_cli.parse_args(command_args)
        if isinstance(command_args, int):
            return command_args
    try:
        conf = parse_config(argv)
    except cfg.Error as exc:
        print(f'novajoin-notify: {exc}', file=sys.stderr)
        return 2
    logging.setup(conf, opts.PROJECT)
    conf.log_opt_values(LOG, std_logging.DEBUG)
    problems = config_problems(conf, command)
    if problems:
        for problem in problems:
            LOG.error('configuration: %s', problem)
        return 2
    if command:
        from notify import service
        return audit_cli.run(conf, command_args, service.protection(conf))
    if conf.dump:
        from notify import dump
        return dump.dump(conf)
    if conf.replay:
        from notify import deadletter
        replayed, failed = deadletter.replay(conf)
        LOG.info('replay: %d notification(s) published again, %d not', replayed, failed)
        return 1 if failed else 0
    from notify import service
    from notify.handlers import ConfigurationError
    try:
        return service.run(conf, dry_run=conf.dry_run)
    except ConfigurationError as exc:
        LOG.error('configuration: %s', exc)
        return 2


if __name__ == '__main__':
    sys.exit(main())
