"""Chatter messages texted to the contacts whose delivery preference includes
texts, sent by an ordinary employee, through the local fake provider."""

import base64
from datetime import timedelta

from markupsafe import Markup

from odoo import Command, fields
from odoo.tests import new_test_user, tagged

from .common import TextMessagingCase

EMAIL_ONLY = "+12015550111"
TEXT_ONLY = "+12015550112"
BOTH = "+12015550113"


@tagged("post_install", "-at_install")
class TestDeliveryPreference(TextMessagingCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.text_quiet_hours = False
        cls.twilio = cls._gateway("twilio", is_default=True)
        cls.employee = new_test_user(
            cls.env,
            login="tm_chatter_employee",
            name="Dana Staff",
            email="dana@example.com",
            groups="base.group_user,text_messaging.group_text_messaging_user",
        )
        us = cls.env.ref("base.us").id
        cls.email_only, cls.text_only, cls.both = cls.env["res.partner"].create(
            [
                {
                    "name": name,
                    "email": f"{name.split()[0].lower()}@example.com",
                    "phone": number,
                    "country_id": us,
                    "text_reminders_allowed": True,
                    "text_delivery": delivery,
                }
                for name, number, delivery in (
                    ("Emma Email", EMAIL_ONLY, "email"),
                    ("Tom Text", TEXT_ONLY, "text"),
                    ("Bea Both", BOTH, "both"),
                )
            ]
        )
        cls.customers = cls.email_only | cls.text_only | cls.both
        start = fields.Datetime.now().replace(microsecond=0)
        cls.event = (
            cls.env["calendar.event"]
            .with_user(cls.employee)
            .create(
                {
                    "name": "Knee follow-up",
                    "start": start,
                    "stop": start + timedelta(hours=1),
                    "partner_ids": [Command.set(cls.customers.ids)],
                }
            )
        )

    def _send_message(self, body, record=None, **kwargs):
        """Send message (not Log note) as the employee, to the customers."""
        record = (record or self.event).with_user(self.employee)
        return record.message_post(
            body=body,
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
            partner_ids=self.customers.ids,
            **kwargs,
        )

    def _texts(self, message):
        return self.env["sms.sms"].search(
            [("mail_message_id", "=", message.id)], order="number"
        )

    def _emailed(self, message):
        return message.notification_ids.filtered(
            lambda n: n.notification_type == "email"
        ).res_partner_id

    def test_default_is_email_only(self):
        self.assertEqual(
            self.env["res.partner"].create({"name": "New"}).text_delivery, "email"
        )

    def test_each_preference_as_an_employee(self):
        message = self._send_message(Markup("<p>Your <b>X-ray</b> results are in.</p>"))
        texts = self._texts(message)
        self.assertRecordValues(
            texts,
            [
                {"partner_id": partner.id, "number": number, "kind": "chatter"}
                | {"body": "Your *X-ray* results are in.", "segments": 1}
                | {"gateway_id": self.twilio.id, "state": "pending"}
                for partner, number in ((self.text_only, TEXT_ONLY), (self.both, BOTH))
            ],
        )
        self.assertEqual(
            {m["to"] for m in self.fake.messages("twilio")}, {TEXT_ONLY, BOTH}
        )
        # Email only and Text and email get the email; Text only does not.
        self.assertEqual(self._emailed(message), self.email_only | self.both)
        # Text only: Odoo's SMS notification (the icon on the message) replaces
        # the email; Text and email keeps its email notification.
        sms_notified = message.notification_ids.filtered(
            lambda n: n.notification_type == "sms"
        )
        self.assertEqual(sms_notified.res_partner_id, self.text_only)
        self.assertEqual(sms_notified.notification_status, "pending")
        # History names who sent it and from where.
        self.assertEqual(texts.create_uid, self.employee)
        self.assertEqual(set(texts.mapped("res_model")), {"calendar.event"})

    def test_log_note_is_never_texted(self):
        message = self.event.with_user(self.employee).message_post(
            body="Internal: check the X-ray again",
            message_type="comment",
            subtype_xmlid="mail.mt_note",
            partner_ids=self.customers.ids,
        )
        self.assertFalse(self._texts(message))
        self.assertFalse(self.fake.messages())

    def test_without_permission_or_opted_out_the_email_goes(self):
        self.text_only.text_reminders_allowed = False  # e.g. off in the portal
        self.env["phone.blacklist"].sudo()._add([BOTH])
        message = self._send_message("See you Monday")
        self.assertFalse(self._texts(message))
        self.assertEqual(self._emailed(message), self.customers, "nothing is lost")

    def test_followers_without_addressing_them(self):
        start = fields.Datetime.now().replace(microsecond=0) + timedelta(days=1)
        event = (
            self.env["calendar.event"]
            .with_user(self.employee)
            .create({"name": "Group class", "start": start, "stop": start})
        )
        event.message_subscribe(partner_ids=self.customers.ids)
        message = event.with_user(self.employee).message_post(
            body="We moved to 5 Main St.",
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
        )
        self.assertEqual(self._texts(message).partner_id, self.text_only | self.both)
        self.assertEqual(self._emailed(message), self.email_only | self.both)

    def test_long_body_is_clipped_with_a_note(self):
        self.twilio.max_segments = 2
        body = Markup("<p>%s</p>") % ("Please bring your previous reports. " * 30)
        message = self._send_message(body)
        texts = self._texts(message)
        self.assertEqual(len(texts), 2)
        for sms in texts:
            self.assertLessEqual(sms.segments, 2)
            self.assertTrue(sms.body.startswith("Please bring your previous"))
            self.assertTrue(
                sms.body.endswith("(Shortened: ask us for the full message.)")
            )
            self.assertEqual(sms.state, "pending")

    def test_attachments_are_not_texted(self):
        # As the composer uploads it, as the employee.
        attachment = (
            self.env["ir.attachment"]
            .with_user(self.employee)
            .create(
                {
                    "name": "exercises.pdf",
                    "datas": base64.b64encode(b"%PDF-1.4 exercises"),
                    "res_model": "mail.compose.message",
                    "res_id": 0,
                }
            )
        )
        message = self._send_message("Your exercises", attachment_ids=attachment.ids)
        texts = self._texts(message)
        self.assertEqual(texts.partner_id, self.text_only | self.both)
        self.assertEqual(
            set(texts.mapped("body")),
            {"(1 attachment(s) sent by email, not by text.)\nYour exercises"},
        )
        # A text cannot carry the file: Text only contacts get the email too.
        self.assertEqual(self._emailed(message), self.customers)
