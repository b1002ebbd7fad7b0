"""Plivo Message API (reference section 7).

JSON, HTTP Basic (Auth ID, Auth Token). Plivo can take up to 1000
destinations joined with '<' in ``dst`` when they share body and sender, but
its answer lists ``message_uuid`` without saying which uuid belongs to which
number, and drops rejected numbers into ``invalid_number``: the mapping of
provider ids to our messages would not be reliable. Since each message needs
its own provider id (delivery reports are matched by it), this adapter sends
one message per request, with bounded concurrency.

Webhooks (7.3-7.5): status callbacks and inbound messages come form-encoded
(POST, or GET as configured), signed with the V3 scheme: header
``X-Plivo-Signature-V3`` (one or more comma-separated Base64 signatures, for
rotated tokens) = HMAC-SHA256(Auth Token, "<base>.<nonce>") with the nonce of
``X-Plivo-Signature-V3-Nonce``. The base is the URL without its query, then
"?" and the sorted query as k=v joined by "&" (GET: with every parameter),
and for POST, after a "." when there was a query, each body parameter as
name+value sorted by name. The scheme has no timestamp: a nonce+signature
seen before is refused (replay), within this process's memory. The older V2
scheme (URL + nonce only, the body unsigned) is not accepted.
"""

import hashlib
from urllib.parse import parse_qs, quote, urlsplit, urlunsplit

from .base import (
    Gateway,
    b64_hmac,
    compare,
    inbound_media,
    is_alphanumeric_id,
    is_e164,
    is_short_code,
    to_float,
    to_int,
    webhook_id,
    webhook_number,
    webhook_text,
)

# Plivo's send errors are plain text ({"api_id", "error"}), no codes [P]:
# a few phrases are recognised, the rest falls back to the HTTP status.
PLIVO_PHRASES = (
    ("opted out", "opted_out"),
    ("unsubscribed", "opted_out"),
    ("insufficient", "insufficient_credit"),
    ("credit", "insufficient_credit"),
    ("authentication", "authentication"),
    ("dst", "invalid_number"),
    ("destination", "invalid_number"),
)
# Status of a status callback (reference 7.3) -> normalized status.
PLIVO_STATUS = {
    "queued": "sent",
    "sent": "sent",
    "delivered": "delivered",
    "read": "delivered",
    "failed": "failed",
    "undelivered": "failed",
    "rejected": "failed",
}
# ErrorCode of failed callbacks (reference 7.3; 200 and 900 confirmed).
PLIVO_ERRORS = {
    "10": ("rejected", "invalid message"),
    "20": ("server_error", "network error"),
    "30": ("rejected", "spam detected"),
    "40": ("rejected", "invalid source number"),
    "50": ("invalid_number", "invalid destination number"),
    "200": ("opted_out", "the destination has opted out"),
    "900": ("insufficient_credit", "insufficient credit"),
}


class PlivoGateway(Gateway):
    provider = "plivo"
    label = "Plivo"
    default_base_url = "https://api.plivo.com"
    max_batch = 1
    credential_keys = ("auth_id", "auth_token")
    signs_webhooks = True
    webhook_key_name = "auth_token"
    replay_ttl = 86400  # no timestamp in the scheme: remember nonces a day
    # Picture messages: "type": "mms" with "media_urls" (reference 7.2), from
    # US and Canadian long codes to US/Canadian carriers, under 5 MB in all.
    # Source: https://support.plivo.com/hc/en-us/sections/360008302871-MMS
    supports_mms = True
    mms_max_media = 10
    mms_max_bytes = 5 * 1024 * 1024
    mms_regions = frozenset({"US", "CA"})

    @staticmethod
    def wire_number(value):
        return value[1:] if value.startswith("+") else value

    def _media_auth(self):
        # Received media are read from the Media API with the account's
        # HTTP Basic credentials.
        return self._auth()

    def _account_path(self):
        return "/v1/Account/" + quote(self.credentials["auth_id"], safe="") + "/"

    def _auth(self):
        return (self.credentials["auth_id"], self.credentials["auth_token"])

    def _build_request(self, batch):
        (message,) = batch
        payload = {
            "src": self.wire_number(self.sender_for(message)),
            "dst": self.wire_number(message.number),
            "text": message.body,
            "type": "sms",
        }
        if self.status_url:
            payload["url"] = self.status_url
            payload["method"] = "POST"
        if message.media:
            payload["type"] = "mms"
            payload["media_urls"] = [media.url for media in message.media]
        return {
            "method": "POST",
            "url": self.url(self._account_path() + "Message/"),
            "json": payload,
            "auth": self._auth(),
        }

    def _parse_success(self, batch, response):
        (message,) = batch
        data = self._json(response)
        uuids = data.get("message_uuid") or []
        invalid = [str(number) for number in data.get("invalid_number") or []]
        if self.wire_number(message.number) in invalid or (invalid and not uuids):
            return [
                self.failed(
                    message,
                    "invalid_number",
                    f"Plivo rejected the destination number ({data.get('message')}).",
                )
            ]
        if not isinstance(uuids, list) or len(uuids) != 1 or not uuids[0]:
            raise ValueError("expected one message uuid")
        return [self.accepted(message, provider_id=uuids[0])]

    def _error_info(self, response):
        try:
            data = response.json()
        except ValueError:
            return "", (response.text or "").strip()[:200]
        if not isinstance(data, dict):
            return "", ""
        return "", str(data.get("error") or data.get("message") or "")

    def _error_result(self, message, response):
        result = super()._error_result(message, response)
        if result.outcome != "failed" or result.failure_code != "rejected":
            return result
        _code, text = self._error_info(response)
        lowered = text.lower()
        for phrase, failure in PLIVO_PHRASES:
            if phrase in lowered:
                return self.failed(message, failure, result.detail)
        return result

    def _test_request(self):
        return {
            "method": "GET",
            "url": self.url(self._account_path()),
            "auth": self._auth(),
        }

    def _describe_account(self, data):
        name = data.get("name") or data["auth_id"]
        credits = data.get("cash_credits")
        text = f"Connected to the Plivo account '{name}'"
        return text + (f", credit {credits}." if credits is not None else ".")

    @classmethod
    def check_sender(cls, sender):
        if not sender:
            return "Plivo needs a sender: a phone number or an alphanumeric sender ID."
        if (
            is_e164(sender)
            or is_e164("+" + sender)
            or is_short_code(sender)
            or is_alphanumeric_id(sender)
        ):
            return None
        return (
            f"'{sender}' is not a valid Plivo sender: use a phone number in "
            "international format (+14155550100), a short code, or an alphanumeric "
            "sender ID of at most 11 letters and digits with at least one letter."
        )

    # ------------------------------------------------------------------
    # webhooks
    # ------------------------------------------------------------------
    def _verify_signature(self, request, key):
        signatures = request.header("x-plivo-signature-v3")
        nonce = request.header("x-plivo-signature-v3-nonce")
        url = request.url
        if not signatures or not nonce or not isinstance(url, str) or not url:
            return False
        method = str(request.method).upper()
        if method == "POST":
            if request.raw and request.content_type not in (
                "",
                "application/x-www-form-urlencoded",
            ):
                return False  # a body the signature would not cover
            base = plivo_base_post(url, self._form_pairs(request))
        elif method == "GET":
            base = plivo_base_get(url)
        else:
            return False
        expected = b64_hmac(key, f"{base}.{nonce}", hashlib.sha256)
        return any(
            compare(expected, signature.strip())
            for signature in signatures.split(",")[:10]
        )

    def _replay_key(self, request):
        nonce = request.header("x-plivo-signature-v3-nonce")
        signature = request.header("x-plivo-signature-v3")
        return f"{nonce}:{signature}" if nonce and signature else ""

    def _parse_status(self, request):
        fields = self._fields(request)
        if "Status" not in fields and "Text" in fields:
            return []  # an inbound message posted to the status URL
        raw = webhook_text(fields.get("Status"), "Status", 64, required=True).lower()
        status = PLIVO_STATUS.get(raw, "unknown")
        failure = detail = ""
        if status == "failed":
            code = webhook_text(fields.get("ErrorCode"), "ErrorCode", 16).strip()
            code = code.lstrip("0") or code
            failure, text = PLIVO_ERRORS.get(code, ("unknown", ""))
            detail = self.failure_detail(code, text, raw)
        return [
            self.status_report(
                webhook_id(fields.get("MessageUUID"), "MessageUUID"),
                status,
                raw_status=raw,
                failure_code=failure,
                detail=detail,
                segments=to_int(fields.get("Units")),
                price=to_float(fields.get("TotalAmount")),
            )
        ]

    def _parse_inbound(self, request):
        fields = self._fields(request)
        if "Text" not in fields and "Status" in fields:
            return []  # a status callback posted to the inbound URL
        return [
            self.inbound_message(
                webhook_id(fields.get("MessageUUID"), "MessageUUID"),
                webhook_number(fields.get("From"), "From", required=True),
                webhook_number(fields.get("To"), "To"),
                webhook_text(fields.get("Text"), "Text"),
                media=plivo_media(fields),
            )
        ]


def plivo_media(fields):
    """Media of an inbound MMS: Media0 ... MediaN URLs (reference 7.5); the
    content type is known only once downloaded."""
    return inbound_media((fields.get(f"Media{n}"), "", 0) for n in range(10))


def _plivo_root(url):
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", "")), parts.query


def _plivo_query(query):
    values = parse_qs(query, keep_blank_values=True)
    return "&".join(
        f"{name}={value}" for name in sorted(values) for value in sorted(values[name])
    )


def plivo_base_get(url):
    """V3 base string of a GET callback: URL, then '?' and the sorted query."""
    root, query = _plivo_root(url)
    text = _plivo_query(query)
    return f"{root}?{text}" if text else root


def plivo_base_post(url, params):
    """V3 base string of a POST callback with body ``params`` (name, value)."""
    root, query = _plivo_root(url)
    text = _plivo_query(query)
    if not params:
        return f"{root}?{text}" if text else root
    values = {}
    for name, value in params:
        values.setdefault(name, []).append(value)
    body = "".join(
        name + value for name in sorted(values) for value in sorted(values[name])
    )
    return f"{root}?{text}." + body if text else f"{root}?" + body
