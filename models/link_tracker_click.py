from odoo import fields, models


class LinkTrackerClick(models.Model):
    """Clicks on the short links of texts, counted per text and per mass
    message (controllers/links.py records them)."""

    _inherit = "link.tracker.click"

    text_sms_id = fields.Many2one(
        "sms.sms", "Text", index="btree_not_null", ondelete="set null"
    )
    text_mass_message_id = fields.Many2one(
        "sms.mass.message", "Mass Text", index="btree_not_null", ondelete="set null"
    )
