"""Odoo's calendar SMS alarm, project stage SMS and SMS marketing "send now"
through a gateway of ours.

These need ``calendar_sms``, ``project_sms`` and ``mass_mailing_sms``, which
only the database of Odoo's own suites has: ``scripts/test.py`` runs this
class there, with Odoo's runner (``scripts/odoo_suites.py``), and leaves this
file out of the main pytest run.
"""

from datetime import datetime

from odoo.tests import new_test_user, tagged

from .common import TextMessagingCase


@tagged("post_install", "-at_install")
class TestStockSmsModules(TextMessagingCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.twilio = cls._gateway("twilio", is_default=True)

    def _notifications(self, record):
        return self.env["mail.notification"].search(
            [
                ("mail_message_id", "in", record.message_ids.ids),
                ("notification_type", "=", "sms"),
            ]
        )

    def test_calendar_sms_alarm_is_sent_at_once(self):
        event = self.env["calendar.event"].create(
            {
                "name": "Session",
                "alarm_ids": [(0, 0, {"alarm_type": "sms", "name": "SMS Reminder"})],
                "partner_ids": [(6, 0, self.partner.ids)],
                "start": datetime(2030, 1, 1, 10, 0),
                "stop": datetime(2030, 1, 1, 11, 0),
            }
        )
        event._do_sms_reminder(event.alarm_ids)
        self.assertEqual(self.fake.count_to("+12015550001"), 1)
        sms = self.env["sms.sms"].search([("partner_id", "=", self.partner.id)])
        self.assertRecordValues(
            sms, [{"state": "pending", "gateway_id": self.twilio.id}]
        )
        self.assertEqual(self._notifications(event).notification_status, "pending")
        self._dispatch()
        self.assertEqual(self.fake.count_to("+12015550001"), 1, "sent once only")

    def test_project_stage_sms_is_sent_at_once(self):
        template = self.env["sms.template"].create(
            {
                "name": "Stage changed",
                "model_id": self.env["ir.model"]._get_id("project.task"),
                "body": "Your task moved on.",
            }
        )
        new, done = self.env["project.task.type"].create(
            [{"name": "New"}, {"name": "Done", "sms_template_id": template.id}]
        )
        project = self.env["project.project"].create(
            {"name": "Care", "type_ids": [(6, 0, (new | done).ids)]}
        )
        task = self.env["project.task"].create(
            {
                "name": "Follow-up",
                "project_id": project.id,
                "stage_id": new.id,
                "partner_id": self.partner.id,
            }
        )
        self.assertEqual(self.fake.received, [])
        user = new_test_user(
            self.env, login="stock_project_user", groups="project.group_project_user"
        )
        task.with_user(user).stage_id = done
        self.assertEqual(
            [m["body"] for m in self.fake.messages("twilio")], ["Your task moved on."]
        )
        self.assertEqual(self._notifications(task).notification_status, "pending")

    def test_sms_marketing_send_now_and_trace(self):
        mailing = self.env["mailing.mailing"].create(
            {
                "name": "Promo",
                "subject": "Promo",
                "mailing_type": "sms",
                "body_plaintext": "Spring offer",
                "mailing_model_id": self.env["ir.model"]._get_id("res.partner"),
                "mailing_domain": [("id", "=", self.partner.id)],
                "sms_force_send": True,
            }
        )
        mailing.action_send_sms()
        self.assertEqual(self.fake.count_to("+12015550001"), 1)
        trace = mailing.mailing_trace_ids
        self.assertEqual(trace.trace_status, "pending")
        self.assertEqual(trace.sms_number, "+12015550001")
        self._dispatch()
        self.assertEqual(self.fake.count_to("+12015550001"), 1, "sent once only")

    def test_sms_marketing_queued_goes_to_the_dispatcher(self):
        mailing = self.env["mailing.mailing"].create(
            {
                "name": "Later",
                "subject": "Later",
                "mailing_type": "sms",
                "body_plaintext": "Autumn offer",
                "mailing_model_id": self.env["ir.model"]._get_id("res.partner"),
                "mailing_domain": [("id", "=", self.partner.id)],
                "sms_force_send": False,
            }
        )
        mailing.action_send_sms()
        self.assertEqual(self.fake.received, [], "queued: nothing sent yet")
        self.assertEqual(mailing.mailing_trace_ids.trace_status, "outgoing")
        self._dispatch()
        self.assertEqual(self.fake.count_to("+12015550001"), 1)
        self.assertEqual(mailing.mailing_trace_ids.trace_status, "pending")

    def test_sms_marketing_test_button_sends_once_through_the_gateway(self):
        """The Test button calls IAP itself and leaves its rows queued: with a
        gateway of ours, the text goes once, at once, through it."""
        mailing = self.env["mailing.mailing"].create(
            {
                "name": "Promo test",
                "subject": "Promo test",
                "mailing_type": "sms",
                "body_plaintext": "Winter offer",
                "mailing_model_id": self.env["ir.model"]._get_id("res.partner"),
            }
        )
        wizard = self.env["mailing.sms.test"].create(
            {"mailing_id": mailing.id, "numbers": "+12015550077"}
        )
        wizard.action_send_sms()
        self.assertEqual(self.fake.count_to("+12015550077"), 1, "sent at once")
        row = self.env["sms.sms"].search([("number", "=", "+12015550077")])
        self.assertEqual((row.state, row.gateway_id), ("pending", self.twilio))
        self.assertIn("successfully sent", mailing.message_ids[0].body)
        self._dispatch()
        self.assertEqual(self.fake.count_to("+12015550077"), 1, "and only once")
