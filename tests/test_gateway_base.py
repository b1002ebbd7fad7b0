"""Shared behaviour of every HTTP adapter, driven against the fake provider."""

import email.utils
import socket
import threading
import time
import uuid
from unittest import mock

import pytest
import requests

from odoo.addons.text_messaging.gateways import (
    FAILURE_CODES,
    PROVIDERS,
    GatewayError,
    OutgoingMessage,
    RateLimiter,
    SendResult,
    base,
    get_gateway,
)
from odoo.addons.text_messaging.gateways.base import Gateway, is_gsm7
from odoo.addons.text_messaging.tests.fake_provider import FakeProvider

# Sandbox sends nothing; SMS via email goes through Odoo's mail server.
HTTP_PROVIDERS = [code for code in PROVIDERS if code not in ("sandbox", "email_sms")]
NUMBER = "+15551230001"


@pytest.fixture
def fake():
    with FakeProvider() as server:
        yield server


def message(number=NUMBER, body="Your session is tomorrow at 10:00.", sender=""):
    return OutgoingMessage(uuid.uuid4().hex, number, body, sender)


def gateway_for(fake, provider, **overrides):
    return get_gateway(provider, fake.config(provider, **overrides))


def assert_no_secret(fake, results=(), texts=()):
    texts = [result.detail for result in results] + list(texts)
    for text in texts:
        for secret in fake.secrets():
            assert secret not in text


def closed_port_url():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return f"http://127.0.0.1:{port}"


# ----------------------------------------------------------------------
# interface
# ----------------------------------------------------------------------
def test_failure_codes_and_registry():
    assert FAILURE_CODES == (
        "invalid_number",
        "opted_out",
        "insufficient_credit",
        "authentication",
        "rate_limited",
        "rejected",
        "server_error",
        "unknown",
    )
    assert set(PROVIDERS) == {
        "sandbox",
        "twilio",
        "clicksend",
        "vonage",
        "telnyx",
        "plivo",
        "simpletexting",
        "eztexting",
        "email_sms",
    }
    for code, gateway_class in PROVIDERS.items():
        gateway = get_gateway(code, {})
        assert isinstance(gateway, gateway_class)
        assert issubclass(gateway_class, Gateway)
        assert gateway.provider == code and gateway.label
        gateway.close()
    assert PROVIDERS["clicksend"].max_batch == 1000
    assert PROVIDERS["twilio"].max_batch == 1
    with pytest.raises(GatewayError, match="Unknown"):
        get_gateway("carrier-pigeon", {})


def test_config_defaults_and_session_pool():
    gateway = get_gateway("twilio", {"credentials": {"account_sid": "AC1"}})
    assert gateway.base_url == "https://api.twilio.com"
    assert gateway.timeout == (5.0, 15.0)
    assert gateway.max_concurrency == 8
    assert gateway.limiter is None
    assert gateway.status_url == ""
    adapter = gateway.session.get_adapter("https://api.twilio.com")
    assert adapter._pool_maxsize == 8
    assert adapter.max_retries.total == 0
    gateway.close()

    gateway = get_gateway(
        "clicksend",
        {
            "base_url": "http://127.0.0.1:9/",
            "connect_timeout": 1,
            "read_timeout": 2,
            "max_concurrency": 3,
            "rate_limit": 7,
        },
    )
    assert gateway.base_url == "http://127.0.0.1:9"
    assert gateway.timeout == (1.0, 2.0)
    assert gateway.session.get_adapter("http://127.0.0.1:9")._pool_maxsize == 3
    assert gateway.limiter.rate == 7.0
    gateway.close()


def test_send_result_is_frozen():
    result = SendResult(uuid="a" * 32, outcome="accepted")
    with pytest.raises(AttributeError):
        result.outcome = "failed"
    assert result.retry_after is None and result.segments is None


def test_is_gsm7():
    assert is_gsm7("Hello {name} €5 @home")
    assert not is_gsm7("café – “quoted”")
    assert not is_gsm7("👋")


def test_rate_limiter_books_one_interval_per_token():
    limiter = RateLimiter(10)
    waits = [limiter.reserve() for _ in range(4)]
    assert waits[0] == pytest.approx(0, abs=0.01)
    for index, wait in enumerate(waits):
        assert wait >= index * 0.1 - 0.01
    limiter = RateLimiter(10)
    assert limiter.reserve(5) == pytest.approx(0, abs=0.01)  # a batch goes at once
    assert limiter.reserve(1) >= 0.49  # ... and the next one pays for it


def test_rate_limiter_is_thread_safe():
    limiter = RateLimiter(100)
    waits = []
    lock = threading.Lock()

    def book():
        for _ in range(25):
            wait = limiter.reserve()
            with lock:
                waits.append(wait)

    # A stopped clock (the process edge): every booking must get its own slot,
    # 10 ms after the previous one, whatever the machine's load.
    with mock.patch.object(base.time, "monotonic", return_value=1000.0):
        threads = [threading.Thread(target=book) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert sorted(round(wait, 6) for wait in waits) == [
        round(index * 0.01, 6) for index in range(100)
    ]


# ----------------------------------------------------------------------
# local checks: nothing goes out
# ----------------------------------------------------------------------
@pytest.mark.parametrize("provider", HTTP_PROVIDERS)
def test_missing_credentials_fail_without_request(fake, provider):
    gateway = gateway_for(fake, provider, credentials={})
    results = gateway.send([message(), message()])
    assert [r.outcome for r in results] == ["failed", "failed"]
    assert {r.failure_code for r in results} == {"authentication"}
    assert not any(r.retryable for r in results)
    assert "missing" in results[0].detail
    assert fake.received == []
    with pytest.raises(GatewayError, match="missing"):
        gateway.test_connection()


@pytest.mark.parametrize("provider", HTTP_PROVIDERS)
def test_invalid_number_and_empty_body_fail_locally(fake, provider):
    gateway = gateway_for(fake, provider)
    bad, empty, good = message("5551234"), message(body=""), message()
    results = gateway.send([bad, empty, good])
    assert [r.uuid for r in results] == [bad.uuid, empty.uuid, good.uuid]
    assert results[0].outcome == "failed"
    assert results[0].failure_code == "invalid_number"
    assert results[1].failure_code == "rejected"
    assert results[2].outcome == "accepted"
    assert [m["to"] for m in fake.messages()] == [NUMBER]


def test_send_empty_list(fake):
    assert gateway_for(fake, "twilio").send([]) == []
    assert fake.received == []


# ----------------------------------------------------------------------
# transport failures
# ----------------------------------------------------------------------
@pytest.mark.parametrize("provider", HTTP_PROVIDERS)
def test_connection_refused_is_retryable(fake, provider):
    gateway = gateway_for(fake, provider, base_url=closed_port_url())
    results = gateway.send([message(), message()])
    for result in results:
        assert result.outcome == "failed"
        assert result.failure_code == "server_error"
        assert result.retryable is True
        assert "connection refused" in result.detail
    assert_no_secret(fake, results)
    with pytest.raises(GatewayError, match="connection refused") as error:
        gateway.test_connection()
    assert_no_secret(fake, texts=[str(error.value)])


def test_dns_failure_is_retryable(fake):
    gateway = gateway_for(fake, "twilio", base_url="http://sms.nonexistent.invalid")
    (result,) = gateway.send([message()])
    assert (result.outcome, result.failure_code, result.retryable) == (
        "failed",
        "server_error",
        True,
    )
    assert "host name not found" in result.detail


def test_connect_timeout_is_retryable(fake):
    # The network edge times out while connecting: the request surely did not
    # go out, so the message may be retried.
    gateway = gateway_for(fake, "twilio", connect_timeout=0.3)
    timeout = requests.ConnectTimeout("connect timed out")
    with mock.patch.object(requests.Session, "send", side_effect=timeout):
        (result,) = gateway.send([message()])
    assert (result.outcome, result.failure_code, result.retryable) == (
        "failed",
        "server_error",
        True,
    )
    assert "timed out" in result.detail
    assert fake.received == []


@pytest.mark.parametrize("provider", HTTP_PROVIDERS)
def test_read_timeout_is_unknown(fake, provider):
    gateway = gateway_for(fake, provider, read_timeout=0.3)
    fake.force(delay=1.0)
    sent = message()
    (result,) = gateway.send([sent])
    assert result.outcome == "unknown"
    assert result.failure_code == "server_error"
    assert result.retryable is False
    assert "may have been accepted" in result.detail
    # The fake did receive it: re-sending would be a duplicate.
    assert [m["to"] for m in fake.messages()] == [NUMBER]
    assert_no_secret(fake, [result])


@pytest.mark.parametrize("provider", HTTP_PROVIDERS)
def test_dropped_connection_is_unknown(fake, provider):
    gateway = gateway_for(fake, provider)
    fake.force(drop=True)
    (result,) = gateway.send([message()])
    assert result.outcome == "unknown"
    assert result.retryable is False
    assert len(fake.messages()) == 1
    assert_no_secret(fake, [result])


@pytest.mark.parametrize("provider", HTTP_PROVIDERS)
def test_malformed_success_body_is_unknown(fake, provider):
    gateway = gateway_for(fake, provider)
    fake.force(malformed=True, status=200)
    (result,) = gateway.send([message()])
    assert result.outcome == "unknown"
    assert result.failure_code == "unknown"
    assert result.retryable is False
    assert "could not be read" in result.detail


@pytest.mark.parametrize("provider", HTTP_PROVIDERS)
@pytest.mark.parametrize("status", [500, 502, 504])
def test_server_errors_are_unknown(fake, provider, status):
    gateway = gateway_for(fake, provider)
    fake.force(status=status)
    (result,) = gateway.send([message()])
    assert result.outcome == "unknown"
    assert result.failure_code == "server_error"
    assert result.retryable is False
    assert str(status) in result.detail


@pytest.mark.parametrize("provider", HTTP_PROVIDERS)
def test_503_is_retryable_with_retry_after(fake, provider):
    gateway = gateway_for(fake, provider)
    fake.force(status=503, headers={"Retry-After": "7"})
    fake.force(status=503)
    first, second = gateway.send([message()]), gateway.send([message()])
    for (result,) in (first, second):
        assert result.outcome == "failed"
        assert result.failure_code == "server_error"
        assert result.retryable is True
    assert first[0].retry_after == 7.0
    assert second[0].retry_after is None


@pytest.mark.parametrize("provider", HTTP_PROVIDERS)
def test_429_is_rate_limited_with_retry_after(fake, provider):
    gateway = gateway_for(fake, provider)
    fake.force(status=429, headers={"Retry-After": "12"})
    (result,) = gateway.send([message()])
    assert result.outcome == "failed"
    assert result.failure_code == "rate_limited"
    assert result.retryable is True
    assert result.retry_after == 12.0


def test_retry_after_as_http_date(fake):
    gateway = gateway_for(fake, "telnyx")
    when = email.utils.formatdate(time.time() + 30, usegmt=True)
    fake.force(status=429, headers={"Retry-After": when})
    (result,) = gateway.send([message()])
    assert 25 <= result.retry_after <= 31


@pytest.mark.parametrize("provider", HTTP_PROVIDERS)
def test_wrong_credentials_are_authentication_errors(fake, provider):
    wrong = {key: f"wrong-{key}-value" for key in PROVIDERS[provider].credential_keys}
    gateway = gateway_for(fake, provider, credentials=wrong)
    (result,) = gateway.send([message()])
    assert result.outcome == "failed"
    assert result.failure_code == "authentication"
    assert result.retryable is False
    with pytest.raises(GatewayError) as error:
        gateway.test_connection()
    texts = [result.detail, str(error.value)]
    assert_no_secret(fake, texts=texts)
    for text in texts:
        for value in wrong.values():
            assert value not in text


@pytest.mark.parametrize("provider", HTTP_PROVIDERS)
def test_provider_text_echoing_a_secret_is_redacted(fake, provider):
    gateway = gateway_for(fake, provider)
    secret = fake.credentials[provider][PROVIDERS[provider].credential_keys[-1]]
    echo = f"bad request for {secret}"
    bodies = {
        "twilio": {"code": 21212, "message": echo},
        "clicksend": {"response_code": "BAD_REQUEST", "response_msg": echo},
        "vonage": {"error-text": echo},
        "telnyx": {"errors": [{"code": "40001", "title": echo}]},
        "plivo": {"error": echo},
        "simpletexting": {"errorCode": "ERR_X", "message": echo},
        "eztexting": {"status": 400, "detail": echo},
    }
    fake.force(status=400, body=bodies[provider])
    (result,) = gateway.send([message()])
    assert result.outcome == "failed"
    assert "bad request for [redacted]" in result.detail
    assert_no_secret(fake, [result])


# ----------------------------------------------------------------------
# concurrency, rate limit, order
# ----------------------------------------------------------------------
@pytest.mark.parametrize("provider", ["twilio", "vonage", "telnyx", "plivo"])
def test_concurrency_is_bounded(fake, provider):
    fake.latency = 0.15
    gateway = gateway_for(fake, provider, max_concurrency=4)
    results = gateway.send([message(f"+1555123{i:04d}") for i in range(12)])
    assert {r.outcome for r in results} == {"accepted"}
    assert 1 < fake.max_in_flight <= 4
    assert len(fake.messages()) == 12


def test_rate_limit_is_respected(fake):
    gateway = gateway_for(fake, "twilio", rate_limit=20, max_concurrency=8)
    results = gateway.send([message(f"+1555123{i:04d}") for i in range(11)])
    assert {r.outcome for r in results} == {"accepted"}
    stamps = sorted(record.timestamp for record in fake.received)
    # 11 requests at 20/s: at least 10 intervals of 50 ms between the first
    # and the last (small slack for network jitter on the first request).
    assert stamps[-1] - stamps[0] >= 0.5 - 0.05


def test_rate_limit_counts_messages_of_a_batch(fake):
    gateway = gateway_for(fake, "clicksend", rate_limit=100, max_concurrency=4)
    gateway.max_batch = 10
    results = gateway.send([message(f"+1555123{i:04d}") for i in range(30)])
    assert {r.outcome for r in results} == {"accepted"}
    stamps = sorted(record.timestamp for record in fake.received)
    assert len(stamps) == 3
    # Each batch of 10 at 100 messages/s books 0.1 s: 3 batches span >= 0.2 s.
    assert stamps[-1] - stamps[0] >= 0.2 - 0.03


def test_results_keep_order_with_mixed_outcomes(fake):
    fake.latency = 0.02
    numbers = [f"+1555123{i:04d}" for i in range(20)]
    for number in numbers[::3]:
        fake.errors[number] = 21211
    gateway = gateway_for(fake, "twilio", max_concurrency=6)
    sent = [message(number) for number in numbers]
    results = gateway.send(sent)
    assert [r.uuid for r in results] == [m.uuid for m in sent]
    for index, result in enumerate(results):
        expected = "failed" if index % 3 == 0 else "accepted"
        assert result.outcome == expected
    assert sorted(m["to"] for m in fake.messages()) == sorted(numbers)


def test_unexpected_adapter_error_never_raises(fake):
    class Broken(PROVIDERS["twilio"]):
        def _parse_success(self, batch, response):
            raise RuntimeError("bug")

    gateway = Broken(fake.config("twilio"))
    (result,) = gateway.send([message()])
    assert result.outcome == "unknown"
    assert result.retryable is False


def test_redirect_is_not_followed(fake):
    gateway = gateway_for(fake, "twilio")
    fake.force(status=307, body="", headers={"Location": fake.url + "/elsewhere"})
    (result,) = gateway.send([message()])
    assert result.outcome == "failed"
    assert result.retryable is False
    assert [r.path for r in fake.received if r.path == "/elsewhere"] == []


# ----------------------------------------------------------------------
# pass-through and sandbox
# ----------------------------------------------------------------------
@pytest.mark.parametrize("provider", HTTP_PROVIDERS)
def test_emoji_and_long_body_pass_through_unchanged(fake, provider):
    body = ("Bonjour 👋🏽 café – “quoted” {braces} € & = + % \n" * 20).strip()
    gateway = gateway_for(fake, provider)
    (result,) = gateway.send([message(body=body)])
    assert result.outcome == "accepted"
    (received,) = fake.messages()
    assert received["body"] == body


def test_sandbox_sends_nothing():
    gateway = get_gateway("sandbox", {})
    sent = [message(), message("not-a-number", body="")]
    results = gateway.send(sent)
    assert [r.outcome for r in results] == ["accepted", "accepted"]
    assert [r.provider_id for r in results] == [f"sandbox-{m.uuid}" for m in sent]
    assert "sandbox" in gateway.test_connection()
    assert gateway.check_sender("") is None
    assert gateway.check_sender("x" * 65)


def test_sandbox_opens_no_connection(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the sandbox must not use HTTP")

    monkeypatch.setattr(requests.Session, "request", refuse)
    (result,) = get_gateway("sandbox", {}).send([message()])
    assert result.outcome == "accepted"


@pytest.mark.parametrize("provider", HTTP_PROVIDERS)
def test_no_credential_in_any_detail_or_error(fake, provider):
    gateway = gateway_for(fake, provider, read_timeout=0.3)
    scenarios = [
        {"status": 500},
        {"status": 503, "headers": {"Retry-After": "1"}},
        {"status": 429},
        {"status": 400},
        {"status": 404},
        {"drop": True},
        {"malformed": True},
        {"delay": 1.0},
    ]
    results, texts = [], []
    for options in scenarios:
        fake.force(**options)
        results += gateway.send([message()])
        fake.force(**options)
        try:
            texts.append(gateway.test_connection())
        except GatewayError as error:
            texts.append(str(error))
    refused = gateway_for(fake, provider, base_url=closed_port_url())
    results += refused.send([message()])
    assert len(results) == len(scenarios) + 1
    assert all(result.detail for result in results)
    assert_no_secret(fake, results, texts)


def test_fake_provider_is_loopback_and_strict(fake):
    assert fake.url.startswith("http://127.0.0.1:")
    sid = fake.credentials["twilio"]["account_sid"]
    url = f"{fake.url}/2010-04-01/Accounts/{sid}/Messages.json"
    auth = (sid, fake.credentials["twilio"]["auth_token"])
    # Twilio takes form-encoded bodies only.
    response = requests.post(url, json={"To": NUMBER}, auth=auth, timeout=5)
    assert response.status_code == 415
    response = requests.get(f"{fake.url}/nowhere", timeout=5)
    assert response.status_code == 404
    assert [r.kind for r in fake.received] == ["send", "unknown"]


def test_fake_provider_stops_with_open_connections():
    server = FakeProvider().start()
    session = requests.Session()
    creds = server.credentials["telnyx"]
    response = session.get(
        f"{server.url}/v2/balance",
        headers={"Authorization": f"Bearer {creds['api_key']}"},
        timeout=5,
    )
    assert response.status_code == 200
    stopper = threading.Thread(target=server.stop)  # a keep-alive is still open
    stopper.start()
    stopper.join(30)
    assert not stopper.is_alive(), "stop() hangs on an open connection"
    with pytest.raises(requests.ConnectionError):
        session.get(f"{server.url}/v2/balance", timeout=2)
    session.close()
