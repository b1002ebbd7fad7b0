from datetime import date

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, new_test_user, tagged

from .test_reminders import CLIENT, CLIENT_LONDON, PRACTITIONER, ReminderCase


@tagged("post_install", "-at_install")
class TestReminderComposer(ReminderCase):
    """Manual reminders through the real composer, as an office user."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.office = new_test_user(
            cls.env,
            login="tm_office",
            name="Olive Office",
            groups="base.group_user,project.group_project_user,"
            "account.group_account_invoice,text_messaging.group_text_messaging_user",
        )
        cls.no_consent = cls._client(
            "Nora No Consent", "+12015550166", "America/New_York", allowed=False
        )
        cls.opted_out = cls._client(
            "Otto Opted Out", "+12015550177", "America/New_York"
        )
        cls.env["phone.blacklist"].sudo().add("+12015550177")

    def _composer(self, records):
        return Form(
            self.env["sms.reminder.composer"]
            .with_user(self.office)
            .with_context(active_model=records._name, active_ids=records.ids)
        )

    def test_manual_session_reminders_from_a_list(self):
        with self._at("2025-03-04 12:00:00"):
            first = self._event("2025-03-04 16:00:00", self.client)
            second = self._event(
                "2025-03-05 16:00:00", self.no_consent | self.opted_out
            )
        form = self._composer(first | second)
        self.assertEqual(form.rule_id, self.session_rule, "even switched off")
        self.assertEqual(form.recipients, "client")
        self.assertEqual(form.template_id, self.session_rule.template_id)
        self.assertEqual(form.record_count, 2)
        self.assertEqual((form.send_count, form.skip_count), (2, 1))
        self.assertIn(
            f"Reminder from {self.env.company.name}: "
            "Therapy on Mar 4, 2025 at 11:00 AM",
            form.preview,
        )
        self.assertIn("Skipped: Blacklisted", form.preview)
        # "Reminder: " became "Reminder from <company>: ".
        length = 70 + len(" from ") + len(self.env.company.name)
        self.assertIn(f"1 ({length} characters)", form.preview)
        composer = form.save()
        action = composer.action_send()
        sms = self._reminders(first | second, kind="manual_reminder")
        by_partner = {message.partner_id: message for message in sms}
        self.assertEqual(
            set(by_partner), {self.client, self.no_consent, self.opted_out}
        )
        self.assertEqual(by_partner[self.client].state, "outgoing")
        self.assertEqual(
            by_partner[self.no_consent].state,
            "outgoing",
            "a manual reminder needs no permission",
        )
        self.assertRecordValues(
            by_partner[self.opted_out],
            [
                {
                    "state": "canceled",
                    "failure_type": "sms_blacklist",
                    "failure_explanation": self.env["sms.sms"]._explain(
                        "sms_blacklist"
                    ),
                }
            ],
        )
        self.assertIn("Mar 5, 2025 at 11:00 AM", by_partner[self.no_consent].body)
        self.assertEqual(
            composer.summary, "2 reminder(s) queued. 1 skipped: Blacklisted (1)."
        )
        self.assertEqual(action["params"]["message"], composer.summary)
        self.assertEqual(action["params"]["type"], "warning")
        self.assertEqual(len(self._notes(first)), 1)
        self.assertIn("Olive Office", self._notes(second).body)
        self.assertFalse(self._reminders(first | second), "no automated reminder")
        self._dispatch()
        self.assertEqual(
            sorted(m["to"] for m in self.fake.messages("twilio")),
            sorted([CLIENT, "+12015550166"]),
        )
        self._dispatch()
        self.assertEqual(len(self.fake.messages("twilio")), 2)

    def test_manual_reminder_from_a_form_to_both_in_their_time_zones(self):
        londoner = self._client("Lou London", CLIENT_LONDON, "Europe/London")
        with self._at("2025-03-04 12:00:00"):
            event = self._event("2025-03-04 16:00:00", londoner)
        form = Form(
            self.env["sms.reminder.composer"]
            .with_user(self.office)
            .with_context(active_model="calendar.event", active_id=event.id)
        )
        form.recipients = "both"
        self.assertIn("at 4:00 PM", form.preview)  # London
        self.assertIn("at 10:00 AM", form.preview)  # Chicago
        form.save().action_send()
        sms = self._reminders(event, kind="manual_reminder")
        self.assertEqual(sms.mapped("number"), [CLIENT_LONDON, PRACTITIONER])

    def test_edited_text_is_sent_as_typed(self):
        with self._at("2025-03-04 12:00:00"):
            event = self._event("2025-03-04 16:00:00", self.client)
        form = self._composer(event)
        form.edit_body = True
        form.body = "See you soon!"
        self.assertIn("See you soon!", form.preview)
        composer = form.save()
        composer.action_send()
        self.assertEqual(
            self._reminders(event, kind="manual_reminder").body, "See you soon!"
        )
        self.assertEqual(composer.summary, "1 reminder(s) queued.")

    def test_edited_placeholders_need_a_template_editor(self):
        with self._at("2025-03-04 12:00:00"):
            event = self._event("2025-03-04 16:00:00", self.client)
        form = self._composer(event)
        form.edit_body = True
        form.body = "See you at {{ object.location.upper() }}!"
        self.assertIn("Mail Template Editor", form.preview)
        with self.assertRaises(AccessError):
            form.save().action_send()
        # An administrator may.
        admin_form = Form(
            self.env["sms.reminder.composer"].with_context(
                active_model="calendar.event", active_ids=event.ids
            )
        )
        admin_form.edit_body = True
        admin_form.body = "See you at {{ object.location.upper() }}!"
        admin_form.save().action_send()
        self.assertEqual(
            self._reminders(event, kind="manual_reminder").body,
            "See you at MAIN OFFICE!",
        )

    def test_invoices_prefill_the_pending_or_overdue_rule(self):
        invoice = self._post_invoice(date(2099, 1, 31))
        overdue = self._post_invoice(date(2020, 1, 31))
        self.assertEqual(self._composer(invoice).rule_id, self.invoice_rule)
        form = self._composer(invoice | overdue)
        self.assertEqual(form.rule_id, self.overdue_rule)
        form.save().action_send()
        sms = self._reminders(invoice | overdue, kind="manual_reminder")
        self.assertEqual(len(sms), 2)
        self.assertIn("$ 100.00 is still unpaid", sms[0].body)

    def test_vendor_bills_get_no_reminder(self):
        bill = self.env["account.move"].create(
            {"move_type": "in_invoice", "partner_id": self.client.id}
        )
        with self.assertRaises(UserError):
            self._composer(bill)

    def test_task_reminder_to_assignees_and_nobody_to_remind(self):
        project = self.env["project.project"].create({"name": "Intake"})
        task, lonely = self.env["project.task"].create(
            [
                {
                    "name": "Sign the form",
                    "project_id": project.id,
                    "partner_id": self.client.id,
                    "user_ids": [Command.set(self.practitioner.ids)],
                    "date_deadline": "2025-03-05 20:00:00",
                },
                {
                    "name": "Nobody",
                    "project_id": project.id,
                    "user_ids": [Command.clear()],
                },
            ]
        )
        form = self._composer(task | lonely)
        self.assertEqual(form.rule_id, self.task_rule)
        form.recipients = "both"
        composer = form.save()
        composer.action_send()
        sms = self._reminders(task, kind="manual_reminder")
        self.assertEqual(sms.partner_id, self.client | self.practitioner.partner_id)
        self.assertEqual(
            composer.summary,
            "2 reminder(s) queued. 1 document(s) have nobody to remind.",
        )

    def test_the_composer_shows_rendered_texts(self):
        with self._at("2025-03-04 12:00:00"):
            event = self._event("2025-03-04 16:00:00", self.client)
        form = self._composer(event)
        self.assertFalse(form.edit_body, "the template's text is not shown raw")
        self.assertIn("{{", form.body)
        self.assertIn(
            f"Reminder from {self.env.company.name}: "
            "Therapy on Mar 4, 2025 at 11:00 AM",
            form.preview,
        )
        self.assertNotIn("{{", form.preview)
        view = self.env.ref("text_messaging.sms_reminder_composer_view_form")
        self.assertIn('name="body" placeholder="Your reminder"', view.arch)
        self.assertIn('invisible="not edit_body"', view.arch)

    def test_the_organizer_is_not_named_to_himself(self):
        with self._at("2025-03-04 12:00:00"):
            event = self._event("2025-03-04 16:00:00", self.client)
        form = self._composer(event)
        form.recipients = "both"
        form.save().action_send()
        sms = self._reminders(event, kind="manual_reminder")
        to_client = sms.filtered(lambda s: s.partner_id == self.client)
        to_organizer = sms.filtered(
            lambda s: s.partner_id == self.practitioner.partner_id
        )
        self.assertEqual(
            to_client.body,
            f"Reminder from {self.env.company.name}: "
            "Therapy on Mar 4, 2025 at 11:00 AM, "
            "Main office, with Dr Bo.",
        )
        self.assertEqual(
            to_organizer.body,
            f"Reminder from {self.env.company.name}: "
            "Therapy on Mar 4, 2025 at 10:00 AM, Main office.",
            "Dr Bo is not told the session is with Dr Bo",
        )

    def test_task_without_deadline_and_closed_tasks(self):
        project = self.env["project.project"].create({"name": "Intake"})
        open_task, done_task = self.env["project.task"].create(
            [
                {
                    "name": "Call back",
                    "project_id": project.id,
                    "partner_id": self.client.id,
                },
                {
                    "name": "Sign the form",
                    "project_id": project.id,
                    "partner_id": self.client.id,
                    "date_deadline": "2025-03-05 20:00:00",
                    "state": "1_done",
                },
            ]
        )
        composer = self._composer(open_task).save()
        composer.action_send()
        self.assertEqual(
            self._reminders(open_task, kind="manual_reminder").body,
            f"Reminder from {self.env.company.name}: " "Call back (Intake).",
            "no 'is due on .' without a deadline",
        )
        with self.assertRaisesRegex(UserError, "open tasks only"):
            self._composer(done_task)

    def _post_invoice(self, due):
        move = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": self.client.id,
                "invoice_date": date(2020, 1, 1),
                "invoice_date_due": due,
                "invoice_line_ids": [
                    Command.create(
                        {
                            "name": "Session",
                            "quantity": 1,
                            "price_unit": 100.0,
                            "tax_ids": [Command.clear()],
                        }
                    )
                ],
            }
        )
        move.invoice_date_due = due
        move.action_post()
        return move
