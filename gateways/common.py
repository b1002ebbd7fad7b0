"""Primitives shared by the gateway adapters (pure Python, no ORM):
failure codes, number checks and the message/result records."""

import base64
import re
from dataclasses import dataclass

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
# "skipped": the caller's ``before_request`` refused the request (time budget
# spent): the message never left, it can simply be sent later.
OUTCOMES = ("accepted", "failed", "unknown", "skipped")

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


def sentence(text):
    """``text`` ending with a full stop (or its own final punctuation)."""
    text = str(text or "").rstrip()
    return text if not text or text[-1] in ".!?…" else text + "."


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
    media: tuple = ()  # gateways.media.Media of a picture message (MMS)
    carrier: str = ""  # recipient's carrier code (SMS via email gateway)


@dataclass(frozen=True)
class SendResult:
    uuid: str
    outcome: str  # "accepted" | "failed" | "unknown" | "skipped"
    provider_id: str = ""
    failure_code: str = ""  # one of FAILURE_CODES when outcome != "accepted"
    detail: str = ""  # the provider's own words; never credentials
    retryable: bool = False  # True only when the provider surely did not accept
    retry_after: float | None = None  # seconds, from Retry-After when present
    segments: int | None = None  # as reported by the provider
    price: float | None = None  # as reported by the provider


@dataclass(frozen=True)
class LookupResult:
    """What the provider says about a message whose send outcome is unknown.

    ``found`` True: the provider has it (``provider_id``); False: the provider
    surely has no such message, it may be sent again; None: it cannot tell.
    """

    uuid: str
    found: bool | None
    provider_id: str = ""
    detail: str = ""


class GatewayError(Exception):
    """Plain-language problem (test_connection, configuration)."""
