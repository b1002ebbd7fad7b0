# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Staff mobile numbers that receive a copy of every text a gateway receives
("TEXT forward phone number")."""

import re

from odoo import api, fields, models
from odoo.exceptions import ValidationError

FORWARD_SEPARATORS = re.compile(r"[,;\n]+")


class SmsGateway(models.Model):
    _inherit = "sms.gateway"

    # Per gateway, not per company: a gateway is one business number, and a
    # forward goes out through the gateway the text came in on. Two numbers
    # of one company (two locations) forward to their own staff.
    forward_numbers = fields.Text(
        "Forward Received Texts To",
        groups="text_messaging.group_text_messaging_manager",
        help="Staff mobile numbers, one per line (or separated by commas): every "
        "text this gateway receives is also texted to each of them through this "
        "gateway, prefixed with who sent it. STOP, START and HELP replies and "
        "answers to reminder questions are not forwarded; texts from these numbers "
        "are never forwarded. Each forward is a text the provider charges.",
    )

    @api.constrains("forward_numbers", "sender", "company_id")
    def _check_forward_numbers(self):
        senders = self._forward_gateway_numbers()
        for gateway in self:
            for number in gateway._forward_split(gateway.sudo().forward_numbers):
                formatted, validity = gateway._forward_check(number)
                if validity != "valid":
                    raise ValidationError(
                        self.env._(
                            "%(number)s is not a valid mobile number: type it in "
                            "international format (e.g. +1 212 555 0123).",
                            number=number,
                        )
                    )
                if formatted in senders:
                    raise ValidationError(
                        self.env._(
                            "%(number)s is the number of a gateway: forwarding to "
                            "it would bring each text back in a loop.",
                            number=number,
                        )
                    )

    @api.model
    def _forward_split(self, text):
        parts = (part.strip() for part in FORWARD_SEPARATORS.split(text or ""))
        return [part for part in parts if part]

    def _forward_check(self, number):
        """(E.164 number, validity) of a staff number, read in the gateway's
        company's country."""
        self.ensure_one()
        return self.env["res.partner"]._text_number_check(
            number, self.company_id.country_id
        )

    def _forward_targets(self):
        """The staff numbers of this gateway, in E.164, without duplicates."""
        self.ensure_one()
        targets = []
        for number in self._forward_split(self.sudo().forward_numbers):
            formatted, validity = self._forward_check(number)
            if validity == "valid" and formatted not in targets:
                targets.append(formatted)
        return targets

    @api.model
    def _forward_gateway_numbers(self):
        """The numbers of every gateway, in E.164 (one query): a text from one
        of them is a forward coming back, never forwarded again."""
        gateways = (
            self.sudo()
            .with_context(active_test=False)
            .search_fetch([("sender", "!=", False)], ["sender", "company_id"])
        )
        numbers = set()
        for gateway in gateways:
            formatted, validity = gateway._forward_check(gateway.sender)
            if validity in ("valid", "possible"):
                numbers.add(formatted)
        return numbers
