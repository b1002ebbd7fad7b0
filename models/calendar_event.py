from odoo import api, models
from odoo.tools import SQL

from ..tools.clip import clip


class CalendarEvent(models.Model):
    _inherit = "calendar.event"

    @api.model_create_multi
    def create(self, vals_list):
        events = super().create(vals_list)
        self._text_booking_wake_up()
        return events

    def write(self, vals):
        result = super().write(vals)
        if "start" in vals or "start_date" in vals:
            self._text_booking_wake_up()
        return result

    @api.model
    def _text_booking_wake_up(self):
        """Have the reminder cron run soon when a booking confirmation rule is
        on: the confirmation of a new or moved session goes out in minutes."""
        rules = self.env["sms.reminder.rule"].sudo()
        if rules.search_count([("kind", "in", list(rules._booking_kinds()))], limit=1):
            cron = self.env.ref(
                "text_messaging.ir_cron_text_messaging_reminders", False
            )
            if cron:
                cron.sudo()._trigger()

    # ------------------------------------------- text reminder protocol --

    def _text_reminder_domain(self, rule):
        """Sessions a rule may remind: not archived (a cancelled event is), of
        an organizer of the rule's company (without organizer: of a creator of
        the rule's company, so that one company's rule reminds it)."""
        return [
            ("start", "!=", False),
            "|",
            ("user_id.company_id", "=", rule.company_id.id),
            "&",
            ("user_id", "=", False),
            ("create_uid.company_id", "=", rule.company_id.id),
        ]

    def _text_reminder_anchor_sql(self, rule, alias):
        return self._field_to_sql(alias, "start")

    def _text_reminder_end_sql(self, rule, alias):
        """A session is worth a reminder until it is over."""
        return SQL(
            "COALESCE(%s, %s)",
            self._field_to_sql(alias, "stop"),
            self._field_to_sql(alias, "start"),
        )

    def _text_reminder_company(self):
        return self.user_id.company_id or self.env.company

    def _text_reminder_recipients(self, recipients, rule=None):
        """{event id: partners} for ``recipients`` (client, practitioner, both).

        Clients are the attendees other than the organizer; the practitioner is
        the organizer. Whoever declined gets nothing, and a session whose
        clients all declined is off: nobody gets a reminder. For an automated
        ``rule``, only clients in the rule's attendee states, and none who
        confirmed this start by text (no further reminder)."""
        result = {}
        clients_too = recipients in ("client", "both")
        confirmed = (
            self.env["sms.reminder.question"]._confirmed(self)
            if rule and clients_too
            else {}
        )
        states = rule._attendee_states() if rule else None
        for event in self:
            organizer = event.user_id.partner_id
            attendees = event.attendee_ids
            declined = attendees.filtered(lambda a: a.state == "declined").partner_id
            invited = attendees.partner_id - organizer
            clients = invited - declined
            partners = self.env["res.partner"]
            if invited and not clients:
                result[event.id] = partners
                continue
            if clients_too:
                if states is not None:
                    clients &= attendees.filtered(
                        lambda a: a.state in states
                    ).partner_id
                partners |= clients - confirmed.get(event.id, partners)
            if recipients in ("practitioner", "both") and organizer not in declined:
                partners |= organizer
            result[event.id] = partners
        return result

    def _text_reminder_manual_records(self):
        return self

    def _text_reminder_kind(self):
        return "session"

    # -------------------------------------------------- for templates --

    def _text_reminder_when(self):
        """The start, in the recipient's time zone (the rendering context's)."""
        self.ensure_one()
        rule = self.env["sms.reminder.rule"]
        if self.allday:
            return rule._format_when(self.start_date, date_only=True)
        return rule._format_when(self.start)

    def _text_reminder_with(self):
        """ ", with <organizer>" for a client; nothing for the organizer, who
        would otherwise read their own name."""
        self.ensure_one()
        if not self.user_id or self.env.context.get("text_reminder_role") == (
            "practitioner"
        ):
            return ""
        return self.env._(", with %(name)s", name=self.user_id.name)

    # Personal texts: each placeholder takes a length limit (seed defaults:
    # name 25, date and time 16, practitioner 22, room 5) and is shortened
    # cleanly at a word boundary ("{{ object._text_reminder_location(5) }}").

    def _text_reminder_first_name(self, limit=25):
        """The recipient's first name: this session's in the rendering
        context's ``text_recipients`` ({event id: partner id}, set by the
        reminder engine), else the session's only client."""
        self.ensure_one()
        recipients = self.env.context.get("text_recipients") or {}
        partner = self.env["res.partner"].browse(recipients.get(self.id))
        if not partner:
            clients = self.attendee_ids.partner_id - self.user_id.partner_id
            partner = clients if len(clients) == 1 else partner
        words = (partner.name or "").split()
        return clip(words[0] if words else "", limit)

    def _text_reminder_practitioner(self, limit=22):
        """The organizer's name."""
        self.ensure_one()
        return clip(self.user_id.name, limit)

    def _text_reminder_location(self, limit=None):
        """The location (room)."""
        self.ensure_one()
        return clip(self.location, limit)

    def _text_reminder_start(self, limit=16):
        """The start in the recipient's time zone, without the year when the
        full form is longer than ``limit``."""
        self.ensure_one()
        return self._text_reminder_moment(self.start, self.start_date, limit)

    def _text_reminder_end(self, limit=16):
        """The end, like ``_text_reminder_start``."""
        self.ensure_one()
        return self._text_reminder_moment(self.stop, self.stop_date, limit)

    def _text_reminder_moment(self, value, day, limit):
        rule = self.env["sms.reminder.rule"]
        if self.allday:
            text = rule._format_when(day, date_only=True)
        else:
            text = rule._format_when(value)
            if limit and len(text) > limit:
                text = rule._format_when(value, short=True)
        return clip(text, limit)
