"""EZ Texting REST API (reference section 4), ``https://a.eztexting.com/v1``.

JSON, HTTP Basic (username, password). Confirmed: base URL and auth.
UNCONFIRMED (reference 4.1/4.2, read in an unofficial preview of the docs):
the body fields of ``POST /v1/messages`` (``toNumbers``, ``message``,
``messageType``), the 201 answer and its id field (read here from ``id``,
``messageId`` or ``data.id``), the error envelope ``{status, title, detail,
errors}``, the ``X-Rate-Limit-Retry-After-Milliseconds`` header, the error
for opted-out contacts, and ``GET /v1/credits`` used by test_connection.
One number per request: a request with several numbers becomes a campaign
whose answer does not map ids back to numbers. EZ Texting sends from the
account's own number: no sender can be chosen.

Webhooks (4.3): JSON events ``inbound_text.received`` and ``keyword.opt_in``
(``id``, ``type``, ``fromNumber``, ``toNumber``, ``message``, ``received``).
With a secret set on the webhook, EZ Texting signs the raw body:
``X-Signature`` = Base64(HMAC-SHA1(secret, body)); the secret is the
``webhook_secret`` credential and a request without a valid signature is
refused. The scheme has no timestamp nor nonce (no replay window); inbound
events carry an ``id`` the ORM can deduplicate on. EZ Texting has no
delivery-report webhook (UNCONFIRMED, none found).
"""

import hashlib
import re

from .base import (
    Gateway,
    WebhookError,
    as_items,
    b64_hmac,
    compare,
    to_float,
    webhook_id,
    webhook_number,
    webhook_text,
)

NANP_RE = re.compile(r"^\+1(\d{10})$")
ERROR_PHRASES = (
    ("opted out", "opted_out"),
    ("opt-out", "opted_out"),
    ("unsubscribed", "opted_out"),
    ("credit", "insufficient_credit"),
    ("phone", "invalid_number"),
    ("number", "invalid_number"),
)


class EZTextingGateway(Gateway):
    provider = "eztexting"
    label = "EZ Texting"
    default_base_url = "https://a.eztexting.com"
    max_batch = 1
    credential_keys = ("username", "password")
    signs_webhooks = True
    webhook_key_name = "webhook_secret"
    webhook_credential_keys = ("webhook_secret",)

    @staticmethod
    def wire_number(value):
        match = NANP_RE.match(value or "")
        return match.group(1) if match else None

    def _auth(self):
        return (self.credentials["username"], self.credentials["password"])

    def _message_problem(self, message):
        problem = super()._message_problem(message)
        if problem:
            return problem
        if not self.wire_number(message.number):
            return self.failed(
                message,
                "invalid_number",
                f"EZ Texting only sends to US and Canadian numbers, not "
                f"{message.number}.",
            )
        return None

    def _build_request(self, batch):
        (message,) = batch
        return {
            "method": "POST",
            "url": self.url("/v1/messages"),
            "json": {
                "toNumbers": [self.wire_number(message.number)],
                "message": message.body,
                "messageType": "SMS",
            },
            "auth": self._auth(),
        }

    def _parse_success(self, batch, response):
        (message,) = batch
        data = self._json(response)
        nested = data.get("data") if isinstance(data.get("data"), dict) else {}
        provider_id = data.get("id") or data.get("messageId") or nested.get("id")
        # A 201 means queued even if the id field is not where we expect it.
        return [self.accepted(message, provider_id=provider_id or "")]

    def _error_info(self, response):
        try:
            data = response.json()
        except ValueError:
            return "", ""
        if not isinstance(data, dict):
            return "", ""
        texts = [str(data.get("detail") or data.get("title") or "")]
        for error in data.get("errors") or []:
            if isinstance(error, dict) and error.get("message"):
                texts.append(str(error["message"]))
        return "", "; ".join(dict.fromkeys(text for text in texts if text))

    def _retry_after(self, response):
        millis = to_float(response.headers.get("X-Rate-Limit-Retry-After-Milliseconds"))
        if millis is not None:
            return max(millis, 0.0) / 1000.0
        return super()._retry_after(response)

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
        return {"method": "GET", "url": self.url("/v1/credits"), "auth": self._auth()}

    def _describe_account(self, data):
        if not isinstance(data, dict):
            raise ValueError("unexpected answer")
        return "Connected to EZ Texting."

    @classmethod
    def check_sender(cls, sender):
        if sender:
            return (
                "EZ Texting sends from your account's own number: leave the "
                "sender empty."
            )
        return None

    # ------------------------------------------------------------------
    # webhooks
    # ------------------------------------------------------------------
    def _verify_signature(self, request, key):
        signature = request.header("x-signature")
        if not signature:
            return False
        return compare(b64_hmac(key, request.raw, hashlib.sha1), signature)

    def _events(self, request):
        events = []
        for event in as_items(self._json_payload(request), "EZ Texting payload"):
            kind = webhook_text(event.get("type"), "type", 64, required=True)
            events.append((kind, event))
        return events

    def _parse_status(self, request):
        if self._events(request):
            return []  # inbound events; EZ Texting sends no delivery reports
        raise WebhookError("EZ Texting sends no delivery reports.")

    def _parse_inbound(self, request):
        messages = []
        for kind, event in self._events(request):
            if kind not in ("inbound_text.received", "keyword.opt_in"):
                continue
            messages.append(
                self.inbound_message(
                    webhook_id(event.get("id"), "id"),
                    webhook_number(
                        event.get("fromNumber"),
                        "fromNumber",
                        national=True,
                        required=True,
                    ),
                    webhook_number(event.get("toNumber"), "toNumber", national=True),
                    webhook_text(event.get("message"), "message"),
                    received_at=event.get("received"),
                )
            )
        return messages
