"""Telnyx adapter against the fake provider (real HTTP on 127.0.0.1)."""

import uuid

import pytest

from odoo.addons.text_messaging.gateways import GatewayError, OutgoingMessage
from odoo.addons.text_messaging.gateways.telnyx import TelnyxGateway
from odoo.addons.text_messaging.tests.fake_provider import FakeProvider

NUMBER = "+15551230001"


@pytest.fixture
def fake():
    with FakeProvider() as server:
        yield server


def gateway_for(fake, **overrides):
    return TelnyxGateway(fake.config("telnyx", **overrides))


def message(number=NUMBER, body="Task 'Fix roof' is due today.", sender=""):
    return OutgoingMessage(uuid.uuid4().hex, number, body, sender)


def test_send_posts_exact_json_once(fake):
    key = fake.credentials["telnyx"]["api_key"]
    gateway = gateway_for(fake, status_url="https://odoo.example.com/s")
    (result,) = gateway.send([message()])
    assert result.outcome == "accepted"
    assert uuid.UUID(result.provider_id)
    assert result.segments == 1
    assert result.price == pytest.approx(0.004)

    (record,) = fake.received
    assert (record.method, record.path) == ("POST", "/v2/messages")
    assert record.headers["Authorization"] == f"Bearer {key}"
    assert record.body == {
        "from": "+15550001111",
        "to": NUMBER,
        "text": "Task 'Fix roof' is due today.",
        "type": "SMS",
        "webhook_url": "https://odoo.example.com/s",
    }


def test_messaging_profile_is_sent_when_configured(fake):
    creds = dict(fake.credentials["telnyx"], messaging_profile_id="prof-1")
    gateway_for(fake, credentials=creds, sender="Clinic").send([message()])
    body = fake.received[0].body
    assert body["messaging_profile_id"] == "prof-1"
    assert body["from"] == "Clinic"
    assert "webhook_url" not in body


@pytest.mark.parametrize(
    "code, failure",
    sorted(
        (code, failure)
        for code, failure in TelnyxGateway.error_map.items()
        if code != "10009"  # auth is tested below (a wrong key, not a number)
    ),
)
def test_documented_error_codes(fake, code, failure):
    fake.errors[NUMBER] = code
    (result,) = gateway_for(fake).send([message()])
    assert result.outcome == "failed"
    assert result.failure_code == failure
    assert result.retryable is (code in TelnyxGateway.retryable_codes)
    assert result.detail.startswith(f"Telnyx error {code}: ")


@pytest.mark.parametrize("status", [400, 403])
def test_stop_block_is_opted_out_whatever_the_status(fake, status):
    fake.force(
        status=status,
        body={"errors": [{"code": "40300", "title": "Blocked due to STOP message"}]},
    )
    (result,) = gateway_for(fake).send([message()])
    assert result.failure_code == "opted_out"
    assert result.detail == "Telnyx error 40300: Blocked due to STOP message"


def test_bad_key(fake):
    (result,) = gateway_for(fake, credentials={"api_key": "KEYwrong"}).send([message()])
    assert result.failure_code == "authentication"
    assert result.detail.startswith("Telnyx error 10009")
    assert "KEYwrong" not in result.detail


def test_connection(fake):
    assert gateway_for(fake).test_connection() == (
        "Connected to Telnyx, balance 300.00 USD."
    )
    assert fake.received[0].path == "/v2/balance"
    with pytest.raises(GatewayError, match="refused the credentials"):
        gateway_for(fake, credentials={"api_key": "KEYwrong"}).test_connection()


@pytest.mark.parametrize(
    "sender, valid",
    [
        ("+15551234567", True),
        ("55555", True),
        ("Clinic", True),
        ("", False),
        ("15551234567X", False),
        ("123456789012", False),
    ],
)
def test_check_sender(sender, valid):
    assert (TelnyxGateway.check_sender(sender) is None) is valid
