import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from odoo.tests import HttpCase, tagged
from odoo.tools import mute_logger

from .common import TextMessagingCase

SIGNING = ("twilio", "vonage", "telnyx", "plivo", "eztexting")
UNSIGNED = ("clicksend", "simpletexting")
NO_DELIVERY_REPORTS = ("eztexting",)  # reference 4.3: inbound only
CONTROLLER_LOGGER = "odoo.addons.text_messaging.controllers.text_messaging"


@tagged("post_install", "-at_install")
class TestWebhooks(TextMessagingCase, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.gateways = {
            provider: cls._gateway(provider, **cls.fake.webhook_credentials(provider))
            for provider in SIGNING + UNSIGNED
        }

    def _sent_message(self, provider, provider_id):
        return self.env["sms.sms"].create(
            {
                "number": "+12015550101",
                "body": "hello",
                "gateway_id": self.gateways[provider].id,
                "state": "pending",
                "provider_message_id": provider_id,
            }
        )

    def _urls(self, gateway, kind, token=None):
        """(URL the provider was given and signs, URL of this test server)."""
        given_url = gateway.sudo()[f"{kind}_webhook_url"]
        token = token or gateway.sudo().webhook_token
        path = f"/text_messaging/webhook/{gateway.id}/{token}/{kind}"
        return given_url, self.base_url() + path

    def _post(self, url, headers, body):
        return self.url_open(url, data=body, headers=headers, allow_redirects=False)

    def _status(self, provider, provider_id, status, token=None, **options):
        gateway = self.gateways[provider]
        signed_url, url = self._urls(gateway, "status", token)
        headers, body = self.fake.status_callback(
            provider, provider_id, status, signed_url, **options
        )
        return self._post(url, headers, body)

    def test_signed_delivery_report_is_applied_once(self):
        for provider in set(SIGNING + UNSIGNED) - set(NO_DELIVERY_REPORTS):
            with self.subTest(provider=provider):
                sms = self._sent_message(provider, f"{provider}-id-1")
                response = self._status(provider, f"{provider}-id-1", "delivered")
                self.assertEqual(response.status_code, 200, response.text)
                self.assertEqual(sms.state, "sent")
                delivered_at = sms.delivered_at
                again = self._status(provider, f"{provider}-id-1", "delivered")
                self.assertEqual(again.status_code, 200)
                self.assertEqual((sms.state, sms.delivered_at), ("sent", delivered_at))

    def test_failed_delivery_report_explains_why(self):
        sms = self._sent_message("twilio", "SMfailed")
        response = self._status("twilio", "SMfailed", "undelivered", error_code=30003)
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(sms.state, "error")
        self.assertIn("30003", sms.failure_explanation)

    def _inbound(self, provider, number, body, **options):
        gateway = self.gateways[provider]
        signed_url, url = self._urls(gateway, "inbound")
        headers, payload = self.fake.inbound_callback(
            provider, number, body, signed_url, **options
        )
        return self._post(url, headers, payload)

    @mute_logger(CONTROLLER_LOGGER)
    def test_forged_and_unsigned_requests_change_nothing(self):
        for provider in SIGNING:
            wrong = bytes(32) if provider == "telnyx" else "not-the-secret"
            with self.subTest(provider=provider, kind="status"):
                if provider in NO_DELIVERY_REPORTS:
                    continue
                sms = self._sent_message(provider, f"{provider}-forged")
                forged = self._status(
                    provider, f"{provider}-forged", "delivered", secret=wrong
                )
                unsigned = self._status(
                    provider, f"{provider}-forged", "delivered", sign=False
                )
                self.assertEqual((forged.status_code, unsigned.status_code), (403, 403))
                self.assertEqual(sms.state, "pending")
            with self.subTest(provider=provider, kind="inbound"):
                forged = self._inbound(provider, "+12015550120", "STOP", secret=wrong)
                unsigned = self._inbound(provider, "+12015550120", "STOP", sign=False)
                self.assertEqual((forged.status_code, unsigned.status_code), (403, 403))
                self.assertFalse(
                    self.env["sms.inbound"].search([("number", "=", "+12015550120")])
                )
                self.assertFalse(
                    self.env["phone.blacklist"]
                    .sudo()
                    .search([("number", "=", "+12015550120")])
                )
        # The signed one is accepted, so the rejections above are the signatures'.
        accepted = self._inbound("eztexting", "+12015550121", "hello")
        self.assertEqual(accepted.status_code, 200, accepted.text)

    @mute_logger(CONTROLLER_LOGGER)
    def test_replayed_requests_are_rejected(self):
        for provider in ("telnyx",):
            with self.subTest(provider=provider):
                sms = self._sent_message(provider, f"{provider}-replay")
                stale = int(time.time()) - 3600
                response = self._status(
                    provider, f"{provider}-replay", "delivered", timestamp=stale
                )
                self.assertEqual(response.status_code, 403)
                self.assertEqual(sms.state, "pending")

    @mute_logger(CONTROLLER_LOGGER)
    def test_wrong_token_or_gateway_is_not_found(self):
        for provider in ("clicksend", "twilio"):
            with self.subTest(provider=provider):
                sms = self._sent_message(provider, f"{provider}-token")
                response = self._status(
                    provider, f"{provider}-token", "delivered", token="x" * 32
                )
                self.assertEqual(response.status_code, 404)
                self.assertEqual(sms.state, "pending")
        missing = self.url_open(
            "/text_messaging/webhook/999999/whatever/status", data=b"x=1"
        )
        self.assertEqual(missing.status_code, 404)

    @mute_logger(CONTROLLER_LOGGER)
    def test_malformed_payload_is_a_bad_request(self):
        gateway = self.gateways["clicksend"]
        _signed, url = self._urls(gateway, "status")
        response = self._post(
            url, {"Content-Type": "application/json"}, b'{"not": "a report"'
        )
        self.assertEqual(response.status_code, 400)
        self.assertNotIn("Traceback", response.text)

    def test_stop_through_the_webhook_opts_out_and_confirms(self):
        for provider in ("twilio", "telnyx", "clicksend"):
            with self.subTest(provider=provider):
                gateway = self.gateways[provider]
                number = {"twilio": "+12015550111", "telnyx": "+12015550112"}.get(
                    provider, "+12015550113"
                )
                signed_url, url = self._urls(gateway, "inbound")
                headers, body = self.fake.inbound_callback(
                    provider, number, "Stop.", signed_url
                )
                response = self._post(url, headers, body)
                self.assertEqual(response.status_code, 200, response.text)
                inbound = self.env["sms.inbound"].search(
                    [("gateway_id", "=", gateway.id), ("number", "=", number)]
                )
                self.assertEqual(inbound.keyword, "stop")
                self.assertTrue(
                    self.env["phone.blacklist"].sudo().search([("number", "=", number)])
                )
                self.assertEqual(inbound.reply_ids.kind, "keyword")
                # The provider retries the same webhook: nothing new.
                self._post(url, headers, body)
                self.assertEqual(
                    self.env["sms.inbound"].search_count(
                        [("gateway_id", "=", gateway.id), ("number", "=", number)]
                    ),
                    1,
                )

    @mute_logger(CONTROLLER_LOGGER, "odoo.http")
    @settings(
        max_examples=40,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.differing_executors],
    )
    @given(
        provider=st.sampled_from(SIGNING + UNSIGNED),
        kind=st.sampled_from(["status", "inbound"]),
        content_type=st.sampled_from(
            [
                "application/json",
                "application/x-www-form-urlencoded",
                "text/plain",
                "multipart/form-data; boundary=zz",
            ]
        ),
        body=st.one_of(
            st.binary(max_size=2000),
            st.text(max_size=500).map(str.encode),
            st.dictionaries(
                st.sampled_from(
                    ["MessageSid", "MessageStatus", "From", "Body", "data", "id"]
                ),
                st.text(max_size=40),
            ).map(lambda d: "&".join(f"{k}={v}" for k, v in d.items()).encode()),
        ),
    )
    def test_fuzzed_payloads_never_cause_a_server_error(
        self, provider, kind, content_type, body
    ):
        gateway = self.gateways[provider]
        _signed, url = self._urls(gateway, kind)
        response = self._post(url, {"Content-Type": content_type}, body)
        self.assertIn(response.status_code, (200, 400, 403), response.text[:200])
        self.assertNotIn("Traceback", response.text)
