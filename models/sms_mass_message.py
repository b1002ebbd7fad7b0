import math
from ast import literal_eval
from datetime import datetime, time

import pytz

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..tools import compat, schedule

# Recipients rendered to estimate the segments of a text with placeholders.
ESTIMATE_SAMPLE = 500
# States of sms.sms for the statistics.
SENT_STATES = ("pending", "sent")
FAILED_STATES = ("error", "unknown")
QUEUE_STATES = ("outgoing", "process")


def _domain_and(domains):
    """The conjunction of ``domains`` (lists): the terms of a domain are ANDed,
    so the lists are joined. Odoo's helpers differ between the series
    (``odoo.osv.expression`` on 18.0, deprecated for ``Domain`` on 19.0)."""
    return [term for domain in domains for term in domain]


class SmsMassMessage(models.Model):
    """One text to many contacts chosen by filters, kept with its statistics.

    Steps: draft (recipients and text, with live counts of who is excluded and
    why) -> review (total segments and cost) -> sending (a cron turns the
    recipients into queued ``sms.sms`` rows, one batch and one ``create`` at a
    time, in contact id order) -> done (every recipient has its row; the
    dispatcher sends them). Progress and results are read from the rows."""

    _name = "sms.mass.message"
    _inherit = [
        "sms.recipient.mixin",
        "sms.channel.mixin",
        "sms.author.mixin",
        "sms.images.mixin",
    ]
    _description = "Mass Text Message"
    _tm_authored_fields = (
        "category_ids",
        "industry_ids",
        "country_ids",
        "city",
        "open_invoices",
        "event_date_from",
        "event_date_to",
        "domain",
        "require_consent",
        "template_id",
        "body",
    )
    _order = "id desc"
    _check_company_auto = True

    name = fields.Char(required=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    user_id = fields.Many2one(
        "res.users", "Responsible", default=lambda self: self.env.user
    )
    state = fields.Selection(
        [
            ("draft", "Draft"),
            ("review", "Review"),
            ("sending", "Sending"),
            ("done", "Done"),
            ("failed", "Failed"),
            ("cancel", "Cancelled"),
        ],
        default="draft",
        required=True,
        readonly=True,
        copy=False,
        index=True,
    )
    # Recipients: easy filters, all combined (AND) with the domain.
    category_ids = fields.Many2many("res.partner.category", string="Tags")
    industry_ids = fields.Many2many("res.partner.industry", string="Industries")
    country_ids = fields.Many2many("res.country", string="Countries")
    city = fields.Char(help="Contacts whose city contains this text.")
    open_invoices = fields.Boolean(
        "Customers With Open Invoices",
        help="Contacts with a posted customer invoice not fully paid.",
    )
    event_date_from = fields.Date("Attended Events From")
    event_date_to = fields.Date("Attended Events To")
    domain = fields.Char(
        "Other Conditions",
        default="[]",
        help="More conditions on the contacts, combined with the filters above.",
    )
    purpose = fields.Selection(
        [
            ("service", "Information"),
            ("marketing", "Marketing"),
        ],
        default="service",
        required=True,
        help="Information: practical news for clients (opening hours, a moved "
        "session). Marketing: offers and promotions; these go only to contacts "
        "who allowed marketing texts, and end with how to opt out.",
    )
    require_consent = fields.Boolean(
        "Only With Text Reminders Permission",
        help="Leave out the contacts who did not agree to receive texts.",
    )
    template_id = fields.Many2one(
        "sms.template", "Template", domain="[('model', '=', 'res.partner')]"
    )
    body = fields.Text(
        "Message", compute="_compute_body", store=True, readonly=False, required=True
    )
    gateway_id = fields.Many2one(
        "sms.gateway",
        "Gateway",
        check_company=True,
        default=lambda self: self.env.company.sms_gateway_id,
        help="Empty: Odoo IAP (no gateway configured for the company).",
    )
    currency_id = fields.Many2one(
        "res.currency", compute="_compute_currency_id", string="Currency"
    )
    # Counted before sending (live).
    recipient_count = fields.Integer("Matching", compute="_compute_exclusions")
    excluded_missing = fields.Integer("Missing Number", compute="_compute_exclusions")
    excluded_invalid = fields.Integer("Invalid Number", compute="_compute_exclusions")
    excluded_opted_out = fields.Integer("Opted Out", compute="_compute_exclusions")
    excluded_no_consent = fields.Integer(
        "Without Permission", compute="_compute_exclusions"
    )
    excluded_duplicate = fields.Integer(
        "Same Number Twice", compute="_compute_exclusions"
    )
    to_send_count = fields.Integer("To Send", compute="_compute_exclusions")
    # Review.
    segments_per_message = fields.Integer(
        "Segments per Message", compute="_compute_estimate"
    )
    total_segments = fields.Integer(compute="_compute_estimate")
    estimate_is_sampled = fields.Boolean(compute="_compute_estimate")
    too_long_count = fields.Integer(
        "Too Long",
        compute="_compute_estimate",
        help="Recipients whose text needs more segments than the gateway allows "
        "(in the sample checked); the dispatcher refuses them.",
    )
    cost_estimate = fields.Monetary(
        "Estimated Cost", compute="_compute_estimate", currency_field="currency_id"
    )
    # Sending.
    last_partner_id = fields.Integer(readonly=True, copy=False)
    sending_date = fields.Datetime("Sent On", readonly=True, copy=False)
    # Statistics, from the rows.
    queued_count = fields.Integer("Queued", compute="_compute_statistics")
    sent_count = fields.Integer("Sent", compute="_compute_statistics")
    delivered_count = fields.Integer("Delivered", compute="_compute_statistics")
    failed_count = fields.Integer(
        "Failed",
        compute="_compute_statistics",
        help="Refused or failed, including messages whose outcome is unknown.",
    )
    skipped_count = fields.Integer("Skipped", compute="_compute_statistics")
    remaining_count = fields.Integer(
        "Remaining",
        compute="_compute_statistics",
        help="Still in the queue, or not queued yet.",
    )
    progress = fields.Float(compute="_compute_statistics")
    cost = fields.Monetary(compute="_compute_statistics", currency_field="currency_id")
    link_click_count = fields.Integer(
        "Link Clicks",
        compute="_compute_link_click_count",
        help="Clicks on the short links of its texts.",
    )

    @api.depends("template_id")
    def _compute_body(self):
        for message in self:
            message.body = message.template_id.body or message.body

    @api.depends("gateway_id", "company_id")
    def _compute_currency_id(self):
        for message in self:
            message.currency_id = (
                message.gateway_id.currency_id or message.company_id.currency_id
            )

    def _compute_link_click_count(self):
        counts = dict(
            self.env["link.tracker.click"]
            .sudo()
            ._read_group(
                [("text_mass_message_id", "in", self.ids)],
                ["text_mass_message_id"],
                ["__count"],
            )
        )
        for message in self:
            message.link_click_count = counts.get(message._origin, 0)

    @api.depends(
        "category_ids",
        "industry_ids",
        "country_ids",
        "city",
        "open_invoices",
        "event_date_from",
        "event_date_to",
        "domain",
        "require_consent",
        "purpose",
    )
    def _compute_exclusions(self):
        for message in self:
            counts = message._exclusion_counts()
            message.recipient_count = counts["total"]
            message.excluded_missing = counts["sms_number_missing"]
            message.excluded_invalid = counts["sms_number_format"]
            message.excluded_opted_out = counts["sms_blacklist"]
            message.excluded_no_consent = counts["tm_no_consent"]
            message.excluded_duplicate = counts["sms_duplicate"]
            message.to_send_count = counts["to_send"]

    @api.depends("to_send_count", "body", "template_id", "gateway_id", "purpose")
    def _compute_estimate(self):
        for message in self:
            estimate = message._segment_estimate()
            message.segments_per_message = estimate["largest"]
            message.total_segments = estimate["total"]
            message.estimate_is_sampled = estimate["sampled"]
            message.too_long_count = estimate["too_long"]
            message.cost_estimate = (
                estimate["total"] * message.gateway_id.cost_per_segment
            )

    def _compute_statistics(self):
        """Counts of the rows of every message of ``self``, in one read_group."""
        groups = (
            self.env["sms.sms"]
            .sudo()
            ._read_group(
                [("mass_message_id", "in", self.ids)],
                ["mass_message_id", "state"],
                ["__count", "cost:sum"],
            )
        )
        stats = {}
        for message, state, count, cost in groups:
            entry = stats.setdefault(message.id, {"cost": 0.0})
            entry[state] = count
            entry["cost"] += cost or 0.0
        for message in self:
            entry = stats.get(message.id, {})

            def total(states, entry=entry):
                return sum(entry.get(state, 0) for state in states)

            created = total(("canceled",) + SENT_STATES + FAILED_STATES + QUEUE_STATES)
            # Contacts not turned into rows yet: one count, only while sending.
            not_created = message._recipient_total_left()
            message.skipped_count = entry.get("canceled", 0)
            message.queued_count = created - message.skipped_count
            message.sent_count = total(SENT_STATES)
            message.delivered_count = entry.get("sent", 0)
            message.failed_count = total(FAILED_STATES)
            message.remaining_count = total(QUEUE_STATES) + not_created
            to_do = message.queued_count + not_created
            message.progress = (
                100.0 * (to_do - message.remaining_count) / to_do if to_do else 0.0
            )
            message.cost = entry.get("cost", 0.0)

    # ---------------------------------------------------------- recipients --

    def _recipient_domain(self):
        """The res.partner domain of the recipients."""
        self.ensure_one()
        domain = []
        if self.category_ids:
            domain.append(("category_id", "in", self.category_ids.ids))
        if self.industry_ids:
            domain.append(("industry_id", "in", self.industry_ids.ids))
        if self.country_ids:
            domain.append(("country_id", "in", self.country_ids.ids))
        if self.city:
            domain.append(("city", "ilike", self.city))
        if self.open_invoices:
            domain.append(("invoice_ids", "any", self._open_invoice_domain()))
        if self.event_date_from or self.event_date_to:
            domain.append(("meeting_ids", "any", self._event_domain()))
        return _domain_and([domain, self._custom_domain()])

    def _custom_domain(self):
        try:
            domain = literal_eval(self.domain or "[]")
        except (ValueError, SyntaxError) as error:
            raise UserError(
                self.env._("The other conditions are not a valid domain.")
            ) from error
        return domain if isinstance(domain, list) else []

    @api.model
    def _open_invoice_domain(self):
        return [
            ("move_type", "=", "out_invoice"),
            ("state", "=", "posted"),
            ("payment_state", "in", ("not_paid", "partial")),
        ]

    def _event_domain(self):
        """Events starting within the dates (whole local days)."""
        tz = self._tm_company_tz(self.company_id)
        domain = []
        if self.event_date_from:
            start = datetime.combine(self.event_date_from, time.min)
            domain.append(("start", ">=", self._to_utc(start, tz)))
        if self.event_date_to:
            end = datetime.combine(self.event_date_to, time.max)
            domain.append(("start", "<=", self._to_utc(end, tz)))
        return domain

    @api.model
    def _to_utc(self, local, tz):
        return schedule.localize(local, tz).astimezone(pytz.utc).replace(tzinfo=None)

    def _partner_model(self):
        return self.env["res.partner"].with_company(self.company_id)

    def _exclusion_counts(self):
        """How many matching contacts fall in each exclusion group, counted in
        the order the send checks them (a contact is counted once)."""
        self.ensure_one()
        counts = dict.fromkeys(
            ("sms_number_missing", "sms_number_format", "sms_blacklist"), 0
        )
        counts.update(tm_no_consent=0, sms_duplicate=0, total=0, to_send=0)
        try:
            domain = self._recipient_domain()
        except UserError:
            return counts
        partners = self._partner_model()
        for validity, count in partners._read_group(
            domain, ["text_number_validity"], ["__count"]
        ):
            counts["total"] += count
            if validity in (False, "missing"):
                counts["sms_number_missing"] += count
            elif validity != "valid":
                counts["sms_number_format"] += count
        valid = _domain_and([domain, [("text_number_validity", "=", "valid")]])
        counts["sms_blacklist"] = partners.search_count(
            _domain_and([valid, [("text_opted_out", "=", True)]])
        )
        eligible = _domain_and([valid, [("text_opted_out", "=", False)]])
        consent_field = self._consent_field()
        if consent_field:
            counts["tm_no_consent"] = partners.search_count(
                _domain_and([eligible, [(consent_field, "=", False)]])
            )
            eligible = _domain_and([eligible, [(consent_field, "=", True)]])
        query = partners._search(eligible)
        number = SQL.identifier(partners._table, "text_number")
        [(rows, distinct)] = self.env.execute_query(
            query.select(SQL("COUNT(*), COUNT(DISTINCT %s)", number))
        )
        counts["sms_duplicate"] = rows - distinct
        counts["to_send"] = distinct
        return counts

    def _segment_estimate(self):
        """Largest and total segments of the texts to send: exact when the text
        has no placeholders or few recipients, else from a sample."""
        self.ensure_one()
        result = {"largest": 0, "total": 0, "sampled": False, "too_long": 0}
        if not self.body or not self.to_send_count:
            return result
        maximum = self.gateway_id.max_segments
        if "{{" not in self.body and not self.template_id:
            text = self._texts_for(self.env["res.partner"])[False]
            segments = self._tm_segments(text).segments
            too_long = bool(maximum and segments > maximum)
            result.update(
                largest=segments,
                total=segments * self.to_send_count,
                too_long=self.to_send_count if too_long else 0,
            )
            return result
        try:
            sample = self._partner_model().search(
                self._sendable_domain(), limit=ESTIMATE_SAMPLE, order="id"
            )
            texts = self._texts_for(sample)
        except UserError:
            return result
        counts = [self._tm_segments(texts.get(p.id, "")).segments for p in sample]
        if not counts:
            return result
        sampled = len(counts) < self.to_send_count
        too_long = sum(1 for count in counts if maximum and count > maximum)
        total = sum(counts)
        if sampled:
            total = math.ceil(total * self.to_send_count / len(counts))
        result.update(
            largest=max(counts), total=total, sampled=sampled, too_long=too_long
        )
        return result

    def _sendable_domain(self):
        domain = _domain_and(
            [
                self._recipient_domain(),
                [
                    ("text_number_validity", "=", "valid"),
                    ("text_opted_out", "=", False),
                ],
            ]
        )
        consent_field = self._consent_field()
        if consent_field:
            domain = _domain_and([domain, [(consent_field, "=", True)]])
        return domain

    def _texts_for(self, partners):
        """{partner id: text} as sent: marketing texts end with how to opt out."""
        texts = self._tm_render(self.template_id, self.body, partners)
        if self.purpose == "marketing":
            texts = self.company_id._text_with_opt_out_footer(texts)
        return texts

    def _consent_field(self):
        """The contact permission this send needs, or False: marketing texts
        need the marketing permission; others the reminders one when asked."""
        self.ensure_one()
        if self.purpose == "marketing":
            return "text_marketing_allowed"
        return self.require_consent and "text_reminders_allowed"

    def _recipient_total_left(self):
        """Contacts not turned into rows yet (while sending)."""
        self.ensure_one()
        if self.state != "sending":
            return 0
        return self._partner_model().search_count(
            _domain_and([self._recipient_domain(), [("id", ">", self.last_partner_id)]])
        )

    # ------------------------------------------------------------ actions --

    def action_review(self):
        for message in self:
            message._check_ready()
        self.write({"state": "review"})

    def action_resume(self):
        """Send again a mass message that failed (after its text or conditions
        were corrected): the contacts already queued are not texted twice."""
        to_resume = self.filtered(lambda m: m.state == "failed")
        for message in to_resume:
            message._check_ready()
        to_resume.write({"state": "sending", "failure_reason": False})
        self.env.ref("text_messaging.ir_cron_text_messaging_mass")._trigger()

    def action_back_to_draft(self):
        self.filtered(lambda m: m.state == "review").write({"state": "draft"})

    def action_send(self):
        """Start sending: the cron queues the rows in batches."""
        for message in self:
            if message.state not in ("draft", "review"):
                raise UserError(self.env._("This mass message was already sent."))
            message._check_ready()
        self.write(
            {
                "state": "sending",
                "sending_date": fields.Datetime.now(),
                "last_partner_id": 0,
            }
        )
        self.env.ref("text_messaging.ir_cron_text_messaging_mass")._trigger()

    def action_refresh(self):
        """Reload the form: its progress is counted when it is read."""
        return True

    def action_cancel(self):
        """Stop: recipients not queued yet are not sent to, and rows still
        waiting in the queue are cancelled with the reason. What was sent
        stays in the statistics."""
        to_cancel = self.filtered(lambda m: m.state != "cancel")
        if not to_cancel:
            return
        queued = (
            self.env["sms.sms"]
            .sudo()
            .search(
                [
                    ("mass_message_id", "in", to_cancel.ids),
                    ("state", "=", "outgoing"),
                ]
            )
        )
        queued.write(
            {
                "state": "canceled",
                "failure_explanation": self.env._(
                    "Not sent: the mass message was cancelled by %(user)s.",
                    user=self.env.user.name,
                ),
            }
        )
        to_cancel.write({"state": "cancel"})

    def action_view_messages(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "text_messaging.sms_sms_action_history"
        )
        action["domain"] = [("mass_message_id", "=", self.id)]
        action["context"] = {"create": False}
        return action

    def action_view_recipients(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Recipients"),
            "res_model": "res.partner",
            "view_mode": "list,form",
            "domain": self._recipient_domain(),
            "context": {"create": False},
        }

    def _check_ready(self):
        self.ensure_one()
        if not (self.body or "").strip():
            raise UserError(self.env._("Write a message or choose a template."))
        if not self.to_send_count:
            raise UserError(
                self.env._("Nobody to send to: every matching contact is excluded.")
            )

    @api.ondelete(at_uninstall=False)
    def _unlink_except_sent(self):
        if any(message.state in ("sending", "done") for message in self):
            raise UserError(
                self.env._(
                    "A mass message that was sent is kept with its statistics: "
                    "it cannot be deleted."
                )
            )

    # --------------------------------------------------------------- cron --

    @api.model
    def _cron_enqueue(self):
        """Queue one batch of recipients of the oldest mass message being
        sent; the cron runner calls again while some remain."""
        sending = self.search([("state", "=", "sending")], order="id")
        message = sending[:1]._lock()
        if not message:
            return
        # As its author, in its company: the domain and the text get the
        # author's rights, never the cron's.
        as_author = message._tm_as_author()
        result, error = message._tm_run_isolated(
            lambda: (as_author._enqueue_batch(), as_author._recipient_total_left())
        )
        if error:
            message._tm_record_failure(error, {"state": "failed"})
            result = (0, 0)
        done, left = result
        remaining = left + len(sending) - 1
        compat.notify_progress(self.env, done=done, remaining=remaining)

    def _lock(self):
        if not self:
            return self
        self.flush_recordset()
        rows = self.env.execute_query(
            SQL(
                "SELECT id FROM sms_mass_message WHERE id = ANY(%s) "
                "AND state = 'sending' FOR UPDATE SKIP LOCKED",
                self.ids,
            )
        )
        return self.browse([row[0] for row in rows])

    @api.model
    def _batch_size(self):
        return int(
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("text_messaging.mass.batch_size", 1000)
        )

    def _enqueue_batch(self):
        """Turn the next contacts (by id) into rows, in one ``create``.

        Returns how many contacts were handled."""
        self.ensure_one()
        batch_size = self._batch_size()
        partners = self._partner_model().search(
            _domain_and(
                [self._recipient_domain(), [("id", ">", self.last_partner_id)]]
            ),
            order="id",
            limit=batch_size,
        )
        seen = self._numbers_already_queued(partners)
        plan = self._tm_plan(partners, needs_consent=self._consent_field(), seen=seen)
        texts = self._texts_for(partners)
        vals_list = self._tm_sms_vals(
            plan,
            texts,
            "mass",
            self.gateway_id,
            {
                "mass_message_id": self.id,
                "res_model": self._name,
                "res_id": self.id,
                **self._tm_image_vals(),
            },
        )
        self._tm_create_sms(self._tm_channel_vals(vals_list))
        values = {"last_partner_id": partners[-1:].id or self.last_partner_id}
        if len(partners) < batch_size:
            values["state"] = "done"
        # Bookkeeping of the cron, whatever the author may write.
        self.sudo().write(values)
        return len(partners)

    def _numbers_already_queued(self, partners):
        """Numbers of ``partners`` an earlier batch of this message already
        sent to (so a number is texted once across batches)."""
        numbers = [number for number in partners.mapped("text_number") if number]
        if not numbers:
            return set()
        rows = (
            self.env["sms.sms"]
            .sudo()
            .search_fetch(
                [
                    ("mass_message_id", "=", self.id),
                    ("number", "in", numbers),
                    ("state", "!=", "canceled"),
                ],
                ["number"],
            )
        )
        return set(rows.mapped("number"))
