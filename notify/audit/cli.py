"""``novajoin-notify --config-file FILE audit [--apply] [--format json]
[--max-removals N] [--dry-run]``."""

import argparse
import logging
import sys

from notify.audit import EXIT_CONFIG, report

LOG = logging.getLogger(__name__)

COMMAND = 'audit'
# oslo.config options that take a value: "audit" right after one is that value.
_VALUE_OPTIONS = ('--config-file', '--config-dir', '--log-file', '--log-dir',
                  '--log-config-append', '--log-date-format', '--syslog-log-facility')


def split_command(argv):
    """(oslo.config arguments, command or None, the command's arguments)."""
    for i, arg in enumerate(argv):
        if arg == COMMAND and not (i and argv[i - 1] in _VALUE_OPTIONS):
            return argv[:i], COMMAND, argv[i + 1:]
    return list(argv), None, []


def parser():
    p = argparse.ArgumentParser(
        prog='novajoin-notify [--config-file FILE] audit',
        description='Find IPA hosts, services and floating-IP records that '
                    'notifications missed; remove them with --apply. Exit status: 0 '
                    'nothing stale (or all removed), 1 stale entries left, 2 '
                    'configuration error, 3 aborted by a safety rule, nothing changed.')
    p.add_argument('--apply', action='store_true',
                   help='remove the stale entries found (and add missing records)')
    p.add_argument('--dry-run', action='store_true',
                   help='report only, the same as leaving out --apply')
    p.add_argument('--format', choices=('table', 'json'), default='table',
                   help='a table (default) or one JSON object on stdout')
    p.add_argument('--max-removals', type=int, metavar='N',
                   help='abort when more hosts than N would be removed '
                        '(default: [audit] max_removals)')
    return p


def parse_args(args):
    try:
        return parser().parse_args(args)
    except SystemExit as exc:           # argparse printed why
        return exc.code or EXIT_CONFIG


def run(conf, args, protection, out=sys.stdout):
    from notify.audit.build import build_audit
    from notify.handlers import ConfigurationError
    progress = report.progress_factory(out) if args.format == 'table' else None
    apply = args.apply and not args.dry_run
    try:
        audit = build_audit(conf, protection, max_removals=args.max_removals,
                            progress=progress)
    except ConfigurationError as exc:
        LOG.error('configuration: %s', exc)
        return EXIT_CONFIG
    result = audit.run(apply=apply)
    text = report.as_json(result) if args.format == 'json' else report.as_table(result)
    print(text, file=out, flush=True)
    return result.exit_code
