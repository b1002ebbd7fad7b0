"""Booking confirmations: a text when a session is created or moved (or some
hours after its creation), once per start, with the reminders' consent checks
and the rule's attendee states."""

from datetime import timedelta

from odoo import Command, fields
from odoo.tests import tagged

from .test_reminders import CLIENT, ReminderCase


@tagged("post_install", "-at_install")
class TestBookingConfirmations(ReminderCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.booking_rule = cls.env.ref(
            "text_messaging.sms_reminder_rule_session_booking"
        )
        cls.booking_rule.write(
            {"active": False, "company_id": cls.company.id, "offset_hours": 0}
        )

    def _book(self, start, clients=None, when="2025-03-04 14:00:00"):
        """The practitioner books a session (as themselves) at ``when`` (9:00
        in New York, after the quiet hours)."""
        start = fields.Datetime.to_datetime(start)
        with self._at(when):
            return (
                self.env["calendar.event"]
                .with_user(self.practitioner)
                .create(
                    {
                        "name": "Therapy",
                        "start": start,
                        "stop": start + timedelta(hours=1),
                        "user_id": self.practitioner.id,
                        "location": "Main office",
                        "partner_ids": [
                            Command.set(
                                (
                                    (clients or self.client)
                                    | self.practitioner.partner_id
                                ).ids
                            )
                        ],
                    }
                )
            )

    def _move(self, event, start, when):
        start = fields.Datetime.to_datetime(start)
        with self._at(when):
            event.with_user(self.practitioner).write(
                {"start": start, "stop": start + timedelta(hours=1)}
            )

    def test_confirmation_on_create_and_on_move_once_per_start(self):
        self._switch_on(self.booking_rule, "2025-03-04 10:00:00")
        event = self._book("2025-03-06 16:00:00").with_env(self.env)
        self._run("2025-03-04 14:01:00")
        sms = self._reminders(event)
        self.assertRecordValues(
            sms, [{"partner_id": self.client.id, "number": CLIENT, "state": "outgoing"}]
        )
        self.assertEqual(
            sms.body,
            f"Booked with {self.env.company.name}: "
            "Therapy on Mar 6, 2025 at 11:00 AM, Main office, with Dr Bo.",
        )
        self._run("2025-03-04 14:10:00")
        self.assertEqual(len(self._reminders(event)), 1, "never twice for a start")
        # Edited without a move: nothing new.
        with self._at("2025-03-04 14:30:00"):
            event.with_user(self.practitioner).description = "Bring your notes"
        self._run("2025-03-04 14:31:00")
        self.assertEqual(len(self._reminders(event)), 1)
        # Moved: a new confirmation with the new start.
        self._move(event, "2025-03-07 16:00:00", "2025-03-04 15:00:00")
        self._run("2025-03-04 15:01:00")
        moved = self._reminders(event)[1:]
        self.assertEqual(
            moved.body,
            f"Booked with {self.env.company.name}: "
            "Therapy on Mar 7, 2025 at 11:00 AM, Main office, with Dr Bo.",
        )
        self._run("2025-03-04 15:30:00")
        self.assertEqual(len(self._reminders(event)), 2)
        self._dispatch()
        self.assertEqual(len(self.fake.messages("twilio")), 2)

    def test_some_hours_after_creation(self):
        self._switch_on(self.booking_rule, "2025-03-04 10:00:00", offset_hours=2)
        event = self._book("2025-03-06 16:00:00").with_env(self.env)
        self._run("2025-03-04 14:01:00")
        self.assertFalse(self._reminders(event))
        self._run("2025-03-04 16:01:00")
        self.assertEqual(len(self._reminders(event)), 1)

    def test_booking_wakes_the_reminder_cron_when_a_rule_is_on(self):
        cron = self.env.ref("text_messaging.ir_cron_text_messaging_reminders")
        triggers = self.env["ir.cron.trigger"].sudo()
        before = triggers.search_count([("cron_id", "=", cron.id)])
        self._book("2025-03-06 16:00:00")
        self.assertEqual(triggers.search_count([("cron_id", "=", cron.id)]), before)
        self._switch_on(self.booking_rule, "2025-03-04 10:00:00")
        self._book("2025-03-06 18:00:00")
        self.assertEqual(triggers.search_count([("cron_id", "=", cron.id)]), before + 1)

    def test_consent_and_attendee_states(self):
        self._switch_on(
            self.booking_rule, "2025-03-04 10:00:00", include_tentative=False
        )
        refused = self._client("Cy Refused", "+12015550125", "America/New_York", False)
        unsure = self._client("Di Unsure", "+12015550126", "America/New_York")
        event = self._book(
            "2025-03-06 16:00:00", self.client | refused | unsure
        ).with_env(self.env)
        event.attendee_ids.filtered(
            lambda a: a.partner_id == unsure
        ).state = "tentative"
        event.attendee_ids.filtered(
            lambda a: a.partner_id == self.client
        ).state = "accepted"
        self._run("2025-03-04 14:01:00")
        sms = self._reminders(event)
        self.assertEqual(
            {(m.partner_id, m.state, m.failure_type) for m in sms},
            {
                (self.client, "outgoing", False),
                (refused, "canceled", "tm_no_consent"),
            },
            "the tentative client is left out, the refusing one skipped visibly",
        )
