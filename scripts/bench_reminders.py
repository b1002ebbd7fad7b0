#!/usr/bin/env python3
"""Benchmark the reminder engine against Odoo's stock calendar_sms alarm path.

    python3 scripts/bench_reminders.py [--db text_messaging] [--sessions 10000]
                                       [--batch 1000]

Runs on a throwaway copy of the database (created from --db, dropped at the end).
It inserts N sessions (SQL) that start in 1 h 55 min, each with one client who
allows text reminders and has a valid number, and an SMS alarm of 2 hours; then,
over the same events in the same run:
1. ours: the session rule (2 hours before, to the client) run by the reminder
   cron method (``_cron_send_reminders``), committing after each call as the cron
   runner does, until nothing remains: every reminder queued (sms.sms), logged
   (sms.reminder.log) and noted in the event's chatter;
2. stock: calendar_sms's alarm path (``calendar.alarm_manager._send_reminder``
   with the same look-back), which posts each SMS on its event (chatter message,
   sms.sms, notification) and sends it at once; only the IAP call is stubbed, at
   the process edge (``iap_jsonrpc``).
Then the number of queries of one call of ours for two batch sizes, to show it
does not grow with the batch. Numbers are printed, never asserted.
"""

import argparse
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from unittest.mock import patch

import devenv

LOOK_BACK = timedelta(minutes=10)
LEAD = timedelta(hours=2) - timedelta(minutes=5)  # due 5 minutes ago


def fake_iap_jsonrpc(url, method="call", params=None, timeout=15):
    """IAP's answer to /api/sms/3/send: every message accepted."""
    return [
        {"uuid": number["uuid"], "state": "success", "credit": 1}
        for message in (params or {}).get("messages", [])
        for number in message["numbers"]
    ]


def insert_sessions(env, count, start, label, alarm=None):
    """``count`` sessions starting at ``start``, one new client each (SQL).

    Returns the event ids."""
    cr = env.cr
    created = start - timedelta(days=1)
    us = env.ref("base.us").id
    cr.execute(
        """
        INSERT INTO res_partner (name, complete_name, mobile, phone_sanitized,
               text_number, text_number_validity, text_reminders_allowed, tz,
               lang, active, type, autopost_bills, country_id, create_date,
               write_date, create_uid, write_uid)
        SELECT %(label)s || ' client ' || i, %(label)s || ' client ' || i,
               n.number, n.number, n.number, 'valid', true, 'America/New_York',
               'en_US', true, 'contact', 'ask', %(us)s, %(created)s, %(created)s,
               1, 1
          FROM generate_series(0, %(count)s - 1) AS i,
               LATERAL (SELECT '+1' || (201 + i / 10000) || '555'
                               || lpad((i %% 10000)::text, 4, '0') AS number) AS n
         ORDER BY i
        RETURNING id
        """,
        {"label": label, "count": count, "us": us, "created": created},
    )
    partner_ids = [row[0] for row in cr.fetchall()]
    cr.execute(
        """
        INSERT INTO calendar_event (name, start, stop, duration, allday, active,
               user_id, show_as, privacy, location, create_date, write_date,
               create_uid, write_uid)
        SELECT %(label)s || ' session ' || i, %(start)s, %(stop)s, 1.0, false,
               true, %(user)s, 'busy', 'public', 'Main office', %(created)s,
               %(created)s, 1, 1
          FROM generate_series(0, %(count)s - 1) AS i
         ORDER BY i
        RETURNING id
        """,
        {
            "label": label,
            "count": count,
            "start": start,
            "stop": start + timedelta(hours=1),
            "user": env.ref("base.user_admin").id,
            "created": created,
        },
    )
    event_ids = [row[0] for row in cr.fetchall()]
    pairs = {"events": event_ids, "partners": partner_ids, "created": created}
    cr.execute(
        """
        INSERT INTO calendar_attendee (event_id, partner_id, state, common_name,
               access_token, create_date, write_date, create_uid, write_uid)
        SELECT e, p, 'accepted', 'client', md5(random()::text || e::text),
               %(created)s, %(created)s, 1, 1
          FROM unnest(%(events)s::int[], %(partners)s::int[]) AS t(e, p)
        """,
        pairs,
    )
    cr.execute(
        """
        INSERT INTO calendar_event_res_partner_rel (calendar_event_id, res_partner_id)
        SELECT e, p FROM unnest(%(events)s::int[], %(partners)s::int[]) AS t(e, p)
        """,
        pairs,
    )
    if alarm:
        cr.execute(
            """
            INSERT INTO calendar_alarm_calendar_event_rel
                   (calendar_event_id, calendar_alarm_id)
            SELECT e, %s FROM unnest(%s::int[]) AS e
            """,
            (alarm.id, event_ids),
        )
    env.invalidate_all()
    return event_ids


def run_ours(env, batch_size):
    """Call the reminder cron until it reports nothing remaining; commit after
    each call. Returns (seconds, queries, [queries of each call])."""
    env["ir.config_parameter"].sudo().set_param(
        "text_messaging.reminder.batch_size", batch_size
    )
    env.cr.commit()
    progress = []
    cron_class = type(env["ir.cron"])

    def notify(_self, *, done, remaining, deactivate=False):
        progress.append((done, remaining))

    per_call = []
    cpu, start, queries = time.process_time(), time.perf_counter(), env.cr.sql_log_count
    with patch.object(cron_class, "_notify_progress", notify):
        while True:
            before = env.cr.sql_log_count
            env["sms.reminder.rule"]._cron_send_reminders()
            env.cr.commit()
            per_call.append(env.cr.sql_log_count - before)
            if not progress[-1][1]:
                break
    return (
        time.perf_counter() - start,
        time.process_time() - cpu,
        env.cr.sql_log_count - queries,
        per_call,
    )


def run_stock(env, lastcall):
    from odoo.addons.iap.tools import iap_tools

    cpu, start, queries = time.process_time(), time.perf_counter(), env.cr.sql_log_count
    with patch.object(iap_tools, "iap_jsonrpc", fake_iap_jsonrpc):
        env["calendar.alarm_manager"].with_context(lastcall=lastcall)._send_reminder()
        env.cr.commit()
    return (
        time.perf_counter() - start,
        time.process_time() - cpu,
        env.cr.sql_log_count - queries,
    )


def prepare(env):
    """No gateway (stock goes to the stubbed IAP), no quiet hours, only the
    seeded session rule, switched on."""
    env["sms.gateway"].search([]).write({"is_default": False})
    company = env.ref("base.main_company")
    company.partner_id.tz = "America/New_York"
    company.text_quiet_hours = False
    env["sms.reminder.rule"].search([]).active = False
    rule = env.ref("text_messaging.sms_reminder_rule_session")
    rule.write(
        {
            "active": True,
            "offset_hours": 2,
            "recipients": "client",
            "company_id": company.id,
        }
    )
    alarm = env["calendar.alarm"].create(
        {
            "name": "Bench SMS 2 hours",
            "alarm_type": "sms",
            "duration": 2,
            "interval": "hours",
        }
    )
    return rule, alarm


def count(env, query, params):
    env.cr.execute(query, params)
    return env.cr.fetchone()[0]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="text_messaging")
    parser.add_argument("--sessions", type=int, default=10000)
    parser.add_argument("--batch", type=int, default=1000)
    args = parser.parse_args()

    package_dir = devenv.find_odoo()
    devenv.link_addon()
    config = devenv.write_config("bench", package_dir)
    bench_db = f"{args.db}_bench_reminders"
    devenv.drop_database(bench_db)
    subprocess.run(["createdb", "-T", args.db, bench_db], check=True)
    installed = subprocess.run(
        [
            "psql",
            "-tAc",
            "SELECT state FROM ir_module_module WHERE name = 'calendar_sms'",
            bench_db,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    if installed != "installed":
        subprocess.run(
            devenv.odoo_command(
                config, "-d", bench_db, "-i", "calendar_sms", "--stop-after-init"
            ),
            check=True,
        )
    try:
        import odoo
        from odoo.modules.registry import Registry

        odoo.tools.config.parse_config(
            ["-c", str(config), "-d", bench_db, "--log-level=warn"]
        )
        registry = Registry(bench_db)
        with registry.cursor() as cr:
            print(f"{args.sessions} sessions, batch {args.batch}", flush=True)
            env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
            rule, alarm = prepare(env)
            now = datetime.utcnow().replace(microsecond=0)
            rule.last_run = now - LOOK_BACK
            events = insert_sessions(env, args.sessions, now + LEAD, "bench", alarm)
            cr.commit()

            seconds, cpu, queries, per_call = run_ours(env, args.batch)
            ours = count(
                env,
                "SELECT count(*) FROM sms_sms WHERE kind = 'reminder' "
                "AND res_id = ANY(%s) AND state = 'outgoing'",
                [events],
            )
            notes = count(
                env,
                "SELECT count(*) FROM mail_message WHERE model = 'calendar.event' "
                "AND res_id = ANY(%s) AND message_type = 'notification'",
                [events],
            )
            print(
                f"ours: {ours} reminders queued, {notes} chatter notes, in "
                f"{seconds:.2f} s ({cpu:.2f} s of Python CPU): "
                f"{1000 * seconds / max(ours, 1):.2f} ms and "
                f"{queries / max(ours, 1):.3f} queries per reminder; "
                f"{len(per_call)} cron calls (batch {args.batch}), queries per call "
                f"{per_call}",
                flush=True,
            )

            stock_seconds, stock_cpu, stock_queries = run_stock(env, now - LOOK_BACK)
            stock = count(
                env,
                "SELECT count(*) FROM sms_sms WHERE kind = 'custom' "
                "AND res_id = ANY(%s)",
                [events],
            )
            stock_messages = count(
                env,
                "SELECT count(*) FROM mail_message WHERE model = 'calendar.event' "
                "AND res_id = ANY(%s) AND message_type = 'sms'",
                [events],
            )
            print(
                f"stock calendar_sms: {stock} SMS sent (IAP stubbed), "
                f"{stock_messages} chatter messages, in {stock_seconds:.2f} s "
                f"({stock_cpu:.2f} s of Python CPU): "
                f"{1000 * stock_seconds / max(stock, 1):.2f} ms and "
                f"{stock_queries / max(stock, 1):.2f} queries per reminder",
                flush=True,
            )
            if ours and stock:
                print(
                    f"speed-up x{(stock_seconds / stock) / (seconds / ours):.1f} per "
                    f"reminder (Python CPU x"
                    f"{(stock_cpu / stock) / (cpu / ours):.1f}); queries "
                    f"x{(stock_queries / stock) / (queries / ours):.1f}"
                )

            # Queries of one call for two batch sizes (fresh sessions).
            for size in (100, 1000):
                now = datetime.utcnow().replace(microsecond=0)
                insert_sessions(env, size, now + LEAD, f"batch{size}")
                cr.commit()
                env.invalidate_all()
                per_call = run_ours(env, size)[3]
                print(
                    f"one call with a batch of {size}: {per_call[0]} queries",
                    flush=True,
                )
    finally:
        odoo.sql_db.close_all()
        devenv.drop_database(bench_db)


if __name__ == "__main__":
    Path(devenv.STATE).mkdir(exist_ok=True)
    sys.exit(main())
