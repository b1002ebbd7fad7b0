"""EZ Texting webhooks: X-Signature over the body, inbound events."""

import base64
import hashlib
import hmac
import json

import pytest
from hypothesis import given, settings

from odoo.addons.text_messaging.gateways import WebhookRequest
from odoo.addons.text_messaging.gateways.eztexting import EZTextingGateway
from odoo.addons.text_messaging.tests.fake_provider import (
    FakeProvider,
    request_fields,
)
from odoo.addons.text_messaging.tests.test_webhook_base import (
    check_hostile,
    hostile_requests,
)

URL = "https://odoo.example.com/text_messaging/webhook/7/tok3n/inbound"
FIELDS = ["id", "type", "fromNumber", "toNumber", "message", "received", "optOut"]


@pytest.fixture(scope="module")
def fake():
    return FakeProvider()


@pytest.fixture(scope="module")
def gateway(fake):
    return EZTextingGateway(fake.webhook_config("eztexting"))


def build(headers, body, url=URL):
    return WebhookRequest(**request_fields(url, headers, body))


def inbound(fake, text, **options):
    return build(
        *fake.inbound_callback("eztexting", "+12015550123", text, URL, **options)
    )


# ----------------------------------------------------------------------
# signature
# ----------------------------------------------------------------------
def test_signed_event_verifies(fake, gateway):
    assert gateway.verify(inbound(fake, "Hello"))


def test_signature_is_base64_hmac_sha1_of_the_raw_body(fake, gateway):
    secret = fake.webhook_secrets["eztexting"]["webhook_secret"]
    body = b'{"id": "1", "type": "inbound_text.received"}'
    signature = hmac.new(secret.encode(), body, hashlib.sha1).digest()
    headers = {
        "Content-Type": "application/json",
        "X-Signature": base64.b64encode(signature).decode(),
    }
    assert gateway.verify(build(headers, body))
    # Same JSON, other bytes (spacing): the raw bytes are what is signed.
    respaced = json.dumps(json.loads(body), separators=(",", ":")).encode()
    assert not gateway.verify(build(headers, respaced))


def test_unsigned_wrong_secret_and_tampered_body_are_rejected(fake, gateway):
    assert not gateway.verify(inbound(fake, "Hi", sign=False))
    assert not gateway.verify(inbound(fake, "Hi", secret="another-webhook-secret"))
    assert not gateway.verify(inbound(fake, "Hi"), secret="another-webhook-secret")
    request = inbound(fake, "STOP")
    body = request.body.replace(b"STOP", b"STAY")
    assert not gateway.verify(WebhookRequest("POST", URL, request.headers, body, {}))
    forged = dict(request.headers, **{"x-signature": "AAAA"})
    assert not gateway.verify(WebhookRequest("POST", URL, forged, request.body, {}))


def test_no_webhook_secret_configured_means_refused(fake):
    gateway = EZTextingGateway(fake.config("eztexting"))
    assert gateway.missing_webhook_credentials() == ["webhook_secret"]
    assert not gateway.verify(inbound(fake, "Hi"))
    assert not gateway.verify(inbound(fake, "Hi", sign=False))


def test_no_replay_window_without_timestamp_or_nonce(fake, gateway):
    # The scheme has neither; the event id lets the ORM ignore duplicates.
    request = inbound(fake, "Hi")
    assert gateway.verify(request) and gateway.verify(request)


# ----------------------------------------------------------------------
# inbound
# ----------------------------------------------------------------------
@pytest.mark.parametrize("text", ["STOP", "Yes please 🎉", "", "UNSTOP", "help"])
def test_inbound_message(fake, gateway, text):
    request = inbound(fake, text, to="+18005550100", message_id="987654321")
    (message,) = gateway.parse_inbound(request)
    assert (message.provider_id, message.number, message.to, message.body) == (
        "987654321",
        "+12015550123",
        "+18005550100",
        text,
    )
    assert message.received_at.endswith("+00:00")


def test_keyword_opt_in_is_an_inbound_message(fake, gateway):
    request = inbound(fake, "JOIN", kind="keyword.opt_in")
    (message,) = gateway.parse_inbound(request)
    assert message.body == "JOIN"


def test_unknown_event_types_are_ignored(fake, gateway):
    assert gateway.parse_inbound(inbound(fake, "x", kind="contact.updated")) == []


def test_no_delivery_reports(fake, gateway):
    # A well-formed event posted to the status URL is acknowledged, not used.
    assert gateway.parse_status(inbound(fake, "Hi")) == []
    with pytest.raises(ValueError, match="no delivery reports"):
        gateway.parse_status(build({"Content-Type": "application/json"}, b"[]"))
    with pytest.raises(ValueError):
        fake.status_callback("eztexting", "1", "delivered", URL)


def test_malformed_events(gateway):
    for data in (
        {"type": "inbound_text.received", "message": "Hi", "fromNumber": "2015550123"},
        {"type": "inbound_text.received", "id": "1", "message": "Hi"},
        {"id": "1", "fromNumber": "2015550123"},
        {"type": ["x"], "id": "1"},
        "text",
    ):
        body = json.dumps(data).encode()
        with pytest.raises(ValueError):
            gateway.parse_inbound(build({"Content-Type": "application/json"}, body))


@settings(max_examples=300, deadline=None)
@given(request=hostile_requests(FIELDS))
def test_hostile_requests_never_raise_anything_but_value_error(gateway, request):
    check_hostile(gateway, request)
