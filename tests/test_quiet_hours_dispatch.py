"""Quiet hours in the recipient's time, applied by the dispatcher, and opt-outs
that the provider reports (Twilio 21610, as a send error and as a delivery
report), through the local fake provider."""

from datetime import datetime

from odoo.tests import tagged

from odoo.addons.text_messaging.gateways.base import StatusReport

from .common import TextMessagingCase, dispatch_clock

LA = "+12135550123"  # Los Angeles
HOUSTON = "+17135550123"  # Texas


@tagged("post_install", "-at_install")
class TestQuietHoursAtDispatch(TextMessagingCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.twilio = cls._gateway("twilio", is_default=True)
        cls.company.partner_id.tz = "America/New_York"
        cls.company.write(
            {
                "text_legal_quiet_hours": True,
                "text_quiet_hours": True,
                "text_quiet_hours_start": 20.0,
                "text_quiet_hours_end": 8.0,
            }
        )

    def _row(self, number, kind):
        return self.env["sms.sms"].create(
            {
                "number": number,
                "body": f"{kind} text",
                "gateway_id": self.twilio.id,
                "kind": kind,
            }
        )

    def test_a_reminder_to_los_angeles_at_half_past_eight_in_new_york_waits(self):
        # 20:30 in New York (01:30 UTC): the company is quiet until 8:00 New York,
        # 5:00 Los Angeles, when federal law still says no: 8:00 Los Angeles.
        reminder = self._row(LA, "reminder")
        custom = self._row(LA, "custom")
        with dispatch_clock(datetime(2026, 12, 2, 1, 30)):
            self._dispatch()
        self.assertEqual(custom.state, "pending", "a person sent it: it goes")
        self.assertEqual(reminder.state, "outgoing")
        self.assertEqual(reminder.next_attempt, datetime(2026, 12, 2, 16, 0))
        self.assertEqual(reminder.attempts, 0, "waiting is not an attempt")
        self.assertIn("2026-12-02 08:00, America/Los_Angeles", reminder.held_note)
        self.assertEqual(self.fake.count_to(LA), 1, "only the custom text left")
        # At 8:00 in Los Angeles it goes, and History still says why it waited.
        with dispatch_clock(datetime(2026, 12, 2, 16, 0)):
            self._dispatch()
        self.assertEqual(reminder.state, "pending")
        self.assertEqual(self.fake.count_to(LA), 2)
        self.assertIn("quiet hours", reminder.held_note)

    def test_texas_on_sunday_waits_for_noon(self):
        self.company.text_quiet_hours = False
        mass = self._row(HOUSTON, "mass")
        # Sunday 2026-12-06 10:00 in Houston (16:00 UTC).
        with dispatch_clock(datetime(2026, 12, 6, 16, 0)):
            self._dispatch()
        self.assertEqual(mass.state, "outgoing")
        self.assertEqual(mass.next_attempt, datetime(2026, 12, 6, 18, 0))
        self.assertEqual(self.fake.count_to(HOUSTON), 0)

    def test_the_contacts_time_zone_wins(self):
        self.company.text_quiet_hours = False
        self.partner.write({"phone": LA, "tz": "Asia/Tokyo"})
        greeting = self._row(LA, "greeting")
        greeting.partner_id = self.partner
        # 12:00 UTC: 4:00 in Los Angeles but 21:00 in Tokyo, where she lives.
        with dispatch_clock(datetime(2026, 12, 1, 12, 0)):
            self._dispatch()
        self.assertEqual(greeting.next_attempt, datetime(2026, 12, 1, 23, 0))
        self.assertIn("Asia/Tokyo", greeting.held_note)


@tagged("post_install", "-at_install")
class TestProviderOptOut(TextMessagingCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.twilio = cls._gateway("twilio", is_default=True)
        cls.partner.write(
            {
                "phone": "+12015550101",
                "text_reminders_allowed": True,
                "text_marketing_allowed": True,
            }
        )

    def _blocked(self, number):
        return bool(
            self.env["phone.blacklist"]
            .sudo()
            .search([("number", "=", number), ("active", "=", True)])
        )

    def test_21610_at_send_blacklists_and_withdraws_consent(self):
        self.fake.errors["+12015550101"] = 21610
        sms = self._queue(self.twilio, {"+12015550101": "See you"}, self.partner)
        self._dispatch()
        self.assertEqual(sms.failure_type, "sms_optout")
        self.assertTrue(self._blocked("+12015550101"))
        self.assertFalse(self.partner.text_reminders_allowed)
        self.assertFalse(self.partner.text_marketing_allowed)
        ledger = self.env["sms.consent"].search(
            [("partner_id", "=", self.partner.id), ("action", "=", "withdraw")]
        )
        self.assertEqual(set(ledger.mapped("channel")), {"provider"})
        # The next text is stopped before the provider.
        later = self._queue(self.twilio, {"+12015550101": "Again"}, self.partner)
        self._dispatch()
        self.assertEqual(later.failure_type, "sms_blacklist")
        self.assertEqual(self.fake.count_to("+12015550101"), 1)

    def test_21610_in_a_delivery_report(self):
        sms = self._queue(self.twilio, {"+12015550101": "See you"}, self.partner)
        self._dispatch()
        self.assertEqual(sms.state, "pending")
        self.env["sms.sms"]._apply_status_reports(
            self.twilio,
            [
                StatusReport(
                    provider_id=sms.provider_message_id,
                    status="failed",
                    failure_code="opted_out",
                    detail="21610",
                )
            ],
        )
        self.assertEqual(sms.failure_type, "sms_optout")
        self.assertTrue(self._blocked("+12015550101"))

    def test_other_failures_block_nothing(self):
        self.fake.errors["+12015550101"] = 21211  # invalid number
        self._queue(self.twilio, {"+12015550101": "See you"}, self.partner)
        self._dispatch()
        self.assertFalse(self._blocked("+12015550101"))
        self.assertTrue(self.partner.text_reminders_allowed)
