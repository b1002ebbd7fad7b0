from markupsafe import Markup

from odoo import api, fields, models

from ..tools.segments import count_segments


class SmsInboundReply(models.TransientModel):
    _name = "sms.inbound.reply"
    _description = "Reply to an Inbound Text Message"

    inbound_id = fields.Many2one("sms.inbound", required=True, ondelete="cascade")
    number = fields.Char(related="inbound_id.number")
    received_body = fields.Text(related="inbound_id.body", string="Message")
    body = fields.Text("Reply", required=True)
    segments_info = fields.Char("Length", compute="_compute_segments_info")

    @api.depends("body")
    def _compute_segments_info(self):
        for wizard in self:
            info = count_segments(wizard.body or "")
            encoding = "GSM-7" if info.encoding == "gsm7" else "Unicode"
            wizard.segments_info = self.env._(
                "%(chars)s characters, %(encoding)s, %(segments)s segment(s)",
                chars=info.characters,
                encoding=encoding,
                segments=info.segments,
            )

    def action_send(self):
        """Queue the reply through the gateway the message came from."""
        self.ensure_one()
        inbound = self.inbound_id
        sms = (
            self.env["sms.sms"]
            .sudo()
            .create(
                {
                    "number": inbound.number,
                    "body": self.body,
                    "partner_id": inbound.partner_id.id,
                    "gateway_id": inbound.gateway_id.id,
                    "kind": "reply",
                    "inbound_id": inbound.id,
                }
            )
        )
        if inbound.partner_id:
            inbound.partner_id.message_post(
                body=Markup("%s") % self.body,
                message_type="sms",
                subtype_xmlid="mail.mt_note",
            )
        return {"type": "ir.actions.act_window_close", "infos": {"sms_id": sms.id}}
