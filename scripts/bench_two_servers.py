#!/usr/bin/env python3
"""Two Odoo servers on one database dispatching one queue.

    python3 scripts/bench_two_servers.py [--db text_messaging_bench_two]
        [--texts 3000] [--rate 20] [--latency 0.05] [--workers 2]
        [--timeout 1200] [--keep]

A clinic chain runs several Odoo servers on one PostgreSQL. This script:
1. creates its own database (the name must end with ``_bench_two``; an existing
   one is only replaced if this script created it) with the addon installed;
2. starts the local fake provider in its own process (every request logged with
   its arrival time) and a Twilio-style gateway on it, limited to --rate
   texts per second (the gateway's rate limit, held in PostgreSQL);
3. queues --texts texts (SQL) and starts TWO ``odoo --workers=N
   --max-cron-threads=2`` servers on the database, with Odoo's default time
   limits, each running only the dispatcher cron (the other crons are paused);
4. waits until every text is settled, then compares the provider's log with
   the database: texts accepted more than once, texts lost, which server's
   cron workers sent them (from the servers' logs), the highest rate the
   provider saw over any 10 s window, and the throughput between the first
   and the last request against the allowance (--rate).
Numbers are printed, never asserted.
"""

import argparse
import re
import sys
import time
from collections import Counter
from pathlib import Path

import bench_history
import devenv

sys.path.insert(0, str(devenv.ROOT / "tests"))
from fake_provider import DEFAULT_CREDENTIALS, DEFAULT_SENDERS  # noqa: E402
from prefork import (  # noqa: E402
    PreforkServer,
    audit,
    provider_log,
    start_fake,
    wait_until,
)

SUFFIX = "_bench_two"
WINDOW = 10.0  # seconds
# Odoo's cron runner logs "Job 'name' (id) done in 1.234s" after each run.
# The end of a dispatcher run: "done in 1.2s" (18.0), "fully done (#loop 1;"
# or "partially done (#loop 2;" (19.0).
DISPATCH_DONE_RE = re.compile(r"Job '[^']*' \(\d+\) (?:done in|\w+ done \(#loop)")


def setup(env, url, args):
    """The gateway, the queue, and only the dispatcher cron left active."""
    env["ir.config_parameter"].set_param(bench_history.MARKER, "1")
    gateway = env["sms.gateway"].create(
        {
            "name": "two servers",
            "provider": "twilio",
            "base_url": url,
            "sender": DEFAULT_SENDERS["twilio"],
            "rate_limit": args.rate,
            "max_concurrency": 8,
            "read_timeout": 5,
            "connect_timeout": 2,
            **DEFAULT_CREDENTIALS["twilio"],
        }
    )
    env.cr.execute(
        "INSERT INTO sms_sms (uuid, number, body, state, gateway_id, to_delete, "
        "kind, attempts, segments, encoding, create_date, write_date, "
        "create_uid, write_uid) "
        "SELECT md5(random()::text || i::text), '+1201555' || "
        "lpad((i %% 10000)::text, 4, '0'), 'two servers ' || i, 'outgoing', %s, "
        "false, 'custom', 0, 1, 'gsm7', now() at time zone 'utc', "
        "now() at time zone 'utc', 1, 1 FROM generate_series(1, %s) AS i",
        (gateway.id, args.texts),
    )
    dispatcher = env.ref("text_messaging.ir_cron_text_messaging_dispatch")
    env["ir.cron"].search([("id", "!=", dispatcher.id)]).active = False
    dispatcher._trigger()
    env.cr.commit()
    return gateway.id


def queue_left(registry, gateway_id):
    with registry.cursor() as cr:
        cr.execute(
            "SELECT count(*) FROM sms_sms WHERE gateway_id = %s "
            "AND state IN ('outgoing', 'process')",
            [gateway_id],
        )
        return cr.fetchone()[0]


def db_rows(registry, gateway_id):
    with registry.cursor() as cr:
        cr.execute(
            "SELECT body, state, provider_message_id FROM sms_sms "
            "WHERE gateway_id = %s",
            [gateway_id],
        )
        return cr.fetchall()


def highest_window_rate(times):
    """The most texts the provider received in any WINDOW seconds, per second."""
    best, start = 0, 0
    for end, moment in enumerate(times):
        while moment - times[start] > WINDOW:
            start += 1
        best = max(best, end - start + 1)
    return best / WINDOW


def senders(servers):
    """How many dispatcher runs each server's cron workers completed."""
    runs = Counter()
    for index, server in enumerate(servers, 1):
        runs[f"server {index}"] = len(DISPATCH_DONE_RE.findall(server.log()))
    return runs


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="text_messaging" + SUFFIX)
    parser.add_argument("--texts", type=int, default=3000)
    parser.add_argument("--rate", type=int, default=50)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--timeout", type=int, default=1200)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    bench_history.guard(args, SUFFIX)

    registry = bench_history.open_database(args.db)
    import odoo

    package_dir = devenv.find_odoo()
    config = devenv.write_config("bench", package_dir)
    workdir = devenv.STATE / "bench_two" / time.strftime("%Y%m%d-%H%M%S")
    workdir.mkdir(parents=True, exist_ok=True)
    fake, url = start_fake(workdir / "provider.jsonl", "--latency", args.latency)
    servers = [
        PreforkServer(
            config,
            args.db,
            workdir / f"odoo{index}.log",
            workers=args.workers,
            cron_threads=2,
        )
        for index in (1, 2)
    ]
    try:
        with registry.cursor() as cr:
            env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
            gateway_id = setup(env, url, args)
        began = time.monotonic()
        for server in servers:
            server.start()
        done = wait_until(
            lambda: queue_left(registry, gateway_id) == 0
            or not all(server.alive for server in servers),
            args.timeout - 60,
            1,
        )
        done = done and queue_left(registry, gateway_id) == 0
        elapsed = time.monotonic() - began
        died = [server.log_path for server in servers if not server.alive]
    finally:
        for server in servers:
            server.stop()
        fake.terminate()
        fake.wait(30)
    rows = db_rows(registry, gateway_id)
    received, accepted, times = provider_log(workdir / "provider.jsonl")
    result = audit(rows, received, accepted)
    span = (times[-1] - times[0]) if len(times) > 1 else 0.0
    throughput = (len(times) - 1) / span if span else 0.0
    states = ", ".join(f"{k} {v}" for k, v in sorted(result.states.items()))
    print(
        f"texts: {args.texts}, rate limit {args.rate}/s, two servers "
        f"--workers={args.workers} --max-cron-threads=2"
    )
    print(
        f"settled: {'yes' if done else 'NO'} after {elapsed:.1f} s "
        f"(servers' start-up included); final states: {states}"
    )
    print(
        f"provider: {len(received)} received, {len(accepted)} accepted; "
        f"duplicates {result.duplicates}, lost {result.lost}, "
        f"wrong ids {result.wrong_ids}"
    )
    share = (
        f"{100 * throughput / args.rate:.1f}% of the allowance"
        if args.rate
        else "no rate limit"
    )
    print(
        f"first to last request: {span:.1f} s, throughput {throughput:.2f}/s "
        f"({share})"
    )
    print(
        f"highest rate over any {WINDOW:.0f} s window: "
        f"{highest_window_rate(times):.1f}/s"
    )
    print(
        "dispatcher runs per server: "
        + ", ".join(
            f"{name} {count}" for name, count in sorted(senders(servers).items())
        )
    )
    crashes = [line for server in servers for line in server.crashes()]
    print(
        f"servers that died: {len(died)}; tracebacks on the servers' stderr: "
        f"{len(crashes)}" + "".join(f"\n  {line}" for line in crashes[:5])
    )
    print(f"logs in {workdir}")
    if not args.keep:
        odoo.sql_db.close_all()
        devenv.drop_database(args.db)


if __name__ == "__main__":
    Path(devenv.STATE).mkdir(exist_ok=True)
    main()
