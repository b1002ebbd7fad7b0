"""Telnyx webhooks: Ed25519 signatures, message.sent/finalized, message.received."""

import base64
import json
import time
import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from odoo.addons.text_messaging.gateways import WebhookRequest
from odoo.addons.text_messaging.gateways.telnyx import TelnyxGateway
from odoo.addons.text_messaging.tests.fake_provider import (
    FakeProvider,
    request_fields,
    telnyx_public_key,
)
from odoo.addons.text_messaging.tests.test_webhook_base import (
    check_hostile,
    field_dicts,
    hostile_requests,
)

URL = "https://odoo.example.com/text_messaging/webhook/7/tok3n/status"
INBOUND_URL = "https://odoo.example.com/text_messaging/webhook/7/tok3n/inbound"
FIELDS = ["data", "meta", "event_type", "payload", "id", "to", "from", "errors"]
OTHER_SEED = bytes(range(32))


@pytest.fixture(scope="module")
def fake():
    return FakeProvider()


@pytest.fixture(scope="module")
def gateway(fake):
    return TelnyxGateway(fake.webhook_config("telnyx"))


def build(url, headers, body):
    return WebhookRequest(**request_fields(url, headers, body))


def new_id():
    return str(uuid.uuid4())


def status(fake, word="delivered", provider_id=None, **options):
    provider_id = provider_id or new_id()
    return build(
        URL, *fake.status_callback("telnyx", provider_id, word, URL, **options)
    )


def inbound(fake, text, **options):
    return build(
        INBOUND_URL,
        *fake.inbound_callback("telnyx", "+15551230001", text, INBOUND_URL, **options),
    )


def resign(request, body, seed=None, timestamp=None):
    """The same request with ``body``, signed again with the test key."""
    from .fake_provider import (
        TELNYX_TEST_SEED,
        telnyx_private_key,
    )

    stamp = str(timestamp or int(time.time()))
    key = telnyx_private_key(seed or TELNYX_TEST_SEED)
    signature = base64.b64encode(key.sign(stamp.encode() + b"|" + body)).decode()
    headers = dict(request.headers)
    headers.update({"telnyx-signature-ed25519": signature, "telnyx-timestamp": stamp})
    return WebhookRequest("POST", request.url, headers, body, {}, json.loads(body))


# ----------------------------------------------------------------------
# signature
# ----------------------------------------------------------------------
def test_signed_webhooks_verify(fake, gateway):
    assert gateway.verify(status(fake))
    assert gateway.verify(inbound(fake, "Hello"))
    assert len(base64.b64decode(telnyx_public_key())) == 32


def test_unsigned_and_wrong_key_are_rejected(fake, gateway):
    assert not gateway.verify(status(fake, sign=False))
    assert not gateway.verify(status(fake, secret=OTHER_SEED))
    other = TelnyxGateway(
        fake.config("telnyx", credentials={"public_key": telnyx_public_key(OTHER_SEED)})
    )
    assert not other.verify(status(fake))
    assert not gateway.verify(status(fake), secret=telnyx_public_key(OTHER_SEED))
    assert TelnyxGateway({}).verify(status(fake), secret=telnyx_public_key())
    # No public key configured: nothing passes.
    assert not TelnyxGateway(fake.config("telnyx")).verify(status(fake))


def test_tampered_body_or_timestamp_is_rejected(fake, gateway):
    request = status(fake, "delivery_failed", error_code="40300")
    body = request.body.replace(b"delivery_failed", b"delivered")
    assert not gateway.verify(
        WebhookRequest("POST", URL, request.headers, body, {}, json.loads(body))
    )
    headers = dict(request.headers)
    headers["telnyx-timestamp"] = str(int(headers["telnyx-timestamp"]) + 1)
    assert not gateway.verify(
        WebhookRequest("POST", URL, headers, request.body, {}, request.json)
    )
    # Re-signed with the test key, the tampered body is of course accepted.
    assert gateway.verify(resign(request, body))


def test_stale_and_future_timestamps_are_rejected(fake, gateway):
    now = int(time.time())
    assert not gateway.verify(status(fake, timestamp=now - 301))
    assert not gateway.verify(status(fake, timestamp=now - 3600))
    assert not gateway.verify(status(fake, timestamp=now + 301))
    assert gateway.verify(status(fake, timestamp=now - 200))


def test_replayed_webhook_is_rejected(fake, gateway):
    request = status(fake)
    assert gateway.verify(request)
    assert not gateway.verify(request)
    # After a failed processing the controller lets the retry through.
    gateway.forget_webhook(request)
    assert gateway.verify(request)
    # A new delivery of the same event has a new timestamp and signature.
    again = resign(request, request.body, timestamp=int(time.time()) - 1)
    assert gateway.verify(again)


def test_malformed_signature_headers_are_rejected(fake, gateway):
    request = status(fake)
    for signature, stamp in (
        ("not base64!", request.header("telnyx-timestamp")),
        (base64.b64encode(b"x" * 63).decode(), request.header("telnyx-timestamp")),
        (request.header("telnyx-signature-ed25519"), "yesterday"),
        (request.header("telnyx-signature-ed25519"), ""),
        ("", request.header("telnyx-timestamp")),
    ):
        headers = dict(
            request.headers,
            **{"telnyx-signature-ed25519": signature, "telnyx-timestamp": stamp},
        )
        assert not gateway.verify(
            WebhookRequest("POST", URL, headers, request.body, {}, request.json)
        )
    for key in ("short", base64.b64encode(b"k" * 31).decode(), "%%%"):
        assert not gateway.verify(status(fake), secret=key)


def test_missing_cryptography_rejects_everything(fake, monkeypatch):
    from ..gateways import telnyx

    monkeypatch.setattr(telnyx, "Ed25519PublicKey", None)
    assert not TelnyxGateway(fake.webhook_config("telnyx")).verify(status(fake))


# ----------------------------------------------------------------------
# delivery status
# ----------------------------------------------------------------------
def test_delivered_report_with_parts_and_cost(fake, gateway):
    provider_id = new_id()
    (report,) = gateway.parse_status(status(fake, "delivered", provider_id))
    assert report.provider_id == provider_id
    assert (report.status, report.raw_status, report.failure_code) == (
        "delivered",
        "delivered",
        "",
    )
    assert report.segments == 1
    assert report.price == pytest.approx(0.004)


@pytest.mark.parametrize(
    "word, normalized",
    [
        ("queued", "sent"),
        ("sending", "sent"),
        ("sent", "sent"),
        ("delivery_unconfirmed", "unknown"),
        ("brand_new_status", "unknown"),
    ],
)
def test_intermediate_statuses(fake, gateway, word, normalized):
    (report,) = gateway.parse_status(status(fake, word))
    assert (report.status, report.raw_status, report.failure_code) == (
        normalized,
        word,
        "",
    )


@pytest.mark.parametrize(
    "word, code, failure",
    [
        ("delivery_failed", "40300", "opted_out"),
        ("sending_failed", "40012", "invalid_number"),
        ("delivery_failed", "40008", "rejected"),
        ("expired", "40014", "rate_limited"),
        ("delivery_failed", "40005", "unknown"),
        ("delivery_failed", "49999", "unknown"),
        ("delivery_failed", None, "unknown"),
    ],
)
def test_failed_reports_map_error_codes(fake, gateway, word, code, failure):
    (report,) = gateway.parse_status(status(fake, word, error_code=code))
    assert (report.status, report.failure_code, report.raw_status) == (
        "failed",
        failure,
        word,
    )
    if code:
        assert report.detail.startswith(f"Telnyx error {code}")
    else:
        assert report.detail == f"Telnyx reported the message as {word}."


def test_error_title_and_detail_are_kept(fake, gateway):
    errors = [{"code": "40300", "title": "Blocked due to STOP message", "detail": "x"}]
    request = status(fake, "delivery_failed", fields={"errors": errors})
    (report,) = gateway.parse_status(request)
    assert report.detail == (
        "Telnyx error 40300: Blocked due to STOP message: x (status delivery_failed)."
    )


def test_other_events_are_ignored(fake, gateway):
    assert gateway.parse_status(inbound(fake, "Hi")) == []
    assert gateway.parse_inbound(status(fake)) == []
    request = status(fake, kind="message.link_click")
    assert gateway.parse_status(request) == []


def test_malformed_status_payloads(gateway):
    for data in (
        {},
        {"data": []},
        {"data": {"event_type": "message.finalized"}},
        {"data": {"event_type": "message.finalized", "payload": {"id": "x"}}},
        {"data": {"event_type": "message.finalized", "payload": {"to": [{}]}}},
        {"data": {"event_type": {"a": 1}, "payload": {}}},
        [1, 2],
    ):
        body = json.dumps(data).encode()
        with pytest.raises(ValueError):
            gateway.parse_status(build(URL, {"Content-Type": "application/json"}, body))


# ----------------------------------------------------------------------
# inbound
# ----------------------------------------------------------------------
@pytest.mark.parametrize("text", ["STOP", "On my way 🚗💨", "", "START", "HELP"])
def test_inbound_message(fake, gateway, text):
    message_id = new_id()
    request = inbound(fake, text, to="+15550001111", message_id=message_id)
    assert gateway.verify(request)
    (message,) = gateway.parse_inbound(request)
    assert (message.provider_id, message.number, message.to, message.body) == (
        message_id,
        "+15551230001",
        "+15550001111",
        text,
    )
    assert message.received_at.endswith("+00:00")


def test_inbound_without_to_or_with_plain_numbers(fake, gateway):
    request = inbound(fake, "Hi", fields={"to": [], "from": "+15551239999"})
    (message,) = gateway.parse_inbound(request)
    assert (message.number, message.to) == ("+15551239999", "")


@settings(max_examples=300, deadline=None)
@given(request=hostile_requests(FIELDS))
def test_hostile_requests_never_raise_anything_but_value_error(gateway, request):
    check_hostile(gateway, request)


payload_fields = field_dicts(
    ["id", "to", "from", "text", "errors", "cost", "parts", "received_at"]
)
nested_events = st.fixed_dictionaries(
    {
        "data": st.fixed_dictionaries(
            {
                "event_type": st.sampled_from(
                    ["message.sent", "message.finalized", "message.received"]
                ),
                "payload": payload_fields,
            }
        )
    }
)


@settings(max_examples=300, deadline=None)
@given(data=nested_events)
def test_nearly_right_events_never_raise_anything_but_value_error(gateway, data):
    body = json.dumps(data).encode()
    request = WebhookRequest(
        "POST", URL, {"content-type": "application/json"}, body, {}
    )
    check_hostile(gateway, request)
