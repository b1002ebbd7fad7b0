"""SimpleTexting API v2 (reference section 3).

One contact per JSON request, ``Authorization: Bearer <API token>``.
SimpleTexting serves the US and Canada only and takes 10-digit numbers.
UNCONFIRMED (reference 3.2): the error codes for opted-out contacts and for
missing credits; a few phrases of the error message are recognised.

Webhooks (3.3): JSON ``{"reportId", "webhookId", "type", "values"}``, not
signed (the Odoo controller checks the secret token of the URL). There is no
status word: the trigger type tells delivered from not delivered. When a
contact texts STOP, SimpleTexting unsubscribes it and sends
UNSUBSCRIBE_REPORT, which is read as an inbound "STOP" from that number so
the opt-out is mirrored (an INCOMING_MESSAGE with the same text may come too).
"""

import re

from .base import (
    Gateway,
    WebhookError,
    as_items,
    webhook_id,
    webhook_number,
    webhook_text,
)

# Webhook trigger -> normalized status (reference 3.3).
SIMPLETEXTING_STATUS = {
    "OUTGOING_MESSAGE": "sent",
    "DELIVERY_REPORT": "delivered",
    "NON_DELIVERED_REPORT": "failed",
}
SIMPLETEXTING_TRIGGERS = frozenset(
    {*SIMPLETEXTING_STATUS, "INCOMING_MESSAGE", "UNSUBSCRIBE_REPORT"}
)

NANP_RE = re.compile(r"^\+1(\d{10})$")
ERROR_PHRASES = (
    ("unsubscrib", "opted_out"),
    ("opted", "opted_out"),
    ("opt_out", "opted_out"),
    ("opt-out", "opted_out"),
    ("credit", "insufficient_credit"),
    ("phone", "invalid_number"),
    ("auth", "authentication"),
    ("token", "authentication"),
)


class SimpleTextingGateway(Gateway):
    provider = "simpletexting"
    label = "SimpleTexting"
    default_base_url = "https://api-app2.simpletexting.com"
    max_batch = 1
    credential_keys = ("api_token",)

    @staticmethod
    def wire_number(value):
        """10-digit US/Canadian number, or None."""
        match = NANP_RE.match(value or "")
        return match.group(1) if match else None

    def _message_problem(self, message):
        problem = super()._message_problem(message)
        if problem:
            return problem
        if not self.wire_number(message.number):
            return self.failed(
                message,
                "invalid_number",
                f"SimpleTexting only sends to US and Canadian numbers, not "
                f"{message.number}.",
            )
        return None

    def _headers(self):
        return {"Authorization": f"Bearer {self.credentials['api_token']}"}

    def _build_request(self, batch):
        (message,) = batch
        payload = {
            "contactPhone": self.wire_number(message.number),
            "mode": "AUTO",
            "text": message.body,
        }
        sender = self.wire_number(self.sender_for(message))
        if sender:
            payload["accountPhone"] = sender
        return {
            "method": "POST",
            "url": self.url("/v2/api/messages"),
            "json": payload,
            "headers": self._headers(),
        }

    def _parse_success(self, batch, response):
        (message,) = batch
        data = self._json(response)
        if not data.get("id"):
            raise ValueError("no message id")
        return [self.accepted(message, provider_id=data["id"])]

    def _error_info(self, response):
        try:
            data = response.json()
        except ValueError:
            return "", ""
        if not isinstance(data, dict):
            return "", ""
        code = data.get("errorCode") or data.get("code") or ""
        return str(code), str(data.get("message") or "")

    def _failure_for(self, code, status):
        if status in (401, 403):
            return "authentication"
        words = code.lower()
        for phrase, failure in ERROR_PHRASES:
            if phrase in words:
                return failure
        return super()._failure_for(code, status)

    def _error_result(self, message, response):
        result = super()._error_result(message, response)
        if result.outcome != "failed" or result.failure_code != "rejected":
            return result
        _code, text = self._error_info(response)
        for phrase, failure in ERROR_PHRASES:
            if phrase in text.lower():
                return self.failed(message, failure, result.detail)
        return result

    def _test_request(self):
        return {
            "method": "GET",
            "url": self.url("/v2/api/phones"),
            "params": {"page": 0, "size": 1},
            "headers": self._headers(),
        }

    def _describe_account(self, data):
        phones = data.get("content") or []
        if phones and isinstance(phones[0], dict) and phones[0].get("phone"):
            return f"Connected to SimpleTexting (number {phones[0]['phone']})."
        return "Connected to SimpleTexting."

    @classmethod
    def check_sender(cls, sender):
        if not sender:
            return None  # the account's only number is used
        if NANP_RE.match(sender) or re.match(r"^\d{10}$", sender):
            return None
        return (
            f"'{sender}' is not a valid SimpleTexting sender: use your account's "
            "US or Canadian number, e.g. +18005551234."
        )

    # ------------------------------------------------------------------
    # webhooks (not signed)
    # ------------------------------------------------------------------
    def _events(self, request):
        """(type, values, envelope) of each event in the request."""
        events = []
        for event in as_items(self._payload(request), "SimpleTexting payload"):
            kind = webhook_text(event.get("type"), "type", 64, required=True)
            values = event.get("values")
            if not isinstance(values, dict):
                raise WebhookError("SimpleTexting event without values.")
            if kind not in SIMPLETEXTING_TRIGGERS:
                continue  # a trigger this addon does not use
            events.append((kind, values, event))
        return events

    def _parse_status(self, request):
        reports = []
        for kind, values, _event in self._events(request):
            status = SIMPLETEXTING_STATUS.get(kind)
            if not status:
                continue
            detail = ""
            if status == "failed":
                carrier = webhook_text(values.get("carrier"), "carrier", 100)
                detail = "SimpleTexting reported the message as not delivered"
                detail += f" (carrier {carrier})." if carrier else "."
            reports.append(
                self.status_report(
                    webhook_id(values.get("messageId"), "messageId"),
                    status,
                    raw_status=kind,
                    failure_code="unknown" if status == "failed" else "",
                    detail=detail,
                )
            )
        return reports

    def _parse_inbound(self, request):
        messages = []
        for kind, values, event in self._events(request):
            if kind == "INCOMING_MESSAGE":
                messages.append(
                    self.inbound_message(
                        webhook_id(values.get("messageId"), "messageId"),
                        webhook_number(
                            values.get("contactPhone"),
                            "contactPhone",
                            national=True,
                            required=True,
                        ),
                        webhook_number(
                            values.get("accountPhone"), "accountPhone", national=True
                        ),
                        webhook_text(values.get("text"), "text"),
                        received_at=values.get("timestamp"),
                    )
                )
            elif kind == "UNSUBSCRIBE_REPORT":
                report = event.get("reportId") or values.get("contactId")
                report = webhook_id(report, "reportId")
                messages.append(
                    self.inbound_message(
                        f"unsubscribe-{report}",
                        webhook_number(
                            values.get("phone"), "phone", national=True, required=True
                        ),
                        "",
                        "STOP",
                    )
                )
        return messages
