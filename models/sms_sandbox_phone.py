from urllib.parse import urlsplit

from odoo import api, models
from odoo.exceptions import AccessError

# Texts shown per number, newest kept.
PHONE_MESSAGE_LIMIT = 50
# Numbers shown, most recently active first.
PHONE_NUMBER_LIMIT = 100
# What a phone has received: the gateway accepted the text.
RECEIVED_STATES = ("pending", "sent", "unknown")


class SmsSandboxPhone(models.AbstractModel):
    """The Sandbox Phone page: what each number received from the sandbox
    gateways, as a phone would show it, and a way to answer.

    Answers do not touch the database from here: the page posts them to the
    sandbox gateway's inbound webhook, the path a real provider's callback
    takes (keywords STOP / START / HELP, contact matching, the inbox)."""

    _name = "sms.sandbox.phone"
    _description = "Sandbox Phone"

    @api.model
    def get_phone_data(self):
        """{"gateways": [...], "numbers": [...]} for the page.

        Only for Settings administrators, who alone see webhook tokens: it
        gives the sandbox gateways' webhook paths (their secret token). Real
        providers' gateways are never listed."""
        if not self.env.user.has_group("base.group_system"):
            raise AccessError(
                self.env._("Only Settings administrators may use the sandbox phone.")
            )
        gateways = (
            self.env["sms.gateway"]
            .sudo()
            .search(
                [
                    ("provider", "=", "sandbox"),
                    ("company_id", "in", self.env.companies.ids),
                ]
            )
        )
        if not gateways:
            return {"gateways": [], "numbers": []}
        return {
            "gateways": [self._gateway_values(gateway) for gateway in gateways],
            "numbers": self._numbers(gateways),
        }

    @api.model
    def _gateway_values(self, gateway):
        prefix = urlsplit(gateway._webhook_prefix()).path
        return {
            "id": gateway.id,
            "name": gateway.name,
            "sender": gateway.sender or "",
            "inbound_path": prefix + "/inbound",
        }

    @api.model
    def _numbers(self, gateways):
        """Conversations per number: texts sent to it (not the skipped ones)
        and texts received from it, oldest first."""
        sms = (
            self.env["sms.sms"]
            .sudo()
            .search_fetch(
                [
                    ("gateway_id", "in", gateways.ids),
                    ("number", "!=", False),
                    ("state", "in", RECEIVED_STATES),
                ],
                [
                    "number",
                    "body",
                    "state",
                    "sent_at",
                    "create_date",
                    "partner_id",
                    "gateway_id",
                ],
                order="id desc",
                limit=PHONE_NUMBER_LIMIT * PHONE_MESSAGE_LIMIT,
            )
        )
        inbound = (
            self.env["sms.inbound"]
            .sudo()
            .search_fetch(
                [("gateway_id", "in", gateways.ids)],
                ["number", "body", "received_at", "partner_id", "gateway_id"],
                limit=PHONE_NUMBER_LIMIT * PHONE_MESSAGE_LIMIT,
            )
        )
        conversations = {}
        for message in sms:
            entry = self._conversation(conversations, message.number, message)
            entry["partner"] = entry["partner"] or message.partner_id.display_name
            entry["messages"].append(
                {
                    "id": f"out-{message.id}",
                    "incoming": False,
                    "body": message.body or "",
                    "date": message.sent_at or message.create_date,
                    "state": message.state,
                }
            )
        for message in inbound:
            entry = self._conversation(conversations, message.number, message)
            entry["partner"] = entry["partner"] or message.partner_id.display_name
            entry["messages"].append(
                {
                    "id": f"in-{message.id}",
                    "incoming": True,
                    "body": message.body or "",
                    "date": message.received_at,
                    "state": "received",
                }
            )
        blocked = self.env["sms.recipient.mixin"]._tm_blacklisted(conversations)
        numbers = []
        for number, entry in conversations.items():
            # Dates are to the second: on a tie, the text received comes before
            # the answer to it.
            messages = sorted(
                entry["messages"],
                key=lambda m: (m["date"], m["incoming"], int(m["id"].split("-")[1])),
            )
            messages = messages[-PHONE_MESSAGE_LIMIT:]
            for message in messages:
                message["date"] = message["date"].strftime("%Y-%m-%d %H:%M:%S")
            numbers.append(
                {
                    **entry,
                    "number": number,
                    "opted_out": number in blocked,
                    "messages": messages,
                    "last": messages[-1]["date"] if messages else "",
                }
            )
        numbers.sort(key=lambda entry: entry["last"], reverse=True)
        return numbers[:PHONE_NUMBER_LIMIT]

    @api.model
    def _conversation(self, conversations, number, message):
        """The conversation of ``number``; its answers go to the gateway of its
        newest message (``message`` when it is the first one seen)."""
        if number not in conversations:
            conversations[number] = {
                "partner": "",
                "gateway_id": message.gateway_id.id,
                "messages": [],
            }
        return conversations[number]
