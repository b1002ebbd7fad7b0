"""Vonage webhooks: signed parameters (sig), JWT, delivery receipts, inbound."""

import base64
import hashlib
import hmac
import json
import time
import uuid
from urllib.parse import parse_qsl, urlencode

import pytest
from hypothesis import given, settings

from odoo.addons.text_messaging.gateways import WebhookRequest
from odoo.addons.text_messaging.gateways.vonage import VonageGateway
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
    "msisdn",
    "to",
    "messageId",
    "status",
    "err-code",
    "price",
    "text",
    "timestamp",
    "sig",
    "nonce",
    "concat",
    "concat-ref",
    "concat-part",
    "concat-total",
    "message_uuid",
    "error",
    "usage",
]
SECRET = "vonage-signature-secret-s3cr3t-4d"


@pytest.fixture(scope="module")
def fake():
    fake = FakeProvider()
    assert fake.webhook_secrets["vonage"]["signature_secret"] == SECRET
    return fake


@pytest.fixture(scope="module")
def gateway(fake):
    return VonageGateway(fake.webhook_config("vonage"))


def build(url, headers, body, method="POST"):
    return WebhookRequest(**request_fields(url, headers, body, method))


def new_id():
    return uuid.uuid4().hex.upper()[:16]


def status(fake, word="delivered", provider_id=None, **options):
    provider_id = provider_id or new_id()
    headers, body = fake.status_callback("vonage", provider_id, word, URL, **options)
    return build(URL, headers, body)


def inbound(fake, text, **options):
    headers, body = fake.inbound_callback(
        "vonage", "+447700900123", text, INBOUND_URL, **options
    )
    return build(INBOUND_URL, headers, body)


def form_of(request):
    return dict(parse_qsl(request.body.decode(), keep_blank_values=True))


def with_form(request, fields):
    body = urlencode(fields).encode()
    return WebhookRequest(
        "POST", request.url, request.headers, body, dict(parse_qsl(body.decode()))
    )


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwt(claims, secret=SECRET, alg="HS256"):
    head = b64url(json.dumps({"alg": alg, "typ": "JWT"}).encode())
    body = b64url(json.dumps(claims).encode())
    mac = hmac.new(secret.encode(), f"{head}.{body}".encode(), hashlib.sha256)
    return f"{head}.{body}.{b64url(mac.digest())}"


def jwt_request(body, claims, secret=SECRET, alg="HS256"):
    headers = {
        "Content-Type": "application/json",
        "Authorization": "Bearer " + jwt(claims, secret, alg),
    }
    return build(URL, headers, body)


# ----------------------------------------------------------------------
# signed parameters (sig)
# ----------------------------------------------------------------------
@pytest.mark.parametrize("method", ["md5hash", "md5", "sha1", "sha256", "sha512"])
def test_every_signature_method_verifies(fake, gateway, method):
    assert gateway.verify(status(fake, sig_method=method))
    assert gateway.verify(inbound(fake, "Hi", sig_method=method))


def test_md5hash_matches_the_documented_algorithm(gateway):
    stamp = str(int(time.time()))
    fields = {"a": "x&y=z", "b": "2", "timestamp": stamp}
    text = f"&a=x_y_z&b=2&timestamp={stamp}"
    fields["sig"] = hashlib.md5((text + SECRET).encode()).hexdigest().upper()
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    assert gateway.verify(build(URL, headers, urlencode(fields).encode()))


def test_json_and_get_receipts_verify(fake, gateway):
    assert gateway.verify(status(fake, content="json"))
    headers, body = fake.status_callback("vonage", new_id(), "delivered", URL)
    url = URL + "?" + body.decode()
    request = build(url, {}, b"", "GET")
    assert gateway.verify(request)
    assert gateway.parse_status(request)[0].status == "delivered"


def test_unsigned_wrong_secret_and_forged_sig_are_rejected(fake, gateway):
    assert not gateway.verify(status(fake, sign=False))
    assert not gateway.verify(status(fake, secret="another-signature-secret"))
    assert not gateway.verify(status(fake), secret="another-signature-secret")
    assert not VonageGateway(fake.config("vonage")).verify(status(fake))
    request = status(fake)
    fields = form_of(request)
    for sig in ("0" * 32, "zz", fields["sig"][:-1], fields["sig"] + "0"):
        assert not gateway.verify(with_form(request, dict(fields, sig=sig)))


def test_tampered_parameters_are_rejected(fake, gateway):
    request = status(fake, "failed", error_code="9")
    fields = form_of(request)
    for name, value in (("status", "delivered"), ("err-code", "0"), ("price", "0")):
        assert not gateway.verify(with_form(request, dict(fields, **{name: value})))
    assert not gateway.verify(with_form(request, dict(fields, extra="1")))
    del fields["nonce"]
    assert not gateway.verify(with_form(request, fields))


def test_stale_missing_and_replayed_timestamps_are_rejected(fake, gateway):
    now = int(time.time())
    assert not gateway.verify(status(fake, timestamp=now - 301))
    assert not gateway.verify(status(fake, timestamp=now + 600))
    assert gateway.verify(status(fake, timestamp=now - 100))
    request = status(fake)
    fields = form_of(request)
    del fields["timestamp"]
    assert not gateway.verify(with_form(request, fields))
    request = status(fake)
    assert gateway.verify(request)
    assert not gateway.verify(request)  # replay
    gateway.forget_webhook(request)
    assert gateway.verify(request)


# ----------------------------------------------------------------------
# JWT-signed webhooks (Messages API)
# ----------------------------------------------------------------------
def test_messages_api_jwt_verifies(fake, gateway):
    request = status(fake, api="messages", provider_id=str(uuid.uuid4()))
    assert request.header("authorization").startswith("Bearer ")
    assert gateway.verify(request)
    assert not gateway.verify(request)  # replay
    assert gateway.verify(inbound(fake, "Hi", api="messages"))


def test_jwt_problems_are_rejected(fake, gateway):
    body = json.dumps({"message_uuid": "u1", "status": "delivered"}).encode()
    digest = hashlib.sha256(body).hexdigest()
    now = int(time.time())
    good = {"iat": now, "payload_hash": digest}
    assert gateway.verify(jwt_request(body, dict(good, jti=str(uuid.uuid4()))))
    for claims, secret, alg in (
        (good, "wrong-secret", "HS256"),  # signed with another secret
        (good, SECRET, "none"),  # algorithm downgrade
        (good, SECRET, "HS512"),
        (dict(good, iat=now - 3600), SECRET, "HS256"),  # stale
        (dict(good, iat=now + 3600), SECRET, "HS256"),  # from the future
        (dict(good, exp=now - 10), SECRET, "HS256"),  # expired
        (dict(good, nbf=now + 600), SECRET, "HS256"),  # not yet valid
        ({"payload_hash": digest}, SECRET, "HS256"),  # nothing bounds its age
        ({"iat": now}, SECRET, "HS256"),  # body not bound to the token
        (dict(good, payload_hash="0" * 64), SECRET, "HS256"),  # tampered body
        (dict(good, iat="now"), SECRET, "HS256"),
    ):
        assert not gateway.verify(jwt_request(body, claims, secret, alg))
    request = jwt_request(body, dict(good, jti="once"))
    for header in ("Bearer x.y", "Bearer ...", "Bearer " + "a" * 9000, "Bearer"):
        headers = dict(request.headers, authorization=header)
        assert not gateway.verify(WebhookRequest("POST", URL, headers, body, {}))


# ----------------------------------------------------------------------
# delivery receipts
# ----------------------------------------------------------------------
def test_delivered_receipt(fake, gateway):
    provider_id = new_id()
    (report,) = gateway.parse_status(status(fake, "delivered", provider_id))
    assert (report.provider_id, report.status, report.raw_status) == (
        provider_id,
        "delivered",
        "delivered",
    )
    assert report.failure_code == "" and report.detail == ""
    assert report.price == pytest.approx(0.0333)


@pytest.mark.parametrize(
    "word, normalized",
    [
        ("accepted", "sent"),
        ("buffered", "sent"),
        ("unknown", "unknown"),
        ("x", "unknown"),
    ],
)
def test_intermediate_receipts(fake, gateway, word, normalized):
    (report,) = gateway.parse_status(status(fake, word))
    assert (report.status, report.raw_status, report.failure_code) == (
        normalized,
        word,
        "",
    )


@pytest.mark.parametrize(
    "word, code, failure",
    [
        ("failed", "9", "opted_out"),
        ("rejected", "9", "opted_out"),
        ("failed", "3", "invalid_number"),
        ("expired", "2", "rejected"),
        ("failed", "8", "server_error"),
        ("failed", "99", "unknown"),
        ("failed", "1234", "unknown"),
    ],
)
def test_failed_receipts_map_error_codes(fake, gateway, word, code, failure):
    (report,) = gateway.parse_status(status(fake, word, error_code=code))
    assert (report.status, report.failure_code) == ("failed", failure)
    assert report.detail.startswith(f"Vonage error {code}")
    assert f"status {word}" in report.detail


def test_messages_api_status(fake, gateway):
    message_uuid = str(uuid.uuid4())
    request = status(fake, "delivered", message_uuid, api="messages")
    (report,) = gateway.parse_status(request)
    assert (report.provider_id, report.status, report.segments) == (
        message_uuid,
        "delivered",
        1,
    )
    assert report.price == pytest.approx(0.0333)
    (report,) = gateway.parse_status(status(fake, "submitted", api="messages"))
    assert report.status == "sent"
    request = status(fake, "rejected", api="messages", error_code="1320")
    (report,) = gateway.parse_status(request)
    assert (report.status, report.failure_code) == ("failed", "unknown")
    assert report.detail.startswith("Vonage error 1320: The message was rejected")
    error = {"title": "1240", "detail": "The recipient has opted out"}
    request = status(fake, "rejected", api="messages", fields={"error": error})
    assert gateway.parse_status(request)[0].failure_code == "opted_out"


def test_inbound_posted_to_the_status_url_is_ignored(fake, gateway):
    assert gateway.parse_status(inbound(fake, "Hi")) == []


def test_malformed_receipts(gateway):
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    for body in (b"messageId=ABC", b"status=delivered", b"", b"messageId=&status=x"):
        with pytest.raises(ValueError):
            gateway.parse_status(build(URL, headers, body))


# ----------------------------------------------------------------------
# inbound
# ----------------------------------------------------------------------
@pytest.mark.parametrize("text", ["STOP", "Merci 😊 à bientôt", "", "stop please"])
def test_inbound_message(fake, gateway, text):
    request = inbound(fake, text, to="+447700900001", message_id="0A0000001234")
    assert gateway.verify(request)
    (message,) = gateway.parse_inbound(request)
    assert (message.provider_id, message.number, message.to, message.body) == (
        "0A0000001234",
        "+447700900123",
        "+447700900001",
        text,
    )
    assert message.received_at.endswith("+00:00")
    assert (message.concat_ref, message.part, message.total_parts) == ("", 0, 0)


def test_inbound_parts_of_a_long_text(fake, gateway):
    fields = {"concat": "true", "concat-ref": "108", "concat-part": "2"}
    request = inbound(fake, "second half", fields=dict(fields, **{"concat-total": "3"}))
    assert gateway.verify(request)
    (message,) = gateway.parse_inbound(request)
    assert (message.concat_ref, message.part, message.total_parts) == ("108", 2, 3)
    for total in ("1", "x", "999"):
        bad = dict(fields, **{"concat-total": total})
        with pytest.raises(ValueError):
            gateway.parse_inbound(inbound(fake, "x", fields=bad))


def test_inbound_json_and_messages_api(fake, gateway):
    (message,) = gateway.parse_inbound(inbound(fake, "Hi 👋", content="json"))
    assert (message.number, message.body) == ("+447700900123", "Hi 👋")
    request = inbound(fake, "STOP", api="messages", message_id="m-uuid-1")
    (message,) = gateway.parse_inbound(request)
    assert (message.provider_id, message.number, message.body) == (
        "m-uuid-1",
        "+447700900123",
        "STOP",
    )


def test_receipt_posted_to_the_inbound_url_is_ignored(fake, gateway):
    assert gateway.parse_inbound(status(fake)) == []
    assert gateway.parse_inbound(status(fake, api="messages")) == []


@settings(max_examples=300, deadline=None)
@given(request=hostile_requests(FIELDS))
def test_hostile_requests_never_raise_anything_but_value_error(gateway, request):
    check_hostile(gateway, request)
