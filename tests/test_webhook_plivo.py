"""Plivo webhooks: X-Plivo-Signature-V3, status callbacks, inbound messages."""

import base64
import hashlib
import hmac
import uuid
from urllib.parse import parse_qsl, urlencode

import pytest
from hypothesis import given, settings

from odoo.addons.text_messaging.gateways import WebhookRequest
from odoo.addons.text_messaging.gateways.plivo import (
    PlivoGateway,
    plivo_base_get,
    plivo_base_post,
)
from odoo.addons.text_messaging.tests.fake_provider import (
    FakeProvider,
    request_fields,
)
from odoo.addons.text_messaging.tests.test_webhook_base import (
    check_hostile,
    hostile_requests,
)

URL = "https://odoo.example.com/text_messaging/webhook/7/tok3n/status"
INBOUND_URL = "https://odoo.example.com/text_messaging/webhook/7/tok3n/inbound"
FIELDS = [
    "MessageUUID",
    "Status",
    "ErrorCode",
    "From",
    "To",
    "Text",
    "Units",
    "TotalAmount",
]


@pytest.fixture(scope="module")
def fake():
    return FakeProvider()


@pytest.fixture(scope="module")
def gateway(fake):
    return PlivoGateway(fake.webhook_config("plivo"))


@pytest.fixture(scope="module")
def token(fake):
    return fake.credentials["plivo"]["auth_token"]


def build(url, headers, body, method="POST"):
    return WebhookRequest(**request_fields(url, headers, body, method))


def status(fake, word="delivered", provider_id=None, url=URL, **options):
    provider_id = provider_id or str(uuid.uuid4())
    headers, body = fake.status_callback("plivo", provider_id, word, url, **options)
    return build(url, headers, body)


def inbound(fake, text, url=INBOUND_URL, **options):
    headers, body = fake.inbound_callback("plivo", "+14155550123", text, url, **options)
    return build(url, headers, body)


def sign(token, base, nonce):
    digest = hmac.new(token.encode(), f"{base}.{nonce}".encode(), hashlib.sha256)
    return base64.b64encode(digest.digest()).decode()


# ----------------------------------------------------------------------
# signature
# ----------------------------------------------------------------------
def test_signed_callbacks_verify(fake, gateway):
    assert gateway.verify(status(fake))
    assert gateway.verify(inbound(fake, "Hello"))
    url = URL + "?b=2&a=1"
    assert gateway.verify(status(fake, url=url))


def test_base_strings_follow_the_v3_scheme():
    pairs = [("To", "1555"), ("From", "1444"), ("Text", "a b")]
    assert plivo_base_post(URL, pairs) == URL + "?From1444Texta bTo1555"
    assert plivo_base_post(URL + "?b=2&a=1", pairs) == (
        URL + "?a=1&b=2.From1444Texta bTo1555"
    )
    assert plivo_base_post(URL + "?b=2&a=1", []) == URL + "?a=1&b=2"
    assert plivo_base_post(URL, []) == URL
    assert plivo_base_get(URL + "?To=1555&From=1444") == URL + "?From=1444&To=1555"
    assert plivo_base_get(URL) == URL


def test_signature_matches_the_documented_algorithm(gateway, token):
    params = {"MessageUUID": "u-1", "Status": "delivered"}
    base = URL + "?MessageUUIDu-1Statusdelivered"
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Plivo-Signature-V3": sign(token, base, "12345"),
        "X-Plivo-Signature-V3-Nonce": "12345",
    }
    assert gateway.verify(build(URL, headers, urlencode(params).encode()))


def test_get_callback_verifies(gateway, token):
    url = (
        INBOUND_URL + "?" + urlencode({"From": "14155550123", "To": "1", "Text": "Hi"})
    )
    headers = {
        "X-Plivo-Signature-V3": sign(token, plivo_base_get(url), "777"),
        "X-Plivo-Signature-V3-Nonce": "777",
    }
    request = build(url, headers, b"", "GET")
    assert gateway.verify(request)
    with pytest.raises(ValueError):
        gateway.parse_inbound(request)  # no MessageUUID
    assert not gateway.verify(build(url.replace("Hi", "Ho"), headers, b"", "GET"))


def test_rotated_tokens_send_several_signatures(fake, gateway, token):
    request = status(fake)
    headers = dict(request.headers)
    good = headers["x-plivo-signature-v3"]
    nonce = headers["x-plivo-signature-v3-nonce"]
    base = plivo_base_post(URL, parse_qsl(request.body.decode()))
    other = sign("old-token-0000", base, nonce)
    headers["x-plivo-signature-v3"] = f"{other}, {good}"
    assert gateway.verify(WebhookRequest("POST", URL, headers, request.body, {}))
    headers["x-plivo-signature-v3"] = f"{other},{other}"
    assert not gateway.verify(WebhookRequest("POST", URL, headers, request.body, {}))


def test_unsigned_and_wrong_token_are_rejected(fake, gateway):
    assert not gateway.verify(status(fake, sign=False))
    assert not gateway.verify(status(fake, secret="another-auth-token"))
    assert not gateway.verify(status(fake), secret="another-auth-token")
    request = status(fake)
    headers = dict(request.headers)
    del headers["x-plivo-signature-v3-nonce"]
    assert not gateway.verify(WebhookRequest("POST", URL, headers, request.body, {}))


def test_tampered_body_nonce_or_url_is_rejected(fake, gateway):
    request = status(fake, "failed", error_code="200")
    body = request.body.replace(b"ErrorCode=200", b"ErrorCode=000")
    assert not gateway.verify(WebhookRequest("POST", URL, request.headers, body, {}))
    headers = dict(request.headers)
    headers["x-plivo-signature-v3-nonce"] += "1"
    assert not gateway.verify(WebhookRequest("POST", URL, headers, request.body, {}))
    for url in (URL + "?x=1", URL.replace("tok3n", "other")):
        assert not gateway.verify(
            WebhookRequest("POST", url, request.headers, request.body, {})
        )
    # A JSON body is not covered by the scheme: refused.
    headers = dict(request.headers, **{"content-type": "application/json"})
    assert not gateway.verify(WebhookRequest("POST", URL, headers, b"{}", {}))


def test_replayed_callback_is_rejected(fake, gateway):
    request = status(fake)
    assert gateway.verify(request)
    assert not gateway.verify(request)
    gateway.forget_webhook(request)
    assert gateway.verify(request)
    assert gateway.verify(status(fake))  # a new nonce


# ----------------------------------------------------------------------
# status callbacks
# ----------------------------------------------------------------------
def test_delivered_report(fake, gateway):
    provider_id = str(uuid.uuid4())
    (report,) = gateway.parse_status(status(fake, "delivered", provider_id))
    assert (report.provider_id, report.status, report.raw_status) == (
        provider_id,
        "delivered",
        "delivered",
    )
    assert (report.failure_code, report.detail) == ("", "")
    assert report.segments == 1
    assert report.price == pytest.approx(0.005)


@pytest.mark.parametrize(
    "word, normalized",
    [("queued", "sent"), ("sent", "sent"), ("read", "delivered"), ("new", "unknown")],
)
def test_intermediate_statuses(fake, gateway, word, normalized):
    (report,) = gateway.parse_status(status(fake, word))
    assert (report.status, report.failure_code) == (normalized, "")


@pytest.mark.parametrize(
    "word, code, failure",
    [
        ("failed", "200", "opted_out"),
        ("undelivered", "900", "insufficient_credit"),
        ("rejected", "50", "invalid_number"),
        ("undelivered", "20", "server_error"),
        ("failed", "30", "rejected"),
        ("failed", "420", "unknown"),
        ("failed", None, "unknown"),
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
        assert report.detail.startswith(f"Plivo error {code}")
    else:
        assert report.detail == f"Plivo reported the message as {word}."


def test_inbound_posted_to_the_status_url_is_ignored(fake, gateway):
    assert gateway.parse_status(inbound(fake, "Hi")) == []
    assert gateway.parse_inbound(status(fake)) == []


def test_malformed_status_callbacks(gateway):
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    for body in (b"MessageUUID=x", b"Status=sent", b"", b"\xff=\xff"):
        with pytest.raises(ValueError):
            gateway.parse_status(build(URL, headers, body))


# ----------------------------------------------------------------------
# inbound
# ----------------------------------------------------------------------
@pytest.mark.parametrize("text", ["STOP", "START", "HELP", "", "Gracias 🙌 ¿mañana?"])
def test_inbound_message(fake, gateway, text):
    request = inbound(fake, text, to="+14155550100", message_id="in-uuid-1")
    assert gateway.verify(request)
    (message,) = gateway.parse_inbound(request)
    assert (message.provider_id, message.number, message.to, message.body) == (
        "in-uuid-1",
        "+14155550123",
        "+14155550100",
        text,
    )


@settings(max_examples=300, deadline=None)
@given(request=hostile_requests(FIELDS))
def test_hostile_requests_never_raise_anything_but_value_error(gateway, request):
    check_hostile(gateway, request)
