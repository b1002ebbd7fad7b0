"""Plivo adapter against the fake provider (real HTTP on 127.0.0.1)."""

import base64
import uuid

import pytest

from odoo.addons.text_messaging.gateways import GatewayError, OutgoingMessage
from odoo.addons.text_messaging.gateways.plivo import PlivoGateway
from odoo.addons.text_messaging.tests.fake_provider import FakeProvider

NUMBER = "+15551230001"


@pytest.fixture
def fake():
    with FakeProvider() as server:
        yield server


def gateway_for(fake, **overrides):
    return PlivoGateway(fake.config("plivo", **overrides))


def message(number=NUMBER, body="Your order is ready.", sender=""):
    return OutgoingMessage(uuid.uuid4().hex, number, body, sender)


def test_send_posts_exact_json(fake):
    creds = fake.credentials["plivo"]
    gateway = gateway_for(fake, status_url="https://odoo.example.com/s")
    (result,) = gateway.send([message()])
    assert result.outcome == "accepted"
    assert uuid.UUID(result.provider_id)

    (record,) = fake.received
    assert record.path == f"/v1/Account/{creds['auth_id']}/Message/"
    token = base64.b64encode(f"{creds['auth_id']}:{creds['auth_token']}".encode())
    assert record.headers["Authorization"] == f"Basic {token.decode()}"
    assert record.body == {
        "src": "14155550100",
        "dst": "15551230001",
        "text": "Your order is ready.",
        "type": "sms",
        "url": "https://odoo.example.com/s",
        "method": "POST",
    }


def test_one_destination_per_request(fake):
    # Shared body and sender, yet no '<' batching: Plivo's answer does not say
    # which message_uuid belongs to which number.
    numbers = [f"+1555123{i:04d}" for i in range(6)]
    results = gateway_for(fake).send([message(n) for n in numbers])
    assert {r.outcome for r in results} == {"accepted"}
    assert len(fake.received) == 6
    assert all("<" not in r.body["dst"] for r in fake.received)
    assert sorted(m["to"] for m in fake.messages()) == numbers


def test_invalid_number_in_a_202_answer(fake):
    fake.errors[NUMBER] = "invalid"
    (result,) = gateway_for(fake).send([message()])
    assert (result.outcome, result.failure_code) == ("failed", "invalid_number")
    assert "message(s) queued" in result.detail


@pytest.mark.parametrize(
    "text, failure",
    [
        ("destination number has opted out", "opted_out"),
        ("insufficient credit in account", "insufficient_credit"),
        ("dst parameter is invalid", "invalid_number"),
        ("text parameter is required", "rejected"),
    ],
)
def test_error_texts(fake, text, failure):
    fake.errors[NUMBER] = text
    (result,) = gateway_for(fake).send([message()])
    assert result.outcome == "failed"
    assert result.failure_code == failure
    assert result.detail == f"Plivo answered HTTP 400 Bad Request: {text}"


def test_unreadable_uuid_list_is_unknown(fake):
    fake.force(status=202, body={"message": "message(s) queued", "message_uuid": []})
    (result,) = gateway_for(fake).send([message()])
    assert result.outcome == "unknown"


def test_connection(fake):
    text = gateway_for(fake).test_connection()
    assert (
        text == "Connected to the Plivo account 'Fake Plivo account', credit 12.34000."
    )
    creds = dict(fake.credentials["plivo"], auth_token="wrong-token")
    with pytest.raises(GatewayError, match="refused the credentials") as error:
        gateway_for(fake, credentials=creds).test_connection()
    assert "wrong-token" not in str(error.value)


@pytest.mark.parametrize(
    "sender, valid",
    [
        ("+14155550100", True),
        ("14155550100", True),
        ("Clinic", True),
        ("", False),
        ("Clinic & Co", False),
    ],
)
def test_check_sender(sender, valid):
    assert (PlivoGateway.check_sender(sender) is None) is valid
