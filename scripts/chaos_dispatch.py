#!/usr/bin/env python3
"""Chaos run of the dispatcher in Odoo's production server.

    python3 scripts/chaos_dispatch.py [--db tm_disp_chaos] [--twilio 1000]
        [--clicksend 1500] [--kills 20] [--minutes 6] [--seed 1] [--fresh]

1. a database with text_messaging installed (created with -i when missing or
   with --fresh);
2. the fake provider in its own process (tests/fake_provider.py) with latency,
   20% 5xx (half 503, half 500, one 500 in two after accepting), 5% hangs past
   the gateways' read time-out and 5% 429s, logging every request and every
   acceptance;
3. a Twilio-style gateway (one text per request, rate limit 20/s) and a
   ClickSend gateway (batches, rate limit 50/s), texts queued in both;
4. ``odoo --workers=2 --max-cron-threads=2`` with the default time limits,
   and at random moments a SIGKILL of one cron worker or of the whole server
   (then restarted), at least --kills times, within --minutes: each kill
   comes 0.2-4 s after the provider received something new since the last
   one, or after 30 s (a restarted server first loads its registry);
5. once the kills are done, the server runs until every text is settled,
   then the provider's log is compared with the database.

Prints one Markdown table row (also appended to .odoo/chaos_runs.md):
duplicates, silent losses, wrong provider ids, Unknown Outcome rows that
never reached the provider, watchdog kills. Numbers are printed, never
asserted.
"""

import argparse
import random
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import devenv

sys.path.insert(0, str(devenv.ROOT / "tests"))
from fake_provider import DEFAULT_CREDENTIALS, DEFAULT_SENDERS  # noqa: E402
from prefork import (  # noqa: E402
    PreforkServer,
    audit,
    odoo_argv,
    provider_log,
    start_fake,
    wait_until,
)

LOOKUP_DELAY = 10  # seconds before asking the provider about unknown outcomes


def prepare_database(config, db, fresh):
    if fresh:
        devenv.drop_database(db)
    if not devenv.database_exists(db):
        devenv.say(f"installing text_messaging in {db}")
        subprocess.run(
            [
                *odoo_argv(),
                "-c",
                str(config),
                "-d",
                db,
                "-i",
                "text_messaging",
                "--stop-after-init",
                "--log-level=warn",
            ],
            check=True,
        )


def start_chaotic_fake(log_path, args):
    return start_fake(
        log_path,
        "--latency",
        args.latency,
        "--error-rate",
        0.2,
        "--hang-rate",
        0.05,
        "--hang",
        20,
        "--throttle-rate",
        0.05,
        "--seed",
        args.seed,
    )


def setup(env, url, args, run):
    """Gateways on the fake, texts queued, the dispatcher triggered."""
    env["ir.config_parameter"].sudo().set_param(
        "text_messaging.dispatch.lookup_delay", LOOKUP_DELAY
    )

    def gateway(provider, **values):
        return env["sms.gateway"].create(
            {
                "name": f"chaos {run} {provider}",
                "provider": provider,
                "base_url": url,
                "sender": DEFAULT_SENDERS[provider],
                "read_timeout": 5,
                "connect_timeout": 2,
                "max_attempts": 3,
                **DEFAULT_CREDENTIALS[provider],
                **values,
            }
        )

    gateways = [
        (gateway("twilio", rate_limit=20, max_concurrency=8), args.twilio),
        (gateway("clicksend", rate_limit=50, batch_size=1000), args.clicksend),
    ]
    for record, count in gateways:
        env.cr.execute(
            "INSERT INTO sms_sms (uuid, number, body, state, gateway_id, to_delete, "
            "kind, attempts, segments, encoding, create_date, write_date, "
            "create_uid, write_uid) "
            "SELECT md5(random()::text || i::text), '+1201555' || "
            "lpad((i %% 10000)::text, 4, '0'), %s || ' ' || i, 'outgoing', %s, "
            "false, 'custom', 0, 1, 'gsm7', now() at time zone 'utc', "
            "now() at time zone 'utc', 1, 1 FROM generate_series(1, %s) AS i",
            (f"chaos {run} {record.provider}", record.id, count),
        )
    env.ref("text_messaging.ir_cron_text_messaging_dispatch")._trigger()
    env.cr.commit()
    return [record.id for record, _count in gateways]


def db_rows(registry, gateway_ids):
    with registry.cursor() as cr:
        cr.execute(
            "SELECT body, state, provider_message_id, in_flight_at IS NOT NULL, "
            "failure_explanation FROM sms_sms WHERE gateway_id = ANY(%s)",
            [gateway_ids],
        )
        return cr.fetchall()


def settled(registry, gateway_ids):
    """Nothing queued, being sent, or waiting for its provider lookup."""
    return not any(
        state in ("outgoing", "process") or (state == "unknown" and awaiting)
        for _body, state, _id, awaiting, _info in db_rows(registry, gateway_ids)
    )


def chaos(server, rng, args, provider_log_path):
    """Kill cron workers or the whole server at random moments, each time
    once the provider has received something new since the last kill (or
    after 30 s: a restarted server first loads its registry)."""
    kills = Counter()
    started = time.monotonic()

    def received():
        with open(provider_log_path, encoding="utf-8") as file:
            return sum(1 for _line in file)

    while sum(kills.values()) < args.kills:
        if time.monotonic() - started > args.minutes * 60:
            break
        seen = received()
        wait_until(lambda seen=seen: received() > seen, 30, 0.2)
        time.sleep(rng.uniform(0.2, 4))
        workers = server.cron_workers()
        if rng.random() < 0.25 or not workers:
            server.kill()
            kills["server"] += 1
            time.sleep(rng.uniform(0.5, 2))
            server.start()
        else:
            server.kill_worker(rng.choice(workers))
            kills["cron worker"] += 1
    return kills, time.monotonic() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="tm_disp_chaos")
    parser.add_argument("--twilio", type=int, default=1000)
    parser.add_argument("--clicksend", type=int, default=1500)
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--settle-minutes", type=float, default=6)
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--fresh", action="store_true")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    run = time.strftime("%Y%m%d-%H%M%S")

    package_dir = devenv.find_odoo()
    devenv.link_addon()
    config = devenv.write_config("chaos", package_dir)
    prepare_database(config, args.db, args.fresh)
    workdir = devenv.STATE / "chaos" / run
    workdir.mkdir(parents=True, exist_ok=True)
    fake, url = start_chaotic_fake(workdir / "provider.jsonl", args)
    server = PreforkServer(config, args.db, workdir / "odoo.log")
    try:
        import odoo
        from odoo.modules.registry import Registry

        odoo.tools.config.parse_config(["-c", str(config), "-d", args.db])
        registry = Registry(args.db)
        with registry.cursor() as cr:
            env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
            gateway_ids = setup(env, url, args, run)
        began = time.monotonic()
        server.start()
        kills, chaos_seconds = chaos(server, rng, args, workdir / "provider.jsonl")
        done = wait_until(
            lambda: settled(registry, gateway_ids), args.settle_minutes * 60, 2
        )
        elapsed = time.monotonic() - began
        watchdog = server.watchdog_kills()
    finally:
        server.stop()
        fake.terminate()
        fake.wait(30)
    rows = db_rows(registry, gateway_ids)
    received, accepted, _times = provider_log(workdir / "provider.jsonl")
    result = audit([row[:3] for row in rows], received, accepted)
    found_by_lookup = sum(1 for row in rows if "had accepted" in (row[4] or ""))
    states = ", ".join(f"{k} {v}" for k, v in sorted(result.states.items()))
    line = (
        f"| {run} | {result.rows} | {sum(kills.values())} "
        f"({kills['server']} server, {kills['cron worker']} cron worker) "
        f"| {result.duplicates} | {result.lost} | {result.wrong_ids} "
        f"| {result.unknown_never_reached} | {watchdog} | {result.unknown} "
        f"| {found_by_lookup} | {states} | {elapsed:.0f} s"
        f"{'' if done else ' (not settled)'} |"
    )
    print(
        "| run | texts | SIGKILLs | duplicates | silent losses | wrong ids "
        "| Unknown never reached | watchdog kills | Unknown left "
        "| found by lookup | final states | duration |"
    )
    print("|---" * 12 + "|")
    print(line)
    print(
        f"provider: {len(received)} texts received, {len(accepted)} accepted; "
        f"chaos phase {chaos_seconds:.0f} s; failed but accepted "
        f"{result.failed_but_accepted}; tracebacks on the server's stderr "
        f"{len(server.crashes())}; logs in {workdir}"
    )
    with open(devenv.STATE / "chaos_runs.md", "a", encoding="utf-8") as file:
        file.write(line + "\n")


if __name__ == "__main__":
    Path(devenv.STATE).mkdir(exist_ok=True)
    main()
