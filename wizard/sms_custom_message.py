from datetime import datetime, timedelta

import pytz
from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from odoo.addons.base.models.res_partner import _tz_get

from ..tools.segments import non_gsm_characters


class SmsCustomMessage(models.TransientModel):
    """Text Messaging > Send: a custom text to contacts and/or typed numbers.

    No "text reminders" permission is needed for a custom message (seed 000),
    but an opted-out, missing or invalid number, or the same number twice, is
    skipped and kept in the History with the reason. "Later" creates a one-time
    ``sms.scheduled.message``: it is listed under Scheduled, can be cancelled,
    and its recipients are checked again when it is sent."""

    _name = "sms.custom.message"
    _inherit = ["sms.recipient.mixin", "sms.channel.mixin", "sms.images.mixin"]
    _description = "Send a Custom Text Message"

    state = fields.Selection(
        [("draft", "Draft"), ("done", "Done")], default="draft", required=True
    )
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    partner_ids = fields.Many2many(
        "res.partner", string="Contacts", default=lambda self: self._default_partners()
    )
    numbers = fields.Text(
        "Other Numbers",
        help="Numbers without a contact, separated by commas, semicolons or new "
        "lines. Local numbers are read in the company's country.",
    )
    template_id = fields.Many2one(
        "sms.template", "Template", domain="[('model', '=', 'res.partner')]"
    )
    body = fields.Text(
        "Message",
        compute="_compute_body",
        store=True,
        readonly=False,
        help="Placeholders such as {{ object.name }} are filled in for each contact.",
    )
    gateway_id = fields.Many2one(
        "sms.gateway",
        "Gateway",
        domain="[('company_id', '=', company_id)]",
        default=lambda self: self.env.company.sms_gateway_id,
        help="Empty: Odoo IAP (no gateway configured for the company).",
    )
    send_mode = fields.Selection(
        [("now", "Now"), ("later", "Later")], "Send", default="now", required=True
    )
    schedule_date = fields.Date("On", default=lambda self: self._default_schedule()[0])
    schedule_time = fields.Float("At", default=lambda self: self._default_schedule()[1])
    tz = fields.Selection(
        _tz_get, "Time Zone", default=lambda self: self._tm_company_tz()
    )
    preview_partner_id = fields.Many2one(
        "res.partner",
        "Preview For",
        compute="_compute_preview_partner_id",
        store=True,
        readonly=False,
    )
    preview = fields.Text(compute="_compute_preview")
    # Live counter, on the preview's text.
    char_count = fields.Integer("Characters", compute="_compute_counter")
    encoding = fields.Selection(
        [("gsm7", "GSM-7"), ("ucs2", "Unicode")], compute="_compute_counter"
    )
    segments = fields.Integer(compute="_compute_counter")
    remaining = fields.Integer(
        "Left in Segment",
        compute="_compute_counter",
        help="Characters still free in the last segment.",
    )
    max_segments = fields.Integer("Gateway Maximum", compute="_compute_counter")
    too_long = fields.Boolean(compute="_compute_counter")
    unicode_characters = fields.Char(
        "Characters Forcing Unicode", compute="_compute_counter"
    )
    # Recipients.
    recipient_count = fields.Integer("Recipients", compute="_compute_recipients")
    send_count = fields.Integer("To Send", compute="_compute_recipients")
    skip_opted_out = fields.Integer("Opted Out", compute="_compute_recipients")
    skip_missing = fields.Integer("Missing Number", compute="_compute_recipients")
    skip_invalid = fields.Integer("Invalid Number", compute="_compute_recipients")
    skip_duplicate = fields.Integer("Same Number Twice", compute="_compute_recipients")
    cost_estimate = fields.Monetary(
        "Estimated Cost", compute="_compute_recipients", currency_field="currency_id"
    )
    currency_id = fields.Many2one(
        "res.currency", compute="_compute_recipients", string="Currency"
    )
    summary = fields.Html(readonly=True, sanitize=False)
    sms_ids = fields.Many2many("sms.sms", string="Messages", readonly=True)
    scheduled_message_id = fields.Many2one(
        "sms.scheduled.message", "Scheduled Message", readonly=True
    )

    @api.model
    def _default_schedule(self):
        """(date, hour) of the next full hour in the company's time zone, so that
        "Later" never starts in the past."""
        tz = pytz.timezone(self._tm_company_tz())
        now = datetime.now(tz) + timedelta(hours=1)
        return now.date(), float(now.hour)

    @api.model
    def _default_partners(self):
        context = self.env.context
        if context.get("active_model") == "res.partner":
            ids = context.get("active_ids") or [context.get("active_id")]
            return self.env["res.partner"].browse([i for i in ids if i])
        return self.env["res.partner"]

    @api.depends("template_id")
    def _compute_body(self):
        for wizard in self:
            wizard.body = wizard.template_id.body or wizard.body

    @api.depends("partner_ids")
    def _compute_preview_partner_id(self):
        for wizard in self:
            if wizard.preview_partner_id not in wizard.partner_ids:
                wizard.preview_partner_id = wizard.partner_ids[:1]

    @api.depends("body", "template_id", "preview_partner_id")
    def _compute_preview(self):
        for wizard in self:
            try:
                wizard.preview = wizard._render_for(wizard.preview_partner_id)
            except (UserError, AccessError) as error:
                wizard.preview = str(error)

    @api.depends("preview", "gateway_id")
    def _compute_counter(self):
        for wizard in self:
            info = self._tm_segments(wizard.preview)
            wizard.char_count = info.characters
            wizard.encoding = info.encoding
            wizard.segments = info.segments
            wizard.remaining = info.remaining
            wizard.max_segments = wizard.gateway_id.max_segments
            wizard.too_long = bool(
                wizard.gateway_id and info.segments > wizard.gateway_id.max_segments
            )
            wizard.unicode_characters = " ".join(non_gsm_characters(wizard.preview))

    @api.depends("partner_ids", "numbers", "segments", "gateway_id")
    def _compute_recipients(self):
        for wizard in self:
            plan = wizard._plan()
            counts = self._tm_skip_counts(plan)
            wizard.recipient_count = len(plan)
            wizard.send_count = len(plan) - sum(counts.values())
            wizard.skip_opted_out = counts["sms_blacklist"]
            wizard.skip_missing = counts["sms_number_missing"]
            wizard.skip_invalid = counts["sms_number_format"]
            wizard.skip_duplicate = counts["sms_duplicate"]
            wizard.currency_id = (
                wizard.gateway_id.currency_id or wizard.company_id.currency_id
            )
            wizard.cost_estimate = (
                wizard.send_count * wizard.segments * wizard.gateway_id.cost_per_segment
            )

    # ------------------------------------------------------------ helpers --

    def _typed_numbers(self):
        self.ensure_one()
        return self._tm_split_numbers(self.numbers)

    def _plan(self):
        self.ensure_one()
        return self._tm_plan(self.partner_ids._origin, self._typed_numbers())

    def _render_for(self, partner):
        """The text ``partner`` would receive (no partner: a typed number)."""
        self.ensure_one()
        partner = partner._origin
        texts = self._tm_render(self.template_id, self.body or "", partner)
        return texts.get(partner.id or False, "")

    def _check_sendable(self):
        self.ensure_one()
        if not (self.body or "").strip():
            raise UserError(self.env._("Write a message or choose a template."))
        if not self.partner_ids and not self._typed_numbers():
            raise UserError(self.env._("Choose at least one contact or type a number."))
        self.partner_ids.check_access("read")
        self._check_company_and_gateway()
        if self.too_long:
            raise UserError(
                self.env._(
                    "This text needs %(segments)s segments, more than the "
                    "%(maximum)s the gateway %(gateway)s allows: it would be refused. "
                    "Shorten it.",
                    segments=self.segments,
                    maximum=self.max_segments,
                    gateway=self.gateway_id.display_name,
                )
            )

    def _check_company_and_gateway(self):
        """Only a company of the user, and only that company's gateway: the
        gateway decides whose account (and credit) sends the text."""
        if self.company_id not in self.env.user.company_ids:
            raise AccessError(
                self.env._("You may not send text messages for this company.")
            )
        if self.gateway_id:
            self.gateway_id.check_access("read")
            if self.gateway_id.company_id != self.company_id:
                raise UserError(
                    self.env._(
                        "The gateway %(gateway)s belongs to another company.",
                        gateway=self.gateway_id.name,
                    )
                )

    def _reopen(self):
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
            "name": self.env._("Send a Text Message"),
        }

    # ------------------------------------------------------------ actions --

    def action_send(self):
        """Queue the messages now, or schedule them; then show what happened."""
        self.ensure_one()
        self._check_sendable()
        if self.send_mode == "later":
            return self._action_schedule()
        plan = self._plan()
        texts = self._tm_render(self.template_id, self.body, self.partner_ids._origin)
        vals_list = self._tm_channel_vals(
            self._tm_sms_vals(
                plan,
                texts,
                "custom",
                self.gateway_id,
                {"company_id": self.company_id.id, **self._tm_image_vals()},
            )
        )
        sms = self._tm_create_sms(vals_list)
        self.write(
            {
                "state": "done",
                "sms_ids": [fields.Command.set(sms.ids)],
                "summary": self._summary_html(plan),
            }
        )
        return self._reopen()

    def _action_schedule(self):
        if not self.schedule_date:
            raise UserError(self.env._("Choose the date to send it."))
        tz = self.tz or self._tm_company_tz(self.company_id)
        scheduled = self.env["sms.scheduled.message"]._schedule_once(
            {
                "company_id": self.company_id.id,
                "partner_ids": [fields.Command.set(self.partner_ids._origin.ids)],
                "numbers": self.numbers,
                "template_id": self.template_id.id,
                "body": self.body,
                "gateway_id": self.gateway_id.id,
                "channel_text": self.channel_text,
                "channel_voice": self.channel_voice,
                "channel_email": self.channel_email,
                "channel_email_fallback": self.channel_email_fallback,
                "attachment_ids": [fields.Command.set(self.attachment_ids.ids)],
                "track_links": self.track_links,
            },
            self.schedule_date,
            self.schedule_time,
            tz,
        )
        plan = self._plan()
        self.write(
            {
                "state": "done",
                "scheduled_message_id": scheduled.id,
                "summary": self._summary_html(plan, scheduled=scheduled),
            }
        )
        return self._reopen()

    def action_view_scheduled(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "sms.scheduled.message",
            "res_id": self.scheduled_message_id.id,
            "view_mode": "form",
        }

    def action_view_messages(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "text_messaging.sms_sms_action_history"
        )
        action["domain"] = [("id", "in", self.sms_ids.ids)]
        action["context"] = {"create": False}
        return action

    def _summary_html(self, plan, scheduled=None):
        counts = self._tm_skip_counts(plan)
        sent = len(plan) - sum(counts.values())
        if scheduled:
            headline = self.env._(
                "Scheduled for %(when)s: %(count)s recipient(s) would get it today. "
                "Recipients are checked again when it is sent.",
                when=scheduled.next_date_local,
                count=sent,
            )
        else:
            headline = self.env._(
                "%(count)s message(s) queued: they leave within a minute.", count=sent
            )
        lines = [Markup("<p><strong>%s</strong></p>") % headline]
        if counts:
            lines.append(
                Markup("<p>%s</p>")
                % self.env._(
                    "%(count)s skipped: %(reasons)s.",
                    count=sum(counts.values()),
                    reasons=self._tm_skip_summary(counts),
                )
            )
            skipped = [recipient for recipient in plan if recipient.skip][:50]
            items = Markup().join(
                Markup("<li>%s %s: %s</li>")
                % (
                    recipient.partner.display_name or "",
                    recipient.number or "",
                    self._tm_explain(recipient.skip, typed=not recipient.partner),
                )
                for recipient in skipped
            )
            lines.append(Markup("<ul>%s</ul>") % items)
        return Markup().join(lines)
