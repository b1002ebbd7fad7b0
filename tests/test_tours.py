from odoo.tests import HttpCase, tagged

from .common import TextMessagingCase


@tagged("post_install", "-at_install")
class TestTours(TextMessagingCase, HttpCase):
    """The app tried in headless Chromium, on the clinic demo data: each tour
    clicks through the screens, then the database says what really happened."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sandbox = cls.env.ref("text_messaging.sms_gateway_sandbox_demo")
        # TextMessagingCase takes the default away from the demo sandbox.
        cls.sandbox.is_default = True
        cls.olivia = cls.env.ref("text_messaging.res_partner_olivia_demo")
        cls.noah = cls.env.ref("text_messaging.res_partner_noah_demo")

    def test_configure_and_test_a_gateway(self):
        gateway = self._gateway(
            "twilio", name="Tour Twilio", account_sid=False, auth_token=False
        )
        self.start_tour("/odoo", "text_messaging_gateway_tour", login="admin")
        self.assertEqual(gateway.account_sid, "AC0f1e2d3c4b5a69788796a5b4c3d2e1f0")
        self.assertTrue(
            [r for r in self.fake.received if r.provider == "twilio"],
            "Test connection called the provider",
        )

    def test_send_a_custom_text_and_find_it_in_history(self):
        self.start_tour("/odoo", "text_messaging_custom_text_tour", login="demo")
        sms = self.env["sms.sms"].search(
            [("partner_id", "=", self.olivia.id), ("body", "ilike", "knee brace")]
        )
        self.assertEqual(len(sms), 1)
        self.assertEqual(sms.kind, "custom")
        self.assertEqual(sms.number, "+12125550141")
        self.assertEqual(sms.create_uid, self.env.ref("base.user_demo"))

    def test_manual_reminder_from_the_invoice_list(self):
        invoice = self.env.ref("text_messaging.account_move_i1_demo")
        self.start_tour("/odoo", "text_messaging_invoice_reminder_tour", login="admin")
        sms = self.env["sms.sms"].search(
            [("kind", "=", "manual_reminder"), ("partner_id", "=", self.noah.id)]
        )
        self.assertEqual(len(sms), 1)
        self.assertIn(invoice.name, sms.body)
        self.assertIn("is due on", sms.body)
        self.assertNotIn("{{", sms.body)

    def test_reply_stop_from_the_sandbox_phone(self):
        self.assertFalse(self.olivia.text_opted_out)
        self.start_tour("/odoo", "text_messaging_sandbox_phone_tour", login="admin")
        inbound = self.env["sms.inbound"].search(
            [("number", "=", "+12125550141")], order="id"
        )
        self.assertEqual(
            inbound.mapped("body"), ["Running 5 minutes late, sorry!", "STOP"]
        )
        self.assertEqual(inbound.partner_id, self.olivia)
        self.assertEqual(inbound[-1].keyword, "stop")
        self.olivia.invalidate_recordset(["text_opted_out"])
        self.assertTrue(self.olivia.text_opted_out)

    def test_mass_message_to_done(self):
        self.start_tour("/odoo", "text_messaging_mass_message_tour", login="admin")
        message = self.env["sms.mass.message"].search(
            [("name", "=", "Closed on Monday")]
        )
        self.assertEqual(message.state, "sending")
        # What the crons do in production: queue the recipients, dispatch.
        self.env["sms.mass.message"]._cron_enqueue()
        self._dispatch()
        self.assertEqual(message.state, "done")
        self.start_tour("/odoo", "text_messaging_mass_message_done_tour", login="admin")
        message.invalidate_recordset()
        self.assertEqual(message.sent_count, 17)
        self.assertEqual(message.skipped_count, 1, "Henry opted out")
