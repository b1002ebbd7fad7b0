"""The consent ledger: every grant and withdrawal, by every channel, kept as
proof (GDPR Art. 7); natural-language opt-outs (FCC 24-18) through the real
webhook path."""

from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, HttpCase, new_test_user, tagged

from .common import TextMessagingCase

NUMBER = "+12015550101"


@tagged("post_install", "-at_install")
class TestConsentLedger(TextMessagingCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.twilio = cls._gateway("twilio", is_default=True)
        cls.partner.phone = NUMBER
        cls.user = new_test_user(
            cls.env,
            login="tm_consent_user",
            groups="base.group_user,base.group_partner_manager,"
            "text_messaging.group_text_messaging_user",
        )

    def _ledger(self, partner=None):
        return self.env["sms.consent"].search(
            [("partner_id", "=", (partner or self.partner).id)], order="id"
        )

    def test_staff_grant_and_withdraw_on_the_form(self):
        with Form(self.partner.with_user(self.user)) as form:
            form.text_reminders_allowed = True
            form.text_reminders_source = "in_person"
        with Form(self.partner.with_user(self.user)) as form:
            form.text_marketing_allowed = True
        with Form(self.partner.with_user(self.user)) as form:
            form.text_marketing_allowed = False
        entries = self._ledger()
        self.assertEqual(
            [(e.kind, e.action, e.channel) for e in entries],
            [
                ("reminders", "grant", "in_person"),
                ("marketing", "grant", "staff"),
                ("marketing", "withdraw", "staff"),
            ],
        )
        self.assertEqual(entries.user_id, self.user)
        self.assertEqual(set(entries.mapped("number")), {NUMBER})
        # What the contact agreed to is kept, with the business's name.
        self.assertIn(self.company.name, entries[0].wording)
        self.assertIn("Reply STOP", entries[0].wording)
        self.assertIn("offers", entries[1].wording)
        self.assertFalse(entries[2].wording, "a withdrawal needs no wording")

    def test_the_companys_own_wording_is_recorded(self):
        self.company.text_consent_wording_reminders = "Yes to reminders from us."
        self.partner.with_user(self.user).text_reminders_allowed = True
        self.assertEqual(self._ledger().wording, "Yes to reminders from us.")

    def test_no_entry_when_nothing_changes(self):
        self.partner.text_reminders_allowed = True
        self.partner.write({"text_reminders_allowed": True, "name": "Ada C."})
        self.partner.text_marketing_allowed = False
        self.assertEqual(len(self._ledger()), 1)

    def test_import_and_creation_channels(self):
        imported = (
            self.env["res.partner"]
            .with_context(import_file=True)
            .create({"name": "Imported", "phone": "+12015550133"})
        )
        imported.with_context(import_file=True).text_reminders_allowed = True
        created = self.env["res.partner"].create(
            {
                "name": "Web form client",
                "phone": "+12015550134",
                "text_reminders_allowed": True,
                "text_reminders_source": "web_form",
            }
        )
        self.assertEqual(self._ledger(imported).channel, "import")
        self.assertEqual(self._ledger(created).channel, "web_form")
        portal = self.partner.with_context(text_consent_channel="portal")
        portal.text_marketing_allowed = True
        self.assertEqual(self._ledger().channel, "portal")

    def test_the_ledger_is_append_only(self):
        self.partner.text_reminders_allowed = True
        entry = self._ledger()
        with self.assertRaises(UserError):
            entry.with_user(self.user).sudo().write({"channel": "import"})
        with self.assertRaises(AccessError):
            entry.with_user(self.user).unlink()

    def test_exportable_per_contact(self):
        self.partner.text_reminders_allowed = True
        self.partner.text_reminders_allowed = False
        other = self.env["res.partner"].create(
            {"name": "Someone else", "text_reminders_allowed": True}
        )
        action = self.partner.with_user(self.user).action_view_text_consents()
        entries = self.env["sms.consent"].with_user(self.user).search(action["domain"])
        self.assertEqual(entries.mapped("action"), ["withdraw", "grant"])
        download = self.partner.with_user(self.user).action_export_text_consents()
        attachment_id = int(download["url"].split("/")[-1].split("?")[0])
        attachment = self.env["ir.attachment"].browse(attachment_id)
        lines = attachment.raw.decode("utf-8-sig").splitlines()
        self.assertEqual(len(lines), 3, lines)  # header, grant, withdrawal
        self.assertIn("Granted", lines[1])
        self.assertIn(self.company.name, lines[1])
        self.assertIn("Withdrawn", lines[2])
        self.assertNotIn(other.name, attachment.raw.decode("utf-8-sig"))

    def test_another_company_does_not_see_the_ledger(self):
        self.partner.text_reminders_allowed = True
        other = self.env["res.company"].create({"name": "Other Clinic"})
        outsider = new_test_user(
            self.env,
            login="tm_consent_other",
            groups="base.group_user,text_messaging.group_text_messaging_user",
            company_id=other.id,
            company_ids=[(6, 0, other.ids)],
        )
        self.assertFalse(
            self.env["sms.consent"].with_user(outsider).search_count([]), "rule"
        )
        self.assertTrue(self.env["sms.consent"].with_user(self.user).search_count([]))


@tagged("post_install", "-at_install")
class TestOptOutReplies(TextMessagingCase, HttpCase):
    """Replies through the real webhook (signed Twilio requests over HTTP)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.twilio = cls._gateway(
            "twilio", is_default=True, **cls.fake.webhook_credentials("twilio")
        )
        cls.partner.write(
            {
                "phone": NUMBER,
                "text_reminders_allowed": True,
                "text_marketing_allowed": True,
            }
        )

    def _reply(self, body):
        gateway = self.twilio.sudo()
        signed_url = gateway.inbound_webhook_url
        path = f"/text_messaging/webhook/{gateway.id}/{gateway.webhook_token}/inbound"
        headers, payload = self.fake.inbound_callback(
            "twilio", NUMBER, body, signed_url
        )
        response = self.url_open(
            self.base_url() + path, data=payload, headers=headers, allow_redirects=False
        )
        self.assertEqual(response.status_code, 200, response.text)
        return self.env["sms.inbound"].search([("body", "=", body)], limit=1)

    def _blocked(self):
        return bool(
            self.env["phone.blacklist"]
            .sudo()
            .search([("number", "=", NUMBER), ("active", "=", True)])
        )

    def test_please_stop_texting_me_opts_out_and_is_recorded(self):
        inbound = self._reply("please stop texting me")
        self.assertEqual(inbound.keyword, "stop")
        self.assertTrue(self._blocked())
        self.assertFalse(self.partner.text_reminders_allowed)
        self.assertFalse(self.partner.text_marketing_allowed)
        withdrawals = self.env["sms.consent"].search(
            [("partner_id", "=", self.partner.id), ("action", "=", "withdraw")]
        )
        self.assertEqual(set(withdrawals.mapped("kind")), {"reminders", "marketing"})
        self.assertEqual(set(withdrawals.mapped("channel")), {"keyword"})
        self.assertEqual(set(withdrawals.mapped("wording")), {inbound.body})
        self.assertEqual(withdrawals.inbound_id, inbound)
        # One confirmation, without marketing (FCC 24-18 allows exactly that).
        (confirmation,) = inbound.reply_ids
        self.assertIn("Reply START", confirmation.body)

    def test_natural_opt_out_is_confirmed_even_when_the_provider_answers_keywords(
        self,
    ):
        self.twilio.provider_answers_keywords = True
        exact = self._reply("STOP")
        self.assertFalse(exact.reply_ids, "the provider confirmed STOP itself")
        self._reply("START")
        natural = self._reply("Wrong number, remove me from your list")
        self.assertEqual(natural.keyword, "stop")
        self.assertTrue(natural.reply_ids, "providers do not read sentences")

    def test_a_sentence_about_something_else_changes_nothing(self):
        inbound = self._reply("Don't stop the treatment, see you Tuesday")
        self.assertFalse(inbound.keyword)
        self.assertFalse(self._blocked())
        self.assertTrue(self.partner.text_reminders_allowed)
        self.assertFalse(inbound.reply_ids)

    def test_start_grants_reminders_back(self):
        self._reply("STOP")
        start = self._reply("Start")
        self.assertFalse(self._blocked())
        self.assertTrue(self.partner.text_reminders_allowed)
        self.assertFalse(self.partner.text_marketing_allowed, "marketing stays off")
        grant = self.env["sms.consent"].search(
            [("partner_id", "=", self.partner.id), ("action", "=", "grant")],
            order="id desc",
            limit=1,
        )
        self.assertEqual((grant.channel, grant.inbound_id), ("keyword", start))
        self.assertEqual(self.partner.text_reminders_source, "text_reply")

    def test_help_answer_says_what_ctia_asks(self):
        self.company.phone = "+1 201-555-0000"
        (answer,) = self._reply("help").reply_ids
        for words in (
            self.company.name,
            "Message frequency varies",
            "Message and data rates may apply",
            "Help: +1 201-555-0000",
            "Reply STOP to opt out",
        ):
            self.assertIn(words, answer.body)
