"""The attacks of issue 9, each replayed as the role that tried it."""

from datetime import date, datetime

from freezegun import freeze_time

from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged
from odoo.tools import SQL, mute_logger

from ..tools import compat
from .common import TextMessagingCase
from .test_reminders import ReminderCase

# The user's groups field has the series' name: the attack would otherwise fail
# on 19.0 for the wrong reason (an unknown field).
ESCALATE = (
    "{{ object.env['res.users'].browse(%d).sudo().write("
    "{'" + compat.USER_GROUPS + "': [(4, object.env.ref('base.group_system').id)]}) }}"
)
EXFILTRATE = "{{ object.env['sms.gateway'].search([]).mapped('auth_token') }}"
AUTHOR_LOGGER = "odoo.addons.text_messaging.models.sms_author_mixin"
RENDER_LOGGER = "odoo.addons.mail.models.mail_render_mixin"


@tagged("post_install", "-at_install")
class TestSecurityAttacks(TextMessagingCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_b = cls.env["res.company"].create(
            {"name": "Company B", "country_id": cls.env.ref("base.us").id}
        )
        cls.twilio = cls._gateway("twilio", is_default=True)
        cls.twilio_b = cls._gateway(
            "twilio", company_id=cls.company_b.id, is_default=True
        )
        texter = "base.group_user,text_messaging.group_text_messaging_user"
        cls.user = new_test_user(cls.env, login="tm_attack_user", groups=texter)
        cls.user_b = new_test_user(
            cls.env,
            login="tm_attack_user_b",
            groups=texter,
            company_id=cls.company_b.id,
            company_ids=[(6, 0, cls.company_b.ids)],
        )
        cls.tm_admin = new_test_user(
            cls.env,
            login="tm_attack_admin",
            groups="base.group_user,text_messaging.group_text_messaging_manager",
        )
        cls.portal = new_test_user(
            cls.env, login="tm_attack_portal", groups="base.group_portal"
        )
        cls.admin = cls.env.ref("base.user_admin")
        # A contact of company A only: company B must not reach it.
        cls.partner_a = cls.env["res.partner"].create(
            {
                "name": "Private A",
                "phone": "+12015550111",
                "company_id": cls.company.id,
            }
        )

    def _force_author(self, record, user):
        """As if ``user`` had written it (before the save-time check existed,
        or before losing the right to)."""
        record.sudo().write({"text_author_id": user.id})

    # ------------------------------------------------ rendering as author --

    def test_scheduled_message_cannot_make_its_author_an_administrator(self):
        Scheduled = self.env["sms.scheduled.message"].with_user(self.user)
        vals = {
            "partner_ids": [(6, 0, self.partner.ids)],
            "body": ESCALATE % self.user.id,
            "start_date": date(2030, 1, 7),
            "send_time": 9.0,
            "tz": "UTC",
        }
        with self.assertRaises(AccessError):
            Scheduled.create(vals)
        # Written by someone allowed, then attributed to the user: the cron
        # still renders it with the user's rights, not the superuser's.
        message = self.env["sms.scheduled.message"].with_user(self.admin).create(vals)
        self.assertEqual(message.text_author_id, self.admin)
        self._force_author(message, self.user)
        good = self.env["sms.scheduled.message"].create(
            dict(vals, body="Hello {{ object.name }}")
        )
        with (
            freeze_time(datetime(2030, 1, 7, 9, 5)),
            mute_logger(AUTHOR_LOGGER, RENDER_LOGGER),
        ):
            self.env["sms.scheduled.message"]._cron_send_due()
        self.assertFalse(self.user.has_group("base.group_system"))
        self.assertEqual(message.state, "failed")
        self.assertIn("Template Editor", message.failure_reason)
        self.assertEqual(message.activity_ids.user_id, self.user)
        self.assertEqual(good.state, "done", "the other message went out")
        self.assertEqual(good.sms_count, 1)

    def test_mass_message_cannot_copy_credentials_into_texts(self):
        Mass = self.env["sms.mass.message"].with_user(self.user)
        vals = {"name": "Exfiltrate", "body": EXFILTRATE, "domain": "[]"}
        with self.assertRaises(AccessError):
            Mass.create(vals)
        message = self.env["sms.mass.message"].create(
            dict(vals, domain=f"[('id', '=', {self.partner.id})]")
        )
        self._force_author(message, self.user)
        message.write({"state": "sending"})
        with mute_logger(AUTHOR_LOGGER, RENDER_LOGGER):
            self.env["sms.mass.message"]._cron_enqueue()
        token = self.twilio.sudo().auth_token
        self.assertFalse(
            self.env["sms.sms"].sudo().search([("body", "like", token)]),
            "no text carries a credential",
        )
        self.assertEqual(message.state, "failed")
        self.assertTrue(message.failure_reason)

    def test_template_editor_cannot_be_bypassed_with_a_template_body(self):
        """A non-editor may send a template as it is, not code of their own."""
        template = self.env["sms.template"].create(
            {
                "name": "Hello",
                "model_id": self.env.ref("base.model_res_partner").id,
                "body": "Hello {{ object.name }}",
            }
        )
        Mass = self.env["sms.mass.message"].with_user(self.user)
        message = Mass.create(
            {"name": "Ok", "template_id": template.id, "body": template.body}
        )
        self.assertEqual(message.body, template.body)
        with self.assertRaises(AccessError):
            message.write({"body": EXFILTRATE})
        with self.assertRaises(AccessError):
            template.with_user(self.tm_admin).write({"body": EXFILTRATE})

    def test_mass_message_domain_is_searched_as_its_author(self):
        Mass = self.env["sms.mass.message"].with_user(self.user_b)
        message = Mass.with_company(self.company_b).create(
            {
                "name": "Reach A",
                "body": "Hello",
                "domain": f"[('id', 'in', [{self.partner_a.id}])]",
            }
        )
        self.assertEqual(message.company_id, self.company_b)
        message.sudo().write({"state": "sending"})
        self.env["sms.mass.message"]._cron_enqueue()
        self.assertFalse(
            self.env["sms.sms"].search([("partner_id", "=", self.partner_a.id)]),
            "company B's message does not text company A's contacts",
        )

    # --------------------------------------------------------- gateways --

    def test_portal_and_text_messaging_admin_cannot_rotate_tokens(self):
        token = self.twilio.sudo().webhook_token
        for user in (self.portal, self.user, self.tm_admin):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                self.env["sms.gateway"].with_user(user).browse(
                    self.twilio.id
                ).action_regenerate_webhook_token()
        self.assertEqual(self.twilio.sudo().webhook_token, token)
        self.twilio.action_regenerate_webhook_token()
        self.assertNotEqual(self.twilio.sudo().webhook_token, token)

    def test_text_messaging_admin_cannot_send_credentials_elsewhere(self):
        gateway = self.twilio.with_user(self.tm_admin)
        for vals in (
            {"base_url": "https://attacker.example"},
            {"provider": "plivo"},
            {"company_id": self.company_b.id},
        ):
            with self.subTest(vals=vals), self.assertRaises(AccessError):
                gateway.write(vals)
        with self.assertRaises(AccessError):
            gateway.action_test_connection()
        with self.assertRaises(AccessError):
            gateway.action_open_send_test()
        gateway.write({"sender": "+15005550006", "max_attempts": 3})
        self.assertEqual(self.fake.received, [], "nothing reached the provider")

    # -------------------------------------------------------- companies --

    def test_company_b_reads_only_its_own_texts(self):
        text_a = self.env["sms.sms"].create(
            {"number": "+12015550101", "body": "your biopsy results are ready"}
        )
        text_b = (
            self.env["sms.sms"]
            .with_company(self.company_b)
            .create({"number": "+12015550102", "body": "B"})
        )
        self.assertEqual(
            (text_a.company_id, text_b.company_id),
            (
                self.company,
                self.company_b,
            ),
        )
        visible = self.env["sms.sms"].with_user(self.user_b).search([])
        self.assertIn(text_b, visible)
        self.assertNotIn(text_a, visible)
        with self.assertRaises(AccessError):
            text_a.with_user(self.user_b).read(["body"])

    def test_plain_employee_neither_reads_nor_sends_texts(self):
        """Odoo's own expectation (test_sms_send_crash_employee): a plain
        employee gets an AccessError on sms.sms."""
        employee = new_test_user(
            self.env, login="tm_attack_employee", groups="base.group_user"
        )
        text = self.env["sms.sms"].create({"number": "+12015550101", "body": "x"})
        with self.assertRaises(AccessError):
            self.env["sms.sms"].with_user(employee).browse(text.ids).send()
        with self.assertRaises(AccessError):
            text.with_user(employee).read(["body"])

    def test_custom_message_refuses_another_company_gateway(self):
        wizard = (
            self.env["sms.custom.message"]
            .with_user(self.user_b)
            .with_company(self.company_b)
            .create(
                {
                    "numbers": "+12015550123",
                    "body": "Through A's account",
                    "gateway_id": self.twilio.id,
                }
            )
        )
        try:
            wizard.action_send()
        except (AccessError, UserError) as error:
            refused = error
        else:
            refused = None
        self.assertTrue(refused, "another company's gateway is refused")
        self.assertFalse(
            self.env["sms.sms"].search([("body", "=", "Through A's account")])
        )

    def test_text_goes_through_its_own_company_gateway(self):
        """Not through the gateway of whoever runs the dispatcher."""
        text_b = (
            self.env["sms.sms"]
            .with_company(self.company_b)
            .create({"number": "+12015550102", "body": "B's text"})
        )
        text_a = self.env["sms.sms"].create(
            {"number": "+12015550103", "body": "A's text"}
        )
        routes = (text_a | text_b)._route_to_gateways()
        self.assertEqual(routes[self.twilio_b], text_b)
        self.assertEqual(routes[self.twilio], text_a)
        self.assertEqual(text_b.gateway_id, self.twilio_b)

    def test_document_company_decides_the_text_company(self):
        partner_b = self.env["res.partner"].create(
            {"name": "B contact", "company_id": self.company_b.id}
        )
        text = self.env["sms.sms"].create(
            {
                "number": "+12015550104",
                "body": "About a B document",
                "res_model": "res.partner",
                "res_id": partner_b.id,
            }
        )
        self.assertEqual(text.company_id, self.company_b)

    def test_existing_texts_get_their_company_on_upgrade(self):
        partner_b = self.env["res.partner"].create(
            {"name": "B contact", "company_id": self.company_b.id}
        )
        by_document = self.env["sms.sms"].create(
            {
                "number": "+12015550105",
                "body": "doc",
                "res_model": "res.partner",
                "res_id": partner_b.id,
            }
        )
        by_author = (
            self.env["sms.sms"]
            .with_user(self.user_b)
            .sudo()
            .create({"number": "+12015550106", "body": "author"})
        )
        rows = by_document | by_author
        rows.flush_recordset()
        self.env.cr.execute(
            SQL("UPDATE sms_sms SET company_id = NULL WHERE id = ANY(%s)", rows.ids)
        )
        self.env["sms.sms"]._backfill_company_id()
        rows.invalidate_recordset(["company_id"])
        self.assertEqual(by_document.company_id, self.company_b)
        self.assertEqual(by_author.company_id, self.company_b)

    # ---------------------------------------------------------- inbound --

    def test_received_texts_cannot_be_forged(self):
        inbound = self.env["sms.inbound"].create(
            {"gateway_id": self.twilio.id, "number": "+12015550001", "body": "Hi"}
        )
        for user in (self.user, self.tm_admin):
            for vals in (
                {"body": "Please cancel my appointment"},
                {"partner_id": self.partner.id},
                {"number": "+12015550999"},
            ):
                with self.subTest(user=user.login, vals=vals):
                    with self.assertRaises(AccessError):
                        inbound.with_user(user).write(vals)
        self.assertEqual(inbound.body, "Hi")
        inbound.with_user(self.user).action_assign_partner(self.partner)
        self.assertEqual(inbound.partner_id, self.partner)
        self.env.flush_all()
        self.env.cr.precommit.run()  # tracking is written at commit
        tracked = inbound.message_ids.tracking_value_ids.filtered(
            lambda value: value.field_id.name == "partner_id"
        )
        self.assertEqual(tracked.mail_message_id.author_id, self.user.partner_id)
        with self.assertRaises(UserError):
            inbound.action_assign_partner(
                self.env["res.partner"].create(
                    {"name": "B only", "company_id": self.company_b.id}
                )
            )

    # -------------------------------------------------------- isolation --

    def test_one_bad_mass_message_does_not_stop_the_others(self):
        Mass = self.env["sms.mass.message"].with_user(self.admin)
        domain = f"[('id', '=', {self.partner.id})]"
        bad = Mass.create(
            {"name": "Bad", "body": "{{ object.nonexistent }}", "domain": domain}
        )
        good = Mass.create({"name": "Good", "body": "Fine", "domain": domain})
        (bad | good).sudo().write({"state": "sending"})
        with mute_logger(AUTHOR_LOGGER, RENDER_LOGGER):
            for _call in range(3):
                self.env["sms.mass.message"]._cron_enqueue()
        self.assertEqual(bad.state, "failed")
        self.assertTrue(bad.failure_reason.startswith("Not sent"))
        self.assertEqual(bad.activity_ids.user_id, self.admin)
        self.assertEqual(good.state, "done")
        self.assertEqual(good.queued_count, 1)


@tagged("post_install", "-at_install")
class TestReminderIsolation(ReminderCase):
    def test_one_bad_reminder_rule_does_not_stop_the_others(self):
        broken = self.env["sms.template"].create(
            {
                "name": "Broken",
                "model_id": self.env.ref("calendar.model_calendar_event").id,
                "body": "{{ object.nonexistent }}",
            }
        )
        bad = self.session_rule.copy(
            {"name": "Broken rule", "template_id": broken.id, "sequence": 1}
        )
        self._switch_on(bad, "2025-03-04 13:00:00")
        self._switch_on(self.session_rule, "2025-03-04 13:00:00")
        with self._at("2025-03-04 12:00:00"):
            event = self._event("2025-03-04 16:00:00", self.client)
        with mute_logger(AUTHOR_LOGGER, RENDER_LOGGER):
            self._run("2025-03-04 14:01:00")
        self.assertTrue(bad.failure_reason.startswith("Not sent"))
        self.assertTrue(bad.activity_ids)
        sms = self._reminders(event)
        self.assertEqual(len(sms), 1, "the good rule reminded the client")
        self.assertFalse(
            self.env["sms.reminder.log"].search([("rule_id", "=", bad.id)]),
            "the bad rule's batch was rolled back, to be retried",
        )

    def test_a_company_less_task_is_reminded_by_one_company_only(self):
        """Both companies' rules used to remind a task without a company: it
        now belongs to its creator's company, and only that rule reminds it."""
        company_b = self.env["res.company"].create({"name": "Company B"})
        rule_b = self.task_rule.copy({"company_id": company_b.id, "name": "B tasks"})
        self._switch_on(self.task_rule, "2025-03-04 12:00:00")
        self._switch_on(rule_b, "2025-03-04 12:00:00")
        project = self.env["project.project"].create(
            {"name": "Shared", "company_id": False}
        )
        with self._at("2025-03-04 12:00:00"):
            task = self.env["project.task"].create(
                {
                    "name": "Shared task",
                    "project_id": project.id,
                    "partner_id": self.client.id,
                    "date_deadline": datetime(2025, 3, 5, 20, 0),
                }
            )
        self.assertFalse(task.company_id)
        self._run("2025-03-04 20:01:00")
        logs = self.env["sms.reminder.log"].search(
            [("res_model", "=", "project.task"), ("res_id", "=", task.id)]
        )
        self.assertEqual(logs.rule_id, self.task_rule)
        self.assertEqual(self._reminders(task).company_id, self.company)


@tagged("post_install", "-at_install")
class TestGreetingIsolation(TextMessagingCase):
    def test_one_bad_greeting_rule_does_not_stop_the_others(self):
        company_b = self.env["res.company"].create({"name": "Company B"})
        rule_a = self.env.ref("text_messaging.sms_greeting_rule_main_company")
        good_template = rule_a.template_id
        broken = self.env["sms.template"].create(
            {
                "name": "Broken greeting",
                "model_id": self.env.ref("base.model_res_partner").id,
                "body": "{{ object.nonexistent }}",
            }
        )
        rule_a.write({"active": True, "send_hour": 0.0, "template_id": broken.id})
        rule_b = self.env["sms.greeting.rule"].create(
            {
                "company_id": company_b.id,
                "send_hour": 0.0,
                "template_id": good_template.id,
            }
        )
        birthday = {
            "phone": "+12015550002",
            "text_birthdate": date(1990, 6, 15),
            "text_reminders_allowed": True,
        }
        partner_a = self.env["res.partner"].create(
            dict(birthday, name="A", company_id=self.company.id)
        )
        partner_b = self.env["res.partner"].create(
            dict(birthday, name="B", company_id=company_b.id, phone="+12015550003")
        )
        with (
            freeze_time("2025-06-15 12:00:00"),
            mute_logger(AUTHOR_LOGGER, RENDER_LOGGER),
        ):
            self.env["sms.greeting.rule"]._cron_send_greetings()
        greetings = self.env["sms.sms"].search([("kind", "=", "greeting")])
        self.assertEqual(greetings.partner_id, partner_b)
        self.assertTrue(rule_a.failure_reason.startswith("Not sent"))
        self.assertTrue(rule_a.activity_ids)
        self.assertFalse(rule_b.failure_reason)
        self.assertFalse(partner_a.text_greeted_year, "greeted once fixed")
