"""Writes Fixtures/cron/croniter-table.json: next fire times from croniter (the original's library).

Run with the venv `make test` creates: .venv/bin/python Tests/Helpers/oracles/make_cron_table.py > Fixtures/cron/croniter-table.json
"""
import importlib.metadata
import json
import sys
from datetime import datetime

from croniter import CroniterBadDateError, croniter

EXPRESSIONS = [
    "* * * * *", "*/5 * * * *", "*/7 * * * *", "0 * * * *", "30 2 * * *", "0 0 1 * *", "15 10 * * 1",
    "0 9-17 * * mon-fri", "0 0 * * sun", "0 0 * * 7", "0 0 * * 0,7", "5,10,50 * * * *", "0 */3 * * *",
    "0 0 */2 * *", "0 12 1,15 * *", "0 0 1 jan *", "0 0 1 1,7 *", "59 23 31 12 *", "0 0 29 2 *",
    "0 0 13 * fri", "0 0 1-7 * 1", "10-20/3 * * * *", "0 0 28-31 * *",
    "0 0 * feb-apr *", "*/15 9-17 * * 1-5", "0 0 1 */3 *", "1-59/2 * * * *", "0 8 * * sat,sun",
    "0 0 15 * 3", "20 4 */10 * *", "0 0 * * */2", "5/20 * * * *", "0 6/6 * * *", "0 0 1 * wed",
    "0 0 1-31 * mon", "0 0 * * 0-6", "45 23 * dec fri", "0 0 31 4,6,9,11 *", "0 12 * * tue-thu",
    "0 0 1,15 feb mon",
]
STARTS = ["2026-11-29 05:04:02", "2024-02-28 23:59:30", "2025-12-31 23:59:00", "2026-03-01 00:00:00"]
COUNT = 5


def main():
    cases = []
    for expression in EXPRESSIONS:
        for start in STARTS:
            iterator = croniter(expression, datetime.strptime(start, "%Y-%m-%d %H:%M:%S"))
            try:
                fires = [iterator.get_next(datetime).strftime("%Y-%m-%d %H:%M") for _ in range(COUNT)]
            except CroniterBadDateError:
                fires = None  # croniter finds no fire time: the expression can never fire
            cases.append({"expression": expression, "start": start, "next": fires})
    version = importlib.metadata.version("croniter")
    json.dump({"croniter": version, "cases": cases}, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
