from odoo import api, fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    sms_gateway_ids = fields.One2many("sms.gateway", "company_id", "Text Gateways")
    sms_gateway_id = fields.Many2one(
        "sms.gateway",
        "Text Messaging Gateway",
        compute="_compute_sms_gateway_id",
        inverse="_inverse_sms_gateway_id",
        help="Messages of this company go through this gateway; without one they "
        "go through Odoo IAP, which needs no credentials.",
    )

    @api.depends("sms_gateway_ids.is_default", "sms_gateway_ids.active")
    def _compute_sms_gateway_id(self):
        for company in self:
            company.sms_gateway_id = company.sms_gateway_ids.filtered("is_default")[:1]

    def _inverse_sms_gateway_id(self):
        for company in self:
            if company.sms_gateway_id:
                company.sms_gateway_id.is_default = True
            else:
                company.sms_gateway_ids.filtered("is_default").is_default = False
