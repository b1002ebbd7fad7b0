from odoo import fields, models

from ..tools import compat
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

    text_messaging_number_choice = fields.Boolean(
        compute="_compute_text_messaging_number_choice",
        help="Contacts have two numbers to choose from (18.0: mobile and phone; "
        "19.0 has the phone only, and the setting is hidden).",
    )

    def _compute_text_messaging_number_choice(self):
        self.text_messaging_number_choice = len(compat.PARTNER_NUMBER_FIELDS) > 1

    def set_values(self):
        params = self.env["ir.config_parameter"].sudo()
        before = params.get_param(NUMBER_PRIORITY_PARAM, "mobile")
        result = super().set_values()
        if params.get_param(NUMBER_PRIORITY_PARAM, "mobile") != before:
            self.env["res.partner"]._text_number_recompute()
        return result

    # Quiet hours and the four seeded reminder rules (Settings > Text Messaging).
    text_consent_wording_reminders = fields.Text(
        related="company_id.text_consent_wording_reminders", readonly=False
    )
    text_consent_wording_marketing = fields.Text(
        related="company_id.text_consent_wording_marketing", readonly=False
    )
    text_first_text_footer = fields.Boolean(
        related="company_id.text_first_text_footer", readonly=False
    )
    text_opt_out_footer = fields.Char(
        related="company_id.text_opt_out_footer", readonly=False
    )
    text_max_images = fields.Integer(
        related="company_id.text_max_images", readonly=False
    )
    text_track_links = fields.Boolean(
        related="company_id.text_track_links", readonly=False
    )
    text_legal_quiet_hours = fields.Boolean(
        related="company_id.text_legal_quiet_hours", readonly=False
    )
    text_quiet_hours = fields.Boolean(
        related="company_id.text_quiet_hours", readonly=False
    )
    text_quiet_hours_start = fields.Float(
        related="company_id.text_quiet_hours_start", readonly=False
    )
    text_quiet_hours_end = fields.Float(
        related="company_id.text_quiet_hours_end", readonly=False
    )
    text_reminder_session_rule_id = fields.Many2one(
        string="Session reminders: rule",
        related="company_id.text_reminder_session_rule_id",
    )
    text_reminder_session_active = fields.Boolean(
        "Session reminders",
        related="text_reminder_session_rule_id.active",
        readonly=False,
    )
    text_reminder_session_hours = fields.Integer(
        "Session reminders: hours",
        related="text_reminder_session_rule_id.offset_hours",
        readonly=False,
    )
    text_reminder_session_offset_unit = fields.Selection(
        string="Session reminders: unit",
        related="text_reminder_session_rule_id.offset_unit",
        readonly=False,
    )
    text_reminder_session_recipients = fields.Selection(
        string="Session reminders: recipients",
        related="text_reminder_session_rule_id.recipients",
        readonly=False,
    )
    text_reminder_session_ask_answer = fields.Boolean(
        "Session reminders: ask for an answer",
        related="text_reminder_session_rule_id.ask_answer",
        readonly=False,
    )
    text_staff_in_charge_ids = fields.Many2many(
        related="company_id.text_staff_in_charge_ids", readonly=False
    )
    text_unassigned_email = fields.Boolean(
        related="company_id.text_unassigned_email", readonly=False
    )
    text_answer_notification = fields.Selection(
        related="company_id.text_answer_notification", readonly=False
    )
    text_reminder_invoice_rule_id = fields.Many2one(
        string="Pending invoice reminders: rule",
        related="company_id.text_reminder_invoice_rule_id",
    )
    text_reminder_invoice_active = fields.Boolean(
        "Pending invoice reminders",
        related="text_reminder_invoice_rule_id.active",
        readonly=False,
    )
    text_reminder_invoice_hours = fields.Integer(
        "Pending invoice reminders: hours",
        related="text_reminder_invoice_rule_id.offset_hours",
        readonly=False,
    )
    text_reminder_invoice_offset_unit = fields.Selection(
        string="Pending invoice reminders: unit",
        related="text_reminder_invoice_rule_id.offset_unit",
        readonly=False,
    )
    text_reminder_invoice_recipients = fields.Selection(
        string="Pending invoice reminders: recipients",
        related="text_reminder_invoice_rule_id.recipients",
        readonly=False,
    )
    text_reminder_overdue_rule_id = fields.Many2one(
        string="Overdue invoice reminders: rule",
        related="company_id.text_reminder_overdue_rule_id",
    )
    text_reminder_overdue_active = fields.Boolean(
        "Overdue invoice reminders",
        related="text_reminder_overdue_rule_id.active",
        readonly=False,
    )
    text_reminder_overdue_hours = fields.Integer(
        "Overdue invoice reminders: hours",
        related="text_reminder_overdue_rule_id.offset_hours",
        readonly=False,
    )
    text_reminder_overdue_offset_unit = fields.Selection(
        string="Overdue invoice reminders: unit",
        related="text_reminder_overdue_rule_id.offset_unit",
        readonly=False,
    )
    text_reminder_overdue_interval = fields.Integer(
        "Overdue invoice reminders: every (days)",
        related="text_reminder_overdue_rule_id.repeat_interval_days",
        readonly=False,
    )
    text_reminder_overdue_max = fields.Integer(
        "Overdue invoice reminders: at most",
        related="text_reminder_overdue_rule_id.repeat_max",
        readonly=False,
    )
    text_reminder_overdue_recipients = fields.Selection(
        string="Overdue invoice reminders: recipients",
        related="text_reminder_overdue_rule_id.recipients",
        readonly=False,
    )
    text_reminder_task_rule_id = fields.Many2one(
        string="Pending task reminders: rule",
        related="company_id.text_reminder_task_rule_id",
    )
    text_reminder_task_active = fields.Boolean(
        "Pending task reminders",
        related="text_reminder_task_rule_id.active",
        readonly=False,
    )
    text_reminder_task_hours = fields.Integer(
        "Pending task reminders: hours",
        related="text_reminder_task_rule_id.offset_hours",
        readonly=False,
    )
    text_reminder_task_offset_unit = fields.Selection(
        string="Pending task reminders: unit",
        related="text_reminder_task_rule_id.offset_unit",
        readonly=False,
    )
    text_reminder_task_recipients = fields.Selection(
        string="Pending task reminders: recipients",
        related="text_reminder_task_rule_id.recipients",
        readonly=False,
    )
