from ast import literal_eval
from datetime import timedelta
from unittest.mock import patch

from odoo import fields
from odoo.tests import Form, tagged

from odoo.addons.text_messaging.gateways.base import InboundMessage, StatusReport
from odoo.addons.text_messaging.models import sms_sms_history

from .common import TextMessagingCase


@tagged("post_install", "-at_install")
class TestInbound(TextMessagingCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.twilio = cls._gateway("twilio", is_default=True)
        cls.partner.phone = "+1 201-555-0101"

    def _inbound(self, number, body, provider_id=None):
        return self.env["sms.inbound"]._receive(
            self.twilio,
            [
                InboundMessage(
                    provider_id=provider_id or f"SM{abs(hash((number, body))):032d}",
                    number=number,
                    to=self.twilio.sender,
                    body=body,
                )
            ],
        )

    def test_inbound_from_a_contact_lands_in_its_chatter(self):
        inbound = self._inbound("+12015550101", "Running 5 min late 🏃")
        self.assertEqual(inbound.partner_id, self.partner)
        self.assertEqual(inbound.state, "assigned")
        self.assertFalse(inbound.keyword)
        message = self.partner.message_ids[0]
        self.assertEqual(message.message_type, "sms")
        self.assertEqual(message.author_id, self.partner)
        self.assertIn("Running 5 min late 🏃", message.body)
        self.assertFalse(inbound.reply_ids, "an ordinary message gets no answer")

    def test_unmatched_message_waits_in_unassigned_then_is_assigned(self):
        inbound = self._inbound("+12015550199", "Who is this?")
        self.assertEqual(inbound.state, "unassigned")
        unassigned = self.env.ref("text_messaging.sms_inbound_action_unassigned")
        self.assertIn(
            inbound, self.env["sms.inbound"].search(literal_eval(unassigned.domain))
        )
        inbound.partner_id = self.partner
        self.assertEqual(inbound.state, "assigned")
        self.assertIn("Who is this?", self.partner.message_ids[0].body)

    def test_the_same_message_twice_is_stored_once(self):
        first = self._inbound("+12015550101", "hello", provider_id="SMdup1")
        again = self._inbound("+12015550101", "hello", provider_id="SMdup1")
        self.assertTrue(first)
        self.assertFalse(again)
        self.assertEqual(
            self.env["sms.inbound"].search_count(
                [("provider_message_id", "=", "SMdup1")]
            ),
            1,
        )

    def test_stop_blacklists_confirms_and_blocks_later_messages(self):
        inbound = self._inbound("+12015550101", " Stop! ")
        self.assertEqual(inbound.keyword, "stop")
        blacklist = self.env["phone.blacklist"].sudo()
        self.assertTrue(blacklist.search([("number", "=", "+12015550101")]))
        (reply,) = inbound.reply_ids
        self.assertEqual(reply.kind, "keyword")
        self.assertIn("Reply START", reply.body)
        self._dispatch()
        self.assertEqual(reply.state, "pending", "the confirmation goes through")
        self.assertEqual(self.fake.count_to("+12015550101"), 1)
        later = self._queue(self.twilio, {"+12015550101": "Your session is tomorrow"})
        self._dispatch()
        self.assertEqual(later.failure_type, "sms_blacklist")
        self.assertIn("opted out", later.failure_explanation)
        self.assertEqual(self.fake.count_to("+12015550101"), 1)

    def test_start_unblocks_and_help_answers(self):
        self._inbound("+12015550101", "STOP")
        start = self._inbound("+12015550101", "start")
        self.assertFalse(
            self.env["phone.blacklist"]
            .sudo()
            .search([("number", "=", "+12015550101"), ("active", "=", True)])
        )
        self.assertIn("receive our text messages again", start.reply_ids.body)
        help_message = self._inbound("+12015550101", "HELP?")
        self.assertEqual(help_message.keyword, "help")
        self.assertIn(self.company.name, help_message.reply_ids.body)
        self.assertIn("Reply STOP", help_message.reply_ids.body)

    def test_provider_answering_keywords_gets_no_duplicate_confirmation(self):
        self.twilio.provider_answers_keywords = True
        stop = self._inbound("+12015550101", "UNSUBSCRIBE")
        self.assertTrue(
            self.env["phone.blacklist"].sudo().search([("number", "=", "+12015550101")])
        )
        self.assertFalse(stop.reply_ids)
        self.assertTrue(self._inbound("+12015550101", "info").reply_ids, "HELP still")

    def test_ordinary_words_are_not_keywords(self):
        inbound = self._inbound("+12015550101", "Please stop by at 5, yes?")
        self.assertFalse(inbound.keyword)
        self.assertFalse(
            self.env["phone.blacklist"].sudo().search([("number", "=", "+12015550101")])
        )

    def test_reply_from_the_inbox(self):
        inbound = self._inbound("+12015550199", "Can I move my session?")
        action = inbound.action_open_reply()
        wizard = Form(self.env[action["res_model"]].with_context(**action["context"]))
        wizard.body = "Sure — call us to pick a time."
        self.assertIn("Unicode", wizard.segments_info)
        wizard.save().action_send()
        (reply,) = inbound.reply_ids
        self.assertEqual((reply.kind, reply.gateway_id), ("reply", self.twilio))
        self._dispatch()
        (message,) = self.fake.messages("twilio")
        self.assertEqual(
            (message["to"], message["body"]),
            ("+12015550199", "Sure — call us to pick a time."),
        )


@tagged("post_install", "-at_install")
class TestDeliveryReports(TextMessagingCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.twilio = cls._gateway("twilio", is_default=True)

    def _sent(self, body="hello"):
        sms = self._queue(self.twilio, {"+12015550101": body})
        self._dispatch()
        self.assertEqual(sms.state, "pending")
        return sms

    def _report(self, sms, status, code="", detail=""):
        return self.env["sms.sms"]._apply_status_reports(
            self.twilio,
            [
                StatusReport(
                    provider_id=sms.provider_message_id,
                    status=status,
                    failure_code=code,
                    detail=detail,
                )
            ],
        )

    def test_delivered_once_and_never_backwards(self):
        sms = self._sent()
        self.assertEqual(self._report(sms, "delivered"), 1)
        self.assertEqual(sms.state, "sent")
        self.assertTrue(sms.delivered_at)
        self.assertEqual(self._report(sms, "delivered"), 0, "same report: no change")
        self.assertEqual(self._report(sms, "sent"), 0)
        self.assertEqual(self._report(sms, "failed", "unknown", "late failure"), 0)
        self.assertEqual(sms.state, "sent")

    def test_failed_delivery_keeps_the_providers_reason(self):
        sms = self._sent()
        self._report(sms, "failed", "invalid_number", "Twilio error 30003: Unreachable")
        self.assertEqual(sms.state, "error")
        self.assertEqual(sms.failure_type, "sms_number_format")
        self.assertIn("Twilio error 30003: Unreachable", sms.failure_explanation)

    def test_unknown_outcome_resolved_by_a_delivery_report(self):
        self.twilio.read_timeout = 0.5
        self.fake.force(delay=2.0)
        sms = self._queue(self.twilio, {"+12015550101": "hello"})
        self._dispatch()
        self.assertEqual(sms.state, "unknown")
        sms.provider_message_id = "SMlate"
        self._report(sms, "delivered")
        self.assertEqual(sms.state, "sent")
        self.assertFalse(sms.failure_explanation)

    def test_reports_of_another_gateway_change_nothing(self):
        sms = self._sent()
        other = self._gateway("clicksend")
        changed = self.env["sms.sms"]._apply_status_reports(
            other, [StatusReport(provider_id=sms.provider_message_id, status="failed")]
        )
        self.assertEqual(changed, 0)
        self.assertEqual(sms.state, "pending")

    def test_resend_failed_and_unknown_messages(self):
        self.fake.errors["+12015550102"] = 21612
        sms = self._queue(self.twilio, {"+12015550102": "hello"})
        self._dispatch()
        self.assertEqual(sms.state, "error")
        del self.fake.errors["+12015550102"]
        result = sms.action_resend()
        self.assertEqual(result["params"]["type"], "success")
        self.assertEqual((sms.state, sms.attempts), ("outgoing", 0))
        self.assertIn("Resent by", sms.failure_explanation)
        self._dispatch()
        self.assertEqual(sms.state, "pending")
        self.assertEqual(self.fake.count_to("+12015550102"), 2)

    def test_history_is_purged_after_the_retention_period(self):
        self.env["ir.config_parameter"].sudo().set_param(
            "text_messaging.retention_days", 30
        )
        old, recent, queued = self._queue(
            self.twilio,
            {"+12015550101": "old", "+12015550102": "recent", "+12015550103": "q"},
        )
        (old | recent).write({"state": "pending"})
        self.env.cr.execute(
            "UPDATE sms_sms SET create_date = %s WHERE id IN %s",
            [fields.Datetime.now() - timedelta(days=31), (old.id, queued.id)],
        )
        self.env["sms.sms"]._gc_text_messaging_history()
        self.assertFalse(old.exists())
        self.assertTrue(recent.exists())
        self.assertTrue(queued.exists(), "a queued message is never purged")

    def test_usage_statistics_per_month_kind_and_gateway(self):
        self._queue(
            self.twilio, {"+12015550101": "one", "+12015550102": "x" * 200}
        ).write({"kind": "mass"})
        self._queue(self.twilio, {"+12015550103": "test"}).write({"kind": "test"})
        self._dispatch()
        action = self.env.ref("text_messaging.sms_sms_action_usage")
        views = self.env["sms.sms"].get_views(
            [(view.view_id.id, view.view_mode) for view in action.view_ids]
        )["views"]
        self.assertIn('name="segments" type="measure"', views["pivot"]["arch"])
        self.assertIn('name="cost" type="measure"', views["pivot"]["arch"])
        self.assertIn("graph", views)
        groups = self.env["sms.sms"]._read_group(
            [("gateway_id", "=", self.twilio.id)],
            ["create_date:month", "kind"],
            ["__count", "segments:sum", "cost:sum"],
        )
        by_kind = {
            kind: (count, segments, cost) for _m, kind, count, segments, cost in groups
        }
        self.assertEqual(by_kind["mass"], (2, 3, 0.15))
        self.assertEqual(by_kind["test"], (1, 1, 0.05))

    def test_a_purge_backlog_clears_in_one_run(self):
        self.env["ir.config_parameter"].sudo().set_param(
            "text_messaging.retention_days", 30
        )
        rows = self._queue(
            self.twilio, {f"+1201555{index:04d}": "old" for index in range(7)}
        )
        rows.write({"state": "pending"})
        self.env.cr.execute(
            "UPDATE sms_sms SET create_date = %s WHERE id IN %s",
            [fields.Datetime.now() - timedelta(days=31), tuple(rows.ids)],
        )
        # Batches of 2: four batches in one autovacuum run.
        with patch.object(sms_sms_history, "HISTORY_PURGE_BATCH", 2):
            self.env["sms.sms"]._gc_text_messaging_history()
        self.assertFalse(rows.exists())
