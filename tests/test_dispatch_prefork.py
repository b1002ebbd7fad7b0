"""The dispatcher under Odoo's production server: prefork, killed, restarted.

A real ``odoo-bin --workers=2 --max-cron-threads=2`` subprocess (default time
limits, free ports found at run time) dispatches committed texts to the local
fake provider; the whole server is SIGKILLed while requests are in flight,
then started again. At the end the provider's record and the database must
agree: no text sent twice, none lost, no Unknown Outcome for a text that never
reached the provider. (Plain pytest function, like test_dispatch_concurrency:
it needs committed rows; it deletes them at the end.)
"""

import os
from contextlib import contextmanager

import pytest

import odoo
from odoo.modules.registry import Registry

from ..tools import compat
from .fake_provider import DEFAULT_SENDERS, FakeProvider
from .prefork import PreforkServer, audit, wait_until

COUNT = 40
LOOKUP_PARAM = "text_messaging.dispatch.lookup_delay"


@contextmanager
def env_of(registry):
    with registry.cursor() as cr:
        yield odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})


@pytest.fixture
def registry():
    return Registry(compat.config_db_name())


@pytest.fixture
def fake():
    with FakeProvider(latency=0.2) as server:
        yield server


@pytest.fixture
def texts(registry, fake):
    """A committed Twilio gateway on the fake and COUNT queued texts."""
    with env_of(registry) as env:
        params = env["ir.config_parameter"].sudo()
        saved_delay = params.get_param(LOOKUP_PARAM)
        params.set_param(LOOKUP_PARAM, 2)
        # The server runs every active cron on this shared test database: only
        # the dispatcher here, or the demo's reminder rules and mass messages
        # would queue committed texts that later tests find.
        dispatcher = env.ref("text_messaging.ir_cron_text_messaging_dispatch")
        others = env["ir.cron"].search(
            [("active", "=", True), ("id", "!=", dispatcher.id)]
        )
        others.write({"active": False})
        paused_crons = others.ids
        gateway = env["sms.gateway"].create(
            {
                "name": "prefork",
                "provider": "twilio",
                "base_url": fake.url,
                "sender": DEFAULT_SENDERS["twilio"],
                "rate_limit": 20,
                "read_timeout": 5,
                **fake.credentials["twilio"],
            }
        )
        rows = env["sms.sms"].create(
            [
                {
                    "number": f"+1201555{index:04d}",
                    "body": f"prefork text {index}",
                    "gateway_id": gateway.id,
                    "kind": "custom",
                }
                for index in range(COUNT)
            ]
        )
        ids, gateway_id = rows.ids, gateway.id
    yield gateway_id, ids
    with env_of(registry) as env:
        env["sms.sms"].browse(ids).unlink()
        env["sms.gateway"].browse(gateway_id).unlink()
        env["ir.config_parameter"].sudo().set_param(LOOKUP_PARAM, saved_delay)
        env["ir.cron"].browse(paused_crons).write({"active": True})


def _rows(registry, ids):
    with env_of(registry) as env:
        env.cr.execute(
            "SELECT body, state, provider_message_id FROM sms_sms WHERE id = ANY(%s)",
            [ids],
        )
        return env.cr.fetchall()


def _settled(registry, ids):
    """True when no text waits, is being sent, or awaits its lookup."""
    return all(
        state not in ("outgoing", "process", "unknown")
        for _body, state, _id in _rows(registry, ids)
    )


def test_prefork_server_killed_and_restarted_sends_each_text_once(
    registry, fake, texts, tmp_path
):
    _gateway_id, ids = texts
    server = PreforkServer(
        compat.config_file(),
        compat.config_db_name(),
        tmp_path / "odoo.log",
    )
    try:
        server.start()
        # At 20 texts/s and 0.2 s per answer, some requests are in flight.
        reached = wait_until(lambda: len(fake.received) >= 10, timeout=180)
        assert reached, server.log()[-3000:]
        server.kill()
        in_flight_at_kill = fake.in_flight
        sent_before_restart = len(fake.received)
        server.start()
        settled = wait_until(lambda: _settled(registry, ids), timeout=240)
        assert settled, _rows(registry, ids)
        watchdog = server.watchdog_kills()
        crashes = server.crashes()
    finally:
        server.stop()
    assert sent_before_restart < COUNT, "the kill came before the end"
    result = audit(
        _rows(registry, ids),
        [message["body"] for message in fake.messages("twilio")],
        [(entry["body"], entry["id"]) for entry in fake.accepted],
    )
    assert result.duplicates == 0, result
    assert result.lost == 0, result
    assert result.wrong_ids == 0, result
    assert result.unknown_never_reached == 0, result
    assert result.states == {"pending": COUNT}, (result, in_flight_at_kill)
    assert watchdog == 0
    # No process of the server died (e.g. a websocket process respawned in a
    # loop when the server is not started from its launcher script).
    assert crashes == [], crashes
    assert os.path.getsize(tmp_path / "odoo.log") > 0
