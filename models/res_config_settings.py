from odoo import fields, models

from .res_partner import NUMBER_PRIORITY_PARAM


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    sms_gateway_id = fields.Many2one(
        related="company_id.sms_gateway_id",
        readonly=False,
        domain="[('company_id', '=', company_id)]",
    )
    text_messaging_number_priority = fields.Selection(
        [("mobile", "Mobile first"), ("phone", "Phone first")],
        "Text phone number",
        default="mobile",
        required=True,
        config_parameter=NUMBER_PRIORITY_PARAM,
        help="Which of a contact's numbers texts go to when both are set. The other "
        "one is used when the first is missing or not valid.",
    )

    def set_values(self):
        params = self.env["ir.config_parameter"].sudo()
        before = params.get_param(NUMBER_PRIORITY_PARAM, "mobile")
        result = super().set_values()
        if params.get_param(NUMBER_PRIORITY_PARAM, "mobile") != before:
            self.env["res.partner"]._text_number_recompute()
        return result
