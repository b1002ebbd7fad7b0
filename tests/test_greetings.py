from datetime import date

from freezegun import freeze_time

from odoo.tests import Form, tagged

from .common import TextMessagingCase


@tagged("post_install", "-at_install")
class TestGreetings(TextMessagingCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.partner_id.tz = "Europe/Brussels"
        cls.twilio = cls._gateway("twilio", is_default=True)
        cls.rule = cls.env.ref("text_messaging.sms_greeting_rule_main_company")
        cls.rule.write({"active": True, "send_hour": 9.0})
        cls.env["phone.blacklist"].sudo().add("+12015550009")
        Partner = cls.env["res.partner"]
        cls.june = Partner.create(
            {
                "name": "June Birthday",
                "phone": "+12015550002",
                "text_birthdate": date(1990, 6, 15),
                "text_reminders_allowed": True,
            }
        )
        cls.no_permission = Partner.create(
            {
                "name": "No Permission",
                "phone": "+12015550003",
                "text_birthdate": date(1985, 6, 15),
            }
        )
        cls.other_day = Partner.create(
            {
                "name": "Other Day",
                "phone": "+12015550004",
                "text_birthdate": date(1990, 6, 16),
                "text_reminders_allowed": True,
            }
        )
        cls.leap = Partner.create(
            {
                "name": "Leap Day",
                "phone": "+12015550005",
                "text_birthdate": date(2000, 2, 29),
                "text_reminders_allowed": True,
            }
        )
        cls.opted_out = Partner.create(
            {
                "name": "Opted Out",
                "phone": "+12015550009",
                "text_birthdate": date(1970, 6, 15),
                "text_reminders_allowed": True,
            }
        )

    def _run_at(self, when):
        with freeze_time(when):
            self.env["sms.greeting.rule"]._cron_send_greetings()

    def _greetings(self, partner=None):
        domain = [("kind", "=", "greeting")]
        if partner:
            domain.append(("partner_id", "=", partner.id))
        return self.env["sms.sms"].search(domain, order="id")

    def test_once_a_year_at_the_local_hour_with_permission(self):
        self._run_at("2025-06-15 06:59:00")  # 08:59 in Brussels (CEST)
        self.assertFalse(self._greetings())
        self._run_at("2025-06-15 07:00:00")
        greetings = self._greetings()
        self.assertEqual(greetings.partner_id, self.june | self.opted_out)
        sent = self._greetings(self.june)
        self.assertEqual(sent.state, "outgoing")
        self.assertEqual(
            sent.body,
            "Happy birthday, June Birthday! Warm wishes from all of us at "
            f"{self.company.name}.",
        )
        self.assertEqual((sent.res_model, sent.res_id), ("res.partner", self.june.id))
        refused = self._greetings(self.opted_out)
        self.assertEqual(
            (refused.state, refused.failure_type), ("canceled", "sms_blacklist")
        )
        self.assertEqual(self.june.text_greeted_year, 2025)
        # Later the same day, and the next day: nothing more.
        self._run_at("2025-06-15 15:00:00")
        self._run_at("2025-06-16 07:30:00")
        self.assertEqual(self._greetings(self.june), sent)
        self.assertFalse(self._greetings(self.no_permission))
        self.assertEqual(len(self._greetings(self.other_day)), 1)
        self._dispatch()
        self.assertEqual(self.fake.count_to("+12015550002"), 1)
        self.assertEqual(self.fake.count_to("+12015550009"), 0)
        # Next year again.
        self._run_at("2026-06-15 07:00:00")
        self.assertEqual(len(self._greetings(self.june)), 2)

    def test_29_february_birthdays(self):
        self._run_at("2025-02-28 08:00:00")  # 09:00 CET, 2025 has no 29th
        self.assertEqual(len(self._greetings(self.leap)), 1)
        self._run_at("2028-02-28 08:00:00")
        self.assertEqual(len(self._greetings(self.leap)), 1, "2028 has a 29th")
        self._run_at("2028-02-29 08:00:00")
        self.assertEqual(len(self._greetings(self.leap)), 2)

    def test_inactive_rule_sends_nothing(self):
        self.rule.active = False
        self._run_at("2025-06-15 12:00:00")
        self.assertFalse(self._greetings())

    def test_batches(self):
        self.env["ir.config_parameter"].sudo().set_param(
            "text_messaging.greeting.batch_size", 1
        )
        self._run_at("2025-06-15 07:00:00")
        self.assertEqual(len(self._greetings()), 1)
        self._run_at("2025-06-15 07:01:00")
        self.assertEqual(len(self._greetings()), 2)
        self._run_at("2025-06-15 07:02:00")
        self.assertEqual(len(self._greetings()), 2)

    def test_template_form_shows_the_segments_of_an_example(self):
        first = self.env["res.partner"].search([], limit=1)
        form = Form(self.env["sms.template"])
        form.name = "Segments"
        form.model_id = self.env["ir.model"]._get("res.partner")
        form.body = "Hello {{ object.name }}"
        self.assertEqual(form.tm_example, f"Hello {first.name}")
        self.assertIn("1 segment(s), GSM-7", form.tm_example_info)
        self.assertIn(first.display_name, form.tm_example_info)
        form.body = "\u2615 " * 40
        self.assertIn("2 segment(s), Unicode", form.tm_example_info)
        template = self.env.ref("text_messaging.sms_template_data_greeting_birthday")
        self.assertIn("segment(s)", template.tm_example_info)
