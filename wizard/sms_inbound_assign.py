from odoo import fields, models


class SmsInboundAssign(models.TransientModel):
    _name = "sms.inbound.assign"
    _description = "Assign a Received Text Message to a Contact"

    inbound_id = fields.Many2one("sms.inbound", required=True, ondelete="cascade")
    number = fields.Char(related="inbound_id.number")
    partner_id = fields.Many2one("res.partner", "Contact", required=True)

    def action_assign(self):
        self.ensure_one()
        self.inbound_id.action_assign_partner(self.partner_id)
        return {"type": "ir.actions.act_window_close"}
