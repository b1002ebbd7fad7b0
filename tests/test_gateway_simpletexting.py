"""SimpleTexting adapter against the fake provider (real HTTP on 127.0.0.1)."""

import uuid

import pytest

from odoo.addons.text_messaging.gateways import GatewayError, OutgoingMessage
from odoo.addons.text_messaging.gateways.simpletexting import SimpleTextingGateway
from odoo.addons.text_messaging.tests.fake_provider import FakeProvider

NUMBER = "+15551230001"


@pytest.fixture
def fake():
    with FakeProvider() as server:
        yield server


def gateway_for(fake, **overrides):
    return SimpleTextingGateway(fake.config("simpletexting", **overrides))


def message(number=NUMBER, body="Reminder: class at 6 pm.", sender=""):
    return OutgoingMessage(uuid.uuid4().hex, number, body, sender)


def test_send_posts_exact_json(fake):
    token = fake.credentials["simpletexting"]["api_token"]
    (result,) = gateway_for(fake).send([message()])
    assert result.outcome == "accepted"
    assert len(result.provider_id) == 24
    (record,) = fake.received
    assert (record.method, record.path) == ("POST", "/v2/api/messages")
    assert record.headers["Authorization"] == f"Bearer {token}"
    assert record.body == {
        "contactPhone": "5551230001",
        "accountPhone": "8005551234",
        "mode": "AUTO",
        "text": "Reminder: class at 6 pm.",
    }
    assert fake.messages()[0]["to"] == NUMBER


def test_without_sender_the_account_number_is_used(fake):
    gateway_for(fake, sender="").send([message()])
    assert "accountPhone" not in fake.received[0].body


def test_non_north_american_number_fails_locally(fake):
    (result,) = gateway_for(fake).send([message("+447700900123")])
    assert (result.outcome, result.failure_code) == ("failed", "invalid_number")
    assert fake.received == []


@pytest.mark.parametrize(
    "code, failure",
    [
        ("ERR_CONTACT_UNSUBSCRIBED", "opted_out"),
        ("ERR_NOT_ENOUGH_CREDITS", "insufficient_credit"),
        ("ERR_INVALID_PHONE", "invalid_number"),
        ("ERR_SOMETHING_ELSE", "rejected"),
    ],
)
def test_error_codes(fake, code, failure):
    fake.errors[NUMBER] = code
    (result,) = gateway_for(fake).send([message()])
    assert result.outcome == "failed"
    assert result.failure_code == failure
    assert result.detail.startswith(f"SimpleTexting error {code}")


def test_connection(fake):
    assert gateway_for(fake).test_connection() == (
        "Connected to SimpleTexting (number 8005551234)."
    )
    assert fake.received[0].path == "/v2/api/phones"
    assert fake.received[0].query == {"page": "0", "size": "1"}
    with pytest.raises(GatewayError, match="refused the credentials"):
        gateway_for(fake, credentials={"api_token": "wrong-token"}).test_connection()


@pytest.mark.parametrize(
    "sender, valid",
    [
        ("", True),
        ("+18005551234", True),
        ("8005551234", True),
        ("+447700900000", False),
        ("Clinic", False),
    ],
)
def test_check_sender(sender, valid):
    assert (SimpleTextingGateway.check_sender(sender) is None) is valid
