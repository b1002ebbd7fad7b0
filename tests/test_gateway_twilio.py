"""Twilio adapter against the fake provider (real HTTP on 127.0.0.1)."""

import base64
import uuid

import pytest

from odoo.addons.text_messaging.gateways import GatewayError, OutgoingMessage
from odoo.addons.text_messaging.gateways.twilio import TwilioGateway
from odoo.addons.text_messaging.tests.fake_provider import FakeProvider

NUMBER = "+15551230001"
SERVICE_SID = "MG" + "0123456789abcdef" * 2


@pytest.fixture
def fake():
    with FakeProvider() as server:
        yield server


def gateway_for(fake, **overrides):
    return TwilioGateway(fake.config("twilio", **overrides))


def message(number=NUMBER, body="See you tomorrow at 10:00.", sender=""):
    return OutgoingMessage(uuid.uuid4().hex, number, body, sender)


def assert_no_secret(fake, texts):
    for text in texts:
        for secret in fake.secrets():
            assert secret not in text


def test_send_posts_exact_fields_once(fake):
    creds = fake.credentials["twilio"]
    gateway = gateway_for(fake, status_url="https://odoo.example.com/status")
    sent = message(body="Rappel : séance demain à 10 h")
    (result,) = gateway.send([sent])

    assert result.outcome == "accepted"
    assert result.uuid == sent.uuid
    assert result.provider_id.startswith("SM") and len(result.provider_id) == 34
    assert result.segments == 1
    assert result.price is None
    assert (result.failure_code, result.detail, result.retryable) == ("", "", False)

    (record,) = fake.received
    assert record.method == "POST"
    assert record.path == f"/2010-04-01/Accounts/{creds['account_sid']}/Messages.json"
    assert record.headers["Content-Type"] == "application/x-www-form-urlencoded"
    token = base64.b64encode(
        f"{creds['account_sid']}:{creds['auth_token']}".encode()
    ).decode()
    assert record.headers["Authorization"] == f"Basic {token}"
    assert record.body == {
        "To": NUMBER,
        "From": "+15005550006",
        "Body": "Rappel : séance demain à 10 h",
        "StatusCallback": "https://odoo.example.com/status",
    }
    assert record.authorized


def test_each_message_is_sent_exactly_once(fake):
    numbers = [f"+1555123{i:04d}" for i in range(10)]
    results = gateway_for(fake).send([message(n) for n in numbers])
    assert {r.outcome for r in results} == {"accepted"}
    assert len({r.provider_id for r in results}) == 10
    assert sorted(m["to"] for m in fake.messages()) == numbers
    assert len(fake.received) == 10  # one request per message


def test_per_message_sender_and_messaging_service(fake):
    gateway = gateway_for(fake)
    gateway.send([message(sender="+15005550009"), message(sender=SERVICE_SID)])
    first, second = sorted(fake.received, key=lambda r: "MessagingServiceSid" in r.body)
    assert first.body["From"] == "+15005550009"
    assert "MessagingServiceSid" not in first.body
    assert second.body["MessagingServiceSid"] == SERVICE_SID
    assert "From" not in second.body
    assert "StatusCallback" not in first.body


def test_price_and_segments_from_the_answer(fake):
    fake.force(
        status=201,
        body={"sid": "SM" + "a" * 32, "num_segments": "3", "price": "-0.02250"},
    )
    (result,) = gateway_for(fake).send([message()])
    assert result.outcome == "accepted"
    assert result.segments == 3
    assert result.price == pytest.approx(0.0225)


def test_success_without_sid_is_unknown(fake):
    fake.force(status=201, body={"status": "queued"})
    (result,) = gateway_for(fake).send([message()])
    assert result.outcome == "unknown"
    assert result.retryable is False


@pytest.mark.parametrize(
    "code, failure, retryable",
    sorted(
        (int(code), failure, code in TwilioGateway.retryable_codes)
        for code, failure in TwilioGateway.error_map.items()
    ),
)
def test_documented_error_codes(fake, code, failure, retryable):
    fake.errors[NUMBER] = code
    ok = message("+15551230002")
    bad = message()
    results = gateway_for(fake).send([bad, ok])
    assert results[1].outcome == "accepted"
    result = results[0]
    assert result.outcome == "failed"
    assert result.failure_code == failure
    assert result.retryable is retryable
    assert result.detail.startswith(f"Twilio error {code}: ")
    assert len(result.detail) > len(f"Twilio error {code}: ")
    assert_no_secret(fake, [result.detail])


def test_invalid_to_detail_quotes_twilio(fake):
    fake.errors[NUMBER] = 21211
    (result,) = gateway_for(fake).send([message()])
    assert result.detail == (
        f"Twilio error 21211: The 'To' number {NUMBER} is not a valid phone number."
    )
    assert result.failure_code == "invalid_number"


def test_opted_out_recipient(fake):
    fake.errors[NUMBER] = 21610
    (result,) = gateway_for(fake).send([message()])
    assert (result.outcome, result.failure_code, result.retryable) == (
        "failed",
        "opted_out",
        False,
    )


def test_too_many_requests_code_20429(fake):
    fake.errors[NUMBER] = 20429
    (result,) = gateway_for(fake).send([message()])
    assert result.failure_code == "rate_limited"
    assert result.retryable is True


def test_missing_sender_is_rejected_by_twilio(fake):
    (result,) = gateway_for(fake, sender="").send([message()])
    assert result.outcome == "failed"
    assert result.detail.startswith("Twilio error 21603")


def test_connection_success(fake):
    text = gateway_for(fake).test_connection()
    assert "Fake Twilio account" in text
    assert_no_secret(fake, [text])
    (record,) = fake.received
    sid = fake.credentials["twilio"]["account_sid"]
    assert record.path == f"/2010-04-01/Accounts/{sid}.json"
    assert record.method == "GET"


def test_connection_bad_token(fake):
    creds = dict(fake.credentials["twilio"], auth_token="not-the-right-token")
    with pytest.raises(GatewayError) as error:
        gateway_for(fake, credentials=creds).test_connection()
    assert "refused the credentials" in str(error.value)
    assert "20003" in str(error.value)
    assert_no_secret(fake, [str(error.value)])
    assert "not-the-right-token" not in str(error.value)


def test_connection_suspended_account(fake):
    fake.force(
        status=200, body={"sid": "AC1", "friendly_name": "Shop", "status": "suspended"}
    )
    with pytest.raises(GatewayError, match="suspended"):
        gateway_for(fake).test_connection()


@pytest.mark.parametrize(
    "sender, valid",
    [
        ("+15551234567", True),
        ("12345", True),
        ("123456", True),
        (SERVICE_SID, True),
        ("My Clinic", True),
        ("Clinic2024", True),
        ("", False),
        ("15551234567", False),
        ("123", False),
        ("ABCDEFGHIJKL", False),  # 12 characters
        ("12345678901", False),  # digits only, not a short code
        ("Clinic!", False),
        ("+1555", False),
    ],
)
def test_check_sender(sender, valid):
    problem = TwilioGateway.check_sender(sender)
    assert (problem is None) is valid
    if not valid:
        assert isinstance(problem, str) and problem
