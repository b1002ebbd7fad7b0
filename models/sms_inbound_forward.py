# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Received texts forwarded to staff mobile numbers (seed 004, "TEXT forward
phone number"), through the gateway they came in on."""

import logging

from odoo import api, fields, models
from odoo.tools import LazyTranslate

from ..tools.fit import fit_segments

_logger = logging.getLogger(__name__)
_lt = LazyTranslate(__name__)

FORWARD_FROM_CONTACT = _lt("From %(name)s (%(number)s): %(body)s")
FORWARD_FROM_NUMBER = _lt("From %(number)s: %(body)s")
FORWARD_SHORTENED = _lt("(Shortened: the full text is in Odoo.)")


class SmsInbound(models.Model):
    _inherit = "sms.inbound"

    forward_ids = fields.One2many("sms.sms", "forward_of_id", "Forwards")

    @api.model
    def _receive(self, gateway, messages):
        """Store the messages (see super), then forward them to the gateway's
        staff numbers. A forward that cannot be queued is logged and never
        loses the received text nor stops the others."""
        records = super()._receive(gateway, messages)
        todo = records._forward_candidates()
        if todo:
            try:
                with self.env.cr.savepoint():
                    todo._forward_to_staff()
            except Exception:  # noqa: BLE001 - the received texts are stored
                _logger.exception(
                    "Forwarding %s received text(s) of gateway %s failed",
                    len(todo),
                    gateway.id,
                )
        return records

    def _forward_candidates(self):
        """The texts of ``self`` to forward: not STOP/START/HELP (handled, and
        answered, by the keyword flow), not answers that a reminder question
        took (the practitioner is told, as the company set), and not texts
        from a staff number or from a gateway (a forward coming back: never a
        forward of a forward)."""
        texts = self.filtered(
            lambda m: not m.keyword and m.gateway_id.sudo().forward_numbers
        )
        if not texts:
            return texts
        answered = (
            self.env["sms.reminder.question"]
            .sudo()
            .search([("inbound_id", "in", texts.ids)])
            .inbound_id
        )
        gateway_numbers = self.env["sms.gateway"]._forward_gateway_numbers()
        return (texts - answered).filtered(
            lambda m: m.number not in gateway_numbers
            and m.number not in m.gateway_id._forward_targets()
        )

    def _forward_to_staff(self):
        """Queue one text per staff number of each received text's gateway,
        through that gateway; the dispatcher sends them within seconds."""
        vals_list = []
        for inbound in self:
            gateway = inbound.gateway_id.sudo()
            body = inbound._forward_body()
            vals_list += [
                {
                    "number": number,
                    "body": body,
                    "kind": "forward",
                    "gateway_id": gateway.id,
                    "company_id": gateway.company_id.id,
                    "forward_of_id": inbound.id,
                    "state": "outgoing",
                }
                for number in gateway._forward_targets()
            ]
        return self.env["sms.sms"].sudo().create(vals_list)

    def _forward_body(self):
        """ "From Jane Doe (+15550100): ..." in the company's language, within
        the gateway's maximum segments."""
        self.ensure_one()
        gateway = self.gateway_id.sudo()
        env = self.with_context(lang=gateway.company_id.partner_id.lang).env
        values = {
            "name": self.partner_id.name,
            "number": self.number,
            "body": self.body or "",
        }
        template = FORWARD_FROM_CONTACT if self.partner_id else FORWARD_FROM_NUMBER
        text = env._(template) % values
        return fit_segments(text, gateway.max_segments, env._(FORWARD_SHORTENED))
