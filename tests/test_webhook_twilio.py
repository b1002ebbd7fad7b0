"""Twilio webhooks: X-Twilio-Signature, status callbacks, inbound messages."""

import base64
import hashlib
import hmac
import json
from urllib.parse import urlencode

import pytest
from hypothesis import given, settings

from odoo.addons.text_messaging.gateways import WebhookRequest
from odoo.addons.text_messaging.gateways.twilio import TwilioGateway
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
SID = "SM" + "0123456789abcdef" * 2
FIELDS = [
    "MessageSid",
    "SmsSid",
    "MessageStatus",
    "SmsStatus",
    "ErrorCode",
    "From",
    "To",
    "Body",
    "NumSegments",
]


@pytest.fixture(scope="module")
def fake():
    return FakeProvider()


@pytest.fixture(scope="module")
def gateway(fake):
    return TwilioGateway(fake.webhook_config("twilio"))


def build(url, headers, body, method="POST"):
    return WebhookRequest(**request_fields(url, headers, body, method))


def status(fake, status="delivered", url=URL, **options):
    return build(url, *fake.status_callback("twilio", SID, status, url, **options))


def inbound(fake, text, url=INBOUND_URL, **options):
    return build(
        url, *fake.inbound_callback("twilio", "+15551230001", text, url, **options)
    )


def sign(token, text):
    digest = hmac.new(token.encode(), text.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


# ----------------------------------------------------------------------
# signature
# ----------------------------------------------------------------------
def test_signed_status_callback_verifies(fake, gateway):
    assert gateway.verify(status(fake))
    assert gateway.verify(inbound(fake, "Hello"))


def test_signature_matches_the_documented_algorithm(fake, gateway):
    token = fake.credentials["twilio"]["auth_token"]
    params = {"To": "+15550001111", "From": "+15551230001", "Body": "Hi there"}
    expected = sign(token, URL + "BodyHi thereFrom+15551230001To+15550001111")
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Twilio-Signature": expected,
    }
    assert gateway.verify(build(URL, headers, urlencode(params).encode()))


def test_unsigned_wrong_and_foreign_signatures_are_rejected(fake, gateway):
    assert not gateway.verify(status(fake, sign=False))
    assert not gateway.verify(status(fake, secret="another-accounts-auth-token"))
    request = status(fake)
    forged = dict(request.headers, **{"x-twilio-signature": "AAAA" * 7})
    assert not gateway.verify(
        WebhookRequest("POST", URL, forged, request.body, request.form)
    )
    other = TwilioGateway(
        fake.config("twilio", credentials={"auth_token": "wrong-token-0000"})
    )
    assert not other.verify(status(fake))
    # The secret argument replaces the configured Auth Token.
    assert not gateway.verify(status(fake), secret="wrong-token-0000")
    token = fake.credentials["twilio"]["auth_token"]
    assert TwilioGateway({}).verify(status(fake), secret=token)


def test_tampered_body_parameter_or_url_is_rejected(fake, gateway):
    request = status(fake, "undelivered", error_code="30003")
    tampered = request.body.replace(b"undelivered", b"delivered")
    assert tampered != request.body
    assert not gateway.verify(
        WebhookRequest("POST", URL, request.headers, tampered, {})
    )
    added = request.body + b"&Extra=1"
    assert not gateway.verify(WebhookRequest("POST", URL, request.headers, added, {}))
    for url in (
        URL.replace("/7/", "/8/"),
        URL.replace("tok3n", "tok3m"),
        URL + "?x=1",
        URL.replace("https", "http"),
    ):
        assert not gateway.verify(
            WebhookRequest("POST", url, request.headers, request.body, {})
        )


def test_port_added_or_removed_by_a_proxy_still_verifies(fake, gateway):
    with_port = URL.replace("odoo.example.com", "odoo.example.com:443")
    headers, body = fake.status_callback("twilio", SID, "sent", with_port)
    assert gateway.verify(build(URL, headers, body))
    headers, body = fake.status_callback("twilio", SID, "sent", URL)
    assert gateway.verify(build(with_port, headers, body))
    elsewhere = URL.replace("odoo.example.com", "odoo.example.net")
    assert not gateway.verify(build(elsewhere, headers, body))


def test_repeated_parameters_are_signed_sorted(fake, gateway):
    token = fake.credentials["twilio"]["auth_token"]
    body = b"MessageSid=SM1&MediaUrl=b&MediaUrl=a&MessageStatus=sent"
    text = URL + "MediaUrlaMediaUrlbMessageSidSM1MessageStatussent"
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Twilio-Signature": sign(token, text),
    }
    assert gateway.verify(build(URL, headers, body))


def test_json_body_is_checked_through_body_sha256(fake, gateway):
    token = fake.credentials["twilio"]["auth_token"]
    body = json.dumps({"MessageSid": SID, "MessageStatus": "delivered"}).encode()
    url = URL + "?bodySHA256=" + hashlib.sha256(body).hexdigest()
    headers = {
        "Content-Type": "application/json",
        "X-Twilio-Signature": sign(token, url),
    }
    assert gateway.verify(build(url, headers, body))
    assert not gateway.verify(
        build(url, headers, body.replace(b"delivered", b"failed"))
    )
    # A JSON body without the hash in the URL is not covered: refused.
    headers = {
        "Content-Type": "application/json",
        "X-Twilio-Signature": sign(token, URL),
    }
    assert not gateway.verify(build(URL, headers, body))


def test_get_callback_is_signed_over_the_url(fake, gateway):
    token = fake.credentials["twilio"]["auth_token"]
    url = (
        INBOUND_URL
        + "?"
        + urlencode({"MessageSid": SID, "From": "+1555", "Body": "Hi"})
    )
    request = build(url, {"X-Twilio-Signature": sign(token, url)}, b"", "GET")
    assert gateway.verify(request)
    assert gateway.parse_inbound(request)[0].body == "Hi"
    assert not gateway.verify(build(url + "x", dict(request.headers), b"", "GET"))


def test_no_replay_window_without_timestamp_or_nonce(fake, gateway):
    # Twilio's scheme has neither: the same callback verifies again (a retry).
    request = status(fake)
    assert gateway.verify(request) and gateway.verify(request)


# ----------------------------------------------------------------------
# status callbacks
# ----------------------------------------------------------------------
def test_delivered_report(fake, gateway):
    (report,) = gateway.parse_status(status(fake, "delivered"))
    assert report.provider_id == SID
    assert (report.status, report.raw_status) == ("delivered", "delivered")
    assert (report.failure_code, report.detail) == ("", "")


@pytest.mark.parametrize(
    "word, normalized",
    [
        ("queued", "sent"),
        ("accepted", "sent"),
        ("sending", "sent"),
        ("sent", "sent"),
        ("scheduled", "sent"),
        ("read", "delivered"),
        ("partially_delivered", "unknown"),
        ("something_new", "unknown"),
    ],
)
def test_intermediate_and_unknown_statuses(fake, gateway, word, normalized):
    (report,) = gateway.parse_status(status(fake, word))
    assert (report.status, report.raw_status, report.failure_code) == (
        normalized,
        word,
        "",
    )


@pytest.mark.parametrize(
    "word, code, failure, words",
    [
        ("undelivered", "30003", "rejected", "unreachable destination handset"),
        ("undelivered", "30005", "invalid_number", "unknown destination handset"),
        ("failed", "21610", "opted_out", "unsubscribed"),
        ("failed", "30001", "rate_limited", "queue overflow"),
        ("undelivered", "30008", "unknown", "unknown error"),
        ("failed", "21211", "invalid_number", ""),
        ("failed", "99999", "unknown", ""),
    ],
)
def test_failed_reports_map_error_codes(fake, gateway, word, code, failure, words):
    (report,) = gateway.parse_status(status(fake, word, error_code=code))
    assert (report.status, report.failure_code) == ("failed", failure)
    assert report.detail.startswith(f"Twilio error {code}")
    assert words in report.detail
    assert f"status {word}" in report.detail


def test_failed_without_code_and_canceled(fake, gateway):
    (report,) = gateway.parse_status(status(fake, "failed"))
    assert (report.status, report.failure_code) == ("failed", "unknown")
    assert report.detail == "Twilio reported the message as failed."
    (report,) = gateway.parse_status(status(fake, "canceled"))
    assert (report.status, report.failure_code) == ("failed", "rejected")


def test_legacy_sms_fields_and_segments(gateway):
    body = urlencode({"SmsSid": SID, "SmsStatus": "sent", "NumSegments": "3"})
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    (report,) = gateway.parse_status(build(URL, headers, body.encode()))
    assert (report.provider_id, report.status, report.segments) == (SID, "sent", 3)


def test_inbound_posted_to_the_status_url_is_ignored(fake, gateway):
    assert gateway.parse_status(inbound(fake, "Hi", url=URL)) == []


def test_malformed_status_callbacks(gateway):
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    for body in (b"", b"MessageSid=SM1", b"MessageStatus=sent", b"\xff\xfe=\x00"):
        with pytest.raises(ValueError):
            gateway.parse_status(build(URL, headers, body))
    with pytest.raises(ValueError):
        gateway.parse_status(
            build(URL, headers, b"MessageSid=" + b"S" * 300 + b"&MessageStatus=sent")
        )


# ----------------------------------------------------------------------
# inbound messages
# ----------------------------------------------------------------------
@pytest.mark.parametrize(
    "text", ["STOP", "Can we move to 3pm? 🙏🏽", "", "Ünïcödé — «quotes»", "x" * 1600]
)
def test_inbound_message(fake, gateway, text):
    request = inbound(fake, text, to="+15005550006", message_id=SID)
    assert gateway.verify(request)
    (message,) = gateway.parse_inbound(request)
    assert message.provider_id == SID
    assert (message.number, message.to, message.body) == (
        "+15551230001",
        "+15005550006",
        text,
    )
    assert message.received_at == ""


def test_status_callback_posted_to_the_inbound_url_is_ignored(fake, gateway):
    assert gateway.parse_inbound(status(fake, "delivered", url=INBOUND_URL)) == []


def test_malformed_inbound(gateway):
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    for body in (b"Body=Hi", b"MessageSid=SM1&Body=Hi", b"From=%2B1555&Body=Hi"):
        with pytest.raises(ValueError):
            gateway.parse_inbound(build(INBOUND_URL, headers, body))


@settings(max_examples=300, deadline=None)
@given(request=hostile_requests(FIELDS))
def test_hostile_requests_never_raise_anything_but_value_error(gateway, request):
    check_hostile(gateway, request)
