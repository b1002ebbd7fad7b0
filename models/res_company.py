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
    text_legal_quiet_hours = fields.Boolean(
        "Recipients' quiet hours",
        default=True,
        help="Automated texts wait while it is night where the recipient is (US "
        "federal and state hours for US numbers), in the contact's or the "
        "number's time zone: postponed, never dropped.",
    )
    text_quiet_hours_end = fields.Float("Quiet until", default=8.0)
    text_answer_notification = fields.Selection(
        [("activity", "Activity"), ("text", "Text")],
        "Tell the practitioner by",
        default="activity",
        required=True,
        help="How the organizer of a session learns that a client confirmed or "
        "declined it by text: an activity on the client, or a text to their "
        "number (an activity when they have no valid number). A request to "
        "reschedule is always an activity.",
    )
    text_staff_in_charge_ids = fields.Many2many(
        "res.users",
        "res_company_text_staff_in_charge_rel",
        "company_id",
        "user_id",
        "Staff in charge of texts",
        domain=[("share", "=", False)],
        help="They follow every new text conversation of the company in Discuss "
        "and are notified of texts from unknown numbers.",
    )
    text_unassigned_email = fields.Boolean(
        "Email texts from unknown numbers",
        help="Besides the Discuss notification, email the staff in charge when a "
        "text comes from a number that matches no contact.",
    )
    text_consent_wording_reminders = fields.Text(
        "Reminders consent wording",
        translate=True,
        help="What contacts are told when they agree to reminders by text; kept "
        "in the consent ledger with each permission given. Empty: the default.",
    )
    text_consent_wording_marketing = fields.Text(
        "Marketing consent wording",
        translate=True,
        help="What contacts are told when they agree to marketing texts; kept "
        "in the consent ledger with each permission given. Empty: the default.",
    )
    text_first_text_footer = fields.Boolean(
        "Opt-out footer on first texts",
        help="The first text this company sends to a number ends with how to "
        "opt out, unless it already says it.",
    )
    text_opt_out_footer = fields.Char(
        "Opt-out footer",
        translate=True,
        help="Added to marketing texts that do not already say how to opt out. "
        "Empty: the default.",
    )
    # Picture messages and links (issue 14, part B).
    text_max_images = fields.Integer(
        "Images per text",
        default=10,
        help="Most images a picture message may carry (each provider has its "
        "own limit too).",
    )
    text_track_links = fields.Boolean(
        "Shorten and count links",
        default=True,
        help="Links in custom, scheduled and mass texts are shortened and their "
        "clicks counted per text and per mass message.",
    )
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

    def _text_consent_wording(self, kind):
        """The wording a contact agrees to for ``kind`` (reminders, marketing):
        the company's own, else the default, which says what CTIA asks (who,
        what, how often, rates, how to stop)."""
        self.ensure_one()
        own = self[f"text_consent_wording_{kind}"]
        if own:
            return own
        if kind == "marketing":
            return self.env._(
                "I agree to receive offers and news by text message from "
                "%(company)s. Up to 4 messages a month. Message and data rates may "
                "apply. Reply STOP to stop, HELP for help.",
                company=self.name,
            )
        return self.env._(
            "I agree to receive appointment, invoice and task reminders by text "
            "message from %(company)s. Message frequency varies. Message and data "
            "rates may apply. Reply STOP to stop, HELP for help.",
            company=self.name,
        )

    def _text_opt_out_footer(self):
        self.ensure_one()
        return self.text_opt_out_footer or self.env._("Reply STOP to opt out.")

    def _text_with_opt_out_footer(self, texts):
        """``texts`` ({key: text}) each ending with how to opt out, unless it
        already names STOP (CTIA asks marketing texts to say it)."""
        self.ensure_one()
        footer = self._text_opt_out_footer()
        return {
            key: text if "STOP" in (text or "").upper() else f"{text}\n{footer}"
            for key, text in texts.items()
        }
