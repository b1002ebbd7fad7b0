"""Plivo Message API (reference section 7).

JSON, HTTP Basic (Auth ID, Auth Token). Plivo can take up to 1000
destinations joined with '<' in ``dst`` when they share body and sender, but
its answer lists ``message_uuid`` without saying which uuid belongs to which
number, and drops rejected numbers into ``invalid_number``: the mapping of
provider ids to our messages would not be reliable. Since each message needs
its own provider id (delivery reports are matched by it), this adapter sends
one message per request, with bounded concurrency.
"""

from urllib.parse import quote

from .base import Gateway, is_alphanumeric_id, is_e164, is_short_code

# Plivo's send errors are plain text ({"api_id", "error"}), no codes [P]:
# a few phrases are recognised, the rest falls back to the HTTP status.
PLIVO_PHRASES = (
    ("opted out", "opted_out"),
    ("unsubscribed", "opted_out"),
    ("insufficient", "insufficient_credit"),
    ("credit", "insufficient_credit"),
    ("authentication", "authentication"),
    ("dst", "invalid_number"),
    ("destination", "invalid_number"),
)


class PlivoGateway(Gateway):
    provider = "plivo"
    label = "Plivo"
    default_base_url = "https://api.plivo.com"
    max_batch = 1
    credential_keys = ("auth_id", "auth_token")

    @staticmethod
    def wire_number(value):
        return value[1:] if value.startswith("+") else value

    def _account_path(self):
        return "/v1/Account/" + quote(self.credentials["auth_id"], safe="") + "/"

    def _auth(self):
        return (self.credentials["auth_id"], self.credentials["auth_token"])

    def _build_request(self, batch):
        (message,) = batch
        payload = {
            "src": self.wire_number(self.sender_for(message)),
            "dst": self.wire_number(message.number),
            "text": message.body,
            "type": "sms",
        }
        if self.status_url:
            payload["url"] = self.status_url
            payload["method"] = "POST"
        return {
            "method": "POST",
            "url": self.url(self._account_path() + "Message/"),
            "json": payload,
            "auth": self._auth(),
        }

    def _parse_success(self, batch, response):
        (message,) = batch
        data = self._json(response)
        uuids = data.get("message_uuid") or []
        invalid = [str(number) for number in data.get("invalid_number") or []]
        if self.wire_number(message.number) in invalid or (invalid and not uuids):
            return [
                self.failed(
                    message,
                    "invalid_number",
                    f"Plivo rejected the destination number ({data.get('message')}).",
                )
            ]
        if not isinstance(uuids, list) or len(uuids) != 1 or not uuids[0]:
            raise ValueError("expected one message uuid")
        return [self.accepted(message, provider_id=uuids[0])]

    def _error_info(self, response):
        try:
            data = response.json()
        except ValueError:
            return "", (response.text or "").strip()[:200]
        if not isinstance(data, dict):
            return "", ""
        return "", str(data.get("error") or data.get("message") or "")

    def _error_result(self, message, response):
        result = super()._error_result(message, response)
        if result.outcome != "failed" or result.failure_code != "rejected":
            return result
        _code, text = self._error_info(response)
        lowered = text.lower()
        for phrase, failure in PLIVO_PHRASES:
            if phrase in lowered:
                return self.failed(message, failure, result.detail)
        return result

    def _test_request(self):
        return {
            "method": "GET",
            "url": self.url(self._account_path()),
            "auth": self._auth(),
        }

    def _describe_account(self, data):
        name = data.get("name") or data["auth_id"]
        credits = data.get("cash_credits")
        text = f"Connected to the Plivo account '{name}'"
        return text + (f", credit {credits}." if credits is not None else ".")

    @classmethod
    def check_sender(cls, sender):
        if not sender:
            return "Plivo needs a sender: a phone number or an alphanumeric sender ID."
        if (
            is_e164(sender)
            or is_e164("+" + sender)
            or is_short_code(sender)
            or is_alphanumeric_id(sender)
        ):
            return None
        return (
            f"'{sender}' is not a valid Plivo sender: use a phone number in "
            "international format (+14155550100), a short code, or an alphanumeric "
            "sender ID of at most 11 letters and digits with at least one letter."
        )
