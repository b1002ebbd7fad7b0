"""Vonage SMS API (reference section 5.1).

One message per request to ``/sms/json``, form-encoded, with ``api_key`` and
``api_secret`` in the body. Vonage answers HTTP 200 even on errors: each part
of the message has its own string ``status`` ("0" = accepted).
"""

from .base import Gateway, is_alphanumeric_id, is_e164, is_gsm7, to_float

VONAGE_STATUS = {
    "1": "rate_limited",  # throttled
    "2": "rejected",  # missing parameters
    "3": "rejected",  # invalid parameters
    "4": "authentication",  # invalid credentials
    "5": "server_error",  # internal error
    "6": "invalid_number",  # invalid message (e.g. unrecognized number prefix)
    "7": "opted_out",  # number barred
    "8": "rejected",  # partner account barred
    "9": "insufficient_credit",  # partner quota violation
    "10": "rate_limited",  # too many existing binds
    "11": "authentication",  # account not enabled for HTTP
    "12": "rejected",  # message too long
    "14": "authentication",  # invalid signature
    "15": "rejected",  # invalid sender address
    "22": "rejected",  # invalid network code
    "23": "rejected",  # invalid callback URL
    "29": "rejected",  # non-whitelisted destination (trial account)
    "32": "authentication",  # signature and API secret disallowed
    "33": "invalid_number",  # number de-activated
}


class VonageGateway(Gateway):
    provider = "vonage"
    label = "Vonage"
    default_base_url = "https://rest.nexmo.com"
    max_batch = 1
    credential_keys = ("api_key", "api_secret")
    error_map = VONAGE_STATUS
    # Vonage explicitly reports these as "not submitted, slow down / retry".
    retryable_codes = frozenset({"1", "5", "10"})

    @staticmethod
    def wire_number(value):
        """Vonage numbers are international digits without '+' (5.6)."""
        return value[1:] if value.startswith("+") else value

    def _build_request(self, batch):
        (message,) = batch
        data = {
            "api_key": self.credentials["api_key"],
            "api_secret": self.credentials["api_secret"],
            "from": self.wire_number(self.sender_for(message)),
            "to": self.wire_number(message.number),
            "text": message.body,
            "client-ref": message.uuid,
        }
        if not is_gsm7(message.body):
            data["type"] = "unicode"
        if self.status_url and len(self.status_url) <= 100:
            data["callback"] = self.status_url
            data["status-report-req"] = "1"
        return {"method": "POST", "url": self.url("/sms/json"), "data": data}

    def _parse_success(self, batch, response):
        (message,) = batch
        parts = self._json(response)["messages"]
        if not isinstance(parts, list) or not parts:
            raise ValueError("no message parts")
        statuses = [str(part["status"]) for part in parts]
        failed = [part for part in parts if str(part["status"]) != "0"]
        if not failed:
            prices = [to_float(part.get("message-price")) for part in parts]
            return [
                self.accepted(
                    message,
                    provider_id=parts[0]["message-id"],
                    segments=len(parts),
                    price=sum(prices) if None not in prices else None,
                )
            ]
        first = failed[0]
        code = str(first["status"])
        detail = f"Vonage status {code}: {first.get('error-text') or 'error'}"
        if len(failed) < len(parts):
            # Some parts went out: never retry, the recipient would get them twice.
            detail += f" ({statuses.count('0')} of {len(parts)} parts accepted)"
            return [self.failed(message, self.error_map.get(code, "rejected"), detail)]
        return [
            self.failed(
                message,
                self.error_map.get(code, "rejected"),
                detail,
                retryable=code in self.retryable_codes,
            )
        ]

    def _error_info(self, response):
        try:
            data = response.json()
        except ValueError:
            return "", ""
        if not isinstance(data, dict):
            return "", ""
        text = data.get("error-text") or data.get("title") or data.get("detail") or ""
        return "", str(text)

    def _test_request(self):
        return {
            "method": "GET",
            "url": self.url("/account/get-balance"),
            "auth": (self.credentials["api_key"], self.credentials["api_secret"]),
        }

    def _describe_account(self, data):
        return f"Connected to Vonage, balance {float(data['value']):.2f} EUR."

    @classmethod
    def check_sender(cls, sender):
        if not sender:
            return "Vonage needs a sender: a phone number or an alphanumeric sender ID."
        if is_e164(sender) or is_e164("+" + sender) or is_alphanumeric_id(sender):
            return None
        return (
            f"'{sender}' is not a valid Vonage sender: use a phone number in "
            "international format (+447700900000) or an alphanumeric sender ID of "
            "at most 11 letters and digits with at least one letter."
        )
