from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, new_test_user, tagged

from odoo.addons.text_messaging.gateways import PROVIDERS

from .common import TextMessagingCase


@tagged("post_install", "-at_install")
class TestGatewayModel(TextMessagingCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.twilio = cls._gateway("twilio", is_default=True)
        cls.manager = new_test_user(
            cls.env,
            login="tm_manager",
            groups="base.group_user,text_messaging.group_text_messaging_manager",
        )
        cls.employee = new_test_user(
            cls.env,
            login="tm_user",
            groups="base.group_user,text_messaging.group_text_messaging_user",
        )

    def test_credentials_are_for_administrators_only(self):
        for user in (self.manager, self.employee):
            gateway = self.twilio.with_user(user)
            self.assertEqual(gateway.name, "Fake twilio")
            for field in ("auth_token", "account_sid", "webhook_token"):
                with self.assertRaises(AccessError, msg=f"{user.login} reads {field}"):
                    gateway.read([field])
            arch = gateway.get_views([(False, "form")])["views"]["form"]["arch"]
            self.assertNotIn("auth_token", arch)
            self.assertNotIn("status_webhook_url", arch)
        admin_arch = self.twilio.get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertIn('name="auth_token"', admin_arch)
        with self.assertRaises(AccessError):
            self.twilio.with_user(self.employee).write({"name": "hijacked"})

    def test_test_connection_reports_success_and_plain_failure(self):
        action = self.twilio.action_test_connection()
        self.assertEqual(action["params"]["type"], "success")
        self.assertTrue(
            any(r.kind == "account" and r.authorized for r in self.fake.received)
        )
        self.twilio.sudo().auth_token = "not-the-right-token-42"
        with self.assertRaises(UserError) as caught:
            self.twilio.action_test_connection()
        message = str(caught.exception)
        self.assertIn("could not connect", message)
        self.assertNotIn("not-the-right-token-42", message)
        self.assertNotIn(self.fake.credentials["twilio"]["account_sid"], message)

    def test_send_test_sms_wizard(self):
        action = self.twilio.action_open_send_test()
        wizard = Form(self.env[action["res_model"]].with_context(**action["context"]))
        wizard.number = "+12015550042"
        wizard.body = "Test ✓"
        result = wizard.save().action_send()
        self.assertEqual(result["params"]["type"], "success")
        (message,) = self.fake.messages("twilio")
        self.assertEqual((message["to"], message["body"]), ("+12015550042", "Test ✓"))
        sms = self.env["sms.sms"].search([("gateway_id", "=", self.twilio.id)])
        self.assertEqual(sms.state, "pending")
        # The dispatcher never sends it a second time.
        self._dispatch()
        self.assertEqual(len(self.fake.messages("twilio")), 1)

    def test_send_test_sms_failure_is_explained(self):
        self.fake.errors["+12015550043"] = 21610
        wizard = self.env["sms.gateway.test"].create(
            {"gateway_id": self.twilio.id, "number": "+12015550043", "body": "hi"}
        )
        result = wizard.action_send()
        self.assertEqual(result["params"]["type"], "danger")
        self.assertIn("opted out", result["params"]["message"])
        self.assertIn("21610", result["params"]["message"])

    def test_sender_is_validated_by_provider_rules(self):
        with self.assertRaises(ValidationError):
            self.twilio.sender = "not a valid sender!!"
        self.twilio.sender = "MyClinic"  # alphanumeric id
        self.twilio.sender = "+12015550100"

    def test_one_default_gateway_per_company(self):
        other = self._gateway("clicksend", is_default=True)
        self.assertFalse(self.twilio.is_default)
        self.assertEqual(self.company.sms_gateway_id, other)
        self.twilio.is_default = True
        self.assertFalse(other.is_default)
        settings = self.env["res.config.settings"].create({})
        self.assertEqual(settings.sms_gateway_id, self.twilio)
        settings.sms_gateway_id = other
        settings.execute()
        self.assertTrue(other.is_default)
        self.assertFalse(self.twilio.is_default)

    def test_webhook_urls_carry_gateway_and_token(self):
        gateway = self.twilio.sudo()
        token = gateway.webhook_token
        self.assertGreaterEqual(len(token), 32)
        self.assertTrue(
            gateway.status_webhook_url.endswith(
                f"/text_messaging/webhook/{gateway.id}/{token}/status"
            )
        )
        gateway.action_regenerate_webhook_token()
        self.assertNotEqual(gateway.webhook_token, token)
        self.assertIn(gateway.webhook_token, gateway.inbound_webhook_url)

    def test_every_provider_has_an_adapter_and_its_credential_fields(self):
        providers = dict(self.env["sms.gateway"]._fields["provider"].selection)
        self.assertEqual(
            set(providers),
            {
                "sandbox",
                "twilio",
                "clicksend",
                "vonage",
                "telnyx",
                "plivo",
                "simpletexting",
                "eztexting",
                "email_sms",
            },
        )
        for provider in providers:
            gateway = self._gateway(provider, name=f"all {provider}")
            adapter_class = PROVIDERS[provider]
            for key in (
                *adapter_class.credential_keys,
                *adapter_class.webhook_credential_keys,
            ):
                self.assertEqual(gateway._fields[key].groups, "base.group_system")
            config = gateway._adapter_config()
            for key in adapter_class.credential_keys:
                self.assertEqual(
                    config["credentials"][key], self.fake.credentials[provider][key]
                )
            self.fake.reset()
            with gateway._adapter() as adapter:
                self.assertTrue(adapter.test_connection())
            if provider not in ("sandbox", "email_sms"):  # no HTTP API
                (request,) = self.fake.received
                self.assertEqual(
                    (request.provider, request.kind), (provider, "account")
                )
                self.assertTrue(request.authorized)

    def test_sandbox_stores_without_sending(self):
        sandbox = self._gateway("sandbox", name="Sandbox", is_default=True)
        sms = self.env["sms.sms"].create({"number": "+12015550001", "body": "hi"})
        self._dispatch()
        self.assertEqual(sms.gateway_id, sandbox)
        self.assertEqual(sms.state, "pending")
        self.assertEqual(sms.provider_message_id, f"sandbox-{sms.uuid}")
        self.assertEqual(self.fake.received, [])

    def test_gateway_with_history_is_archived_not_deleted(self):
        self._queue(self.twilio, {"+12015550001": "hello"})
        with self.assertRaises(UserError):
            self.twilio.unlink()
        self.twilio.action_archive()
        self.assertFalse(self.twilio.active)
        unused = self._gateway("clicksend", name="unused")
        unused.unlink()
        self.assertFalse(unused.exists())
