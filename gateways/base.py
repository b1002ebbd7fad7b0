"""Shared pieces of the SMS gateway adapters (pure Python, no ORM).

An adapter turns a list of :class:`OutgoingMessage` into exactly one
:class:`SendResult` per message and never raises for transport or provider
errors. The outcome rules follow DESIGN decision 5 ("exactly once, or visibly
not"): a message is marked retryable only when the provider surely did not
accept it; when it may have been accepted the outcome is ``unknown``.
"""

import base64
import binascii
import datetime
import email.utils
import hmac
import json
import logging
import math
import re
import socket
import threading
import time
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, quote, urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import NewConnectionError

from ..tools.segments import is_gsm7  # noqa: F401 (used by adapters)

_logger = logging.getLogger(__name__)

FAILURE_CODES = (
    "invalid_number",
    "opted_out",
    "insufficient_credit",
    "authentication",
    "rate_limited",
    "rejected",
    "server_error",
    "unknown",
)
OUTCOMES = ("accepted", "failed", "unknown")

E164_RE = re.compile(r"^\+[1-9]\d{6,14}$")
SHORT_CODE_RE = re.compile(r"^\d{3,8}$")
ALNUM_RE = re.compile(r"^(?=.*[A-Za-z])[A-Za-z0-9]{1,11}$")
ALNUM_SPACES_RE = re.compile(r"^(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}$")

_REDACTED = "[redacted]"
# Secrets in other shapes than the literal value: an authorization header's
# value, the token of a webhook URL.
_AUTHORIZATION_RE = re.compile(
    r"(?i)\b(basic|bearer)(\s+)(?=[\w+/=.~-]*[\d+/=])[\w+/=.~-]{8,}"
)
_WEBHOOK_TOKEN_RE = re.compile(r"(/text_messaging/webhook/[^/\s]*/)([^/\s?#\"']+)")


def _b64(value):
    return base64.b64encode(value.encode()).decode("ascii")


def is_e164(value):
    return bool(E164_RE.match(value or ""))


def is_short_code(value):
    return bool(SHORT_CODE_RE.match(value or ""))


def is_alphanumeric_id(value, spaces=False):
    """1 to 11 letters and digits (and spaces if allowed), at least one letter."""
    pattern = ALNUM_SPACES_RE if spaces else ALNUM_RE
    return bool(pattern.match(value or ""))


def to_float(value):
    """Float from a provider's number or numeric string, else None."""
    if value is None or isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def to_int(value):
    number = to_float(value)
    return int(number) if number is not None else None


@dataclass(frozen=True)
class OutgoingMessage:
    uuid: str  # our reference, 32 hex chars
    number: str  # destination, E.164 "+15551234567"
    body: str
    sender: str = ""  # optional per-message sender; else config["sender"]


@dataclass(frozen=True)
class SendResult:
    uuid: str
    outcome: str  # "accepted" | "failed" | "unknown"
    provider_id: str = ""
    failure_code: str = ""  # one of FAILURE_CODES when outcome != "accepted"
    detail: str = ""  # the provider's own words; never credentials
    retryable: bool = False  # True only when the provider surely did not accept
    retry_after: float | None = None  # seconds, from Retry-After when present
    segments: int | None = None  # as reported by the provider
    price: float | None = None  # as reported by the provider


class GatewayError(Exception):
    """Plain-language problem (test_connection, configuration)."""


# ----------------------------------------------------------------------
# webhooks: what a provider posts back (delivery reports, inbound texts)
# ----------------------------------------------------------------------
# Normalized delivery statuses of a StatusReport:
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


class WebhookError(ValueError):
    """A webhook payload we cannot use; the message is short and plain."""


class ReplayGuard:
    """Memory of recently accepted signed webhooks (thread-safe, bounded).

    ``remember(key, ttl)`` is True the first time a key is seen within
    ``ttl`` seconds and False for a replay. The memory lives in the process:
    with several Odoo workers a replay sent to another worker is not caught
    here, which is why the timestamp window also applies and why recording
    a report twice must stay harmless (the ORM updates are idempotent).
    """

    def __init__(self, max_entries=100_000):
        self.max_entries = max_entries
        self._seen = OrderedDict()  # key -> expiry (monotonic)
        self._lock = threading.Lock()

    def remember(self, key, ttl):
        now = time.monotonic()
        with self._lock:
            while self._seen:
                oldest, expiry = next(iter(self._seen.items()))
                if expiry > now and len(self._seen) < self.max_entries:
                    break
                del self._seen[oldest]
            expiry = self._seen.get(key)
            if expiry is not None and expiry > now:
                return False
            self._seen[key] = now + ttl
            self._seen.move_to_end(key)
            return True

    def forget(self, key):
        with self._lock:
            self._seen.pop(key, None)

    def clear(self):
        with self._lock:
            self._seen.clear()


REPLAY_GUARD = ReplayGuard()


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


class RateLimiter:
    """Thread-safe token bucket (GCRA form): ``rate`` tokens per second.

    ``acquire(n)`` waits until the bucket allows a request, then takes ``n``
    tokens, possibly going into debt: a batch of n messages delays the next
    request by n / rate seconds, so the long-run rate never exceeds ``rate``.
    """

    def __init__(self, rate, burst=1):
        self.rate = float(rate)
        self.interval = 1.0 / self.rate
        self.tolerance = max(0.0, (burst - 1) * self.interval)
        self._next = 0.0  # theoretical arrival time of the next token
        self._lock = threading.Lock()

    def reserve(self, tokens=1):
        """Book ``tokens``; return how many seconds the caller must wait."""
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next - self.tolerance)
            self._next = max(self._next, start) + tokens * self.interval
        return start - now

    def acquire(self, tokens=1):
        wait = self.reserve(tokens)
        if wait > 0:
            time.sleep(wait)


class Gateway:
    """Base adapter: batching, concurrency, rate limit and outcome rules.

    Subclasses set the class attributes and implement ``_build_request``
    and ``_parse_success`` (plus ``_test_request`` / ``_describe_account``),
    and may refine ``_error_info``, ``error_map`` and ``_message_problem``.
    """

    provider = ""
    label = ""
    default_base_url = ""
    max_batch = 1
    credential_keys = ()
    # provider error code (as a string) -> normalized failure code
    error_map = {}
    # provider error codes that surely mean "not accepted, try again later"
    retryable_codes = frozenset()
    user_agent = "odoo-text_messaging/18.0"
    # webhooks: whether the provider signs them, the credential holding the
    # key that checks them, and extra credential keys the check needs (for
    # the configuration form).
    signs_webhooks = False
    webhook_key_name = ""
    webhook_credential_keys = ()
    webhook_max_age = WEBHOOK_MAX_AGE
    replay_ttl = 2 * WEBHOOK_MAX_AGE  # seconds a verified request is remembered
    replay_guard = REPLAY_GUARD

    def __init__(self, config):
        config = dict(config or {})
        base_url = config.get("base_url") or self.default_base_url
        self.base_url = base_url.rstrip("/")
        self.sender = (config.get("sender") or "").strip()
        self.credentials = dict(config.get("credentials") or {})
        self.connect_timeout = float(config.get("connect_timeout") or 5)
        self.read_timeout = float(config.get("read_timeout") or 15)
        self.max_concurrency = max(1, int(config.get("max_concurrency") or 8))
        self.rate_limit = float(config.get("rate_limit") or 0)
        self.status_url = config.get("status_url") or ""
        self.limiter = RateLimiter(self.rate_limit) if self.rate_limit > 0 else None
        self.session = self._new_session()

    # ------------------------------------------------------------------
    # session and helpers
    # ------------------------------------------------------------------
    def _new_session(self):
        session = requests.Session()
        adapter = HTTPAdapter(
            pool_connections=4,
            pool_maxsize=self.max_concurrency,
            max_retries=0,
        )
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        session.headers["User-Agent"] = self.user_agent
        return session

    def close(self):
        self.session.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    @property
    def timeout(self):
        return (self.connect_timeout, self.read_timeout)

    @property
    def host(self):
        """Host (and port) of the API, without any user info."""
        parts = urlsplit(self.base_url)
        host = parts.hostname or self.base_url
        return f"{host}:{parts.port}" if parts.port else host

    def url(self, path):
        return self.base_url + path

    def redact(self, text):
        """Replace every credential found in ``text``: the values as they are,
        Base64 (alone or as ``user:password``) and URL-encoded, the value of
        any Basic/Bearer authorization, and the webhook token of URLs."""
        text = str(text or "")
        values = [str(v) for v in self.credentials.values() if v and len(str(v)) >= 4]
        token = _WEBHOOK_TOKEN_RE.search(self.status_url or "")
        values += [token.group(2)] if token else []
        forms = set()
        for value in values:
            forms.update((value, quote(value, safe=""), _b64(value)))
            forms.update(_b64(f"{value}:{other}") for other in values)
        for form in sorted(forms, key=len, reverse=True):
            if len(form) >= 4 and form in text:
                text = text.replace(form, _REDACTED)
        text = _AUTHORIZATION_RE.sub(rf"\1\2{_REDACTED}", text)
        return _WEBHOOK_TOKEN_RE.sub(rf"\1{_REDACTED}", text)

    def missing_credentials(self):
        return [key for key in self.credential_keys if not self.credentials.get(key)]

    def sender_for(self, message):
        return message.sender or self.sender

    # ------------------------------------------------------------------
    # result builders (every detail goes through redact)
    # ------------------------------------------------------------------
    def accepted(self, message, provider_id="", segments=None, price=None):
        return SendResult(
            uuid=message.uuid,
            outcome="accepted",
            provider_id=str(provider_id or ""),
            segments=segments,
            price=price,
        )

    def failed(self, message, code, detail, retryable=False, retry_after=None):
        return SendResult(
            uuid=message.uuid,
            outcome="failed",
            failure_code=code if code in FAILURE_CODES else "unknown",
            detail=self.redact(detail),
            retryable=retryable,
            retry_after=retry_after if retryable else None,
        )

    def unknown(self, message, code, detail):
        return SendResult(
            uuid=message.uuid,
            outcome="unknown",
            failure_code=code if code in FAILURE_CODES else "unknown",
            detail=self.redact(detail),
        )

    # ------------------------------------------------------------------
    # sending
    # ------------------------------------------------------------------
    def send(self, messages):
        """Send ``messages``; return one SendResult per message, same order."""
        messages = list(messages)
        results = [None] * len(messages)
        missing = self.missing_credentials()
        pending = []
        for index, message in enumerate(messages):
            if missing:
                results[index] = self.failed(
                    message,
                    "authentication",
                    f"{self.label} is not fully configured: missing "
                    f"{', '.join(missing)}.",
                )
                continue
            problem = self._message_problem(message)
            if problem:
                results[index] = problem
            else:
                pending.append((index, message))
        batches = list(self._batches(pending))
        for batch, batch_results in zip(
            batches, self._run_batches(batches), strict=True
        ):
            for (index, _message), result in zip(batch, batch_results, strict=True):
                results[index] = result
        return results

    def _message_problem(self, message):
        """A failed SendResult when ``message`` cannot be sent at all, else None."""
        if not is_e164(message.number):
            return self.failed(
                message,
                "invalid_number",
                f"'{message.number}' is not an international (E.164) number.",
            )
        if not message.body:
            return self.failed(message, "rejected", "The message is empty.")
        return None

    def _batches(self, pending):
        """Split (index, message) pairs into provider requests of max_batch."""
        size = max(1, self.max_batch)
        for start in range(0, len(pending), size):
            yield pending[start : start + size]

    def _run_batches(self, batches):
        def run(batch):
            messages = [message for _index, message in batch]
            try:
                return self._send_batch(messages)
            except Exception:
                # A bug after the request went out: the outcome is unknown.
                _logger.exception("%s: unexpected adapter error", self.label)
                detail = f"Unexpected error in the {self.label} adapter."
                return [
                    self.unknown(message, "unknown", detail) for message in messages
                ]

        workers = min(self.max_concurrency, len(batches))
        if workers <= 1:
            return [run(batch) for batch in batches]
        with ThreadPoolExecutor(
            max_workers=workers, thread_name_prefix=f"sms-{self.provider}"
        ) as executor:
            return list(executor.map(run, batches))

    def _throttle(self, count):
        if self.limiter:
            self.limiter.acquire(count)

    def _send_batch(self, batch):
        """One HTTP request for ``batch``; always returns len(batch) results."""
        try:
            request = self._build_request(batch)
        except Exception:
            _logger.exception("%s: could not build the request", self.label)
            detail = f"The {self.label} request could not be built (adapter error)."
            return [self.failed(message, "unknown", detail) for message in batch]
        self._throttle(len(batch))
        try:
            response = self.session.request(
                timeout=self.timeout, allow_redirects=False, **request
            )
        except requests.RequestException as exc:
            return [self._transport_result(message, exc) for message in batch]
        except Exception:
            _logger.exception("%s: unexpected error while sending", self.label)
            detail = f"Unexpected error while sending to {self.label}."
            return [self.unknown(message, "unknown", detail) for message in batch]
        return self._results_from_response(batch, response)

    def _build_request(self, batch):
        """Keyword arguments for ``session.request`` (method, url, body, auth)."""
        raise NotImplementedError

    # ------------------------------------------------------------------
    # transport errors
    # ------------------------------------------------------------------
    @staticmethod
    def _causes(exc):
        seen, stack = set(), [exc]
        while stack:
            error = stack.pop()
            if error is None or id(error) in seen:
                continue
            seen.add(id(error))
            yield error
            stack.extend([error.__cause__, error.__context__])
            stack.append(getattr(error, "reason", None))
            stack.extend(a for a in error.args if isinstance(a, BaseException))

    def _connect_failure(self, exc):
        """Plain reason when ``exc`` happened before the request was sent."""
        if isinstance(exc, requests.ConnectTimeout):
            return "connection timed out"
        if isinstance(exc, requests.exceptions.SSLError):
            return "secure connection (TLS) failed"
        if not isinstance(exc, requests.ConnectionError):
            return None
        causes = list(self._causes(exc))
        if any(isinstance(cause, socket.gaierror) for cause in causes):
            return "host name not found"
        if any(isinstance(cause, ConnectionRefusedError) for cause in causes):
            return "connection refused"
        if any(isinstance(cause, NewConnectionError) for cause in causes):
            return "could not open a connection"
        return None

    def _transport_result(self, message, exc):
        if isinstance(exc, requests.exceptions.InvalidURL | ValueError):
            return self.failed(
                message, "unknown", f"The {self.label} address is not a valid URL."
            )
        reason = self._connect_failure(exc)
        if reason:
            detail = (
                f"Could not connect to {self.label} ({self.host}): {reason}. "
                "The message was not sent."
            )
            _logger.info("%s", self.redact(detail))
            return self.failed(message, "server_error", detail, retryable=True)
        if isinstance(exc, requests.ReadTimeout):
            detail = (
                f"{self.label} did not answer within {self.read_timeout:g} s after "
                "the message was sent: it may have been accepted."
            )
        else:
            detail = (
                f"The connection to {self.label} was lost after the message was "
                f"sent ({type(exc).__name__}): it may have been accepted."
            )
        _logger.info("%s", self.redact(detail))
        return self.unknown(message, "server_error", detail)

    # ------------------------------------------------------------------
    # HTTP answers
    # ------------------------------------------------------------------
    def _results_from_response(self, batch, response):
        status = response.status_code
        if 200 <= status < 300:
            try:
                results = self._parse_success(batch, response)
            except (ValueError, KeyError, TypeError, AttributeError, IndexError):
                detail = (
                    f"{self.label} answered HTTP {status} but the answer could not "
                    "be read: the message may have been accepted."
                )
                return [self.unknown(message, "unknown", detail) for message in batch]
            if len(results) != len(batch):
                detail = f"{self.label} answered for a different number of messages."
                return [self.unknown(message, "unknown", detail) for message in batch]
            return results
        return [self._error_result(message, response) for message in batch]

    def _parse_success(self, batch, response):
        """One SendResult per message of ``batch`` from a 2xx answer."""
        raise NotImplementedError

    def _json(self, response):
        """The JSON body; ValueError when it is not a JSON object or list."""
        data = response.json()
        if not isinstance(data, dict | list):
            raise ValueError("not a JSON document")
        return data

    def _error_info(self, response):
        """(provider code, provider message) from an error answer."""
        try:
            data = response.json()
        except ValueError:
            return "", ""
        if not isinstance(data, dict):
            return "", ""
        code = data.get("code") or data.get("error_code") or ""
        text = data.get("message") or data.get("error") or data.get("detail") or ""
        return str(code), str(text)

    def _failure_for(self, code, status):
        """Normalized failure code for a provider code and an HTTP status."""
        if code and str(code) in self.error_map:
            return self.error_map[str(code)]
        if status in (401, 403):
            return "authentication"
        if status == 402:
            return "insufficient_credit"
        if status == 429:
            return "rate_limited"
        if status >= 500:
            return "server_error"
        return "rejected"

    def _describe_error(self, code, text, response):
        if code:
            detail = f"{self.label} error {code}"
        else:
            detail = f"{self.label} answered HTTP {response.status_code}"
            if response.reason:
                detail += f" {response.reason}"
        return f"{detail}: {text}" if text else f"{detail}."

    def _retry_after(self, response):
        """Seconds to wait, from the Retry-After header (seconds or date)."""
        value = (response.headers.get("Retry-After") or "").strip()
        if not value:
            return None
        seconds = to_float(value)
        if seconds is None:
            try:
                when = email.utils.parsedate_to_datetime(value)
            except (TypeError, ValueError):
                return None
            seconds = when.timestamp() - time.time()
        return min(max(seconds, 0.0), 86400.0)

    def _error_result(self, message, response):
        status = response.status_code
        code, text = self._error_info(response)
        detail = self._describe_error(code, text, response)
        if status == 429:
            return self.failed(
                message,
                "rate_limited",
                detail,
                retryable=True,
                retry_after=self._retry_after(response),
            )
        if status in (503, 408):
            return self.failed(
                message,
                "server_error",
                detail,
                retryable=True,
                retry_after=self._retry_after(response),
            )
        if status >= 500:
            return self.unknown(
                message, "server_error", detail + " The message may have been accepted."
            )
        if 300 <= status < 400 or status < 200:
            return self.failed(message, "unknown", detail)
        failure = self._failure_for(code, status)
        retryable = str(code) in self.retryable_codes
        return self.failed(
            message,
            failure,
            detail,
            retryable=retryable,
            retry_after=self._retry_after(response) if retryable else None,
        )

    # ------------------------------------------------------------------
    # connection test and sender rules
    # ------------------------------------------------------------------
    def test_connection(self):
        """Cheap authenticated call; a short success text or GatewayError."""
        missing = self.missing_credentials()
        if missing:
            raise GatewayError(
                f"{self.label} is not fully configured: missing {', '.join(missing)}."
            )
        try:
            response = self.session.request(
                timeout=self.timeout, allow_redirects=False, **self._test_request()
            )
        except requests.RequestException as exc:
            raise GatewayError(self.redact(self._test_transport_problem(exc))) from None
        if not 200 <= response.status_code < 300:
            raise GatewayError(self.redact(self._test_http_problem(response)))
        try:
            text = self._describe_account(self._json(response))
        except GatewayError as error:
            raise GatewayError(self.redact(str(error))) from None
        except (ValueError, KeyError, TypeError, AttributeError):
            raise GatewayError(
                f"{self.label} answered, but not in the expected format: "
                "check the API address."
            ) from None
        return self.redact(text)

    def _test_request(self):
        raise NotImplementedError

    def _describe_account(self, data):
        return f"Connected to {self.label}."

    def _test_transport_problem(self, exc):
        reason = self._connect_failure(exc)
        if reason:
            return f"Could not connect to {self.label} at {self.host}: {reason}."
        if isinstance(exc, requests.ReadTimeout):
            return (
                f"{self.label} at {self.host} did not answer within "
                f"{self.read_timeout:g} s."
            )
        if isinstance(exc, requests.exceptions.InvalidURL | ValueError):
            return f"The {self.label} address is not a valid URL."
        return f"The connection to {self.label} at {self.host} failed."

    def _test_http_problem(self, response):
        code, text = self._error_info(response)
        detail = self._describe_error(code, text, response)
        if self._failure_for(code, response.status_code) == "authentication":
            return f"{self.label} refused the credentials ({detail})"
        return f"{self.label} answered with an error ({detail})"

    @classmethod
    def check_sender(cls, sender):
        """None when ``sender`` is valid for this provider, else the problem."""
        return None

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
