"""Shared pieces of the SMS gateway adapters (pure Python, no ORM).

An adapter turns a list of :class:`OutgoingMessage` into exactly one
:class:`SendResult` per message and never raises for transport or provider
errors. The outcome rules follow DESIGN decision 5 ("exactly once, or visibly
not"): a message is marked retryable only when the provider surely did not
accept it; when it may have been accepted the outcome is ``unknown``.
"""

import email.utils
import logging
import socket
import threading
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from urllib.parse import quote, urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import NewConnectionError

from ..tools.segments import is_gsm7  # noqa: F401 (used by adapters)
from .common import (  # noqa: F401 (re-exported for the adapters)
    _AUTHORIZATION_RE,
    _REDACTED,
    _WEBHOOK_TOKEN_RE,
    ALNUM_RE,
    ALNUM_SPACES_RE,
    E164_RE,
    FAILURE_CODES,
    OUTCOMES,
    SHORT_CODE_RE,
    GatewayError,
    LookupResult,
    OutgoingMessage,
    SendResult,
    _b64,
    is_alphanumeric_id,
    is_e164,
    is_short_code,
    sentence,
    to_float,
    to_int,
)
from .media import (  # noqa: F401 (MediaError re-exported)
    IMAGE_TYPES,
    Media,
    MediaError,
    download_media,
    inbound_media,
    mms_problem,
)
from .ratelimit import RateLimiter
from .replay import REPLAY_GUARD, ReplayGuard  # noqa: F401
from .webhooks import (  # noqa: F401 (re-exported for the adapters)
    MAX_DETAIL_LENGTH,
    MAX_FORM_FIELDS,
    MAX_ID_LENGTH,
    MAX_NUMBER_LENGTH,
    MAX_TEXT_LENGTH,
    MAX_WEBHOOK_ITEMS,
    STATUSES,
    WEBHOOK_MAX_AGE,
    InboundMessage,
    StatusReport,
    WebhookError,
    WebhookMixin,
    WebhookRequest,
    as_items,
    b64_decode,
    b64_hmac,
    clip,
    compare,
    is_fresh,
    unix_time,
    webhook_id,
    webhook_number,
    webhook_text,
    webhook_time,
)

_logger = logging.getLogger(__name__)


class Gateway(WebhookMixin):
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
    # picture messages (gateways/media.py): whether the provider sends them,
    # how many files, bytes per message and per file (0: no limit), which
    # types, and to which regions (None: any).
    supports_mms = False
    mms_max_media = 0
    mms_max_bytes = 0
    mms_max_file_bytes = 0
    mms_types = IMAGE_TYPES
    mms_regions = None

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

    def skipped(self, message):
        """The request was not made (refused by ``before_request``)."""
        return SendResult(uuid=message.uuid, outcome="skipped")

    # ------------------------------------------------------------------
    # sending
    # ------------------------------------------------------------------
    def send(self, messages, before_request=None, after_request=None):
        """Send ``messages``; return one SendResult per message, same order.

        ``before_request(messages)``, when given, is called in the calling
        thread right before each provider request starts (one call per
        request, with the messages it carries), while the requests already
        started run in worker threads. It may wait (rate limit) and record
        that the messages are about to leave. When it returns False, that
        request and every later one are not made: their messages get a
        ``skipped`` result. Throttling is then the caller's business.
        ``after_request(results)``, with ``before_request``, gets the results
        of each request (or refused one) in the calling thread, soon after it
        ended, so the caller can store them before the whole send ends; the
        messages refused before any request come first, in one call.
        """
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
        if after_request is not None and len(pending) < len(messages):
            after_request([result for result in results if result is not None])
        batches = list(self._batches(pending))
        for batch, batch_results in zip(
            batches,
            self._run_batches(batches, before_request, after_request),
            strict=True,
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
        problem = mms_problem(self, message)
        if problem:
            return self.failed(message, "rejected", problem)
        return None

    def fetch_media(self, media):
        """(content, content type) of a received file (gateways.media.Media);
        raises MediaError with a plain explanation."""
        return download_media(
            self.session,
            media.url,
            auth_host=urlsplit(self.base_url).hostname or "",
            auth=self._media_auth(),
        )

    def _media_auth(self):
        """Credentials the provider asks for its received files, or None."""
        return None

    def _batches(self, pending):
        """Split (index, message) pairs into provider requests of max_batch."""
        size = max(1, self.max_batch)
        for start in range(0, len(pending), size):
            yield pending[start : start + size]

    def _run_batches(self, batches, before_request=None, after_request=None):
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

        if before_request is not None:
            return self._run_scheduled(batches, run, before_request, after_request)
        workers = min(self.max_concurrency, len(batches))
        if workers <= 1:
            return [run(batch) for batch in batches]
        with ThreadPoolExecutor(
            max_workers=workers, thread_name_prefix=f"sms-{self.provider}"
        ) as executor:
            return list(executor.map(run, batches))

    def _run_scheduled(self, batches, run, before_request, after_request=None):
        """Run ``batches`` with bounded concurrency, each request starting only
        once ``before_request`` allowed it; ``after_request`` gets each one's
        results (both called here, in this thread)."""
        results = [None] * len(batches)
        if not batches:
            return results
        workers = min(self.max_concurrency, len(batches))
        slots = threading.Semaphore(workers)
        running = {}
        stopped = False

        def finish(index, batch_results):
            results[index] = batch_results
            if after_request is not None:
                after_request(batch_results)

        def collect():
            for index, future in list(running.items()):
                if future.done():
                    del running[index]
                    finish(index, future.result())

        with ThreadPoolExecutor(
            max_workers=workers, thread_name_prefix=f"sms-{self.provider}"
        ) as executor:
            for index, batch in enumerate(batches):
                messages = [message for _index, message in batch]
                slots.acquire()
                collect()
                if not stopped:
                    try:
                        stopped = before_request(messages) is False
                    except Exception:
                        _logger.exception("%s: before_request failed", self.label)
                        stopped = True
                if stopped:
                    slots.release()
                    finish(index, [self.skipped(message) for message in messages])
                    continue
                future = executor.submit(run, batch)
                future.add_done_callback(lambda _future: slots.release())
                running[index] = future
            while running:  # every request started: hand results as they end
                wait(list(running.values()), return_when=FIRST_COMPLETED)
                collect()
        return results

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
                message,
                "server_error",
                sentence(detail) + " The message may have been accepted.",
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
    # unknown outcomes: ask the provider
    # ------------------------------------------------------------------
    # True when the provider can list the messages it took (see lookup).
    supports_lookup = False

    def lookup(self, messages, sent_after):
        """What the provider knows of ``messages`` (sent at or after unix time
        ``sent_after``, outcome unknown): one LookupResult per message.

        Providers without a way to find a message they may have taken answer
        ``found=None`` (a person decides). Never raises.
        """
        results = []
        for message in messages:
            try:
                result = self._lookup_one(message, sent_after)
            except requests.RequestException as exc:
                result = LookupResult(
                    message.uuid,
                    None,
                    detail=self.redact(
                        f"{self.label} could not be asked ({type(exc).__name__})."
                    ),
                )
            except (ValueError, KeyError, TypeError, AttributeError):
                result = LookupResult(
                    message.uuid,
                    None,
                    detail=f"{self.label}'s answer to the lookup could not be read.",
                )
            results.append(result)
        return results

    def _lookup_one(self, message, sent_after):
        """LookupResult for one message (may raise requests/parsing errors)."""
        return LookupResult(message.uuid, None)

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
