from ast import literal_eval

from lxml import etree

from odoo.tests import new_test_user, tagged

from ..tools import compat
from .common import TextMessagingCase


@tagged("post_install", "-at_install")
class TestFirstHour(TextMessagingCase):
    """What a new user meets in the first hour: where the app opens, what the
    screens count, where the buttons are."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.twilio = cls._gateway("twilio", is_default=True)
        cls.texter = new_test_user(
            cls.env,
            login="tm_first_texter",
            groups="base.group_user,text_messaging.group_text_messaging_user",
        )

    def _arch(self, xmlid, model, user=None):
        view = self.env.ref(xmlid)
        env = self.env(user=user) if user else self.env
        arch = env[model].get_views([(view.id, view.type)])["views"][view.type]["arch"]
        return etree.fromstring(arch)

    def test_the_app_opens_on_the_history(self):
        root = self.env.ref("text_messaging.text_messaging_menu_root")
        self.assertEqual(
            root.action, self.env.ref("text_messaging.sms_sms_action_history")
        )
        menus = self.env["ir.ui.menu"].with_user(self.texter).load_menus(False)
        history = self.env.ref("text_messaging.sms_sms_action_history")
        self.assertEqual(
            compat.menu_action(menus[root.id]),
            f"ir.actions.act_window,{history.id}",
            "a texting user lands on the History, not on a pop-up",
        )

    def test_usage_counts_only_what_the_gateways_sent(self):
        sms = self._queue(
            self.twilio,
            {"+12015550101": "x" * 200, "+12015550102": "one", "+12015550103": "two"},
        )
        self._dispatch()
        sms[1].write({"state": "canceled"})
        sms[2].write({"state": "error", "failure_type": "sms_server"})
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "text_messaging.sms_sms_action_usage"
        )
        domain = [("id", "in", sms.ids), *literal_eval(action["domain"] or "[]")]
        [(segments,)] = self.env["sms.sms"]._read_group(domain, [], ["segments:sum"])
        self.assertEqual(segments, 2, "the 200-character text only")

    def test_gateway_credentials_are_on_the_sheet(self):
        arch = self._arch("text_messaging.sms_gateway_view_form", "sms.gateway")
        account_sid = arch.xpath("//field[@name='account_sid']")
        self.assertTrue(account_sid)
        self.assertFalse(
            account_sid[0].xpath("ancestor::page"),
            "a required credential on a tab fails the save where it cannot be seen",
        )

    def test_reminder_settings_are_switches(self):
        arch = self._arch(
            "text_messaging.res_config_settings_view_form_reminders",
            "res.config.settings",
        )
        block = arch.xpath("//block[@name='text_messaging_reminders']")[0]
        settings = [
            s for s in block.iter("setting") if s.get("id") != "text_reminder_rules"
        ]
        self.assertGreaterEqual(len(settings), 5)
        fields = self.env["res.config.settings"]._fields
        for setting in settings:
            first = [child for child in setting if isinstance(child.tag, str)][0]
            with self.subTest(setting=setting.get("id")):
                self.assertEqual(first.tag, "field")
                self.assertEqual(fields[first.get("name")].type, "boolean")

    def test_reminders_sent_lists_manual_and_automated_ones(self):
        rows = self._queue(self.twilio, {"+12015550111": "a", "+12015550112": "b"})
        rows[0].kind = "reminder"
        rows[1].kind = "manual_reminder"
        menu = self.env.ref("text_messaging.text_messaging_menu_reminders")
        self.assertEqual(
            menu.action, self.env.ref("text_messaging.sms_sms_action_reminders")
        )
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "text_messaging.sms_sms_action_reminders"
        )
        found = self.env["sms.sms"].search(
            [("id", "in", rows.ids), *literal_eval(action["domain"] or "[]")]
        )
        self.assertEqual(found, rows)

    def test_text_buttons_on_contacts_and_documents(self):
        partner_form = self._arch("base.view_partner_form", "res.partner")
        custom = self.env.ref("text_messaging.sms_custom_message_action_partner")
        self.assertTrue(partner_form.xpath(f"//button[@name='{custom.id}']"))
        for xmlid, model, action in [
            (
                "account.view_move_form",
                "account.move",
                "sms_reminder_composer_action_account_move",
            ),
            (
                "project.view_task_form2",
                "project.task",
                "sms_reminder_composer_action_project_task",
            ),
            (
                "calendar.view_calendar_event_form",
                "calendar.event",
                "sms_reminder_composer_action_calendar_event",
            ),
        ]:
            with self.subTest(model=model):
                action_id = self.env.ref(f"text_messaging.{action}").id
                arch = self._arch(xmlid, model)
                self.assertTrue(arch.xpath(f"//button[@name='{action_id}']"))
        # A texting user (not an administrator) has it too.
        arch = self._arch("base.view_partner_form", "res.partner", self.texter)
        self.assertTrue(arch.xpath(f"//button[@name='{custom.id}']"))

    def test_possible_numbers_are_explained(self):
        arch = self._arch("base.view_partner_form", "res.partner")
        notes = arch.xpath("//div[@invisible=\"text_number_validity != 'possible'\"]")
        self.assertTrue(notes)
        text = " ".join("".join(notes[0].itertext()).split())
        self.assertIn("no such number is in service", text)
