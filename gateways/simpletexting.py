"""SimpleTexting API v2 (reference section 3).

One contact per JSON request, ``Authorization: Bearer <API token>``.
SimpleTexting serves the US and Canada only and takes 10-digit numbers.
UNCONFIRMED (reference 3.2): the error codes for opted-out contacts and for
missing credits; a few phrases of the error message are recognised.
"""

import re

from .base import Gateway

NANP_RE = re.compile(r"^\+1(\d{10})$")
ERROR_PHRASES = (
    ("unsubscrib", "opted_out"),
    ("opted", "opted_out"),
    ("opt_out", "opted_out"),
    ("opt-out", "opted_out"),
    ("credit", "insufficient_credit"),
    ("phone", "invalid_number"),
    ("auth", "authentication"),
    ("token", "authentication"),
)


class SimpleTextingGateway(Gateway):
    provider = "simpletexting"
    label = "SimpleTexting"
    default_base_url = "https://api-app2.simpletexting.com"
    max_batch = 1
    credential_keys = ("api_token",)

    @staticmethod
    def wire_number(value):
        """10-digit US/Canadian number, or None."""
        match = NANP_RE.match(value or "")
        return match.group(1) if match else None

    def _message_problem(self, message):
        problem = super()._message_problem(message)
        if problem:
            return problem
        if not self.wire_number(message.number):
            return self.failed(
                message,
                "invalid_number",
                f"SimpleTexting only sends to US and Canadian numbers, not "
                f"{message.number}.",
            )
        return None

    def _headers(self):
        return {"Authorization": f"Bearer {self.credentials['api_token']}"}

    def _build_request(self, batch):
        (message,) = batch
        payload = {
            "contactPhone": self.wire_number(message.number),
            "mode": "AUTO",
            "text": message.body,
        }
        sender = self.wire_number(self.sender_for(message))
        if sender:
            payload["accountPhone"] = sender
        return {
            "method": "POST",
            "url": self.url("/v2/api/messages"),
            "json": payload,
            "headers": self._headers(),
        }

    def _parse_success(self, batch, response):
        (message,) = batch
        data = self._json(response)
        if not data.get("id"):
            raise ValueError("no message id")
        return [self.accepted(message, provider_id=data["id"])]

    def _error_info(self, response):
        try:
            data = response.json()
        except ValueError:
            return "", ""
        if not isinstance(data, dict):
            return "", ""
        code = data.get("errorCode") or data.get("code") or ""
        return str(code), str(data.get("message") or "")

    def _failure_for(self, code, status):
        if status in (401, 403):
            return "authentication"
        words = code.lower()
        for phrase, failure in ERROR_PHRASES:
            if phrase in words:
                return failure
        return super()._failure_for(code, status)

    def _error_result(self, message, response):
        result = super()._error_result(message, response)
        if result.outcome != "failed" or result.failure_code != "rejected":
            return result
        _code, text = self._error_info(response)
        for phrase, failure in ERROR_PHRASES:
            if phrase in text.lower():
                return self.failed(message, failure, result.detail)
        return result

    def _test_request(self):
        return {
            "method": "GET",
            "url": self.url("/v2/api/phones"),
            "params": {"page": 0, "size": 1},
            "headers": self._headers(),
        }

    def _describe_account(self, data):
        phones = data.get("content") or []
        if phones and isinstance(phones[0], dict) and phones[0].get("phone"):
            return f"Connected to SimpleTexting (number {phones[0]['phone']})."
        return "Connected to SimpleTexting."

    @classmethod
    def check_sender(cls, sender):
        if not sender:
            return None  # the account's only number is used
        if NANP_RE.match(sender) or re.match(r"^\d{10}$", sender):
            return None
        return (
            f"'{sender}' is not a valid SimpleTexting sender: use your account's "
            "US or Canadian number, e.g. +18005551234."
        )
