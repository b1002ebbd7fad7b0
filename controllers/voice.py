import logging
import re

from odoo import http
from odoo.http import request

from ..gateways.base import GatewayError
from ..models.ir_http import MAX_WEBHOOK_BYTES, TOO_LARGE_KEY
from .text_messaging import TextMessagingWebhook, _storable

_logger = logging.getLogger(__name__)

UUID_RE = re.compile(r"^[0-9a-f]{32}$")
VOICE_ROUTE = "/text_messaging/webhook/<int:gateway_id>/<string:token>/voice/"


class TextMessagingVoiceWebhook(TextMessagingWebhook):
    """Calls: status callbacks, the instructions of a call (Plivo fetches
    them at its answer URL) and the forward answer for calls to the texting
    number. Authenticated as the other webhooks: the URL's secret token,
    then the provider's signature, checked by the voice adapter."""

    @http.route(
        VOICE_ROUTE + "<string:kind>",
        type="http",
        auth="public",
        methods=["GET", "POST"],
        csrf=False,
        save_session=False,
    )
    def voice(self, gateway_id, token, kind, **_kwargs):
        if kind not in ("status", "answer", "inbound"):
            return self._reply(404, "Not found")
        gateway = self._authenticated_gateway(gateway_id, token)
        if not gateway:
            _logger.warning(
                "Voice webhook %s: unknown gateway %s or wrong token", kind, gateway_id
            )
            return self._reply(404, "Not found")
        length = request.httprequest.content_length or 0
        environ = request.httprequest._HTTPRequest__environ
        if environ.get(TOO_LARGE_KEY) or length > MAX_WEBHOOK_BYTES:
            response = self._reply(413, "Payload too large")
            response.headers["Connection"] = "close"
            return response
        try:
            adapter = gateway._voice_adapter()
        except GatewayError:
            return self._reply(404, "Not found")
        webhook_request = self._webhook_request(gateway, f"voice/{kind}")
        with adapter:
            if not adapter.verify(webhook_request):
                _logger.warning(
                    "Voice webhook %s of gateway %s: signature missing or invalid",
                    kind,
                    gateway.id,
                )
                return self._reply(403, "Invalid signature")
            if kind == "status":
                return self._voice_status(gateway, adapter, webhook_request)
            if kind == "answer":
                return self._voice_answer(gateway, adapter, webhook_request)
            return self._voice_inbound(gateway, adapter, webhook_request)

    def _voice_status(self, gateway, adapter, webhook_request):
        try:
            reports = adapter.parse_status(webhook_request)
        except ValueError as error:
            _logger.warning(
                "Call status of gateway %s: rejected payload: %s", gateway.id, error
            )
            return self._reply(400, "Bad request")
        if not _storable(reports):
            return self._reply(400, "Bad request")
        try:
            with request.env.cr.savepoint():
                request.env["sms.sms"].sudo()._apply_status_reports(gateway, reports)
        except Exception:
            adapter.forget_webhook(webhook_request)
            _logger.exception("Call status of gateway %s not processed", gateway.id)
            return self._reply(503, "Temporarily unavailable, retry later")
        return self._reply(200, "OK")

    def _voice_answer(self, gateway, adapter, webhook_request):
        """The call's instructions: speak the text of the row in the URL."""
        sms_uuid = request.httprequest.args.get("sms") or ""
        if not UUID_RE.match(sms_uuid):
            return self._reply(404, "Not found")
        sms = (
            request.env["sms.sms"]
            .sudo()
            .search(
                [
                    ("uuid", "=", sms_uuid),
                    ("gateway_id", "=", gateway.id),
                    ("channel", "=", "voice"),
                ],
                limit=1,
            )
        )
        if not sms:
            return self._reply(404, "Not found")
        call = sms._outgoing_message(gateway, sms.number)
        content_type, body = adapter.answer_document(
            webhook_request, call.body, call.language
        )
        return self._document(content_type, body)

    def _document(self, content_type, body):
        content_type += "; charset=utf-8"
        return request.make_response(body, headers=[("Content-Type", content_type)])

    def _voice_inbound(self, gateway, adapter, webhook_request):
        """A call to the texting number: forwarded to the business number."""
        number = gateway.sudo().voice_forward_number
        if number:
            content_type, body = adapter.forward_answer(webhook_request, number)
        else:
            content_type, body = adapter.reject_answer(webhook_request)
        return self._document(content_type, body)
