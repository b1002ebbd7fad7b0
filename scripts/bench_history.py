#!/usr/bin/env python3
"""Benchmark the History screens on a year of texts (up to 1,000,000 rows).

    python3 scripts/bench_history.py [--db text_messaging_bench_history]
                                     [--rows 1000000] [--no-curve]
                                     [--explain] [--timeout 900] [--keep]

Creates its own database (the name must end with ``_bench_history``; an existing
database of that name is only replaced if this script created it), installs the
addon without demo data, then for each size (--rows, and 1,000x, 100x and 10x
smaller unless --no-curve):
1. fills ``sms_sms`` in SQL (``INSERT ... SELECT generate_series``): three
   companies, 50,000 contacts, a year of texts with a realistic mix of kinds,
   states and gateways, ids in date order as in production;
2. times, as a Text Messaging user of the main company (record rules on, in
   the user's time zone), the ORM calls the screens make: the History's first
   page (``web_search_read`` with the action's default order and the web
   client's count limit), the Failed filter, a contact's Texts button, and
   the Usage pivot (its ``read_group`` by month and kind; 19.0's grouping sets);
3. does so without the addon's History indexes and month statistics
   (``models/sms_sms_indexes.py``) and with them, after VACUUM ANALYZE.
Prints a table of the median of 3 calls in ms; with --explain, the EXPLAIN
(ANALYZE, BUFFERS) of the SQL of each call at the largest size. Numbers are
printed, never asserted. The run stops after --timeout seconds.
"""

import argparse
import contextlib
import cProfile
import pstats
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

import devenv

SUFFIX = "_bench_history"
MARKER = "text_messaging.bench_history"
CONTACTS = 50000
LIST_SPEC = {
    "create_date": {},
    "partner_id": {"fields": {"display_name": {}}},
    "number": {},
    "kind": {},
    "source_ref": {},
    "gateway_id": {"fields": {"display_name": {}}},
    "state": {},
    "segments": {},
    "cost": {},
    "currency_id": {"fields": {}},
    "failure_explanation": {},
}
TZ = "America/New_York"  # the bench user's: the pivot's months are in it
COUNT_LIMIT = 10001  # the web client's list count limit (10,000) + 1


class Timeout(Exception):
    pass


def on_alarm(signum, frame):
    raise Timeout("time limit reached")


def guard(args, suffix):
    """Refuse a database this script may not drop, then arm the time limit."""
    if not args.db.endswith(suffix):
        sys.exit(f"--db must end with {suffix}: this script drops it.")
    if not own_database(args.db):
        sys.exit(f"{args.db} exists and was not created by this script: refused.")
    signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(args.timeout)


def own_database(name):
    """True when ``name`` does not exist or was created by this script."""
    if not devenv.database_exists(name):
        return True
    marker = subprocess.run(
        [
            "psql",
            "-tAc",
            f"SELECT value FROM ir_config_parameter WHERE key = '{MARKER}'",
            name,
        ],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return marker == "1"


@contextlib.contextmanager
def profiled(path):
    """Profile the block with cProfile when ``path`` is given: the stats go
    to ``path`` (for pstats or snakeviz) and the 25 costliest functions, by
    own time, are printed."""
    if not path:
        yield
        return
    profiler = cProfile.Profile()
    profiler.enable()
    try:
        yield
    finally:
        profiler.disable()
        profiler.dump_stats(path)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
        print(f"profile written to {path}", flush=True)


def warn_if_autovacuum_off(cr):
    """Without autovacuum the tables a benchmark fills are never analyzed:
    plans made on empty tables (sequential scans for the foreign-key checks)
    make the figures wrong. PostgreSQL runs it by default; some machines'
    configurations turn it off."""
    cr.execute("SHOW autovacuum")
    if cr.fetchone()[0] != "on":
        print(
            "WARNING: PostgreSQL's autovacuum is off: the tables filled here are "
            "never analyzed and the figures are not production's. Turn it on: "
            "ALTER SYSTEM SET autovacuum = on; SELECT pg_reload_conf();",
            flush=True,
        )


def open_database(name):
    """A new database ``name`` with the addon installed (no demo data);
    returns its registry."""
    import odoo
    from odoo.modules.registry import Registry

    package_dir = devenv.find_odoo()
    devenv.link_addon()
    config = devenv.write_config("bench", package_dir)
    devenv.drop_database(name)
    subprocess.run(
        devenv.odoo_command(
            config,
            "-d",
            name,
            "-i",
            "text_messaging",
            *devenv.demo_args(devenv.running_series() or "18.0", False),
            "--log-level=warn",
            "--stop-after-init",
        ),
        check=True,
    )
    odoo.tools.config.parse_config(["-c", str(config), "-d", name, "--log-level=warn"])
    return Registry(name)


def prepare(env):
    """Three companies with their gateways, 50,000 contacts, the bench user.

    Returns (user, first contact id)."""
    from odoo.tools import SQL

    from odoo.addons.text_messaging.tools import compat

    env["ir.config_parameter"].set_param(MARKER, "1")
    main = env.ref("base.main_company")
    companies = main | env["res.company"].create(
        [{"name": "Bench North"}, {"name": "Bench South"}]
    )
    gateways = env["sms.gateway"].create(
        [
            {"name": f"{company.name} {provider}", "company_id": company.id}
            for company in companies
            for provider in ("A", "B")
        ]
    )
    user = env["res.users"].create(
        {
            "name": "Bench Texter",
            "login": "bench_texter",
            "tz": TZ,
            "company_id": main.id,
            "company_ids": [(6, 0, companies.ids)],
            compat.USER_GROUPS: [
                (4, env.ref("base.group_user").id),
                (4, env.ref("text_messaging.group_text_messaging_user").id),
            ],
        }
    )
    rows = env.execute_query(
        SQL(
            """
        INSERT INTO res_partner (name, complete_name, %(number_field)s,
               phone_sanitized, active, type, autopost_bills, create_date,
               write_date, create_uid, write_uid)
        SELECT 'Contact ' || i, 'Contact ' || i, n.number, n.number, true,
               'contact', 'ask', now(), now(), 1, 1
          FROM generate_series(0, %(count)s - 1) AS i,
               LATERAL (SELECT '+1' || (201 + i / 10000) || '555'
                               || lpad(mod(i, 10000)::text, 4, '0') AS number) AS n
         ORDER BY i
        RETURNING id
        """,
            # The contact's first number field: mobile on 18.0, phone on 19.0.
            number_field=SQL.identifier(compat.PARTNER_NUMBER_FIELDS[0]),
            count=CONTACTS,
        )
    )
    first_contact = min(row[0] for row in rows)
    env.cr.commit()
    return user, companies, gateways, first_contact


def fill(env, rows, companies, gateways, first_contact):
    """Replace the texts by ``rows`` texts spread over the last 365 days."""
    cr = env.cr
    cr.execute("TRUNCATE sms_sms RESTART IDENTITY CASCADE")
    cr.execute("SELECT setseed(0.17)")
    # Per row: r1 picks the company, r2 the kind, r3 the state.
    cr.execute(
        """
        INSERT INTO sms_sms (uuid, number, body, partner_id, state, failure_type,
               kind, res_model, res_id, company_id, gateway_id, segments,
               encoding, cost, attempts, sent_at, to_delete, create_date,
               write_date, create_uid, write_uid)
        SELECT md5(i::text), '+1201555' || lpad((p %% 10000)::text, 4, '0'),
               'Hi Contact ' || p || ', this is a reminder of your appointment '
               || 'tomorrow at 10:30 at Main office. Reply STOP to opt out.',
               %(first_contact)s + p,
               s.state,
               CASE WHEN s.state = 'error' THEN 'sms_number_format'
                    WHEN s.state = 'unknown' THEN 'tm_unknown_outcome'
                    WHEN s.state = 'canceled' THEN 'tm_no_consent' END,
               k.kind,
               CASE WHEN k.kind = 'reminder' THEN 'calendar.event' END,
               CASE WHEN k.kind = 'reminder' THEN 1 + i %% 200000 END,
               (%(companies)s::int[])[c.n + 1],
               CASE WHEN s.state <> 'canceled'
                    THEN (%(gateways)s::int[])[2 * c.n + 1 + i %% 2] END,
               1 + (i %% 10 = 0)::int, 'gsm7',
               CASE WHEN s.state IN ('pending', 'sent')
                    THEN 0.0079 * (1 + (i %% 10 = 0)::int) END,
               1, CASE WHEN s.state IN ('pending', 'sent', 'error', 'unknown')
                       THEN d.at + interval '2 seconds' END,
               false, d.at, d.at, 1, 1
          FROM generate_series(1, %(rows)s) AS i,
               LATERAL (SELECT random() AS r1, random() AS r2, random() AS r3,
                               (i::bigint * 7919 %% %(contacts)s)::int AS p) AS r,
               LATERAL (SELECT now() AT TIME ZONE 'UTC' - interval '365 days'
                               * (1 - i::float / %(rows)s) AS at) AS d,
               LATERAL (SELECT CASE WHEN r1 < 0.6 THEN 0 WHEN r1 < 0.85 THEN 1
                                    ELSE 2 END AS n) AS c,
               LATERAL (SELECT CASE WHEN r2 < 0.60 THEN 'reminder'
                                    WHEN r2 < 0.80 THEN 'mass'
                                    WHEN r2 < 0.90 THEN 'custom'
                                    WHEN r2 < 0.94 THEN 'scheduled'
                                    WHEN r2 < 0.96 THEN 'greeting'
                                    WHEN r2 < 0.99 THEN 'reply'
                                    ELSE 'manual_reminder' END AS kind) AS k,
               LATERAL (SELECT CASE WHEN i > %(rows)s - 20 THEN 'outgoing'
                                    WHEN r3 < 0.82 THEN 'sent'
                                    WHEN r3 < 0.90 THEN 'pending'
                                    WHEN r3 < 0.93 THEN 'error'
                                    WHEN r3 < 0.935 THEN 'unknown'
                                    ELSE 'canceled' END AS state) AS s
         ORDER BY i
        """,
        {
            "rows": rows,
            "contacts": CONTACTS,
            "first_contact": first_contact,
            "companies": companies.ids,
            "gateways": gateways.ids,
        },
    )
    cr.commit()


def calls(env, contact_id):
    """name -> the ORM call a screen makes."""
    texts = env["sms.sms"]
    usage_domain = [("state", "in", ("pending", "sent"))]
    return {
        "History, first page": lambda: texts.web_search_read(
            [], LIST_SPEC, limit=80, count_limit=COUNT_LIMIT
        ),
        "Failed filter": lambda: texts.web_search_read(
            [("state", "in", ("error", "unknown"))],
            LIST_SPEC,
            limit=80,
            count_limit=COUNT_LIMIT,
        ),
        "Contact's Texts": lambda: texts.web_search_read(
            env["res.partner"].browse(contact_id).action_view_text_messages()["domain"],
            LIST_SPEC,
            limit=80,
            count_limit=COUNT_LIMIT,
        ),
        "Usage pivot (month x kind)": lambda: usage_pivot(texts, usage_domain),
    }


def usage_pivot(texts, domain):
    """The Usage pivot's grouping (month x kind) as the web client asks for
    it: ``read_group`` on 18.0, ``formatted_read_grouping_sets`` on 19.0."""
    groupby = ["create_date:month", "kind"]
    aggregates = ["segments:sum", "cost:sum"]
    if hasattr(texts, "formatted_read_grouping_sets"):
        return texts.formatted_read_grouping_sets(domain, [groupby], aggregates)
    return texts.read_group(domain, aggregates, groupby, lazy=False)


def measure(env, contact_id, explain):
    """name -> (median ms, [(sql, params)])."""
    from odoo.sql_db import Cursor
    from odoo.tools import SQL

    results = {}
    original = Cursor.execute
    for name, call in calls(env, contact_id).items():
        seen = []

        def recording(cr, query, params=None, log_exceptions=True, seen=seen):
            if isinstance(query, SQL):
                query, params = query.code, query.params
            if '"sms_sms"' in query and query.lstrip().upper().startswith("SELECT"):
                seen.append((query, params))
            return original(cr, query, params, log_exceptions)

        timings = []
        for attempt in range(3):
            env.invalidate_all()
            env.registry.clear_cache()
            start = time.perf_counter()
            if attempt == 0:
                Cursor.execute = recording
            try:
                call()
            finally:
                Cursor.execute = original
            timings.append(1000 * (time.perf_counter() - start))
        results[name] = (statistics.median(timings), seen)
        if explain:
            print(f"\n--- {name}: {statistics.median(timings):.1f} ms", flush=True)
            for query, params in seen:
                env.cr.execute("EXPLAIN (ANALYZE, BUFFERS) " + query, params)
                print("\n".join(row[0] for row in env.cr.fetchall()) + "\n")
    return results


def set_indexes(env, present):
    """Drop or (re)create the History indexes, then VACUUM ANALYZE."""
    from odoo.addons.text_messaging.models.sms_sms_indexes import HISTORY_INDEXES

    if present:
        env["sms.sms"]._create_history_indexes()
    else:
        for name in HISTORY_INDEXES:
            env.cr.execute(f'DROP INDEX IF EXISTS "{name}"')
        env.cr.execute(
            "SELECT stxname FROM pg_statistic_ext WHERE stxname LIKE 'sms_sms_tm_%'"
        )
        for (name,) in env.cr.fetchall():
            env.cr.execute(f'DROP STATISTICS "{name}"')
    env.cr.commit()
    # As autovacuum leaves a year-old table: visibility map set (index-only
    # scans), statistics up to date.
    subprocess.run(
        ["psql", "-qc", "VACUUM (ANALYZE) sms_sms", env.cr.dbname], check=True
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="text_messaging" + SUFFIX)
    parser.add_argument("--rows", type=int, default=1000000)
    parser.add_argument("--no-curve", action="store_true")
    parser.add_argument("--explain", action="store_true")
    parser.add_argument("--timeout", type=int, default=900)
    parser.add_argument("--keep", action="store_true", help="keep the database")
    args = parser.parse_args()
    guard(args, SUFFIX)
    started = time.perf_counter()

    import odoo

    try:
        registry = open_database(args.db)
        sizes = [args.rows]
        if not args.no_curve:
            sizes = [args.rows // 1000, args.rows // 100, args.rows // 10, args.rows]
        table = []
        with registry.cursor() as cr:
            env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
            user, companies, gateways, first_contact = prepare(env)
            print(f"set up in {time.perf_counter() - started:.0f} s", flush=True)
            user_env = env(
                user=user.id,
                context={"allowed_company_ids": [companies[0].id], "tz": TZ},
            )
            for rows in sizes:
                set_indexes(env, present=False)
                start = time.perf_counter()
                fill(env, rows, companies, gateways, first_contact)
                filled = time.perf_counter() - start
                for present in (False, True):
                    set_indexes(env, present)
                    explain = args.explain and rows == sizes[-1]
                    if explain:
                        print(f"\n===== {rows} rows, indexes: {present}", flush=True)
                    # The contact of the newest text: about rows / 50,000 texts.
                    contact = first_contact + rows * 7919 % CONTACTS
                    results = measure(user_env, contact, explain)
                    table.append((rows, present, results))
                print(
                    f"{rows} rows: filled in {filled:.1f} s; "
                    + "; ".join(
                        f"{name} {before[0]:.0f} -> {after[0]:.0f} ms"
                        for (name, before), after in zip(
                            table[-2][2].items(),
                            table[-1][2].values(),
                            strict=True,
                        )
                    ),
                    flush=True,
                )
        print_table(table)
        print(f"total {time.perf_counter() - started:.0f} s")
    finally:
        signal.alarm(0)
        odoo.sql_db.close_all()
        if not args.keep:
            devenv.drop_database(args.db)


def print_table(table):
    names = list(table[0][2])
    print("\n| rows | History indexes | " + " | ".join(names) + " |")
    print("|---:|---|" + "---:|" * len(names))
    for rows, present, results in table:
        cells = " | ".join(f"{results[name][0]:.0f} ms" for name in names)
        print(f"| {rows:,} | {'yes' if present else 'no'} | {cells} |")


if __name__ == "__main__":
    Path(devenv.STATE).mkdir(exist_ok=True)
    sys.exit(main())
