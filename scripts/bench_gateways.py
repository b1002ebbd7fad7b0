#!/usr/bin/env python3
"""Benchmark the gateway adapters against the local fake provider.

The fake provider runs in a child process on 127.0.0.1 with a fixed latency
per request (50 ms by default). Three senders are timed:

* a naive sequential sender: a plain loop of ``requests.post``, one message
  per request, one after the other (run on fewer messages, then extrapolated);
* the Twilio adapter (one message per request, bounded concurrency);
* the ClickSend adapter (batches of 1000 messages per request).

No Odoo needed: ``gateways/`` and ``tests/fake_provider.py`` are loaded from
their files. Usage: ``python3 scripts/bench_gateways.py [--help]``.
"""

import argparse
import importlib.util
import multiprocessing
import sys
import time
import uuid
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent


def load_module(name, path, package=False):
    """Import a file (or a package folder) of the addon under ``name``."""
    if package:
        spec = importlib.util.spec_from_file_location(
            name, path / "__init__.py", submodule_search_locations=[str(path)]
        )
    else:
        spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


gateways = load_module("tm_bench_gateways", ROOT / "gateways", package=True)
fake_provider = load_module(
    "tm_bench_fake_provider", ROOT / "tests" / "fake_provider.py"
)


def serve(connection, latency):
    """Child process: run the fake provider and answer simple commands."""
    with fake_provider.FakeProvider(latency=latency) as fake:
        connection.send((fake.url, fake.credentials))
        while True:
            command = connection.recv()
            if command == "count":
                connection.send(len(fake.messages()))
            elif command == "max_in_flight":
                connection.send(fake.max_in_flight)
            elif command == "reset":
                fake.reset()
                connection.send(True)
            else:
                connection.send(True)
                return


class FakeProcess:
    def __init__(self, latency):
        context = multiprocessing.get_context("fork")
        self.connection, child = context.Pipe()
        self.process = context.Process(target=serve, args=(child, latency))
        self.process.start()
        self.url, self.credentials = self.connection.recv()

    def ask(self, command):
        self.connection.send(command)
        return self.connection.recv()

    def stop(self):
        self.ask("stop")
        self.process.join(timeout=10)


def make_messages(count):
    return [
        gateways.OutgoingMessage(
            uuid=uuid.uuid4().hex,
            number=f"+1555{index:07d}",
            body=f"Reminder {index}: your session is tomorrow at 10:00.",
        )
        for index in range(count)
    ]


def check(fake, results, count):
    """Every message accepted and received exactly once."""
    accepted = sum(result.outcome == "accepted" for result in results)
    received = fake.ask("count")
    if accepted != count or received != count:
        raise SystemExit(f"expected {count}, accepted {accepted}, received {received}")


def bench_sequential(fake, count):
    creds = fake.credentials["twilio"]
    url = f"{fake.url}/2010-04-01/Accounts/{creds['account_sid']}/Messages.json"
    auth = (creds["account_sid"], creds["auth_token"])
    fake.ask("reset")
    messages = make_messages(count)
    start = time.perf_counter()
    for message in messages:
        response = requests.post(
            url,
            data={"To": message.number, "From": "+15005550006", "Body": message.body},
            auth=auth,
            timeout=(5, 15),
        )
        response.raise_for_status()
    elapsed = time.perf_counter() - start
    if fake.ask("count") != count:
        raise SystemExit("the sequential sender lost messages")
    return elapsed


def bench_adapter(fake, provider, count, **config):
    fake.ask("reset")
    gateway = gateways.get_gateway(
        provider,
        {
            "base_url": fake.url,
            "sender": "+15005550006",
            "credentials": fake.credentials[provider],
            **config,
        },
    )
    messages = make_messages(count)
    start = time.perf_counter()
    results = gateway.send(messages)
    elapsed = time.perf_counter() - start
    gateway.close()
    check(fake, results, count)
    return elapsed, fake.ask("max_in_flight")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--sequential", type=int, default=200)
    parser.add_argument("--twilio", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--clicksend", type=int, default=20000)
    args = parser.parse_args()

    fake = FakeProcess(args.latency)
    try:
        print(
            f"Fake provider at {fake.url} (separate process), "
            f"{args.latency * 1000:.0f} ms latency per request."
        )
        seq = bench_sequential(fake, args.sequential)
        seq_rate = args.sequential / seq
        print(
            f"Sequential requests.post loop: {args.sequential} messages in "
            f"{seq:.2f} s = {seq_rate:.1f} msg/s (measured on {args.sequential}; "
            f"{args.twilio} messages would take about {args.twilio / seq_rate:.0f} s)"
        )
        tw, in_flight = bench_adapter(
            fake, "twilio", args.twilio, max_concurrency=args.concurrency
        )
        tw_rate = args.twilio / tw
        print(
            f"Twilio adapter, concurrency {args.concurrency}: {args.twilio} messages "
            f"in {tw:.2f} s = {tw_rate:.1f} msg/s (max {in_flight} requests in "
            f"flight), speed-up x{tw_rate / seq_rate:.1f} over sequential"
        )
        cs, in_flight = bench_adapter(fake, "clicksend", args.clicksend)
        cs_rate = args.clicksend / cs
        print(
            f"ClickSend adapter, batches of 1000: {args.clicksend} messages in "
            f"{cs:.2f} s = {cs_rate:.0f} msg/s (max {in_flight} requests in "
            f"flight), speed-up x{cs_rate / seq_rate:.0f} over sequential"
        )
    finally:
        fake.stop()


if __name__ == "__main__":
    main()
