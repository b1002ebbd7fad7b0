"""Telnyx Messaging API v2 (reference section 6).

One message per JSON request, ``Authorization: Bearer <API key>``. Errors come
as ``{"errors": [{"code", "title", "detail"}]}``; the code decides the failure
(40300, "blocked by STOP", may come with HTTP 400 or 403: unconfirmed).
An optional ``messaging_profile_id`` in the credentials is sent along (it is
needed for alphanumeric senders).

Webhooks (6.4): JSON events ``message.sent``, ``message.finalized`` (delivery
status) and ``message.received`` (inbound), signed with Ed25519: header
``telnyx-signature-ed25519`` is the Base64 signature of
``"{telnyx-timestamp}|{raw body}"``, checked with the account's public key
(credential ``public_key``, Base64 of 32 bytes, from the portal). Requests
older or newer than 5 minutes, and a signature seen before, are refused. The
check needs the ``cryptography`` package (shipped with Odoo); without it
every request is refused.
"""

from .base import (
    Gateway,
    WebhookError,
    b64_decode,
    inbound_media,
    is_alphanumeric_id,
    is_e164,
    is_fresh,
    is_short_code,
    to_float,
    to_int,
    unix_time,
    webhook_id,
    webhook_number,
    webhook_text,
)

try:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
except ImportError:  # pragma: no cover - cryptography ships with Odoo
    Ed25519PublicKey = InvalidSignature = None

# to[].status of message.sent / message.finalized (reference 6.4).
TELNYX_STATUS = {
    "queued": "sent",
    "sending": "sent",
    "sent": "sent",
    "delivered": "delivered",
    "delivery_unconfirmed": "unknown",
    "sending_failed": "failed",
    "delivery_failed": "failed",
    "expired": "failed",
}
TELNYX_STATUS_EVENTS = frozenset({"message.sent", "message.finalized"})


class TelnyxGateway(Gateway):
    provider = "telnyx"
    label = "Telnyx"
    default_base_url = "https://api.telnyx.com"
    max_batch = 1
    credential_keys = ("api_key",)
    error_map = {
        "10002": "invalid_number",
        "10009": "authentication",
        "10011": "rate_limited",
        "10016": "invalid_number",
        "40001": "rejected",  # not routable
        "40002": "rejected",  # blocked as spam
        "40003": "rejected",  # blocked as spam
        "40008": "rejected",  # undeliverable
        "40011": "rate_limited",  # carrier rate limit
        "40012": "invalid_number",
        "40013": "rejected",  # invalid source number
        "40300": "opted_out",  # blocked due to a STOP message
        "40318": "rate_limited",  # queue full
    }
    # UNCONFIRMED (reference 6.2): the insufficient-balance code; HTTP 402
    # falls back to insufficient_credit.
    retryable_codes = frozenset({"10011", "40318"})
    signs_webhooks = True
    webhook_key_name = "public_key"
    webhook_credential_keys = ("public_key",)
    # Picture messages: "media_urls" (up to 10 URLs Telnyx fetches at send
    # time), type "MMS", US/Canada long codes, toll-free and short codes;
    # carriers cap the size (about 1 MB on long codes for the strictest).
    # Source: https://developers.telnyx.com/docs/messaging/messages/mms-transcoding
    supports_mms = True
    mms_max_media = 10
    mms_max_bytes = 1024 * 1024
    mms_types = frozenset({"image/jpeg", "image/png", "image/gif", "image/bmp"})
    mms_regions = frozenset({"US", "CA"})
    # Delivery error codes of webhooks (reference 6.2) beyond the send ones.
    delivery_error_map = {
        "40005": "unknown",  # expired during transmission
        "40014": "rate_limited",  # expired while queued
    }

    def _headers(self):
        return {"Authorization": f"Bearer {self.credentials['api_key']}"}

    def _build_request(self, batch):
        (message,) = batch
        payload = {
            "from": self.sender_for(message),
            "to": message.number,
            "text": message.body,
            "type": "SMS",
        }
        profile = self.credentials.get("messaging_profile_id")
        if profile:
            payload["messaging_profile_id"] = profile
        if self.status_url:
            payload["webhook_url"] = self.status_url
        if message.media:
            payload["type"] = "MMS"
            payload["media_urls"] = [media.url for media in message.media]
        return {
            "method": "POST",
            "url": self.url("/v2/messages"),
            "json": payload,
            "headers": self._headers(),
        }

    def _parse_success(self, batch, response):
        (message,) = batch
        data = self._json(response)["data"]
        if not data.get("id"):
            raise ValueError("no message id")
        cost = data.get("cost") or {}
        return [
            self.accepted(
                message,
                provider_id=data["id"],
                segments=to_int(data.get("parts")),
                price=to_float(cost.get("amount")) if isinstance(cost, dict) else None,
            )
        ]

    def _error_info(self, response):
        try:
            data = response.json()
        except ValueError:
            return "", ""
        errors = data.get("errors") if isinstance(data, dict) else None
        if not isinstance(errors, list) or not errors:
            return "", ""
        error = errors[0] if isinstance(errors[0], dict) else {}
        title, detail = error.get("title") or "", error.get("detail") or ""
        if title and detail and not detail.startswith(title):
            text = f"{title}: {detail}"
        else:
            text = detail or title
        return str(error.get("code") or ""), text

    def _test_request(self):
        return {
            "method": "GET",
            "url": self.url("/v2/balance"),
            "headers": self._headers(),
        }

    def _describe_account(self, data):
        balance = data["data"]
        return (
            f"Connected to Telnyx, balance {balance['balance']} "
            f"{balance.get('currency', '')}".rstrip()
            + "."
        )

    @classmethod
    def check_sender(cls, sender):
        if not sender:
            return "Telnyx needs a sender: a phone number, short code or sender ID."
        if is_e164(sender) or is_short_code(sender) or is_alphanumeric_id(sender):
            return None
        return (
            f"'{sender}' is not a valid Telnyx sender: use a phone number in "
            "+E.164 format (+15551234567), a short code, or an alphanumeric sender "
            "ID of 1 to 11 letters and digits with at least one letter."
        )

    # ------------------------------------------------------------------
    # webhooks
    # ------------------------------------------------------------------
    def _verify_signature(self, request, key):
        if Ed25519PublicKey is None:
            return False
        signature = request.header("telnyx-signature-ed25519")
        stamp = request.header("telnyx-timestamp")
        if not signature or not is_fresh(unix_time(stamp), self.webhook_max_age):
            return False
        public_key = b64_decode(key)
        signature = b64_decode(signature)
        if len(public_key) != 32 or len(signature) != 64:
            return False
        try:
            Ed25519PublicKey.from_public_bytes(public_key).verify(
                signature, stamp.encode("ascii") + b"|" + request.raw
            )
        except InvalidSignature:
            return False
        return True

    def _replay_key(self, request):
        return request.header("telnyx-signature-ed25519")

    def _event(self, request):
        """(event_type, payload) of a Telnyx webhook."""
        data = self._json_payload(request)
        event = data.get("data") if isinstance(data, dict) else None
        if not isinstance(event, dict):
            raise WebhookError("Telnyx webhook without data.")
        kind = webhook_text(event.get("event_type"), "event_type", 100, required=True)
        payload = event.get("payload")
        if not isinstance(payload, dict):
            raise WebhookError("Telnyx webhook without payload.")
        return kind, payload, event

    @staticmethod
    def _first_recipient(payload, required=True):
        recipients = payload.get("to")
        if not required and recipients in (None, "", []):
            return {}
        if isinstance(recipients, list) and recipients:
            recipient = recipients[0]
        else:
            recipient = recipients
        if isinstance(recipient, str):
            return {"phone_number": recipient}
        if not isinstance(recipient, dict):
            raise WebhookError("Telnyx webhook without recipient.")
        return recipient

    def _parse_status(self, request):
        kind, payload, _event = self._event(request)
        if kind not in TELNYX_STATUS_EVENTS:
            return []
        recipient = self._first_recipient(payload)
        raw = webhook_text(recipient.get("status"), "status", 64, required=True)
        raw = raw.lower()
        status = TELNYX_STATUS.get(raw, "unknown")
        failure = detail = ""
        if status == "failed":
            errors = payload.get("errors")
            error = errors[0] if isinstance(errors, list) and errors else {}
            error = error if isinstance(error, dict) else {}
            code = webhook_text(error.get("code"), "errors.code", 16).strip()
            title = webhook_text(error.get("title"), "errors.title", 200)
            text = webhook_text(error.get("detail"), "errors.detail", 500)
            if title and text and not text.startswith(title):
                text = f"{title}: {text}"
            failure = self.delivery_error_map.get(code) or self.error_map.get(
                code, "unknown"
            )
            detail = self.failure_detail(code, text or title, raw)
        cost = payload.get("cost") if isinstance(payload.get("cost"), dict) else {}
        return [
            self.status_report(
                webhook_id(payload.get("id"), "id"),
                status,
                raw_status=raw,
                failure_code=failure,
                detail=detail,
                segments=to_int(payload.get("parts")),
                price=to_float(cost.get("amount")),
            )
        ]

    def _parse_inbound(self, request):
        kind, payload, event = self._event(request)
        if kind != "message.received":
            return []
        sender = payload.get("from")
        sender = sender.get("phone_number") if isinstance(sender, dict) else sender
        recipient = self._first_recipient(payload, required=False)
        return [
            self.inbound_message(
                webhook_id(payload.get("id"), "id"),
                webhook_number(sender, "from", required=True),
                webhook_number(recipient.get("phone_number"), "to"),
                webhook_text(payload.get("text"), "text"),
                received_at=payload.get("received_at") or event.get("occurred_at"),
                media=telnyx_media(payload),
            )
        ]


def telnyx_media(payload):
    """Media of a message.received payload: "media": [{"url", "content_type",
    "size"}] (https://developers.telnyx.com/docs/messaging/messages/send-receive-mms)."""
    items = payload.get("media")
    items = items if isinstance(items, list) else []
    return inbound_media(
        (item.get("url"), item.get("content_type"), item.get("size"))
        for item in items
        if isinstance(item, dict)
    )
