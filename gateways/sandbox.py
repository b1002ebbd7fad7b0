"""Sandbox gateway: accepts every message, sends nothing (no HTTP at all).

Its webhooks let demos and tests simulate a provider's callbacks, as JSON
(or form) objects, one or a list, not signed:

- status: ``{"id": "<provider id>", "status": "delivered"}``, with the
  normalized statuses (sent, delivered, failed, unknown) and optionally
  ``failure_code``, ``detail``, ``segments`` and ``price``;
- inbound: ``{"from": "+15551230001", "to": "...", "body": "STOP"}``, with
  optionally ``id`` and ``received_at``.
"""

import uuid

from .base import (
    FAILURE_CODES,
    STATUSES,
    Gateway,
    WebhookError,
    as_items,
    webhook_id,
    webhook_number,
    webhook_text,
)


class SandboxGateway(Gateway):
    """Local provider for demos and tests: every message is accepted."""

    provider = "sandbox"
    label = "Sandbox"
    default_base_url = ""
    max_batch = 1000
    # Demos: picture messages to any number, as many images as the company
    # allows (the company setting is checked before sending).
    supports_mms = True
    mms_max_media = 100

    def send(self, messages, before_request=None, after_request=None):
        # Nothing leaves Odoo: no request to announce (before_request) and
        # every result is returned at once.
        return [
            self.accepted(message, provider_id=f"sandbox-{message.uuid}")
            for message in messages
        ]

    def test_connection(self):
        return "The sandbox gateway is ready: messages are stored, never sent."

    @classmethod
    def check_sender(cls, sender):
        if sender and len(sender) > 64:
            return "The sender must have at most 64 characters."
        return None

    # ------------------------------------------------------------------
    # simulated webhooks (not signed)
    # ------------------------------------------------------------------
    def _parse_status(self, request):
        reports = []
        for entry in as_items(self._payload(request), "sandbox payload"):
            status = webhook_text(entry.get("status"), "status", 64, required=True)
            status = status.strip().lower()
            if status not in STATUSES:
                raise WebhookError(
                    f"The sandbox status must be one of {', '.join(STATUSES)}."
                )
            failure = webhook_text(entry.get("failure_code"), "failure_code", 64)
            if failure and failure not in FAILURE_CODES:
                raise WebhookError("Unknown sandbox failure_code.")
            detail = webhook_text(entry.get("detail"), "detail", 500)
            if status == "failed" and not detail:
                detail = "The sandbox reported the message as failed."
            reports.append(
                self.status_report(
                    webhook_id(entry.get("id"), "id"),
                    status,
                    raw_status=status,
                    failure_code=failure or "unknown",
                    detail=detail,
                    segments=entry.get("segments"),
                    price=entry.get("price"),
                )
            )
        return reports

    def _parse_inbound(self, request):
        messages = []
        for entry in as_items(self._payload(request), "sandbox payload"):
            provider_id = entry.get("id") or f"sandbox-in-{uuid.uuid4().hex}"
            messages.append(
                self.inbound_message(
                    provider_id,
                    webhook_number(entry.get("from"), "from", required=True),
                    webhook_number(entry.get("to"), "to"),
                    webhook_text(entry.get("body"), "body"),
                    received_at=entry.get("received_at"),
                )
            )
        return messages
