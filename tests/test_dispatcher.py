import time
from datetime import timedelta
from unittest.mock import patch

import odoo
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

    def test_cron_progress_counts_each_text_once(self):
        """The dispatcher writes each slice's texts on the run's progress
        record as their results are stored, then reports the run: the record
        counts each text once (18.0's report sets the count, 19.0's adds to
        it; it counted them twice on 19.0)."""
        sms = self._queue(
            self.twilio, {f"+1201555000{index}": f"text {index}" for index in range(5)}
        )
        cron = self.env.ref("text_messaging.ir_cron_text_messaging_dispatch")
        progress = self.env["ir.cron.progress"].create(
            {"cron_id": cron.id, "done": 0, "remaining": 0}
        )
        # As the cron runner calls it; its progress report commits (19.0).
        with patch.object(self.env.cr, "commit"):
            self.env["sms.sms"].with_context(
                ir_cron_progress_id=progress.id, cron_id=cron.id
            )._cron_dispatch()
        self.assertEqual(set(sms.mapped("state")), {"pending"})
        self.assertRecordValues(progress, [{"done": 5, "remaining": 0}])

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
        self.assertIn("Too Many Requests", sms.failure_explanation)
        self.assertNotIn("ran out", sms.failure_explanation)
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

    def test_dead_dispatcher_in_flight_unknown_never_sent_requeued_at_once(self):
        sms = self._queue(
            self.twilio, {"+12015550001": "in flight", "+12015550002": "never sent"}
        )
        # A dispatcher whose token (advisory lock) is not held any more: its
        # process died after marking the first row in flight, before the second.
        self.assertEqual(sms._claim(token=4242), sms)
        sms[0]._mark_in_flight(sms[0].ids)
        self.assertEqual(sms.mapped("state"), ["process", "process"])
        self._dispatch()
        self.assertEqual(sms[0].state, "unknown")
        self.assertEqual(sms[0].failure_type, "tm_unknown_outcome")
        self.assertIn("stopped while", sms[0].failure_explanation)
        # Not 15 minutes later: at once, and its attempt is not counted twice.
        self.assertEqual(sms[1].state, "pending")
        self.assertEqual(sms[1].attempts, 1)
        self.assertEqual(
            [m["to"] for m in self.fake.messages("twilio")], ["+12015550002"]
        )

    def test_live_dispatcher_rows_are_left_alone(self):
        sms = self._queue(self.twilio, {"+12015550001": "hello"})
        with sms._claim_token() as token:
            sms._claim(token)
            sms._mark_in_flight(sms.ids)
            self._dispatch()
            self.assertEqual(sms.state, "process")
        self.assertEqual(self.fake.received, [])

    def test_claims_older_than_the_watchdog_are_stale_even_without_token(self):
        sms = self._queue(self.twilio, {"+12015550001": "hello"})
        sms._claim()
        sms._mark_in_flight(sms.ids)
        sms.claimed_at = fields.Datetime.now() - timedelta(hours=1)
        self._dispatch()
        self.assertEqual(sms.state, "unknown")
        self.assertEqual(self.fake.received, [])

    def test_server_error_info_says_may_be_accepted_in_sentences(self):
        self.fake.force(status=500, body={"message": "Internal Server Error"})
        sms = self._queue(self.twilio, {"+12015550001": "hello"})
        self._dispatch()
        self.assertEqual(sms.state, "unknown")
        last = sms.failure_explanation.splitlines()[-1]
        self.assertEqual(
            last,
            "Provider: Twilio answered HTTP 500 Internal Server Error: Internal "
            "Server Error. The message may have been accepted.",
        )

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

    # ------------------------------------------------ unknown outcome lookup --

    def _accepted(self, body):
        # (a request an earlier test left hanging may be accepted meanwhile)
        return [entry for entry in self.fake.accepted if entry["body"] == body]

    def _lookup_now(self):
        self.env["ir.config_parameter"].sudo().set_param(
            "text_messaging.dispatch.lookup_delay", 0
        )

    def test_unknown_outcome_found_at_twilio_becomes_sent_with_its_id(self):
        self.twilio.read_timeout = 0.5
        self.fake.force(delay=1.0)  # answers after the read time-out
        sms = self._queue(self.twilio, {"+12015550001": "did it go?"})
        self._dispatch()
        self.assertEqual(sms.state, "unknown")
        self.assertTrue(sms.in_flight_at)
        deadline = time.monotonic() + 10
        while not self._accepted(sms.body) and time.monotonic() < deadline:
            time.sleep(0.05)
        self._lookup_now()
        self._dispatch()
        self.assertEqual(sms.state, "pending")
        (accepted,) = self._accepted(sms.body)
        self.assertEqual(sms.provider_message_id, accepted["id"])
        self.assertIn("had accepted", sms.failure_explanation)
        self.assertFalse(sms.in_flight_at)
        sends = [r for r in self.fake.received if r.kind == "send"]
        self.assertEqual(len(sends), 1, "never sent twice")

    def test_unknown_outcome_absent_at_twilio_is_sent_again(self):
        self.fake.force(status=500, body={"message": "Internal Server Error"})
        sms = self._queue(self.twilio, {"+12015550001": "lost?"})
        self._dispatch()
        self.assertEqual(sms.state, "unknown")
        self.assertEqual(self._accepted(sms.body), [])
        self._lookup_now()
        self._dispatch()  # asks, queues again, sends in the same run
        self.assertEqual(sms.state, "pending")
        (accepted,) = self._accepted(sms.body)
        self.assertEqual(sms.provider_message_id, accepted["id"])
        lists = [r for r in self.fake.received if r.kind == "list"]
        self.assertEqual(lists[0].query["To"], "+12015550001")

    def test_unknown_outcome_found_in_clicksend_history_by_custom_string(self):
        self.clicksend.read_timeout = 0.5
        self.fake.force(delay=1.0)
        sms = self._queue(
            self.clicksend, {"+12015550001": "one", "+12015550002": "two"}
        )
        self._dispatch()
        self.assertEqual(sms.mapped("state"), ["unknown", "unknown"])
        deadline = time.monotonic() + 10
        while len(self._accepted("one") + self._accepted("two")) < 2 and (
            time.monotonic() < deadline
        ):
            time.sleep(0.05)
        self._lookup_now()
        self._dispatch()
        self.assertEqual(sms.mapped("state"), ["pending", "pending"])
        by_ref = {entry["ref"]: entry["id"] for entry in self.fake.accepted}
        self.assertEqual(
            sms.mapped("provider_message_id"), [by_ref[s.uuid] for s in sms]
        )

    def test_unknown_outcome_stays_for_a_person_without_lookup(self):
        vonage = self._gateway("vonage", read_timeout=0.5)
        self.fake.force(delay=1.0)
        sms = self._queue(vonage, {"+12015550001": "hello"})
        self._dispatch()
        self._lookup_now()
        self._dispatch()
        self.assertEqual(sms.state, "unknown")
        self.assertEqual(
            [r.kind for r in self.fake.received if r.provider == "vonage"], ["send"]
        )

    # ----------------------------------------------------- slices and budget --

    def test_no_request_starts_after_the_deadline_rows_go_back(self):
        self.twilio.rate_limit = 4  # 0.25 s per message after a 0.5 s burst
        sms = self._queue(
            self.twilio, {f"+1201555{i:04d}": f"message {i}" for i in range(8)}
        )
        deadline = time.monotonic() + 0.9
        sms.with_context(
            text_messaging_dispatch=True, text_messaging_deadline=deadline
        )._send_with_gateway(self.twilio)
        sent = sms.filtered(lambda s: s.state == "pending")
        back = sms.filtered(lambda s: s.state == "outgoing")
        self.assertEqual(sent | back, sms)
        self.assertTrue(sent and back, sms.mapped("state"))
        self.assertEqual(len(self.fake.messages("twilio")), len(sent))
        self.assertEqual(set(back.mapped("attempts")), {0})
        self.assertFalse(any(back.mapped("in_flight_at")))
        self.assertFalse(any(back.mapped("claim_token")))

    def test_slices_are_a_few_seconds_of_sending(self):
        self.twilio.rate_limit = 10
        self.twilio.batch_size = 500
        self.assertEqual(self.env["sms.sms"]._slice_size(self.twilio), 50)
        self.twilio.rate_limit = 0
        self.assertEqual(self.env["sms.sms"]._slice_size(self.twilio), 500)

    def test_time_budget_is_a_share_of_the_cron_limits(self):
        config = odoo.tools.config
        saved = {
            key: config[key]
            for key in ("limit_time_real_cron", "limit_time_real", "limit_time_cpu")
        }
        try:
            config["limit_time_real_cron"] = -1
            config["limit_time_real"] = 120
            config["limit_time_cpu"] = 600
            self.assertEqual(self.env["sms.sms"]._dispatch_time_budget(), 60)
            config["limit_time_real_cron"] = 40
            self.assertEqual(self.env["sms.sms"]._dispatch_time_budget(), 20)
            config["limit_time_cpu"] = 30
            self.assertEqual(self.env["sms.sms"]._dispatch_time_budget(), 15)
        finally:
            for key, value in saved.items():
                config[key] = value

    def test_rate_limit_bucket_is_shared_through_postgresql(self):
        self.twilio.rate_limit = 10
        sms_model = self.env["sms.sms"]
        # Another process booked a batch of 20 tokens: this one waits for it.
        self.assertLess(sms_model._rate_wait(self.twilio, 20), 0.1)
        wait = sms_model._rate_wait(self.twilio, 1)
        self.assertGreater(wait, 1.4)
        self.assertLess(wait, 2.0)
        bucket = self.env["sms.gateway.rate"].search(
            [("gateway_id", "=", self.twilio.id)]
        )
        self.assertEqual(len(bucket), 1)
