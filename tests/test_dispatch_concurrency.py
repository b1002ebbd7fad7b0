"""Exactly once, or visibly not: concurrent and killed dispatchers.

These tests need what a TransactionCase cannot give: real, committed
transactions seen by other connections and other processes. They commit their
own rows and delete them at the end. (Plain pytest functions, run by pytest-odoo
with the test database; worker threads do not carry Odoo's `testing` flag, so the
dispatcher commits there exactly as in a cron worker.)
"""

import os
import signal
import subprocess
import sys
import threading
import time
from contextlib import contextmanager

import pytest

import odoo
from odoo.modules.registry import Registry

from ..tools import compat
from .fake_provider import DEFAULT_SENDERS, FakeProvider

KILL_SCRIPT = """
import sys
import odoo
from odoo.modules.registry import Registry
config, db, gateway_id, *ids = sys.argv[1:]
odoo.tools.config.parse_config(["-c", config, "-d", db, "--log-level=warn"])
with Registry(db).cursor() as cr:
    env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
    rows = env["sms.sms"].browse([int(i) for i in ids])
    gateway = env["sms.gateway"].browse(int(gateway_id))
    rows.with_context(text_messaging_dispatch=True)._send_with_gateway(gateway)
"""


@pytest.fixture
def registry():
    return Registry(compat.config_db_name())


@contextmanager
def env_of(registry):
    with registry.cursor() as cr:
        yield odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})


@pytest.fixture
def fake():
    with FakeProvider() as server:
        yield server


@pytest.fixture
def committed(registry, fake):
    """A committed Twilio gateway pointed at the fake, and a factory of queued
    rows; everything is deleted afterwards."""
    created = {"gateway": None, "ids": []}
    with env_of(registry) as env:
        gateway = env["sms.gateway"].create(
            {
                "name": "concurrency",
                "provider": "twilio",
                "base_url": fake.url,
                "sender": DEFAULT_SENDERS["twilio"],
                "rate_limit": 0,
                "batch_size": 25,
                **fake.credentials["twilio"],
            }
        )
        created["gateway"] = gateway.id

    def queue(count):
        with env_of(registry) as env:
            rows = env["sms.sms"].create(
                [
                    {
                        "number": f"+1201555{index:04d}",
                        "body": f"message {index}",
                        "gateway_id": created["gateway"],
                    }
                    for index in range(count)
                ]
            )
            created["ids"] += rows.ids
            return rows.ids

    yield created["gateway"], queue
    with env_of(registry) as env:
        env["sms.sms"].browse(created["ids"]).unlink()
        env["sms.gateway"].browse(created["gateway"]).unlink()


def _states(registry, ids):
    with env_of(registry) as env:
        env.cr.execute(
            "SELECT id, state, attempts FROM sms_sms WHERE id = ANY(%s)", [ids]
        )
        return {row[0]: row[1:] for row in env.cr.fetchall()}


def test_two_workers_never_claim_the_same_row(registry, committed):
    _gateway_id, queue = committed
    ids = queue(300)
    claimed = {0: [], 1: []}
    barrier = threading.Barrier(2)

    def worker(number):
        order = ids if number == 0 else list(reversed(ids))
        barrier.wait()
        for start in range(0, len(order), 20):
            with env_of(registry) as env:
                rows = env["sms.sms"].browse(order[start : start + 20])
                claimed[number] += rows._claim().ids
                time.sleep(0.005)  # hold the locks a little, then commit

    threads = [threading.Thread(target=worker, args=(n,)) for n in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not set(claimed[0]) & set(claimed[1])
    assert sorted(claimed[0] + claimed[1]) == sorted(ids)
    assert claimed[0] and claimed[1], "both workers got work"
    assert {state for state, _attempts in _states(registry, ids).values()} == {
        "process"
    }


def test_two_concurrent_dispatchers_send_each_message_once(registry, committed, fake):
    gateway_id, queue = committed
    ids = queue(120)
    fake.latency = 0.01
    barrier = threading.Barrier(2)
    errors = []

    def worker(order):
        try:
            barrier.wait()
            with env_of(registry) as env:
                gateway = env["sms.gateway"].browse(gateway_id)
                rows = env["sms.sms"].browse(order)
                rows.with_context(text_messaging_dispatch=True)._send_with_gateway(
                    gateway
                )
        except Exception as error:  # reported below, with the assertion
            errors.append(error)

    threads = [
        threading.Thread(target=worker, args=(ids,)),
        threading.Thread(target=worker, args=(list(reversed(ids)),)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors
    numbers = [message["to"] for message in fake.messages("twilio")]
    assert len(numbers) == 120
    assert len(set(numbers)) == 120, "no message sent twice"
    assert set(_states(registry, ids).values()) == {("pending", 1)}


def test_killed_dispatcher_in_flight_unknown_rest_requeued_at_once(
    registry, committed, fake
):
    """Two connections; the 1st (or 2nd) and the 3rd request hang, the 4th
    waits for a free connection; SIGKILL then. Requests that ended are already
    stored; the hanging ones may have reached the provider (Unknown Outcome,
    never re-sent); the 4th never left (queued again at once, no 15 minutes)."""
    gateway_id, queue = committed
    with env_of(registry) as env:
        env["sms.gateway"].browse(gateway_id).max_concurrency = 2
    ids = queue(4)
    fake.force(delay=30)
    fake.force(delay=0)
    fake.force(delay=30)
    config = compat.config_file()
    db = compat.config_db_name()
    process = subprocess.Popen(
        [sys.executable, "-c", KILL_SCRIPT, config, db, str(gateway_id)]
        + [str(sms_id) for sms_id in ids],
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while len(fake.received) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(fake.received) == 3, "three requests reached the provider"
        time.sleep(1)
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(30)
    first, second, third, fourth = ids
    states = _states(registry, ids)
    assert sorted([states[first], states[second]]) == [
        ("pending", 1),
        ("process", 1),
    ], "the request that ended is stored while the others run"
    assert states[third] == states[fourth] == ("process", 1)
    with env_of(registry) as env:
        # The killed process's lock went with its connection: no waiting.
        in_flight, never_sent = env["sms.sms"]._recover_orphans()
        assert never_sent.ids == [fourth]
        assert len(in_flight) == 2 and third in in_flight.ids
    states = _states(registry, ids)
    assert states[third] == ("unknown", 1)
    assert states[fourth] == ("outgoing", 0)
    with env_of(registry) as env:
        # Sending again through the dispatcher sends the fourth only.
        env["sms.sms"].browse(ids).with_context(
            text_messaging_dispatch=True
        )._send_with_gateway(env["sms.gateway"].browse(gateway_id))
    assert _states(registry, [fourth])[fourth] == ("pending", 1)
    numbers = sorted(m["to"] for m in fake.messages("twilio"))
    assert numbers == ["+12015550000", "+12015550001", "+12015550002", "+12015550003"]
