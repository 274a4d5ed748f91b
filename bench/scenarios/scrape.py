"""Scenario 8, scrape: the delete burst with /metrics scraped every second vs not
(bench/scrape.py does the measuring; this wires it into the runner's table)."""

from bench import scrape
from bench.measure import log


def scenario(bench):
    size = scrape.SIZES['quick' if bench.args.quick else 'full']
    result = scrape.scenario_scrape(bench.rabbit, bench.ipa, bench.cloud, bench._work,
                                    log=log, **size)
    bench.report.results['8_scrape'] = {k: v for k, v in result.items() if k != 'row'}
    row = dict(result['row'], scenario='8' + result['row']['scenario'][1:])
    bench.report.row(**row)
