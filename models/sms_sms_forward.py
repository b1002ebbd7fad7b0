# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""sms.sms kinds of this part: forwards of received texts to staff, and
chatter messages texted to contacts who prefer texts."""

from odoo import api, fields, models

#: Context key giving the kind of the rows Odoo's chatter creates
#: (mail.thread._notify_thread_by_sms knows nothing of kinds).
CHATTER_KIND_KEY = "text_messaging_sms_kind"


class SmsSms(models.Model):
    _inherit = "sms.sms"

    kind = fields.Selection(
        selection_add=[
            ("forward", "Forward to Staff"),
            ("chatter", "Chatter Message"),
        ],
        ondelete={"forward": "set default", "chatter": "set default"},
    )
    forward_of_id = fields.Many2one(
        "sms.inbound",
        "Forward Of",
        index="btree_not_null",
        ondelete="set null",
        readonly=True,
        help="The received text this text forwards to a staff number.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        kind = self.env.context.get(CHATTER_KIND_KEY)
        if kind:
            vals_list = [{"kind": kind, **vals} for vals in vals_list]
        return super().create(vals_list)
