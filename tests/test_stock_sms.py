"""Odoo's own SMS flows keep their contract with a gateway of ours as default.

Where Odoo sends at once (chatter SMS, composer "send now", ``force_send``,
``raise_exception``), the text reaches the provider once, at once, with the
notification states Odoo's own suites expect; where Odoo queues, our
dispatcher sends it. Companies that stay on Odoo IAP pay no query for us.
"""

import threading
from unittest.mock import patch

from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged
from odoo.tools import SQL, mute_logger

from .common import TextMessagingCase


@tagged("post_install", "-at_install")
class TestStockSms(TextMessagingCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.twilio = cls._gateway("twilio", is_default=True)
        cls.employee = new_test_user(
            cls.env,
            login="stock_sms_employee",
            groups="base.group_user,base.group_partner_manager",
        )
        cls.dispatch_cron = cls.env.ref(
            "text_messaging.ir_cron_text_messaging_dispatch"
        )

    def _triggers(self):
        return self.env["ir.cron.trigger"].search(
            [("cron_id", "=", self.dispatch_cron.id)]
        )

    def _sms_of(self, message):
        return self.env["sms.sms"].search([("mail_message_id", "=", message.id)])

    def _notification_of(self, message):
        return self.env["mail.notification"].search(
            [("mail_message_id", "=", message.id), ("notification_type", "=", "sms")]
        )

    def test_chatter_sms_is_sent_at_once(self):
        partner = self.partner.with_user(self.employee)
        message = partner._message_sms("Your order is ready.")
        received = self.fake.messages("twilio")
        self.assertEqual(
            [(m["to"], m["body"]) for m in received],
            [("+12015550001", "Your order is ready.")],
        )
        sms = self._sms_of(message)
        self.assertRecordValues(
            sms,
            [{"state": "pending", "gateway_id": self.twilio.id, "to_delete": False}],
        )
        self.assertTrue(sms.provider_message_id)
        self.assertEqual(self._notification_of(message).notification_status, "pending")
        # The dispatcher finds nothing left to send.
        self._dispatch()
        self.assertEqual(len(self.fake.messages("twilio")), 1)

    def test_composer_send_now_as_an_employee(self):
        composer = (
            self.env["sms.composer"]
            .with_user(self.employee)
            .with_context(
                default_res_model="res.partner", default_res_id=self.partner.id
            )
            .create({"body": "Composer says hi."})
        )
        self.assertEqual(composer.composition_mode, "comment")
        messages = composer._action_send_sms()
        self.assertEqual(self.fake.count_to("+12015550001"), 1)
        self.assertEqual(self._sms_of(messages).state, "pending")
        self.assertEqual(self._notification_of(messages).notification_status, "pending")

    def test_composer_mass_queue_goes_to_the_dispatcher(self):
        other = self.env["res.partner"].create({"name": "Bob", "phone": "+12015550002"})
        partners = self.partner | other
        triggers = self._triggers()
        composer = (
            self.env["sms.composer"]
            .with_context(
                default_composition_mode="mass",
                default_res_model="res.partner",
                default_res_ids=partners.ids,
            )
            .create({"body": "Mass hello", "mass_keep_log": True})
        )
        sms = composer._action_send_sms()
        self.assertEqual(set(sms.mapped("state")), {"outgoing"})
        self.assertEqual(self.fake.received, [], "queued: nothing sent yet")
        self.assertTrue(self._triggers() - triggers, "the dispatcher is woken up")
        self._dispatch()
        self.assertEqual(set(sms.mapped("state")), {"pending"})
        self.assertEqual(self.fake.count_to("+12015550001"), 1)
        self.assertEqual(self.fake.count_to("+12015550002"), 1)

    def test_composer_mass_send_now(self):
        composer = (
            self.env["sms.composer"]
            .with_user(self.employee)
            .with_context(
                default_composition_mode="mass",
                default_res_model="res.partner",
                default_res_ids=self.partner.ids,
            )
            .create({"body": "Mass now"})
        )
        composer.action_send_sms_mass_now()
        self.assertEqual(self.fake.count_to("+12015550001"), 1)
        sms = self.env["sms.sms"].search([("body", "=", "Mass now")])
        self.assertEqual(sms.state, "pending")

    def test_invalid_number_gets_odoo_notification_state(self):
        self.fake.errors["+12015550009"] = 21211
        self.partner.phone = "+12015550009"
        message = self.partner._message_sms("Hello")
        sms = self._sms_of(message)
        self.assertEqual(sms.state, "error")
        self.assertEqual(sms.failure_type, "sms_number_format")
        notification = self._notification_of(message)
        self.assertEqual(notification.notification_status, "exception")
        self.assertEqual(notification.failure_type, "sms_number_format")

    def test_raise_exception_on_a_gateway_failure(self):
        sms = self._queue(self.twilio, {"+12015550001": "hello"})
        self.fake.force(
            status=401, body={"code": 20003, "message": "Authenticate", "status": 401}
        )
        with self.assertRaisesRegex(UserError, "Fake twilio could not send"):
            sms.send(raise_exception=True)
        self.assertEqual(len(self.fake.received), 1, "it was tried at once")

    def test_without_raise_exception_the_failure_is_stored(self):
        sms = self._queue(self.twilio, {"+12015550001": "hello"})
        self.fake.force(
            status=401, body={"code": 20003, "message": "Authenticate", "status": 401}
        )
        sms.send(raise_exception=False)
        self.assertEqual(sms.state, "error")
        self.assertEqual(sms.failure_type, "tm_authentication")

    def _break_gateway(self):
        # A provider code this version no longer knows (e.g. after an upgrade).
        self.env.cr.execute(
            SQL(
                "UPDATE sms_gateway SET provider = 'gone' WHERE id = %s", self.twilio.id
            )
        )
        self.twilio.invalidate_recordset(["provider"])

    @mute_logger("odoo.addons.text_messaging.models.sms_sms")
    def test_an_unexpected_error_does_not_break_the_chatter(self):
        self._break_gateway()
        message = self.partner._message_sms("Hello")
        sms = self._sms_of(message)
        self.assertEqual(sms.state, "unknown", "never re-sent silently")
        self.assertIn("may or may not have accepted", sms.failure_explanation)
        notification = self._notification_of(message)
        self.assertEqual(notification.notification_status, "exception")
        self._dispatch()
        self.assertEqual(self.fake.received, [])

    def test_an_unexpected_error_is_raised_when_asked(self):
        self._break_gateway()
        sms = self._queue(self.twilio, {"+12015550001": "hello"})
        with self.assertRaises(KeyError):
            sms.send(raise_exception=True)

    def test_send_now_does_not_commit_the_callers_transaction(self):
        # Outside tests the dispatcher commits; "send now" must not: a test
        # cursor refuses commits, so a commit here would raise.
        sms = self._queue(self.twilio, {"+12015550001": "hello"})
        thread = threading.current_thread()
        thread.testing = False
        try:
            sms.send()
        finally:
            thread.testing = True
        self.assertEqual(sms.state, "pending")

    def test_odoo_hourly_queue_leaves_our_rows_to_the_dispatcher(self):
        sms = self._queue(self.twilio, {"+12015550001": "hello"})
        triggers = self._triggers()
        # 19.0's queue commits its progress (ir.cron._commit_progress, a commit
        # outside a cron run), which a test cursor refuses; 18.0 has no such call.
        with patch.object(
            self.registry["ir.cron"],
            "_commit_progress",
            create=True,
            return_value=float("inf"),
        ):
            self.env["sms.sms"]._process_queue()
        self.assertEqual(sms.state, "outgoing")
        self.assertEqual(self.fake.received, [])
        self.assertTrue(self._triggers() - triggers)

    def test_employee_cannot_send_rows_directly(self):
        sms = self._queue(self.twilio, {"+12015550001": "hello"})
        with self.assertRaises(AccessError):
            sms.with_user(self.employee).send()
        self.assertEqual(self.fake.received, [])

    def test_demo_sandbox_as_default_records_stock_sms_visibly(self):
        sandbox = self.env.ref("text_messaging.sms_gateway_sandbox_demo")
        sandbox.is_default = True
        message = self.partner._message_sms("Through the sandbox")
        sms = self._sms_of(message)
        self.assertRecordValues(
            sms, [{"state": "pending", "gateway_id": sandbox.id, "to_delete": False}]
        )
        self.assertTrue(sms.provider_message_id.startswith("sandbox-"))
        self.assertEqual(self._notification_of(message).notification_status, "pending")


@tagged("post_install", "-at_install")
class TestStockSmsOnIap(TextMessagingCase):
    """Companies without a gateway of ours: no query, no dispatcher wake-up."""

    def test_no_query_to_decide_a_company_stays_on_iap(self):
        sms = self.env["sms.sms"].create({"number": "+12015550001", "body": "hi"})
        sms._may_use_our_gateways()  # fills the cache
        with self.assertQueryCount(0):
            self.assertFalse(sms._may_use_our_gateways())

    def test_create_does_not_wake_the_dispatcher(self):
        triggers = self._triggers()
        self.env["sms.sms"].create({"number": "+12015550001", "body": "hi"})
        self.assertFalse(self._triggers() - triggers)

    def test_a_new_default_gateway_is_seen_at_once(self):
        sms = self.env["sms.sms"].create({"number": "+12015550001", "body": "hi"})
        self.assertFalse(sms._may_use_our_gateways())
        gateway = self._gateway("twilio", is_default=True)
        self.assertTrue(sms._may_use_our_gateways())
        sms.send()
        self.assertEqual(sms.gateway_id, gateway)
        self.assertEqual(self.fake.count_to("+12015550001"), 1)
        gateway.is_default = False
        other = self.env["sms.sms"].create({"number": "+12015550002", "body": "hi"})
        self.assertFalse(other._may_use_our_gateways())

    @mute_logger("odoo.addons.sms.models.sms_sms")
    def test_another_companys_gateway_does_not_take_our_texts(self):
        other = self.env["res.company"].create({"name": "Other Clinic"})
        self._gateway("twilio", is_default=True, company_id=other.id)
        message = self.partner._message_sms("Through IAP")
        sms = self._sms_of(message)
        self.assertFalse(sms.gateway_id, "this company stays on Odoo IAP")
        self.assertEqual(self.fake.received, [])

    def _sms_of(self, message):
        return self.env["sms.sms"].search([("mail_message_id", "=", message.id)])

    def _triggers(self):
        cron = self.env.ref("text_messaging.ir_cron_text_messaging_dispatch")
        return self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)])
