"""EZ Texting adapter against the fake provider (real HTTP on 127.0.0.1)."""

import base64
import uuid

import pytest

from odoo.addons.text_messaging.gateways import GatewayError, OutgoingMessage
from odoo.addons.text_messaging.gateways.eztexting import EZTextingGateway
from odoo.addons.text_messaging.tests.fake_provider import FakeProvider

NUMBER = "+15551230001"


@pytest.fixture
def fake():
    with FakeProvider() as server:
        yield server


def gateway_for(fake, **overrides):
    return EZTextingGateway(fake.config("eztexting", **overrides))


def message(number=NUMBER, body="Your invoice is overdue.", sender=""):
    return OutgoingMessage(uuid.uuid4().hex, number, body, sender)


def test_send_posts_exact_json(fake):
    creds = fake.credentials["eztexting"]
    (result,) = gateway_for(fake).send([message()])
    assert result.outcome == "accepted"
    assert result.provider_id
    (record,) = fake.received
    assert (record.method, record.path) == ("POST", "/v1/messages")
    token = base64.b64encode(f"{creds['username']}:{creds['password']}".encode())
    assert record.headers["Authorization"] == f"Basic {token.decode()}"
    assert record.body == {
        "toNumbers": ["5551230001"],
        "message": "Your invoice is overdue.",
        "messageType": "SMS",
    }


def test_one_number_per_request(fake):
    numbers = [f"+1555123{i:04d}" for i in range(4)]
    results = gateway_for(fake).send([message(n) for n in numbers])
    assert {r.outcome for r in results} == {"accepted"}
    assert [len(r.body["toNumbers"]) for r in fake.received] == [1, 1, 1, 1]


def test_created_without_id_is_still_accepted(fake):
    fake.force(status=201, body={"status": "QUEUED"})
    (result,) = gateway_for(fake).send([message()])
    assert (result.outcome, result.provider_id) == ("accepted", "")


def test_rate_limit_header_in_milliseconds(fake):
    fake.force(
        status=429,
        body={"status": 429, "title": "Too Many Requests"},
        headers={"X-Rate-Limit-Retry-After-Milliseconds": "2500"},
    )
    (result,) = gateway_for(fake).send([message()])
    assert (result.failure_code, result.retryable) == ("rate_limited", True)
    assert result.retry_after == 2.5


@pytest.mark.parametrize(
    "text, failure",
    [
        ("Contact has opted out", "opted_out"),
        ("Not enough credits", "insufficient_credit"),
        ("Invalid phone number", "invalid_number"),
        ("Message is too long", "rejected"),
    ],
)
def test_error_texts(fake, text, failure):
    fake.errors[NUMBER] = text
    (result,) = gateway_for(fake).send([message()])
    assert result.outcome == "failed"
    assert result.failure_code == failure
    assert result.detail == f"EZ Texting answered HTTP 400 Bad Request: {text}"


def test_non_north_american_number_fails_locally(fake):
    (result,) = gateway_for(fake).send([message("+33612345678")])
    assert result.failure_code == "invalid_number"
    assert fake.received == []


def test_connection(fake):
    assert gateway_for(fake).test_connection() == "Connected to EZ Texting."
    assert fake.received[0].path == "/v1/credits"
    wrong = {"username": "ez-fake-user", "password": "wrong-password"}
    with pytest.raises(GatewayError, match="refused the credentials") as error:
        gateway_for(fake, credentials=wrong).test_connection()
    assert "wrong-password" not in str(error.value)


@pytest.mark.parametrize("sender, valid", [("", True), ("+15551234567", False)])
def test_check_sender(sender, valid):
    assert (EZTextingGateway.check_sender(sender) is None) is valid
