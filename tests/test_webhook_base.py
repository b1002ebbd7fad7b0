"""Webhook half of the adapters: shared pieces, and every provider end to end.

Plain pytest (no database). Callbacks are built by the fake provider the way
each provider sends them and, in the end-to-end tests, posted over real HTTP
to a local capture server, then rebuilt as the Odoo controller will.
"""

import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from hypothesis import strategies as st

from odoo.addons.text_messaging.gateways import (
    FAILURE_CODES,
    PROVIDERS,
    STATUSES,
    InboundMessage,
    ReplayGuard,
    StatusReport,
    WebhookError,
    WebhookRequest,
    get_gateway,
)
from odoo.addons.text_messaging.gateways.base import (
    webhook_number,
    webhook_text,
    webhook_time,
)
from odoo.addons.text_messaging.tests.fake_provider import (
    FakeProvider,
    request_fields,
)

SIGNING = {"twilio", "telnyx", "vonage", "plivo", "eztexting"}
URL = "https://odoo.example.com/text_messaging/webhook/7/tok3n"
STATUS_URL = URL + "/status"
INBOUND_URL = URL + "/inbound"


@pytest.fixture(scope="module")
def fake():
    # The webhook builders need no server: the fake is only their key store.
    return FakeProvider()


def webhook_request(url, headers, body, method="POST"):
    return WebhookRequest(**request_fields(url, headers, body, method))


# ----------------------------------------------------------------------
# hostile input strategies (shared by the per-provider hypothesis tests)
# ----------------------------------------------------------------------
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**40), max_value=10**40)
    | st.floats(allow_nan=True)
    | st.text(max_size=40),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=20,
)
header_names = st.sampled_from(
    [
        "content-type",
        "x-twilio-signature",
        "telnyx-signature-ed25519",
        "telnyx-timestamp",
        "x-plivo-signature-v3",
        "x-plivo-signature-v3-nonce",
        "x-signature",
        "authorization",
    ]
)
header_values = st.one_of(
    st.text(max_size=120),
    st.sampled_from(
        [
            "application/json",
            "application/x-www-form-urlencoded",
            "Bearer a.b.c",
            "Bearer eyJhbGciOiJIUzI1NiJ9.e30.abc",
            str(int(time.time())),
            "AAAA",
        ]
    ),
)
text_dicts = st.dictionaries(st.text(max_size=16), st.text(max_size=60), max_size=6)


def field_dicts(names):
    """Dicts over the provider's own field names, with any JSON values."""
    return st.dictionaries(st.sampled_from(names), json_values, max_size=len(names))


def form_body(form):
    text = "&".join(f"{key}={value}" for key, value in form.items())
    return text.encode("utf-8", "surrogatepass")


def hostile_requests(names=()):
    """WebhookRequests with arbitrary (and nearly right) content."""
    payloads = json_values
    if names:
        payloads = st.one_of(
            json_values, field_dicts(names), st.lists(field_dicts(names), max_size=3)
        )
    bodies = st.one_of(
        st.binary(max_size=300),
        payloads.map(lambda data: json.dumps(data).encode()),
        text_dicts.map(form_body),
    )
    return st.builds(
        WebhookRequest,
        method=st.sampled_from(["POST", "GET", "PUT", ""]),
        url=st.one_of(
            st.just(STATUS_URL),
            st.just(STATUS_URL + "?bodySHA256=00"),
            st.text(max_size=60),
            st.just("http://[::1"),
        ),
        headers=st.dictionaries(header_names, header_values, max_size=5),
        body=bodies,
        form=st.one_of(
            text_dicts,
            field_dicts(names) if names else text_dicts,
            st.dictionaries(st.text(max_size=5), json_values, max_size=3),
        ),
        json=st.one_of(st.none(), payloads),
        query=st.one_of(st.just({}), text_dicts),
    )


def check_hostile(gateway, request):
    """parse_* raise nothing but ValueError, verify returns a bool."""
    for parse in (gateway.parse_status, gateway.parse_inbound):
        try:
            items = parse(request)
        except ValueError as error:
            assert str(error)
            assert len(str(error)) <= 200
        else:
            assert isinstance(items, list)
            for item in items:
                assert isinstance(item, StatusReport | InboundMessage)
                if isinstance(item, StatusReport):
                    assert item.status in STATUSES
                    assert item.failure_code in ("", *FAILURE_CODES)
    assert gateway.verify(request) in (True, False)
    assert gateway.verify(request, secret="other") in (True, False)


# ----------------------------------------------------------------------
# shared pieces
# ----------------------------------------------------------------------
def test_dataclasses_and_header_lookup():
    request = WebhookRequest(
        method="POST",
        url=STATUS_URL,
        headers={"content-type": "application/json; charset=utf-8", "X-Odd": " v "},
        body=b"{}",
        form={},
    )
    assert request.json is None and request.query == {}
    assert request.content_type == "application/json"
    assert request.header("Content-Type").startswith("application/json")
    assert request.header("x-odd") == "v"
    assert request.header("missing") == ""
    assert WebhookRequest("POST", URL, {}, "é", {}).raw == "é".encode()
    report = StatusReport("id1", "delivered")
    assert (report.failure_code, report.detail, report.segments, report.price) == (
        "",
        "",
        None,
        None,
    )
    message = InboundMessage("id2", "+15551230001", "+15550001111", "Hi")
    assert (message.received_at, message.concat_ref, message.part) == ("", "", 0)
    with pytest.raises(AttributeError):
        report.status = "failed"
    assert issubclass(WebhookError, ValueError)


def test_replay_guard_remembers_forgets_and_expires():
    guard = ReplayGuard(max_entries=3)
    assert guard.remember("a", 60)
    assert not guard.remember("a", 60)
    guard.forget("a")
    assert guard.remember("a", 60)
    assert guard.remember("b", 0.01)
    time.sleep(0.02)
    assert guard.remember("b", 60)  # expired, so new again
    for key in "cdef":
        assert guard.remember(key, 60)
    assert len(guard._seen) <= 3  # bounded: the oldest are dropped


def test_replay_guard_is_thread_safe():
    guard = ReplayGuard()
    results = []

    def run():
        results.append(guard.remember("same", 60))

    threads = [threading.Thread(target=run) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results.count(True) == 1


def test_number_text_and_time_helpers():
    assert webhook_number("15551230001", "n") == "+15551230001"
    assert webhook_number("+447700900001", "n") == "+447700900001"
    assert webhook_number("5551230001", "n", national=True) == "+15551230001"
    assert webhook_number("15551230001", "n", national=True) == "+15551230001"
    assert webhook_number("AcmeInc", "n") == "AcmeInc"
    assert webhook_number("0411111111", "n") == "0411111111"  # local, unchanged
    assert webhook_number("12345", "n") == "12345"  # short code
    assert webhook_number(None, "n") == ""
    with pytest.raises(WebhookError):
        webhook_number(None, "n", required=True)
    with pytest.raises(WebhookError):
        webhook_number("1" * 65, "n")
    with pytest.raises(WebhookError):
        webhook_text({"a": 1}, "x")
    with pytest.raises(WebhookError):
        webhook_text(True, "x")
    with pytest.raises(WebhookError):
        webhook_text("x" * 30, "x", limit=20)
    assert webhook_text(42, "x") == "42"
    assert webhook_time("2024-03-01T10:00:00Z") == "2024-03-01T10:00:00+00:00"
    assert webhook_time("2024-03-01T12:00:00.123+02:00") == "2024-03-01T10:00:00+00:00"
    assert webhook_time("2024-03-01 10:00:00") == "2024-03-01T10:00:00+00:00"
    assert webhook_time(1709287200) == "2024-03-01T10:00:00+00:00"
    assert webhook_time("1709287200") == "2024-03-01T10:00:00+00:00"
    for bad in ("yesterday", "", None, True, 10**30, {"a": 1}, "9" * 80):
        assert webhook_time(bad) == ""


def test_signing_attributes_for_the_configuration_form():
    assert {code for code, cls in PROVIDERS.items() if cls.signs_webhooks} == SIGNING
    assert PROVIDERS["telnyx"].webhook_credential_keys == ("public_key",)
    assert PROVIDERS["vonage"].webhook_credential_keys == ("signature_secret",)
    assert PROVIDERS["eztexting"].webhook_credential_keys == ("webhook_secret",)
    for code in ("twilio", "plivo", "clicksend", "simpletexting", "sandbox"):
        assert PROVIDERS[code].webhook_credential_keys == ()
    for code in ("twilio", "plivo"):
        key = PROVIDERS[code].webhook_key_name
        assert key == "auth_token" and key in PROVIDERS[code].credential_keys


def test_missing_webhook_credentials(fake):
    def missing(provider, config):
        return get_gateway(provider, config).missing_webhook_credentials()

    assert missing("telnyx", fake.config("telnyx")) == ["public_key"]
    assert missing("telnyx", fake.webhook_config("telnyx")) == []
    assert missing("vonage", fake.config("vonage")) == ["signature_secret"]
    assert missing("twilio", fake.config("twilio")) == []
    assert missing("twilio", {}) == ["auth_token"]
    assert missing("clicksend", {}) == []


@pytest.mark.parametrize("provider", sorted(PROVIDERS))
def test_unsigned_providers_pass_signing_providers_need_a_key(fake, provider):
    gateway = get_gateway(provider, {})  # no credentials at all
    request = webhook_request(STATUS_URL, {"Content-Type": "application/json"}, b"{}")
    assert gateway.verify(request) is (provider not in SIGNING)
    assert gateway.verify(None) is (provider not in SIGNING)


@pytest.mark.parametrize("provider", sorted(PROVIDERS))
def test_parse_errors_are_short_plain_value_errors(fake, provider):
    gateway = get_gateway(provider, fake.webhook_config(provider))
    bad = [
        webhook_request(STATUS_URL, {"Content-Type": "application/json"}, b"{"),
        webhook_request(STATUS_URL, {"Content-Type": "application/json"}, b"[" * 5000),
        webhook_request(STATUS_URL, {"Content-Type": "application/json"}, b"\xff\xfe"),
        webhook_request(STATUS_URL, {"Content-Type": "application/json"}, b"42"),
        webhook_request(STATUS_URL, {}, b""),
        None,
    ]
    for request in bad:
        for parse in (gateway.parse_status, gateway.parse_inbound):
            with pytest.raises(ValueError) as info:
                parse(request)
            assert 0 < len(str(info.value)) <= 200
            assert "Traceback" not in str(info.value)


# ----------------------------------------------------------------------
# every provider end to end over real HTTP
# ----------------------------------------------------------------------
class _Capture(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    captured = None

    def log_message(self, format, *args):
        pass

    def _handle(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {name.lower(): value for name, value in self.headers.items()}
        self.captured.append((self.command, self.path, headers, body))
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_POST = _handle


@pytest.fixture(scope="module")
def capture():
    captured = []
    handler = type("Handler", (_Capture,), {"captured": captured})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", captured
    server.shutdown()
    server.server_close()


def post_and_rebuild(capture, path, headers, body):
    """POST over HTTP, then rebuild the request as the controller would."""
    base, captured = capture
    captured.clear()
    response = requests.post(base + path, data=body, headers=headers, timeout=5)
    assert response.status_code == 204
    method, got_path, got_headers, got_body = captured[-1]
    url = base + got_path
    fields = request_fields(url, got_headers, got_body, method)
    fields["headers"] = got_headers
    return WebhookRequest(**fields)


# EZ Texting sends no delivery reports (reference 4.3); SMS via email has no
# webhooks at all (carriers answer by email).
@pytest.mark.parametrize(
    "provider", sorted(set(PROVIDERS) - {"eztexting", "email_sms"})
)
def test_status_callbacks_over_http_verify_and_parse(fake, capture, provider):
    gateway = get_gateway(provider, fake.webhook_config(provider))
    path = f"/text_messaging/webhook/3/{uuid.uuid4().hex}/status?x=1"
    headers, body = fake.status_callback(
        provider, "msg-0001", "delivered", capture[0] + path
    )
    request = post_and_rebuild(capture, path, headers, body)
    assert gateway.verify(request)
    (report,) = gateway.parse_status(request)
    assert (report.provider_id, report.status, report.failure_code) == (
        "msg-0001",
        "delivered",
        "",
    )


@pytest.mark.parametrize("provider", sorted(set(PROVIDERS) - {"email_sms"}))
def test_inbound_callbacks_over_http_verify_and_parse(fake, capture, provider):
    gateway = get_gateway(provider, fake.webhook_config(provider))
    path = f"/text_messaging/webhook/3/{uuid.uuid4().hex}/inbound"
    text = "Oui, à demain 👍"
    headers, body = fake.inbound_callback(
        provider, "+15551230001", text, capture[0] + path, to="+15550002222"
    )
    request = post_and_rebuild(capture, path, headers, body)
    assert gateway.verify(request)
    (message,) = gateway.parse_inbound(request)
    assert (message.number, message.to, message.body) == (
        "+15551230001",
        "+15550002222",
        text,
    )
    assert message.provider_id
