from odoo import models


class ResPartner(models.Model):
    """The contact's Conversation button (a method, not a server action:
    server actions need write access on contacts, which texting does not)."""

    _inherit = "res.partner"

    def action_open_text_conversation(self):
        self.ensure_one()
        return self.env["discuss.channel"]._text_action_open_for(self)
