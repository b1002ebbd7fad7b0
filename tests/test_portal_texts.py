"""The customer portal's text switches, as a real portal user over HTTP: the
form on "My account", CSRF, the consent ledger, and only the user's own
contact."""

import re

from odoo import fields
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools import mute_logger

from .common import TextMessagingCase

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@tagged("post_install", "-at_install")
class TestPortalTexts(TextMessagingCase, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.portal_user = new_test_user(
            cls.env,
            login="tm_portal_ada",
            password="tm_portal_ada_pw",
            name="Ada Portal",
            email="ada.portal@example.com",
            groups="base.group_portal",
        )
        cls.client = cls.portal_user.partner_id
        cls.client.write(
            {"phone": "+1 201-555-0141", "country_id": cls.env.ref("base.us").id}
        )
        cls.other = cls.env["res.partner"].create(
            {
                "name": "Bob Other",
                "phone": "+1 201-555-0142",
                "text_reminders_allowed": True,
                "text_marketing_allowed": True,
            }
        )
        cls.Consent = cls.env["sms.consent"]
        cls.reminders_wording = cls.company._text_consent_wording("reminders")

    def _page(self, url="/my/account"):
        response = self.url_open(url)
        self.assertEqual(response.status_code, 200)
        section = response.text.split('id="text_messaging_preferences"', 1)
        self.assertEqual(len(section), 2, "the switches are on the page")
        return section[1]

    def _save(self, token, **switches):
        data = {"csrf_token": token} if token else {}
        data.update({key: "1" for key, on in switches.items() if on})
        return self.url_open("/my/account/texts", data=data, allow_redirects=False)

    def _entries(self, partner):
        return self.Consent.search([("partner_id", "=", partner.id)], order="id")

    def test_portal_user_turns_texts_on_then_off(self):
        self.authenticate("tm_portal_ada", "tm_portal_ada_pw")
        page = self._page()
        self.assertIn("Text messages", page)
        self.assertIn(self.company.name, page, "the wording shown names the business")
        token = TOKEN.search(page).group(1)
        before = fields.Datetime.now().replace(microsecond=0)
        response = self._save(token, text_reminders=True)
        self.assertEqual(response.status_code, 303)
        self.assertIn("/my/account?texts_saved=1", response.headers["Location"])
        self.assertTrue(self.client.text_reminders_allowed)
        self.assertFalse(self.client.text_marketing_allowed)
        (granted,) = self._entries(self.client)
        self.assertRecordValues(
            granted,
            [
                {
                    "kind": "reminders",
                    "action": "grant",
                    "channel": "portal",
                    "wording": self.reminders_wording,
                    "user_id": self.portal_user.id,
                    "number": "+12015550141",
                }
            ],
        )
        self.assertGreaterEqual(granted.date, before)
        # In effect at once: the reminder engine may text the client.
        rules = self.env["sms.reminder.rule"]
        self.assertFalse(rules._skip_reason(self.client, needs_consent=True))
        self.assertNotIn("preferences are saved", self._page())
        self.assertIn("preferences are saved", self._page(response.headers["Location"]))

        self._save(token)  # both switches off
        self.assertFalse(self.client.text_reminders_allowed)
        withdrawn = self._entries(self.client) - granted
        self.assertRecordValues(
            withdrawn,
            [
                {
                    "kind": "reminders",
                    "action": "withdraw",
                    "channel": "portal",
                    "wording": self.reminders_wording,
                }
            ],
        )
        self.assertEqual(
            rules._skip_reason(self.client, needs_consent=True), "tm_no_consent"
        )

    def test_marketing_switch(self):
        self.authenticate("tm_portal_ada", "tm_portal_ada_pw")
        token = TOKEN.search(self._page()).group(1)
        self._save(token, text_reminders=True, text_marketing=True)
        self.assertTrue(self.client.text_marketing_allowed)
        entry = self._entries(self.client).filtered(lambda e: e.kind == "marketing")
        self.assertEqual(entry.wording, self.company._text_consent_wording("marketing"))
        self.assertEqual(entry.channel, "portal")

    def test_portal_user_cannot_change_another_partner(self):
        self.authenticate("tm_portal_ada", "tm_portal_ada_pw")
        token = TOKEN.search(self._page()).group(1)
        entries = self._entries(self.other)
        response = self.url_open(
            "/my/account/texts",
            data={
                "csrf_token": token,
                "partner_id": self.other.id,
                "text_reminders": "1",
            },
            allow_redirects=False,
        )
        self.assertEqual(response.status_code, 303)
        self.assertTrue(self.other.text_reminders_allowed, "untouched")
        self.assertTrue(self.other.text_marketing_allowed, "untouched")
        self.assertEqual(self._entries(self.other), entries, "no new ledger entry")
        self.assertTrue(self.client.text_reminders_allowed, "only their own contact")

    def test_without_csrf_token_nothing_changes(self):
        self.authenticate("tm_portal_ada", "tm_portal_ada_pw")
        self._page()
        with mute_logger("odoo.http"):
            response = self._save(None, text_reminders=True)
        self.assertEqual(response.status_code, 400)
        self.assertFalse(self.client.text_reminders_allowed)
        self.assertFalse(self._entries(self.client))

    def test_visitors_must_sign_in(self):
        response = self.url_open(
            "/my/account/texts", data={"text_reminders": "1"}, allow_redirects=False
        )
        self.assertIn(response.status_code, (303, 400))
        self.assertFalse(self.client.text_reminders_allowed)
