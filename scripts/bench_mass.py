#!/usr/bin/env python3
"""Benchmark a marketing mass message to 100,000 contacts.

    python3 scripts/bench_mass.py [--db text_messaging_bench_mass]
                                  [--contacts 100000] [--timeout 900] [--keep]
                                  [--profile FILE]

Creates its own database (the name must end with ``_bench_mass``; an existing
database of that name is only replaced if this script created it), installs the
addon without demo data, inserts the contacts in SQL (3% without a number, 1%
with an invalid one, 1% opted out, 10% without marketing permission, 1% sharing
a number), a sandbox gateway as the company default, and a marketing mass
message to every contact, as the administrator. Then:
1. the exclusion counts the form shows (``_exclusion_counts``), median of 3;
2. Send, then the queueing cron (``_cron_enqueue``, one batch per call,
   committing after each as the cron runner does) until the message is done:
   rows per second; meanwhile a second thread reads the message's statistics
   (the counters of its form) every 0.2 s, each in its own transaction;
3. the process's peak resident memory (the whole Odoo process).
With --profile, the queueing is run under cProfile (stats written to FILE,
the costliest functions printed). Numbers are printed, never asserted. The run
stops after --timeout seconds.
"""

import argparse
import resource
import signal
import statistics
import sys
import threading
import time
from pathlib import Path
from unittest.mock import patch

import bench_history
import devenv

SUFFIX = "_bench_mass"
STATISTICS = [
    "queued_count",
    "sent_count",
    "delivered_count",
    "failed_count",
    "skipped_count",
    "remaining_count",
    "progress",
    "cost",
]


def insert_contacts(env, count):
    """``count`` contacts with the exclusion mix of the docstring (SQL)."""
    from odoo.tools import SQL

    from odoo.addons.text_messaging.tools import compat

    cr = env.cr
    # The contact's first number field: mobile on 18.0, phone on 19.0.
    number_field = SQL.identifier(compat.PARTNER_NUMBER_FIELDS[0])
    cr.execute(
        SQL(
            """
        INSERT INTO res_partner (name, complete_name, %(number_field)s,
               phone_sanitized, text_number, text_number_validity,
               text_marketing_allowed, active, type, autopost_bills,
               create_date, write_date, create_uid, write_uid)
        SELECT 'Contact ' || i, 'Contact ' || i, n.number, n.number,
               CASE WHEN mod(i, 100) < 3 THEN NULL ELSE n.number END,
               CASE WHEN mod(i, 100) < 3 THEN 'missing'
                    WHEN mod(i, 100) = 3 THEN 'invalid' ELSE 'valid' END,
               mod(i, 10) <> 9, true, 'contact', 'ask', now(), now(), 1, 1
          FROM generate_series(0, %(count)s - 1) AS i,
               LATERAL (SELECT '+1' || (201 + i / 10000) || '555'
                               || lpad(mod(CASE WHEN mod(i, 100) = 5 THEN i - 1
                                                ELSE i END, 10000)::text,
                                       4, '0') AS number) AS n
         ORDER BY i
        """,
            number_field=number_field,
            count=count,
        )
    )
    cr.execute(
        """
        INSERT INTO phone_blacklist (number, active, create_date, write_date,
               create_uid, write_uid)
        SELECT DISTINCT text_number, true, now(), now(), 1, 1 FROM res_partner
         WHERE text_number IS NOT NULL AND id % 50 = 7
        """
    )
    env.invalidate_all()


def read_statistics(registry, user_id, message_id, stop, latencies):
    import odoo

    while not stop.is_set():
        with registry.cursor() as cr:
            env = odoo.api.Environment(cr, user_id, {})
            start = time.perf_counter()
            env["sms.mass.message"].browse(message_id).read(STATISTICS)
            latencies.append(1000 * (time.perf_counter() - start))
            cr.rollback()
        time.sleep(0.2)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="text_messaging" + SUFFIX)
    parser.add_argument("--contacts", type=int, default=100000)
    parser.add_argument("--timeout", type=int, default=900)
    parser.add_argument("--keep", action="store_true", help="keep the database")
    parser.add_argument("--profile", help="cProfile the queueing, stats to this file")
    args = parser.parse_args()
    bench_history.guard(args, SUFFIX)
    started = time.perf_counter()

    import odoo

    try:
        registry = bench_history.open_database(args.db)
        from odoo.addons.text_messaging.tools import compat

        with registry.cursor() as cr:
            bench_history.warn_if_autovacuum_off(cr)
            env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
            env["ir.config_parameter"].set_param(bench_history.MARKER, "1")
            company = env.ref("base.main_company")
            company.country_id = env.ref("base.us")
            gateway = env["sms.gateway"].create(
                {
                    "name": "Bench sandbox",
                    "company_id": company.id,
                    "is_default": True,
                    "cost_per_segment": 0.0079,
                }
            )
            insert_contacts(env, args.contacts)
            cr.commit()
            admin = env.ref("base.user_admin")
            message = (
                env["sms.mass.message"]
                .with_user(admin)
                .create(
                    {
                        "name": "Spring offer",
                        "company_id": company.id,
                        "purpose": "marketing",
                        "gateway_id": gateway.id,
                        "body": "Spring offer: 20% off every session booked "
                        "this week at Main office.",
                    }
                )
            )
            cr.commit()
            rss_start = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            print(
                f"{args.contacts} contacts; set up in "
                f"{time.perf_counter() - started:.0f} s",
                flush=True,
            )

            timings, counts = [], None
            for _attempt in range(3):
                env.invalidate_all()
                start = time.perf_counter()
                counts = message._exclusion_counts()
                timings.append(1000 * (time.perf_counter() - start))
            print(f"exclusion counts: {counts}", flush=True)

            message.action_send()
            cr.commit()
            stop, latencies = threading.Event(), []
            thread = threading.Thread(
                target=read_statistics,
                args=(registry, admin.id, message.id, stop, latencies),
                daemon=True,
            )
            thread.start()
            calls = 0
            enqueue_start = time.perf_counter()
            try:
                with (
                    bench_history.profiled(args.profile),
                    # No cron runner here, on 18.0 and 19.0 alike.
                    patch.object(compat, "notify_progress", lambda *a, **k: None),
                ):
                    while message.state == "sending":
                        env["sms.mass.message"]._cron_enqueue()
                        cr.commit()
                        calls += 1
                        env.invalidate_all()
            finally:
                enqueue_seconds = time.perf_counter() - enqueue_start
                stop.set()
                thread.join()
            rows = env["sms.sms"].search_count([("mass_message_id", "=", message.id)])
            queued = env["sms.sms"].search_count(
                [("mass_message_id", "=", message.id), ("state", "=", "outgoing")]
            )
            rss_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            state = message.state
        print(
            f"queueing: {rows} rows ({queued} to send, the others cancelled with "
            f"their reason) in {calls} cron calls, {enqueue_seconds:.1f} s; "
            f"message {state}",
            flush=True,
        )
        print("\n| measure | value |")
        print("|---|---:|")
        print(
            f"| exclusion counts, median of 3 (worst) | "
            f"{statistics.median(timings):.0f} ms ({max(timings):.0f} ms) |"
        )
        print(f"| queueing rate | {rows / enqueue_seconds:.0f} rows/s |")
        print(
            f"| statistics during the send, median (worst of {len(latencies)}) | "
            f"{statistics.median(latencies):.0f} ms ({max(latencies):.0f} ms) |"
        )
        print(
            f"| peak RSS of the process (before the send) | "
            f"{rss_peak / 1024:.0f} MB ({rss_start / 1024:.0f} MB) |"
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
