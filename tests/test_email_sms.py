"""The SMS via email gateway: a text sent as an email to the carrier's
address, through Odoo's outgoing mail server, received by a local SMTP sink."""

from email import message_from_bytes, policy
from unittest.mock import patch

from odoo import modules
from odoo.tests import Form, new_test_user

from .common import TextMessagingCase
from .smtp_sink import SmtpSink


class TestEmailSms(TextMessagingCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sink = SmtpSink().start()
        cls.addClassCleanup(cls.sink.stop)
        cls.env["ir.mail_server"].search([]).write({"active": False})
        cls.env["ir.mail_server"].create(
            {
                "name": "Test sink",
                "smtp_host": "127.0.0.1",
                "smtp_port": cls.sink.port,
                "smtp_encryption": "none",
            }
        )
        cls.gateway = cls.env["sms.gateway"].create(
            {
                "name": "Carriers",
                "provider": "email_sms",
                "company_id": cls.company.id,
                "sender": "frontdesk@clinic.example.com",
                "is_default": True,
                "rate_limit": 0,
            }
        )
        cls.verizon = cls.env.ref("text_messaging.sms_carrier_verizon")
        cls.partner.text_carrier_id = cls.verizon
        cls.employee = new_test_user(
            cls.env,
            login="tm_email_sms_employee",
            groups="base.group_user,text_messaging.group_text_messaging_user",
        )

    def setUp(self):
        super().setUp()
        self.sink.messages.clear()

    def _send(self, partner, body):
        form = Form(self.env["sms.custom.message"].with_user(self.employee))
        form.partner_ids.add(partner)
        form.body = body
        wizard = form.save()
        wizard.action_send()
        return wizard.sms_ids

    def _dispatch_for_real(self):
        # Odoo sends no email under tests: let this one reach the sink.
        with patch.object(modules.module, "current_test", False):
            self._dispatch()

    def test_text_arrives_at_the_carrier_address(self):
        sms = self._send(self.partner, "Your glasses are ready. Ada's Optics")
        self._dispatch_for_real()
        self.assertEqual(sms.state, "sent", sms.failure_explanation)
        self.assertIn("no delivery report", sms.failure_explanation)
        self.assertTrue(sms.provider_message_id.startswith("email-"))
        (received,) = self.sink.messages
        self.assertEqual(received["to"], ["2015550001@vtext.com"])
        self.assertEqual(received["from"], "frontdesk@clinic.example.com")
        email = message_from_bytes(received["data"], policy=policy.default)
        body = email.get_body(("plain", "html")).get_content()
        self.assertIn("Your glasses are ready. Ada's Optics", body)

    def test_refusals_are_explained_and_nothing_is_mailed(self):
        no_carrier = self.env["res.partner"].create(
            {
                "name": "Bo",
                "phone": "+12015550002",
                "country_id": self.company.country_id.id,
            }
        )
        french = self.env["res.partner"].create(
            {
                "name": "Zoé",
                "phone": "+33612345678",
                "text_carrier_id": self.verizon.id,
            }
        )
        missing = self._send(no_carrier, "Hello")
        abroad = self._send(french, "Bonjour")
        too_long = self._send(self.partner, "x" * 161)
        self._dispatch_for_real()
        self.assertEqual(missing.state, "error")
        self.assertIn("no mobile carrier", missing.failure_explanation)
        self.assertEqual(abroad.state, "error")
        self.assertIn("only US and Canadian", abroad.failure_explanation)
        self.assertEqual(too_long.state, "error")
        self.assertIn("at most 160 characters", too_long.failure_explanation)
        self.assertEqual(self.sink.messages, [])

    def test_mail_server_refusal_is_explained(self):
        self.sink.refuse.add("2015550001@vtext.com")
        sms = self._send(self.partner, "Hello")
        self._dispatch_for_real()
        self.assertIn(sms.state, ("error", "outgoing"))
        self.assertIn("refused the email", sms.failure_explanation)
        self.sink.refuse.clear()
