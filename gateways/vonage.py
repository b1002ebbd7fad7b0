"""Vonage SMS API (reference section 5.1).

One message per request to ``/sms/json``, form-encoded, with ``api_key`` and
``api_secret`` in the body. Vonage answers HTTP 200 even on errors: each part
of the message has its own string ``status`` ("0" = accepted).

Webhooks (5.2-5.5): delivery receipts and inbound messages of the SMS API
come as GET query, POST form or POST JSON. They are checked with the
account's signature secret (credential ``signature_secret``):

- signed webhooks (5.4): a ``sig`` parameter over every other parameter,
  with any of the dashboard's methods (md5hash, HMAC-MD5/SHA1/SHA256/SHA512,
  told apart by the length of ``sig``); ``timestamp`` must be within 5
  minutes and a ``sig`` seen before is refused (replay);
- JWT-signed webhooks of the Messages API (5.5): ``Authorization: Bearer``
  with an HS256 JWT signed with the signature secret (confirmed); its
  ``payload_hash`` claim, the SHA-256 of the body, is required when there is
  a body, and ``iat`` (or ``exp``) bounds its age (both UNCONFIRMED details).

Status and inbound bodies of the Messages API (``message_uuid``) are read
too; their field names are UNCONFIRMED (reference 5.5 [P]). A long message
gets one receipt per part, each with its own ``messageId``: only the first
part's id is the provider id we keep, the other parts' receipts match no
message.
"""

import hashlib
import hmac
import json
import time

from .base import (
    Gateway,
    WebhookError,
    b64_decode,
    compare,
    is_alphanumeric_id,
    is_e164,
    is_fresh,
    is_gsm7,
    to_float,
    to_int,
    unix_time,
    webhook_id,
    webhook_number,
    webhook_text,
)

VONAGE_STATUS = {
    "1": "rate_limited",  # throttled
    "2": "rejected",  # missing parameters
    "3": "rejected",  # invalid parameters
    "4": "authentication",  # invalid credentials
    "5": "server_error",  # internal error
    "6": "invalid_number",  # invalid message (e.g. unrecognized number prefix)
    "7": "opted_out",  # number barred
    "8": "rejected",  # partner account barred
    "9": "insufficient_credit",  # partner quota violation
    "10": "rate_limited",  # too many existing binds
    "11": "authentication",  # account not enabled for HTTP
    "12": "rejected",  # message too long
    "14": "authentication",  # invalid signature
    "15": "rejected",  # invalid sender address
    "22": "rejected",  # invalid network code
    "23": "rejected",  # invalid callback URL
    "29": "rejected",  # non-whitelisted destination (trial account)
    "32": "authentication",  # signature and API secret disallowed
    "33": "invalid_number",  # number de-activated
}
# Delivery receipt ``status`` (reference 5.2) -> normalized status.
VONAGE_DLR_STATUS = {
    "accepted": "sent",
    "buffered": "sent",
    "delivered": "delivered",
    "expired": "failed",
    "failed": "failed",
    "rejected": "failed",
    "unknown": "unknown",
}
# Delivery receipt ``err-code`` (reference 5.2; only 9 is confirmed).
VONAGE_DLR_ERRORS = {
    "1": ("unknown", "unknown error"),
    "2": ("rejected", "absent subscriber (temporary)"),
    "3": ("invalid_number", "absent subscriber (permanent)"),
    "4": ("rejected", "call barred by the user"),
    "5": ("rejected", "portability error"),
    "6": ("rejected", "anti-spam rejection"),
    "7": ("rejected", "handset busy"),
    "8": ("server_error", "network error"),
    "9": ("opted_out", "the recipient opted out from this sender"),
    "10": ("rejected", "illegal message"),
    "11": ("rejected", "unroutable"),
    "12": ("rejected", "destination unreachable"),
    "99": ("unknown", "general error"),
}
# Messages API status webhook ``status`` (reference 5.5).
VONAGE_MESSAGES_STATUS = {
    "submitted": "sent",
    "delivered": "delivered",
    "read": "delivered",
    "rejected": "failed",
    "undeliverable": "failed",
}
VONAGE_ERROR_PHRASES = (
    ("opted out", "opted_out"),
    ("opt-out", "opted_out"),
    ("unsubscribed", "opted_out"),
    ("balance", "insufficient_credit"),
    ("credit", "insufficient_credit"),
    ("invalid number", "invalid_number"),
)
# Length of ``sig`` -> hash functions that give it (5.4). "md5hash" is MD5 of
# the string with the secret appended; the others are HMACs keyed with it.
VONAGE_SIG_METHODS = {
    32: ("md5hash", "md5"),
    40: ("sha1",),
    64: ("sha256",),
    128: ("sha512",),
}


class VonageGateway(Gateway):
    provider = "vonage"
    label = "Vonage"
    default_base_url = "https://rest.nexmo.com"
    max_batch = 1
    credential_keys = ("api_key", "api_secret")
    error_map = VONAGE_STATUS
    # Vonage explicitly reports these as "not submitted, slow down / retry".
    retryable_codes = frozenset({"1", "5", "10"})
    signs_webhooks = True
    webhook_key_name = "signature_secret"
    webhook_credential_keys = ("signature_secret",)

    @staticmethod
    def wire_number(value):
        """Vonage numbers are international digits without '+' (5.6)."""
        return value[1:] if value.startswith("+") else value

    def _build_request(self, batch):
        (message,) = batch
        data = {
            "api_key": self.credentials["api_key"],
            "api_secret": self.credentials["api_secret"],
            "from": self.wire_number(self.sender_for(message)),
            "to": self.wire_number(message.number),
            "text": message.body,
            "client-ref": message.uuid,
        }
        if not is_gsm7(message.body):
            data["type"] = "unicode"
        if self.status_url and len(self.status_url) <= 100:
            data["callback"] = self.status_url
            data["status-report-req"] = "1"
        return {"method": "POST", "url": self.url("/sms/json"), "data": data}

    def _parse_success(self, batch, response):
        (message,) = batch
        parts = self._json(response)["messages"]
        if not isinstance(parts, list) or not parts:
            raise ValueError("no message parts")
        statuses = [str(part["status"]) for part in parts]
        failed = [part for part in parts if str(part["status"]) != "0"]
        if not failed:
            prices = [to_float(part.get("message-price")) for part in parts]
            return [
                self.accepted(
                    message,
                    provider_id=parts[0]["message-id"],
                    segments=len(parts),
                    price=sum(prices) if None not in prices else None,
                )
            ]
        first = failed[0]
        code = str(first["status"])
        detail = f"Vonage status {code}: {first.get('error-text') or 'error'}"
        if len(failed) < len(parts):
            # Some parts went out: never retry, the recipient would get them twice.
            detail += f" ({statuses.count('0')} of {len(parts)} parts accepted)"
            return [self.failed(message, self.error_map.get(code, "rejected"), detail)]
        return [
            self.failed(
                message,
                self.error_map.get(code, "rejected"),
                detail,
                retryable=code in self.retryable_codes,
            )
        ]

    def _error_info(self, response):
        try:
            data = response.json()
        except ValueError:
            return "", ""
        if not isinstance(data, dict):
            return "", ""
        text = data.get("error-text") or data.get("title") or data.get("detail") or ""
        return "", str(text)

    def _test_request(self):
        return {
            "method": "GET",
            "url": self.url("/account/get-balance"),
            "auth": (self.credentials["api_key"], self.credentials["api_secret"]),
        }

    def _describe_account(self, data):
        return f"Connected to Vonage, balance {float(data['value']):.2f} EUR."

    @classmethod
    def check_sender(cls, sender):
        if not sender:
            return "Vonage needs a sender: a phone number or an alphanumeric sender ID."
        if is_e164(sender) or is_e164("+" + sender) or is_alphanumeric_id(sender):
            return None
        return (
            f"'{sender}' is not a valid Vonage sender: use a phone number in "
            "international format (+447700900000) or an alphanumeric sender ID of "
            "at most 11 letters and digits with at least one letter."
        )

    # ------------------------------------------------------------------
    # webhooks
    # ------------------------------------------------------------------
    def _bearer(self, request):
        header = request.header("authorization")
        return header[7:].strip() if header[:7].lower() == "bearer " else ""

    def _verify_signature(self, request, key):
        token = self._bearer(request)
        if token:
            return self._verify_jwt(request, token, key)
        fields = self._fields(request)
        signature = fields.get("sig")
        if not isinstance(signature, str) or len(signature) not in VONAGE_SIG_METHODS:
            return False
        if not is_fresh(unix_time(fields.get("timestamp")), self.webhook_max_age):
            return False
        signature = signature.lower()
        return any(
            compare(vonage_signature(key, fields, method), signature)
            for method in VONAGE_SIG_METHODS[len(signature)]
        )

    def _verify_jwt(self, request, token, key):
        parts = token.split(".")
        if len(parts) != 3 or len(token) > 8192:
            return False
        header = json.loads(b64_decode(parts[0], urlsafe=True))
        if not isinstance(header, dict) or header.get("alg") != "HS256":
            return False
        expected = hmac.new(
            key.encode("utf-8"),
            f"{parts[0]}.{parts[1]}".encode("ascii"),
            hashlib.sha256,
        ).digest()
        if not compare(expected, b64_decode(parts[2], urlsafe=True)):
            return False
        claims = json.loads(b64_decode(parts[1], urlsafe=True))
        if not isinstance(claims, dict):
            return False
        now = time.time()
        issued, expires = claims.get("iat"), claims.get("exp")
        not_before = claims.get("nbf")
        numbers = [v for v in (issued, expires, not_before) if v is not None]
        if not all(
            isinstance(v, int | float) and not isinstance(v, bool) for v in numbers
        ):
            return False
        if issued is None and expires is None:
            return False  # nothing bounds the token's age
        if issued is not None and not is_fresh(issued, self.webhook_max_age, now):
            return False
        if expires is not None and now > expires:
            return False
        if not_before is not None and now < not_before - 30:
            return False
        body = request.raw
        if body or "payload_hash" in claims:
            payload_hash = claims.get("payload_hash")
            if not isinstance(payload_hash, str):
                return False
            return compare(hashlib.sha256(body).hexdigest(), payload_hash.lower())
        return True

    def _replay_key(self, request):
        token = self._bearer(request)
        if token:
            return "jwt:" + token.rpartition(".")[2]
        signature = self._fields(request).get("sig")
        return "sig:" + signature.lower() if isinstance(signature, str) else ""

    def _parse_status(self, request):
        fields = self._fields(request)
        if "message_uuid" in fields:
            return self._messages_api_status(fields)
        if "status" not in fields and ("text" in fields or "msisdn" in fields):
            return []  # an inbound message posted to the status URL
        raw = webhook_text(fields.get("status"), "status", 64, required=True).lower()
        status = VONAGE_DLR_STATUS.get(raw, "unknown")
        failure = detail = ""
        code = webhook_text(fields.get("err-code"), "err-code", 16).strip()
        if status == "failed":
            failure, text = VONAGE_DLR_ERRORS.get(code, ("unknown", ""))
            detail = self.failure_detail(code, text, raw)
        return [
            self.status_report(
                webhook_id(fields.get("messageId"), "messageId"),
                status,
                raw_status=raw,
                failure_code=failure,
                detail=detail,
                price=webhook_text(fields.get("price"), "price", 32) or None,
            )
        ]

    def _messages_api_status(self, fields):
        raw = webhook_text(fields.get("status"), "status", 64)
        if not raw:
            if "text" in fields:
                return []  # an inbound message
            raise WebhookError("Vonage status webhook without status.")
        raw = raw.lower()
        status = VONAGE_MESSAGES_STATUS.get(raw, "unknown")
        failure = detail = ""
        if status == "failed":
            error = fields.get("error") if isinstance(fields.get("error"), dict) else {}
            code = webhook_text(error.get("title"), "error.title", 100)
            text = webhook_text(error.get("detail"), "error.detail", 500)
            lowered = f"{code} {text}".lower()
            failure = next(
                (fail for word, fail in VONAGE_ERROR_PHRASES if word in lowered),
                "unknown",
            )
            detail = self.failure_detail(code, text, raw)
        usage = fields.get("usage") if isinstance(fields.get("usage"), dict) else {}
        sms = fields.get("sms") if isinstance(fields.get("sms"), dict) else {}
        return [
            self.status_report(
                webhook_id(fields.get("message_uuid"), "message_uuid"),
                status,
                raw_status=raw,
                failure_code=failure,
                detail=detail,
                segments=to_int(sms.get("count_total")),
                price=to_float(usage.get("price")),
            )
        ]

    def _parse_inbound(self, request):
        fields = self._fields(request)
        if "status" in fields and "text" not in fields:
            return []  # a delivery receipt posted to the inbound URL
        if "message_uuid" in fields:
            return [
                self.inbound_message(
                    fields["message_uuid"],
                    webhook_number(fields.get("from"), "from", required=True),
                    webhook_number(fields.get("to"), "to"),
                    webhook_text(fields.get("text"), "text"),
                    received_at=fields.get("timestamp"),
                )
            ]
        concat = {}
        if str(fields.get("concat", "")).lower() == "true":
            part = to_int(webhook_text(fields.get("concat-part"), "concat-part", 8))
            total = to_int(webhook_text(fields.get("concat-total"), "concat-total", 8))
            if not part or not total or not 0 < part <= total <= 255:
                raise WebhookError("Vonage message part numbers are not valid.")
            concat = {
                "concat_ref": webhook_id(fields.get("concat-ref"), "concat-ref"),
                "part": part,
                "total_parts": total,
            }
        return [
            self.inbound_message(
                fields.get("messageId"),
                webhook_number(fields.get("msisdn"), "msisdn", required=True),
                webhook_number(fields.get("to"), "to"),
                webhook_text(fields.get("text"), "text"),
                received_at=fields.get("message-timestamp"),
                **concat,
            )
        ]


def vonage_signature(secret, params, method):
    """Hex signature of ``params`` (without ``sig``) by ``method`` (5.4)."""
    text = ""
    for name in sorted(params):
        if name == "sig":
            continue
        value = params[name]
        if isinstance(value, dict | list):
            raise WebhookError("Nested values cannot be signed.")
        value = value if isinstance(value, str) else str(value)
        text += "&{}={}".format(name, value.replace("&", "_").replace("=", "_"))
    data, key = text.encode("utf-8"), secret.encode("utf-8")
    if method == "md5hash":
        return hashlib.md5(data + key).hexdigest()
    return hmac.new(key, data, method).hexdigest()
