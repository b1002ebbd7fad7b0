"""Personal session texts: the recipient's first name, the practitioner, the
location, start and end, each within its length limit (seed 001: name 25,
date and time 16, practitioner 22, room 5)."""

from unittest.mock import patch

from odoo.tests import new_test_user, tagged

from .test_reminders import CLIENT, ReminderCase

PERSONAL = (
    "Hi {{ object._text_reminder_first_name() }}: "
    "{{ object._text_reminder_start() }} to {{ object._text_reminder_end() }}, "
    "{{ object._text_reminder_practitioner() }}, "
    "room {{ object._text_reminder_location(5) }}."
)


@tagged("post_install", "-at_install")
class TestPersonalTexts(ReminderCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager = new_test_user(
            cls.env,
            login="tm_reminder_manager",
            name="Reminder Manager",
            groups="base.group_user,text_messaging.group_text_messaging_manager",
        )
        cls.second = cls._client(
            "Bartholomew-Alexander-Maximilian Longname",
            "+12015550124",
            "America/Los_Angeles",
        )

    def _personal_rule(self):
        """The session rule with a personal template (written by the settings
        administrator), chosen by a Text Messaging manager: the rule renders
        as that manager."""
        template = self.env["sms.template"].create(
            {
                "name": "Personal session reminder",
                "model_id": self.env.ref("calendar.model_calendar_event").id,
                "body": PERSONAL,
            }
        )
        self.session_rule.with_user(self.manager).write({"template_id": template.id})
        self.assertEqual(self.session_rule.text_author_id, self.manager)
        self._switch_on(self.session_rule, "2025-03-04 13:00:00")

    def test_each_client_is_addressed_by_first_name_within_the_limits(self):
        self.practitioner.name = "Dr Maximilian Oppenheimer-Smith"
        self._personal_rule()
        with self._at("2025-03-04 12:00:00"):
            event = self._event(
                "2025-03-04 16:00:00", self.client | self.second, location="Room 12B"
            )
        self._run("2025-03-04 14:01:00")
        bodies = {sms.number: sms.body for sms in self._reminders(event)}
        self.assertEqual(
            bodies,
            {
                CLIENT: "Hi Ada: Mar 4, 11:00 AM to Mar 4, 12:00 PM, "
                "Dr Maximilian, room Room.",
                "+12015550124": "Hi Bartholomew-Alexander-Max: "
                "Mar 4, 8:00 AM to Mar 4, 9:00 AM, Dr Maximilian, room Room.",
            },
        )
        self.assertTrue(all(sms.encoding == "gsm7" for sms in self._reminders(event)))

    def test_group_sessions_are_rendered_in_rounds_each_client_named(self):
        """Personal texts are rendered in rounds holding each session once:
        three clients of one session and one of another, all in one time
        zone, are three rendering calls, each client named in their own."""
        self._personal_rule()
        third = self._client("Cleo Third", "+12015550125", "America/New_York")
        fourth = self._client("Dora Fourth", "+12015550126", "America/New_York")
        self.second.tz = "America/New_York"
        with self._at("2025-03-04 12:00:00"):
            group = self._event(
                "2025-03-04 16:00:00", self.client | self.second | third, location="A"
            )
            single = self._event("2025-03-04 16:00:00", fourth, location="B")
        template_class = type(self.env["sms.template"])
        original = template_class._render_field
        with patch.object(
            template_class, "_render_field", autospec=True, side_effect=original
        ) as render:
            self._run("2025-03-04 14:01:00")
        self.assertEqual(render.call_count, 3)
        bodies = {
            sms.partner_id.name: sms.body for sms in self._reminders(group | single)
        }
        self.assertEqual(len(bodies), 4)
        for name, first in (
            ("Ada Client", "Ada"),
            ("Bartholomew-Alexander-Maximilian Longname", "Bartholomew-Alexander-Max"),
            ("Cleo Third", "Cleo"),
            ("Dora Fourth", "Dora"),
        ):
            with self.subTest(name=name):
                self.assertTrue(bodies[name].startswith(f"Hi {first}: "), bodies)
        self.assertTrue(bodies["Dora Fourth"].endswith("room B."))
        self.assertTrue(bodies["Cleo Third"].endswith("room A."))

    def test_short_values_are_kept_whole(self):
        self._personal_rule()
        with self._at("2025-03-04 12:00:00"):
            event = self._event("2025-03-04 16:00:00", self.client, location="B2")
        self.assertEqual(event._text_reminder_location(5), "B2")
        self.assertEqual(event._text_reminder_practitioner(), "Dr Bo")
        # Without a recipient in the context: the only client.
        self.assertEqual(event._text_reminder_first_name(), "Ada")
        self.assertEqual(
            event.with_context(tz="America/New_York")._text_reminder_start(30),
            "Mar 4, 2025 at 11:00 AM",
        )
        self._run("2025-03-04 14:01:00")
        self.assertEqual(
            self._reminders(event).body,
            "Hi Ada: Mar 4, 11:00 AM to Mar 4, 12:00 PM, Dr Bo, room B2.",
        )

    def test_offsets_in_minutes_and_days(self):
        self._switch_on(
            self.session_rule,
            "2025-03-04 13:00:00",
            offset_hours=30,
            offset_unit="minutes",
        )
        with self._at("2025-03-04 12:00:00"):
            soon = self._event("2025-03-04 16:00:00", self.client)
        self._run("2025-03-04 15:25:00")
        self.assertFalse(self._reminders(soon))
        self._run("2025-03-04 15:31:00")
        self.assertEqual(len(self._reminders(soon)), 1)
        self.session_rule.write({"offset_hours": 1, "offset_unit": "days"})
        with self._at("2025-03-04 15:40:00"):
            tomorrow = self._event("2025-03-05 17:00:00", self.client)
        self._run("2025-03-04 16:55:00")
        self.assertFalse(self._reminders(tomorrow))
        self._run("2025-03-04 17:01:00")
        self.assertEqual(len(self._reminders(tomorrow)), 1)
