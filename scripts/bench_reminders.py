#!/usr/bin/env python3
"""Benchmark the reminder engine against Odoo's stock calendar_sms alarm path.

    python3 scripts/bench_reminders.py [--db text_messaging] [--sessions 10000]
                                       [--batch 1000] [--stock-max 5000]
                                       [--sizes 100,1000,10000,100000]
                                       [--profile FILE]

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
Stock gets an SMS alarm on at most --stock-max of the sessions (at 56 ms a
reminder, 100,000 would take an hour and a half); both are reported per
reminder. The session rule's text is personal: it names the client by first
name, so it is rendered once per recipient.
Then the number of queries of one call of ours for two batch sizes, to show it
does not grow with the batch. With --sizes, the whole comparison runs once per
size (fresh sessions each time) and a table shows how the cost grows.
With --profile, ours is run under cProfile (stats written to FILE, the
costliest functions printed). Numbers are printed, never asserted.
"""

import argparse
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from unittest.mock import patch

import bench_history
import devenv

LOOK_BACK = timedelta(minutes=10)
PERSONAL_BODY = (
    "Hi {{ object._text_reminder_first_name() }}, reminder from "
    "{{ object._text_reminder_company().name }}: {{ object.name }} on "
    "{{ object._text_reminder_when() }}{{ object._text_reminder_with() }}."
)
LEAD = timedelta(hours=2) - timedelta(minutes=5)  # due 5 minutes ago


def fake_iap_jsonrpc(url, method="call", params=None, timeout=15):
    """IAP's answer to /api/sms/3/send: every message accepted."""
    return [
        {"uuid": number["uuid"], "state": "success", "credit": 1}
        for message in (params or {}).get("messages", [])
        for number in message["numbers"]
    ]


def insert_sessions(env, count, start, label, alarm=None, alarmed=None):
    """``count`` sessions starting at ``start``, one new client each (SQL);
    the first ``alarmed`` of them (all by default) get ``alarm``.

    Returns the event ids."""
    from odoo.tools import SQL

    from odoo.addons.text_messaging.tools import compat

    cr = env.cr
    created = start - timedelta(days=1)
    us = env.ref("base.us").id
    partner_ids = env.execute_query(
        SQL(
            """
        INSERT INTO res_partner (name, complete_name, %(number_field)s,
               phone_sanitized, text_number, text_number_validity,
               text_reminders_allowed, tz, lang, active, type, autopost_bills,
               country_id, create_date, write_date, create_uid, write_uid)
        SELECT %(label)s || ' client ' || i, %(label)s || ' client ' || i,
               n.number, n.number, n.number, 'valid', true, 'America/New_York',
               'en_US', true, 'contact', 'ask', %(us)s, %(created)s, %(created)s,
               1, 1
          FROM generate_series(0, %(count)s - 1) AS i,
               LATERAL (SELECT '+1' || (201 + i / 10000) || '555'
                               || lpad(mod(i, 10000)::text, 4, '0') AS number) AS n
         ORDER BY i
        RETURNING id
        """,
            # The contact's first number field: mobile on 18.0, phone on 19.0.
            number_field=SQL.identifier(compat.PARTNER_NUMBER_FIELDS[0]),
            label=label,
            count=count,
            us=us,
            created=created,
        )
    )
    partner_ids = [row[0] for row in partner_ids]
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
            (alarm.id, event_ids[:alarmed] if alarmed is not None else event_ids),
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
    from odoo.addons.text_messaging.tools import compat

    progress = []

    def notify(_env, done, remaining):
        progress.append((done, remaining))

    per_call = []
    cpu, start, queries = time.process_time(), time.perf_counter(), env.cr.sql_log_count
    # What the cron runner would be told, on 18.0 and 19.0 alike.
    with patch.object(compat, "notify_progress", notify):
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
    template = rule.template_id.copy(
        {
            "name": "Bench personal session reminder",
            "body": PERSONAL_BODY,
        }
    )
    rule.write(
        {
            "template_id": template.id,
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


def retire_sessions(env):
    """Archive the sessions of earlier runs: neither engine sees them again."""
    env.cr.execute("UPDATE calendar_event SET active = false WHERE active")
    env.invalidate_all()


def compare(env, rule, alarm, size, args):
    """Ours on ``size`` sessions due at once, stock on at most --stock-max of
    them, in the same run; prints and returns the figures per reminder."""
    retire_sessions(env)
    now = datetime.utcnow().replace(microsecond=0)
    rule.last_run = now - LOOK_BACK
    stock_size = min(size, args.stock_max)
    events = insert_sessions(
        env, size, now + LEAD, f"bench{size}", alarm, alarmed=stock_size
    )
    env.cr.commit()
    print(f"{size} sessions (stock on {stock_size}), batch {args.batch}", flush=True)

    with bench_history.profiled(args.profile):
        seconds, cpu, queries, per_call = run_ours(env, args.batch)
    ours = count(
        env,
        "SELECT count(*) FROM sms_sms WHERE kind = 'reminder' "
        "AND res_id = ANY(%s) AND state = 'outgoing'",
        [events],
    )
    personal = count(
        env,
        "SELECT count(*) FROM sms_sms WHERE kind = 'reminder' "
        "AND res_id = ANY(%s) AND body LIKE 'Hi bench%%'",
        [events],
    )
    notes = count(
        env,
        "SELECT count(*) FROM mail_message WHERE model = 'calendar.event' "
        "AND res_id = ANY(%s) AND message_type = 'notification'",
        [events],
    )
    print(
        f"ours: {ours} reminders queued ({personal} naming their client), "
        f"{notes} chatter notes, in {seconds:.2f} s ({cpu:.2f} s of Python CPU): "
        f"{1000 * seconds / max(ours, 1):.2f} ms and "
        f"{queries / max(ours, 1):.3f} queries per reminder; "
        f"{len(per_call)} cron calls (batch {args.batch})",
        flush=True,
    )

    stock_seconds, stock_cpu, stock_queries = run_stock(env, now - LOOK_BACK)
    stock = count(
        env,
        "SELECT count(*) FROM sms_sms WHERE kind = 'custom' AND res_id = ANY(%s)",
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
    row = {
        "size": size,
        "ours": ours,
        "ours_ms": 1000 * seconds / max(ours, 1),
        "ours_queries": queries / max(ours, 1),
        "ours_cpu": 1000 * cpu / max(ours, 1),
        "stock_cpu": 1000 * stock_cpu / max(stock, 1),
        "stock": stock,
        "stock_ms": 1000 * stock_seconds / max(stock, 1),
        "stock_queries": stock_queries / max(stock, 1),
    }
    if ours and stock:
        print(
            f"speed-up x{row['stock_ms'] / row['ours_ms']:.1f} per reminder "
            f"(Python CPU x{(stock_cpu / stock) / (cpu / ours):.1f}); queries "
            f"x{row['stock_queries'] / row['ours_queries']:.1f}",
            flush=True,
        )
    return row


def print_curve(table):
    print(
        "| sessions due at once | ours: ms (Python CPU ms) / queries per reminder "
        "| stock on | stock: ms (Python CPU ms) / queries per reminder | ratio |"
    )
    print("|---:|---:|---:|---:|---:|")
    for row in table:
        ratio = row["stock_ms"] / row["ours_ms"] if row["ours_ms"] else 0
        print(
            f"| {row['size']:,} | {row['ours_ms']:.2f} ({row['ours_cpu']:.2f}) / "
            f"{row['ours_queries']:.3f} | {row['stock']:,} | {row['stock_ms']:.2f} "
            f"({row['stock_cpu']:.2f}) / {row['stock_queries']:.2f} | x{ratio:.1f} |"
        )


def count(env, query, params):
    env.cr.execute(query, params)
    return env.cr.fetchone()[0]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="text_messaging")
    parser.add_argument("--sessions", type=int, default=10000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--stock-max", type=int, default=5000)
    parser.add_argument(
        "--sizes", default="", help="e.g. 100,1000,10000,100000: one run per size"
    )
    parser.add_argument("--profile", help="cProfile ours, stats to this file")
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
        sizes = [int(size) for size in args.sizes.split(",")] if args.sizes else []
        with registry.cursor() as cr:
            bench_history.warn_if_autovacuum_off(cr)
            env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
            rule, alarm = prepare(env)
            cr.commit()
            table = [
                compare(env, rule, alarm, size, args)
                for size in sizes or [args.sessions]
            ]
            if len(table) > 1:
                print_curve(table)
            # Queries of one call for two batch sizes (fresh sessions).
            for size in (100, 1000):
                retire_sessions(env)
                now = datetime.utcnow().replace(microsecond=0)
                rule.last_run = now - LOOK_BACK
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
