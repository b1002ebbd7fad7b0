from datetime import date, datetime

from freezegun import freeze_time

from odoo.exceptions import UserError
from odoo.tests import Form, new_test_user, tagged

from .common import TextMessagingCase


@tagged("post_install", "-at_install")
class TestCustomMessage(TextMessagingCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.partner_id.tz = "America/New_York"
        cls.twilio = cls._gateway("twilio", is_default=True)
        partners = cls.env["res.partner"].create(
            [
                {"name": "Bob Second", "phone": "+1 201 555 0002"},
                {"name": "Olga Optout", "phone": "201-555-0009"},
                {"name": "Mia Missing"},
                {"name": "Ivan Invalid", "phone": "12345"},
                {"name": "Dora Duplicate", "phone": "+12015550001"},
            ]
        )
        cls.bob, cls.optout, cls.missing, cls.invalid, cls.duplicate = partners
        cls.env["phone.blacklist"].sudo().add("+12015550009")
        cls.template = cls.env["sms.template"].create(
            {
                "name": "Custom test",
                "model_id": cls.env["ir.model"]._get_id("res.partner"),
                "body": "Hi {{ object.name }}, see you soon.",
            }
        )

    def _form(self, partners=(), numbers=False, body="Hello {{ object.name }}!"):
        form = Form(self.env["sms.custom.message"])
        for partner in partners:
            form.partner_ids.add(partner)
        if numbers:
            form.numbers = numbers
        if body is not None:
            form.body = body
        return form

    def test_every_exclusion_group_counted_and_honoured(self):
        form = self._form(
            [self.partner, self.bob, self.optout, self.missing, self.invalid],
            numbers="+1 201 555 0003, 201 555 0002; 99\n+1 201 555 0001",
        )
        form.partner_ids.add(self.duplicate)
        self.assertEqual(form.recipient_count, 10)
        self.assertEqual(form.skip_opted_out, 1)
        self.assertEqual(form.skip_missing, 1)
        self.assertEqual(form.skip_invalid, 2, "12345 and 99")
        self.assertEqual(form.skip_duplicate, 3, "Dora, typed 0002 and typed 0001")
        self.assertEqual(form.send_count, 3)
        wizard = form.save()
        wizard.action_send()
        self.assertEqual(wizard.state, "done")
        sms = wizard.sms_ids
        self.assertEqual(len(sms), 10, "every recipient keeps a row in the History")
        queued = sms.filtered(lambda s: s.state == "outgoing")
        self.assertEqual(
            sorted(queued.mapped("number")),
            ["+12015550001", "+12015550002", "+12015550003"],
        )
        skipped = sms - queued
        self.assertEqual(set(skipped.mapped("state")), {"canceled"})
        self.assertEqual(
            sorted(skipped.mapped("failure_type")),
            sorted(
                [
                    "sms_blacklist",
                    "sms_number_missing",
                    "sms_number_format",
                    "sms_number_format",
                    "sms_duplicate",
                    "sms_duplicate",
                    "sms_duplicate",
                ]
            ),
        )
        self.assertTrue(all(skipped.mapped("failure_explanation")))
        self.assertEqual(set(sms.mapped("kind")), {"custom"})
        self.assertIn("3 message(s) queued", wizard.summary)
        self.assertIn("1 opted out", wizard.summary)
        self.assertIn("3 same number twice", wizard.summary)

        self._dispatch()
        received = self.fake.messages("twilio")
        self.assertEqual(
            sorted((m["to"], m["body"]) for m in received),
            [
                ("+12015550001", "Hello Ada Client!"),
                ("+12015550002", "Hello Bob Second!"),
                ("+12015550003", "Hello !"),
            ],
        )
        self._dispatch()
        self.assertEqual(len(self.fake.messages("twilio")), 3, "sent exactly once")

    def test_no_permission_needed_for_a_custom_message(self):
        self.assertFalse(self.bob.text_reminders_allowed)
        wizard = self._form([self.bob]).save()
        self.assertEqual(wizard.send_count, 1)
        wizard.action_send()
        self.assertEqual(wizard.sms_ids.state, "outgoing")

    def test_template_preview_and_counter(self):
        form = self._form([self.partner, self.bob], body=None)
        form.template_id = self.template
        self.assertEqual(form.body, self.template.body)
        self.assertEqual(form.preview_partner_id, self.partner)
        self.assertEqual(form.preview, "Hi Ada Client, see you soon.")
        form.preview_partner_id = self.bob
        self.assertEqual(form.preview, "Hi Bob Second, see you soon.")
        self.assertEqual(form.char_count, len("Hi Bob Second, see you soon."))
        self.assertEqual(form.encoding, "gsm7")
        self.assertEqual(form.segments, 1)
        self.assertEqual(form.max_segments, self.twilio.max_segments)
        self.assertEqual(form.gateway_id, self.twilio, "the company's gateway")
        self.assertAlmostEqual(form.cost_estimate, 2 * 0.05)
        form.body = "Caf\u00e9 \u2615 " + "x" * 70
        self.assertEqual(form.encoding, "ucs2")
        self.assertEqual(form.segments, 2)
        self.assertIn("\u2615", form.unicode_characters)
        self.assertNotIn("\u00e9", form.unicode_characters, "é is in GSM-7")
        self.assertAlmostEqual(form.cost_estimate, 2 * 2 * 0.05)
        self.assertFalse(form.too_long)
        self.twilio.max_segments = 1
        form.body = "y" * 161
        self.assertTrue(form.too_long)

    def test_template_text_is_sent_rendered(self):
        form = self._form([self.bob], body=None)
        form.template_id = self.template
        wizard = form.save()
        wizard.action_send()
        self.assertEqual(wizard.sms_ids.body, "Hi Bob Second, see you soon.")

    def test_gateway_choice(self):
        clicksend = self._gateway("clicksend")
        form = self._form([self.bob])
        form.gateway_id = clicksend
        wizard = form.save()
        wizard.action_send()
        self.assertEqual(wizard.sms_ids.gateway_id, clicksend)
        self._dispatch()
        self.assertEqual(len(self.fake.messages("clicksend")), 1)
        self.assertEqual(self.fake.messages("twilio"), [])

    def test_nothing_to_send_is_refused(self):
        wizard = self._form(body="hello").save()
        with self.assertRaises(UserError):
            wizard.action_send()
        wizard = self._form([self.bob], body=" ").save()
        with self.assertRaises(UserError):
            wizard.action_send()

    @freeze_time("2025-03-07 15:00:00")
    def test_send_later_in_the_company_time_zone(self):
        form = self._form([self.bob], numbers="+1 201 555 0003")
        form.send_mode = "later"
        self.assertEqual(form.tz, "America/New_York")
        form.schedule_date = date(2025, 3, 10)  # first day of daylight time
        form.schedule_time = 9.0
        wizard = form.save()
        wizard.action_send()
        scheduled = wizard.scheduled_message_id
        self.assertTrue(scheduled)
        self.assertFalse(wizard.sms_ids)
        self.assertEqual(scheduled.next_date, datetime(2025, 3, 10, 13, 0))
        self.assertEqual(
            scheduled.next_date_local, "2025-03-10 09:00 (America/New_York)"
        )
        self.assertEqual(scheduled.recurrence, "none")
        self.assertIn("Scheduled for 2025-03-10 09:00", wizard.summary)
        self.env["sms.scheduled.message"]._cron_send_due()
        self.assertFalse(scheduled.sms_count, "not due yet")
        with freeze_time("2025-03-10 13:00:00"):
            self.env["sms.scheduled.message"]._cron_send_due()
        scheduled.invalidate_recordset(["sms_count"])
        self.assertEqual(scheduled.sms_count, 2)
        self.assertEqual(scheduled.state, "done")
        self._dispatch()
        self.assertEqual(
            sorted(m["to"] for m in self.fake.messages("twilio")),
            ["+12015550002", "+12015550003"],
        )

    @freeze_time("2025-03-07 15:00:00")
    def test_send_later_refuses_the_past(self):
        form = self._form([self.bob])
        form.send_mode = "later"
        form.schedule_date = date(2025, 3, 7)
        form.schedule_time = 9.0  # 14:00 UTC, an hour ago
        wizard = form.save()
        with self.assertRaises(UserError):
            wizard.action_send()

    def test_opened_from_contacts(self):
        wizard = (
            self.env["sms.custom.message"]
            .with_context(
                active_model="res.partner", active_ids=[self.partner.id, self.bob.id]
            )
            .create({"body": "hi"})
        )
        self.assertEqual(wizard.partner_ids, self.partner | self.bob)

    def test_a_text_messaging_user_can_send(self):
        user = new_test_user(
            self.env,
            login="tm_sender",
            groups="base.group_user,text_messaging.group_text_messaging_user",
        )
        form = Form(self.env["sms.custom.message"].with_user(user))
        form.partner_ids.add(self.bob)
        form.body = "Hello {{ object.name }}"
        wizard = form.save()
        wizard.action_send()
        self.assertEqual(wizard.sms_ids.body, "Hello Bob Second")
        self.assertEqual(wizard.sms_ids.create_uid, user, "who sent it")
        form = Form(self.env["sms.custom.message"].with_user(user))
        form.partner_ids.add(self.bob)
        form.body = "later"
        form.send_mode = "later"
        form.schedule_date = date(2040, 1, 1)
        wizard = form.save()
        wizard.action_send()
        self.assertEqual(wizard.scheduled_message_id.user_id, user)

    def test_too_long_text_is_refused_in_the_wizard(self):
        self.twilio.max_segments = 1
        form = self._form([self.bob], body="y" * 161)
        self.assertTrue(form.too_long)
        wizard = form.save()
        with self.assertRaisesRegex(UserError, "2 segments, more than the 1"):
            wizard.action_send()
        self.assertEqual(wizard.state, "draft")
        self.assertFalse(wizard.sms_ids)
        self.assertFalse(
            self.env["sms.sms"].search([("partner_id", "=", self.bob.id)]),
            "nothing queued: it would only be refused as Message Too Long",
        )

    @freeze_time("2025-03-07 19:20:00")  # 14:20 in New York
    def test_send_later_defaults_to_the_next_hour(self):
        form = self._form([self.bob])
        form.send_mode = "later"
        self.assertEqual(form.schedule_date, date(2025, 3, 7))
        self.assertEqual(form.schedule_time, 15.0, "15:00 New York, in the future")
        wizard = form.save()
        wizard.action_send()
        self.assertEqual(
            wizard.scheduled_message_id.next_date, datetime(2025, 3, 7, 20, 0)
        )

    @freeze_time("2025-03-07 04:30:00")  # 23:30 the day before in New York
    def test_send_later_default_crosses_midnight(self):
        form = self._form([self.bob])
        self.assertEqual(form.schedule_date, date(2025, 3, 7))
        self.assertEqual(form.schedule_time, 0.0)

    def test_typed_invalid_number_is_explained_as_typed(self):
        wizard = self._form([self.invalid], numbers="12345").save()
        wizard.action_send()
        typed = wizard.sms_ids.filtered(lambda sms: not sms.partner_id)
        contact = wizard.sms_ids - typed
        self.assertEqual(typed.failure_type, "sms_number_format")
        self.assertIn("typed number", typed.failure_explanation)
        self.assertNotIn("on the contact", typed.failure_explanation)
        self.assertIn("on the contact", contact.failure_explanation)
        self.assertIn("typed number", wizard.summary)

    def test_example_numbers_are_valid(self):
        """The numbers the wizard and the explanations give as examples are
        themselves accepted."""
        arch = self.env.ref("text_messaging.sms_custom_message_view_form").arch
        placeholder = arch.split('name="numbers" placeholder="')[1].split('"')[0]
        explanation = self.env["sms.sms"]._explain("sms_number_format")
        example = explanation.split("e.g. ")[1].split(")")[0]
        numbers = self.env["sms.custom.message"]._tm_split_numbers(placeholder)
        for number in [*numbers, example]:
            with self.subTest(number=number):
                _formatted, validity = self.env["res.partner"]._text_number_check(
                    number, self.env.ref("base.us")
                )
                self.assertEqual(validity, "valid")

    def test_first_text_to_a_number_says_how_to_opt_out(self):
        self.company.text_first_text_footer = True
        self._form([self.partner, self.bob], body="Hello").save().action_send()
        rows = self.env["sms.sms"].search(
            [("partner_id", "in", (self.partner | self.bob).ids)]
        )
        self.assertEqual(set(rows.mapped("body")), {"Hello\nReply STOP to opt out."})
        self._dispatch()
        # Now that they have had a text, the next one carries no footer.
        self._form([self.partner, self.bob], body="Again").save().action_send()
        again = self.env["sms.sms"].search([("body", "like", "Again")])
        self.assertEqual(set(again.mapped("body")), {"Again"})
        # Off (the default): no footer, even on a first text.
        self.company.text_first_text_footer = False
        self._form(numbers="+1 201 555 0077", body="Hi").save().action_send()
        first = self.env["sms.sms"].search([("number", "=", "+12015550077")])
        self.assertEqual(first.body, "Hi")
