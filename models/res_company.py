from odoo import api, fields, models

# Reminder kind -> the res.company field showing that kind's rule (settings).
REMINDER_RULE_FIELDS = {
    "session": "text_reminder_session_rule_id",
    "pending_invoice": "text_reminder_invoice_rule_id",
    "overdue_invoice": "text_reminder_overdue_rule_id",
    "pending_task": "text_reminder_task_rule_id",
}


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

    text_quiet_hours = fields.Boolean(
        "Quiet hours",
        help="Automated reminders due during these hours (company time zone) wait "
        "until they end: postponed, never dropped.",
    )
    text_quiet_hours_start = fields.Float("Quiet from", default=21.0)
    text_quiet_hours_end = fields.Float("Quiet until", default=8.0)
    text_reminder_session_rule_id = fields.Many2one(
        "sms.reminder.rule", compute="_compute_text_reminder_rules"
    )
    text_reminder_invoice_rule_id = fields.Many2one(
        "sms.reminder.rule", compute="_compute_text_reminder_rules"
    )
    text_reminder_overdue_rule_id = fields.Many2one(
        "sms.reminder.rule", compute="_compute_text_reminder_rules"
    )
    text_reminder_task_rule_id = fields.Many2one(
        "sms.reminder.rule", compute="_compute_text_reminder_rules"
    )

    def _compute_text_reminder_rules(self):
        """The first rule of each kind of each company, active or not."""
        rules = (
            self.env["sms.reminder.rule"]
            .with_context(active_test=False)
            .search([("company_id", "in", self.ids)], order="sequence, id")
        )
        for company in self:
            for kind, fname in REMINDER_RULE_FIELDS.items():
                company[fname] = rules.filtered(
                    lambda rule, c=company, k=kind: rule.company_id == c
                    and rule.kind == k
                )[:1]

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
