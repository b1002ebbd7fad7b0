"""A local fake SMS provider speaking every supported gateway's wire format.

Pure Python (stdlib only), no Odoo import: used by the plain pytest tests of
``gateways/``, by the benchmark script and by Odoo tests. It listens on
127.0.0.1 only, on the same paths as the real APIs, so an adapter configured
with ``base_url=fake.url`` works unchanged.

    with FakeProvider(latency=0.05) as fake:
        fake.errors["+15550000002"] = 21610  # provider code for that number
        fake.force(status=503, headers={"Retry-After": "7"})  # next request
        gateway = TwilioGateway(fake.config("twilio"))
        ...
        fake.received  # every request, in arrival order
        fake.accepted  # every message the fake accepted (it answers lookups)

Run on its own (chaos tests, benchmarks in other processes), it prints its URL
and writes every request and acceptance to a JSON-lines log:

    python3 tests/fake_provider.py --log provider.jsonl --latency 0.1 \
        --error-rate 0.2 --hang-rate 0.05 --hang 20 --throttle-rate 0.05
"""

import argparse
import base64
import binascii
import contextlib
import copy
import email.utils
import hashlib
import hmac
import json
import random
import re
import socket
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections import deque
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, parse_qsl, urlencode, urlsplit

DEFAULT_CREDENTIALS = {
    "twilio": {
        "account_sid": "AC0f1e2d3c4b5a69788796a5b4c3d2e1f0",
        "auth_token": "twilio-auth-token-s3cr3t-7c1d",
    },
    "clicksend": {"username": "fake-user", "api_key": "clicksend-api-key-s3cr3t-42aa"},
    "vonage": {
        "api_key": "vonage-key-1a2b",
        "api_secret": "vonage-secret-s3cr3t-9e",
        # Voice API application (its private key is made by the fake, see
        # vonage_voice_private_pem()).
        "voice_application_id": "aaaaaaaa-bbbb-4ccc-8ddd-0123456789ab",
    },
    "telnyx": {
        "api_key": "KEYtelnyx-api-key-s3cr3t-0b7f",
        "voice_application_id": "1773070540731319841",  # TeXML application
    },
    "plivo": {
        "auth_id": "MAFAKEAUTHID0123456",
        "auth_token": "plivo-token-s3cr3t-5d6e",
    },
    "simpletexting": {"api_token": "simpletexting-token-s3cr3t-31c"},
    "eztexting": {"username": "ez-fake-user", "password": "eztexting-pass-s3cr3t-88f"},
}
# Keys that check webhook signatures, beyond the send credentials (Twilio and
# Plivo sign with the Auth Token; the Telnyx public key comes from the fixed
# test key pair, see telnyx_public_key()).
DEFAULT_WEBHOOK_SECRETS = {
    "vonage": {"signature_secret": "vonage-signature-secret-s3cr3t-4d"},
    "eztexting": {"webhook_secret": "eztexting-webhook-secret-s3cr3t-a1"},
}
DEFAULT_SENDERS = {
    "twilio": "+15005550006",
    "clicksend": "+61411111111",
    "vonage": "+447700900001",
    "telnyx": "+15550001111",
    "plivo": "+14155550100",
    "simpletexting": "+18005551234",
    "eztexting": "",
    "sandbox": "",
}
MAX_BODY = 4 * 1024 * 1024  # bytes accepted per request
MAX_DELAY = 60.0  # seconds, cap for latency and forced delays

TWILIO_MESSAGES = {
    20003: "Authenticate",
    20429: "Too Many Requests",
    21211: "The 'To' number {to} is not a valid phone number.",
    21212: "The 'From' number {sender} is not a valid phone number or short code.",
    21408: "Permission to send an SMS has not been enabled for the region {to}.",
    21603: "A 'From' phone number is required.",
    21606: "The 'From' phone number provided is not a valid message-capable number.",
    21608: "The number {to} is unverified. Trial accounts may only send to verified "
    "numbers.",
    21610: "Attempt to send to unsubscribed recipient",
    21611: "This 'From' number has exceeded the maximum number of queued messages",
    21612: "The 'To' phone number is not currently reachable via SMS.",
    21614: "'To' number is not a valid mobile number",
    21635: "The 'To' number {to} is a landline.",
}
TWILIO_STATUS = {20003: 401, 20429: 429}
VONAGE_TEXTS = {
    "1": "Throttled",
    "2": "Missing from param",
    "3": "Invalid to param",
    "4": "Bad Credentials",
    "5": "Internal Error",
    "6": "Invalid Message",
    "7": "Number barred",
    "8": "Partner account barred",
    "9": "Partner quota violation",
    "10": "Too many existing binds",
    "11": "Account not enabled for HTTP",
    "12": "Message too long",
    "14": "Invalid signature",
    "15": "Invalid sender address",
    "29": "Non-Whitelisted Destination",
    "33": "Number de-activated",
}
TELNYX_ERRORS = {
    "10002": (400, "Invalid phone number"),
    "10009": (401, "Authentication failed"),
    "10011": (429, "Too many requests"),
    "10016": (400, "Phone number must be in +E.164 format"),
    "40001": (400, "Not routable"),
    "40300": (403, "Blocked due to STOP message"),
    "40012": (400, "Invalid destination number"),
    "40013": (400, "Invalid source number"),
    "40318": (400, "Message queue full"),
}

_GSM7 = frozenset(
    "@£$¥èéùìòÇç\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM7_EXT = frozenset("\f^{}\\[~]|€")


def count_segments(text):
    """Segments of ``text`` (GSM-7 160/153 septets, else UCS-2 70/67 units)."""
    if all(char in _GSM7 or char in _GSM7_EXT for char in text):
        units = sum(2 if char in _GSM7_EXT else 1 for char in text)
        single, multi = 160, 153
    else:
        units = len(text.encode("utf-16-le")) // 2
        single, multi = 70, 67
    if units <= single:
        return 1
    return -(-units // multi)


def to_e164(value, provider=""):
    """Normalize a wire phone number to E.164 for the records."""
    value = str(value or "").strip()
    if value.startswith("+"):
        return value
    digits = re.sub(r"\D", "", value)
    if provider in ("simpletexting", "eztexting") and len(digits) == 10:
        return "+1" + digits
    return "+" + digits if digits else value


@dataclass
class ForcedResponse:
    """An answer forced on the next matching request.

    ``status`` None means "answer normally" (useful with ``delay``);
    ``drop`` closes the connection without answering; ``malformed`` answers
    ``status`` (default 200) with a body that is not JSON.
    """

    status: int | None = None
    body: object = None
    headers: dict = field(default_factory=dict)
    delay: float = 0.0
    drop: bool = False
    malformed: bool = False
    path: str = ""  # only requests whose path contains this


@dataclass
class Chaos:
    """Faults injected at random into send requests (rates are 0..1).

    ``throttle_rate``: 429 with Retry-After, nothing accepted. ``error_rate``:
    a 5xx; half of them 503 (nothing accepted), half 500, after accepting
    the messages one time in two. ``hang_rate``: the messages are accepted,
    then the answer waits ``hang`` seconds (past the client's read time-out).
    """

    error_rate: float = 0.0
    hang_rate: float = 0.0
    hang: float = 20.0
    throttle_rate: float = 0.0
    seed: int | None = None

    def __post_init__(self):
        self._random = random.Random(self.seed)
        self._lock = threading.Lock()

    def roll(self):
        """None (answer normally), "throttle", "unavailable", "lost" (500,
        not accepted), "accepted_500" or "hang"."""
        with self._lock:
            value = self._random.random()
            coin = self._random.random()
        if value < self.throttle_rate:
            return "throttle"
        value -= self.throttle_rate
        if value < self.error_rate:
            if coin < 0.5:
                return "unavailable"
            return "lost" if coin < 0.75 else "accepted_500"
        value -= self.error_rate
        if value < self.hang_rate:
            return "hang"
        return None


@dataclass
class ReceivedRequest:
    """One request as the fake received it."""

    provider: str
    kind: str  # "send", "account" or "unknown"
    method: str
    path: str
    query: dict
    headers: dict
    body: object  # parsed JSON or form (dict of str), else the raw text
    messages: list  # [{"to": E.164, "from": ..., "body": ..., "raw_to": ...}]
    timestamp: float  # time.monotonic() at arrival
    authorized: bool = False


ROUTES = (
    (
        "POST",
        r"/2010-04-01/Accounts/(?P<account>[^/]+)/Messages\.json",
        "twilio",
        "send",
    ),
    ("GET", r"/2010-04-01/Accounts/(?P<account>[^/]+)\.json", "twilio", "account"),
    (
        "GET",
        r"/2010-04-01/Accounts/(?P<account>[^/]+)/Messages\.json",
        "twilio",
        "list",
    ),
    (
        "POST",
        r"/2010-04-01/Accounts/(?P<account>[^/]+)/Calls\.json",
        "twilio",
        "call",
    ),
    ("POST", r"/v1/calls", "vonage", "call"),
    ("POST", r"/v2/texml/calls/(?P<application>[^/]+)", "telnyx", "call"),
    ("POST", r"/v1/Account/(?P<account>[^/]+)/Call/", "plivo", "call"),
    ("POST", r"/v3/sms/send", "clicksend", "send"),
    ("POST", r"/v3/mms/send", "clicksend", "send"),
    ("GET", r"/v3/sms/history", "clicksend", "history"),
    ("GET", r"/v3/account", "clicksend", "account"),
    ("POST", r"/sms/json", "vonage", "send"),
    ("GET", r"/account/get-balance", "vonage", "account"),
    ("POST", r"/v2/messages", "telnyx", "send"),
    ("GET", r"/v2/balance", "telnyx", "account"),
    ("POST", r"/v1/Account/(?P<account>[^/]+)/Message/", "plivo", "send"),
    ("GET", r"/v1/Account/(?P<account>[^/]+)/", "plivo", "account"),
    ("POST", r"/v2/api/messages", "simpletexting", "send"),
    ("GET", r"/v2/api/phones", "simpletexting", "account"),
    ("POST", r"/v1/messages", "eztexting", "send"),
    ("GET", r"/v1/credits", "eztexting", "account"),
)
_ROUTES = [(m, re.compile(f"^{p}$"), prov, kind) for m, p, prov, kind in ROUTES]


class _Answer(Exception):
    """Raised by provider handlers to answer at once."""

    def __init__(self, status, body, headers=None):
        super().__init__(status)
        self.status, self.body, self.headers = status, body, headers or {}


class FakeProvider:
    """Threaded fake HTTP server for every provider (see module docstring)."""

    def __init__(
        self,
        credentials=None,
        latency=0.0,
        errors=None,
        max_records=200_000,
        chaos=None,
        log_path=None,
    ):
        self.credentials = copy.deepcopy(DEFAULT_CREDENTIALS)
        self.credentials["vonage"]["voice_private_key"] = vonage_voice_private_pem()
        for provider, values in (credentials or {}).items():
            self.credentials[provider] = dict(values)
        self.webhook_secrets = copy.deepcopy(DEFAULT_WEBHOOK_SECRETS)
        self.latency = latency
        self.errors = dict(errors or {})  # E.164 number -> provider error code
        self.max_records = max_records
        self.received = []
        self.accepted = []  # {"provider", "id", "to", "body", "ref", "time"}
        self.chaos = chaos
        self.log_path = log_path
        self._log = None
        self.in_flight = 0
        self.max_in_flight = 0
        self._forced = deque()
        # Picture messages: when fetch_media is set, the fake downloads every
        # MediaUrl / media_urls / media_file of a send as the provider would,
        # and records what it got in media_fetches. media_files are served at
        # /media/<name> (received MMS), with HTTP Basic media_auth if set.
        self.fetch_media = False
        self.media_fetches = []
        self.media_files = {}  # name -> (content type, bytes)
        self.media_auth = None  # (user, password) the media files require
        self.port = 0
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._connections = set()
        self._server = None
        self._thread = None
        self._url = ""

    # ------------------------------------------------------------------
    # life cycle
    # ------------------------------------------------------------------
    def start(self):
        fake = self

        class Handler(_Handler):
            provider_server = fake

        self._stopping.clear()
        if self.log_path:
            self._log = open(self.log_path, "a", encoding="utf-8")  # noqa: SIM115
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self._server.request_queue_size = 128
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="fake-sms-provider",
            daemon=True,
        )
        self._thread.start()
        host, port = self._server.server_address[:2]
        self._url = f"http://{host}:{port}"
        return self

    def stop(self):
        if not self._server:
            return
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        self._thread.join(timeout=5)
        self._server = self._thread = None
        if self._log:
            self._log.close()
            self._log = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()

    @property
    def url(self):
        """Base URL, e.g. http://127.0.0.1:40123 (kept after stop)."""
        return self._url

    # ------------------------------------------------------------------
    # configuration helpers
    # ------------------------------------------------------------------
    def config(self, provider, **overrides):
        """A gateway config dict pointing at this fake for ``provider``."""
        config = {
            "base_url": self.url,
            "sender": DEFAULT_SENDERS.get(provider, ""),
            "credentials": dict(self.credentials.get(provider, {})),
            "connect_timeout": 2,
            "read_timeout": 5,
        }
        config.update(overrides)
        return config

    def force(self, status=None, body=None, headers=None, **options):
        """Queue a forced answer for the next matching request."""
        self._forced.append(
            ForcedResponse(status=status, body=body, headers=headers or {}, **options)
        )

    def reset(self):
        with self._lock:
            self.received = []
            self.accepted = []
            self.media_fetches = []
            self.max_in_flight = 0
        self.fetch_media = False
        self.media_files = {}
        self.media_auth = None
        self._forced.clear()
        self.errors.clear()

    def messages(self, provider=None):
        """Every message received, flattened, in arrival order."""
        return [
            message
            for record in list(self.received)
            if record.kind == "send"
            and (provider is None or record.provider == provider)
            for message in record.messages
        ]

    def secrets(self):
        """Every credential value the fake knows (for leak checks)."""
        return [
            value
            for values in (
                *self.credentials.values(),
                *self.webhook_secrets.values(),
            )
            for value in values.values()
            if value
        ]

    def calls(self, provider=None):
        """Every call placed (text-to-speech), in arrival order: dicts with
        "to", "from", "body" (the spoken text), "language" and "record"."""
        return [
            {**message, "record": record}
            for record in list(self.received)
            if record.kind == "call"
            and (provider is None or record.provider == provider)
            for message in record.messages
        ]

    def call_callback(self, provider, call_id, status, url, **options):
        """(headers, body) of a call's status callback as ``provider`` sends
        it (see _<provider>_call_callback: duration, answered_by, price,
        fields; signing options as in ``status_callback``)."""
        signer = _Signer(
            self,
            provider,
            url,
            options.pop("secret", None),
            options.pop("sign", True),
            options.pop("timestamp", None),
            options.pop("nonce", None),
        )
        return globals()[f"_{provider}_call_callback"](
            signer, call_id, status, **options
        )

    def incoming_call(self, provider, from_number, url, to=None, **options):
        """(headers, body) of a call to the texting number as ``provider``
        announces it to the application's voice (answer) URL."""
        signer = _Signer(
            self,
            provider,
            url,
            options.pop("secret", None),
            options.pop("sign", True),
            options.pop("timestamp", None),
            options.pop("nonce", None),
        )
        to = to or DEFAULT_SENDERS.get(provider) or "+15550009999"
        return globals()[f"_{provider}_incoming_call"](signer, from_number, to)

    def count_to(self, number):
        return sum(1 for message in self.messages() if message["to"] == number)

    # ------------------------------------------------------------------
    # webhooks: callbacks as each provider would send them
    # ------------------------------------------------------------------
    def webhook_credentials(self, provider):
        """Credentials an adapter needs to check this fake's callbacks."""
        values = dict(self.credentials.get(provider, {}))
        values.update(self.webhook_secrets.get(provider, {}))
        if provider == "telnyx" and "public_key" not in values:
            values["public_key"] = telnyx_public_key()
        return values

    def webhook_config(self, provider, **overrides):
        """Like ``config`` with the webhook credentials added."""
        config = self.config(provider, **overrides)
        config["credentials"] = {
            **self.webhook_credentials(provider),
            **config["credentials"],
        }
        return config

    def status_callback(
        self,
        provider,
        provider_id,
        status,
        url,
        *,
        error_code=None,
        secret=None,
        sign=True,
        timestamp=None,
        nonce=None,
        **options,
    ):
        """(headers, body) of a delivery report as ``provider`` sends it.

        ``status`` is the provider's own word (Twilio "undelivered", Telnyx
        "delivery_failed", a SimpleTexting trigger...; "delivered", "sent"
        and "failed" work for every provider). ``secret`` replaces the key
        it is signed with (Telnyx: a 32-byte private seed), ``sign=False``
        leaves it unsigned, ``timestamp`` (unix seconds) and ``nonce`` fix
        the values of schemes that have them. ``fields`` adds or replaces
        payload fields; other options are listed by each builder below.
        """
        builder = globals()[f"_{provider}_status_callback"]
        signer = _Signer(self, provider, url, secret, sign, timestamp, nonce)
        return builder(signer, provider_id, status, error_code, **options)

    def inbound_callback(
        self,
        provider,
        from_number,
        body,
        url,
        *,
        to=None,
        message_id=None,
        secret=None,
        sign=True,
        timestamp=None,
        nonce=None,
        **options,
    ):
        """(headers, body) of an inbound message as ``provider`` sends it.

        ``from_number`` and ``to`` are E.164; they are written in the
        provider's wire format. Signing options as in ``status_callback``.
        """
        builder = globals()[f"_{provider}_inbound_callback"]
        signer = _Signer(self, provider, url, secret, sign, timestamp, nonce)
        to = to if to is not None else DEFAULT_SENDERS.get(provider) or "+15550009999"
        message_id = message_id or _new_id(provider)
        return builder(signer, from_number, to, body, message_id, **options)

    # ------------------------------------------------------------------
    # internals used by the handler
    # ------------------------------------------------------------------
    def _take_forced(self, path):
        with self._lock:
            for forced in self._forced:
                if forced.path in path:
                    self._forced.remove(forced)
                    return forced
        return None

    def _record(self, record):
        with self._lock:
            self.received.append(record)
            if len(self.received) > self.max_records:
                del self.received[0]
            self._write_log(
                {
                    "event": "received",
                    "provider": record.provider,
                    "kind": record.kind,
                    "messages": [
                        {"to": m["to"], "body": m["body"]} for m in record.messages
                    ],
                    "time": time.time(),
                }
            )

    def _accept(self, provider, entries):
        """Remember messages the fake accepted (answers lookups, logs)."""
        now = time.time()
        with self._lock:
            for entry in entries:
                entry = {"provider": provider, "time": now, **entry}
                self.accepted.append(entry)
                self._write_log({"event": "accepted", **entry})

    def _write_log(self, event):
        if self._log:
            self._log.write(json.dumps(event) + "\n")
            self._log.flush()

    def _enter(self):
        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)

    def _leave(self):
        with self._lock:
            self.in_flight -= 1

    def _sleep(self, seconds):
        if seconds > 0:
            self._stopping.wait(min(seconds, MAX_DELAY))

    def _error_for(self, number):
        return self.errors.get(number)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FakeSMS/1.0"
    timeout = 30  # idle keep-alive connections end after this
    provider_server = None  # set by FakeProvider.start

    def setup(self):
        result = super().setup()
        # Headers and body are written separately: without TCP_NODELAY, Nagle's
        # algorithm and the client's delayed ACK add ~40 ms per answer.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self.provider_server._lock:
            self.provider_server._connections.add(self.connection)
        return result

    def finish(self):
        with self.provider_server._lock:
            self.provider_server._connections.discard(self.connection)
        with contextlib.suppress(OSError):
            return super().finish()
        return None

    def log_message(self, format, *args):
        pass

    def do_GET(self):
        self._handle()

    def do_POST(self):
        self._handle()

    # ------------------------------------------------------------------
    def _handle(self):
        fake = self.provider_server
        fake._enter()
        try:
            path = urlsplit(self.path).path
            if self.command == "GET" and path.startswith("/media/"):
                self._serve_media(fake, path[len("/media/") :])
            else:
                self._dispatch(fake)
        finally:
            fake._leave()

    def _read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            raise _Answer(413, {"error": "Request body too large"})
        return self.rfile.read(length) if length else b""

    def _serve_media(self, fake, name):
        """A received picture, as a provider's media store serves it."""
        if fake.media_auth and _basic_header(self.headers) != tuple(fake.media_auth):
            self._send(401, {"error": "media requires authentication"})
            return
        if name not in fake.media_files:
            self._send(404, {"error": "no such media"})
            return
        content_type, data = fake.media_files[name]
        self._send_raw(200, data, content_type)

    def _dispatch(self, fake):
        parts = urlsplit(self.path)
        try:
            raw = self._read_body()
        except _Answer as answer:
            self.close_connection = True
            self._send(answer.status, answer.body, answer.headers)
            return
        route = self._route(parts.path)
        provider, kind, params = route if route else ("", "unknown", {})
        record = ReceivedRequest(
            provider=provider,
            kind=kind,
            method=self.command,
            path=parts.path,
            query={k: v[-1] for k, v in parse_qs(parts.query).items()},
            headers=dict(self.headers.items()),
            body=self._parse_body(raw),
            messages=[],
            timestamp=time.monotonic(),
        )
        try:
            record.messages = _extract_messages(provider, kind, record.body)
        except (AttributeError, TypeError, ValueError):
            record.messages = []
        if route:
            record.authorized = _authorized(fake, provider, record, params)
        _fetch_media(fake, record)
        fake._record(record)
        fake._sleep(fake.latency)
        forced = fake._take_forced(parts.path)
        if forced:
            fake._sleep(forced.delay)
            if forced.drop:
                self._drop()
                return
            if forced.malformed:
                self._send_raw(forced.status or 200, b"<html>OK", "text/html")
                return
            if forced.status is not None:
                body = forced.body
                if body is None:
                    body = {"message": HTTPStatus(forced.status).phrase}
                self._send(forced.status, body, forced.headers)
                return
        if not route:
            self._send(404, {"error": f"No fake route for {self.command} {parts.path}"})
            return
        fault = fake.chaos.roll() if fake.chaos and kind == "send" else None
        if self._fail_before_handling(fault):
            return
        try:
            _check_content_type(provider, kind, record)
            # The Vonage SMS API reports bad credentials inside a 200 answer.
            if not record.authorized and (provider, kind) != ("vonage", "send"):
                _unauthorized(provider)
            handler = globals()[f"_{provider}_{kind}"]
            status, body = handler(fake, record, params)
        except _Answer as answer:
            self._send(answer.status, answer.body, answer.headers)
            return
        except Exception as error:  # a request the fake cannot handle
            self._send(500, {"error": f"fake provider error: {error!r}"})
            return
        if kind == "send" and 200 <= status < 300:
            fake._accept(provider, _accepted_entries(provider, body))
        self._answer_with_fault(fault, status, body)

    def _fail_before_handling(self, fault):
        """Answer a chaos fault that accepts nothing; True when answered."""
        if fault == "throttle":
            body = {"code": 20429, "message": "Too Many Requests"}
            self._send(429, body, {"Retry-After": "1"})
            return True
        if fault in ("unavailable", "lost"):
            status = 503 if fault == "unavailable" else 500
            self._send(status, {"message": HTTPStatus(status).phrase})
            return True
        return False

    def _answer_with_fault(self, fault, status, body):
        """Send the handler's answer, spoiled by a chaos fault after acceptance."""
        if fault == "accepted_500":
            self._send(500, {"message": "Internal Server Error"})
            return
        if fault == "hang":
            self.provider_server._sleep(self.provider_server.chaos.hang)
        self._send(status, body)

    def _route(self, path):
        for method, pattern, provider, kind in _ROUTES:
            match = pattern.match(path)
            if match and method == self.command:
                return provider, kind, match.groupdict()
        return None

    def _parse_body(self, raw):
        if not raw:
            return {}
        text = raw.decode("utf-8", errors="replace")
        content_type = self.headers.get("Content-Type", "")
        if "json" in content_type:
            try:
                return json.loads(text)
            except ValueError:
                return text
        if "x-www-form-urlencoded" in content_type:
            # Twilio's MediaUrl may be repeated: kept as a list.
            return {
                k: v if k == "MediaUrl" else v[-1]
                for k, v in parse_qs(text, keep_blank_values=True).items()
            }
        return text

    def _send(self, status, body, headers=None):
        if isinstance(body, dict | list):
            data = json.dumps(body).encode()
            content_type = "application/json"
        else:
            data = body if isinstance(body, bytes) else str(body).encode()
            content_type = "text/plain; charset=utf-8"
        self._send_raw(status, data, content_type, headers)

    def _send_raw(self, status, data, content_type, headers=None):
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, str(value))
            self.end_headers()
            self.wfile.write(data)
            self.wfile.flush()
        except OSError:
            self.close_connection = True

    def _drop(self):
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)


# ----------------------------------------------------------------------
# authentication
# ----------------------------------------------------------------------
def _basic(record):
    return _basic_header(record.headers)


def _basic_header(headers):
    header = headers.get("Authorization", "")
    if not header.startswith("Basic "):
        return None
    try:
        user, _sep, password = base64.b64decode(header[6:]).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return user, password


def _bearer(record):
    header = record.headers.get("Authorization", "")
    return header[7:] if header.startswith("Bearer ") else None


def _authorized(fake, provider, record, params):
    creds = fake.credentials.get(provider, {})
    basic, bearer = _basic(record), _bearer(record)
    if provider == "twilio":
        expected = (creds.get("account_sid"), creds.get("auth_token"))
        return basic == expected and params.get("account") == expected[0]
    if provider == "clicksend":
        return basic == (creds.get("username"), creds.get("api_key"))
    if provider == "vonage" and record.kind == "call":
        return bool(bearer) and _vonage_voice_jwt_ok(bearer, creds)
    if provider == "vonage":
        expected = (creds.get("api_key"), creds.get("api_secret"))
        body = record.body if isinstance(record.body, dict) else {}
        source = body if record.kind == "send" else record.query
        in_params = (source.get("api_key"), source.get("api_secret")) == expected
        return in_params or basic == expected
    if provider in ("telnyx", "simpletexting"):
        key = "api_key" if provider == "telnyx" else "api_token"
        return bool(bearer) and bearer == creds.get(key)
    if provider == "plivo":
        expected = (creds.get("auth_id"), creds.get("auth_token"))
        return basic == expected and params.get("account") == expected[0]
    if provider == "eztexting":
        return basic == (creds.get("username"), creds.get("password"))
    return False


def _check_content_type(provider, kind, record):
    if kind not in ("send", "call"):
        return
    content_type = record.headers.get("Content-Type", "")
    if provider == "twilio":
        expected = ("x-www-form-urlencoded",)
    elif provider == "vonage":
        expected = ("x-www-form-urlencoded", "json")
    else:
        expected = ("json",)
    if not any(kind in content_type for kind in expected) or not isinstance(
        record.body, dict
    ):
        raise _Answer(415, {"error": f"Unsupported content type {content_type!r}"})


def _unauthorized(provider):
    bodies = {
        "twilio": (
            401,
            {
                "code": 20003,
                "message": "Authenticate",
                "more_info": "https://www.twilio.com/docs/errors/20003",
                "status": 401,
            },
        ),
        "clicksend": (
            401,
            {
                "http_code": 401,
                "response_code": "INVALID_CREDENTIALS",
                "response_msg": "Invalid credentials.",
                "data": None,
            },
        ),
        # The Vonage SMS API answers 200 with status "4" (see _vonage_send).
        "vonage": (401, {"type": "about:blank", "title": "Bad Credentials"}),
        "telnyx": (
            401,
            {
                "errors": [
                    {
                        "code": "10009",
                        "title": "Authentication failed",
                        "detail": "The API key looks malformed or is not valid.",
                    }
                ]
            },
        ),
        "plivo": (401, {"api_id": str(uuid.uuid4()), "error": "authentication failed"}),
        "simpletexting": (
            401,
            {
                "status": 401,
                "errorCode": "ERR_AUTH_TOKEN_INVALID",
                "message": "Invalid API token",
            },
        ),
        "eztexting": (
            401,
            {"status": 401, "title": "Unauthorized", "detail": "Invalid credentials"},
        ),
    }
    status, body = bodies[provider]
    raise _Answer(status, body)


# ----------------------------------------------------------------------
# message extraction (for the records)
# ----------------------------------------------------------------------
def _msg(provider, to, sender, body, media=None):
    return {
        "to": to_e164(to, provider),
        "from": sender or "",
        "body": body if body is not None else "",
        "raw_to": to,
        "media": list(media or []),
    }


def _fetch_media(fake, record):
    """Download each media URL of a send, as providers do before sending
    (only when ``fake.fetch_media`` is set)."""
    if not fake.fetch_media or record.kind != "send":
        return
    for message in record.messages:
        for url in message["media"]:
            entry = {"url": url, "status": 0, "content_type": "", "length": 0}
            try:
                with urllib.request.urlopen(url, timeout=20) as answer:  # noqa: S310
                    data = answer.read()
                    entry.update(
                        status=answer.status,
                        content_type=answer.headers.get("Content-Type", ""),
                        length=int(answer.headers.get("Content-Length") or 0),
                        size=len(data),
                    )
            except urllib.error.HTTPError as error:
                entry["status"] = error.code
            except OSError as error:
                entry["error"] = repr(error)
            with fake._lock:
                fake.media_fetches.append(entry)


def _extract_messages(provider, kind, body):
    if kind == "call" and isinstance(body, dict):
        return _extract_call(provider, body)
    if kind != "send" or not isinstance(body, dict):
        return []
    if provider == "twilio":
        sender = body.get("From") or body.get("MessagingServiceSid")
        media = body.get("MediaUrl") or []
        return [_msg(provider, body.get("To"), sender, body.get("Body"), media)]
    if provider == "clicksend":
        media = [body["media_file"]] if body.get("media_file") else []
        return [
            _msg(provider, m.get("to"), m.get("from"), m.get("body"), media)
            for m in body.get("messages") or []
        ]
    if provider == "vonage":
        return [_msg(provider, body.get("to"), body.get("from"), body.get("text"))]
    if provider == "telnyx":
        media = body.get("media_urls") or []
        return [
            _msg(provider, body.get("to"), body.get("from"), body.get("text"), media)
        ]
    if provider == "plivo":
        media = body.get("media_urls") or []
        return [
            _msg(provider, dst, body.get("src"), body.get("text"), media)
            for dst in str(body.get("dst") or "").split("<")
        ]
    if provider == "simpletexting":
        return [
            _msg(
                provider,
                body.get("contactPhone"),
                body.get("accountPhone"),
                body.get("text"),
            )
        ]
    if provider == "eztexting":
        return [
            _msg(provider, number, "", body.get("message"))
            for number in body.get("toNumbers") or []
        ]
    return []


def _bad_request(body, status=400):
    raise _Answer(status, body)


# ----------------------------------------------------------------------
# provider handlers: _<provider>_<kind>(fake, record, params) -> (status, body)
# ----------------------------------------------------------------------
def _twilio_error(code, message):
    status = TWILIO_STATUS.get(code, 400)
    text = TWILIO_MESSAGES.get(code, "Error {code}").format(
        to=message["raw_to"], sender=message["from"], code=code
    )
    _bad_request(
        {
            "code": code,
            "message": text,
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status,
        },
        status,
    )


def _twilio_send(fake, record, params):
    (message,) = record.messages
    if not message["from"]:
        _twilio_error(21603, message)
    if not re.match(r"^\+[1-9]\d{6,14}$", message["raw_to"] or ""):
        _twilio_error(21211, message)
    code = fake._error_for(message["to"])
    if code is not None:
        _twilio_error(int(code), message)
    service = record.body.get("MessagingServiceSid")
    media = message["media"]
    if len(media) > 10:
        _bad_request({"code": 21623, "message": "Too many media URLs", "status": 400})
    return 201, {
        "sid": ("MM" if media else "SM") + uuid.uuid4().hex,
        "account_sid": params["account"],
        "messaging_service_sid": service,
        "to": message["raw_to"],
        "from": record.body.get("From"),
        "body": message["body"],
        "status": "accepted" if service else "queued",
        "num_segments": str(count_segments(message["body"])),
        "num_media": str(len(media)),
        "direction": "outbound-api",
        "price": None,
        "price_unit": "USD",
        "error_code": None,
        "error_message": None,
        "uri": f"/2010-04-01/Accounts/{params['account']}/Messages.json",
    }


def _twilio_account(fake, record, params):
    return 200, {
        "sid": params["account"],
        "friendly_name": "Fake Twilio account",
        "status": "active",
        "type": "Full",
    }


def _clicksend_send(fake, record, params):
    messages = record.body.get("messages") if isinstance(record.body, dict) else None
    if not isinstance(messages, list) or not messages:
        _bad_request(
            {
                "http_code": 400,
                "response_code": "BAD_REQUEST",
                "response_msg": "No messages",
            }
        )
    if len(messages) > 1000:
        _bad_request(
            {
                "http_code": 400,
                "response_code": "TOO_MANY_RECIPIENTS",
                "response_msg": "At most 1000 messages per request.",
            }
        )
    if record.path.endswith("/mms/send") and (
        not record.body.get("media_file") or not all(m.get("subject") for m in messages)
    ):
        _bad_request(
            {
                "http_code": 400,
                "response_code": "SUBJECT_REQUIRED"
                if record.body.get("media_file")
                else "INVALID_MEDIA_FILE",
                "response_msg": "An MMS needs a media_file and a subject.",
            }
        )
    entries, total, queued = [], 0.0, 0
    for wire, message in zip(messages, record.messages, strict=True):
        status = str(fake._error_for(message["to"]) or "SUCCESS")
        parts = count_segments(message["body"])
        price = 0.077 * parts if status == "SUCCESS" else 0.0
        total += price
        queued += status == "SUCCESS"
        entries.append(
            {
                "direction": "out",
                "date": int(time.time()),
                "to": message["raw_to"],
                "body": message["body"],
                "from": wire.get("from") or "+61411111111",
                "schedule": 0,
                "message_id": str(uuid.uuid4()).upper(),
                "message_parts": parts,
                "message_price": f"{price:.4f}",
                "country": "US",
                "carrier": "Fake",
                "status": status,
            }
        )
        if status == "SUCCESS":
            # ClickSend leaves custom_string out of a refused recipient's entry.
            entries[-1]["custom_string"] = wire.get("custom_string", "")
    return 200, {
        "http_code": 200,
        "response_code": "SUCCESS",
        "response_msg": "Messages queued for delivery.",
        "data": {
            "total_price": round(total, 4),
            "total_count": len(entries),
            "queued_count": queued,
            "messages": entries,
            "_currency": {"currency_name_short": "USD"},
        },
    }


def _accepted_entries(provider, body):
    """The messages of a 2xx send answer the provider took, for fake.accepted."""
    if provider == "twilio":
        return [{"id": body["sid"], "to": body["to"], "body": body["body"], "ref": ""}]
    if provider == "clicksend":
        return [
            {
                "id": entry["message_id"],
                "to": to_e164(entry["to"], provider),
                "body": entry["body"],
                "ref": entry.get("custom_string", ""),
            }
            for entry in body["data"]["messages"]
            if entry["status"] == "SUCCESS"
        ]
    return []


def _rfc2822(timestamp):
    return email.utils.formatdate(timestamp, usegmt=False).replace("-0000", "+0000")


def _twilio_list(fake, record, params):
    """Messages list, newest first, filtered by To and DateSent (a day)."""
    to = record.query.get("To", "")
    day = record.query.get("DateSent>", "")
    page = int(record.query.get("Page") or 0)
    size = min(int(record.query.get("PageSize") or 50), 1000)
    with fake._lock:
        found = [
            entry
            for entry in fake.accepted
            if entry["provider"] == "twilio"
            and (not to or entry["to"] == to)
            and (
                not day or time.strftime("%Y-%m-%d", time.gmtime(entry["time"])) >= day
            )
        ]
    found.reverse()
    chunk = found[page * size : (page + 1) * size]
    base = f"/2010-04-01/Accounts/{params['account']}/Messages.json"
    next_uri = None
    if (page + 1) * size < len(found):
        query = urlencode({**record.query, "Page": page + 1})
        next_uri = f"{base}?{query}"
    return 200, {
        "messages": [
            {
                "sid": entry["id"],
                "to": entry["to"],
                "from": DEFAULT_SENDERS["twilio"],
                "body": entry["body"],
                "direction": "outbound-api",
                "status": "sent",
                "date_created": _rfc2822(entry["time"]),
                "date_sent": _rfc2822(entry["time"]),
            }
            for entry in chunk
        ],
        "page": page,
        "page_size": size,
        "next_page_uri": next_uri,
    }


def _clicksend_history(fake, record, params):
    """Sent-messages history between date_from and date_to (unix seconds)."""
    start = float(record.query.get("date_from") or 0)
    end = float(record.query.get("date_to") or time.time() + 1)
    page = max(int(record.query.get("page") or 1), 1)
    limit = min(int(record.query.get("limit") or 15), 100)
    with fake._lock:
        found = [
            entry
            for entry in fake.accepted
            if entry["provider"] == "clicksend" and start <= entry["time"] <= end
        ]
    chunk = found[(page - 1) * limit : page * limit]
    return 200, {
        "http_code": 200,
        "response_code": "SUCCESS",
        "response_msg": "Here are your results.",
        "data": {
            "total": len(found),
            "per_page": limit,
            "current_page": page,
            "last_page": max(1, -(-len(found) // limit)),
            "data": [
                {
                    "message_id": entry["id"],
                    "to": entry["to"],
                    "body": entry["body"],
                    "custom_string": entry["ref"],
                    "date": int(entry["time"]),
                    "status": "Sent",
                }
                for entry in chunk
            ],
        },
    }


def _clicksend_account(fake, record, params):
    return 200, {
        "http_code": 200,
        "response_code": "SUCCESS",
        "response_msg": "Here's your account",
        "data": {
            "username": fake.credentials["clicksend"]["username"],
            "balance": "12.34",
            "_currency": {"currency_name_short": "USD"},
        },
    }


def _vonage_send(fake, record, params):
    # Vonage answers HTTP 200 even for errors, with a string status per part.
    (message,) = record.messages
    body = record.body if isinstance(record.body, dict) else {}

    def error(status):
        return 200, {
            "message-count": "1",
            "messages": [
                {
                    "status": status,
                    "error-text": VONAGE_TEXTS.get(status, "Error"),
                }
            ],
        }

    creds = fake.credentials["vonage"]
    if (body.get("api_key"), body.get("api_secret")) != (
        creds["api_key"],
        creds["api_secret"],
    ):
        return error("4")
    if not body.get("from"):
        return error("2")
    if not re.match(r"^[1-9]\d{6,14}$", message["raw_to"] or ""):
        return error("3")
    code = fake._error_for(message["to"])
    if code is not None:
        return error(str(code))
    parts = count_segments(message["body"])
    return 200, {
        "message-count": str(parts),
        "messages": [
            {
                "to": message["raw_to"],
                "message-id": uuid.uuid4().hex.upper()[:16],
                "status": "0",
                "remaining-balance": "10.50",
                "message-price": "0.03330000",
                "network": "12345",
                "client-ref": body.get("client-ref", ""),
            }
            for _part in range(parts)
        ],
    }


def _vonage_account(fake, record, params):
    return 200, {"value": 10.28, "autoReload": False}


def _telnyx_error(code):
    status, title = TELNYX_ERRORS.get(str(code), (400, "Error"))
    _bad_request(
        {
            "errors": [
                {
                    "code": str(code),
                    "title": title,
                    "detail": f"{title}.",
                    "meta": {
                        "url": f"https://developers.telnyx.com/docs/errors/{code}"
                    },
                }
            ]
        },
        status,
    )


def _telnyx_send(fake, record, params):
    (message,) = record.messages
    if not str(message["raw_to"] or "").startswith("+"):
        _telnyx_error("10016")
    if not message["from"]:
        _telnyx_error("40013")
    code = fake._error_for(message["to"])
    if code is not None:
        _telnyx_error(code)
    parts = count_segments(message["body"])
    if message["media"] and record.body.get("type") != "MMS":
        _bad_request({"errors": [{"code": "10015", "title": "type must be MMS"}]})
    return 200, {
        "data": {
            "record_type": "message",
            "id": str(uuid.uuid4()),
            "direction": "outbound",
            "type": "MMS" if message["media"] else "SMS",
            "media": [{"url": url} for url in message["media"]],
            "from": {"phone_number": message["from"], "carrier": "Fake"},
            "to": [{"phone_number": message["raw_to"], "status": "queued"}],
            "text": message["body"],
            "parts": parts,
            "encoding": "GSM-7",
            "cost": {"amount": f"{0.004 * parts:.4f}", "currency": "USD"},
            "errors": [],
            "webhook_url": record.body.get("webhook_url"),
        }
    }


def _telnyx_account(fake, record, params):
    return 200, {
        "data": {
            "record_type": "balance",
            "balance": "300.00",
            "credit_limit": "0.00",
            "available_credit": "300.00",
            "currency": "USD",
        }
    }


def _plivo_send(fake, record, params):
    api_id = str(uuid.uuid4())
    if not isinstance(record.body, dict) or not record.body.get("src"):
        _bad_request({"api_id": api_id, "error": "src parameter is required"})
    uuids, invalid = [], []
    media = record.body.get("media_urls")
    if media and record.body.get("type") != "mms":
        _bad_request({"api_id": api_id, "error": "media_urls needs type mms"})
    for message in record.messages:
        code = fake._error_for(message["to"])
        if code == "invalid":
            invalid.append(message["raw_to"])
        elif code is not None:
            _bad_request({"api_id": api_id, "error": str(code)})
        else:
            uuids.append(str(uuid.uuid4()))
    body = {"api_id": api_id, "message": "message(s) queued", "message_uuid": uuids}
    if invalid:
        body["invalid_number"] = invalid
    return 202, body


def _plivo_account(fake, record, params):
    return 200, {
        "api_id": str(uuid.uuid4()),
        "account_type": "standard",
        "auth_id": params["account"],
        "cash_credits": "12.34000",
        "name": "Fake Plivo account",
    }


SIMPLETEXTING_MESSAGES = {
    "ERR_CONTACT_UNSUBSCRIBED": "The contact has unsubscribed",
    "ERR_NOT_ENOUGH_CREDITS": "Not enough credits",
    "ERR_INVALID_PHONE": "Invalid contact phone",
}


def _simpletexting_send(fake, record, params):
    (message,) = record.messages
    if not re.match(r"^\d{10}$", str(message["raw_to"] or "")):
        code = "ERR_INVALID_PHONE"
    else:
        code = fake._error_for(message["to"])
    if code is not None:
        _bad_request(
            {
                "status": 400,
                "errorCode": str(code),
                "code": str(code),
                "message": SIMPLETEXTING_MESSAGES.get(str(code), str(code)),
                "path": record.path,
            }
        )
    return 201, {
        "id": uuid.uuid4().hex[:24],
        "credits": count_segments(message["body"]),
    }


def _simpletexting_account(fake, record, params):
    return 200, {
        "content": [{"phone": "8005551234", "phoneType": "TOLL_FREE"}],
        "totalElements": 1,
        "totalPages": 1,
    }


def _eztexting_send(fake, record, params):
    for message in record.messages:
        if not re.match(r"^1?\d{10}$", str(message["raw_to"] or "")):
            code = "Invalid phone number"
        else:
            code = fake._error_for(message["to"])
        if code is not None:
            _bad_request(
                {
                    "status": 400,
                    "title": "Bad Request",
                    "detail": str(code),
                    "errors": [{"title": "toNumbers", "message": str(code)}],
                }
            )
    # UNCONFIRMED shape (reference 4.1): the id field of the answer.
    return 201, {
        "id": str(uuid.uuid4().int)[:12],
        "status": "QUEUED",
        "toNumbers": record.body.get("toNumbers"),
        "message": record.body.get("message"),
    }


def _eztexting_account(fake, record, params):
    return 200, {"plan": 500, "anytime": 120, "total": 620}


# ----------------------------------------------------------------------
# webhooks: building signed callbacks (see FakeProvider.status_callback)
# ----------------------------------------------------------------------
# A fixed Ed25519 key pair for tests only (it signs nothing real).
TELNYX_TEST_SEED = hashlib.sha256(b"text_messaging fake Telnyx webhook key").digest()


def telnyx_private_key(seed=TELNYX_TEST_SEED):
    """The Ed25519 private key of the fake's Telnyx callbacks (cryptography)."""
    try:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import (
            Ed25519PrivateKey,
        )
    except ImportError as error:  # pragma: no cover - cryptography ships with Odoo
        raise RuntimeError("Telnyx callbacks need the cryptography package") from error
    return Ed25519PrivateKey.from_private_bytes(seed)


def telnyx_public_key(seed=TELNYX_TEST_SEED):
    """Base64 of the raw 32-byte public key, as the Telnyx portal shows it."""
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    raw = (
        telnyx_private_key(seed)
        .public_key()
        .public_bytes(Encoding.Raw, PublicFormat.Raw)
    )
    return base64.b64encode(raw).decode()


def request_fields(url, headers, body, method="POST"):
    """The fields of a ``gateways.base.WebhookRequest`` for a callback, as the
    Odoo controller builds them: lower-cased headers, parsed form or JSON."""
    headers = {name.lower(): value for name, value in headers.items()}
    content_type = headers.get("content-type", "").split(";")[0].strip()
    form, data = {}, None
    if content_type == "application/x-www-form-urlencoded":
        text = body.decode("utf-8", errors="replace")
        form = {k: v[-1] for k, v in parse_qs(text, keep_blank_values=True).items()}
    elif content_type == "application/json":
        try:
            data = json.loads(body)
        except (ValueError, RecursionError):  # deeply nested JSON too
            data = None
    query = {k: v[-1] for k, v in parse_qs(urlsplit(url).query).items()}
    return {
        "method": method,
        "url": url,
        "headers": headers,
        "body": body,
        "form": form,
        "json": data,
        "query": query,
    }


def _new_id(provider):
    if provider == "twilio":
        return "SM" + uuid.uuid4().hex
    if provider == "vonage":
        return uuid.uuid4().hex.upper()[:16]
    if provider == "eztexting":
        return str(uuid.uuid4().int)[:12]
    if provider == "simpletexting":
        return uuid.uuid4().hex[:24]
    return str(uuid.uuid4())


def _wire(number, provider):
    """A number as the provider writes it in callbacks."""
    number = str(number or "")
    if provider in ("vonage", "plivo") and number.startswith("+"):
        return number[1:]
    if provider in ("simpletexting", "eztexting") and number.startswith("+1"):
        return number[2:]
    return number


def _hmac_b64(key, message, digest):
    return base64.b64encode(
        hmac.new(key.encode(), message.encode(), digest).digest()
    ).decode()


def _sorted_pairs(pairs):
    values = {}
    for name, value in pairs:
        values.setdefault(name, []).append(value)
    return [(name, value) for name in sorted(values) for value in sorted(values[name])]


class _Signer:
    """Signs one callback for a provider (independent of gateways/)."""

    FORM = "application/x-www-form-urlencoded"

    def __init__(self, fake, provider, url, secret, sign, timestamp, nonce):
        self.fake, self.provider, self.url = fake, provider, url
        self.secret, self.sign = secret, sign
        self.timestamp = int(time.time()) if timestamp is None else int(timestamp)
        self.nonce = nonce

    def key(self, name):
        if self.secret is not None:
            return self.secret
        return self.fake.webhook_credentials(self.provider).get(name, "")

    def form(self, fields, headers=None):
        pairs = [(k, str(v)) for k, v in fields.items() if v is not None]
        body = urlencode(pairs).encode()
        return {"Content-Type": self.FORM, **(headers or {})}, body

    def json(self, data, headers=None):
        body = json.dumps(data, ensure_ascii=False).encode("utf-8")
        return {"Content-Type": "application/json", **(headers or {})}, body

    # provider schemes ----------------------------------------------------
    def twilio(self, fields):
        headers, body = self.form(fields)
        if self.sign:
            pairs = parse_qsl(body.decode(), keep_blank_values=True)
            text = self.url + "".join(k + v for k, v in _sorted_pairs(pairs))
            headers["X-Twilio-Signature"] = _hmac_b64(
                self.key("auth_token"), text, hashlib.sha1
            )
        return headers, body

    def plivo(self, fields):
        headers, body = self.form(fields)
        if self.sign:
            nonce = self.nonce or str(uuid.uuid4().int)[:20]
            parts = urlsplit(self.url)
            root = f"{parts.scheme}://{parts.netloc}{parts.path}"
            query_pairs = parse_qsl(parts.query, keep_blank_values=True)
            query = "&".join(f"{k}={v}" for k, v in _sorted_pairs(query_pairs))
            pairs = parse_qsl(body.decode(), keep_blank_values=True)
            params = "".join(k + v for k, v in _sorted_pairs(pairs))
            if params:
                base = root + "?" + query + ("." if query else "") + params
            else:
                base = root + ("?" + query if query else "")
            headers["X-Plivo-Signature-V3"] = _hmac_b64(
                self.key("auth_token"), f"{base}.{nonce}", hashlib.sha256
            )
            headers["X-Plivo-Signature-V3-Nonce"] = nonce
        return headers, body

    def vonage(self, fields, content="form", sig_method="md5hash"):
        fields = {k: str(v) for k, v in fields.items() if v is not None}
        if self.sign:
            fields["timestamp"] = str(self.timestamp)
            fields["nonce"] = self.nonce or str(uuid.uuid4())
            text = "".join(
                "&{}={}".format(k, v.replace("&", "_").replace("=", "_"))
                for k, v in sorted(fields.items())
            )
            secret = self.key("signature_secret")
            if sig_method == "md5hash":
                sig = hashlib.md5((text + secret).encode()).hexdigest()
            else:
                sig = hmac.new(secret.encode(), text.encode(), sig_method).hexdigest()
            fields["sig"] = sig
        return self.json(fields) if content == "json" else self.form(fields)

    def vonage_jwt(self, data, claims=None):
        headers, body = self.json(data)
        if self.sign:
            payload = {
                "iat": self.timestamp,
                "jti": str(uuid.uuid4()),
                "iss": "Vonage",
                "payload_hash": hashlib.sha256(body).hexdigest(),
                **(claims or {}),
            }
            headers["Authorization"] = "Bearer " + _hs256_jwt(
                payload, self.key("signature_secret")
            )
        return headers, body

    def telnyx(self, data):
        headers, body = self.json(data)
        if self.sign:
            seed = self.secret if isinstance(self.secret, bytes) else TELNYX_TEST_SEED
            signed = str(self.timestamp).encode() + b"|" + body
            signature = telnyx_private_key(seed).sign(signed)
            headers["telnyx-signature-ed25519"] = base64.b64encode(signature).decode()
            headers["telnyx-timestamp"] = str(self.timestamp)
        return headers, body

    def eztexting(self, data):
        headers, body = self.json(data)
        if self.sign:
            headers["X-Signature"] = base64.b64encode(
                hmac.new(
                    self.key("webhook_secret").encode(), body, hashlib.sha1
                ).digest()
            ).decode()
        return headers, body


def _b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _hs256_jwt(claims, secret, header=None):
    head = _b64url(json.dumps(header or {"alg": "HS256", "typ": "JWT"}).encode())
    body = _b64url(json.dumps(claims).encode())
    mac = hmac.new(secret.encode(), f"{head}.{body}".encode(), hashlib.sha256)
    return f"{head}.{body}.{_b64url(mac.digest())}"


def _generic_status(status, delivered, sent, failed):
    return {"delivered": delivered, "sent": sent, "failed": failed}.get(status, status)


# Twilio (reference 1.5, 1.7) ----------------------------------------------
def _twilio_status_callback(signer, provider_id, status, error_code, fields=None):
    creds = signer.fake.credentials["twilio"]
    data = {
        "MessageSid": provider_id,
        "SmsSid": provider_id,
        "MessageStatus": status,
        "SmsStatus": status,
        "AccountSid": creds["account_sid"],
        "From": DEFAULT_SENDERS["twilio"],
        "To": "+15551230001",
        "ApiVersion": "2010-04-01",
        "ErrorCode": error_code,
    }
    if status in ("delivered", "undelivered"):
        data["RawDlrDoneDate"] = time.strftime("%y%m%d%H%M", time.gmtime())
    data.update(fields or {})
    return signer.twilio(data)


def _twilio_inbound_callback(signer, sender, to, body, message_id, fields=None):
    creds = signer.fake.credentials["twilio"]
    data = {
        "ToCountry": "US",
        "ToState": "NJ",
        "SmsMessageSid": message_id,
        "NumMedia": "0",
        "ToCity": "",
        "FromZip": "07001",
        "SmsSid": message_id,
        "FromState": "NJ",
        "SmsStatus": "received",
        "FromCity": "NEWARK",
        "Body": body,
        "FromCountry": "US",
        "To": to,
        "ToZip": "",
        "NumSegments": str(count_segments(body)),
        "MessageSid": message_id,
        "AccountSid": creds["account_sid"],
        "From": sender,
        "ApiVersion": "2010-04-01",
    }
    data.update(fields or {})
    return signer.twilio(data)


# ClickSend (reference 2.4-2.5; push format UNCONFIRMED) ------------------
def _clicksend_status_callback(
    signer, provider_id, status, error_code, fields=None, content="json"
):
    code = _generic_status(status, "201", "200", "301")
    data = {
        "message_id": provider_id,
        "status_code": code,
        "status_text": {"200": "Sent", "201": "Delivered"}.get(code, "Undelivered"),
        "error_code": error_code or "",
        "error_text": "Message failed" if error_code else "",
        "custom_string": "",
        "timestamp": str(signer.timestamp),
        "timestamp_send": str(signer.timestamp - 5),
        "message_type": "sms",
    }
    data.update(fields or {})
    return signer.json(data) if content == "json" else signer.form(data)


def _clicksend_inbound_callback(
    signer, sender, to, body, message_id, fields=None, content="json"
):
    data = {
        "message_id": message_id,
        "from": sender,
        "to": to,
        "body": body,
        "original_body": "",
        "original_message_id": "",
        "custom_string": "",
        "_keyword": body.split()[0].lower() if body.split() else "",
        "timestamp": str(signer.timestamp),
    }
    data.update(fields or {})
    return signer.json(data) if content == "json" else signer.form(data)


# SimpleTexting (reference 3.3) --------------------------------------------
def _simpletexting_status_callback(
    signer, provider_id, status, error_code, fields=None
):
    kind = _generic_status(
        status, "DELIVERY_REPORT", "OUTGOING_MESSAGE", "NON_DELIVERED_REPORT"
    )
    values = {
        "messageId": provider_id,
        "category": "SMS",
        "referenceType": "API_SEND",
        "accountPhone": _wire(DEFAULT_SENDERS["simpletexting"], "simpletexting"),
        "contactPhone": "5551230001",
        "carrier": "Fake Wireless",
    }
    values.update(fields or {})
    return signer.json(
        {
            "reportId": uuid.uuid4().hex[:24],
            "webhookId": "fake-webhook",
            "type": kind,
            "values": values,
        }
    )


def _simpletexting_inbound_callback(
    signer, sender, to, body, message_id, fields=None, kind="INCOMING_MESSAGE"
):
    if kind == "UNSUBSCRIBE_REPORT":
        values = {
            "contactId": uuid.uuid4().hex[:24],
            "phone": _wire(sender, "simpletexting"),
        }
    else:
        values = {
            "messageId": message_id,
            "subject": None,
            "mediaItems": [],
            "text": body,
            "accountPhone": _wire(to, "simpletexting"),
            "contactPhone": _wire(sender, "simpletexting"),
            "timestamp": time.strftime(
                "%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(signer.timestamp)
            ),
            "category": "SMS",
            "referenceType": "INBOUND",
        }
    values.update(fields or {})
    return signer.json(
        {
            "reportId": uuid.uuid4().hex[:24],
            "webhookId": "fake-webhook",
            "type": kind,
            "values": values,
        }
    )


# EZ Texting (reference 4.3; no delivery-report webhook) -------------------
def _eztexting_status_callback(*args, **kwargs):
    raise ValueError("EZ Texting sends no delivery reports (reference 4.3).")


def _eztexting_inbound_callback(
    signer, sender, to, body, message_id, fields=None, kind="inbound_text.received"
):
    data = {
        "id": message_id,
        "type": kind,
        "fromNumber": _wire(sender, "eztexting"),
        "toNumber": _wire(to, "eztexting") if to else "",
        "message": body,
        "received": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(signer.timestamp)),
        "optIn": kind == "keyword.opt_in",
        "optOut": body.strip().upper() == "STOP",
    }
    data.update(fields or {})
    return signer.eztexting(data)


# Vonage (reference 5.2-5.5) -----------------------------------------------
def _vonage_status_callback(
    signer,
    provider_id,
    status,
    error_code,
    fields=None,
    content="form",
    sig_method="md5hash",
    api="sms",
):
    if api == "messages":
        status = _generic_status(status, "delivered", "submitted", "rejected")
        data = {
            "message_uuid": provider_id,
            "to": "15551230001",
            "from": _wire(DEFAULT_SENDERS["vonage"], "vonage"),
            "timestamp": time.strftime(
                "%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(signer.timestamp)
            ),
            "status": status,
            "channel": "sms",
            "usage": {"currency": "EUR", "price": "0.0333"},
            "sms": {"count_total": "1"},
        }
        if error_code:
            data["error"] = {
                "type": "https://developer.vonage.com/api-errors/messages",
                "title": str(error_code),
                "detail": "The message was rejected",
            }
        data.update(fields or {})
        return signer.vonage_jwt(data)
    status = "accepted" if status == "sent" else status
    data = {
        "msisdn": "15551230001",
        "to": _wire(DEFAULT_SENDERS["vonage"], "vonage"),
        "network-code": "310260",
        "messageId": provider_id,
        "price": "0.03330000",
        "status": status,
        "scts": time.strftime("%y%m%d%H%M", time.gmtime(signer.timestamp)),
        "err-code": str(error_code) if error_code is not None else "0",
        "api-key": signer.fake.credentials["vonage"]["api_key"],
        "client-ref": uuid.uuid4().hex,
        "message-timestamp": time.strftime(
            "%Y-%m-%d %H:%M:%S", time.gmtime(signer.timestamp)
        ),
    }
    data.update(fields or {})
    return signer.vonage(data, content=content, sig_method=sig_method)


def _vonage_inbound_callback(
    signer,
    sender,
    to,
    body,
    message_id,
    fields=None,
    content="form",
    sig_method="md5hash",
    api="sms",
):
    if api == "messages":
        data = {
            "channel": "sms",
            "message_uuid": message_id,
            "to": _wire(to, "vonage"),
            "from": _wire(sender, "vonage"),
            "timestamp": time.strftime(
                "%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(signer.timestamp)
            ),
            "text": body,
            "message_type": "text",
        }
        data.update(fields or {})
        return signer.vonage_jwt(data)
    data = {
        "msisdn": _wire(sender, "vonage"),
        "to": _wire(to, "vonage"),
        "messageId": message_id,
        "text": body,
        "type": "text"
        if all(c in _GSM7 or c in _GSM7_EXT for c in body)
        else "unicode",
        "keyword": body.split()[0].upper() if body.split() else "",
        "api-key": signer.fake.credentials["vonage"]["api_key"],
        "message-timestamp": time.strftime(
            "%Y-%m-%d %H:%M:%S", time.gmtime(signer.timestamp)
        ),
    }
    data.update(fields or {})
    return signer.vonage(data, content=content, sig_method=sig_method)


# Telnyx (reference 6.4) ---------------------------------------------------
def _telnyx_event(signer, kind, payload):
    return signer.telnyx(
        {
            "data": {
                "event_type": kind,
                "id": str(uuid.uuid4()),
                "occurred_at": time.strftime(
                    "%Y-%m-%dT%H:%M:%S.000+00:00", time.gmtime(signer.timestamp)
                ),
                "record_type": "event",
                "payload": payload,
            },
            "meta": {"attempt": 1, "delivered_to": signer.url},
        }
    )


def _telnyx_status_callback(
    signer, provider_id, status, error_code, fields=None, kind=None
):
    status = _generic_status(status, "delivered", "sent", "delivery_failed")
    errors = []
    if error_code:
        title = TELNYX_ERRORS.get(str(error_code), (400, "Error"))[1]
        errors.append({"code": str(error_code), "title": title, "detail": f"{title}."})
    payload = {
        "record_type": "message",
        "id": provider_id,
        "direction": "outbound",
        "type": "SMS",
        "from": {"phone_number": DEFAULT_SENDERS["telnyx"], "carrier": "Fake"},
        "to": [{"phone_number": "+15551230001", "status": status, "carrier": "Fake"}],
        "text": "Your session is tomorrow at 10:00.",
        "parts": 1,
        "encoding": "GSM-7",
        "cost": {"amount": "0.0040", "currency": "USD"},
        "errors": errors,
    }
    payload.update(fields or {})
    if kind is None:
        kind = (
            "message.sent"
            if status in ("queued", "sending", "sent")
            else ("message.finalized")
        )
    return _telnyx_event(signer, kind, payload)


def _telnyx_inbound_callback(signer, sender, to, body, message_id, fields=None):
    payload = {
        "record_type": "message",
        "id": message_id,
        "direction": "inbound",
        "type": "SMS",
        "from": {"phone_number": sender, "carrier": "Fake", "line_type": "Wireless"},
        "to": [{"phone_number": to, "status": "webhook_delivered"}],
        "text": body,
        "parts": count_segments(body),
        "encoding": "GSM-7",
        "errors": [],
        "received_at": time.strftime(
            "%Y-%m-%dT%H:%M:%S.000+00:00", time.gmtime(signer.timestamp)
        ),
    }
    payload.update(fields or {})
    return _telnyx_event(signer, "message.received", payload)


# Plivo (reference 7.3-7.5) ------------------------------------------------
def _plivo_status_callback(signer, provider_id, status, error_code, fields=None):
    data = {
        "MessageUUID": provider_id,
        "To": "15551230001",
        "From": _wire(DEFAULT_SENDERS["plivo"], "plivo"),
        "Type": "sms",
        "Status": status,
        "Units": "1",
        "TotalRate": "0.00500",
        "TotalAmount": "0.00500",
        "MCC": "310",
        "MNC": "260",
        "ErrorCode": error_code,
        "ParentMessageUUID": provider_id,
        "PartInfo": "1 of 1",
        "Sequence": "1",
        "MessageTime": time.strftime(
            "%Y-%m-%d %H:%M:%S+00:00", time.gmtime(signer.timestamp)
        ),
    }
    data.update(fields or {})
    return signer.plivo(data)


def _plivo_inbound_callback(signer, sender, to, body, message_id, fields=None):
    keyword = body.strip().upper()
    intent = {"STOP": "optout", "START": "optin", "HELP": "help"}.get(keyword)
    data = {
        "From": _wire(sender, "plivo"),
        "To": _wire(to, "plivo"),
        "Text": body,
        "Type": "sms",
        "MessageUUID": message_id,
        "Units": str(count_segments(body)),
        "TotalRate": "0",
        "TotalAmount": "0",
        "MessageIntent": intent,
    }
    data.update(fields or {})
    return signer.plivo(data)


# Sandbox (simulated callbacks) --------------------------------------------
def _sandbox_status_callback(signer, provider_id, status, error_code, fields=None):
    data = {"id": provider_id, "status": status}
    if error_code:
        data["failure_code"] = error_code
    data.update(fields or {})
    return signer.json(data)


def _sandbox_inbound_callback(signer, sender, to, body, message_id, fields=None):
    data = {"id": message_id, "from": sender, "to": to, "body": body}
    data.update(fields or {})
    return signer.json(data)


# ----------------------------------------------------------------------
# calls (text-to-speech), see gateways/voice.py for the sources
# ----------------------------------------------------------------------
_VONAGE_VOICE_KEY = []


def vonage_voice_private_pem():
    """PEM of an RSA key made once per process for the fake Vonage Voice
    application (tests only; it signs nothing real)."""
    if not _VONAGE_VOICE_KEY:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa

        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
        _VONAGE_VOICE_KEY.append((key, pem))
    return _VONAGE_VOICE_KEY[0][1]


def _vonage_voice_jwt_ok(token, creds):
    """An RS256 JWT of the fake Voice application, not expired."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    try:
        head, body, signature = token.split(".")
        header = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
        claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        raw = base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4))
        vonage_voice_private_pem()
        _VONAGE_VOICE_KEY[0][0].public_key().verify(
            raw, f"{head}.{body}".encode(), padding.PKCS1v15(), hashes.SHA256()
        )
    except (ValueError, InvalidSignature, binascii.Error):
        return False
    return (
        header.get("alg") == "RS256"
        and claims.get("application_id") == creds.get("voice_application_id")
        and claims.get("exp", 0) > time.time()
    )


_SAY_RE = re.compile(r"<Say\b([^>]*)>(.*?)</Say>", re.S)
_ATTR_RE = re.compile(r'(\w+)="([^"]*)"')


def _say(document):
    """(spoken text, attributes) of the <Say> of TwiML / TeXML."""
    import html

    found = _SAY_RE.search(str(document or ""))
    if not found:
        return "", {}
    return html.unescape(found.group(2)), dict(_ATTR_RE.findall(found.group(1)))


def _extract_call(provider, body):
    if provider == "twilio":
        text, attrs = _say(body.get("Twiml"))
        call = _msg(provider, body.get("To"), body.get("From"), text)
    elif provider == "telnyx":
        text, attrs = _say(body.get("Texml"))
        call = _msg(provider, body.get("To"), body.get("From"), text)
    elif provider == "vonage":
        talk = (body.get("ncco") or [{}])[0]
        attrs = {"language": talk.get("language", "")}
        call = _msg(
            provider,
            ((body.get("to") or [{}])[0]).get("number"),
            (body.get("from") or {}).get("number"),
            talk.get("text"),
        )
    elif provider == "plivo":
        attrs = {}
        call = _msg(provider, body.get("to"), body.get("from"), "")
    else:
        return []
    call["language"] = attrs.get("language", "")
    call["voice"] = attrs.get("voice", "")
    return [call]


def _call_error(provider, code):
    if provider == "twilio":
        _bad_request({"code": int(code), "message": f"Call error {code}"}, 400)
    if provider == "telnyx":
        _telnyx_error(code)
    if provider == "vonage":
        _bad_request(
            {"type": "about:blank", "title": "Bad Request", "detail": str(code)}, 400
        )
    _bad_request({"api_id": str(uuid.uuid4()), "error": str(code)})


def _twilio_call(fake, record, params):
    (call,) = record.messages
    if not call["body"] or not call["from"]:
        _call_error("twilio", 21205)
    code = fake._error_for(call["to"])
    if code is not None:
        _call_error("twilio", code)
    return 201, {
        "sid": "CA" + uuid.uuid4().hex,
        "account_sid": params["account"],
        "to": call["raw_to"],
        "from": call["from"],
        "status": "queued",
        "direction": "outbound-api",
        "answered_by": None,
        "price": None,
        "uri": f"/2010-04-01/Accounts/{params['account']}/Calls.json",
    }


def _telnyx_call(fake, record, params):
    (call,) = record.messages
    if params["application"] != fake.credentials["telnyx"]["voice_application_id"]:
        _call_error("telnyx", "10015")
    code = fake._error_for(call["to"])
    if code is not None:
        _call_error("telnyx", code)
    return 200, {
        "from": call["from"],
        "to": call["raw_to"],
        "status": "queued",
        "call_sid": "v3:" + uuid.uuid4().hex,
    }


def _vonage_call(fake, record, params):
    (call,) = record.messages
    code = fake._error_for(call["to"])
    if code is not None:
        _call_error("vonage", code)
    return 201, {
        "uuid": str(uuid.uuid4()),
        "status": "started",
        "direction": "outbound",
        "conversation_uuid": "CON-" + str(uuid.uuid4()),
    }


def _plivo_call(fake, record, params):
    body = record.body
    if not body.get("answer_url"):
        _bad_request({"api_id": str(uuid.uuid4()), "error": "answer_url is required"})
    code = fake._error_for(record.messages[0]["to"])
    if code is not None:
        _call_error("plivo", code)
    return 201, {
        "api_id": str(uuid.uuid4()),
        "message": "call fired",
        "request_uuid": str(uuid.uuid4()),
    }


def _telnyx_form(signer, fields):
    """A form callback signed as Telnyx signs its webhooks (Ed25519)."""
    headers, body = signer.form(fields)
    if signer.sign:
        seed = signer.secret if isinstance(signer.secret, bytes) else TELNYX_TEST_SEED
        signed = str(signer.timestamp).encode() + b"|" + body
        signature = telnyx_private_key(seed).sign(signed)
        headers["telnyx-signature-ed25519"] = base64.b64encode(signature).decode()
        headers["telnyx-timestamp"] = str(signer.timestamp)
    return headers, body


def _twilio_like_call_fields(call_id, status, duration, answered_by, fields):
    data = {
        "CallSid": call_id,
        "CallStatus": status,
        "Direction": "outbound-api",
        "From": "+15005550006",
        "To": "+12015550001",
    }
    if duration is not None:
        data["CallDuration"] = str(duration)
    if answered_by:
        data["AnsweredBy"] = answered_by
    data.update(fields or {})
    return data


def _twilio_call_callback(
    signer, call_id, status, duration=None, answered_by=None, price=None, fields=None
):
    data = _twilio_like_call_fields(call_id, status, duration, answered_by, fields)
    data["AccountSid"] = signer.fake.credentials["twilio"]["account_sid"]
    return signer.twilio(data)


def _telnyx_call_callback(
    signer, call_id, status, duration=None, answered_by=None, price=None, fields=None
):
    data = _twilio_like_call_fields(call_id, status, duration, answered_by, fields)
    return _telnyx_form(signer, data)


def _plivo_call_callback(
    signer, call_id, status, duration=None, answered_by=None, price=None, fields=None
):
    data = {
        "RequestUUID": call_id,
        "CallUUID": str(uuid.uuid4()),
        "CallStatus": status,
        "Direction": "outbound",
        "Event": "Hangup" if status not in ("in-progress", "ringing") else "StartApp",
    }
    if duration is not None:
        data.update(Duration=str(duration), BillDuration=str(duration))
    if price is not None:
        data["TotalCost"] = str(price)
    if answered_by:
        data["Machine"] = "true" if answered_by == "machine" else "false"
    data.update(fields or {})
    return signer.plivo(data)


def _vonage_call_callback(
    signer, call_id, status, duration=None, answered_by=None, price=None, fields=None
):
    data = {
        "uuid": call_id,
        "conversation_uuid": "CON-" + str(uuid.uuid4()),
        "status": status,
        "direction": "outbound",
        "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
    }
    if duration is not None:
        data["duration"] = str(duration)
    if price is not None:
        data["price"] = str(price)
    data.update(fields or {})
    return signer.vonage_jwt(data)


def _twilio_incoming_call(signer, sender, to):
    fields = {"CallSid": "CA" + uuid.uuid4().hex, "Direction": "inbound"}
    data = _twilio_like_call_fields(fields["CallSid"], "ringing", None, None, fields)
    data.update(From=sender, To=to)
    data["AccountSid"] = signer.fake.credentials["twilio"]["account_sid"]
    return signer.twilio(data)


def _telnyx_incoming_call(signer, sender, to):
    call_sid = "v3:" + uuid.uuid4().hex
    data = _twilio_like_call_fields(call_sid, "ringing", None, None, {})
    data.update(From=sender, To=to, Direction="inbound")
    return _telnyx_form(signer, data)


def _plivo_incoming_call(signer, sender, to):
    return signer.plivo(
        {
            "CallUUID": str(uuid.uuid4()),
            "From": _wire(sender, "plivo"),
            "To": _wire(to, "plivo"),
            "CallStatus": "ringing",
            "Direction": "inbound",
            "Event": "StartApp",
        }
    )


def _vonage_incoming_call(signer, sender, to):
    return signer.vonage_jwt(
        {
            "from": _wire(sender, "vonage"),
            "to": _wire(to, "vonage"),
            "uuid": uuid.uuid4().hex,
            "conversation_uuid": "CON-" + str(uuid.uuid4()),
        }
    )


def main(argv=None):
    """Run the fake on its own until killed; print its URL on stdout."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--log", help="JSON-lines file of requests and acceptances")
    parser.add_argument("--latency", type=float, default=0.0)
    parser.add_argument("--error-rate", type=float, default=0.0)
    parser.add_argument("--hang-rate", type=float, default=0.0)
    parser.add_argument("--hang", type=float, default=20.0)
    parser.add_argument("--throttle-rate", type=float, default=0.0)
    parser.add_argument("--seed", type=int)
    args = parser.parse_args(argv)
    chaos = Chaos(
        error_rate=args.error_rate,
        hang_rate=args.hang_rate,
        hang=args.hang,
        throttle_rate=args.throttle_rate,
        seed=args.seed,
    )
    fake = FakeProvider(latency=args.latency, chaos=chaos, log_path=args.log)
    fake.port = args.port
    fake.start()
    sys.stdout.write(fake.url + "\n")
    sys.stdout.flush()
    try:
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()
    finally:
        fake.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
