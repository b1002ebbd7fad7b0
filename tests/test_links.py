"""Links in texts: shortened through Link Tracker, each text with its own
suffix; clicks followed over HTTP and counted per text and per mass message,
texts written by an ordinary employee."""

from odoo import Command
from odoo.tests import Form, HttpCase, new_test_user, tagged

from .common import TextMessagingCase

URL = "https://clinic.example.com/book?slot=10"


@tagged("post_install", "-at_install")
class TestLinks(TextMessagingCase, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.text_track_links = True
        cls.gateway = cls._gateway("twilio", is_default=True)
        cls.employee = new_test_user(
            cls.env,
            login="tm_links_employee",
            groups="base.group_user,text_messaging.group_text_messaging_user",
        )
        cls.bob = cls.env["res.partner"].create(
            {"name": "Bob", "phone": "+12015550002"}
        )

    def setUp(self):
        super().setUp()
        self.env["ir.config_parameter"].sudo().set_param(
            "web.base.url", self.base_url()
        )

    def _send(self, partners, body, **values):
        form = Form(self.env["sms.custom.message"].with_user(self.employee))
        for partner in partners:
            form.partner_ids.add(partner)
        form.body = body
        for name, value in values.items():
            setattr(form, name, value)
        wizard = form.save()
        wizard.action_send()
        return wizard.sms_ids

    def _short_link(self, sms):
        prefix = self.base_url() + "/r/"
        (link,) = (word for word in sms.body.split() if word.startswith(prefix))
        return link

    def test_clicks_are_counted_per_text(self):
        ada_sms, bob_sms = self._send(
            [self.partner, self.bob], f"Book your next visit: {URL} See you!"
        )
        ada_link, bob_link = self._short_link(ada_sms), self._short_link(bob_sms)
        self.assertTrue(ada_link.endswith(f"/t/{ada_sms.id}"))
        self.assertTrue(bob_link.endswith(f"/t/{bob_sms.id}"))
        self.assertEqual(ada_link.rsplit("/t/", 1)[0], bob_link.rsplit("/t/", 1)[0])
        self.assertNotIn(URL, ada_sms.body)
        self.assertTrue(ada_sms.body.endswith(" See you!"))

        response = self.url_open(ada_link, allow_redirects=False)
        self.assertEqual(response.status_code, 301)
        self.assertEqual(response.headers["Location"], URL)
        self.url_open(ada_link, allow_redirects=False)
        self.assertEqual((ada_sms.link_click_count, bob_sms.link_click_count), (2, 0))
        # An id whose text does not hold this link credits no text.
        code_part = ada_link.rsplit("/t/", 1)[0]
        other = self._send([self.bob], "No link here")
        self.url_open(f"{code_part}/t/{other.id}", allow_redirects=False)
        self.assertEqual(other.link_click_count, 0)
        self.assertEqual(ada_sms.link_click_count, 2)

    def test_links_kept_when_not_asked(self):
        sms = self._send([self.partner], f"Book: {URL}", track_links=False)
        self.assertEqual(sms.body, f"Book: {URL}")

    def test_clicks_are_counted_per_mass_message(self):
        tag = self.env["res.partner.category"].create({"name": "TM links"})
        (self.partner | self.bob).write({"category_id": [Command.link(tag.id)]})
        form = Form(self.env["sms.mass.message"])
        form.name = "Spring"
        form.category_ids.add(tag)
        form.body = f"Spring offer: {URL}"
        message = form.save()
        self.assertTrue(message.track_links)
        message.action_send()
        self.env["sms.mass.message"]._cron_enqueue()
        texts = self.env["sms.sms"].search([("mass_message_id", "=", message.id)])
        self.assertEqual(len(texts), 2)
        for sms in texts:
            self.url_open(self._short_link(sms), allow_redirects=False)
        self.url_open(self._short_link(texts[0]), allow_redirects=False)
        self.assertEqual(message.link_click_count, 3)
        self.assertEqual(sorted(texts.mapped("link_click_count")), [1, 2])

    def test_create_leaves_the_callers_values_alone(self):
        vals = {"number": "+12015550002", "body": f"Go {URL}", "text_track_links": True}
        sms = self.env["sms.sms"].create([vals])
        self.assertIn("text_track_links", vals, "the caller may reuse its values")
        self.assertIn("/r/", sms.body)
        self.assertTrue(sms.body.endswith(f"/t/{sms.id}"))
