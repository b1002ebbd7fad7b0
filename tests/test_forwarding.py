"""Received texts forwarded to staff mobile numbers, through the real Twilio
webhook over HTTP and the local fake provider."""

from datetime import timedelta
from unittest.mock import patch

from odoo import Command, fields
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import Form, HttpCase, new_test_user, tagged
from odoo.tools import mute_logger

from .common import TextMessagingCase

CLIENT = "+12015550101"
STRANGER = "+12015550199"
STAFF_1 = "+12015550180"
STAFF_2 = "+12015550181"
STAFF_B = "+12015550182"
OTHER_GATEWAY = "+12015550190"


@tagged("post_install", "-at_install")
class TestForwarding(TextMessagingCase, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.text_quiet_hours = False
        cls.twilio = cls._gateway("twilio", is_default=True)
        cls.twilio.write(cls.fake.webhook_credentials("twilio"))
        cls.client = cls.env["res.partner"].create(
            {"name": "Ada Client", "phone": "+1 201-555-0101"}
        )
        cls.admin_user = new_test_user(
            cls.env,
            login="tm_forward_admin",
            groups="base.group_user,text_messaging.group_text_messaging_manager",
        )
        cls.user = new_test_user(
            cls.env,
            login="tm_forward_user",
            groups="base.group_user,text_messaging.group_text_messaging_user",
        )
        # Set as a Text Messaging administrator does, in the gateway form.
        with Form(cls.twilio.with_user(cls.admin_user)) as gateway:
            gateway.forward_numbers = "+1 201-555-0180\n(201) 555-0181, +12015550180"

    def _text_in(self, number, body, gateway=None):
        """POST a text from ``number`` to the inbound webhook of ``gateway``
        (Twilio by default), signed as its provider signs."""
        gateway = (gateway or self.twilio).sudo()
        path = f"/text_messaging/webhook/{gateway.id}/{gateway.webhook_token}/inbound"
        headers, payload = self.fake.inbound_callback(
            gateway.provider,
            number,
            body,
            gateway.inbound_webhook_url,
            to=gateway.sender,
        )
        response = self.url_open(
            self.base_url() + path, data=payload, headers=headers, allow_redirects=False
        )
        self.assertEqual(response.status_code, 200, response.text)
        inbound = self.env["sms.inbound"].search(
            [("number", "=", number), ("body", "=", body)], limit=1
        )
        self.assertTrue(inbound, "the received text is stored")
        return inbound

    def _forwards(self, inbound):
        return self.env["sms.sms"].search(
            [("forward_of_id", "=", inbound.id)], order="number"
        )

    def test_forward_to_two_staff_numbers(self):
        inbound = self._text_in(CLIENT, "Running 5 min late, sorry!")
        self.assertEqual(inbound.partner_id, self.client)
        forwards = self._forwards(inbound)
        body = "From Ada Client (+12015550101): Running 5 min late, sorry!"
        self.assertRecordValues(
            forwards,
            [
                {"number": number, "body": body, "kind": "forward"}
                | {"gateway_id": self.twilio.id, "state": "outgoing"}
                for number in (STAFF_1, STAFF_2)
            ],
        )
        self.assertEqual(inbound.forward_ids, forwards)
        self._dispatch()
        self.assertEqual(set(forwards.mapped("state")), {"pending"})
        sent = {m["to"]: m for m in self.fake.messages("twilio")}
        self.assertEqual(set(sent), {STAFF_1, STAFF_2}, "each staff number once")
        for number in (STAFF_1, STAFF_2):
            self.assertEqual(sent[number]["body"], body)
            self.assertEqual(sent[number]["from"], self.twilio.sender)
        # History counts them as what they are.
        self.assertEqual(forwards.mapped("segments"), [1, 1])
        self.assertIn("Running 5 min late", self.client.message_ids[0].body)

    def test_unknown_number_is_named_by_its_number(self):
        inbound = self._text_in(STRANGER, "Who is this?")
        self.assertFalse(inbound.partner_id)
        self.assertEqual(
            set(self._forwards(inbound).mapped("body")),
            {"From +12015550199: Who is this?"},
        )

    def test_no_loop_when_a_staff_number_texts_in(self):
        inbound = self._text_in(STAFF_1, "From Ada Client (+12015550101): hi")
        self.assertFalse(self._forwards(inbound), "not to itself, nor to the others")
        self.assertFalse(self.env["sms.sms"].search([("kind", "=", "forward")]))
        self._dispatch()
        self.assertFalse(self.fake.messages("twilio"))

    def test_no_forward_of_a_forward_from_another_gateway(self):
        other = self._gateway("sandbox", sender=OTHER_GATEWAY, name="Second line")
        with (
            self.assertRaisesRegex(ValidationError, "number of a gateway"),
            self.env.cr.savepoint(),
        ):
            self.twilio.forward_numbers = f"{STAFF_1}\n{OTHER_GATEWAY}"
        self.twilio.invalidate_recordset()
        self.assertEqual(self.twilio._forward_targets(), [STAFF_1, STAFF_2])
        # A forward that comes back from one of our own numbers stops there.
        inbound = self._text_in(OTHER_GATEWAY, "From +12015550199: hello")
        self.assertFalse(self._forwards(inbound))
        self.assertTrue(other.exists())

    def test_keywords_keep_their_meaning_and_are_not_forwarded(self):
        stop = self._text_in(CLIENT, "STOP")
        self.assertEqual(stop.keyword, "stop")
        self.assertFalse(self._forwards(stop))
        self.assertEqual(stop.reply_ids.kind, "keyword", "the STOP confirmation")
        helped = self._text_in(STRANGER, "HELP")
        self.assertFalse(self._forwards(helped))

    def test_answers_to_a_reminder_question_are_not_forwarded(self):
        start = fields.Datetime.now() + timedelta(hours=3)
        event = self.env["calendar.event"].create(
            {
                "name": "Therapy",
                "start": start,
                "stop": start + timedelta(hours=1),
                "partner_ids": [Command.set(self.client.ids)],
            }
        )
        self.env["sms.reminder.question"].create(
            {
                "number": CLIENT,
                "event_id": event.id,
                "attendee_id": event.attendee_ids[0].id,
                "company_id": self.company.id,
                "occurrence": event.start,
                "expires_at": event.start,
            }
        )
        answer = self._text_in(CLIENT, "C")
        self.assertEqual(event.attendee_ids.state, "accepted")
        self.assertFalse(self._forwards(answer), "the practitioner is told instead")
        # The same word with no open question is an ordinary text.
        again = self._text_in(STRANGER, "C")
        self.assertEqual(len(self._forwards(again)), 2)

    def test_a_failing_forward_keeps_the_inbound(self):
        self.fake.errors[STAFF_2] = 21612  # not reachable by SMS
        inbound = self._text_in(CLIENT, "Can I come at 4?")
        self._dispatch()
        ok, failed = self._forwards(inbound)
        self.assertEqual(ok.state, "pending")
        self.assertEqual(failed.state, "error")
        self.assertTrue(failed.failure_explanation)
        self.assertTrue(inbound.exists())
        self.assertIn("Can I come at 4?", self.client.message_ids[0].body)

    def test_forwarding_that_breaks_loses_nothing(self):
        model = type(self.env["sms.inbound"])
        with (
            patch.object(model, "_forward_to_staff", side_effect=RuntimeError("boom")),
            mute_logger("odoo.addons.text_messaging.models.sms_inbound_forward"),
        ):
            inbound = self._text_in(CLIENT, "Still on for today?")
        self.assertFalse(self._forwards(inbound))
        self.assertEqual(inbound.partner_id, self.client)
        self.assertIn("Still on for today?", self.client.message_ids[0].body)

    def test_long_text_is_forwarded_shortened(self):
        self.twilio.max_segments = 2
        body = "I wanted to ask about my next session. " * 20
        inbound = self._text_in(CLIENT, body.strip())
        forward = self._forwards(inbound)[0]
        self.assertLessEqual(forward.segments, 2)
        self.assertTrue(forward.body.startswith("From Ada Client (+12015550101): I"))
        self.assertTrue(forward.body.endswith("(Shortened: the full text is in Odoo.)"))
        self._dispatch()
        self.assertEqual(forward.state, "pending", "within the gateway's maximum")

    def test_only_text_messaging_administrators_see_staff_numbers(self):
        gateway = self.twilio.with_user(self.user)
        with self.assertRaises(AccessError):
            gateway.read(["forward_numbers"])
        with self.assertRaisesRegex(ValidationError, "not a valid mobile number"):
            self.twilio.with_user(self.admin_user).forward_numbers = "12345"

    def test_a_second_company_forwards_through_its_own_gateway(self):
        company_b = self.env["res.company"].create(
            {"name": "Clinic B", "country_id": self.env.ref("base.us").id}
        )
        telnyx = self._gateway("telnyx", company_id=company_b.id, is_default=True)
        telnyx.write(
            {**self.fake.webhook_credentials("telnyx"), "forward_numbers": STAFF_B}
        )
        inbound = self._text_in(STRANGER, "Is Clinic B open on Sunday?", telnyx)
        self.assertEqual(inbound.company_id, company_b)
        forward = self._forwards(inbound)
        self.assertRecordValues(
            forward,
            [
                {
                    "number": STAFF_B,
                    "gateway_id": telnyx.id,
                    "company_id": company_b.id,
                    "body": "From +12015550199: Is Clinic B open on Sunday?",
                }
            ],
        )
        self._dispatch()
        self.assertEqual(forward.state, "pending")
        self.assertEqual([m["to"] for m in self.fake.messages("telnyx")], [STAFF_B])
        self.assertFalse(self.fake.messages("twilio"), "company A's staff: nothing")
