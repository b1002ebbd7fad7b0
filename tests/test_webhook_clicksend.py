"""ClickSend webhooks (not signed): delivery receipts and inbound messages."""

import json

import pytest
from hypothesis import given, settings

from odoo.addons.text_messaging.gateways import WebhookRequest
from odoo.addons.text_messaging.gateways.clicksend import ClickSendGateway
from odoo.addons.text_messaging.tests.fake_provider import (
    FakeProvider,
    request_fields,
)
from odoo.addons.text_messaging.tests.test_webhook_base import (
    check_hostile,
    hostile_requests,
)

URL = "https://odoo.example.com/text_messaging/webhook/7/tok3n/status"
MESSAGE_ID = "BF7AD270-0DE2-418B-B606-71D527D9C1AE"
FIELDS = [
    "message_id",
    "status_code",
    "status_text",
    "error_code",
    "error_text",
    "from",
    "to",
    "body",
    "timestamp",
    "data",
]


@pytest.fixture(scope="module")
def fake():
    return FakeProvider()


@pytest.fixture(scope="module")
def gateway(fake):
    return ClickSendGateway(fake.webhook_config("clicksend"))


def build(headers, body):
    return WebhookRequest(**request_fields(URL, headers, body))


def status(fake, word="delivered", **options):
    return build(*fake.status_callback("clicksend", MESSAGE_ID, word, URL, **options))


def inbound(fake, text, **options):
    return build(
        *fake.inbound_callback("clicksend", "+61411111111", text, URL, **options)
    )


def as_json(data):
    return build({"Content-Type": "application/json"}, json.dumps(data).encode())


def test_not_signed_every_request_passes(fake, gateway):
    assert not gateway.signs_webhooks
    assert gateway.verify(status(fake))
    assert gateway.verify(build({}, b"anything"))


@pytest.mark.parametrize("content", ["json", "form"])
def test_delivered_receipt(fake, gateway, content):
    (report,) = gateway.parse_status(status(fake, "delivered", content=content))
    assert (report.provider_id, report.status, report.failure_code) == (
        MESSAGE_ID,
        "delivered",
        "",
    )
    assert report.raw_status == "201 Delivered"


def test_sent_is_intermediate(fake, gateway):
    (report,) = gateway.parse_status(status(fake, "sent"))
    assert (report.status, report.raw_status) == ("sent", "200 Sent")


@pytest.mark.parametrize(
    "code, error, failure",
    [
        ("300", "", "rejected"),
        ("301", "INVALID_RECIPIENT", "invalid_number"),
        ("301", "INSUFFICIENT_CREDIT", "insufficient_credit"),
        ("301", "OPTED_OUT_RECIPIENT", "opted_out"),
        ("302", "", "server_error"),
        ("302", "NETWORK_ERROR", "server_error"),
    ],
)
def test_failed_receipts(fake, gateway, code, error, failure):
    request = status(fake, code, error_code=error)
    (report,) = gateway.parse_status(request)
    assert (report.status, report.failure_code) == ("failed", failure)
    assert report.detail.startswith(f"ClickSend error {error or code}")


def test_status_words_without_code(gateway):
    for word, normalized in (
        ("Delivered", "delivered"),
        ("Undelivered", "failed"),
        ("Sent", "sent"),
        ("Weird", "unknown"),
    ):
        data = {"message_id": MESSAGE_ID, "status_text": word}
        (report,) = gateway.parse_status(as_json(data))
        assert report.status == normalized


def test_batched_and_wrapped_receipts(gateway):
    entries = [
        {"message_id": f"id-{i}", "status_code": "201", "status_text": "Delivered"}
        for i in range(3)
    ]
    for data in (entries, {"data": entries}, {"data": {"data": entries}}):
        reports = gateway.parse_status(as_json(data))
        assert [r.provider_id for r in reports] == ["id-0", "id-1", "id-2"]
    assert gateway.parse_status(as_json([])) == []


def test_malformed_receipts(gateway):
    for data in (
        {"status_code": "201"},
        {"message_id": {"x": 1}, "status_code": "201"},
        [{"message_id": "a", "status_code": "201"}, "b"],
        [{"message_id": "a"}] * 1001,
        {"data": None},
    ):
        with pytest.raises(ValueError):
            gateway.parse_status(as_json(data))


@pytest.mark.parametrize("text", ["STOP", "See you 👋", "", "Stop"])
@pytest.mark.parametrize("content", ["json", "form"])
def test_inbound_message(fake, gateway, text, content):
    request = inbound(fake, text, to="+61400000000", message_id="IN-1", content=content)
    (message,) = gateway.parse_inbound(request)
    assert (message.provider_id, message.number, message.to, message.body) == (
        "IN-1",
        "+61411111111",
        "+61400000000",
        text,
    )
    assert message.received_at.endswith("+00:00")


def test_receipt_posted_to_the_inbound_url_is_refused(fake, gateway):
    with pytest.raises(ValueError):
        gateway.parse_inbound(status(fake))


@settings(max_examples=300, deadline=None)
@given(request=hostile_requests(FIELDS))
def test_hostile_requests_never_raise_anything_but_value_error(gateway, request):
    check_hostile(gateway, request)
