"""Telnyx Messaging API v2 (reference section 6).

One message per JSON request, ``Authorization: Bearer <API key>``. Errors come
as ``{"errors": [{"code", "title", "detail"}]}``; the code decides the failure
(40300, "blocked by STOP", may come with HTTP 400 or 403: unconfirmed).
An optional ``messaging_profile_id`` in the credentials is sent along (it is
needed for alphanumeric senders).
"""

from .base import (
    Gateway,
    is_alphanumeric_id,
    is_e164,
    is_short_code,
    to_float,
    to_int,
)


class TelnyxGateway(Gateway):
    provider = "telnyx"
    label = "Telnyx"
    default_base_url = "https://api.telnyx.com"
    max_batch = 1
    credential_keys = ("api_key",)
    error_map = {
        "10002": "invalid_number",
        "10009": "authentication",
        "10011": "rate_limited",
        "10016": "invalid_number",
        "40001": "rejected",  # not routable
        "40002": "rejected",  # blocked as spam
        "40003": "rejected",  # blocked as spam
        "40008": "rejected",  # undeliverable
        "40011": "rate_limited",  # carrier rate limit
        "40012": "invalid_number",
        "40013": "rejected",  # invalid source number
        "40300": "opted_out",  # blocked due to a STOP message
        "40318": "rate_limited",  # queue full
    }
    # UNCONFIRMED (reference 6.2): the insufficient-balance code; HTTP 402
    # falls back to insufficient_credit.
    retryable_codes = frozenset({"10011", "40318"})

    def _headers(self):
        return {"Authorization": f"Bearer {self.credentials['api_key']}"}

    def _build_request(self, batch):
        (message,) = batch
        payload = {
            "from": self.sender_for(message),
            "to": message.number,
            "text": message.body,
            "type": "SMS",
        }
        profile = self.credentials.get("messaging_profile_id")
        if profile:
            payload["messaging_profile_id"] = profile
        if self.status_url:
            payload["webhook_url"] = self.status_url
        return {
            "method": "POST",
            "url": self.url("/v2/messages"),
            "json": payload,
            "headers": self._headers(),
        }

    def _parse_success(self, batch, response):
        (message,) = batch
        data = self._json(response)["data"]
        if not data.get("id"):
            raise ValueError("no message id")
        cost = data.get("cost") or {}
        return [
            self.accepted(
                message,
                provider_id=data["id"],
                segments=to_int(data.get("parts")),
                price=to_float(cost.get("amount")) if isinstance(cost, dict) else None,
            )
        ]

    def _error_info(self, response):
        try:
            data = response.json()
        except ValueError:
            return "", ""
        errors = data.get("errors") if isinstance(data, dict) else None
        if not isinstance(errors, list) or not errors:
            return "", ""
        error = errors[0] if isinstance(errors[0], dict) else {}
        title, detail = error.get("title") or "", error.get("detail") or ""
        if title and detail and not detail.startswith(title):
            text = f"{title}: {detail}"
        else:
            text = detail or title
        return str(error.get("code") or ""), text

    def _test_request(self):
        return {
            "method": "GET",
            "url": self.url("/v2/balance"),
            "headers": self._headers(),
        }

    def _describe_account(self, data):
        balance = data["data"]
        return (
            f"Connected to Telnyx, balance {balance['balance']} "
            f"{balance.get('currency', '')}".rstrip()
            + "."
        )

    @classmethod
    def check_sender(cls, sender):
        if not sender:
            return "Telnyx needs a sender: a phone number, short code or sender ID."
        if is_e164(sender) or is_short_code(sender) or is_alphanumeric_id(sender):
            return None
        return (
            f"'{sender}' is not a valid Telnyx sender: use a phone number in "
            "+E.164 format (+15551234567), a short code, or an alphanumeric sender "
            "ID of 1 to 11 letters and digits with at least one letter."
        )
