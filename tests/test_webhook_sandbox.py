"""Sandbox webhooks: simple JSON shapes that simulate a provider's callbacks."""

import json

import pytest
from hypothesis import given, settings

from odoo.addons.text_messaging.gateways import WebhookRequest
from odoo.addons.text_messaging.gateways.sandbox import SandboxGateway
from odoo.addons.text_messaging.tests.test_webhook_base import (
    check_hostile,
    hostile_requests,
)

URL = "http://localhost:8069/text_messaging/webhook/1/tok3n/status"
FIELDS = ["id", "status", "failure_code", "detail", "from", "to", "body", "price"]


@pytest.fixture(scope="module")
def gateway():
    return SandboxGateway({})


def as_json(data):
    body = json.dumps(data).encode()
    return WebhookRequest("POST", URL, {"content-type": "application/json"}, body, {})


def test_not_signed(gateway):
    assert not gateway.signs_webhooks
    assert gateway.verify(as_json({}))


def test_status_shapes(gateway):
    (report,) = gateway.parse_status(
        as_json({"id": "sandbox-1", "status": "delivered"})
    )
    assert (report.provider_id, report.status, report.failure_code) == (
        "sandbox-1",
        "delivered",
        "",
    )
    (report,) = gateway.parse_status(as_json({"id": "s-2", "status": "Sent"}))
    assert report.status == "sent"
    (report,) = gateway.parse_status(as_json({"id": "s-3", "status": "failed"}))
    assert (report.failure_code, report.detail) == (
        "unknown",
        "The sandbox reported the message as failed.",
    )
    data = {
        "id": "s-4",
        "status": "failed",
        "failure_code": "opted_out",
        "detail": "Recipient texted STOP",
        "segments": 2,
        "price": "0.05",
    }
    (report,) = gateway.parse_status(as_json(data))
    assert (report.failure_code, report.detail, report.segments, report.price) == (
        "opted_out",
        "Recipient texted STOP",
        2,
        0.05,
    )
    reports = gateway.parse_status(
        as_json([{"id": "a", "status": "sent"}, {"id": "b", "status": "unknown"}])
    )
    assert [(r.provider_id, r.status) for r in reports] == [
        ("a", "sent"),
        ("b", "unknown"),
    ]


def test_form_status(gateway):
    request = WebhookRequest(
        "POST",
        URL,
        {"content-type": "application/x-www-form-urlencoded"},
        b"id=s-9&status=delivered",
        {},
    )
    assert gateway.parse_status(request)[0].provider_id == "s-9"


def test_bad_status_shapes(gateway):
    for data in (
        {"id": "x", "status": "bounced"},
        {"id": "x"},
        {"status": "delivered"},
        {"id": "x", "status": "failed", "failure_code": "nope"},
        {"id": "", "status": "sent"},
    ):
        with pytest.raises(ValueError):
            gateway.parse_status(as_json(data))


@pytest.mark.parametrize("text", ["STOP", "START", "HELP", "Bonjour 👋", ""])
def test_inbound_shapes(gateway, text):
    data = {"from": "+15551230001", "to": "+15550001111", "body": text}
    (message,) = gateway.parse_inbound(as_json(data))
    assert (message.number, message.to, message.body) == (
        "+15551230001",
        "+15550001111",
        text,
    )
    assert message.provider_id.startswith("sandbox-in-")
    data.update(id="in-7", received_at="2025-01-02T03:04:05Z")
    (message,) = gateway.parse_inbound(as_json(data))
    assert (message.provider_id, message.received_at) == (
        "in-7",
        "2025-01-02T03:04:05+00:00",
    )


def test_bad_inbound_shapes(gateway):
    for data in (
        {"body": "Hi"},
        {"from": 5.5, "body": "x"},
        {"from": "+1", "body": []},
    ):
        with pytest.raises(ValueError):
            gateway.parse_inbound(as_json(data))


@settings(max_examples=300, deadline=None)
@given(request=hostile_requests(FIELDS))
def test_hostile_requests_never_raise_anything_but_value_error(gateway, request):
    check_hostile(gateway, request)
