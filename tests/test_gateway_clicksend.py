"""ClickSend adapter against the fake provider (real HTTP on 127.0.0.1)."""

import base64
import uuid

import pytest

from odoo.addons.text_messaging.gateways import GatewayError, OutgoingMessage
from odoo.addons.text_messaging.gateways.clicksend import ClickSendGateway
from odoo.addons.text_messaging.tests.fake_provider import FakeProvider


@pytest.fixture
def fake():
    with FakeProvider() as server:
        yield server


def gateway_for(fake, **overrides):
    return ClickSendGateway(fake.config("clicksend", **overrides))


def message(number, body="Invoice INV/2024/0042 is due on Friday.", sender=""):
    return OutgoingMessage(uuid.uuid4().hex, number, body, sender)


def numbers(count, start=0):
    return [f"+1555{i:07d}" for i in range(start, start + count)]


def test_batch_in_one_request_with_exact_fields(fake):
    creds = fake.credentials["clicksend"]
    sent = [
        message("+61411111111"),
        message("+14055555555", body="Second", sender="Clinic"),
        message("+15551230003", body="Third 🎉"),
    ]
    results = gateway_for(fake, status_url="https://odoo.example.com/x").send(sent)

    assert [r.uuid for r in results] == [m.uuid for m in sent]
    assert {r.outcome for r in results} == {"accepted"}
    assert all(r.provider_id for r in results)
    assert len({r.provider_id for r in results}) == 3
    assert [r.segments for r in results] == [1, 1, 1]
    assert results[0].price == pytest.approx(0.077)

    (record,) = fake.received
    assert (record.method, record.path) == ("POST", "/v3/sms/send")
    assert record.headers["Content-Type"] == "application/json"
    token = base64.b64encode(f"{creds['username']}:{creds['api_key']}".encode())
    assert record.headers["Authorization"] == f"Basic {token.decode()}"
    assert record.body == {
        "messages": [
            {
                "to": "+61411111111",
                "body": "Invoice INV/2024/0042 is due on Friday.",
                "source": "odoo",
                "custom_string": sent[0].uuid,
                "from": "+61411111111",
            },
            {
                "to": "+14055555555",
                "body": "Second",
                "source": "odoo",
                "custom_string": sent[1].uuid,
                "from": "Clinic",
            },
            {
                "to": "+15551230003",
                "body": "Third 🎉",
                "source": "odoo",
                "custom_string": sent[2].uuid,
                "from": "+61411111111",
            },
        ]
    }


def test_no_sender_uses_shared_number(fake):
    gateway_for(fake, sender="").send([message("+61411111111")])
    (record,) = fake.received
    assert "from" not in record.body["messages"][0]


def test_partial_failure_maps_each_message(fake):
    to = numbers(5)
    fake.errors[to[1]] = "INVALID_RECIPIENT"
    fake.errors[to[3]] = "INSUFFICIENT_CREDIT"
    results = gateway_for(fake).send([message(n) for n in to])
    assert [r.outcome for r in results] == [
        "accepted",
        "failed",
        "accepted",
        "failed",
        "accepted",
    ]
    assert results[1].failure_code == "invalid_number"
    assert results[1].detail == f"ClickSend status INVALID_RECIPIENT for {to[1]}."
    assert results[3].failure_code == "insufficient_credit"
    assert not any(r.retryable for r in results)
    assert len(fake.received) == 1
    assert [m["to"] for m in fake.messages()] == to


@pytest.mark.parametrize(
    "status, failure",
    sorted(ClickSendGateway.error_map.items())
    + [("RECIPIENT_OPTED_OUT", "opted_out"), ("SOMETHING_NEW", "rejected")],
)
def test_per_message_status_words(fake, status, failure):
    to = numbers(2)
    fake.errors[to[0]] = status
    results = gateway_for(fake).send([message(n) for n in to])
    assert results[0].outcome == "failed"
    assert results[0].failure_code == failure
    assert results[0].retryable is (status in ClickSendGateway.retryable_codes)
    assert status in results[0].detail
    assert results[1].outcome == "accepted"


def test_large_send_is_split_in_batches_of_1000(fake):
    to = numbers(2500)
    results = gateway_for(fake, max_concurrency=2).send([message(n) for n in to])
    assert len(results) == 2500
    assert {r.outcome for r in results} == {"accepted"}
    assert sorted(len(r.messages) for r in fake.received) == [500, 1000, 1000]
    received = [m["to"] for m in fake.messages()]
    assert sorted(received) == to  # each exactly once


def test_answer_mapped_by_custom_string_not_order(fake):
    sent = [message("+15551230001"), message("+15551230002")]
    entries = [
        {
            "to": "+15551230002",
            "status": "INVALID_RECIPIENT",
            "message_id": "B",
            "custom_string": sent[1].uuid,
        },
        {
            "to": "+15551230001",
            "status": "SUCCESS",
            "message_id": "A",
            "custom_string": sent[0].uuid,
        },
    ]
    fake.force(
        status=200, body={"response_code": "SUCCESS", "data": {"messages": entries}}
    )
    first, second = gateway_for(fake).send(sent)
    assert (first.outcome, first.provider_id) == ("accepted", "A")
    assert (second.outcome, second.failure_code) == ("failed", "invalid_number")


def test_message_missing_from_answer_is_unknown(fake):
    sent = [message("+15551230001"), message("+15551230002")]
    entries = [
        {"status": "SUCCESS", "message_id": "A", "custom_string": sent[0].uuid},
    ]
    fake.force(
        status=200, body={"response_code": "SUCCESS", "data": {"messages": entries}}
    )
    first, second = gateway_for(fake).send(sent)
    assert first.outcome == "accepted"
    assert second.outcome == "unknown"
    assert second.retryable is False


def test_request_level_error_in_200_answer(fake):
    fake.force(
        status=200,
        body={
            "http_code": 200,
            "response_code": "INSUFFICIENT_CREDIT",
            "response_msg": "Not enough credit.",
            "data": {},
        },
    )
    results = gateway_for(fake).send([message(n) for n in numbers(2)])
    assert {r.failure_code for r in results} == {"insufficient_credit"}
    assert (
        results[0].detail == "ClickSend error INSUFFICIENT_CREDIT: Not enough credit."
    )


def test_whole_batch_429_and_401(fake):
    fake.force(
        status=429,
        body={"http_code": 429, "response_code": "TOO_MANY_REQUESTS"},
        headers={"Retry-After": "3"},
    )
    results = gateway_for(fake).send([message(n) for n in numbers(3)])
    assert {(r.failure_code, r.retryable, r.retry_after) for r in results} == {
        ("rate_limited", True, 3.0)
    }
    wrong = {"username": "fake-user", "api_key": "wrong-api-key"}
    results = gateway_for(fake, credentials=wrong).send(
        [message(n) for n in numbers(2)]
    )
    assert {r.failure_code for r in results} == {"authentication"}
    assert results[0].detail.startswith("ClickSend error INVALID_CREDENTIALS")


def test_connection(fake):
    text = gateway_for(fake).test_connection()
    assert text == "Connected to ClickSend, balance 12.34 USD."
    assert fake.received[0].path == "/v3/account"
    wrong = {"username": "fake-user", "api_key": "wrong-api-key"}
    with pytest.raises(GatewayError, match="INVALID_CREDENTIALS") as error:
        gateway_for(fake, credentials=wrong).test_connection()
    assert "wrong-api-key" not in str(error.value)


@pytest.mark.parametrize(
    "sender, valid",
    [
        ("", True),
        ("+61411111111", True),
        ("MyClinic", True),
        ("12345", True),
        ("My Clinic", False),  # no spaces
        ("ABCDEFGHIJKL", False),
        ("+61 411", False),
    ],
)
def test_check_sender(sender, valid):
    assert (ClickSendGateway.check_sender(sender) is None) is valid
