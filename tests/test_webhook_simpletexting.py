"""SimpleTexting webhooks (not signed): reports by trigger type, inbound."""

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from odoo.addons.text_messaging.gateways import WebhookRequest
from odoo.addons.text_messaging.gateways.simpletexting import SimpleTextingGateway
from odoo.addons.text_messaging.tests.fake_provider import (
    FakeProvider,
    request_fields,
)
from odoo.addons.text_messaging.tests.test_webhook_base import (
    check_hostile,
    field_dicts,
    hostile_requests,
)

URL = "https://odoo.example.com/text_messaging/webhook/7/tok3n/status"
MESSAGE_ID = "65f1c0ffee0123456789abcd"
FIELDS = ["reportId", "webhookId", "type", "values"]


@pytest.fixture(scope="module")
def fake():
    return FakeProvider()


@pytest.fixture(scope="module")
def gateway(fake):
    return SimpleTextingGateway(fake.webhook_config("simpletexting"))


def build(headers, body):
    return WebhookRequest(**request_fields(URL, headers, body))


def status(fake, word="delivered", **options):
    return build(
        *fake.status_callback("simpletexting", MESSAGE_ID, word, URL, **options)
    )


def inbound(fake, text, **options):
    return build(
        *fake.inbound_callback("simpletexting", "+12015550123", text, URL, **options)
    )


def test_not_signed_every_request_passes(fake, gateway):
    assert not gateway.signs_webhooks
    assert gateway.verify(status(fake))


@pytest.mark.parametrize(
    "word, normalized, failure",
    [
        ("delivered", "delivered", ""),
        ("DELIVERY_REPORT", "delivered", ""),
        ("sent", "sent", ""),
        ("failed", "failed", "unknown"),
        ("NON_DELIVERED_REPORT", "failed", "unknown"),
    ],
)
def test_reports_by_trigger(fake, gateway, word, normalized, failure):
    (report,) = gateway.parse_status(status(fake, word))
    assert (report.provider_id, report.status, report.failure_code) == (
        MESSAGE_ID,
        normalized,
        failure,
    )
    if normalized == "failed":
        assert report.raw_status == "NON_DELIVERED_REPORT"
        assert report.detail == (
            "SimpleTexting reported the message as not delivered "
            "(carrier Fake Wireless)."
        )


def test_other_triggers_are_ignored(fake, gateway):
    assert gateway.parse_status(inbound(fake, "Hi")) == []
    assert gateway.parse_inbound(status(fake)) == []
    data = {"type": "SOMETHING_NEW", "values": {}}
    request = build({"Content-Type": "application/json"}, json.dumps(data).encode())
    assert gateway.parse_status(request) == []


@pytest.mark.parametrize("text", ["STOP", "Yes 👍🏻", "", "Quit"])
def test_inbound_message(fake, gateway, text):
    request = inbound(fake, text, to="+18005551234", message_id="in-1")
    (message,) = gateway.parse_inbound(request)
    assert (message.provider_id, message.number, message.to, message.body) == (
        "in-1",
        "+12015550123",
        "+18005551234",
        text,
    )
    assert message.received_at.endswith("+00:00")


def test_unsubscribe_report_is_a_stop(fake, gateway):
    request = inbound(fake, "", kind="UNSUBSCRIBE_REPORT")
    (message,) = gateway.parse_inbound(request)
    assert (message.number, message.to, message.body) == ("+12015550123", "", "STOP")
    assert message.provider_id.startswith("unsubscribe-")
    assert gateway.parse_status(request) == []


def json_request(data):
    return build({"Content-Type": "application/json"}, json.dumps(data).encode())


def test_malformed_events(gateway):
    for data in (
        {"type": "DELIVERY_REPORT"},
        {"type": "DELIVERY_REPORT", "values": {"carrier": "x"}},
        {"type": "DELIVERY_REPORT", "values": []},
        {"values": {"messageId": "1"}},
        42,
    ):
        with pytest.raises(ValueError):
            gateway.parse_status(json_request(data))
    for data in (
        {"type": "INCOMING_MESSAGE", "values": {"messageId": "1", "text": "Hi"}},
        {"type": "INCOMING_MESSAGE", "values": {"contactPhone": "2015550123"}},
        {"type": "UNSUBSCRIBE_REPORT", "values": {"contactId": "c1"}},
        [{"type": "INCOMING_MESSAGE"}],
    ):
        with pytest.raises(ValueError):
            gateway.parse_inbound(json_request(data))


@settings(max_examples=300, deadline=None)
@given(request=hostile_requests(FIELDS))
def test_hostile_requests_never_raise_anything_but_value_error(gateway, request):
    check_hostile(gateway, request)


nested_events = st.fixed_dictionaries(
    {
        "type": st.sampled_from(
            [
                "DELIVERY_REPORT",
                "NON_DELIVERED_REPORT",
                "OUTGOING_MESSAGE",
                "INCOMING_MESSAGE",
                "UNSUBSCRIBE_REPORT",
            ]
        ),
        "values": field_dicts(
            ["messageId", "text", "contactPhone", "accountPhone", "phone", "carrier"]
        ),
    }
)


@settings(max_examples=300, deadline=None)
@given(data=nested_events)
def test_nearly_right_events_never_raise_anything_but_value_error(gateway, data):
    check_hostile(gateway, json_request(data))
