"""Conversations in Discuss: a contact's texts both ways in one channel, through
the real Twilio webhook over HTTP, Discuss's own routes as real staff users and
the local fake provider; texts of wizards, mass sends and rules logged on the
contact and the document; unassigned texts."""

import json

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import Form, HttpCase, new_test_user, tagged
from odoo.tests.common import JsonRpcException
from odoo.tools import mute_logger

from .common import TextMessagingCase
from .test_reminders import CLIENT, ReminderCase

NUMBER = "+12015550141"
UNKNOWN = "+12015550177"
USER_GROUPS = "base.group_user,text_messaging.group_text_messaging_user"
# What Discuss answers to a post in a channel one may not see.
DENIALS = ("odoo.exceptions.AccessError", "werkzeug.exceptions.NotFound")


class ConversationMixin:
    """Webhook, Discuss and user helpers shared by the conversation tests."""

    def _text_in(self, body, number=NUMBER, gateway=None):
        """A text from ``number`` through the gateway's signed inbound webhook."""
        gateway = (gateway or self.twilio).sudo()
        path = f"/text_messaging/webhook/{gateway.id}/{gateway.webhook_token}/inbound"
        headers, payload = self.fake.inbound_callback(
            "twilio", number, body, gateway.inbound_webhook_url
        )
        self.opener.cookies.clear()
        response = self.url_open(
            self.base_url() + path, data=payload, headers=headers, allow_redirects=False
        )
        self.assertEqual(response.status_code, 200, response.text)
        self.env.invalidate_all()
        return self.env["sms.inbound"].search([("body", "=", body)], limit=1)

    def _post_as(self, user, channel, body):
        """What Discuss does when ``user`` sends a message in ``channel``."""
        self.authenticate(user.login, user.login)
        self.env.invalidate_all()
        return self.make_jsonrpc_request(
            "/mail/message/post",
            {
                "thread_model": "discuss.channel",
                "thread_id": channel.id,
                "post_data": {
                    "body": body,
                    "message_type": "comment",
                    "subtype_xmlid": "mail.mt_comment",
                },
            },
        )

    def _read_as(self, user, channel):
        """What Discuss does when ``user`` opens ``channel``."""
        self.authenticate(user.login, user.login)
        last = channel.message_ids.sorted("id")[-1]
        self.make_jsonrpc_request(
            "/discuss/channel/mark_as_read",
            {"channel_id": channel.id, "last_message_id": last.id},
        )

    def _unread(self, user, channel):
        self.env.invalidate_all()
        member = channel.sudo().channel_member_ids.filtered(
            lambda m: m.partner_id == user.partner_id
        )
        member.invalidate_recordset()
        return member.message_unread_counter

    def _conversation(self, partner, company=None):
        return self.env["discuss.channel"].search(
            [
                ("text_partner_id", "=", partner.id),
                ("text_company_id", "=", (company or self.company).id),
            ]
        )

    def _texts(self, channel):
        """The conversation's texts, oldest first, as (author, plain text)."""
        self.env.invalidate_all()
        return [
            (message.author_id, message.preview)
            for message in channel.message_ids.sorted("id")
            if message.message_type in ("sms", "comment")
        ]


@tagged("post_install", "-at_install")
class TestConversations(ConversationMixin, TextMessagingCase, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.text_quiet_hours = False
        cls.twilio = cls._gateway("twilio", is_default=True)
        cls.twilio.write(cls.fake.webhook_credentials("twilio"))
        cls.contact = cls.env["res.partner"].create(
            {"name": "Cleo Client", "phone": "(201) 555-0141"}
        )
        # Alice may also create contacts (Odoo's default for employees).
        cls.alice, cls.bruno = (
            new_test_user(
                cls.env,
                login=login,
                password=login,
                name=name,
                groups=groups,
                company_id=cls.company.id,
                company_ids=[Command.set(cls.company.ids)],
            )
            for login, name, groups in (
                ("tm_alice", "Alice", USER_GROUPS + ",base.group_partner_manager"),
                ("tm_bruno", "Bruno", USER_GROUPS),
            )
        )
        cls.company.text_staff_in_charge_ids = cls.alice | cls.bruno

    def test_five_texts_both_ways_with_unread_counts(self):
        self.assertEqual(self.contact.text_number, NUMBER)
        self._text_in("Hi, can I come at 4?")
        channel = self._conversation(self.contact)
        self.assertTrue(channel, "the contact's first text opens the conversation")
        self.assertEqual(channel.channel_type, "channel")
        self.assertEqual(
            channel.group_public_id,
            self.env.ref("text_messaging.group_text_messaging_user"),
        )
        self.assertEqual(
            channel.channel_member_ids.partner_id,
            (self.alice | self.bruno).partner_id,
            "the staff in charge follow it, nobody else",
        )
        self._post_as(self.alice, channel, "Yes, 4 pm works.")
        self._text_in("Great, see you then")
        self._post_as(self.bruno, channel, "<p>Bring your <b>X-rays</b> please.</p>")
        self._text_in("Will do 👍")

        self.assertEqual(
            self._texts(channel),
            [
                (self.contact, "Hi, can I come at 4?"),
                (self.alice.partner_id, "Yes, 4 pm works."),
                (self.contact, "Great, see you then"),
                (self.bruno.partner_id, "Bring your X-rays please."),
                (self.contact, "Will do 👍"),
            ],
        )
        # Each answer went out as a text, through the gateway, once.
        self._dispatch()
        sent = [m["body"] for m in self.fake.messages() if m["to"] == NUMBER]
        # Discuss's rich text as plain text (bold as *bold*).
        self.assertEqual(sent, ["Yes, 4 pm works.", "Bring your *X-rays* please."])
        history = self.env["sms.sms"].search(
            [("res_model", "=", "discuss.channel"), ("res_id", "=", channel.id)],
            order="id",
        )
        self.assertEqual(history.mapped("state"), ["pending", "pending"])
        self.assertEqual(history.mapped("create_uid"), self.alice | self.bruno)
        # Unread: a member's own posts are read; Alice then opens it.
        self.assertEqual(self._unread(self.alice, channel), 3)
        self.assertEqual(self._unread(self.bruno, channel), 1)
        self._read_as(self.alice, channel)
        self.assertEqual(self._unread(self.alice, channel), 0)
        self.assertEqual(self._unread(self.bruno, channel), 1)
        self._text_in("Oh, one more thing")
        self.assertEqual(self._unread(self.alice, channel), 1)
        self.assertEqual(self._unread(self.bruno, channel), 2)
        # The list of Conversations shows the reader's own counter.
        self.assertEqual(channel.with_user(self.bruno).text_unread_counter, 2)
        # Both ways are in the contact's chatter too.
        chatter = self.contact.message_ids.filtered(lambda m: m.message_type == "sms")
        self.assertEqual(len(chatter), 6)

    def test_answer_reaches_provider_and_history_with_segments(self):
        channel = self.env["discuss.channel"]._text_conversations(
            self.contact, self.company
        )[self.contact.id]
        self._post_as(self.alice, channel, "Your results are in: all good ✅")
        sms = self.env["sms.sms"].search(
            [("res_model", "=", "discuss.channel"), ("res_id", "=", channel.id)]
        )
        self.assertRecordValues(
            sms,
            [
                {
                    "number": NUMBER,
                    "partner_id": self.contact.id,
                    "kind": "reply",
                    "state": "outgoing",
                    "company_id": self.company.id,
                    "encoding": "ucs2",
                    "segments": 1,
                }
            ],
        )
        self._dispatch()
        self.assertEqual(sms.state, "pending")
        self.assertEqual(sms.gateway_id, self.twilio)
        (message,) = self.fake.messages()
        self.assertEqual(message["to"], NUMBER)
        self.assertEqual(message["body"], "Your results are in: all good ✅")

    def test_provider_failure_is_told_in_the_conversation(self):
        channel = self.env["discuss.channel"]._text_conversations(
            self.contact, self.company
        )[self.contact.id]
        self._post_as(self.alice, channel, "Reminder: fasting from midnight")
        self.fake.force(
            status=400,
            body={"code": 21211, "message": "Invalid 'To' Phone Number", "status": 400},
        )
        self._dispatch()
        note = channel.message_ids.sorted("id")[-1]
        self.assertEqual(note.author_id, self.env.ref("base.partner_root"))
        self.assertIn("did not go through", note.body)
        self.assertIn("not valid", note.body)
        self.assertEqual(self.fake.count_to(NUMBER), 1, "the note is not texted")

    def test_opted_out_contact_answer_is_refused_clearly(self):
        self._text_in("STOP")
        channel = self._conversation(self.contact)
        self._dispatch()  # the STOP confirmation
        self.fake.reset()
        self._post_as(self.alice, channel, "Sorry to see you go! One last thing")
        sms = self.env["sms.sms"].search(
            [("res_model", "=", "discuss.channel"), ("res_id", "=", channel.id)]
        )
        self.assertEqual(sms.state, "canceled")
        self.assertEqual(sms.failure_type, "sms_blacklist")
        note = channel.message_ids.sorted("id")[-1]
        self.assertIn("Not texted to Cleo Client", note.body)
        self.assertIn("opted out", note.body)
        # Nothing was lost: Alice's words stay in the conversation.
        self.assertIn("Sorry to see you go!", channel.message_ids.sorted("id")[-2].body)
        self._dispatch()
        self.assertEqual(self.fake.count_to(NUMBER), 0)

    def test_unknown_number_notifies_in_charge_then_joins_conversation(self):
        self.company.text_staff_in_charge_ids = self.alice
        self.company.text_unassigned_email = True
        self.alice.notification_type = "inbox"
        inbound = self._text_in("Is the clinic open Saturday?", number=UNKNOWN)
        self.assertEqual(inbound.state, "unassigned")
        notification = self.env["mail.notification"].search(
            [("res_partner_id", "=", self.alice.partner_id.id)]
        )
        self.assertEqual(notification.notification_type, "inbox")
        self.assertEqual(notification.mail_message_id.res_id, inbound.id)
        self.assertIn(UNKNOWN, notification.mail_message_id.body)
        self.assertFalse(
            self.env["mail.notification"].search(
                [("res_partner_id", "=", self.bruno.partner_id.id)]
            ),
            "only the staff in charge",
        )
        mail = (
            self.env["mail.mail"]
            .sudo()
            .search([("model", "=", "sms.inbound"), ("res_id", "=", inbound.id)])
        )
        self.assertEqual(mail.recipient_ids, self.alice.partner_id)
        # Alice assigns it to a new contact from the wizard, as herself.
        wizard = Form(
            self.env["sms.inbound.assign"]
            .with_user(self.alice)
            .with_context(default_inbound_id=inbound.id)
        )
        wizard.assign_to = "new"
        wizard.new_contact_name = "Dana Newcomer"
        wizard.save().action_assign()
        partner = inbound.partner_id
        self.assertEqual(partner.name, "Dana Newcomer")
        self.assertEqual(partner.text_number, UNKNOWN)
        channel = self._conversation(partner)
        self.assertEqual(self._texts(channel), [(partner, inbound.body)])
        self.assertIn(self.alice.partner_id, channel.channel_member_ids.partner_id)
        # Her next text goes straight to that conversation.
        self._text_in("Thanks!", number=UNKNOWN)
        self.assertEqual(self._texts(channel)[-1], (partner, "Thanks!"))

    def test_opening_from_contact_and_document(self):
        action = self.contact.with_user(self.bruno).action_open_text_conversation()
        channel = self._conversation(self.contact)
        self.assertEqual(action["tag"], "mail.action_discuss")
        self.assertEqual(action["context"]["active_id"], channel.id)
        self.assertIn(self.bruno.partner_id, channel.channel_member_ids.partner_id)
        task = self.env["project.task"].create(
            {
                "name": "Follow-up",
                "project_id": self.env["project.project"].create({"name": "P"}).id,
                "partner_id": self.contact.id,
            }
        )
        planner = new_test_user(
            self.env,
            login="tm_planner",
            groups=USER_GROUPS + ",project.group_project_user",
            company_id=self.company.id,
            company_ids=[Command.set(self.company.ids)],
        )
        action = (
            self.env.ref("text_messaging.action_server_text_conversation_task")
            .with_user(planner)
            .with_context(active_model="project.task", active_ids=task.ids)
            .run()
        )
        self.assertEqual(action["context"]["active_id"], channel.id)
        self.assertIn(planner.partner_id, channel.channel_member_ids.partner_id)
        menu = self.env.ref("text_messaging.discuss_channel_action_text")
        self.assertEqual(
            self.env["discuss.channel"]
            .with_user(self.alice)
            .search([("text_partner_id", "!=", False)]),
            channel,
        )
        self.assertTrue(menu)

    def test_roles_employee_portal_and_other_company(self):
        channel = self.env["discuss.channel"]._text_conversations(
            self.contact, self.company
        )[self.contact.id]
        employee = new_test_user(
            self.env,
            login="tm_employee",
            password="tm_employee",
            groups="base.group_user",
        )
        portal = new_test_user(
            self.env,
            login="tm_portal",
            password="tm_portal",
            groups="base.group_portal",
        )
        other = self.env["res.company"].create({"name": "Company B"})
        other_staff = new_test_user(
            self.env,
            login="tm_other",
            password="tm_other",
            groups=USER_GROUPS,
            company_id=other.id,
            company_ids=[Command.set(other.ids)],
        )
        for user in (employee, portal, other_staff):
            with self.subTest(user=user.login):
                self.assertFalse(
                    self.env["discuss.channel"]
                    .with_user(user)
                    .search([("id", "=", channel.id)])
                )
                with self.assertRaises(AccessError):
                    self.env["discuss.channel"].with_user(user).browse(
                        channel.id
                    ).message_post(body="hi", message_type="comment")
                with (
                    mute_logger("odoo.http"),
                    self.assertRaises(JsonRpcException) as denied,
                ):
                    self._post_as(user, channel, "Let me in")
                self.assertIn(str(denied.exception), DENIALS)
                if user != other_staff:
                    with self.assertRaises(AccessError):
                        self.contact.with_user(user).action_open_text_conversation()
        # A shared contact has one conversation per company: company B's
        # staff open their own, never company A's.
        action = self.contact.with_user(other_staff).action_open_text_conversation()
        self.assertNotEqual(action["context"]["active_id"], channel.id)
        self.assertEqual(
            self._conversation(self.contact, other).id, action["context"]["active_id"]
        )
        self.assertFalse(
            self.env["sms.sms"].search([("res_model", "=", "discuss.channel")])
        )
        self.assertEqual(self.fake.count_to(NUMBER), 0)


@tagged("post_install", "-at_install")
class TestSendsLogged(ConversationMixin, ReminderCase, HttpCase):
    """Texts of the wizards, mass sends and rules on the contact and document,
    and in the contact's conversation when there is one."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user = new_test_user(
            cls.env,
            login="tm_sender",
            password="tm_sender",
            groups=USER_GROUPS,
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
        )

    def _logs(self, record):
        return record.message_ids.filtered(lambda m: m.message_type == "sms")

    def test_custom_message_logged_on_contact_and_conversation(self):
        channel = (
            self.env["discuss.channel"]
            .with_user(self.user)
            ._text_conversations(self.client, self.company)[self.client.id]
        )
        form = Form(self.env["sms.custom.message"].with_user(self.user))
        form.partner_ids.add(self.client)
        form.body = "Hello {{ object.name }}, the clinic is closed Monday."
        form.save().action_send()
        (log,) = self._logs(self.client)
        self.assertIn("Ada Client, the clinic is closed Monday.", log.body)
        self.assertIn("Custom", log.body)
        self.assertEqual(log.author_id, self.user.partner_id)
        self.assertEqual(
            self._texts(channel),
            [(self.user.partner_id, "Hello Ada Client, the clinic is closed Monday.")],
        )
        # Discuss and the chatter serve these logs as their own messages.
        self.authenticate(self.user.login, self.user.login)
        served = self.make_jsonrpc_request(
            "/discuss/channel/messages", {"channel_id": channel.id}
        )
        self.assertIn("the clinic is closed Monday.", json.dumps(served))
        served = self.make_jsonrpc_request(
            "/mail/thread/messages",
            {"thread_model": "res.partner", "thread_id": self.client.id},
        )
        self.assertIn("the clinic is closed Monday.", json.dumps(served))

    def test_mass_message_logged_on_each_contact(self):
        tag = self.env["res.partner.category"].create({"name": "TM Logged"})
        other = self._client("Ben Other", "+12015550124", "America/New_York")
        (self.client | other).write(
            {"category_id": [Command.link(tag.id)], "text_marketing_allowed": True}
        )
        form = Form(self.env["sms.mass.message"])
        form.name = "Holiday hours"
        form.category_ids.add(tag)
        form.body = "Closed on the 25th <b>& 26th</b>."
        message = form.save()
        message.action_send()
        while message.state == "sending":
            self.env["sms.mass.message"]._cron_enqueue()
        for partner in self.client | other:
            (log,) = self._logs(partner)
            # The text is escaped, never read as HTML.
            self.assertIn("Closed on the 25th &lt;b&gt;&amp; 26th&lt;/b&gt;.", log.body)
            self.assertIn("<b>Mass</b>", log.body)
            self.assertEqual(log.author_id, self.env.user.partner_id)
            self.assertTrue(log.is_internal)

    def test_reminder_rule_logged_on_contact_and_document(self):
        self._switch_on(self.session_rule, "2025-03-04 13:00:00")
        with self._at("2025-03-04 12:00:00"):
            event = self._event("2025-03-04 16:00:00", self.client)
        self._run("2025-03-04 14:01:00")
        (sms,) = self._reminders(event)
        self.assertTrue(self._notes(event), "the session's chatter has its note")
        (log,) = self._logs(self.client)
        self.assertIn(sms.body, log.preview)
        self.assertEqual(sms.number, CLIENT)
