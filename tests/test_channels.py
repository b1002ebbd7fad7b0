"""The channel choice on reminder rules and mass messages: one row per chosen
channel and recipient, with the same consent rules, sent by the dispatcher
(calls through the fake provider, emails through Odoo's mail queue)."""

from odoo.tests import Form, tagged

from .common import TextMessagingCase
from .test_reminders import CLIENT, ReminderCase


@tagged("post_install", "-at_install")
class TestReminderChannels(ReminderCase):
    def test_a_rule_texts_calls_and_emails_its_clients(self):
        self.client.email = "ada@example.com"
        nora = self._client(
            "Nora No Consent",
            "+12015550166",
            "America/New_York",
            allowed=False,
            email="nora@example.com",
        )
        self._switch_on(
            self.session_rule,
            "2025-03-04 13:00:00",
            channel_voice=True,
            channel_email=True,
        )
        with self._at("2025-03-04 12:00:00"):
            event = self._event("2025-03-04 16:00:00", self.client | nora)
        self._run("2025-03-04 14:01:00")
        rows = self._reminders(event)
        by_key = {(row.partner_id, row.channel): row for row in rows}
        self.assertEqual(len(rows), 6, "3 channels x 2 clients")
        for channel in ("text", "voice", "email"):
            self.assertEqual(by_key[self.client, channel].state, "outgoing")
            self.assertRecordValues(
                by_key[nora, channel],
                [{"state": "canceled", "failure_type": "tm_no_consent"}],
            )
        # The reminder log keeps its one text per recipient.
        log = self.env["sms.reminder.log"].search([("res_id", "=", event.id)])
        self.assertEqual(set(log.sms_id.mapped("channel")), {"text"})
        self._dispatch()
        self.assertEqual(self.fake.count_to(CLIENT), 1)
        self.assertEqual([call["to"] for call in self.fake.calls("twilio")], [CLIENT])
        email = by_key[self.client, "email"]
        self.assertEqual(email.state, "pending")
        self.assertEqual(email.mail_mail_id.email_to, "ada@example.com")

    def test_a_rule_without_channels_is_refused(self):
        with self.assertRaisesRegex(Exception, "at least one channel"):
            self.session_rule.channel_text = False
            self.session_rule.flush_recordset()


@tagged("post_install", "-at_install")
class TestMassMessageChannels(TextMessagingCase):
    def test_mass_message_by_text_and_call_with_email_fallback(self):
        sandbox = self._gateway("sandbox", is_default=True)
        tag = self.env["res.partner.category"].create({"name": "TM Channels"})
        partners = self.env["res.partner"].create(
            [
                {"name": "C ok", "phone": "+12015558101", "category_id": tag.ids},
                {
                    "name": "C no number",
                    "email": "c@example.com",
                    "category_id": tag.ids,
                },
            ]
        )
        form = Form(self.env["sms.mass.message"])
        form.name = "Closed on Monday"
        form.category_ids.add(tag)
        form.body = "We are closed on Monday."
        form.gateway_id = sandbox
        form.channel_voice = True
        form.channel_email_fallback = True
        message = form.save()
        message.action_review()
        message.action_send()
        while message.state == "sending":
            self.env["sms.mass.message"]._cron_enqueue()
        rows = self.env["sms.sms"].search([("mass_message_id", "=", message.id)])
        summary = sorted(
            (row.partner_id.name, row.channel, row.state, row.failure_type or "")
            for row in rows
        )
        self.assertEqual(
            summary,
            [
                ("C no number", "email", "outgoing", ""),
                ("C no number", "text", "canceled", "sms_number_missing"),
                ("C no number", "voice", "canceled", "sms_number_missing"),
                ("C ok", "text", "outgoing", ""),
                ("C ok", "voice", "outgoing", ""),
            ],
        )
        self._dispatch()
        call = rows.filtered(
            lambda row: row.channel == "voice" and row.partner_id == partners[0]
        )
        self.assertEqual(call.state, "pending")
        self.assertTrue(call.provider_message_id.startswith("sandbox-call-"))
        email = rows.filtered(lambda row: row.channel == "email")
        self.assertEqual(email.channel_note, "No valid mobile number: sent by email.")
        self.assertEqual(email.state, "pending")
