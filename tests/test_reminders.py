import threading
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from unittest.mock import patch

import pytest
from freezegun import freeze_time

import odoo
from odoo import Command, fields
from odoo.modules.registry import Registry
from odoo.service.model import retrying
from odoo.tests import Form, new_test_user, tagged

from ..tools import compat
from .common import TextMessagingCase, dispatch_clock

# Valid US numbers (phonenumbers), E.164.
CLIENT = "+12015550123"
CLIENT_LONDON = "+447400123456"
PRACTITIONER = "+12015550187"


class ReminderCase(TextMessagingCase):
    """Reminder rules against a company in New York with quiet hours 21:00-08:00,
    a Twilio gateway pointed at the fake provider, a client who allows text
    reminders and a practitioner (organizer, salesperson, assignee) in Chicago."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.partner_id.tz = "America/New_York"
        cls.company.write(
            {
                "text_quiet_hours": True,
                "text_quiet_hours_start": 21.0,
                "text_quiet_hours_end": 8.0,
            }
        )
        cls.twilio = cls._gateway("twilio", is_default=True)
        cls.Rule = cls.env["sms.reminder.rule"]
        cls.session_rule = cls.env.ref("text_messaging.sms_reminder_rule_session")
        cls.invoice_rule = cls.env.ref(
            "text_messaging.sms_reminder_rule_pending_invoice"
        )
        cls.overdue_rule = cls.env.ref(
            "text_messaging.sms_reminder_rule_overdue_invoice"
        )
        cls.task_rule = cls.env.ref("text_messaging.sms_reminder_rule_pending_task")
        cls.rules = cls.session_rule | cls.invoice_rule | cls.overdue_rule
        cls.rules |= cls.task_rule
        cls.rules.company_id = cls.company
        # The seeded rules as installed without demo data (the demo clinic
        # switches them on): each test switches on what it needs.
        cls.rules.write({"active": False, "recipients": "client"})
        # Only the seeded rules of this company take part.
        cls.Rule.search([("id", "not in", cls.rules.ids)]).active = False
        cls.client = cls._client("Ada Client", CLIENT, "America/New_York")
        cls.practitioner = new_test_user(
            cls.env,
            login="tm_practitioner",
            name="Dr Bo",
            groups="base.group_user,project.group_project_user,account.group_account_invoice",
            tz="America/Chicago",
        )
        cls.practitioner.partner_id.write(
            {
                "phone": PRACTITIONER,
                "country_id": cls.env.ref("base.us").id,
                "text_reminders_allowed": True,
                "tz": "America/Chicago",
                "lang": "en_US",
            }
        )

    @classmethod
    def _client(cls, name, number, tz, allowed=True, **values):
        return cls.env["res.partner"].create(
            {
                "name": name,
                "phone": number,
                "tz": tz,
                "lang": "en_US",
                "text_reminders_allowed": allowed,
                **values,
            }
        )

    @contextmanager
    def _at(self, when):
        """Freeze Python's and the cursor's clock (write_date) at ``when`` (UTC)."""
        when = fields.Datetime.to_datetime(when)
        with freeze_time(when), patch.object(self.env.cr, "now", lambda: when):
            yield

    def _run(self, when):
        with self._at(when):
            self.Rule._cron_send_reminders()

    def _dispatch(self):
        """Dispatch at midday in New York (17:00 UTC) of the real day: the
        company's quiet hours (21:00 to 08:00) hold automated texts, and the
        suite must not depend on the hour it runs at."""
        with dispatch_clock(datetime.combine(date.today(), time(17, 0))):
            super()._dispatch()

    def _switch_on(self, rule, since, **values):
        rule.write({"active": True, **values})
        rule.last_run = fields.Datetime.to_datetime(since)

    def _event(self, start, clients, hours=1, **values):
        start = fields.Datetime.to_datetime(start)
        return self.env["calendar.event"].create(
            {
                "name": "Therapy",
                "start": start,
                "stop": start + timedelta(hours=hours),
                "user_id": self.practitioner.id,
                "location": "Main office",
                "partner_ids": [
                    Command.set((clients | self.practitioner.partner_id).ids)
                ],
                **values,
            }
        )

    def _reminders(self, records, kind="reminder"):
        return self.env["sms.sms"].search(
            [
                ("res_model", "=", records._name),
                ("res_id", "in", records.ids),
                ("kind", "=", kind),
            ],
            order="id",
        )

    def _notes(self, record):
        return record.message_ids.filtered(
            lambda message: "Text reminder" in (message.body or "")
        )


@tagged("post_install", "-at_install")
class TestSessionReminders(ReminderCase):
    def test_session_reminder_reaches_the_client_once(self):
        self._switch_on(self.session_rule, "2025-03-04 13:00:00")
        with self._at("2025-03-04 12:00:00"):
            event = self._event("2025-03-04 16:00:00", self.client)
        self._run("2025-03-04 13:55:00")  # due at 14:00 UTC: not yet
        self.assertFalse(self._reminders(event))
        self._run("2025-03-04 14:01:00")
        sms = self._reminders(event)
        self.assertRecordValues(
            sms,
            [
                {
                    "partner_id": self.client.id,
                    "number": CLIENT,
                    "state": "outgoing",
                    "kind": "reminder",
                    "gateway_id": self.twilio.id,
                }
            ],
        )
        self.assertEqual(
            sms.body,
            f"Reminder from {self.env.company.name}: "
            "Therapy on Mar 4, 2025 at 11:00 AM, Main office, with Dr Bo.",
        )
        self.assertEqual(sms.encoding, "gsm7", "no no-break space from babel")
        self.assertEqual(len(self._notes(event)), 1)
        self.assertIn(CLIENT, self._notes(event).body)
        log = self.env["sms.reminder.log"].search([("sms_id", "=", sms.id)])
        self.assertRecordValues(
            log,
            [
                {
                    "rule_id": self.session_rule.id,
                    "res_id": event.id,
                    "partner_id": self.client.id,
                    "occurrence": datetime(2025, 3, 4, 16, 0),
                    "state": "queued",
                }
            ],
        )
        self._dispatch()
        self.assertEqual(
            [(m["to"], m["body"]) for m in self.fake.messages("twilio")],
            [(CLIENT, sms.body)],
        )
        self.assertEqual(sms.state, "pending")
        # Later runs and dispatches send nothing more.
        self._run("2025-03-04 14:06:00")
        self._run("2025-03-04 15:30:00")
        self._dispatch()
        self.assertEqual(len(self._reminders(event)), 1)
        self.assertEqual(len(self.fake.messages("twilio")), 1)

    def test_recipients_client_practitioner_both(self):
        self._switch_on(self.session_rule, "2025-03-04 13:00:00")
        expected = {
            "client": self.client,
            "practitioner": self.practitioner.partner_id,
            "both": self.client | self.practitioner.partner_id,
        }
        for day, choice in enumerate(expected, start=4):
            self.session_rule.recipients = choice
            with self._at(f"2025-03-0{day} 12:00:00"):
                event = self._event(f"2025-03-0{day} 16:00:00", self.client)
            self._run(f"2025-03-0{day} 14:01:00")
            with self.subTest(recipients=choice):
                self.assertEqual(self._reminders(event).partner_id, expected[choice])

    def test_time_in_each_recipients_time_zone(self):
        londoner = self._client("Lou London", CLIENT_LONDON, "Europe/London")
        self._switch_on(self.session_rule, "2025-03-04 13:00:00", recipients="both")
        with self._at("2025-03-04 12:00:00"):
            event = self._event("2025-03-04 16:00:00", self.client | londoner)
        self._run("2025-03-04 14:01:00")
        bodies = {sms.partner_id: sms.body for sms in self._reminders(event)}
        self.assertIn("at 11:00 AM", bodies[self.client])  # New York
        self.assertIn("at 4:00 PM", bodies[londoner])  # London
        self.assertIn("at 10:00 AM", bodies[self.practitioner.partner_id])  # Chicago

    def test_partner_without_zone_gets_the_company_time(self):
        nowhere = self._client("Nat Nowhere", "+12015550144", False)
        self._switch_on(self.session_rule, "2025-03-04 13:00:00")
        with self._at("2025-03-04 12:00:00"):
            event = self._event("2025-03-04 16:00:00", nowhere)
        self._run("2025-03-04 14:01:00")
        self.assertIn("at 11:00 AM", self._reminders(event).body)

    def test_quiet_hours_postpone_never_drop(self):
        # 09:00 in New York: due at 07:00, within the quiet hours (until 08:00).
        self._switch_on(self.session_rule, "2025-03-04 11:00:00")
        with self._at("2025-03-04 10:00:00"):
            event = self._event("2025-03-04 14:00:00", self.client)
        self._run("2025-03-04 12:05:00")
        self.assertFalse(self._reminders(event))
        cron = self.env.ref("text_messaging.ir_cron_text_messaging_reminders")
        trigger = self.env["ir.cron.trigger"].search(
            [("cron_id", "=", cron.id), ("call_at", "=", datetime(2025, 3, 4, 13, 0))]
        )
        self.assertTrue(trigger, "the cron is woken when the quiet hours end")
        self.assertEqual(self.session_rule.last_run, datetime(2025, 3, 4, 11, 0))
        self._run("2025-03-04 13:00:00")
        self.assertEqual(self._reminders(event).partner_id, self.client)

    def test_quiet_hours_follow_the_company_time_zone(self):
        self.company.partner_id.tz = "Asia/Tokyo"  # 14:01 UTC is 23:01 there
        self._switch_on(self.session_rule, "2025-03-04 13:00:00")
        with self._at("2025-03-04 12:00:00"):
            event = self._event("2025-03-04 16:00:00", self.client)
        self._run("2025-03-04 14:01:00")
        self.assertFalse(self._reminders(event))
        self.company.text_quiet_hours = False
        self._run("2025-03-04 14:02:00")
        self.assertTrue(self._reminders(event))

    def test_rescheduled_event_gets_a_new_reminder(self):
        self._switch_on(self.session_rule, "2025-03-04 13:00:00")
        with self._at("2025-03-04 12:00:00"):
            event = self._event("2025-03-04 16:00:00", self.client)
        self._run("2025-03-04 14:01:00")
        self.assertEqual(len(self._reminders(event)), 1)
        with self._at("2025-03-04 14:30:00"):
            event.write(
                {
                    "start": datetime(2025, 3, 5, 16, 0),
                    "stop": datetime(2025, 3, 5, 17, 0),
                }
            )
        self._run("2025-03-04 14:35:00")
        self.assertEqual(len(self._reminders(event)), 1, "not due yet")
        self._run("2025-03-05 14:01:00")
        sms = self._reminders(event)
        self.assertEqual(len(sms), 2)
        self.assertIn("Mar 5, 2025 at 11:00 AM", sms[1].body)
        self._run("2025-03-05 14:10:00")
        self.assertEqual(len(self._reminders(event)), 2)

    def test_late_booking_is_reminded_at_once(self):
        self._switch_on(self.session_rule, "2025-03-04 14:00:00")
        with self._at("2025-03-04 14:30:00"):
            event = self._event("2025-03-04 15:30:00", self.client)
        self._run("2025-03-04 14:35:00")
        self.assertEqual(self._reminders(event).partner_id, self.client)

    def test_downtime_loses_nothing(self):
        self._switch_on(self.session_rule, "2025-03-04 10:00:00")
        with self._at("2025-03-04 09:00:00"):
            event = self._event("2025-03-04 18:00:00", self.client)
        # The cron did not run between 10:00 and 16:30 (due at 16:00).
        self._run("2025-03-04 16:30:00")
        self.assertEqual(len(self._reminders(event)), 1)

    def test_cancelled_event_and_declined_attendees_get_none(self):
        declining = self._client("Dee Declines", "+12015550155", "America/New_York")
        self._switch_on(self.session_rule, "2025-03-04 13:00:00", recipients="both")
        with self._at("2025-03-04 12:00:00"):
            cancelled = self._event("2025-03-04 16:00:00", self.client)
            cancelled.active = False
            partly = self._event("2025-03-04 16:00:00", self.client | declining)
            partly.attendee_ids.filtered(
                lambda a: a.partner_id == declining
            ).do_decline()
            off = self._event("2025-03-04 16:00:00", declining)
            off.attendee_ids.filtered(lambda a: a.partner_id == declining).do_decline()
        self._run("2025-03-04 14:01:00")
        self.assertFalse(self._reminders(cancelled.with_context(active_test=False)))
        self.assertEqual(
            self._reminders(partly).partner_id,
            self.client | self.practitioner.partner_id,
        )
        self.assertFalse(self._reminders(off), "every client declined: it is off")
        log = self.env["sms.reminder.log"].search([("res_id", "=", off.id)])
        self.assertEqual(log.state, "no_recipient")

    def test_two_runs_and_a_replayed_batch_queue_one_reminder(self):
        self._switch_on(self.session_rule, "2025-03-04 13:00:00")
        with self._at("2025-03-04 12:00:00"):
            event = self._event("2025-03-04 16:00:00", self.client)
        with self._at("2025-03-04 14:01:00"):
            due = self.session_rule._due(fields.Datetime.now(), 100)
            self.assertEqual(len(due), 1)
            # Two workers that both saw the reminder due: the database key lets
            # only the first one queue it.
            self.session_rule._remind(due)
            self.session_rule._remind(due)
        self._run("2025-03-04 14:02:00")
        self._run("2025-03-04 14:03:00")
        self.assertEqual(len(self._reminders(event)), 1)
        self.assertEqual(len(self._notes(event)), 1)

    def test_permission_gating_with_visible_skips(self):
        no_consent = self._client(
            "Nora No Consent", "+12015550166", "America/New_York", allowed=False
        )
        no_number = self._client("Nils No Number", False, "America/New_York")
        bad_number = self._client(
            "Ben Bad Number", "+1 201 555 012", "America/New_York"
        )
        opted_out = self._client("Otto Opted Out", "+12015550177", "America/New_York")
        self.env["phone.blacklist"].sudo().add("+12015550177")
        clients = self.client | no_consent | no_number | bad_number | opted_out
        self._switch_on(self.session_rule, "2025-03-04 13:00:00")
        with self._at("2025-03-04 12:00:00"):
            event = self._event("2025-03-04 16:00:00", clients)
        self._run("2025-03-04 14:01:00")
        sms = {message.partner_id: message for message in self._reminders(event)}
        self.assertEqual(len(sms), 5, "every recipient is visible")
        self.assertEqual(sms[self.client].state, "outgoing")
        expected = {
            no_consent: "tm_no_consent",
            no_number: "sms_number_missing",
            bad_number: "sms_number_format",
            opted_out: "sms_blacklist",
        }
        for partner, failure_type in expected.items():
            with self.subTest(partner=partner.name):
                self.assertRecordValues(
                    sms[partner], [{"state": "canceled", "failure_type": failure_type}]
                )
                self.assertEqual(
                    sms[partner].failure_explanation,
                    self.env["sms.sms"]._explain(failure_type),
                )
                self.assertIn(
                    f"Reminder from {self.env.company.name}: " "Therapy",
                    sms[partner].body,
                )
        note = self._notes(event)
        self.assertEqual(len(note), 1, "one note for the reminder")
        self.assertIn("Nora No Consent", note.body)
        self._dispatch()
        self.assertEqual([m["to"] for m in self.fake.messages("twilio")], [CLIENT])

    def test_note_is_an_internal_note_with_escaped_names(self):
        """The note is written in SQL (scripts/bench_reminders.py): it must be
        what ``_message_log_batch`` writes, an internal note by the runner,
        with the contact's name escaped."""
        hostile = self._client(
            '<img src=x onerror="alert(1)"> & Co', "+12015550144", "America/New_York"
        )
        self._switch_on(self.session_rule, "2025-03-04 13:00:00")
        with self._at("2025-03-04 12:00:00"):
            event = self._event("2025-03-04 16:00:00", self.client | hostile)
            other = self._event("2025-03-04 16:00:00", self.client)
        self._run("2025-03-04 14:01:00")
        note = self._notes(event)
        self.assertEqual(len(note), 1)
        self.assertRecordValues(
            note,
            [
                {
                    "model": "calendar.event",
                    "res_id": event.id,
                    "message_type": "notification",
                    "subtype_id": self.env.ref("mail.mt_note").id,
                    "author_id": self.env.user.partner_id.id,
                    "is_internal": True,
                }
            ],
        )
        body = str(note.body)
        self.assertNotIn("<img", body)
        self.assertIn("&lt;img src=x onerror=", body)
        self.assertIn("&amp; Co", body)
        self.assertIn(CLIENT, body)
        self.assertIn("+12015550144", body)
        self.assertFalse(note.notification_ids, "a note notifies nobody")
        # One message id per batch, as _message_log_batch gives.
        self.assertTrue(note.message_id)
        self.assertEqual(self._notes(other).message_id, note.message_id)

    def test_batches_report_progress_until_done(self):
        self.env["ir.config_parameter"].sudo().set_param(
            "text_messaging.reminder.batch_size", 2
        )
        self._switch_on(self.session_rule, "2025-03-04 13:00:00")
        with self._at("2025-03-04 12:00:00"):
            events = self.env["calendar.event"].concat(
                *(self._event("2025-03-04 16:00:00", self.client) for _i in range(5))
            )
        progress = []
        with patch.object(
            compat,
            "notify_progress",
            lambda _env, done, remaining: progress.append((done, remaining)),
        ):
            for _call in range(4):
                self._run("2025-03-04 14:01:00")
        self.assertEqual(progress, [(2, 3), (2, 1), (1, 0), (0, 0)])
        self.assertEqual(len(self._reminders(events)), 5)
        self.assertEqual(self.session_rule.last_run, datetime(2025, 3, 4, 14, 1))

    def test_queries_do_not_grow_with_the_batch(self):
        self._switch_on(self.session_rule, "2025-03-03 13:00:00")
        counts = []
        for day, size in ((3, 2), (4, 3), (5, 15)):
            clients = self.env["res.partner"].concat(
                *(
                    self._client(f"Client {day}-{i}", f"+1201555{day}{i:03d}", "UTC")
                    for i in range(size)
                )
            )
            with self._at(f"2025-03-0{day} 12:00:00"):
                for client in clients:
                    self._event(f"2025-03-0{day} 16:00:00", client)
            self.env.flush_all()
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            self._run(f"2025-03-0{day} 14:01:00")
            self.env.flush_all()
            counts.append(self.env.cr.sql_log_count - before)
            self.assertEqual(
                self.env["sms.sms"].search_count(
                    [("partner_id", "in", clients.ids), ("kind", "=", "reminder")]
                ),
                size,
            )
        # The first run warms the registry caches up.
        self.assertEqual(counts[1], counts[2], counts)

    def test_settings_switch_a_rule_on_with_its_hours_and_recipients(self):
        self.assertFalse(self.session_rule.active, "seeded switched off")
        with self._at("2025-03-04 12:00:00"):
            settings = self.env["res.config.settings"].create(
                {
                    "text_reminder_session_active": True,
                    "text_reminder_session_hours": 3,
                    "text_reminder_session_recipients": "both",
                    "text_quiet_hours_start": 22.0,
                }
            )
            settings.execute()
        self.assertRecordValues(
            self.session_rule,
            [
                {
                    "active": True,
                    "offset_hours": 3,
                    "recipients": "both",
                    "last_run": datetime(2025, 3, 4, 12, 0),
                }
            ],
        )
        self.assertEqual(self.company.text_quiet_hours_start, 22.0)
        form = Form(self.env["res.config.settings"])
        self.assertEqual(form.text_reminder_overdue_max, 3)
        self.assertFalse(form.text_reminder_task_active)


@tagged("post_install", "-at_install")
class TestInvoiceReminders(ReminderCase):
    def _invoice(self, due, partner=None, move_type="out_invoice", post=True):
        move = self.env["account.move"].create(
            {
                "move_type": move_type,
                "partner_id": (partner or self.client).id,
                "invoice_user_id": self.practitioner.id,
                "invoice_date": date(2025, 2, 1),
                "invoice_date_due": fields.Date.to_date(due),
                "invoice_line_ids": [
                    Command.create(
                        {
                            "name": "Session",
                            "quantity": 1,
                            "price_unit": 100.0,
                            "tax_ids": [Command.clear()],
                        }
                    )
                ],
            }
        )
        move.invoice_date_due = fields.Date.to_date(due)
        if post:
            move.action_post()
        return move

    def _pay(self, invoice):
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=invoice.ids
        ).create({"payment_date": invoice.invoice_date})._create_payments()

    def test_pending_invoice_before_due_date(self):
        self._switch_on(self.invoice_rule, "2025-03-03 12:00:00", recipients="both")
        with self._at("2025-03-03 12:00:00"):
            invoice = self._invoice("2025-03-06")
            draft = self._invoice("2025-03-06", post=False)
            bill = self._invoice("2025-03-06", move_type="in_invoice")
        # Due 2025-03-06 00:00 New York; 48 h before is 00:00 on the 4th, in
        # the quiet hours: sent at 08:00 (13:00 UTC).
        self._run("2025-03-04 05:30:00")
        self.assertFalse(self._reminders(invoice))
        self._run("2025-03-04 13:00:00")
        sms = self._reminders(invoice)
        self.assertEqual(sms.partner_id, self.client | self.practitioner.partner_id)
        body = sms.filtered(lambda s: s.partner_id == self.client).body
        self.assertIn(invoice.name, body)
        self.assertIn("$ 100.00", body)
        self.assertIn("due on Mar 6, 2025", body)
        self.assertFalse(self._reminders(draft | bill))
        self.assertEqual(len(self._notes(invoice)), 1)

    def test_paid_invoice_gets_none(self):
        self._switch_on(self.invoice_rule, "2025-03-03 12:00:00")
        with self._at("2025-03-03 12:00:00"):
            paid = self._invoice("2025-03-06")
            self._pay(paid)
            unpaid = self._invoice("2025-03-06")
        self.assertIn(paid.payment_state, ("paid", "in_payment"))
        self._run("2025-03-04 13:00:00")
        self.assertFalse(self._reminders(paid))
        self.assertTrue(self._reminders(unpaid))

    def test_overdue_invoice_repeats_up_to_the_maximum(self):
        # Defaults: 24 h after the due date, then every 7 days, 3 at most.
        self._switch_on(self.overdue_rule, "2025-02-28 12:00:00")
        with self._at("2025-02-28 12:00:00"):
            invoice = self._invoice("2025-03-01")
        self._run("2025-03-01 14:00:00")
        self.assertFalse(self._reminders(invoice), "not overdue by a day yet")
        for day, count in ((2, 1), (3, 1), (9, 2), (12, 2), (16, 3), (23, 3), (30, 3)):
            self._run(f"2025-03-{day:02d} 14:00:00")
            with self.subTest(day=day):
                self.assertEqual(len(self._reminders(invoice)), count)
        steps = self.env["sms.reminder.log"].search([("res_id", "=", invoice.id)])
        self.assertEqual(sorted(steps.mapped("step")), [0, 1, 2])
        self.assertIn("was due on Mar 1, 2025", self._reminders(invoice)[0].body)

    def test_overdue_invoice_paid_in_between_stops(self):
        self._switch_on(self.overdue_rule, "2025-02-28 12:00:00")
        with self._at("2025-02-28 12:00:00"):
            invoice = self._invoice("2025-03-01")
        self._run("2025-03-02 14:00:00")
        with self._at("2025-03-03 12:00:00"):
            self._pay(invoice)
        self._run("2025-03-09 14:00:00")
        self.assertEqual(len(self._reminders(invoice)), 1)


@tagged("post_install", "-at_install")
class TestTaskReminders(ReminderCase):
    def _task(self, deadline, **values):
        return self.env["project.task"].create(
            {
                "name": "Send the signed form",
                "project_id": self.project.id,
                "partner_id": self.client.id,
                "user_ids": [Command.set(self.practitioner.ids)],
                "date_deadline": fields.Datetime.to_datetime(deadline),
                **values,
            }
        )

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.project = cls.env["project.project"].create({"name": "Intake"})
        cls.open, cls.folded = cls.env["project.task.type"].create(
            [
                {
                    "name": "To do",
                    "sequence": 1,
                    "project_ids": [Command.link(cls.project.id)],
                },
                {
                    "name": "Closed",
                    "sequence": 10,
                    "fold": True,
                    "project_ids": [Command.link(cls.project.id)],
                },
            ]
        )

    def test_pending_task_before_its_deadline(self):
        self._switch_on(self.task_rule, "2025-03-04 12:00:00")
        with self._at("2025-03-04 12:00:00"):
            task = self._task("2025-03-05 20:00:00")
            done = self._task("2025-03-05 20:00:00", state="1_done")
            folded = self._task("2025-03-05 20:00:00", stage_id=self.folded.id)
        self._run("2025-03-04 19:00:00")
        self.assertFalse(self._reminders(task), "due at 20:00 the day before")
        self._run("2025-03-04 20:01:00")
        sms = self._reminders(task)
        self.assertEqual(sms.partner_id, self.client)
        self.assertEqual(
            sms.body,
            f"Reminder from {self.env.company.name}: "
            "Send the signed form (Intake) is due on Mar 5, 2025 at 3:00 PM.",
        )
        self.assertFalse(self._reminders(done | folded))

    def test_task_assignees_are_the_practitioners(self):
        self._switch_on(
            self.task_rule, "2025-03-04 12:00:00", recipients="practitioner"
        )
        with self._at("2025-03-04 12:00:00"):
            task = self._task("2025-03-05 20:00:00")
        self._run("2025-03-04 20:01:00")
        sms = self._reminders(task)
        self.assertEqual(sms.partner_id, self.practitioner.partner_id)
        self.assertIn("at 2:00 PM", sms.body)  # Chicago


# --------------------------------------------------------------------------
# Two cron workers at once. A TransactionCase cannot show this: these plain
# pytest functions (run by pytest-odoo on the test database) commit their own
# rows, run the reminder cron in two threads on their own cursors, and delete
# everything at the end.


@pytest.fixture
def registry():
    return Registry(compat.config_db_name())


@contextmanager
def env_of(registry):
    with registry.cursor() as cr:
        yield odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})


@pytest.fixture
def committed_sessions(registry):
    """30 sessions due now, each with a client who allows reminders, and the
    session rule switched on alone; all undone afterwards."""
    now = datetime.utcnow().replace(microsecond=0)
    with env_of(registry) as env:
        company = env.ref("base.main_company")
        rule = env.ref("text_messaging.sms_reminder_rule_session")
        others = env["sms.reminder.rule"].search([("id", "!=", rule.id)])
        saved = {
            "rule": rule.read(
                ["active", "last_run", "offset_hours", "recipients", "company_id"]
            )[0],
            "quiet": company.text_quiet_hours,
            "others": others.ids,
        }
        others.active = False
        company.text_quiet_hours = False
        rule.write(
            {
                "active": True,
                "offset_hours": 2,
                "recipients": "client",
                "company_id": company.id,
            }
        )
        rule.last_run = now - timedelta(minutes=10)
        clients = env["res.partner"].create(
            [
                {
                    "name": f"Concurrent client {index}",
                    "phone": f"+1201555{index + 2000:04d}",
                    "text_reminders_allowed": True,
                }
                for index in range(30)
            ]
        )
        start = now + timedelta(hours=2) - timedelta(minutes=1)
        events = (
            env["calendar.event"]
            .with_context(no_mail_to_attendees=True, mail_create_nolog=True)
            .create(
                [
                    {
                        "name": "Concurrent session",
                        "start": start,
                        "stop": start + timedelta(hours=1),
                        "user_id": env.ref("base.user_admin").id,
                        "partner_ids": [Command.set(client.ids)],
                    }
                    for client in clients
                ]
            )
        )
        ids = {"events": events.ids, "clients": clients.ids}
    yield ids
    with env_of(registry) as env:
        env["sms.sms"].search(
            [("res_model", "=", "calendar.event"), ("res_id", "in", ids["events"])]
        ).unlink()
        env["sms.reminder.log"].search(
            [("res_model", "=", "calendar.event"), ("res_id", "in", ids["events"])]
        ).unlink()
        env["calendar.event"].browse(ids["events"]).unlink()
        env["res.partner"].browse(ids["clients"]).unlink()
        rule = env.ref("text_messaging.sms_reminder_rule_session")
        values = saved["rule"]
        rule.write(
            {
                "active": values["active"],
                "last_run": values["last_run"],
                "offset_hours": values["offset_hours"],
                "recipients": values["recipients"],
                "company_id": values["company_id"][0],
            }
        )
        env["sms.reminder.rule"].browse(saved["others"]).active = True
        env.ref("base.main_company").text_quiet_hours = saved["quiet"]


def test_two_concurrent_reminder_crons_queue_each_reminder_once(
    registry, committed_sessions
):
    barrier = threading.Barrier(2)
    errors = []

    def worker():
        # The loser of the race hits the database key (or the rule's last run)
        # and gets a serialization failure: it rolls back and runs again, as
        # Odoo's RPC layer does, and then finds nothing left to do.
        try:
            with env_of(registry) as env:
                barrier.wait()
                retrying(lambda: env["sms.reminder.rule"]._cron_send_reminders(), env)
        except Exception as error:  # reported below, with the assertion
            errors.append(error)

    threads = [threading.Thread(target=worker) for _index in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors
    with env_of(registry) as env:
        env.cr.execute(
            "SELECT res_id, count(*) FROM sms_sms WHERE res_model = 'calendar.event' "
            "AND res_id = ANY(%s) AND kind = 'reminder' GROUP BY res_id",
            [committed_sessions["events"]],
        )
        counts = dict(env.cr.fetchall())
        env.cr.execute(
            "SELECT count(*) FROM sms_reminder_log WHERE res_id = ANY(%s)",
            [committed_sessions["events"]],
        )
        logs = env.cr.fetchone()[0]
    assert counts == dict.fromkeys(committed_sessions["events"], 1)
    assert logs == 30
