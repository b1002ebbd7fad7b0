from datetime import date, datetime

from freezegun import freeze_time

from odoo.exceptions import ValidationError
from odoo.tests import Form, tagged

from .common import TextMessagingCase


@tagged("post_install", "-at_install")
class TestScheduledMessage(TextMessagingCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.twilio = cls._gateway("twilio", is_default=True)
        cls.bob = cls.env["res.partner"].create(
            {"name": "Bob Second", "phone": "+1 201 555 0002"}
        )
        cls.Scheduled = cls.env["sms.scheduled.message"]

    def _schedule(self, **values):
        vals = {
            "partner_ids": [(6, 0, self.partner.ids)],
            "body": "Hello {{ object.name }}",
            "tz": "Europe/Brussels",
            "send_time": 9.0,
            **values,
        }
        return self.Scheduled.create(vals)

    def _run_at(self, when):
        with freeze_time(when):
            self.Scheduled._cron_send_due()

    def _sent_rows(self, message):
        return self.env["sms.sms"].search(
            [("res_model", "=", message._name), ("res_id", "=", message.id)],
            order="id",
        )

    def _follow(self, message, occurrences):
        """Run the cron at each next date; return the UTC send dates."""
        dates = []
        for _index in range(occurrences):
            when = message.next_date
            self.assertTrue(when, f"an occurrence after {dates}")
            self._run_at(when)
            dates.append(when)
        return dates

    def test_form_and_company_time_zone(self):
        self.company.partner_id.tz = "America/Chicago"
        form = Form(self.Scheduled)
        form.partner_ids.add(self.bob)
        form.body = "Weekly check-in"
        form.start_date = date(2030, 1, 7)
        form.send_time = 8.5
        form.recurrence = "weekly"
        self.assertEqual(form.tz, "America/Chicago")
        message = form.save()
        self.assertEqual(message.name, "Weekly check-in")
        self.assertEqual(message.next_date, datetime(2030, 1, 7, 14, 30))
        self.assertEqual(message.next_date_local, "2030-01-07 08:30 (America/Chicago)")
        self.assertEqual(message.gateway_id, self.twilio)

    def test_monthly_on_the_31st_and_daylight_saving(self):
        message = self._schedule(start_date=date(2025, 1, 31), recurrence="monthly")
        dates = self._follow(message, 5)
        self.assertEqual(
            dates,
            [
                datetime(2025, 1, 31, 8, 0),  # 09:00 CET
                datetime(2025, 2, 28, 8, 0),  # last day of February
                datetime(2025, 3, 31, 7, 0),  # back to the 31st, 09:00 CEST
                datetime(2025, 4, 30, 7, 0),
                datetime(2025, 5, 31, 7, 0),
            ],
        )
        self.assertEqual(message.next_date, datetime(2025, 6, 30, 7, 0))
        rows = self._sent_rows(message)
        self.assertEqual(len(rows), 5, "one message per occurrence")
        self.assertEqual(set(rows.mapped("kind")), {"scheduled"})
        self.assertEqual(set(rows.mapped("body")), {"Hello Ada Client"})

    def test_yearly_on_29_february(self):
        message = self._schedule(start_date=date(2024, 2, 29), recurrence="yearly")
        dates = self._follow(message, 5)
        self.assertEqual(
            [d.date() for d in dates],
            [
                date(2024, 2, 29),
                date(2025, 2, 28),
                date(2026, 2, 28),
                date(2027, 2, 28),
                date(2028, 2, 29),
            ],
        )
        self.assertTrue(all(d.hour == 8 for d in dates), "09:00 in Brussels (CET)")

    def test_weekly_keeps_local_time_across_dst(self):
        message = self._schedule(
            start_date=date(2025, 3, 3),
            recurrence="weekly",
            tz="America/New_York",
            partner_ids=[(6, 0, self.bob.ids)],
        )
        self.assertEqual(
            self._follow(message, 2),
            [datetime(2025, 3, 3, 14, 0), datetime(2025, 3, 10, 13, 0)],
        )
        autumn = self._schedule(
            start_date=date(2025, 10, 27),
            recurrence="weekly",
            interval=1,
            tz="America/New_York",
        )
        self.assertEqual(
            self._follow(autumn, 2),
            [datetime(2025, 10, 27, 13, 0), datetime(2025, 11, 3, 14, 0)],
        )

    def test_skipped_and_repeated_wall_clock_times(self):
        # 02:30 does not exist on 9 March 2025 in New York: sent at 03:30 EDT.
        spring = self._schedule(
            start_date=date(2025, 3, 8),
            send_time=2.5,
            recurrence="daily",
            tz="America/New_York",
        )
        self.assertEqual(
            self._follow(spring, 3),
            [
                datetime(2025, 3, 8, 7, 30),
                datetime(2025, 3, 9, 7, 30),
                datetime(2025, 3, 10, 6, 30),
            ],
        )
        # 01:30 happens twice on 2 November 2025: sent at the first one (EDT).
        autumn = self._schedule(
            start_date=date(2025, 11, 1),
            send_time=1.5,
            recurrence="daily",
            tz="America/New_York",
        )
        self.assertEqual(
            self._follow(autumn, 3),
            [
                datetime(2025, 11, 1, 5, 30),
                datetime(2025, 11, 2, 5, 30),
                datetime(2025, 11, 3, 6, 30),
            ],
        )

    def test_end_after_a_count_and_on_a_date(self):
        counted = self._schedule(
            start_date=date(2025, 5, 1),
            recurrence="daily",
            interval=2,
            end_type="count",
            max_occurrences=2,
        )
        self.assertEqual(
            self._follow(counted, 2),
            [datetime(2025, 5, 1, 7, 0), datetime(2025, 5, 3, 7, 0)],
        )
        self.assertEqual(counted.state, "done")
        self.assertFalse(counted.next_date)
        dated = self._schedule(
            start_date=date(2025, 5, 1),
            recurrence="weekly",
            end_type="date",
            end_date=date(2025, 5, 15),
        )
        self.assertEqual(len(self._follow(dated, 3)), 3)
        self.assertEqual(dated.state, "done")
        self._run_at("2025-06-01 12:00:00")
        self.assertEqual(len(self._sent_rows(dated)), 3)

    def test_not_due_cancelled_and_exactly_once(self):
        message = self._schedule(start_date=date(2025, 5, 1), recurrence="daily")
        self._run_at("2025-05-01 06:59:00")
        self.assertFalse(self._sent_rows(message), "not due before 09:00 local")
        self._run_at("2025-05-01 07:00:00")
        self._run_at("2025-05-01 07:00:30")
        self.assertEqual(len(self._sent_rows(message)), 1, "the cron ran twice")
        self._dispatch()
        self.assertEqual(self.fake.count_to("+12015550001"), 1)
        message.action_cancel()
        self.assertEqual(message.state, "cancel")
        self.assertFalse(message.next_date)
        self._run_at("2025-05-02 07:00:00")
        self.assertEqual(len(self._sent_rows(message)), 1)
        with freeze_time("2025-05-04 12:00:00"):
            message.action_reactivate()
        self.assertEqual(message.next_date, datetime(2025, 5, 5, 7, 0))

    def test_missed_occurrences_are_not_sent_late(self):
        message = self._schedule(start_date=date(2025, 5, 1), recurrence="daily")
        self._run_at("2025-05-04 12:00:00")  # the server was down for days
        self.assertEqual(len(self._sent_rows(message)), 1)
        self.assertEqual(message.next_date, datetime(2025, 5, 5, 7, 0))

    def test_recipients_checked_when_sent(self):
        message = self._schedule(
            start_date=date(2025, 5, 1),
            partner_ids=[(6, 0, (self.partner | self.bob).ids)],
            numbers="+1 201 555 0003\n+1 201 555 0002",
        )
        self.env["phone.blacklist"].sudo().add("+12015550001")
        self._run_at("2025-05-01 07:00:00")
        rows = self._sent_rows(message)
        self.assertEqual(
            [(r.number, r.state, r.failure_type) for r in rows],
            [
                ("+12015550001", "canceled", "sms_blacklist"),
                ("+12015550002", "outgoing", False),
                ("+12015550003", "outgoing", False),
                ("+12015550002", "canceled", "sms_duplicate"),
            ],
        )
        self.assertEqual(rows[2].body, "Hello ", "typed numbers have no contact")
        self.assertEqual(message.state, "done")

    def test_a_batch_of_due_messages(self):
        self.env["ir.config_parameter"].sudo().set_param(
            "text_messaging.scheduled.batch_size", 2
        )
        messages = self.Scheduled
        for hour in (6.0, 7.0, 8.0):
            messages |= self._schedule(start_date=date(2025, 5, 1), send_time=hour)
        self._run_at("2025-05-01 12:00:00")
        self.assertEqual(messages.mapped("state"), ["done", "done", "active"])
        self._run_at("2025-05-01 12:00:00")
        self.assertEqual(set(messages.mapped("state")), {"done"})
        self.assertEqual(
            self.env["sms.sms"].search_count(
                [
                    ("res_model", "=", self.Scheduled._name),
                    ("res_id", "in", messages.ids),
                ]
            ),
            3,
        )

    def test_end_must_be_consistent(self):
        with self.assertRaises(ValidationError):
            self._schedule(
                start_date=date(2025, 5, 1),
                recurrence="daily",
                end_type="date",
                end_date=date(2025, 4, 1),
            )
        with self.assertRaises(ValidationError):
            self._schedule(start_date=date(2025, 5, 1), partner_ids=[(5,)])
