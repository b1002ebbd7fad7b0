"""Twilio Programmable Messaging (reference section 1).

One message per request, form-encoded, HTTP Basic (Account SID, Auth Token).
Webhooks (1.5-1.7): form-encoded status callbacks and inbound messages,
signed with X-Twilio-Signature (HMAC-SHA1 with the Auth Token, 1.6). The
scheme has no timestamp nor nonce: a replayed callback cannot be told from a
retry, so replays are left to the idempotent ORM updates.
"""

import datetime
import email.utils
import hashlib
import re
from urllib.parse import parse_qs, quote, urlsplit, urlunsplit

from .base import (
    Gateway,
    GatewayError,
    LookupResult,
    WebhookError,
    b64_hmac,
    compare,
    inbound_media,
    is_alphanumeric_id,
    is_e164,
    to_float,
    to_int,
    webhook_id,
    webhook_number,
    webhook_text,
)

MESSAGING_SERVICE_RE = re.compile(r"^MG[0-9a-fA-F]{32}$")
# MessageStatus of a status callback -> normalized status. Twilio sends no
# callback for the first status (queued, or accepted with a Messaging Service).
TWILIO_STATUS = {
    "accepted": "sent",
    "scheduled": "sent",
    "queued": "sent",
    "sending": "sent",
    "sent": "sent",
    "delivered": "delivered",
    "read": "delivered",
    "undelivered": "failed",
    "failed": "failed",
    "canceled": "failed",
    "partially_delivered": "unknown",
}
# Statuses of the messages we receive, not of those we send.
TWILIO_INBOUND_STATUSES = frozenset({"receiving", "received"})
# Asynchronous error codes of delivery callbacks (reference 1.3), our words.
TWILIO_DELIVERY_ERRORS = {
    "30001": ("rate_limited", "queue overflow, the message stayed queued too long"),
    "30003": ("rejected", "unreachable destination handset"),
    "30005": ("invalid_number", "unknown destination handset"),
    "30006": ("invalid_number", "landline or unreachable carrier"),
    "30007": ("rejected", "message filtered by the carrier"),
    "30008": ("unknown", "unknown error"),
    "30034": ("rejected", "sent from an unregistered US A2P 10DLC number"),
    "63017": ("rate_limited", "over the account's message rate"),
    "21610": ("opted_out", "the recipient has unsubscribed (texted STOP)"),
}


class TwilioGateway(Gateway):
    provider = "twilio"
    label = "Twilio"
    default_base_url = "https://api.twilio.com"
    max_batch = 1
    credential_keys = ("account_sid", "auth_token")
    error_map = {
        "20003": "authentication",
        "20429": "rate_limited",
        "21211": "invalid_number",
        "21212": "rejected",  # invalid From
        "21408": "rejected",  # geo permissions
        "21606": "rejected",  # From not SMS-capable for this account
        "21608": "rejected",  # trial account, unverified recipient
        "21609": "rejected",  # invalid StatusCallback
        "21610": "opted_out",  # recipient texted STOP
        "21611": "rate_limited",  # sender queue full (10 hours)
        "21612": "rejected",  # From/To pair cannot be routed
        "21614": "invalid_number",  # To is not a mobile number
        "21635": "invalid_number",  # To is a landline
    }
    # Not accepted, worth trying later. No "insufficient funds" code is
    # confirmed for Messaging (reference 1.3): HTTP 402 falls back to it.
    retryable_codes = frozenset({"20429", "21611"})
    signs_webhooks = True
    webhook_key_name = "auth_token"
    # Picture messages: repeated MediaUrl, up to 10 files and 5 MB in all,
    # JPEG/PNG/GIF fully supported, MMS to US and Canadian numbers only.
    # Sources: https://www.twilio.com/docs/messaging/guides/accepted-mime-types
    # and https://twilio.com/docs/api/rest/media ("up to 10 media files that
    # have a total size of up to 5MB"); reference section 1.2 (MediaUrl).
    supports_mms = True
    mms_max_media = 10
    mms_max_bytes = 5 * 1024 * 1024
    mms_regions = frozenset({"US", "CA"})

    def _media_auth(self):
        # Received media URLs may require HTTP Basic with the account's
        # credentials (https://twilio.com/docs/api/rest/media).
        return self._auth()

    def _account_path(self):
        return "/2010-04-01/Accounts/" + quote(self.credentials["account_sid"], safe="")

    def _auth(self):
        return (self.credentials["account_sid"], self.credentials["auth_token"])

    def _build_request(self, batch):
        (message,) = batch
        sender = self.sender_for(message)
        data = {"To": message.number, "Body": message.body}
        if MESSAGING_SERVICE_RE.match(sender):
            data["MessagingServiceSid"] = sender
        else:
            data["From"] = sender
        if self.status_url:
            data["StatusCallback"] = self.status_url
        if message.media:
            data["MediaUrl"] = [media.url for media in message.media]
        return {
            "method": "POST",
            "url": self.url(self._account_path() + "/Messages.json"),
            "data": data,
            "auth": self._auth(),
        }

    def _parse_success(self, batch, response):
        (message,) = batch
        data = self._json(response)
        sid = data["sid"]
        if not isinstance(sid, str) or not sid:
            raise ValueError("no message sid")
        price = to_float(data.get("price"))
        # Twilio reports charges as negative amounts; keep the cost positive.
        price = abs(price) if price is not None else None
        return [
            self.accepted(
                message,
                provider_id=sid,
                segments=to_int(data.get("num_segments")),
                price=price,
            )
        ]

    # ------------------------------------------------------------------
    # unknown outcomes: the Messages list, filtered by To and DateSent
    # ------------------------------------------------------------------
    supports_lookup = True
    lookup_pages = 5  # pages of 100 messages read at most per message
    clock_margin = 120  # seconds of clock difference tolerated

    def _lookup_one(self, message, sent_after):
        """Find our message in the account's list: same recipient, same text,
        created at or after ``sent_after``. Twilio lists a message as soon as
        it accepted it; DateSent (a day, UTC) only narrows the search."""
        day = datetime.datetime.fromtimestamp(
            sent_after - self.clock_margin, datetime.timezone.utc
        ).date()
        request = {
            "method": "GET",
            "url": self.url(self._account_path() + "/Messages.json"),
            "params": {
                "To": message.number,
                "DateSent>": day.isoformat(),
                "PageSize": 100,
            },
            "auth": self._auth(),
        }
        found = []
        for _page in range(self.lookup_pages):
            response = self.session.request(
                timeout=self.timeout, allow_redirects=False, **request
            )
            if response.status_code != 200:
                code, text = self._error_info(response)
                detail = self._describe_error(code, text, response)
                return LookupResult(message.uuid, None, detail=detail)
            data = self._json(response)
            for entry in data["messages"]:
                created = email.utils.parsedate_to_datetime(entry["date_created"])
                if (
                    str(entry.get("direction") or "").startswith("outbound")
                    and entry.get("body") == message.body
                    and created.timestamp() >= sent_after - self.clock_margin
                ):
                    found.append(entry["sid"])
            next_uri = data.get("next_page_uri")
            if not next_uri:
                break
            request = {
                "method": "GET",
                "url": self.url(next_uri),
                "auth": self._auth(),
            }
        else:
            return LookupResult(
                message.uuid, None, detail="Too many Twilio messages to look through."
            )
        if len(found) == 1:
            return LookupResult(message.uuid, True, provider_id=found[0])
        if found:
            return LookupResult(
                message.uuid,
                None,
                detail=f"Twilio lists {len(found)} identical messages to "
                f"{message.number}: which one is this is not known.",
            )
        return LookupResult(message.uuid, False)

    def _error_info(self, response):
        try:
            data = response.json()
        except ValueError:
            return "", ""
        if not isinstance(data, dict):
            return "", ""
        code = data.get("code")
        return (str(code) if code is not None else ""), str(data.get("message") or "")

    def _describe_error(self, code, text, response):
        if code:
            return f"Twilio error {code}: {text}" if text else f"Twilio error {code}."
        return super()._describe_error(code, text, response)

    def _test_request(self):
        return {
            "method": "GET",
            "url": self.url(self._account_path() + ".json"),
            "auth": self._auth(),
        }

    def _describe_account(self, data):
        status = data.get("status") or "unknown"
        name = data.get("friendly_name") or data["sid"]
        if status != "active":
            raise GatewayError(f"The Twilio account '{name}' is {status}.")
        return f"Connected to the Twilio account '{name}' (active)."

    @classmethod
    def check_sender(cls, sender):
        if not sender:
            return (
                "Twilio needs a sender: a phone number in international format, "
                "a short code, an alphanumeric sender ID or a Messaging Service SID."
            )
        if (
            is_e164(sender)
            or re.match(r"^\d{5,6}$", sender)
            or MESSAGING_SERVICE_RE.match(sender)
            or is_alphanumeric_id(sender, spaces=True)
        ):
            return None
        return (
            f"'{sender}' is not a valid Twilio sender: use a phone number in "
            "international format (+15551234567), a 5-6 digit short code, a "
            "Messaging Service SID (MG...) or an alphanumeric sender ID of 1 to 11 "
            "letters, digits and spaces with at least one letter."
        )

    # ------------------------------------------------------------------
    # webhooks
    # ------------------------------------------------------------------
    def _verify_signature(self, request, key):
        signature = request.header("x-twilio-signature")
        url = request.url
        if not signature or not isinstance(url, str) or not url:
            return False
        query = parse_qs(urlsplit(url).query, keep_blank_values=True)
        if "bodySHA256" in query:
            # JSON body: the URL carries the body's hash and is signed alone.
            body_hash = hashlib.sha256(request.raw).hexdigest()
            if not compare(body_hash, query["bodySHA256"][0].lower()):
                return False
            params = []
        elif str(request.method).upper() == "POST":
            if request.raw and request.content_type not in (
                "",
                "application/x-www-form-urlencoded",
            ):
                return False  # a body the signature would not cover
            params = self._form_pairs(request)
        else:
            params = []  # GET: the parameters are in the signed URL
        return any(
            compare(twilio_signature(key, variant, params), signature)
            for variant in url_port_variants(url)
        )

    def _parse_status(self, request):
        fields = self._fields(request)
        raw = webhook_text(
            fields.get("MessageStatus") or fields.get("SmsStatus"), "MessageStatus", 64
        ).lower()
        sid = fields.get("MessageSid") or fields.get("SmsSid")
        if not raw:
            raise WebhookError("Twilio status callback without MessageStatus.")
        if raw in TWILIO_INBOUND_STATUSES:
            return []  # an inbound message posted to the status URL
        status = TWILIO_STATUS.get(raw, "unknown")
        code = webhook_text(fields.get("ErrorCode"), "ErrorCode", 16).strip()
        failure = detail = ""
        if status == "failed":
            if code and code != "0":
                failure, text = TWILIO_DELIVERY_ERRORS.get(code, ("", ""))
                failure = failure or self.error_map.get(code, "unknown")
                detail = self.failure_detail(code, text, raw)
            else:
                failure = "rejected" if raw == "canceled" else "unknown"
                detail = self.failure_detail(status=raw)
        return [
            self.status_report(
                webhook_id(sid, "MessageSid"),
                status,
                raw_status=raw,
                failure_code=failure,
                detail=detail,
                segments=fields.get("NumSegments"),
            )
        ]

    def _parse_inbound(self, request):
        fields = self._fields(request)
        status = fields.get("MessageStatus") or fields.get("SmsStatus")
        if "Body" not in fields and status and status not in TWILIO_INBOUND_STATUSES:
            return []  # a status callback posted to the inbound URL
        sid = (
            fields.get("MessageSid")
            or fields.get("SmsMessageSid")
            or fields.get("SmsSid")
        )
        return [
            self.inbound_message(
                webhook_id(sid, "MessageSid"),
                webhook_number(fields.get("From"), "From", required=True),
                webhook_number(fields.get("To"), "To"),
                webhook_text(fields.get("Body"), "Body"),
                media=twilio_media(fields),
            )
        ]


def twilio_media(fields):
    """Media of an inbound message: NumMedia, MediaUrl{N}, MediaContentType{N}
    (reference 1.7)."""
    count = to_int(fields.get("NumMedia")) or 0
    return inbound_media(
        (fields.get(f"MediaUrl{n}"), fields.get(f"MediaContentType{n}"), 0)
        for n in range(max(0, min(count, 10)))
    )


def twilio_signature(key, url, params):
    """Base64 HMAC-SHA1 of the URL then each name+value, sorted (reference 1.6)."""
    values = {}
    for name, value in params:
        values.setdefault(name, []).append(value)
    text = url + "".join(
        name + value for name in sorted(values) for value in sorted(values[name])
    )
    return b64_hmac(key, text, hashlib.sha1)


def url_port_variants(url):
    """The URL as given, and with its port added (default) or removed."""
    parts = urlsplit(url)
    if parts.port is None:
        port = 443 if parts.scheme == "https" else 80
        netloc = f"{parts.netloc}:{port}"
    else:
        netloc = parts.netloc.rpartition(":")[0]
    return [url, urlunsplit(parts._replace(netloc=netloc))]
