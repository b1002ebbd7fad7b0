"""Secrets in every shape stay out of failure explanations and logs."""

import base64
import logging
from urllib.parse import quote

import pytest

from odoo.addons.text_messaging.gateways import PROVIDERS
from odoo.addons.text_messaging.tests.fake_provider import FakeProvider
from odoo.addons.text_messaging.tools.access_log import (
    WebhookTokenFilter,
    mask_webhook_tokens,
)

from .test_gateway_base import assert_no_secret, gateway_for, message

TOKEN = "tok_4f9Qz-XYZ_secret123"
STATUS_URL = f"https://odoo.example/text_messaging/webhook/7/{TOKEN}/status"


@pytest.fixture
def fake():
    with FakeProvider() as server:
        yield server


def _b64(text):
    return base64.b64encode(text.encode()).decode()


@pytest.mark.parametrize("provider", ["twilio", "plivo", "clicksend"])
def test_encoded_credentials_and_token_are_redacted(fake, provider):
    gateway = gateway_for(fake, provider, status_url=STATUS_URL)
    user, password = (
        fake.credentials[provider][key] for key in PROVIDERS[provider].credential_keys
    )
    text = (
        f"Authorization: Basic {_b64(f'{user}:{password}')} "
        f"password={quote(password, safe='')} alone={_b64(password)} "
        f"callback={STATUS_URL} Authorization: Bearer abc.DEF-123_xyz/+="
    )
    redacted = gateway.redact(text)
    assert_no_secret(fake, texts=[redacted])
    for secret in (_b64(f"{user}:{password}"), _b64(password), TOKEN, "abc.DEF"):
        assert secret not in redacted
    assert "/text_messaging/webhook/7/[redacted]/status" in redacted
    # Plain words stay readable.
    assert gateway.redact("Basic authentication failed") == (
        "Basic authentication failed"
    )


def test_provider_error_echoing_the_basic_header_is_redacted(fake):
    gateway = gateway_for(fake, "twilio")
    credentials = fake.credentials["twilio"]
    sid, token = credentials["account_sid"], credentials["auth_token"]
    header = f"Basic {_b64(f'{sid}:{token}')}"
    fake.force(status=400, body={"code": 20003, "message": f"bad header {header}"})
    (result,) = gateway.send([message()])
    assert result.outcome == "failed"
    assert _b64(f"{sid}:{token}") not in result.detail
    assert "bad header Basic [redacted]" in result.detail


def test_access_log_line_masks_the_webhook_token():
    record = logging.LogRecord(
        "werkzeug",
        logging.INFO,
        __file__,
        1,
        '127.0.0.1 - - [01/Dec/2026 12:00:00] "%s" %s %s',
        (f"POST /text_messaging/webhook/7/{TOKEN}/inbound HTTP/1.1", "200", "-"),
        None,
    )
    assert WebhookTokenFilter().filter(record)
    line = record.getMessage()
    assert TOKEN not in line
    assert '"POST /text_messaging/webhook/7/***/inbound HTTP/1.1" 200 -' in line
    assert mask_webhook_tokens("/web/login") == "/web/login"


def test_evented_server_access_log_is_filtered_too():
    """gevent's pywsgi logs the line already formatted, on "longpolling"."""
    logger = logging.getLogger("longpolling")
    assert any(isinstance(f, WebhookTokenFilter) for f in logger.filters)
    record = logger.makeRecord(
        "longpolling",
        logging.INFO,
        __file__,
        1,
        f'127.0.0.1 - - "POST /text_messaging/webhook/7/{TOKEN}/status HTTP/1.1" 200',
        (),
        None,
    )
    assert logger.filter(record)
    assert TOKEN not in record.getMessage()
