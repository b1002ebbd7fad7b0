import calendar

from odoo import api, fields, models
from odoo.tools import SQL

from ..tools import compat, schedule


class SmsGreetingRule(models.Model):
    """Birthday greetings of a company: on the contact's birthday, once a year,
    at a local hour, only to contacts with the "text reminders" permission.

    A contact born on 29 February is greeted on 28 February in other years.
    The year of the last greeting is written on the contact in the same
    statement that picks it, so a contact is greeted at most once a year even
    if the cron runs again or twice."""

    _name = "sms.greeting.rule"
    _inherit = ["sms.recipient.mixin", "sms.author.mixin"]
    _description = "Birthday Greeting"
    _tm_authored_fields = ("template_id", "company_id")
    _check_company_auto = True

    name = fields.Char(default=lambda self: self.env._("Birthday greetings"))
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    send_hour = fields.Float(
        "Send At",
        default=9.0,
        required=True,
        help="Local time in the company's time zone (its address' time zone).",
    )
    tz = fields.Char("Time Zone", compute="_compute_tz")
    template_id = fields.Many2one(
        "sms.template",
        "Template",
        required=True,
        domain="[('model', '=', 'res.partner')]",
    )
    gateway_id = fields.Many2one(
        "sms.gateway",
        "Gateway",
        check_company=True,
        help="Empty: the company's default gateway.",
    )

    compat.sql_constraints(
        locals(),
        [
            ("company_unique", "UNIQUE(company_id)", "One greeting rule per company."),
            (
                "send_hour_range",
                "CHECK(send_hour >= 0 AND send_hour < 24)",
                "The hour must be between 00:00 and 23:59.",
            ),
        ],
    )

    @api.depends("company_id")
    def _compute_tz(self):
        for rule in self:
            rule.tz = self._tm_company_tz(rule.company_id)

    def action_view_messages(self):
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "text_messaging.sms_sms_action_history"
        )
        action["domain"] = [("kind", "=", "greeting")]
        action["context"] = {"create": False}
        return action

    # --------------------------------------------------------------- cron --

    @api.model
    def _cron_send_greetings(self):
        """Greet one bounded batch per company whose hour has come; the cron
        runner calls again while ``_notify_progress`` reports some remaining.
        (A handful of rules: one per company.)"""
        done = remaining = 0
        for rule in self.search([]):
            # As its author, in its company, never with the cron's rights; a
            # failing rule is marked and the others proceed.
            result, error = rule._tm_run_isolated(
                rule._tm_as_author()._send_due_greetings
            )
            if error:
                rule._tm_record_failure(error)
                continue
            if rule.failure_reason:
                rule.failure_reason = False
            batch_done, batch_remaining = result
            done += batch_done
            remaining += batch_remaining
        compat.notify_progress(self.env, done=done, remaining=remaining)

    def _local_now(self):
        self.ensure_one()
        return schedule.utc_to_local(fields.Datetime.now(), self.tz)

    def _is_due(self, local_now):
        self.ensure_one()
        return local_now.hour + local_now.minute / 60 >= self.send_hour

    @api.model
    def _birthdays_of(self, day):
        """(month, day) pairs celebrated on ``day``."""
        days = [(day.month, day.day)]
        if (day.month, day.day) == (2, 28) and not calendar.isleap(day.year):
            days.append((2, 29))
        return days

    def _partner_domain(self):
        self.ensure_one()
        return [
            ("text_reminders_allowed", "=", True),
            ("text_birthdate", "!=", False),
            ("company_id", "in", [self.company_id.id, False]),
        ]

    @api.model
    def _batch_size(self):
        return int(
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("text_messaging.greeting.batch_size", 1000)
        )

    def _send_due_greetings(self):
        """Greet the next batch of today's birthdays. Returns (done, remaining)."""
        self.ensure_one()
        local_now = self._local_now()
        if not self._is_due(local_now):
            return 0, 0
        partners = self._claim_birthdays(local_now.date(), self._batch_size())
        if partners:
            plan = self._tm_plan(partners, needs_consent=True)
            texts = self._tm_render(self.template_id, self.template_id.body, partners)
            vals_list = [
                dict(vals, res_model="res.partner", res_id=vals["partner_id"])
                for vals in self._tm_sms_vals(plan, texts, "greeting", self.gateway_id)
            ]
            self._tm_create_sms(vals_list)
        remaining = self._claim_birthdays(local_now.date(), 0, count_only=True)
        return len(partners), remaining

    def _claim_birthdays(self, day, limit, count_only=False):
        """Contacts to greet on ``day`` not greeted this year: up to ``limit``
        of them marked as greeted and returned (or, with ``count_only``, how
        many are left, unmarked)."""
        self.ensure_one()
        partner_model = self.env["res.partner"]
        query = partner_model._search(self._partner_domain())
        birthdate = SQL.identifier(partner_model._table, "text_birthdate")
        greeted = SQL.identifier(partner_model._table, "text_greeted_year")
        query.add_where(
            SQL(
                "(EXTRACT(MONTH FROM %s), EXTRACT(DAY FROM %s)) IN %s",
                birthdate,
                birthdate,
                tuple(self._birthdays_of(day)),
            )
        )
        query.add_where(SQL("(%s IS NULL OR %s < %s)", greeted, greeted, day.year))
        partner_model.flush_model(["text_greeted_year", "text_birthdate"])
        if count_only:
            return self.env.execute_query(query.select(SQL("COUNT(*)")))[0][0]
        query.order = SQL.identifier(partner_model._table, "id")
        query.limit = limit
        rows = self.env.execute_query(
            SQL(
                "UPDATE res_partner SET text_greeted_year = %s WHERE id IN (%s) "
                "RETURNING id",
                day.year,
                query.select(),
            )
        )
        partners = partner_model.browse(sorted(row[0] for row in rows))
        partners.invalidate_recordset(["text_greeted_year"])
        return partners
