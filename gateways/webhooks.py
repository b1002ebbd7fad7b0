"""Webhooks: what a provider posts back (pure Python, no ORM).

The records a controller gets (delivery reports, inbound texts), helpers to
read untrusted payloads, and :class:`WebhookMixin`, the webhook half of an
adapter (signature check, replay guard, payload parsing).
"""

import base64
import binascii
import datetime
import hmac
import json
import logging
import math
import re
import time
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlsplit

from .common import FAILURE_CODES, to_float

_logger = logging.getLogger(__name__)

#   "sent"      accepted by the provider or the network, no final result yet
#               (queued, sending, buffered, ... are reported as "sent");
#   "delivered" final success (handset, or "read");
#   "failed"    final failure, with a failure_code of FAILURE_CODES;
#   "unknown"   the provider itself does not know, or a status word we do not
#               recognise (raw_status keeps the provider's word).
STATUSES = ("sent", "delivered", "failed", "unknown")
WEBHOOK_MAX_AGE = 300  # seconds a signed timestamp may differ from now
MAX_WEBHOOK_ITEMS = 1000  # reports or messages in one request
MAX_ID_LENGTH = 255
MAX_NUMBER_LENGTH = 64
MAX_TEXT_LENGTH = 20000  # characters of an inbound text
MAX_DETAIL_LENGTH = 500
MAX_FORM_FIELDS = 1000


@dataclass(frozen=True)
class WebhookRequest:
    """An HTTP request from a provider, as the Odoo controller received it."""

    method: str  # "POST" / "GET"
    url: str  # full URL as the provider called it (scheme://host/path?query)
    headers: dict  # header names lower-cased
    body: bytes  # raw body
    form: dict  # parsed form fields (str -> str), {} if none
    json: object = None  # parsed JSON body or None
    query: dict = field(default_factory=dict)  # query-string fields (str -> str)

    def header(self, name):
        """The value of header ``name`` (any case), "" when absent or not text."""
        headers = self.headers if isinstance(self.headers, dict) else {}
        value = headers.get(name.lower())
        if value is None:
            wanted = name.lower()
            for key, item in headers.items():
                if isinstance(key, str) and key.lower() == wanted:
                    value = item
                    break
        if isinstance(value, bytes):
            value = value.decode("latin-1")
        return value.strip() if isinstance(value, str) else ""

    @property
    def content_type(self):
        return self.header("content-type").split(";")[0].strip().lower()

    @property
    def raw(self):
        """The body as bytes (a str body is UTF-8 encoded)."""
        if isinstance(self.body, bytes | bytearray):
            return bytes(self.body)
        if isinstance(self.body, str):
            return self.body.encode("utf-8")
        return b""


@dataclass(frozen=True)
class StatusReport:
    provider_id: str  # the provider's message id (as returned at send time)
    status: str  # normalized: "sent" | "delivered" | "failed" | "unknown"
    failure_code: str = ""  # one of FAILURE_CODES when failed
    detail: str = ""  # provider's words (code + text), no credentials
    segments: int | None = None
    price: float | None = None
    raw_status: str = ""


@dataclass(frozen=True)
class InboundMessage:
    provider_id: str
    number: str  # sender, E.164 when the provider gives it so
    to: str  # our number / sender id that received it
    body: str
    received_at: str = ""  # ISO string if the provider gives one
    # Vonage delivers each part of a long text separately: the parts share
    # ``concat_ref`` and carry their number (1-based) and the total. Single
    # texts have concat_ref "" and part = total_parts = 0.
    concat_ref: str = ""
    part: int = 0
    total_parts: int = 0
    media: tuple = ()  # gateways.media.Media of a received picture message


class WebhookError(ValueError):
    """A webhook payload we cannot use; the message is short and plain."""


def compare(expected, received):
    """Constant-time comparison of two texts (False for non-text input)."""
    if isinstance(expected, str):
        expected = expected.encode("utf-8")
    if isinstance(received, str):
        received = received.encode("utf-8")
    if not isinstance(expected, bytes) or not isinstance(received, bytes):
        return False
    return hmac.compare_digest(expected, received)


def b64_hmac(key, message, digest):
    """Base64 of HMAC-<digest>(key, message) as text."""
    if isinstance(key, str):
        key = key.encode("utf-8")
    if isinstance(message, str):
        message = message.encode("utf-8")
    return base64.b64encode(hmac.new(key, message, digest).digest()).decode("ascii")


def b64_decode(value, urlsafe=False):
    """Bytes from (URL-safe) Base64 text; WebhookError when it is not Base64."""
    if not isinstance(value, str) or len(value) > 8192:
        raise WebhookError("not Base64")
    text = value.strip()
    if urlsafe:
        text = text.replace("-", "+").replace("_", "/")
        text += "=" * (-len(text) % 4)
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise WebhookError("not Base64") from None


def clip(text, limit=MAX_DETAIL_LENGTH):
    text = " ".join(str(text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def webhook_text(value, name, limit=MAX_TEXT_LENGTH, required=False):
    """Text of a payload field: str or integer, else WebhookError."""
    if value is None or value == "":
        if required:
            raise WebhookError(f"'{name}' is missing.")
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise WebhookError(f"'{name}' is not text.")
    if isinstance(value, int):
        if abs(value) > 10**30:
            raise WebhookError(f"'{name}' is too long.")
        value = str(value)
    if len(value) > limit:
        raise WebhookError(f"'{name}' is too long.")
    if "\x00" in value:
        raise WebhookError(f"'{name}' contains a NUL character.")
    return value


def webhook_id(value, name):
    """A required identifier (message id), stripped."""
    text = webhook_text(value, name, MAX_ID_LENGTH, required=True).strip()
    if not text:
        raise WebhookError(f"'{name}' is missing.")
    return text


def webhook_number(value, name, national=False, required=False):
    """A phone number as E.164 when the wire form allows it, else as given.

    Digits only (7 to 15, not starting with 0) get a '+'. With ``national``
    (US/Canadian services) 10 digits get '+1' and 11 digits starting with 1
    get '+'. Short codes and alphanumeric sender ids stay as they are.
    """
    text = webhook_text(value, name, MAX_NUMBER_LENGTH, required=required).strip()
    if national:
        if re.fullmatch(r"\d{10}", text):
            return "+1" + text
        if re.fullmatch(r"1\d{10}", text):
            return "+" + text
    if re.fullmatch(r"[1-9]\d{6,14}", text):
        return "+" + text
    return text


def webhook_time(value):
    """ISO 8601 text (UTC) from a provider time, "" when unreadable.

    Accepts unix seconds (int, float or digits), ISO 8601 with or without a
    'Z' or offset, "YYYY-MM-DD HH:MM:SS" (read as UTC).
    """
    try:
        if isinstance(value, bool) or value is None or value == "":
            return ""
        if isinstance(value, str) and re.fullmatch(r"\d{9,11}(\.\d+)?", value):
            value = float(value)
        if isinstance(value, int | float):
            when = datetime.datetime.fromtimestamp(value, datetime.timezone.utc)
        elif isinstance(value, str) and len(value) <= 64:
            text = value.strip()
            if text.endswith(("Z", "z")):
                text = text[:-1] + "+00:00"
            when = datetime.datetime.fromisoformat(text)
            if when.tzinfo is None:
                when = when.replace(tzinfo=datetime.timezone.utc)
            when = when.astimezone(datetime.timezone.utc)
        else:
            return ""
        return when.replace(microsecond=0).isoformat()
    except (ValueError, TypeError, OverflowError, OSError):
        return ""


def unix_time(value):
    """Integer unix seconds from a header or field, else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"\s*\d{1,12}\s*", value):
        return int(value)
    return None


def is_fresh(timestamp, max_age=WEBHOOK_MAX_AGE, now=None):
    """True when unix ``timestamp`` is within ``max_age`` seconds of now."""
    if timestamp is None:
        return False
    now = time.time() if now is None else now
    return abs(now - timestamp) <= max_age


def as_items(data, name="payload"):
    """A list of dicts from one dict or a list of dicts (batched payloads)."""
    items = data if isinstance(data, list) else [data]
    if not items:
        return []
    if len(items) > MAX_WEBHOOK_ITEMS:
        raise WebhookError(f"Too many entries in the {name}.")
    if not all(isinstance(item, dict) for item in items):
        raise WebhookError(f"The {name} is not an object.")
    return items


class WebhookMixin:
    """Webhook methods of :class:`~.base.Gateway` (signature, payloads)."""

    # ------------------------------------------------------------------
    # webhooks: signature check
    # ------------------------------------------------------------------
    def webhook_secret(self, secret=""):
        """The key that checks webhook signatures: ``secret`` or the config's."""
        if secret:
            return str(secret)
        return str(self.credentials.get(self.webhook_key_name) or "")

    def missing_webhook_credentials(self):
        """Credential keys needed to check webhook signatures but not set."""
        if not self.signs_webhooks:
            return []
        keys = dict.fromkeys((self.webhook_key_name, *self.webhook_credential_keys))
        return [key for key in keys if key and not self.credentials.get(key)]

    def verify(self, request, secret=""):
        """True when ``request`` is authentic per the provider's signature.

        Providers that do not sign their webhooks always pass (the Odoo
        controller checks the secret token of the URL). A signing provider
        without a key configured fails: nothing unsigned gets through. A
        request that passed once is refused when it comes again within the
        replay window (see ReplayGuard); call ``forget_webhook`` when its
        processing failed so the provider's retry is accepted. Never raises.
        """
        if not self.signs_webhooks:
            return True
        try:
            key = self.webhook_secret(secret)
            if not key or not isinstance(request, WebhookRequest):
                return False
            if not self._verify_signature(request, key):
                return False
            replay_key = self._replay_key(request)
            if replay_key:
                return self.replay_guard.remember(
                    f"{self.provider}:{replay_key}", self.replay_ttl
                )
            return True
        except Exception:  # hostile input must never break the controller
            _logger.debug("%s: webhook signature check failed", self.label)
            return False

    def forget_webhook(self, request):
        """Forget a verified request, so that the same request passes again."""
        try:
            replay_key = self._replay_key(request)
        except Exception:
            return
        if replay_key:
            self.replay_guard.forget(f"{self.provider}:{replay_key}")

    def _verify_signature(self, request, key):
        """True when the signature of ``request`` is right (may raise)."""
        return False

    def _replay_key(self, request):
        """Text that identifies one signed request (for ReplayGuard), or ""."""
        return ""

    # ------------------------------------------------------------------
    # webhooks: payloads
    # ------------------------------------------------------------------
    def parse_status(self, request):
        """Delivery reports in ``request``: a list of StatusReport.

        A well-formed event of another kind (an inbound message posted to the
        status URL) gives []. Anything unusable raises ValueError (only).
        """
        return self._parse_safely(self._parse_status, request)

    def parse_inbound(self, request):
        """Inbound messages in ``request``: a list of InboundMessage.

        A well-formed event of another kind gives []; anything unusable
        raises ValueError (only).
        """
        return self._parse_safely(self._parse_inbound, request)

    def _parse_safely(self, parser, request):
        try:
            items = list(parser(request))
        except WebhookError as error:
            raise WebhookError(clip(self.redact(str(error)), 200)) from None
        except Exception:  # any other error means the payload is unusable
            raise WebhookError(f"The {self.label} payload could not be read.") from None
        if len(items) > MAX_WEBHOOK_ITEMS:
            raise WebhookError(f"Too many entries in the {self.label} payload.")
        return items

    def _parse_status(self, request):
        raise WebhookError(f"{self.label} sends no delivery reports.")

    def _parse_inbound(self, request):
        raise WebhookError(f"{self.label} sends no inbound messages.")

    def _payload(self, request):
        """The request's data: a JSON document or a dict of text fields."""
        method = str(request.method or "").upper()
        if method == "GET":
            return self._query(request)
        content_type = request.content_type
        if "json" in content_type:
            return self._json_payload(request)
        if content_type != "application/x-www-form-urlencoded" and (
            request.json is not None or request.raw.lstrip()[:1] in (b"{", b"[")
        ):
            return self._json_payload(request)
        form = self._form(request)
        if form:
            return form
        query = self._query(request)
        if query:
            return query
        raise WebhookError(f"The {self.label} request carries no data.")

    def _json_payload(self, request):
        if request.json is not None:
            return request.json
        raw = request.raw
        if not raw.strip():
            raise WebhookError(f"The {self.label} request body is empty.")
        try:
            return json.loads(raw.decode("utf-8"))
        except ValueError:
            raise WebhookError(f"The {self.label} request is not valid JSON.") from None

    def _form(self, request):
        """Form fields (last value of each), from ``form`` or the raw body."""
        if isinstance(request.form, dict) and request.form:
            return self._text_fields(request.form)
        return dict(self._form_pairs(request))

    def _form_pairs(self, request):
        """Every (name, value) of a form-encoded body, repeats included."""
        raw = request.raw
        if raw and request.content_type in ("", "application/x-www-form-urlencoded"):
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise WebhookError("The form is not UTF-8.") from None
            return parse_qsl(
                text, keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS
            )
        if isinstance(request.form, dict):
            return list(self._text_fields(request.form).items())
        return []

    def _query(self, request):
        if isinstance(request.query, dict) and request.query:
            return self._text_fields(request.query)
        query = urlsplit(str(request.url or "")).query
        return dict(parse_qsl(query, keep_blank_values=True, max_num_fields=1000))

    @staticmethod
    def _text_fields(fields):
        if len(fields) > MAX_FORM_FIELDS:
            raise WebhookError("Too many form fields.")
        result = {}
        for key, value in fields.items():
            if isinstance(value, list | tuple) and value:
                value = value[-1]
            if not isinstance(key, str) or not isinstance(value, str):
                raise WebhookError("The form fields are not text.")
            result[key] = value
        return result

    def _fields(self, request):
        """The payload as one flat dict of fields (form, query or JSON object)."""
        data = self._payload(request)
        if not isinstance(data, dict):
            raise WebhookError(f"The {self.label} payload is not an object.")
        return data

    # ------------------------------------------------------------------
    # webhooks: result builders
    # ------------------------------------------------------------------
    def status_report(
        self,
        provider_id,
        status,
        raw_status="",
        failure_code="",
        detail="",
        segments=None,
        price=None,
    ):
        status = status if status in STATUSES else "unknown"
        if status == "failed":
            failure_code = failure_code if failure_code in FAILURE_CODES else "unknown"
        else:
            failure_code = ""
        segments = to_float(segments)
        price = to_float(price)
        return StatusReport(
            provider_id=webhook_id(provider_id, "message id"),
            status=status,
            failure_code=failure_code,
            detail=clip(self.redact(detail)),
            segments=(
                int(segments)
                if segments is not None and 0 <= segments <= 100_000
                else None
            ),
            price=price if price is not None and math.isfinite(price) else None,
            raw_status=clip(raw_status, 64),
        )

    def inbound_message(self, provider_id, number, to, body, received_at="", **concat):
        return InboundMessage(
            provider_id=webhook_id(provider_id, "message id"),
            number=number,
            to=to,
            body=body,
            received_at=webhook_time(received_at),
            **concat,
        )

    def failure_detail(self, code="", text="", status=""):
        """Plain detail for a failed report: "<label> error <code>: <text>"."""
        code, text = clip(code, 40), clip(text, 300)
        if code:
            detail = f"{self.label} error {code}"
            detail = f"{detail}: {text}" if text else detail
        elif text:
            detail = f"{self.label}: {text}"
        else:
            detail = f"{self.label} reported the message as {clip(status, 40)}"
        if status and code:
            detail += f" (status {clip(status, 40)})"
        return detail.rstrip(".") + "."
