#!/usr/bin/env python3
"""Benchmark the History's retention purge while the History is being read.

    python3 scripts/bench_purge.py [--db text_messaging_bench_purge]
                                   [--rows 1000000] [--timeout 900] [--keep]

Creates its own database (the name must end with ``_bench_purge``; an existing
database of that name is only replaced if this script created it), installs the
addon without demo data and fills a year of texts as ``bench_history.py`` does
(--rows, with the History indexes), half of them older than a retention of 183
days. Then:
1. a second thread, as a Text Messaging user, loads the History's first page
   (``web_search_read``) again and again, each in its own transaction: its
   latency alone first, then while
2. the main thread runs the retention purge as the autovacuum cron does
   (``sms.sms._gc_text_messaging_history``, one batch per call), committing
   after each call, until no expired text remains.
Prints each batch's duration (the time its row locks are held), the purge's
rate, and the reader's median and worst latency alone and during the purge.
Numbers are printed, never asserted. The run stops after --timeout seconds.
"""

import argparse
import signal
import statistics
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import bench_history
import devenv

SUFFIX = "_bench_purge"
RETENTION_DAYS = 183


def read_history(registry, user_id, company_id, stop, latencies):
    """Load the History's first page until ``stop`` is set."""
    import odoo

    while not stop.is_set():
        with registry.cursor() as cr:
            env = odoo.api.Environment(
                cr,
                user_id,
                {"allowed_company_ids": [company_id], "tz": bench_history.TZ},
            )
            start = time.perf_counter()
            env["sms.sms"].web_search_read(
                [],
                bench_history.LIST_SPEC,
                limit=80,
                count_limit=bench_history.COUNT_LIMIT,
            )
            latencies.append(1000 * (time.perf_counter() - start))
            cr.rollback()
        time.sleep(0.05)


def reader(registry, user, company):
    """Start the reader thread; returns (stop event, thread, latencies)."""
    stop, latencies = threading.Event(), []
    thread = threading.Thread(
        target=read_history,
        args=(registry, user.id, company.id, stop, latencies),
        daemon=True,
    )
    thread.start()
    return stop, thread, latencies


def expired(env, limit):
    env.cr.execute(
        "SELECT count(*) FROM sms_sms WHERE create_date < %s "
        "AND state NOT IN ('outgoing', 'process')",
        [limit],
    )
    return env.cr.fetchone()[0]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="text_messaging" + SUFFIX)
    parser.add_argument("--rows", type=int, default=1000000)
    parser.add_argument("--timeout", type=int, default=900)
    parser.add_argument("--keep", action="store_true", help="keep the database")
    args = parser.parse_args()
    bench_history.guard(args, SUFFIX)
    started = time.perf_counter()

    import odoo

    try:
        registry = bench_history.open_database(args.db)
        from odoo.addons.text_messaging.models import sms_sms_history
        from odoo.addons.text_messaging.models.sms_sms import HISTORY_PURGE_BATCH

        # One batch per call, so that each batch (its lock time) is measured;
        # an autovacuum run loops over batches, committing each.
        sms_sms_history.PURGE_TIME_BUDGET = 0

        with registry.cursor() as cr:
            env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
            user, companies, gateways, first_contact = bench_history.prepare(env)
            bench_history.fill(env, args.rows, companies, gateways, first_contact)
            bench_history.set_indexes(env, present=True)
            env["ir.config_parameter"].set_param(
                "text_messaging.retention_days", RETENTION_DAYS
            )
            cr.commit()
            texts = env["sms.sms"]
            limit = odoo.fields.Datetime.now() - timedelta(days=RETENTION_DAYS)
            to_purge = expired(env, limit)
            cr.commit()
            print(
                f"{args.rows} texts, {to_purge} past the retention of "
                f"{RETENTION_DAYS} days; set up in "
                f"{time.perf_counter() - started:.0f} s",
                flush=True,
            )

            stop, thread, alone = reader(registry, user, companies[0])
            time.sleep(10)
            stop.set()
            thread.join()

            stop, thread, during = reader(registry, user, companies[0])
            batches = []
            purge_start = time.perf_counter()
            try:
                while True:
                    start = time.perf_counter()
                    texts._gc_text_messaging_history()
                    cr.commit()
                    batches.append(1000 * (time.perf_counter() - start))
                    if not expired(env, limit):
                        break
                    cr.commit()
            finally:
                purge_seconds = time.perf_counter() - purge_start
                stop.set()
                thread.join()
            remaining = env["sms.sms"].search_count([])
        print(
            f"purge: {to_purge} texts in {len(batches)} batches "
            f"of {HISTORY_PURGE_BATCH}, each committed, in "
            f"{purge_seconds:.1f} s, {to_purge / purge_seconds:.0f} rows/s; "
            f"{remaining} texts left",
            flush=True,
        )
        print("\n| measure | median | worst |")
        print("|---|---:|---:|")
        print(
            f"| purge batch (locks held) | {statistics.median(batches):.0f} ms "
            f"| {max(batches):.0f} ms |"
        )
        for label, latencies in (("alone", alone), ("during the purge", during)):
            print(
                f"| History first page, {label} ({len(latencies)} loads) | "
                f"{statistics.median(latencies):.0f} ms | {max(latencies):.0f} ms |"
            )
        print(f"total {time.perf_counter() - started:.0f} s")
    finally:
        signal.alarm(0)
        odoo.sql_db.close_all()
        if not args.keep:
            devenv.drop_database(args.db)


if __name__ == "__main__":
    Path(devenv.STATE).mkdir(exist_ok=True)
    sys.exit(main())
