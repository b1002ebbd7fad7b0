from datetime import timedelta

from odoo import fields
from odoo.tests import tagged

from .common import TextMessagingCase


@tagged("post_install", "-at_install")
class TestDispatcher(TextMessagingCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.twilio = cls._gateway("twilio", is_default=True)
        cls.clicksend = cls._gateway("clicksend")

    def test_twilio_sends_each_message_exactly_once(self):
        sms = self._queue(
            self.twilio,
            {
                "+12015550001": "Your session is tomorrow at 10:00.",
                "(201) 555-0002": "Rappel : séance demain 🙂",
                "+12015550003": "x" * 161,
            },
        )
        self._dispatch()
        received = self.fake.messages("twilio")
        self.assertEqual(
            sorted((m["to"], m["from"], m["body"]) for m in received),
            sorted(
                [
                    ("+12015550001", "+15005550006", sms[0].body),
                    ("+12015550002", "+15005550006", sms[1].body),
                    ("+12015550003", "+15005550006", sms[2].body),
                ]
            ),
        )
        self.assertRecordValues(
            sms,
            [
                {"state": "pending", "attempts": 1, "segments": 1, "encoding": "gsm7"},
                {"state": "pending", "attempts": 1, "segments": 1, "encoding": "ucs2"},
                {"state": "pending", "attempts": 1, "segments": 2, "encoding": "gsm7"},
            ],
        )
        self.assertEqual(sms.mapped("cost"), [0.05, 0.05, 0.10])
        self.assertTrue(all(s.provider_message_id.startswith("SM") for s in sms))
        self.assertFalse(any(sms.mapped("to_delete")), "history is kept")
        # Another run of the dispatcher sends nothing again.
        self._dispatch()
        self.assertEqual(len(self.fake.messages("twilio")), 3)

    def test_clicksend_batch_with_one_rejected_number(self):
        self.fake.errors["+12015550002"] = "INVALID_RECIPIENT"
        sms = self._queue(
            self.clicksend,
            {"+12015550001": "one", "+12015550002": "two", "+12015550003": "three"},
        )
        self._dispatch()
        sends = [r for r in self.fake.received if r.kind == "send"]
        self.assertEqual(len(sends), 1, "one batch request for three messages")
        self.assertEqual(
            [s.state for s in sms], ["pending", "error", "pending"], sms.mapped("uuid")
        )
        self.assertEqual(sms[1].failure_type, "sms_number_format")
        self.assertIn("not valid", sms[1].failure_explanation)
        self.assertIn("INVALID_RECIPIENT", sms[1].failure_explanation)

    def test_rate_limited_then_retried_after_retry_after(self):
        self.fake.force(
            status=429,
            body={"code": 20429, "message": "Too Many Requests", "status": 429},
            headers={"Retry-After": "120"},
        )
        sms = self._queue(self.twilio, {"+12015550001": "hello"})
        before = fields.Datetime.now()
        self._dispatch()
        self.assertEqual(sms.state, "outgoing")
        self.assertEqual(sms.attempts, 1)
        self.assertGreaterEqual(sms.next_attempt, before + timedelta(seconds=119))
        self.assertIn("queued again", sms.failure_explanation)
        # Not due yet: the dispatcher leaves it alone.
        self._dispatch()
        self.assertEqual(len(self.fake.received), 1)
        sms.next_attempt = fields.Datetime.now() - timedelta(seconds=1)
        self._dispatch()
        self.assertEqual(sms.state, "pending")
        self.assertEqual(sms.attempts, 2)
        self.assertEqual(self.fake.count_to("+12015550001"), 2)
        self.assertEqual(len(self.fake.received), 2)

    def test_retries_stop_at_max_attempts(self):
        self.twilio.max_attempts = 2
        sms = self._queue(self.twilio, {"+12015550001": "hello"})
        for _attempt in range(2):
            self.fake.force(status=503, body={"message": "unavailable"})
            sms.next_attempt = False
            self._dispatch()
        self.assertEqual(sms.state, "error")
        self.assertEqual(sms.failure_type, "sms_server")
        self.assertEqual(sms.attempts, 2)
        self._dispatch()
        self.assertEqual(len(self.fake.received), 2)

    def test_read_timeout_is_unknown_outcome_never_resent(self):
        self.twilio.read_timeout = 0.5
        self.fake.force(delay=2.0)
        sms = self._queue(self.twilio, {"+12015550001": "hello"})
        self._dispatch()
        self.assertEqual(sms.state, "unknown")
        self.assertEqual(sms.failure_type, "tm_unknown_outcome")
        self.assertIn("not sent again automatically", sms.failure_explanation)
        self._dispatch()
        self.assertEqual(len(self.fake.received), 1)

    def test_crashed_dispatcher_leaves_a_visible_unknown_outcome(self):
        sms = self._queue(self.twilio, {"+12015550001": "hello"})
        claimed = sms._claim()  # the worker died right after the HTTP request
        self.assertEqual(claimed, sms)
        self.assertEqual(sms.state, "process")
        sms.claimed_at = fields.Datetime.now() - timedelta(hours=1)
        self._dispatch()
        self.assertEqual(sms.state, "unknown")
        self.assertIn("stopped while", sms.failure_explanation)
        self.assertEqual(len(self.fake.received), 0)

    def test_claim_takes_a_row_once(self):
        sms = self._queue(self.twilio, {"+12015550001": "hello"})
        self.assertEqual(sms._claim(), sms)
        self.assertFalse(sms._claim())

    def test_refused_before_reaching_the_provider(self):
        self.env["phone.blacklist"].sudo().add("+12015550009")
        self.twilio.max_segments = 2
        sms = self._queue(
            self.twilio,
            {
                "+12015550001": "y" * 400,
                "12": "bad number",
                "+12015550009": "opted out",
                "+12015550004": "   ",
            },
        )
        sms |= self.env["sms.sms"].create(
            {"number": False, "body": "no number", "gateway_id": self.twilio.id}
        )
        self._dispatch()
        self.assertEqual(
            sms.mapped("failure_type"),
            [
                "tm_too_long",
                "sms_number_format",
                "sms_blacklist",
                "tm_empty",
                "sms_number_missing",
            ],
        )
        self.assertEqual(set(sms.mapped("state")), {"error"})
        self.assertIn("needs 3 segments, more than the 2", sms[0].failure_explanation)
        self.assertEqual(self.fake.received, [])

    def test_authentication_failure_is_explained_without_secrets(self):
        self.twilio.sudo().auth_token = "wrong-token-value-123"
        sms = self._queue(self.twilio, {"+12015550001": "hello"})
        self._dispatch()
        self.assertEqual(sms.state, "error")
        self.assertEqual(sms.failure_type, "tm_authentication")
        self.assertIn("refused the gateway's credentials", sms.failure_explanation)
        self.assertNotIn("wrong-token-value-123", sms.failure_explanation)

    def test_rows_without_gateway_use_the_company_default(self):
        sms = self.env["sms.sms"].create({"number": "+12015550001", "body": "hi"})
        self._dispatch()
        self.assertEqual(sms.gateway_id, self.twilio)
        self.assertEqual(sms.state, "pending")
        self.assertEqual(self.fake.count_to("+12015550001"), 1)

    def test_company_without_gateway_keeps_odoo_iap(self):
        self.twilio.is_default = False
        sms = self.env["sms.sms"].create({"number": "+12015550001", "body": "hi"})
        self.assertEqual(sms._route_to_gateways(), {})

    def test_send_outside_the_dispatcher_sends_at_once(self):
        # Odoo's "send now" contract (tests/test_stock_sms.py has the flows).
        sms = self._queue(self.twilio, {"+12015550001": "hello"})
        sms.send()
        self.assertEqual(sms.state, "pending")
        self.assertEqual(self.fake.count_to("+12015550001"), 1)
        self._dispatch()
        self.assertEqual(self.fake.count_to("+12015550001"), 1)

    def test_one_bulk_update_for_a_batch(self):
        sms = self._queue(
            self.clicksend, {f"+1201555{i:04d}": f"message {i}" for i in range(300)}
        )
        with self.assertQueryCount(__system__=40):
            self._dispatch()
        self.assertEqual(set(sms.mapped("state")), {"pending"})
        self.assertEqual(len(self.fake.messages("clicksend")), 300)
