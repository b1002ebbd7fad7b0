from odoo import fields, models
from odoo.exceptions import UserError


class SmsInboundAssign(models.TransientModel):
    _name = "sms.inbound.assign"
    _description = "Assign a Received Text Message to a Contact"

    inbound_id = fields.Many2one("sms.inbound", required=True, ondelete="cascade")
    number = fields.Char(related="inbound_id.number")
    assign_to = fields.Selection(
        [("existing", "An existing contact"), ("new", "A new contact")],
        "Assign to",
        default="existing",
        required=True,
    )
    partner_id = fields.Many2one("res.partner", "Contact")
    new_contact_name = fields.Char(
        "Name", help="A new contact with this name and the number that texted."
    )

    def action_assign(self):
        self.ensure_one()
        self.inbound_id.action_assign_partner(self._partner())
        return {"type": "ir.actions.act_window_close"}

    def _partner(self):
        """The chosen contact, or a new one with the number that texted."""
        if self.assign_to == "new":
            if not (self.new_contact_name or "").strip():
                raise UserError(self.env._("Type the new contact's name."))
            return self.env["res.partner"].create(
                {"name": self.new_contact_name.strip(), "phone": self.number}
            )
        if not self.partner_id:
            raise UserError(self.env._("Choose the contact who sent it."))
        return self.partner_id
