from datetime import datetime

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL

from odoo.addons.base.models.res_partner import _tz_get

from ..tools import compat, schedule

# Occurrences skipped at most when catching up after a long stop.
MAX_CATCH_UP = 100000


class SmsScheduledMessage(models.Model):
    """A text sent later, once or on a recurrence.

    The date is entered as a local date and time in a time zone (the company's
    by default) and each occurrence is converted to UTC on its own, so the
    message keeps its wall-clock time across daylight-saving changes.
    Recipients are checked (opt-out, numbers, duplicates) and the text rendered
    when each occurrence is sent, not when it is planned."""

    _name = "sms.scheduled.message"
    _inherit = [
        "sms.recipient.mixin",
        "sms.channel.mixin",
        "sms.author.mixin",
        "sms.images.mixin",
    ]
    _description = "Scheduled Text Message"
    _tm_authored_fields = ("partner_ids", "numbers", "template_id", "body")
    _order = "state, next_date, id"
    _check_company_auto = True

    name = fields.Char(help="Empty: taken from the template or the text.")
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    user_id = fields.Many2one(
        "res.users", "Scheduled By", default=lambda self: self.env.user
    )
    state = fields.Selection(
        [
            ("active", "Active"),
            ("done", "Done"),
            ("failed", "Failed"),
            ("cancel", "Cancelled"),
        ],
        default="active",
        required=True,
        readonly=True,
        copy=False,
    )
    partner_ids = fields.Many2many("res.partner", string="Contacts")
    numbers = fields.Text(
        "Other Numbers", help="Separated by commas, semicolons or new lines."
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
        help="Empty: the company's default gateway when the message is sent.",
    )
    tz = fields.Selection(
        _tz_get,
        "Time Zone",
        required=True,
        default=lambda self: self._tm_company_tz(),
    )
    start_date = fields.Date("Date", required=True, default=fields.Date.context_today)
    send_time = fields.Float(
        "Time", required=True, default=9.0, help="Local time, in the time zone."
    )
    recurrence = fields.Selection(
        [
            (schedule.NONE, "Once"),
            (schedule.DAILY, "Daily"),
            (schedule.WEEKLY, "Weekly"),
            (schedule.MONTHLY, "Monthly"),
            (schedule.YEARLY, "Yearly"),
        ],
        default=schedule.NONE,
        required=True,
    )
    interval = fields.Integer("Every", default=1, required=True)
    end_type = fields.Selection(
        [("never", "Never"), ("date", "On a date"), ("count", "After")],
        "Ends",
        default="never",
        required=True,
    )
    end_date = fields.Date()
    max_occurrences = fields.Integer("Occurrences", default=1)
    occurrence = fields.Integer(
        "Occurrences Done",
        default=0,
        readonly=True,
        copy=False,
        help="How many occurrences are behind (sent, or skipped when the server "
        "was stopped past their date).",
    )
    next_date = fields.Datetime(
        "Next Send (UTC)",
        compute="_compute_next_date",
        store=True,
        index=True,
        copy=False,
    )
    next_date_local = fields.Char("Next Send", compute="_compute_next_date_local")
    last_sent = fields.Datetime(readonly=True, copy=False)
    sms_count = fields.Integer("Texts Sent", compute="_compute_sms_count")

    compat.sql_constraints(
        locals(),
        [
            ("positive_interval", "CHECK(interval > 0)", "Repeat every 1 or more."),
        ],
    )

    @api.depends("template_id")
    def _compute_body(self):
        for message in self:
            message.body = message.template_id.body or message.body

    @api.depends(
        "state",
        "start_date",
        "send_time",
        "tz",
        "recurrence",
        "interval",
        "end_type",
        "end_date",
        "max_occurrences",
        "occurrence",
    )
    def _compute_next_date(self):
        for message in self:
            if message.state != "active" or not message.start_date:
                message.next_date = False
                continue
            message.next_date = message._occurrence_utc(message.occurrence)

    @api.depends("next_date", "tz")
    def _compute_next_date_local(self):
        for message in self:
            if not message.next_date:
                message.next_date_local = False
                continue
            local = schedule.utc_to_local(message.next_date, message.tz)
            message.next_date_local = f"{local:%Y-%m-%d %H:%M} ({message.tz})"

    def _compute_sms_count(self):
        counts = dict(
            self.env["sms.sms"]
            .sudo()
            ._read_group(
                [("res_model", "=", self._name), ("res_id", "in", self.ids)],
                ["res_id"],
                ["__count"],
            )
        )
        for message in self:
            message.sms_count = counts.get(message.id, 0)

    @api.constrains("recurrence", "end_type", "end_date", "max_occurrences")
    def _check_end(self):
        for message in self:
            if message.recurrence == schedule.NONE:
                continue
            if message.end_type == "count" and message.max_occurrences < 1:
                raise ValidationError(self.env._("Send it at least once."))
            if message.end_type == "date" and (
                not message.end_date or message.end_date < message.start_date
            ):
                raise ValidationError(
                    self.env._("The end date must come after the first date.")
                )

    @api.constrains("partner_ids", "numbers")
    def _check_recipients(self):
        for message in self:
            if not message.partner_ids and not message._typed_numbers():
                raise ValidationError(
                    self.env._("Choose at least one contact or type a number.")
                )

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if not vals.get("name"):
                vals["name"] = self._default_name(vals)
        return super().create(vals_list)

    # ------------------------------------------------------------ actions --

    def action_cancel(self):
        self.filtered(lambda m: m.state == "active").write({"state": "cancel"})

    def action_reactivate(self):
        """Start again from the next occurrence still to come."""
        now = fields.Datetime.now()
        for message in self.filtered(lambda m: m.state in ("cancel", "failed")):
            index = message._next_index_after(message.occurrence, now)
            message.write(
                {"state": "active", "occurrence": index, "failure_reason": False}
            )

    def action_view_messages(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "text_messaging.sms_sms_action_history"
        )
        action["domain"] = [("res_model", "=", self._name), ("res_id", "=", self.id)]
        action["context"] = {"create": False}
        return action

    # ----------------------------------------------------------- schedule --

    def _typed_numbers(self):
        self.ensure_one()
        return self._tm_split_numbers(self.numbers)

    @api.model
    def _default_name(self, vals):
        """A name from the template or the text's beginning."""
        template = self.env["sms.template"].browse(vals.get("template_id"))
        text = template.name or vals.get("body") or template.body or ""
        return text[:60] or self.env._("Scheduled message")

    def _has_occurrence(self, index):
        """Whether occurrence ``index`` is within the recurrence's end."""
        self.ensure_one()
        if self.recurrence == schedule.NONE:
            return index == 0
        if self.end_type == "count":
            return index < self.max_occurrences
        if self.end_type == "date":
            day = schedule.occurrence_date(
                self.start_date, self.recurrence, self.interval, index
            )
            return day <= self.end_date
        return True

    def _occurrence_utc(self, index):
        """Naive UTC datetime of occurrence ``index``, or False past the end."""
        self.ensure_one()
        if not self._has_occurrence(index):
            return False
        day = schedule.occurrence_date(
            self.start_date, self.recurrence, self.interval, index
        )
        return schedule.local_to_utc(day, self.send_time, self.tz)

    def _next_index_after(self, index, now):
        """The first occurrence index from ``index`` on whose date is in the
        future (or past the end): missed occurrences are not sent late."""
        self.ensure_one()
        for _step in range(MAX_CATCH_UP):
            when = self._occurrence_utc(index)
            if not when or when > now:
                return index
            index += 1
        return index

    # --------------------------------------------------------------- cron --

    @api.model
    def _due_domain(self):
        return [("state", "=", "active"), ("next_date", "<=", fields.Datetime.now())]

    @api.model
    def _cron_send_due(self):
        """Send one bounded batch of due occurrences; the cron runner calls
        again while ``_notify_progress`` reports some remaining."""
        batch_size = int(
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("text_messaging.scheduled.batch_size", 100)
        )
        due = self.search(self._due_domain(), limit=batch_size, order="next_date, id")
        due = due._lock()
        if due:
            due._send_occurrence()
        remaining = self.search_count(self._due_domain())
        compat.notify_progress(self.env, done=len(due), remaining=remaining)

    def _lock(self):
        """The records of ``self`` no other worker holds, locked."""
        if not self:
            return self
        self.flush_recordset()
        rows = self.env.execute_query(
            SQL(
                "SELECT id FROM sms_scheduled_message WHERE id = ANY(%s) "
                "AND state = 'active' ORDER BY id FOR UPDATE SKIP LOCKED",
                self.ids,
            )
        )
        return self.browse([row[0] for row in rows])

    def _send_occurrence(self):
        """Queue the current occurrence of every message of ``self`` (one
        ``create`` for all), then move each to its next occurrence."""
        now = fields.Datetime.now()
        blacklisted = self._tm_blacklisted(self._all_valid_numbers())
        vals_list = []
        failed = self.browse()
        for message in self:
            # As its author, in its company: never with the cron's rights.
            as_author = message._tm_as_author()
            vals, error = message._tm_run_isolated(
                as_author._occurrence_vals, blacklisted
            )
            if error:
                message._tm_record_failure(error, {"state": "failed"})
                failed |= message
                continue
            vals_list += vals
        self._tm_create_sms(vals_list)
        for message in self - failed:
            index = message._next_index_after(message.occurrence + 1, now)
            message.occurrence = index
            message.last_sent = now
            if not message._has_occurrence(index):
                message.state = "done"

    def _all_valid_numbers(self):
        numbers = set(self.partner_ids.mapped("text_number"))
        for message in self:
            numbers.update(
                number
                for number, validity in map(
                    message._tm_check_number, message._typed_numbers()
                )
                if validity == "valid"
            )
        return numbers

    def _occurrence_vals(self, blacklisted):
        """sms.sms values of this message's current occurrence."""
        self.ensure_one()
        plan = self._tm_plan(
            self.partner_ids, self._typed_numbers(), blacklisted=blacklisted
        )
        texts = self._tm_render(self.template_id, self.body, self.partner_ids)
        return self._tm_channel_vals(
            self._tm_sms_vals(
                plan,
                texts,
                "scheduled",
                self.gateway_id,
                {"res_model": self._name, "res_id": self.id, **self._tm_image_vals()},
            )
        )

    @api.model
    def _schedule_once(self, vals, day, hour, tz):
        """Create a one-time scheduled message at ``day`` ``hour`` local."""
        when = schedule.local_to_utc(day, hour, tz)
        if when <= fields.Datetime.now():
            raise UserError(
                self.env._(
                    "%(when)s (%(tz)s) is in the past: choose a later time or send "
                    "now.",
                    when=datetime.combine(day, schedule.hour_to_time(hour)).strftime(
                        "%Y-%m-%d %H:%M"
                    ),
                    tz=tz,
                )
            )
        return self.create(
            dict(
                vals,
                start_date=day,
                send_time=hour,
                tz=tz,
                recurrence=schedule.NONE,
            )
        )
