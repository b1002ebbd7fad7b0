"""Webhook limits and secrets, over real HTTP to the test server."""

import json
import logging

from odoo.tests import HttpCase, tagged
from odoo.tools import mute_logger

from .common import TextMessagingCase

CONTROLLER_LOGGER = "odoo.addons.text_messaging.controllers.text_messaging"
MB = 1024 * 1024


class _Capture(logging.Handler):
    def __init__(self):
        super().__init__(logging.INFO)
        self.lines = []

    def emit(self, record):
        self.lines.append(record.getMessage())


@tagged("post_install", "-at_install")
class TestWebhookHardening(TextMessagingCase, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.gateway = cls._gateway(
            "simpletexting", **cls.fake.webhook_credentials("simpletexting")
        )

    def _inbound_request(self, text="Hello"):
        """(URL, headers, body) of an inbound message posted to this server."""
        token = self.gateway.sudo().webhook_token
        path = f"/text_messaging/webhook/{self.gateway.id}/{token}/inbound"
        headers, body = self.fake.inbound_callback(
            "simpletexting", "+12015550101", text, self.gateway.inbound_webhook_url
        )
        return self.base_url() + path, headers, body

    def _received(self):
        return self.env["sms.inbound"].search([("gateway_id", "=", self.gateway.id)])

    def test_token_is_masked_in_the_access_log(self):
        url, headers, body = self._inbound_request()
        token = self.gateway.sudo().webhook_token
        logger = logging.getLogger("werkzeug")
        handler = _Capture()
        level = logger.level
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        try:
            response = self.url_open(url, data=body, headers=headers)
        finally:
            logger.removeHandler(handler)
            logger.setLevel(level)
        self.assertEqual(response.status_code, 200, response.text)
        lines = "\n".join(handler.lines)
        self.assertIn(f"/text_messaging/webhook/{self.gateway.id}/***/inbound", lines)
        self.assertNotIn(token, lines)

    def test_chunked_body_over_the_cap_is_refused_unread(self):
        url, headers, _body = self._inbound_request()
        sent = []

        def chunks():
            for _index in range(100):  # 100 MB offered, in 1 MB chunks
                sent.append(MB)
                yield b" " * MB

        with mute_logger(CONTROLLER_LOGGER):
            response = self.url_open(url, data=chunks(), headers=headers, timeout=60)
        self.assertEqual(response.status_code, 413)
        self.assertFalse(self._received())

    def test_chunked_body_under_the_cap_is_received(self):
        url, headers, body = self._inbound_request("Chunked hello")

        def chunks():
            yield body[:10]
            yield body[10:]

        response = self.url_open(url, data=chunks(), headers=headers)
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(self._received().body, "Chunked hello")

    def test_permanently_invalid_payloads_get_400_not_503(self):
        url, headers, body = self._inbound_request("MARKER")
        lone_surrogate = body.replace(b"MARKER", b"\\ud800 hi")
        self.assertIn("\ud800", json.loads(lone_surrogate)["values"]["text"])
        undecodable = b"\xff\xfe" + body
        for payload in (lone_surrogate, undecodable):
            with self.subTest(payload=payload[:20]), mute_logger(CONTROLLER_LOGGER):
                response = self.url_open(url, data=payload, headers=headers)
                self.assertEqual(response.status_code, 400, response.text)
        self.assertFalse(self._received())
