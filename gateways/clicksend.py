"""ClickSend REST v3 (reference section 2).

Up to 1000 messages per JSON request, HTTP Basic (username, API key). The
answer is HTTP 200 even when some recipients fail: every message carries its
own ``status`` word, mapped one by one (partial failure). Each message carries
our uuid in ``custom_string``, which maps the answer back to our messages.
The status callback URL is set on the ClickSend account (delivery report
rules), not per message, so ``status_url`` is not sent.

Webhooks (2.4-2.5): ClickSend does not sign them (the Odoo controller checks
the secret token of the URL). UNCONFIRMED: the content type and field names
of pushed receipts and inbound messages; they are read with the names of the
pull API (``message_id``, ``status_code``, ``error_code``, ...), from a form
or a JSON object, a list of objects, or ``{"data": [...]}``.
"""

import time

import requests

from .base import (
    Gateway,
    LookupResult,
    WebhookError,
    as_items,
    is_alphanumeric_id,
    is_e164,
    is_short_code,
    to_float,
    to_int,
    webhook_id,
    webhook_number,
    webhook_text,
)

SUCCESS = "SUCCESS"
# Delivery receipt status_code (reference 2.4) -> (status, failure code).
CLICKSEND_DLR = {
    "200": ("sent", ""),  # accepted by the network, temporary success
    "201": ("delivered", ""),
    "300": ("failed", "rejected"),  # permanent failure
    "301": ("failed", "rejected"),  # permanent failure
    "302": ("failed", "server_error"),  # routing failure at the supplier
}
CLICKSEND_DLR_WORDS = (
    ("undeliver", "failed"),
    ("fail", "failed"),
    ("reject", "failed"),
    ("expired", "failed"),
    ("deliver", "delivered"),
    ("sent", "sent"),
    ("queued", "sent"),
)


class ClickSendGateway(Gateway):
    provider = "clicksend"
    label = "ClickSend"
    default_base_url = "https://rest.clicksend.com"
    max_batch = 1000
    credential_keys = ("username", "api_key")
    error_map = {
        "INVALID_RECIPIENT": "invalid_number",
        "INSUFFICIENT_CREDIT": "insufficient_credit",
        "INVALID_SENDER_ID": "rejected",
        "THROTTLED": "rate_limited",
        "TOO_MANY_REQUESTS": "rate_limited",
        "EMPTY_MESSAGE": "rejected",
        "TOO_MANY_RECIPIENTS": "rejected",
        "MISSING_REQUIRED_FIELDS": "rejected",
        "INVALID_SCHEDULE": "rejected",
        "ACCOUNT_NOT_ACTIVATED": "authentication",
        "INVALID_CREDENTIALS": "authentication",
        "MISSING_CREDENTIALS": "authentication",
        "UNAUTHORIZED": "authentication",
        "FORBIDDEN": "authentication",
        "INTERNAL_ERROR": "server_error",
    }
    retryable_codes = frozenset({"THROTTLED", "TOO_MANY_REQUESTS"})
    # UNCONFIRMED (reference 2.2): the status word for an opted-out recipient
    # was not found. Words containing one of these are treated as opt-outs.
    opt_out_markers = ("OPT_OUT", "OPTOUT", "OPTED_OUT", "UNSUBSCRIBED", "BLACKLIST")
    # Picture messages: their own endpoint, POST /v3/mms/send, with one
    # "media_file" URL for every message of the request and a "subject" per
    # message; at most 250 kB per file (GIF under 100 kB, not checked here).
    # Sources: developers.clicksend.com/docs/_spec/messaging/mms.json and the
    # ClickSend connector's SendMmsInput ("maximum file size of 250kB").
    # UNCONFIRMED: the countries; ClickSend lists MMS for AU, US and CA.
    supports_mms = True
    mms_max_media = 1
    mms_max_file_bytes = 250 * 1024
    mms_types = frozenset({"image/jpeg", "image/png", "image/gif"})
    mms_regions = frozenset({"AU", "US", "CA"})
    mms_subject_length = 20

    def _auth(self):
        return (self.credentials["username"], self.credentials["api_key"])

    def _message_payload(self, message):
        payload = {
            "to": message.number,
            "body": message.body,
            "source": "odoo",
            "custom_string": message.uuid,
        }
        sender = self.sender_for(message)
        if sender:
            payload["from"] = sender
        return payload

    def _batches(self, pending):
        """Texts together, picture messages by shared image: one MMS request
        carries a single media_file for all its messages."""
        groups = {}
        for index, message in pending:
            key = tuple(media.url for media in message.media)
            groups.setdefault(key, []).append((index, message))
        for group in groups.values():
            yield from super()._batches(group)

    def _build_request(self, batch):
        if batch[0].media:
            messages = []
            for message in batch:
                payload = self._message_payload(message)
                payload["subject"] = (
                    message.body.splitlines()[0][: self.mms_subject_length] or "Picture"
                )
                messages.append(payload)
            return {
                "method": "POST",
                "url": self.url("/v3/mms/send"),
                "json": {"media_file": batch[0].media[0].url, "messages": messages},
                "auth": self._auth(),
            }
        return {
            "method": "POST",
            "url": self.url("/v3/sms/send"),
            "json": {"messages": [self._message_payload(m) for m in batch]},
            "auth": self._auth(),
        }

    def _status_failure(self, status):
        if any(marker in status for marker in self.opt_out_markers):
            return "opted_out"
        return self.error_map.get(status, "rejected")

    def _message_result(self, message, entry):
        status = str(entry.get("status") or "")
        if status == SUCCESS:
            provider_id = entry.get("message_id")
            if not provider_id:
                raise ValueError("no message_id")
            return self.accepted(
                message,
                provider_id=provider_id,
                segments=to_int(entry.get("message_parts")),
                price=to_float(entry.get("message_price")),
            )
        if not status:
            raise ValueError("no status")
        return self.failed(
            message,
            self._status_failure(status),
            f"ClickSend status {status} for {message.number}.",
            retryable=status in self.retryable_codes,
        )

    def _match_entries(self, batch, entries):
        """Map answer entries to our messages.

        By ``custom_string`` (our uuid) first. ClickSend leaves it out of some
        entries (a refused recipient carries only ``to`` and ``status``):
        those are matched by recipient, in order, among the messages still
        unmatched. An answer without any ``custom_string`` and with one entry
        per message is matched by order.
        """
        index_by_uuid = {}
        for index, message in enumerate(batch):
            index_by_uuid.setdefault(message.uuid, []).append(index)
        matched = [None] * len(batch)
        leftovers = []
        for entry in entries:
            if not isinstance(entry, dict):
                continue
            candidates = [
                index
                for index in index_by_uuid.get(entry.get("custom_string") or "", [])
                if matched[index] is None
            ]
            if candidates:
                matched[candidates[0]] = entry
            else:
                leftovers.append(entry)
        if not any(matched) and len(entries) == len(batch):
            return list(entries)
        for entry in leftovers:
            number = self._wire_number(entry.get("to"))
            for index, message in enumerate(batch):
                if matched[index] is None and (
                    number and self._wire_number(message.number) == number
                ):
                    matched[index] = entry
                    break
        return matched

    @staticmethod
    def _wire_number(value):
        """Digits of a number as ClickSend writes it (with or without '+')."""
        return "".join(ch for ch in str(value or "") if ch.isdigit())

    def _parse_success(self, batch, response):
        data = self._json(response)
        payload = data.get("data") or {}
        entries = payload.get("messages") if isinstance(payload, dict) else None
        if not isinstance(entries, list) or not entries:
            code = str(data.get("response_code") or "")
            if code and code != SUCCESS:
                text = data.get("response_msg") or ""
                detail = f"ClickSend error {code}: {text}".rstrip(": ")
                return [
                    self.failed(m, self._status_failure(code), detail) for m in batch
                ]
            raise ValueError("no messages in the answer")
        results = []
        for message, entry in zip(
            batch, self._match_entries(batch, entries), strict=True
        ):
            if entry is None:
                results.append(
                    self.unknown(
                        message,
                        "unknown",
                        "ClickSend answered without a status for this message: "
                        "it may have been accepted.",
                    )
                )
                continue
            try:
                results.append(self._message_result(message, entry))
            except (ValueError, TypeError, AttributeError):
                results.append(
                    self.unknown(
                        message,
                        "unknown",
                        "ClickSend's status for this message could not be read: "
                        "it may have been accepted.",
                    )
                )
        return results

    # ------------------------------------------------------------------
    # unknown outcomes: the sent-messages history, matched by custom_string
    # ------------------------------------------------------------------
    supports_lookup = True
    lookup_pages = 20  # pages of 100 history entries read at most
    clock_margin = 120  # seconds of clock difference tolerated

    def lookup(self, messages, sent_after):
        """Read the history since ``sent_after`` once and find each message by
        its ``custom_string`` (our uuid). UNCONFIRMED (reference 2): the
        history's parameter and field names follow the v3 pull API."""
        messages = list(messages)
        try:
            found, complete = self._history_refs(sent_after)
        except requests.RequestException as exc:
            name = type(exc).__name__
            detail = self.redact(f"ClickSend could not be asked ({name}).")
            return [LookupResult(m.uuid, None, detail=detail) for m in messages]
        except (ValueError, KeyError, TypeError, AttributeError):
            detail = "ClickSend's history could not be read."
            return [LookupResult(m.uuid, None, detail=detail) for m in messages]
        results = []
        for message in messages:
            if message.uuid in found:
                results.append(
                    LookupResult(message.uuid, True, provider_id=found[message.uuid])
                )
            elif complete:
                results.append(LookupResult(message.uuid, False))
            else:
                results.append(
                    LookupResult(
                        message.uuid,
                        None,
                        detail="Too many ClickSend messages to look through.",
                    )
                )
        return results

    def _history_refs(self, sent_after):
        """({custom_string: message_id}, whether every page was read)."""
        found = {}
        params = {
            "date_from": int(sent_after - self.clock_margin),
            "date_to": int(time.time() + self.clock_margin),
            "limit": 100,
        }
        for page in range(1, self.lookup_pages + 1):
            response = self.session.request(
                "GET",
                self.url("/v3/sms/history"),
                params={**params, "page": page},
                auth=self._auth(),
                timeout=self.timeout,
                allow_redirects=False,
            )
            if response.status_code != 200:
                raise ValueError(f"HTTP {response.status_code}")
            data = self._json(response)["data"]
            for entry in data.get("data") or []:
                ref = entry.get("custom_string")
                status = str(entry.get("status") or "").upper()
                if ref and entry.get("message_id") and status != "CANCELLED":
                    found[ref] = str(entry["message_id"])
            if page >= int(data.get("last_page") or 1):
                return found, True
        return found, False

    def _error_info(self, response):
        try:
            data = response.json()
        except ValueError:
            return "", ""
        if not isinstance(data, dict):
            return "", ""
        return str(data.get("response_code") or ""), str(data.get("response_msg") or "")

    def _test_request(self):
        return {"method": "GET", "url": self.url("/v3/account"), "auth": self._auth()}

    def _describe_account(self, data):
        account = data["data"]
        balance = account.get("balance")
        currency = (account.get("_currency") or {}).get("currency_name_short", "")
        if balance is None:
            return "Connected to ClickSend."
        return f"Connected to ClickSend, balance {balance} {currency}".rstrip() + "."

    @classmethod
    def check_sender(cls, sender):
        if not sender:
            return None  # ClickSend then uses a shared number
        if is_e164(sender) or is_short_code(sender) or is_alphanumeric_id(sender):
            return None
        return (
            f"'{sender}' is not a valid ClickSend sender: use a phone number in "
            "international format (+61411111111), a short code, or an alphanumeric "
            "sender ID of at most 11 letters and digits without spaces."
        )

    # ------------------------------------------------------------------
    # webhooks (not signed)
    # ------------------------------------------------------------------
    def _webhook_items(self, request):
        data = self._payload(request)
        if isinstance(data, dict) and "data" in data and "message_id" not in data:
            data = data["data"]
            if isinstance(data, dict) and "data" in data:
                data = data["data"]  # the pull API's page
        return as_items(data, "ClickSend payload")

    def _dlr_status(self, entry):
        code = webhook_text(entry.get("status_code"), "status_code", 16).strip()
        words = webhook_text(
            entry.get("status_text") or entry.get("status"), "status_text", 200
        )
        if code in CLICKSEND_DLR:
            return code, words, CLICKSEND_DLR[code]
        lowered = words.lower()
        for word, status in CLICKSEND_DLR_WORDS:
            if word in lowered:
                return code, words, (status, "rejected" if status == "failed" else "")
        return code, words, ("unknown", "")

    def _parse_status(self, request):
        reports = []
        for entry in self._webhook_items(request):
            code, words, (status, failure) = self._dlr_status(entry)
            detail = ""
            if status == "failed":
                error = webhook_text(entry.get("error_code"), "error_code", 64)
                error_text = webhook_text(entry.get("error_text"), "error_text", 500)
                if error:
                    failure = self._status_failure(error.upper())
                    if failure == "rejected" and code == "302":
                        failure = "server_error"
                detail = self.failure_detail(
                    error or code, error_text or words, words or code
                )
            reports.append(
                self.status_report(
                    webhook_id(entry.get("message_id"), "message_id"),
                    status,
                    raw_status=f"{code} {words}".strip(),
                    failure_code=failure,
                    detail=detail,
                )
            )
        return reports

    def _parse_inbound(self, request):
        messages = []
        for entry in self._webhook_items(request):
            if "from" not in entry and "status_code" in entry:
                raise WebhookError("A ClickSend delivery receipt, not a message.")
            messages.append(
                self.inbound_message(
                    webhook_id(entry.get("message_id"), "message_id"),
                    webhook_number(entry.get("from"), "from", required=True),
                    webhook_number(entry.get("to"), "to"),
                    webhook_text(entry.get("body"), "body"),
                    received_at=entry.get("timestamp"),
                )
            )
        return messages
