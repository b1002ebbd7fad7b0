"""Answers to session reminders that ask one ("Reply C to confirm, R to
reschedule"), through the real Twilio webhook over HTTP and the fake provider."""

from datetime import timedelta

from odoo import Command, fields
from odoo.tests import HttpCase, tagged

from .test_reminders import CLIENT, PRACTITIONER, ReminderCase


@tagged("post_install", "-at_install")
class TestReminderAnswers(ReminderCase, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Replies arrive now (the HTTP server's clock): no quiet hours.
        cls.company.text_quiet_hours = False
        cls.twilio.write(cls.fake.webhook_credentials("twilio"))
        cls.Question = cls.env["sms.reminder.question"]

    def _ask_rule(self, hours=3, **values):
        """The session rule, asking for an answer, switched on an hour ago."""
        self.session_rule.write(
            {"active": True, "ask_answer": True, "offset_hours": hours, **values}
        )
        self.session_rule.last_run = fields.Datetime.now() - timedelta(hours=1)
        return self.session_rule

    def _session(self, in_hours=2, name="Therapy"):
        """A session the practitioner books (as themselves) for the client."""
        start = fields.Datetime.now().replace(microsecond=0) + timedelta(hours=in_hours)
        return (
            self.env["calendar.event"]
            .with_user(self.practitioner)
            .create(
                {
                    "name": name,
                    "start": start,
                    "stop": start + timedelta(hours=1),
                    "user_id": self.practitioner.id,
                    "partner_ids": [
                        Command.set((self.client | self.practitioner.partner_id).ids)
                    ],
                }
            )
            .with_env(self.env)
        )

    def _remind_now(self):
        self.Rule._cron_send_reminders()

    def _reply(self, body, number=CLIENT):
        gateway = self.twilio.sudo()
        path = f"/text_messaging/webhook/{gateway.id}/{gateway.webhook_token}/inbound"
        headers, payload = self.fake.inbound_callback(
            "twilio", number, body, gateway.inbound_webhook_url
        )
        response = self.url_open(
            self.base_url() + path, data=payload, headers=headers, allow_redirects=False
        )
        self.assertEqual(response.status_code, 200, response.text)
        return self.env["sms.inbound"].search([("body", "=", body)], limit=1)

    def _state(self, event):
        return event.attendee_ids.filtered(lambda a: a.partner_id == self.client).state

    def _activities(self, event):
        """The organizer's activities about ``event`` (on the client)."""
        return self.env["mail.activity"].search(
            [
                ("res_model", "=", "res.partner"),
                ("res_id", "=", self.client.id),
                ("summary", "ilike", event.name),
            ]
        )

    def test_reminder_asks_and_records_the_question(self):
        self._ask_rule()
        event = self._session()
        self._remind_now()
        (sms,) = self._reminders(event)
        self.assertTrue(sms.body.endswith("Reply C to confirm, R to reschedule."))
        self.assertRecordValues(
            self.Question.search([("event_id", "=", event.id)]),
            [
                {
                    "number": CLIENT,
                    "partner_id": self.client.id,
                    "sms_id": sms.id,
                    "expires_at": event.start,
                    "answer": False,
                }
            ],
        )

    def test_confirmations_set_the_answer_and_tell_the_practitioner(self):
        self._ask_rule()
        for index, body in enumerate(["C", "c.", "confirm", "1"]):
            with self.subTest(body=body):
                event = self._session(in_hours=2 + index / 10, name=f"Therapy {body}")
                self._remind_now()
                self.assertTrue(self._reminders(event))
                self.assertEqual(self._state(event), "needsAction")
                inbound = self._reply(body)
                self.assertEqual(self._state(event), "accepted")
                question = self.Question.search([("event_id", "=", event.id)])
                self.assertEqual(question.answer, "confirm")
                self.assertEqual(question.inbound_id, inbound)
                self.assertTrue(
                    event.message_ids.filtered(
                        lambda m: "confirmed" in (m.body or "")
                        and m.author_id == self.client
                    ),
                    "noted in the session's chatter",
                )
                activity = self._activities(event)
                self.assertEqual(activity.user_id, self.practitioner)
                self.assertIn("confirmed", activity.summary)
                # The reply is still on the contact as today.
                self.assertEqual(inbound.partner_id, self.client)
                self.assertFalse(inbound.keyword)

    def test_confirmed_session_gets_no_further_reminder(self):
        self._ask_rule(hours=3)
        later_rule = self.session_rule.copy(
            {"name": "One hour before", "offset_hours": 1, "ask_answer": False}
        )
        later_rule.last_run = self.session_rule.last_run
        event = self._session(in_hours=2)
        self._remind_now()
        self.assertEqual(len(self._reminders(event)), 1)
        self._reply("C")
        self._run(fields.Datetime.now() + timedelta(hours=1, minutes=5))
        self.assertEqual(len(self._reminders(event)), 1, "confirmed: no more")
        # The practitioner's own reminder is not affected.
        later_rule.recipients = "both"
        other = self._session(in_hours=2, name="Other")
        self._remind_now()
        self._run(fields.Datetime.now() + timedelta(hours=1, minutes=5))
        self.assertEqual(
            self._reminders(other).partner_id,
            self.client | self.practitioner.partner_id,
        )

    def test_reschedule_leaves_the_state_and_asks_staff(self):
        self._ask_rule()
        event = self._session()
        self._remind_now()
        self._reply("R")
        self.assertEqual(self._state(event), "needsAction")
        self.assertEqual(
            self.Question.search([("event_id", "=", event.id)]).answer, "reschedule"
        )
        activity = self._activities(event)
        self.assertEqual(activity.user_id, self.practitioner)
        self.assertIn("reschedule", activity.summary)

    def test_decline_in_words(self):
        self._ask_rule()
        event = self._session()
        self._remind_now()
        self._reply("Sorry, please cancel my appointment")
        self.assertEqual(self._state(event), "declined")
        self.assertFalse(
            self.env["phone.blacklist"].sudo().search_count([("number", "=", CLIENT)])
        )

    def test_cancel_alone_is_stop(self):
        self._ask_rule()
        event = self._session()
        self._remind_now()
        inbound = self._reply("cancel")
        self.assertEqual(inbound.keyword, "stop")
        self.assertTrue(
            self.env["phone.blacklist"]
            .sudo()
            .search_count([("number", "=", CLIENT), ("active", "=", True)])
        )
        self.assertEqual(self._state(event), "needsAction")
        self.assertFalse(self.Question.search([("event_id", "=", event.id)]).answer)
        self.assertFalse(self._activities(event))

    def test_unrelated_reply_changes_nothing(self):
        self._ask_rule()
        event = self._session()
        self._remind_now()
        inbound = self._reply("Running 10 minutes late")
        self.assertEqual(self._state(event), "needsAction")
        self.assertFalse(self.Question.search([("event_id", "=", event.id)]).answer)
        self.assertFalse(self._activities(event))
        self.assertEqual(inbound.partner_id, self.client)
        self.assertTrue(
            self.client.message_ids.filtered(
                lambda m: m.body and "Running 10 minutes late" in m.body
            ),
            "on the contact's chatter as today",
        )

    def test_reply_answers_the_newest_question_only(self):
        self._ask_rule()
        first = self._session(in_hours=2.5, name="First")
        self._remind_now()
        second = self._session(in_hours=2, name="Second")
        self._remind_now()
        self.assertTrue(self._reminders(first) and self._reminders(second))
        self._reply("C")
        self.assertEqual(self._state(second), "accepted")
        self.assertEqual(self._state(first), "needsAction")
        # A second reply has no open question left but the older one.
        self._reply("yes I'll be there")
        self.assertEqual(self._state(first), "accepted")

    def test_no_question_no_answer(self):
        """A reminder that did not ask, or a question past the session start,
        is never answered."""
        self._ask_rule(ask_answer=False)
        event = self._session()
        self._remind_now()
        self.assertTrue(self._reminders(event))
        self._reply("C")
        self.assertEqual(self._state(event), "needsAction")
        self.session_rule.ask_answer = True
        other = self._session(in_hours=2.5, name="Other")
        self._remind_now()
        question = self.Question.search([("event_id", "=", other.id)])
        question.expires_at = fields.Datetime.now() - timedelta(minutes=1)
        self._reply("1")
        self.assertEqual(self._state(other), "needsAction")
        self.assertFalse(question.answer)

    def test_practitioner_told_by_text_when_set(self):
        self.company.text_answer_notification = "text"
        self._ask_rule()
        event = self._session()
        self._remind_now()
        self._reply("C")
        self.assertFalse(self._activities(event))
        (told,) = self.env["sms.sms"].search(
            [("number", "=", PRACTITIONER), ("res_id", "=", event.id)]
        )
        self.assertIn("confirmed", told.body)
        self.assertIn(self.client.name, told.body)
        self._dispatch()
        self.assertIn(PRACTITIONER, [m["to"] for m in self.fake.messages("twilio")])
