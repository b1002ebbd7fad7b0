import functools
import logging
from collections import defaultdict
from datetime import datetime, time, timedelta

import babel.dates
import pytz
from markupsafe import Markup

from odoo import api, fields, models
from odoo.tools import SQL, frozendict, ormcache
from odoo.tools.mail import generate_tracking_message_id
from odoo.tools.misc import babel_locale_parse

from ..tools import compat
from .sms_sms_conversation import LOG_COLUMNS

_logger = logging.getLogger(__name__)

BATCH_SIZE_PARAM = "text_messaging.reminder.batch_size"
DEFAULT_BATCH_SIZE = 1000
# A document changed this long before the last run is looked at again: a
# transaction that committed late is not missed (the log key forbids duplicates).
LOOKBACK_MARGIN = timedelta(hours=1)
# Characters babel and Odoo put in dates and amounts that are not in the GSM-7
# alphabet: one of them would turn the whole text into UCS-2 (70 characters per
# segment instead of 160).
SPACES = str.maketrans(
    {"\u00a0": " ", "\u202f": " ", "\u2009": " ", "\u2007": " ", "\ufeff": None}
)


@functools.lru_cache(maxsize=4096)
def _babel_when(value, lang, tz, pattern, short=False):
    """``value`` (a date, or a UTC datetime shown in time zone ``tz`` with
    ``pattern``, e.g. "%(date)s at %(time)s") in language ``lang``, with
    spaces the GSM-7 alphabet has. A pure function of its arguments, hence
    cached."""
    locale = babel_locale_parse(lang)
    if tz is None:
        text = babel.dates.format_date(value, format="medium", locale=locale)
        return text.translate(SPACES).strip()
    local = pytz.utc.localize(value).astimezone(pytz.timezone(tz))
    if short:
        date = babel.dates.format_skeleton("MMMd", local.date(), locale=locale)
    else:
        date = babel.dates.format_date(local.date(), format="medium", locale=locale)
    time_text = babel.dates.format_time(local.time(), format="short", locale=locale)
    return (pattern % {"date": date, "time": time_text}).translate(SPACES).strip()


class SmsReminderRule(models.Model):
    """A reminder rule: which documents, when, to whom and with which text.

    The engine (``_cron_send_reminders``) runs every active rule. A reminder is
    due when its moment (the document's date minus the offset, or plus it and the
    repeats for an overdue invoice) came since the rule's last run, or when the
    document changed since then; it is sent while still relevant (the event is
    not over, the invoice not yet due or still within its repeats, the deadline
    not passed). Each document model taking part implements a small protocol:
    ``_text_reminder_domain``, ``_text_reminder_anchor_sql``,
    ``_text_reminder_end_sql`` and ``_text_reminder_recipients``.
    """

    _name = "sms.reminder.rule"
    _inherit = ["sms.channel.mixin", "sms.author.mixin"]
    _tm_authored_fields = ("template_id",)
    _description = "Text Reminder Rule"
    _order = "sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    active = fields.Boolean(default=True)
    sequence = fields.Integer(default=10)
    kind = fields.Selection(
        [
            ("session", "Session"),
            ("session_booking", "Session booking confirmation"),
            ("pending_invoice", "Pending invoice"),
            ("overdue_invoice", "Overdue invoice"),
            ("pending_task", "Pending task"),
        ],
        required=True,
        default="session",
    )
    res_model = fields.Char(
        "Document Model", compute="_compute_res_model", store=True, precompute=True
    )
    timing = fields.Selection(
        [("before", "Before"), ("after", "After"), ("booked", "After booking")],
        compute="_compute_timing",
        help="Before the document's date, after it (overdue reminders), or after "
        "the document was created (booking confirmations).",
    )
    offset_hours = fields.Integer(
        "Offset",
        default=2,
        required=True,
        help="How long (in the offset unit) before the session start, the invoice "
        "due date or the task deadline the reminder is sent; for overdue "
        "invoices, how long after the due date the first one is sent; for "
        "booking confirmations, how long after the booking. A date without a "
        "time (an invoice due date) counts from the start of that day in the "
        "company's time zone.",
    )
    offset_unit = fields.Selection(
        [("minutes", "Minutes"), ("hours", "Hours"), ("days", "Days")],
        "Offset unit",
        default="hours",
        required=True,
    )
    repeat_interval_days = fields.Integer(
        "Repeat every (days)",
        default=7,
        required=True,
        help="Overdue invoices: days between two reminders.",
    )
    repeat_max = fields.Integer(
        "Maximum reminders",
        default=3,
        required=True,
        help="Overdue invoices: how many reminders at most, the first one included.",
    )
    recipients = fields.Selection(
        [("client", "Client"), ("practitioner", "Practitioner"), ("both", "Both")],
        required=True,
        default="client",
        help="Client: the attendees other than the organizer, the invoice's "
        "customer, the task's customer. Practitioner: the organizer, the "
        "salesperson, the task's assignees.",
    )
    template_id = fields.Many2one(
        "sms.template",
        "Template",
        compute="_compute_template_id",
        store=True,
        readonly=False,
        precompute=True,
        required=True,
        ondelete="restrict",
        domain="[('model', '=', res_model)]",
        help="The text; its time and date placeholders are rendered in each "
        "recipient's time zone and language.",
    )
    include_needs_action = fields.Boolean(
        "Scheduled",
        default=True,
        help="Sessions: clients who have not answered yet.",
    )
    include_accepted = fields.Boolean(
        "Confirmed", default=True, help="Sessions: clients who accepted."
    )
    include_tentative = fields.Boolean(
        "Out of reach",
        default=True,
        help="Sessions: clients whose attendance is uncertain (tentative).",
    )
    ask_answer = fields.Boolean(
        "Ask for an answer",
        help='Sessions: the text asks the client to reply (e.g. "Reply C to '
        "confirm, R to reschedule\"). The reply sets the client's answer on the "
        "session, is noted in its chatter and the practitioner is told; a "
        "confirmed session gets no further reminder.",
    )
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    last_run = fields.Datetime(
        "Last run",
        copy=False,
        readonly=True,
        help="Every reminder due up to this moment has been handled.",
    )
    log_count = fields.Integer("Reminders", compute="_compute_log_count")

    compat.sql_constraints(
        locals(),
        [
            (
                "offset_positive",
                "CHECK(offset_hours >= 0)",
                "Hours cannot be negative.",
            ),
            (
                "repeat_positive",
                "CHECK(repeat_interval_days > 0 AND repeat_max > 0)",
                "Repeats need at least one day between reminders and one reminder.",
            ),
        ],
    )

    @api.depends("kind")
    def _compute_res_model(self):
        models_by_kind = self._kind_models()
        for rule in self:
            rule.res_model = models_by_kind.get(rule.kind)

    @api.depends("kind")
    def _compute_timing(self):
        for rule in self:
            if rule.kind in self._after_kinds():
                rule.timing = "after"
            elif rule.kind in self._booking_kinds():
                rule.timing = "booked"
            else:
                rule.timing = "before"

    @api.depends("kind", "ask_answer")
    def _compute_template_id(self):
        xmlids = self._default_templates()
        asking = self._asking_templates()
        defaults = {
            self.env.ref(xmlid, raise_if_not_found=False)
            for xmlid in [*xmlids.values(), *asking.values()]
        }
        for rule in self:
            xmlid = (asking if rule.ask_answer else xmlids).get(rule.kind)
            if (
                rule.template_id
                and rule.template_id.model == rule.res_model
                and (rule.template_id not in defaults or not xmlid)
            ):
                continue
            rule.template_id = xmlid and self.env.ref(xmlid, raise_if_not_found=False)

    def _compute_log_count(self):
        counts = dict(
            self.env["sms.reminder.log"]._read_group(
                [("rule_id", "in", self.ids)], ["rule_id"], ["__count"]
            )
        )
        for rule in self:
            rule.log_count = counts.get(rule, 0)

    @api.model_create_multi
    def create(self, vals_list):
        now = fields.Datetime.now()
        for vals in vals_list:
            if vals.get("active", True) and not vals.get("last_run"):
                # A new rule looks forward: documents already past their moment
                # are not reminded all at once.
                vals["last_run"] = now
        return super().create(vals_list)

    def write(self, vals):
        if vals.get("active") and "last_run" not in vals:
            switched_on = self.filtered(lambda rule: not rule.active)
            if switched_on:
                super(SmsReminderRule, switched_on).write(
                    {"last_run": fields.Datetime.now()}
                )
        return super().write(vals)

    def action_view_logs(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "text_messaging.sms_reminder_log_action"
        )
        action["domain"] = [("rule_id", "=", self.id)]
        return action

    # ------------------------------------------------------------ kinds --

    @api.model
    def _kind_models(self):
        """{kind: document model}; extend it with a new kind."""
        return {
            "session": "calendar.event",
            "session_booking": "calendar.event",
            "pending_invoice": "account.move",
            "overdue_invoice": "account.move",
            "pending_task": "project.task",
        }

    @api.model
    def _after_kinds(self):
        """Kinds sent after the document's date, with repeats."""
        return {"overdue_invoice"}

    @api.model
    def _booking_kinds(self):
        """Kinds sent when the document is created or moved (its date changed),
        plus the offset: once per date."""
        return {"session_booking"}

    @api.model
    def _default_templates(self):
        return {
            "session": "text_messaging.sms_template_data_reminder_session",
            "session_booking": "text_messaging.sms_template_data_booking_session",
            "pending_invoice": "text_messaging.sms_template_data_reminder_invoice",
            "overdue_invoice": "text_messaging.sms_template_data_reminder_overdue",
            "pending_task": "text_messaging.sms_template_data_reminder_task",
        }

    @api.model
    def _asking_templates(self):
        """{kind: template} of the texts asking for an answer (``ask_answer``)."""
        return {"session": "text_messaging.sms_template_data_reminder_session_answer"}

    # ------------------------------------------------------------- cron --

    @api.model
    def _cron_send_reminders(self):
        """Queue one bounded batch of due reminders per active rule; the cron
        runner calls again while ``_notify_progress`` reports some remaining."""
        now = fields.Datetime.now()
        limit = self._batch_size()
        done = remaining = 0
        for rule in self.search([]):
            # A rule whose template fails is marked; the other rules proceed.
            result, error = rule._tm_run_isolated(rule._run, now, limit)
            if error:
                rule._tm_record_failure(error)
                continue
            if rule.failure_reason:
                rule.failure_reason = False
            rule_done, rule_remaining = result
            done += rule_done
            remaining += rule_remaining
        compat.notify_progress(self.env, done=done, remaining=remaining)

    @api.model
    def _batch_size(self):
        value = (
            self.env["ir.config_parameter"]
            .sudo()
            .get_param(BATCH_SIZE_PARAM, DEFAULT_BATCH_SIZE)
        )
        try:
            return max(int(value), 1)
        except ValueError:
            return DEFAULT_BATCH_SIZE

    def _run(self, now, limit):
        """Handle one batch of this rule's due reminders.

        Returns (documents handled, documents still due)."""
        self.ensure_one()
        quiet_until = self._quiet_until(now)
        if quiet_until:
            # Postponed, never dropped: the last run stays where it is, so what
            # comes due now is still due when the quiet hours end.
            self._wake_up_at(quiet_until)
            return 0, 0
        due = self._due(now, limit)
        if due:
            self._remind(due)
        remaining = 0
        if len(due) >= limit:
            # A backlog: keep the planner's view of the log current for the
            # next batches (see _refresh_statistics).
            self.env["sms.reminder.log"]._refresh_statistics()
            remaining = self._count_due(now)
        if not remaining:
            self.last_run = now
        return len(due), remaining

    def _due_query(self, now):
        """The Query of this rule's documents with a reminder due at ``now`` and
        not yet logged, and the SQL of their occurrence and step."""
        self.ensure_one()
        model = self.env[self.res_model]
        query = model._search(model._text_reminder_domain(self))
        alias = query.table
        anchor = model._text_reminder_anchor_sql(self, alias)
        offset = self._offset()
        if self.timing == "after":
            interval = timedelta(days=self.repeat_interval_days)
            first = SQL("(%s + %s)", anchor, offset)
            step = SQL(
                "FLOOR(EXTRACT(EPOCH FROM (%s - %s)) / %s)::int",
                now,
                first,
                interval.total_seconds(),
            )
            moment = SQL("(%s + %s * %s)", first, step, interval)
            query.add_where(SQL("%s <= %s", first, now))
            query.add_where(SQL("%s < %s", step, self.repeat_max))
        else:
            step = SQL("0")
            if self.timing == "booked":
                # Once per date (the log key), from the creation plus the offset;
                # a move changes the date and its write_date makes it due.
                created = model._field_to_sql(alias, "create_date")
                moment = SQL("(%s + %s)", created, offset)
            else:
                moment = SQL("(%s - %s)", anchor, offset)
            end = model._text_reminder_end_sql(self, alias)
            query.add_where(SQL("%s <= %s", moment, now))
            query.add_where(SQL("%s > %s", end, now))
        lower = (self.last_run or now) - LOOKBACK_MARGIN
        query.add_where(
            SQL(
                "(%s > %s OR %s > %s)",
                moment,
                lower,
                model._field_to_sql(alias, "write_date"),
                lower,
            )
        )
        query.add_where(
            SQL(
                "NOT EXISTS (SELECT 1 FROM sms_reminder_log AS log "
                "WHERE log.rule_id = %s AND log.res_model = %s AND log.res_id = %s "
                "AND log.occurrence = %s AND log.step = %s)",
                self.id,
                self.res_model,
                SQL.identifier(alias, "id"),
                anchor,
                step,
            )
        )
        query.order = SQL("%s, %s", moment, SQL.identifier(alias, "id"))
        return query, anchor, step

    def _offset(self):
        """The rule's offset as a timedelta."""
        self.ensure_one()
        return timedelta(**{self.offset_unit or "hours": self.offset_hours})

    def _due(self, now, limit):
        """[(document id, occurrence, step)] of at most ``limit`` due reminders."""
        query, anchor, step = self._due_query(now)
        query.limit = limit
        self.env.flush_all()
        return self.env.execute_query(
            query.select(SQL.identifier(query.table, "id"), anchor, step)
        )

    def _count_due(self, now):
        query, _anchor, _step = self._due_query(now)
        query.order = None
        return self.env.execute_query(query.select(SQL("COUNT(*)")))[0][0]

    def _remind(self, due):
        """Log, render and queue the reminders of ``due`` documents, with one
        chatter note per document; a recipient who cannot get it gets a visible
        cancelled message with the reason."""
        self.ensure_one()
        documents = self.env[self.res_model].browse(
            list(dict.fromkeys(res_id for res_id, _occurrence, _step in due))
        )
        recipients = self._share_prefetch(
            documents._text_reminder_recipients(self.recipients, rule=self)
            if self.res_model == "calendar.event"
            else documents._text_reminder_recipients(self.recipients)
        )
        partners = {
            partner.id: partner for group in recipients.values() for partner in group
        }
        rows = []
        for res_id, occurrence, step in due:
            key = {
                "rule_id": self.id,
                "res_model": self.res_model,
                "res_id": res_id,
                "occurrence": occurrence,
                "step": step,
                "company_id": self.company_id.id,
            }
            group = recipients.get(res_id) or self.env["res.partner"]
            if not group:
                rows.append(dict(key, partner_id=None, state="no_recipient"))
            for partner in group:
                failure_type = self._skip_reason(partner, needs_consent=True)
                rows.append(
                    dict(
                        key,
                        partner_id=partner.id,
                        state="skipped" if failure_type else "queued",
                        failure_type=failure_type,
                    )
                )
        logs = self.env["sms.reminder.log"]._insert_new(rows)
        to_send = [row for row in logs if row["partner_id"]]
        if not to_send:
            return
        documents = {document.id: document for document in documents}
        pairs = [
            (documents[row["res_id"]], partners[row["partner_id"]]) for row in to_send
        ]
        bodies = self._render(self.template_id, pairs)
        sms = self._queue(
            pairs,
            bodies,
            [row["failure_type"] for row in to_send],
            kind="reminder",
        )
        self.env["sms.reminder.log"]._link_messages(
            {row["id"]: message.id for row, message in zip(to_send, sms, strict=True)}
        )
        if self.ask_answer and self.res_model == "calendar.event":
            self.env["sms.reminder.question"]._ask(self, pairs, sms)
        self._log_notes(pairs, sms, self.name)

    def _attendee_states(self):
        """The calendar attendee states of the clients this rule texts."""
        self.ensure_one()
        states = {
            "needsAction": self.include_needs_action,
            "accepted": self.include_accepted,
            "tentative": self.include_tentative,
        }
        return {state for state, included in states.items() if included}

    # ------------------------------------------------------ quiet hours --

    def _quiet_until(self, now):
        """When ``now`` (naive UTC) falls in the company's quiet hours, the end of
        them (naive UTC); else None."""
        self.ensure_one()
        company = self.company_id
        start = company.text_quiet_hours_start
        end = company.text_quiet_hours_end
        if not company.text_quiet_hours or start == end:
            return None
        tz = pytz.timezone(self._company_tz())
        local = pytz.utc.localize(now).astimezone(tz)
        hour = local.hour + local.minute / 60 + local.second / 3600
        if start < end:
            quiet = start <= hour < end
        else:
            quiet = hour >= start or hour < end
        if not quiet:
            return None
        day = local.date() if hour < end else local.date() + timedelta(days=1)
        until = tz.localize(datetime.combine(day, time()) + timedelta(hours=end))
        return until.astimezone(pytz.utc).replace(tzinfo=None)

    @api.model
    def _wake_up_at(self, when):
        """Have the reminder cron run at ``when`` (once, however often asked)."""
        cron = self.env.ref("text_messaging.ir_cron_text_messaging_reminders")
        triggers = self.env["ir.cron.trigger"].sudo()
        if not triggers.search_count(
            [("cron_id", "=", cron.id), ("call_at", "=", when)], limit=1
        ):
            cron.sudo()._trigger(at=when)

    def _company_tz(self):
        company = self.company_id or self.env.company
        return company.partner_id.tz or self.env.user.tz or "UTC"

    # ----------------------------------------- shared with manual sends --

    @api.model
    def _skip_reason(self, partner, needs_consent):
        """The failure_type that keeps ``partner`` from a reminder, or False.

        Automated reminders need the "text reminders" permission; manual ones
        don't. No path texts an opted-out (blacklisted) number."""
        if not partner.text_number or partner.text_number_validity == "missing":
            return "sms_number_missing"
        # Only valid numbers: the dispatcher refuses the others.
        if partner.text_number_validity != "valid":
            return "sms_number_format"
        if partner.text_opted_out:
            return "sms_blacklist"
        if needs_consent and not partner.text_reminders_allowed:
            return "tm_no_consent"
        return False

    @api.model
    def _share_prefetch(self, recipients):
        """{document id: partners}, all of them prefetched together: reading a
        field (or computing the opt-out) of one reads it for all at once."""
        ids = tuple(
            dict.fromkeys(
                pid for partners in recipients.values() for pid in partners.ids
            )
        )
        return {
            key: partners.with_prefetch(ids) for key, partners in recipients.items()
        }

    @api.model
    def _recipient_tz(self, partner, company):
        return partner.tz or company.partner_id.tz or self.env.user.tz or "UTC"

    @api.model
    def _recipient_lang(self, partner, company):
        return partner.lang or company.partner_id.lang or self.env.lang or "en_US"

    @api.model
    def _render(self, template, pairs, body=None):
        """{(document id, partner id): text} for [(document, partner)] pairs.

        Rendered once per (language, time zone, role) of the recipients: the
        placeholders read the time zone from the context. A text naming its
        recipient is rendered in rounds holding each document once, the
        round's recipients in the context (``text_recipients``, {document id:
        partner id}), so that a thousand personal reminders are still one
        rendering call, not a thousand. A ``body`` that is not the template's
        own text is rendered as typed (restricted rendering)."""
        groups = defaultdict(dict)
        keys = {}
        practitioners = self._practitioners(pairs)
        personal = self._is_personal(template.body if body is None else body)
        for document, partner in pairs:
            company = document._text_reminder_company()
            key = (
                self._recipient_lang(partner, company),
                self._recipient_tz(partner, company),
                "practitioner"
                if partner in practitioners.get(document.id, ())
                else "client",
                0,  # the round
            )
            if personal:
                while groups[key].get(document.id, partner.id) != partner.id:
                    key = (*key[:3], key[3] + 1)
            keys[document.id, partner.id] = key
            groups[key][document.id] = partner.id
        model = pairs[0][0]._name if pairs else False
        rendered = {}
        for key, members in groups.items():
            lang, tz, role, _round = key
            context = {"tz": tz, "text_reminder_role": role}
            if personal:
                context["text_recipients"] = frozendict(members)
            res_ids = list(members)
            if body is None:
                texts = template.with_context(**context)._render_field(
                    "body", res_ids, set_lang=lang
                )
            else:
                texts = (
                    self.env["mail.render.mixin"]
                    .with_context(lang=lang, **context)
                    ._render_template(body, model, res_ids)
                )
            for res_id in res_ids:
                rendered[res_id, key] = self._clean_text(texts[res_id])
        return {
            (document.id, partner.id): rendered[
                document.id, keys[document.id, partner.id]
            ]
            for document, partner in pairs
        }

    @api.model
    def _is_personal(self, body):
        """Whether a text names its recipient (rendered once per recipient)."""
        return "_text_reminder_first_name" in (body or "")

    @api.model
    def _practitioners(self, pairs):
        """{document id: practitioner partners} of the documents of ``pairs``:
        texts to them are rendered with ``text_reminder_role="practitioner"``,
        so that they are not named to themselves."""
        if not pairs:
            return {}
        documents = pairs[0][0].browse({document.id for document, _p in pairs})
        return documents._text_reminder_recipients("practitioner")

    @api.model
    def _clean_text(self, text):
        return (text or "").translate(SPACES).strip()

    @api.model
    def _queue(self, pairs, bodies, failure_types, kind):
        """Create the text messages of [(document, partner)] pairs in one call:
        queued, or cancelled with their reason when ``failure_types`` says so."""
        sms_model = self.env["sms.sms"].sudo()
        gateways = {}
        vals_list = []
        for (document, partner), failure_type in zip(pairs, failure_types, strict=True):
            # A rule texts for its own company; a manual reminder for the
            # document's company, else the sender's.
            company = self.company_id or document._text_reminder_company()
            if company not in gateways:
                gateways[company] = company.sms_gateway_id
            vals = {
                "partner_id": partner.id,
                "number": partner.text_number or False,
                "body": bodies[document.id, partner.id],
                "kind": kind,
                "res_model": document._name,
                "res_id": document.id,
                "gateway_id": gateways[company].id,
                "company_id": company.id,
                "state": "outgoing",
            }
            if failure_type:
                vals.update(
                    state="canceled",
                    failure_type=failure_type,
                    failure_explanation=sms_model._explain(failure_type),
                )
            vals_list.append(vals)
        # One row per recipient (the caller matches them), other channels apart.
        vals_list, others = self._tm_channel_split(vals_list)
        if others:
            sms_model.create(sms_model._with_first_text_footer(others))
        return sms_model.create(sms_model._with_first_text_footer(vals_list))

    @api.model
    def _log_notes(self, pairs, sms, title):
        """One chatter note per document listing what was queued or skipped."""
        labels = dict(
            self.env["sms.sms"]._fields["failure_type"]._description_selection(self.env)
        )
        lines = defaultdict(list)
        documents = {}
        for (document, partner), message in zip(pairs, sms, strict=True):
            documents[document.id] = document
            if message.state == "canceled":
                line = self.env._(
                    "Not sent to %(partner)s: %(reason)s.",
                    partner=partner.display_name,
                    reason=labels.get(message.failure_type, message.failure_type),
                )
            else:
                line = self.env._(
                    "Queued for %(partner)s (%(number)s): %(text)s",
                    partner=partner.display_name,
                    number=message.number,
                    text=message.body,
                )
            lines[document.id].append(line)
        if not documents:
            return
        heading = self.env._("Text reminder: %(title)s", title=title)
        bodies = {
            res_id: Markup("<p>%s</p><ul>%s</ul>")
            % (heading, Markup().join(Markup("<li>%s</li>") % line for line in items))
            for res_id, items in lines.items()
        }
        records = next(iter(documents.values())).browse(list(documents))
        self._log_notes_sql(records, bodies)

    @api.model
    def _log_notes_sql(self, records, bodies):
        """``bodies`` ({document id: Markup}) as notes on ``records``' chatter,
        with the columns ``_message_log_batch`` fills (internal notes by the
        runner, subtype note, one message id for the batch, no notification),
        in one INSERT: through the ORM (defaults, HTML sanitizing) the notes
        were 38% of a reminder's cost (scripts/bench_reminders.py)."""
        values = self.env["sms.sms"]._text_log_values(
            self.env.user.partner_id,
            records._name,
            message_type="notification",
            message_id=generate_tracking_message_id("message-notify"),
        )
        notes = SQL(", ").join(
            SQL("(%s, %s)", res_id, str(body)) for res_id, body in bodies.items()
        )
        self.env.cr.execute(
            SQL(
                "INSERT INTO mail_message (%s) SELECT %s, notes.res_id, notes.body, %s "
                "FROM (VALUES %s) AS notes(res_id, body)",
                LOG_COLUMNS,
                records._name,
                values,
                notes,
            )
        )
        records.invalidate_recordset(["message_ids"])

    @api.model
    def _format_when(self, value, date_only=False, short=False):
        """A date (and time) for a text, in the context's language and time zone;
        ``short``: without the year ("Mar 4, 11:00 AM").

        Babel is called directly with a parsed locale, and its strings are
        kept per (moment, language, time zone): a reminder batch formats
        thousands of dates, most of them the same few session starts."""
        if not value:
            return ""
        lang = self.env.lang or "en_US"
        if date_only:
            return _babel_when(value, lang, None, None)
        tz = self.env.context.get("tz") or self.env.user.tz or "UTC"
        return _babel_when(value, lang, tz, self._when_pattern(lang, short), short)

    @api.model
    @ormcache("lang", "short")
    def _when_pattern(self, lang, short=False):
        if short:
            return self.with_context(lang=lang).env._("%(date)s, %(time)s")
        return self.with_context(lang=lang).env._("%(date)s at %(time)s")
