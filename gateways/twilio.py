"""Twilio Programmable Messaging (reference section 1).

One message per request, form-encoded, HTTP Basic (Account SID, Auth Token).
"""

import re
from urllib.parse import quote

from .base import Gateway, GatewayError, is_alphanumeric_id, is_e164, to_float, to_int

MESSAGING_SERVICE_RE = re.compile(r"^MG[0-9a-fA-F]{32}$")


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
