from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    sms_gateway_id = fields.Many2one(
        related="company_id.sms_gateway_id",
        readonly=False,
        domain="[('company_id', '=', company_id)]",
    )
