from collections import defaultdict

from markupsafe import Markup

from odoo import api, fields, models

from ..tools.answers import CONFIRM, DECLINE, RESCHEDULE, parse_answer

# Answer -> calendar attendee state; a reschedule request leaves the state.
ATTENDEE_STATES = {CONFIRM: "accepted", DECLINE: "declined"}


class SmsReminderQuestion(models.Model):
    """A session reminder that asked the client for an answer ("Reply C to
    confirm, R to reschedule"): one row per text that asked, open until the
    session starts. A reply is read only against the latest open question sent
    to its number."""

    _name = "sms.reminder.question"
    _description = "Text Reminder Question"
    _order = "id desc"
    _rec_name = "number"

    number = fields.Char(required=True, index=True, readonly=True)
    event_id = fields.Many2one(
        "calendar.event", "Session", required=True, index=True, ondelete="cascade"
    )
    attendee_id = fields.Many2one(
        "calendar.attendee", "Attendee", required=True, ondelete="cascade"
    )
    partner_id = fields.Many2one(
        related="attendee_id.partner_id", string="Client", store=True
    )
    rule_id = fields.Many2one("sms.reminder.rule", "Rule", ondelete="set null")
    sms_id = fields.Many2one("sms.sms", "Text Message", ondelete="set null")
    company_id = fields.Many2one("res.company", "Company", index=True)
    occurrence = fields.Datetime(
        required=True, help="The session start the question is about."
    )
    expires_at = fields.Datetime(
        "Open until", required=True, index=True, help="The session start."
    )
    answer = fields.Selection(
        [
            (CONFIRM, "Confirmed"),
            (DECLINE, "Declined"),
            (RESCHEDULE, "Asked to reschedule"),
        ],
        readonly=True,
        index="btree_not_null",
    )
    answered_at = fields.Datetime(readonly=True)
    inbound_id = fields.Many2one(
        "sms.inbound", "Reply", readonly=True, ondelete="set null"
    )

    # ------------------------------------------------------------ asking --

    @api.model
    def _ask(self, rule, pairs, sms):
        """Record the questions of the reminders ``sms`` sent for
        [(event, partner)] ``pairs`` to the clients (not the organizer)."""
        vals_list = []
        for (event, partner), message in zip(pairs, sms, strict=True):
            if message.state == "canceled" or partner == event.user_id.partner_id:
                continue
            attendee = event.attendee_ids.filtered(
                lambda a, p=partner: a.partner_id == p
            )
            if not attendee:
                continue
            vals_list.append(
                {
                    "number": message.number,
                    "event_id": event.id,
                    "attendee_id": attendee[0].id,
                    "rule_id": rule.id,
                    "sms_id": message.id,
                    "company_id": rule.company_id.id,
                    "occurrence": event.start,
                    "expires_at": event.start,
                }
            )
        return self.sudo().create(vals_list)

    @api.model
    def _confirmed(self, events):
        """{event id: partners who confirmed that start of it by text}."""
        if not events:
            return {}
        questions = self.sudo().search(
            [("event_id", "in", events.ids), ("answer", "=", CONFIRM)]
        )
        starts = {event.id: event.start for event in events}
        result = defaultdict(lambda: self.env["res.partner"])
        for question in questions:
            if question.occurrence == starts[question.event_id.id]:
                result[question.event_id.id] |= question.partner_id
        return result

    # --------------------------------------------------------- answering --

    @api.model
    def _answer(self, inbounds):
        """Read the received texts ``inbounds`` as answers to the latest open
        question sent to their number (by their gateway's company). Returns
        the questions answered."""
        answers = {inbound: parse_answer(inbound.body) for inbound in inbounds}
        answers = {inbound: answer for inbound, answer in answers.items() if answer}
        if not answers:
            return self.browse()
        open_questions = self.sudo().search(
            [
                ("number", "in", list({inbound.number for inbound in answers})),
                ("answer", "=", False),
                ("expires_at", ">", fields.Datetime.now()),
            ],
            order="id desc",
        )
        latest = {}
        for question in open_questions:
            latest.setdefault((question.number, question.company_id), question)
        answered = self.browse()
        for inbound, answer in sorted(answers.items(), key=lambda item: item[0].id):
            question = latest.get((inbound.number, inbound.company_id))
            if not question or question.answer:
                continue
            question._apply(answer, inbound)
            answered |= question
        return answered

    def _apply(self, answer, inbound):
        """Record ``answer``, set the attendee's state, note it on the session
        and tell the practitioner."""
        self.ensure_one()
        self.write(
            {
                "answer": answer,
                "answered_at": fields.Datetime.now(),
                "inbound_id": inbound.id,
            }
        )
        state = ATTENDEE_STATES.get(answer)
        if state:
            self.attendee_id.sudo().state = state
        message = self._answer_message(answer)
        self.event_id.sudo()._message_log(
            body=Markup("<p>%s</p><p><i>%s</i></p>") % (message, inbound.body),
            author_id=self.partner_id.id,
        )
        self._tell_practitioner(answer, message)

    def _answer_message(self, answer):
        self.ensure_one()
        names = {
            CONFIRM: self.env._("%(client)s confirmed %(session)s by text."),
            DECLINE: self.env._("%(client)s declined %(session)s by text."),
            RESCHEDULE: self.env._(
                "%(client)s asked by text to reschedule %(session)s."
            ),
        }
        return names[answer] % {
            "client": self.partner_id.display_name,
            "session": self.event_id.display_name,
        }

    def _tell_practitioner(self, answer, message):
        """An activity for the organizer on the client, or a text when the
        company says so.
        A reschedule request is always an activity: someone must act."""
        self.ensure_one()
        event = self.event_id.sudo()
        user = event.user_id
        if not user:
            return
        company = self.company_id or user.company_id
        if company.text_answer_notification == "text" and answer != RESCHEDULE:
            partner = user.partner_id
            rules = self.env["sms.reminder.rule"]
            if not rules._skip_reason(partner, needs_consent=False):
                self.env["sms.sms"].sudo().create(
                    {
                        "partner_id": partner.id,
                        "number": partner.text_number,
                        "body": message,
                        "kind": "reply",
                        "res_model": event._name,
                        "res_id": event.id,
                        "gateway_id": company.sms_gateway_id.id,
                        "company_id": company.id,
                        "inbound_id": self.inbound_id.id,
                    }
                )
                return
        # Sessions have no activities: the activity is on the client, whose
        # chatter holds the reply.
        self.partner_id.sudo().activity_schedule(
            "mail.mail_activity_data_todo",
            user_id=user.id,
            summary=message,
            note=self.inbound_id.body,
        )
