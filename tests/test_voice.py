"""Channels of a send: text-to-speech calls through the fake provider (real
HTTP), their signed status callbacks through the webhooks, call forwarding,
email as a channel and as the fallback of a text, as an ordinary employee."""

from datetime import datetime
from unittest.mock import patch

from odoo import fields
from odoo.exceptions import AccessError
from odoo.tests import Form, HttpCase, new_test_user, tagged
from odoo.tools import mute_logger

from .common import TextMessagingCase

BOB = "+12015550002"
CONTROLLER_LOGGER = "odoo.addons.text_messaging.controllers.voice"


@tagged("post_install", "-at_install")
class TestVoiceAndEmail(TextMessagingCase, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.email = "clinic@example.com"
        cls.twilio = cls._gateway(
            "twilio",
            is_default=True,
            cost_per_minute=0.02,
            voice_forward_number="+12125550199",
            **cls.fake.webhook_credentials("twilio"),
        )
        cls.bob = cls.env["res.partner"].create(
            {
                "name": "Bob Second",
                "phone": BOB,
                "email": "bob@example.com",
                "lang": "en_US",
            }
        )
        cls.mia = cls.env["res.partner"].create(
            {"name": "Mia Missing", "email": "mia@example.com"}
        )
        cls.employee = new_test_user(
            cls.env,
            login="tm_voice_employee",
            groups="base.group_user,text_messaging.group_text_messaging_user",
        )

    # ------------------------------------------------------------ helpers --

    def _call_row(self, gateway=None, number=BOB, partner=None, **values):
        return self.env["sms.sms"].create(
            {
                "number": number,
                "partner_id": (partner or self.bob).id,
                "body": "Your session is tomorrow at 10:00.",
                "gateway_id": (gateway or self.twilio).id,
                "channel": "voice",
                **values,
            }
        )

    def _voice_urls(self, gateway, kind, query=""):
        """(URL the provider was given and signs, URL of this test server)."""
        token = gateway.sudo().webhook_token
        path = f"/text_messaging/webhook/{gateway.id}/{token}/voice/{kind}{query}"
        return gateway._webhook_prefix() + f"/voice/{kind}{query}", (
            self.base_url() + path
        )

    def _post(self, url, headers, body):
        return self.url_open(url, data=body, headers=headers, allow_redirects=False)

    def _call_callback(self, gateway, call_id, status, **options):
        signed_url, url = self._voice_urls(gateway, "status")
        headers, body = self.fake.call_callback(
            gateway.provider, call_id, status, signed_url, **options
        )
        return self._post(url, headers, body)

    # ---------------------------------------------------------- one send --

    def test_one_send_with_all_three_channels_as_an_employee(self):
        form = Form(self.env["sms.custom.message"].with_user(self.employee))
        form.partner_ids.add(self.bob)
        form.body = "Hello {{ object.name }}, see you tomorrow."
        form.channel_voice = True
        form.channel_email = True
        wizard = form.save()
        wizard.action_send()
        rows = wizard.sms_ids
        self.assertEqual(sorted(rows.mapped("channel")), ["email", "text", "voice"])
        self.assertEqual(set(rows.mapped("create_uid")), {self.employee})
        self.assertEqual(
            set(rows.mapped("body")), {"Hello Bob Second, see you tomorrow."}
        )

        self._dispatch()
        text, call, email = (
            rows.filtered(lambda s, c=c: s.channel == c)
            for c in ("text", "voice", "email")
        )
        self.assertEqual(text.state, "pending")
        self.assertEqual(call.state, "pending")
        self.assertTrue(call.provider_message_id.startswith("CA"))
        self.assertEqual(call.cost, 0, "a call costs once it ended")
        self.assertEqual(self.fake.count_to(BOB), 1, "one text")
        (placed,) = self.fake.calls("twilio")
        self.assertEqual(placed["to"], BOB)
        self.assertEqual(placed["body"], "Hello Bob Second, see you tomorrow.")
        self.assertEqual(placed["language"], "en-US")
        self.assertEqual(email.state, "pending")
        self.assertEqual(email.mail_mail_id.email_to, "bob@example.com")
        self.assertIn("see you tomorrow", email.mail_mail_id.body_html)
        # History per channel, as the employee sees it.
        history = self.env["sms.sms"].with_user(self.employee)
        groups = dict(
            history._read_group([("id", "in", rows.ids)], ["channel"], ["__count"])
        )
        self.assertEqual(groups, {"text": 1, "voice": 1, "email": 1})

    def test_opted_out_contact_is_not_called(self):
        self.env["phone.blacklist"].sudo().add(BOB)
        form = Form(self.env["sms.custom.message"].with_user(self.employee))
        form.partner_ids.add(self.bob)
        form.body = "Hello"
        form.channel_text = False
        form.channel_voice = True
        wizard = form.save()
        wizard.action_send()
        self.assertEqual(wizard.sms_ids.channel, "voice")
        self.assertEqual(wizard.sms_ids.state, "canceled")
        self.assertEqual(wizard.sms_ids.failure_type, "sms_blacklist")
        # A call queued by any other path is refused by the dispatcher too.
        call = self._call_row()
        self._dispatch()
        self.assertEqual((call.state, call.failure_type), ("error", "sms_blacklist"))
        self.assertFalse(self.fake.calls())

    def test_automated_call_waits_for_quiet_hours(self):
        self.company.partner_id.tz = "America/New_York"
        self.company.text_legal_quiet_hours = True
        call = self._call_row(kind="reminder")
        # 03:00 in New York: a reminder call waits for the morning.
        moment = datetime(2026, 12, 2, 8, 0)
        with patch.object(fields.Datetime, "now", lambda *a, **k: moment):
            self._dispatch()
        self.assertEqual(call.state, "outgoing")
        self.assertTrue(call.held_note)
        self.assertFalse(self.fake.calls())

    # ----------------------------------------------------- call callbacks --

    def test_call_status_machine_detection_and_cost_through_the_webhook(self):
        call = self._call_row()
        self._dispatch()
        self.assertEqual(call.state, "pending")
        response = self._call_callback(
            self.twilio,
            call.provider_message_id,
            "completed",
            duration=75,
            answered_by="machine_end_beep",
        )
        self.assertEqual(response.status_code, 200, response.text)
        self.assertRecordValues(
            call,
            [
                {
                    "state": "sent",
                    "call_status": "completed",
                    "call_duration": 75,
                    "answered_by": "machine",
                }
            ],
        )
        self.assertAlmostEqual(call.cost, 0.04, msg="2 started minutes at 0.02")
        self.assertIn("voicemail", call.failure_explanation)

    def test_forged_call_callback_changes_nothing(self):
        call = self._call_row()
        self._dispatch()
        with mute_logger(CONTROLLER_LOGGER):
            response = self._call_callback(
                self.twilio, call.provider_message_id, "completed", sign=False
            )
        self.assertEqual(response.status_code, 403)
        self.assertEqual((call.state, call.call_duration), ("pending", 0))

    def test_unanswered_call_is_explained(self):
        call = self._call_row()
        self._dispatch()
        response = self._call_callback(
            self.twilio, call.provider_message_id, "no-answer"
        )
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(
            (call.state, call.failure_type), ("error", "tm_call_not_answered")
        )
        self.assertIn("not answered", call.failure_explanation)

    def test_gateway_without_voice_refuses_with_an_explanation(self):
        clicksend = self._gateway("clicksend")
        call = self._call_row(gateway=clicksend)
        self._dispatch()
        self.assertEqual((call.state, call.failure_type), ("error", "tm_no_voice"))
        self.assertIn("cannot place calls", call.failure_explanation)
        self.assertFalse(self.fake.received)

    def test_plivo_fetches_the_spoken_text_at_the_answer_url(self):
        plivo = self._gateway("plivo", **self.fake.webhook_credentials("plivo"))
        self.env["res.lang"]._activate_lang("fr_FR")
        self.bob.lang = "fr_FR"
        call = self._call_row(gateway=plivo, body="Séance demain & à 10 h")
        self._dispatch()
        self.assertEqual(call.state, "pending", call.failure_explanation)
        (placed,) = self.fake.calls("plivo")
        answer_url = placed["record"].body["answer_url"]
        signed_url, url = self._voice_urls(plivo, "answer", f"?sms={call.uuid}")
        self.assertEqual(answer_url, signed_url)
        headers, body = self.fake.call_callback(
            "plivo",
            call.provider_message_id,
            "in-progress",
            signed_url,
            answered_by="machine",
        )
        response = self._post(url, headers, body)
        self.assertEqual(response.status_code, 200, response.text)
        self.assertIn("<Speak", response.text)
        self.assertIn("Séance demain &amp; à 10 h", response.text)
        self.assertIn('beep="true"', response.text, "voicemail: after the beep")
        self.assertIn('language="fr-FR"', response.text, "the contact's language")
        with mute_logger(CONTROLLER_LOGGER):
            forged = self._post(url, {}, body)
        self.assertEqual(forged.status_code, 403)

    # ------------------------------------------------------- forwarding --

    def test_calls_to_the_texting_number_are_forwarded(self):
        signed_url, url = self._voice_urls(self.twilio, "inbound")
        headers, body = self.fake.incoming_call("twilio", BOB, signed_url)
        response = self._post(url, headers, body)
        self.assertEqual(response.status_code, 200, response.text)
        self.assertIn("<Dial>+12125550199</Dial>", response.text)
        with mute_logger(CONTROLLER_LOGGER):
            forged = self._post(
                url, *self.fake.incoming_call("twilio", BOB, signed_url, sign=False)
            )
        self.assertEqual(forged.status_code, 403)
        self.twilio.voice_forward_number = False
        headers, body = self.fake.incoming_call("twilio", BOB, signed_url)
        self.assertIn("<Hangup/>", self._post(url, headers, body).text)

    def test_only_administrators_see_the_forward_number(self):
        gateway = self.twilio.with_user(self.employee)
        with self.assertRaises(AccessError):  # a Settings administrators' field
            self.assertFalse(gateway.voice_forward_number)

    # ------------------------------------------------------------ email --

    def test_email_fallback_for_a_contact_without_a_valid_number(self):
        form = Form(self.env["sms.custom.message"].with_user(self.employee))
        form.partner_ids.add(self.mia)
        form.body = "Hello"
        form.channel_email_fallback = True
        wizard = form.save()
        wizard.action_send()
        self.assertEqual(wizard.sms_ids.failure_type, "sms_number_missing")
        email = self.env["sms.sms"].search([("fallback_of_id", "=", wizard.sms_ids.id)])
        self.assertEqual(email.channel, "email")
        self.assertEqual(email.channel_note, "No valid mobile number: sent by email.")
        self._dispatch()
        self.assertEqual(email.state, "pending")
        self.assertEqual(email.mail_mail_id.email_to, "mia@example.com")

    def test_email_fallback_when_a_text_fails_for_good(self):
        self.fake.errors[BOB] = 21612  # Twilio: this To cannot be reached
        text = self.env["sms.sms"].create(
            {
                "number": BOB,
                "partner_id": self.bob.id,
                "body": "Hello",
                "gateway_id": self.twilio.id,
                "email_fallback": True,
            }
        )
        self._dispatch()
        self.assertEqual((text.state, text.failure_type), ("error", "tm_rejected"))
        email = self.env["sms.sms"].search([("fallback_of_id", "=", text.id)])
        self.assertEqual(len(email), 1)
        self.assertEqual(
            email.channel_note, "The text could not be delivered: sent by email."
        )
        self.assertEqual(email.state, "pending")
        self.assertEqual(email.mail_mail_id.email_to, "bob@example.com")
        text._tm_email_fallback()
        self.assertEqual(
            self.env["sms.sms"].search_count([("fallback_of_id", "=", text.id)]),
            1,
            "once per text",
        )

    def test_email_fallback_after_a_failed_delivery_report(self):
        text = self.env["sms.sms"].create(
            {
                "number": BOB,
                "partner_id": self.bob.id,
                "body": "Hello",
                "gateway_id": self.twilio.id,
                "email_fallback": True,
            }
        )
        self._dispatch()
        self.assertEqual(text.state, "pending")
        signed_url = self.twilio.sudo().status_webhook_url
        url = self.base_url() + signed_url.split(self.twilio.get_base_url(), 1)[1]
        headers, body = self.fake.status_callback(
            "twilio",
            text.provider_message_id,
            "undelivered",
            signed_url,
            error_code=30003,
        )
        response = self._post(url, headers, body)
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(text.state, "error")
        email = self.env["sms.sms"].search([("fallback_of_id", "=", text.id)])
        self.assertEqual(email.channel, "email")
        self.assertEqual(email.email_to, "bob@example.com")

    def test_no_fallback_unless_asked_and_no_email_to_blacklisted(self):
        text = self.env["sms.sms"].create(
            {"partner_id": self.mia.id, "body": "Hello", "gateway_id": self.twilio.id}
        )
        self._dispatch()
        self.assertEqual(text.failure_type, "sms_number_missing")
        self.assertFalse(self.env["sms.sms"].search([("fallback_of_id", "=", text.id)]))
        self.env["mail.blacklist"].sudo()._add("bob@example.com")
        email = self.env["sms.sms"].create(
            {
                "partner_id": self.bob.id,
                "body": "Hello",
                "channel": "email",
                "email_to": "Bob@Example.com",  # blacklisted as bob@example.com
            }
        )
        self._dispatch()
        self.assertEqual(email.failure_type, "tm_email_blacklist")
        self.assertFalse(email.mail_mail_id)
