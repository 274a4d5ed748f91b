"""Benchmarks of novajoin-notify against a private RabbitMQ and the emulators (bench/run).

Where things are:

  runner.py          command line, RabbitMQ and the emulators up and down, the
                     scenarios in turn (``python -m bench.runner``, via bench/run)
  context.py         Bench: what the scenarios share (hosts seeded in IPA, the
                     daemon and helper consumers they start, CPU readings)
  traffic.py         the cloud the benchmark plays, notification bodies, the bus
                     (raw preloading publishes, queue depth)
  processes.py       helper processes, stopping any consumer by PID
  measure.py         progress log, ScenarioError, /proc readings, figure helpers
  report.py          targets, the printed table, the JSON, the exit status
  scenarios/         one module a scenario, each with scenario(bench):
                     ignored (1), deletes (2, and 3's burst), requests (3),
                     latency (4), memory (5), scale (6)
  plain_listener.py  scenario 1's reference (a do-nothing oslo.messaging listener)
  baseline_old.py    scenario 2c's reference (the old novajoin call pattern)
  common.py          what those two helper processes share
"""
