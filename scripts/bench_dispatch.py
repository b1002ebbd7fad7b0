#!/usr/bin/env python3
"""Benchmark the dispatcher end to end: queued sms.sms rows -> HTTP -> results in DB.

    python3 scripts/bench_dispatch.py [--db text_messaging] [--twilio 2000]
                                      [--sequential 300] [--clicksend 20000]
                                      [--limited 10000] [--rate 50] [--workers 2]

Runs on a throwaway copy of the database (created from --db, dropped at the end),
with the real cron code path (``_cron_dispatch``, commits included) against the local
fake provider (127.0.0.1):
1. Twilio (one message per request) with 50 ms latency per request: our dispatcher
   versus a sequential one-request-at-a-time sender (plain requests.post in a loop,
   no database work at all) in the same run;
2. ClickSend (batch endpoint, 1000 per request): messages per second, database
   writes included, and the process's peak memory while dispatching;
3. rate limit: --limited texts through a Twilio-style gateway limited to --rate
   messages/s, dispatched by --workers concurrent dispatchers (threads, each
   with its own database connection, sharing only the PostgreSQL bucket):
   the total time (ideal: limited / rate) and the highest rate the provider saw
   over any 10 s window.
Numbers are printed, never asserted.
"""

import argparse
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path

import devenv
import requests

sys.path.insert(0, str(devenv.ROOT / "tests"))
from fake_provider import DEFAULT_SENDERS, FakeProvider  # noqa: E402


def rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def sequential_twilio(fake, count):
    """A naive sender: one blocking request after the other."""
    creds = fake.credentials["twilio"]
    url = f"{fake.url}/2010-04-01/Accounts/{creds['account_sid']}/Messages.json"
    auth = (creds["account_sid"], creds["auth_token"])
    start = time.perf_counter()
    for index in range(count):
        requests.post(
            url,
            data={
                "To": f"+1201555{index % 10000:04d}",
                "From": DEFAULT_SENDERS["twilio"],
                "Body": f"Sequential message {index}",
            },
            auth=auth,
            timeout=(5, 15),
        ).raise_for_status()
    return count / (time.perf_counter() - start)


def queue(env, gateway, count, label):
    env.cr.execute(
        "INSERT INTO sms_sms (uuid, number, body, state, gateway_id, to_delete, kind, "
        "attempts, segments, encoding, create_date, write_date, create_uid, write_uid) "
        "SELECT md5(random()::text || i::text), '+1201555' || lpad((i %% 10000)::text, "
        "4, '0'), %s || ' message ' || i, 'outgoing', %s, false, 'custom', 0, 1, "
        "'gsm7', now() at time zone 'utc', now() at time zone 'utc', 1, 1 "
        "FROM generate_series(1, %s) AS i",
        (label, gateway.id, count),
    )
    env.cr.commit()


def dispatch_all(env, gateway):
    """Call the cron method until nothing of this gateway is queued."""
    sms = env["sms.sms"]
    start = time.perf_counter()
    calls = 0
    queued = [("state", "=", "outgoing"), ("gateway_id", "=", gateway.id)]
    while sms.search_count(queued):
        sms._cron_dispatch()
        env.cr.commit()
        calls += 1
    elapsed = time.perf_counter() - start
    env.cr.execute(
        "SELECT state, count(*) FROM sms_sms WHERE gateway_id = %s GROUP BY state",
        (gateway.id,),
    )
    return elapsed, calls, dict(env.cr.fetchall())


def dispatch_concurrently(registry, gateway_id, workers):
    """``workers`` threads call the cron method until nothing is queued."""
    import odoo

    errors = []

    def worker():
        try:
            while True:
                with registry.cursor() as cr:
                    env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
                    queued = [
                        ("state", "in", ("outgoing", "process")),
                        ("gateway_id", "=", gateway_id),
                    ]
                    if not env["sms.sms"].search_count(queued):
                        return
                    env["sms.sms"]._cron_dispatch()
        except Exception as error:  # reported by the caller
            errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(workers)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - start, errors


def peak_rate(timestamps, window=10.0):
    """Most arrivals in any ``window`` seconds, per second."""
    timestamps = sorted(timestamps)
    best, first = 0, 0
    for last, stamp in enumerate(timestamps):
        while stamp - timestamps[first] > window:
            first += 1
        best = max(best, last - first + 1)
    return best / window


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="text_messaging")
    parser.add_argument("--twilio", type=int, default=2000)
    parser.add_argument("--sequential", type=int, default=300)
    parser.add_argument("--clicksend", type=int, default=20000)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--limited", type=int, default=10000)
    parser.add_argument("--rate", type=float, default=50)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--only", choices=("twilio", "clicksend", "limited"), action="append"
    )
    args = parser.parse_args()
    parts = set(args.only or ("twilio", "clicksend", "limited"))

    package_dir = devenv.find_odoo()
    devenv.link_addon()
    config = devenv.write_config("bench", package_dir)
    bench_db = f"{args.db}_bench"
    devenv.drop_database(bench_db)
    subprocess.run(["createdb", "-T", args.db, bench_db], check=True)
    try:
        import odoo
        from odoo.modules.registry import Registry

        odoo.tools.config.parse_config(["-c", str(config), "-d", bench_db])
        registry = Registry(bench_db)
        with FakeProvider(latency=0.05) as fake, registry.cursor() as cr:
            env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
            env["sms.gateway"].search([]).write({"is_default": False})

            def gateway(provider, **values):
                return env["sms.gateway"].create(
                    {
                        "name": f"bench {provider}",
                        "provider": provider,
                        "base_url": fake.url,
                        "sender": DEFAULT_SENDERS[provider],
                        "rate_limit": 0,
                        **fake.credentials[provider],
                        **values,
                    }
                )

            if "twilio" in parts:
                twilio = gateway("twilio", max_concurrency=args.concurrency)
                queue(env, twilio, args.twilio, "twilio")
                seq_rate = sequential_twilio(fake, args.sequential)
                elapsed, calls, states = dispatch_all(env, twilio)
                ours = args.twilio / elapsed
                print(
                    f"twilio, 50 ms/request: sequential sender {seq_rate:.1f} msg/s "
                    f"({args.sequential} messages); dispatcher {ours:.1f} msg/s "
                    f"({args.twilio} messages in {elapsed:.2f} s, {calls} cron "
                    f"calls, concurrency {args.concurrency}, states {states}); "
                    f"speed-up x{ours / seq_rate:.1f}"
                )

            if "clicksend" in parts:
                fake.latency = 0.0
                fake.reset()
                clicksend = gateway("clicksend", batch_size=1000)
                queue(env, clicksend, args.clicksend, "clicksend")
                before = rss_mb()
                elapsed, calls, states = dispatch_all(env, clicksend)
                print(
                    f"clicksend, batch 1000: {args.clicksend / elapsed:.0f} msg/s end "
                    f"to end ({args.clicksend} messages in {elapsed:.2f} s, {calls} "
                    f"cron calls, states {states}); peak RSS {rss_mb():.0f} MB "
                    f"(was {before:.0f} MB before dispatching)"
                )
                received = len(fake.messages("clicksend"))
                print(f"clicksend messages received by the fake provider: {received}")

            if "limited" in parts:
                fake.latency = 0.05
                fake.reset()
                limited = gateway(
                    "twilio", rate_limit=args.rate, max_concurrency=args.concurrency
                )
                queue(env, limited, args.limited, "limited")
                elapsed, errors = dispatch_concurrently(
                    registry, limited.id, args.workers
                )
                stamps = [
                    record.timestamp
                    for record in fake.received
                    if record.kind == "send"
                ]
                span = max(stamps) - min(stamps) if stamps else 0.0
                env.invalidate_all()
                env.cr.execute(
                    "SELECT state, count(*) FROM sms_sms WHERE gateway_id = %s "
                    "GROUP BY state",
                    (limited.id,),
                )
                ideal = args.limited / args.rate
                print(
                    f"rate limit {args.rate:g} msg/s, {args.workers} dispatchers: "
                    f"{args.limited} messages in {elapsed:.1f} s (ideal {ideal:.0f} "
                    f"s, {100 * (elapsed - ideal) / ideal:+.1f}%); first to last "
                    f"request {span:.1f} s ({len(stamps) / max(span, 1e-9):.2f} "
                    f"msg/s); highest 10 s window {peak_rate(stamps):.1f} msg/s; "
                    f"states {dict(env.cr.fetchall())}; errors {errors}"
                )
    finally:
        odoo.sql_db.close_all()
        devenv.drop_database(bench_db)


if __name__ == "__main__":
    Path(devenv.STATE).mkdir(exist_ok=True)
    main()
