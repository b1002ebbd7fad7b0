"""Vonage SMS API adapter against the fake provider (real HTTP on 127.0.0.1)."""

import base64
import uuid

import pytest

from odoo.addons.text_messaging.gateways import GatewayError, OutgoingMessage
from odoo.addons.text_messaging.gateways.vonage import VonageGateway
from odoo.addons.text_messaging.tests.fake_provider import FakeProvider

NUMBER = "+447700900123"


@pytest.fixture
def fake():
    with FakeProvider() as server:
        yield server


def gateway_for(fake, **overrides):
    return VonageGateway(fake.config("vonage", **overrides))


def message(number=NUMBER, body="Your appointment is confirmed.", sender=""):
    return OutgoingMessage(uuid.uuid4().hex, number, body, sender)


def test_send_posts_exact_form_fields(fake):
    creds = fake.credentials["vonage"]
    sent = message()
    (result,) = gateway_for(fake, status_url="https://odoo.example.com/s").send([sent])
    assert result.outcome == "accepted"
    assert result.provider_id
    assert result.segments == 1
    assert result.price == pytest.approx(0.0333)

    (record,) = fake.received
    assert (record.method, record.path) == ("POST", "/sms/json")
    assert record.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert record.body == {
        "api_key": creds["api_key"],
        "api_secret": creds["api_secret"],
        "from": "447700900001",
        "to": "447700900123",
        "text": "Your appointment is confirmed.",
        "client-ref": sent.uuid,
        "callback": "https://odoo.example.com/s",
        "status-report-req": "1",
    }
    assert fake.messages()[0]["to"] == NUMBER


def test_unicode_type_only_when_needed(fake):
    gateway = gateway_for(fake)
    gateway.send([message(body="Plain {GSM} €"), message(body="Emoji 😀")])
    types = sorted(str(r.body.get("type")) for r in fake.received)
    assert types == ["None", "unicode"]


def test_alphanumeric_sender_is_kept(fake):
    gateway_for(fake, sender="AcmeInc").send([message()])
    assert fake.received[0].body["from"] == "AcmeInc"


def test_multipart_message(fake):
    body = "x" * 200  # two GSM segments
    (result,) = gateway_for(fake).send([message(body=body)])
    assert result.outcome == "accepted"
    assert result.segments == 2
    assert result.price == pytest.approx(0.0666)
    assert len(fake.messages()) == 1


@pytest.mark.parametrize(
    "code, failure",
    sorted(VonageGateway.error_map.items(), key=lambda item: int(item[0])),
)
def test_submission_status_codes(fake, code, failure):
    fake.errors[NUMBER] = code
    (result,) = gateway_for(fake).send([message()])
    assert result.outcome == "failed"
    assert result.failure_code == failure
    assert result.retryable is (code in ("1", "5", "10"))
    assert result.detail.startswith(f"Vonage status {code}: ")


def test_opted_out_is_accepted_at_submit_time(fake):
    # Vonage reports opt-outs later, in the delivery receipt (err-code 9).
    (result,) = gateway_for(fake).send([message()])
    assert result.outcome == "accepted"


def test_bad_credentials_in_a_200_answer(fake):
    wrong = {"api_key": "vonage-key-1a2b", "api_secret": "not-the-secret"}
    (result,) = gateway_for(fake, credentials=wrong).send([message()])
    assert (result.failure_code, result.detail) == (
        "authentication",
        "Vonage status 4: Bad Credentials",
    )


def test_some_parts_failed_is_not_retryable(fake):
    fake.force(
        status=200,
        body={
            "message-count": "2",
            "messages": [
                {"status": "0", "message-id": "A1"},
                {"status": "5", "error-text": "Internal Error"},
            ],
        },
    )
    (result,) = gateway_for(fake).send([message()])
    assert result.outcome == "failed"
    assert result.retryable is False
    assert "1 of 2 parts accepted" in result.detail


def test_connection_uses_basic_auth(fake):
    creds = fake.credentials["vonage"]
    assert gateway_for(fake).test_connection() == (
        "Connected to Vonage, balance 10.28 EUR."
    )
    (record,) = fake.received
    assert record.path == "/account/get-balance"
    token = base64.b64encode(f"{creds['api_key']}:{creds['api_secret']}".encode())
    assert record.headers["Authorization"] == f"Basic {token.decode()}"
    assert record.query == {}  # the secret never goes into the URL
    wrong = {"api_key": "vonage-key-1a2b", "api_secret": "not-the-secret"}
    with pytest.raises(GatewayError, match="refused the credentials"):
        gateway_for(fake, credentials=wrong).test_connection()


@pytest.mark.parametrize(
    "sender, valid",
    [
        ("+447700900000", True),
        ("447700900000", True),
        ("AcmeInc", True),
        ("", False),
        ("Acme Inc Ltd Co", False),
        ("Acme-Inc", False),
    ],
)
def test_check_sender(sender, valid):
    assert (VonageGateway.check_sender(sender) is None) is valid
