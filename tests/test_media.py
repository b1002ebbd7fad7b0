"""Picture messages through Odoo: images on texts, signed expiring links the
provider fetches over real HTTP, refusals in the History, received pictures
stored as attachments (webhooks signed as the provider signs them)."""

import base64
import time
from datetime import date

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import ValidationError
from odoo.tests import Form, HttpCase, new_test_user, tagged
from odoo.tools import mute_logger

from .common import TextMessagingCase

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC"
)
MEDIA_LOGGER = "odoo.addons.text_messaging.controllers.media"


@tagged("post_install", "-at_install")
class TestMedia(TextMessagingCase, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.employee = new_test_user(
            cls.env,
            login="tm_media_employee",
            groups="base.group_user,text_messaging.group_text_messaging_user",
        )
        cls.twilio = cls._gateway(
            "twilio", is_default=True, **cls.fake.webhook_credentials("twilio")
        )

    def setUp(self):
        super().setUp()
        # The provider fetches the images from this test server.
        self.env["ir.config_parameter"].sudo().set_param(
            "web.base.url", self.base_url()
        )

    def _image(self, name="glasses.png", user=None, raw=PNG, mimetype="image/png"):
        model = self.env["ir.attachment"].with_user(user or self.employee)
        return model.create({"name": name, "raw": raw, "mimetype": mimetype})

    def _send_as_employee(self, images, partner=None, gateway=None):
        form = Form(self.env["sms.custom.message"].with_user(self.employee))
        form.partner_ids.add(partner or self.partner)
        form.body = "Your new glasses are ready."
        if gateway:
            form.gateway_id = gateway
        for image in images:
            form.attachment_ids.add(image)
        wizard = form.save()
        wizard.action_send()
        return wizard.sms_ids

    # ------------------------------------------------------------------
    # signed links
    # ------------------------------------------------------------------
    def _get(self, url):
        """As a provider: no session, no login."""
        return self.url_open(url, allow_redirects=False)

    @mute_logger(MEDIA_LOGGER)
    def test_signed_link_serves_only_that_image_until_it_expires(self):
        image = self._image()
        other = self._image("other.png")
        url = image._text_media_url()
        self.assertTrue(url.startswith(self.base_url() + "/text_messaging/media/"))
        response = self._get(url)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.content, PNG)
        self.assertEqual(response.headers["Content-Type"], "image/png")
        self.assertEqual(response.headers["Content-Length"], str(len(PNG)))

        _base, attachment_id, expires, token = url.rsplit("/", 3)
        prefix = self.base_url() + "/text_messaging/media"
        # Another attachment with this token, another expiry, a forged token.
        for forged in (
            f"{prefix}/{other.id}/{expires}/{token}",
            f"{prefix}/{attachment_id}/{int(expires) + 1}/{token}",
            f"{prefix}/{attachment_id}/{expires}/{token[:-2]}00",
            f"{prefix}/{attachment_id}/{expires}/x",
        ):
            self.assertEqual(self._get(forged).status_code, 403, forged)
        # Expired: a correctly signed link whose time is past.
        expired = int(time.time()) - 10
        expired_url = (
            f"{prefix}/{image.id}/{expired}/{image._text_media_token(expired)}"
        )
        self.assertEqual(self._get(expired_url).status_code, 403)
        # Signed, but not an image; signed, but deleted.
        pdf = self._image("invoice.pdf", raw=b"%PDF-1.4 x", mimetype="application/pdf")
        self.assertEqual(self._get(pdf._text_media_url()).status_code, 404)
        gone_url = other._text_media_url()
        other.sudo().unlink()
        self.assertEqual(self._get(gone_url).status_code, 404)

    # ------------------------------------------------------------------
    # sending, as an ordinary employee
    # ------------------------------------------------------------------
    def test_employee_sends_a_picture_message_fetched_by_the_provider(self):
        image = self._image()
        sms = self._send_as_employee([image])
        self.assertEqual(sms.attachment_ids, image)
        self._dispatch()
        self.assertEqual(sms.state, "pending", sms.failure_explanation)
        self.assertTrue(sms.provider_message_id.startswith("MM"))
        (message,) = self.fake.messages("twilio")
        (url,) = message["media"]
        self.assertIn(f"/text_messaging/media/{image.id}/", url)
        # The provider fetches it without any session. (Not from inside the
        # fake while Odoo sends: the test server shares the test's cursor.)
        response = self._get(url)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.headers["Content-Type"], "image/png")
        self.assertEqual(response.content, PNG)

    def test_scheduled_and_mass_texts_carry_their_images(self):
        image = self._image()
        form = Form(self.env["sms.custom.message"].with_user(self.employee))
        form.partner_ids.add(self.partner)
        form.body = "Tomorrow's menu"
        form.attachment_ids.add(image)
        form.send_mode = "later"
        form.schedule_date = date(2040, 1, 1)
        wizard = form.save()
        wizard.action_send()
        scheduled = wizard.scheduled_message_id
        self.assertEqual(scheduled.attachment_ids, image)
        with freeze_time(scheduled.next_date):
            self.env["sms.scheduled.message"]._cron_send_due()
        sms = self.env["sms.sms"].search(
            [("res_model", "=", scheduled._name), ("res_id", "=", scheduled.id)]
        )
        self.assertEqual(sms.attachment_ids, image)

        tag = self.env["res.partner.category"].create({"name": "TM pictures"})
        self.partner.category_id = [Command.link(tag.id)]
        form = Form(self.env["sms.mass.message"])
        form.name = "New frames"
        form.category_ids.add(tag)
        form.body = "New frames are in"
        form.attachment_ids.add(image)
        mass = form.save()
        mass.action_send()
        self.env["sms.mass.message"]._cron_enqueue()
        sms = self.env["sms.sms"].search([("mass_message_id", "=", mass.id)])
        self.assertEqual(len(sms), 1)
        self.assertEqual(sms.attachment_ids, image)

    def test_refused_where_the_gateway_or_country_cannot(self):
        french = self.env["res.partner"].create(
            {"name": "Zoé", "phone": "+33612345678"}
        )
        sms = self._send_as_employee([self._image()], partner=french)
        vonage = self._gateway("vonage")
        other = self._send_as_employee([self._image()], gateway=vonage)
        self._dispatch()
        self.assertEqual(sms.state, "error")
        self.assertIn("only to numbers of CA, US", sms.failure_explanation)
        self.assertEqual(other.state, "error")
        self.assertIn("cannot send pictures", other.failure_explanation)
        self.assertFalse(self.fake.messages(), "nothing reached a provider")

    def test_too_many_or_wrong_files_are_refused_before_queuing(self):
        self.company.text_max_images = 2
        images = [self._image(f"{n}.png") for n in range(3)]
        with self.assertRaisesRegex(ValidationError, "at most 2 images"):
            self._send_as_employee(images)
        pdf = self._image("x.pdf", raw=b"%PDF-1.4 x", mimetype="application/pdf")
        with self.assertRaisesRegex(ValidationError, "Only images"):
            self._send_as_employee([pdf])
        self.assertFalse(self.env["sms.sms"].search([("body", "like", "glasses")]))

    # ------------------------------------------------------------------
    # received picture messages
    # ------------------------------------------------------------------
    def test_received_pictures_are_stored_on_the_text(self):
        creds = self.fake.credentials["twilio"]
        self.fake.media_files["in.png"] = ("image/png", PNG)
        self.fake.media_files["page.html"] = ("text/html", b"<script>")
        self.fake.media_auth = (creds["account_sid"], creds["auth_token"])
        signed_url = self.twilio.sudo().inbound_webhook_url
        token = self.twilio.sudo().webhook_token
        url = (
            f"{self.base_url()}/text_messaging/webhook/{self.twilio.id}/{token}"
            "/inbound"
        )
        headers, body = self.fake.inbound_callback(
            "twilio",
            "+12015550001",
            "Here is the scratch",
            signed_url,
            fields={
                "NumMedia": "2",
                "MediaUrl0": f"{self.fake.url}/media/in.png",
                "MediaContentType0": "image/png",
                "MediaUrl1": f"{self.fake.url}/media/page.html",
                "MediaContentType1": "image/png",
            },
        )
        response = self.url_open(url, data=body, headers=headers)
        self.assertEqual(response.status_code, 200, response.text)
        inbound = self.env["sms.inbound"].search([("number", "=", "+12015550001")])
        self.assertEqual(inbound.body, "Here is the scratch")
        (attachment,) = inbound.attachment_ids
        self.assertEqual(attachment.raw, PNG)
        self.assertEqual(attachment.mimetype, "image/png")
        self.assertEqual(
            (attachment.res_model, attachment.res_id), ("sms.inbound", inbound.id)
        )
        self.assertIn("text/html", inbound.media_note)
        # The contact's chatter shows the text with its picture.
        self.assertEqual(inbound.partner_id, self.partner)
        posted = self.partner.message_ids.filtered(
            lambda m: "Here is the scratch" in str(m.body)
        )
        self.assertEqual(posted.attachment_ids, attachment)

    def test_received_pictures_of_telnyx_and_plivo(self):
        self.fake.media_files["in.png"] = ("image/png", PNG)
        media_url = f"{self.fake.url}/media/in.png"
        cases = {
            # Telnyx media links need no credentials; Plivo's need the account's.
            "telnyx": (
                None,
                {
                    "type": "MMS",
                    "media": [{"url": media_url, "content_type": "image/png"}],
                },
            ),
            "plivo": (
                tuple(self.fake.credentials["plivo"].values()),
                {"Type": "mms", "Media0": media_url},
            ),
        }
        for number, (provider, (auth, fields)) in enumerate(cases.items(), start=1):
            with self.subTest(provider=provider):
                self.fake.media_auth = auth
                gateway = self._gateway(
                    provider, **self.fake.webhook_credentials(provider)
                )
                token = gateway.sudo().webhook_token
                url = (
                    f"{self.base_url()}/text_messaging/webhook/{gateway.id}/{token}"
                    "/inbound"
                )
                sender = f"+1201555019{number}"
                headers, body = self.fake.inbound_callback(
                    provider,
                    sender,
                    "Photo",
                    gateway.sudo().inbound_webhook_url,
                    fields=fields,
                )
                response = self.url_open(url, data=body, headers=headers)
                self.assertEqual(response.status_code, 200, response.text)
                inbound = self.env["sms.inbound"].search([("number", "=", sender)])
                self.assertEqual(inbound.attachment_ids.raw, PNG)
                self.assertFalse(inbound.media_note)
