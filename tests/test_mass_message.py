from collections import Counter
from datetime import date, datetime

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import Form, tagged

from .common import TextMessagingCase

MASS_SIZE = 3000


@tagged("post_install", "-at_install")
class TestMassMessage(TextMessagingCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.clicksend = cls._gateway("clicksend", is_default=True, batch_size=500)
        cls.tag = cls.env["res.partner.category"].create({"name": "TM Mass"})
        cls.small_tag = cls.env["res.partner.category"].create({"name": "TM Small"})
        cls.env["phone.blacklist"].sudo().add("+12015559001")
        cls.env["phone.blacklist"].sudo().add("+12015559002")
        tags = [Command.set(cls.small_tag.ids)]
        cls.small = cls.env["res.partner"].create(
            [
                {"name": "S ok", "phone": "+12015558001", "category_id": tags},
                {
                    "name": "S consent",
                    "phone": "+12015558002",
                    "category_id": tags,
                    "text_reminders_allowed": True,
                },
                {"name": "S opted out", "phone": "+12015559001", "category_id": tags},
                {
                    "name": "S opted out, consent",
                    "phone": "+12015559002",
                    "category_id": tags,
                    "text_reminders_allowed": True,
                },
                {"name": "S missing", "category_id": tags},
                {"name": "S missing 2", "category_id": tags},
                {"name": "S invalid", "phone": "12", "category_id": tags},
                {"name": "S twice", "phone": "+12015558001", "category_id": tags},
                {
                    "name": "S twice, consent",
                    "phone": "+12015558002",
                    "category_id": tags,
                    "text_reminders_allowed": True,
                },
            ]
        )

    def _mass(self, tag=None, body="Spring hours: open till 8pm.", **values):
        form = Form(self.env["sms.mass.message"])
        form.name = "Spring"
        form.category_ids.add(tag or self.small_tag)
        form.body = body
        for field, value in values.items():
            setattr(form, field, value)
        return form

    def _enqueue_all(self, message, max_calls=20):
        calls = 0
        while message.state == "sending":
            self.env["sms.mass.message"]._cron_enqueue()
            calls += 1
            self.assertLess(calls, max_calls)
        return calls

    def _dispatch_all(self, max_calls=20):
        domain = [("state", "=", "outgoing")]
        for _call in range(max_calls):
            if not self.env["sms.sms"].search_count(domain):
                return
            self._dispatch()
        self.fail("the queue does not empty")

    def test_exclusion_groups_counted_before_sending(self):
        form = self._mass()
        self.assertEqual(form.recipient_count, 9)
        self.assertEqual(form.excluded_opted_out, 2)
        self.assertEqual(form.excluded_missing, 2)
        self.assertEqual(form.excluded_invalid, 1)
        self.assertEqual(form.excluded_duplicate, 2)
        self.assertEqual(form.excluded_no_consent, 0)
        self.assertEqual(form.to_send_count, 2)
        form.require_consent = True
        self.assertEqual(form.excluded_opted_out, 2)
        self.assertEqual(form.excluded_no_consent, 2, "S ok and S twice")
        self.assertEqual(form.excluded_duplicate, 1, "S twice, consent")
        self.assertEqual(form.to_send_count, 1)

    def test_exclusions_honoured_when_sent(self):
        message = self._mass(require_consent=True).save()
        message.action_review()
        self.assertEqual(message.state, "review")
        message.action_send()
        self.assertEqual(message.state, "sending")
        self._enqueue_all(message)
        self.assertEqual(message.state, "done")
        rows = self.env["sms.sms"].search([("mass_message_id", "=", message.id)])
        self.assertEqual(len(rows), 9, "every matching contact has its row")
        by_partner = {
            row.partner_id.name: (row.state, row.failure_type) for row in rows
        }
        self.assertEqual(
            by_partner,
            {
                "S ok": ("canceled", "tm_no_consent"),
                "S consent": ("outgoing", False),
                "S opted out": ("canceled", "sms_blacklist"),
                "S opted out, consent": ("canceled", "sms_blacklist"),
                "S missing": ("canceled", "sms_number_missing"),
                "S missing 2": ("canceled", "sms_number_missing"),
                "S invalid": ("canceled", "sms_number_format"),
                "S twice": ("canceled", "tm_no_consent"),
                "S twice, consent": ("canceled", "sms_duplicate"),
            },
        )
        self.assertEqual(set(rows.mapped("kind")), {"mass"})
        self.assertTrue(
            all(rows.filtered("failure_type").mapped("failure_explanation"))
        )
        self.assertEqual(message.skipped_count, 8)
        self.assertEqual(message.queued_count, 1)
        self.assertEqual(message.remaining_count, 1)
        self._dispatch_all()
        message.invalidate_recordset()
        self.assertEqual(message.sent_count, 1)
        self.assertEqual(message.remaining_count, 0)
        self.assertEqual(self.fake.count_to("+12015558002"), 1)
        self.assertEqual(len(self.fake.messages("clicksend")), 1)

    def test_a_few_thousand_recipients_each_texted_once(self):
        self.env["ir.config_parameter"].sudo().set_param(
            "text_messaging.mass.batch_size", 1000
        )
        numbers = [f"+1201555{i:04d}" for i in range(1000, 1000 + MASS_SIZE)]
        tags = [Command.set(self.tag.ids)]
        self.env["res.partner"].create(
            [
                {"name": f"Client {number}", "phone": number, "category_id": tags}
                for number in numbers
            ]
            + [
                # The same numbers again, far apart in id order (other batches).
                {"name": "Twin A", "phone": numbers[0], "category_id": tags},
                {"name": "Twin B", "phone": numbers[-1], "category_id": tags},
                {"name": "Opted out", "phone": "+12015559001", "category_id": tags},
                {"name": "No number", "category_id": tags},
            ]
        )
        form = self._mass(tag=self.tag, body="Hello {{ object.name }}, we moved!")
        self.assertEqual(form.recipient_count, MASS_SIZE + 4)
        self.assertEqual(form.excluded_duplicate, 2)
        self.assertEqual(form.excluded_opted_out, 1)
        self.assertEqual(form.excluded_missing, 1)
        self.assertEqual(form.to_send_count, MASS_SIZE)
        message = form.save()
        message.action_review()
        self.assertEqual(message.segments_per_message, 1)
        self.assertEqual(message.total_segments, MASS_SIZE)
        self.assertTrue(message.estimate_is_sampled)
        self.assertAlmostEqual(message.cost_estimate, MASS_SIZE * 0.05)
        message.action_send()

        self.env["sms.mass.message"]._cron_enqueue()
        message.invalidate_recordset()
        self.assertEqual(message.state, "sending")
        self.assertEqual(message.queued_count, 1000, "one batch at a time")
        self.assertEqual(message.remaining_count, 1000 + MASS_SIZE + 4 - 1000)
        self.assertEqual(message.progress, 0.0, "nothing has left the queue yet")
        self._dispatch()
        message.invalidate_recordset()
        self.assertEqual(message.sent_count, 1000)
        self.assertAlmostEqual(message.progress, 100.0 * 1000 / (MASS_SIZE + 4))
        calls = 1 + self._enqueue_all(message)
        self.assertEqual(calls, 4, "3004 contacts in batches of 1000")

        self._dispatch_all()
        received = Counter(m["to"] for m in self.fake.messages("clicksend"))
        self.assertEqual(set(received), set(numbers))
        self.assertEqual(set(received.values()), {1}, "each number exactly once")
        self._dispatch_all()
        self.assertEqual(len(self.fake.messages("clicksend")), MASS_SIZE)

        message.invalidate_recordset()
        self.assertRecordValues(
            message,
            [
                {
                    "state": "done",
                    "queued_count": MASS_SIZE,
                    "sent_count": MASS_SIZE,
                    "failed_count": 0,
                    "skipped_count": 4,
                    "remaining_count": 0,
                    "progress": 100.0,
                }
            ],
        )
        rows = self.env["sms.sms"].search([("mass_message_id", "=", message.id)])
        self.assertAlmostEqual(message.cost, sum(rows.mapped("cost")))
        self.assertGreater(message.cost, 0)
        body = self.env["sms.sms"].search(
            [("mass_message_id", "=", message.id), ("number", "=", numbers[5])]
        )
        self.assertEqual(body.body, f"Hello Client {numbers[5]}, we moved!")

    def test_easy_filters(self):
        belgium = self.env.ref("base.be")
        city_partner, invoiced, attendee = self.env["res.partner"].create(
            [
                {
                    "name": "Lea Liege",
                    "phone": "+32 470 12 34 56",
                    "city": "Liège",
                    "country_id": belgium.id,
                },
                {"name": "Ian Invoiced", "phone": "+12015557001"},
                {"name": "Ava Attendee", "phone": "+12015557002"},
            ]
        )
        form = self._mass()
        form.category_ids.clear()
        form.country_ids.add(belgium)
        form.city = "liège"
        self.assertEqual(form.recipient_count, 1)
        message = form.save()
        self.assertEqual(
            self.env["res.partner"].search(message._recipient_domain()), city_partner
        )

        invoice = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": invoiced.id,
                "invoice_line_ids": [
                    Command.create({"name": "Session", "quantity": 1, "price_unit": 50})
                ],
            }
        )
        invoice.action_post()
        message.write({"country_ids": [Command.clear()], "city": False})
        message.open_invoices = True
        self.assertIn(
            invoiced, self.env["res.partner"].search(message._recipient_domain())
        )
        open_partners = self.env["res.partner"].search(message._recipient_domain())
        self.assertNotIn(attendee, open_partners)

        self.env["calendar.event"].create(
            {
                "name": "Session",
                "start": datetime(2031, 4, 2, 14, 0),
                "stop": datetime(2031, 4, 2, 15, 0),
                "partner_ids": [Command.set(attendee.ids)],
            }
        )
        message.open_invoices = False
        message.event_date_from = date(2031, 4, 1)
        message.event_date_to = date(2031, 4, 2)
        self.assertEqual(
            self.env["res.partner"].search(message._recipient_domain()), attendee
        )
        message.event_date_to = date(2031, 4, 1)
        self.assertFalse(self.env["res.partner"].search(message._recipient_domain()))

        message.write({"event_date_from": False, "event_date_to": False})
        message.domain = repr([("id", "=", invoiced.id)])
        self.assertEqual(message.recipient_count, 1)

    def test_nothing_to_send_and_cancel(self):
        message = self._mass(require_consent=True).save()
        (self.small - self.small[1]).write({"text_reminders_allowed": False})
        self.small[1].text_reminders_allowed = False
        message.invalidate_recordset()
        with self.assertRaises(UserError):
            message.action_review()
        self.small[1].text_reminders_allowed = True
        message.invalidate_recordset()
        message.action_send()
        message.action_cancel()
        self.assertEqual(message.state, "cancel")
        self.env["sms.mass.message"]._cron_enqueue()
        self.assertFalse(
            self.env["sms.sms"].search([("mass_message_id", "=", message.id)])
        )

    def test_cancel_while_sending_cancels_the_queue(self):
        message = self._mass().save()
        message.action_send()
        self.env["sms.mass.message"]._cron_enqueue()
        self.assertEqual(message.state, "done")
        rows = self.env["sms.sms"].search([("mass_message_id", "=", message.id)])
        queued = rows.filtered(lambda r: r.state == "outgoing")
        self.assertEqual(len(queued), 2)
        message.action_cancel()
        self.assertEqual(message.state, "cancel")
        self.assertEqual(set(rows.mapped("state")), {"canceled"})
        self.assertIn("cancelled by", queued[0].failure_explanation)
        self._dispatch()
        self.assertEqual(self.fake.messages(), [])

    def test_sent_mass_message_cannot_be_deleted(self):
        message = self._mass().save()
        message.action_send()
        with self.assertRaises(UserError):
            message.unlink()

    # -- marketing: the marketing permission, and how to opt out

    def test_marketing_needs_the_marketing_permission(self):
        self.small.filtered(lambda p: p.name == "S ok").text_marketing_allowed = True
        form = self._mass(purpose="marketing", body="Spring offer: -20% on massages")
        # The reminders permission does not count for marketing.
        self.assertEqual(form.excluded_no_consent, 3, "S consent, S twice (consent)")
        self.assertEqual(form.to_send_count, 1)
        message = form.save()
        message.action_review()
        message.action_send()
        self._enqueue_all(message)
        rows = self.env["sms.sms"].search([("mass_message_id", "=", message.id)])
        queued = rows.filtered(lambda r: r.state == "outgoing")
        self.assertEqual(queued.partner_id.name, "S ok")
        self.assertEqual(
            queued.body, "Spring offer: -20% on massages\nReply STOP to opt out."
        )
        consent = rows.filtered(lambda r: r.partner_id.name == "S consent")
        self.assertEqual(consent.failure_type, "tm_no_consent")

    def test_opt_out_footer_once_and_the_companys_own(self):
        self.company.text_opt_out_footer = "Text STOP to end."
        texts = self.company._text_with_opt_out_footer(
            {1: "Offer! Reply stop to opt out", 2: "Offer!"}
        )
        self.assertEqual(
            texts, {1: "Offer! Reply stop to opt out", 2: "Offer!\nText STOP to end."}
        )
        self.small.filtered(lambda p: p.name == "S ok").text_marketing_allowed = True
        form = self._mass(purpose="marketing", body="x" * 150)
        self.assertEqual(form.segments_per_message, 2, "the footer is counted")
