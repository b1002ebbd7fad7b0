import dataclasses
import hmac
import json
import logging

from odoo import http
from odoo.http import request

from ..gateways.base import WebhookRequest
from ..models.ir_http import MAX_WEBHOOK_BYTES, TOO_LARGE_KEY

_logger = logging.getLogger(__name__)

TWIML_EMPTY = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def _storable(value):
    """Whether every text in ``value`` can be stored (encoded in UTF-8)."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return False
        return True
    if isinstance(value, dict):
        return all(map(_storable, value.keys())) and all(map(_storable, value.values()))
    if isinstance(value, list | tuple | set | frozenset):
        return all(map(_storable, value))
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return all(
            _storable(getattr(value, field.name)) for field in dataclasses.fields(value)
        )
    return True


class TextMessagingWebhook(http.Controller):
    """Delivery reports and inbound messages posted by the gateways.

    The URL carries the gateway id and its secret token (compared in constant
    time); the provider's signature is verified wherever the provider signs.
    Forged, unknown or malformed requests get a 4xx and change nothing.
    """

    @http.route(
        "/text_messaging/webhook/<int:gateway_id>/<string:token>/status",
        type="http",
        auth="public",
        methods=["GET", "POST"],
        csrf=False,
        save_session=False,
    )
    def status(self, gateway_id, token, **_kwargs):
        return self._handle(gateway_id, token, "status")

    @http.route(
        "/text_messaging/webhook/<int:gateway_id>/<string:token>/inbound",
        type="http",
        auth="public",
        methods=["GET", "POST"],
        csrf=False,
        save_session=False,
    )
    def inbound(self, gateway_id, token, **_kwargs):
        return self._handle(gateway_id, token, "inbound")

    # ----------------------------------------------------------------------

    def _handle(self, gateway_id, token, kind):
        gateway = self._authenticated_gateway(gateway_id, token)
        if not gateway:
            _logger.warning(
                "Webhook %s: unknown gateway %s or wrong token", kind, gateway_id
            )
            return self._reply(404, "Not found")
        environ = request.httprequest._HTTPRequest__environ
        length = request.httprequest.content_length or 0
        if environ.get(TOO_LARGE_KEY) or length > MAX_WEBHOOK_BYTES:
            _logger.warning(
                "Webhook %s of gateway %s: body too large", kind, gateway.id
            )
            # The rest of the body is not read: close the connection.
            response = self._reply(413, "Payload too large")
            response.headers["Connection"] = "close"
            return response
        webhook_request = self._webhook_request(gateway, kind)
        with gateway._adapter() as adapter:
            if not adapter.verify(webhook_request):
                _logger.warning(
                    "Webhook %s of gateway %s: signature missing or invalid",
                    kind,
                    gateway.id,
                )
                return self._reply(403, "Invalid signature")
            try:
                if kind == "status":
                    items = adapter.parse_status(webhook_request)
                else:
                    items = adapter.parse_inbound(webhook_request)
            except ValueError as error:
                _logger.warning(
                    "Webhook %s of gateway %s: rejected payload: %s",
                    kind,
                    gateway.id,
                    error,
                )
                return self._reply(400, "Bad request")
            if not _storable(items):
                # A lone surrogate cannot be stored: the same request would
                # fail forever, so the provider must not retry it.
                _logger.warning(
                    "Webhook %s of gateway %s: text that is not valid Unicode",
                    kind,
                    gateway.id,
                )
                return self._reply(400, "Bad request")
            try:
                with request.env.cr.savepoint():
                    self._process(gateway, kind, items)
            except Exception:
                # Our failure, not the provider's: let it retry the same request.
                adapter.forget_webhook(webhook_request)
                _logger.exception(
                    "Webhook %s of gateway %s could not be processed", kind, gateway.id
                )
                return self._reply(503, "Temporarily unavailable, retry later")
        if kind == "inbound" and gateway.provider == "twilio":
            return request.make_response(
                TWIML_EMPTY, headers=[("Content-Type", "text/xml")]
            )
        return self._reply(200, "OK")

    def _process(self, gateway, kind, items):
        if kind == "status":
            request.env["sms.sms"].sudo()._apply_status_reports(gateway, items)
        else:
            request.env["sms.inbound"].sudo()._receive(gateway, items)

    def _authenticated_gateway(self, gateway_id, token):
        gateway = request.env["sms.gateway"].sudo().browse(gateway_id).exists()
        expected = (gateway.webhook_token or "") if gateway else ""
        # Compare even when the gateway is unknown, so timing tells nothing.
        valid = hmac.compare_digest(
            (token or "").encode(), (expected or "-" * 32).encode()
        )
        return gateway if gateway and gateway.active and expected and valid else None

    def _webhook_request(self, gateway, kind):
        """The provider's request as the pure adapters see it. The URL is the one
        given to the provider (what it signed), whatever proxies sit between."""
        httprequest = request.httprequest
        body = httprequest.get_data(cache=True) or b""
        query = httprequest.query_string.decode("latin-1")
        url = f"{gateway._webhook_prefix()}/{kind}" + (f"?{query}" if query else "")
        parsed_json = None
        if "json" in (httprequest.mimetype or ""):
            try:
                parsed_json = json.loads(body)
            except (ValueError, UnicodeDecodeError, RecursionError):
                parsed_json = None
        return WebhookRequest(
            method=httprequest.method,
            url=url,
            headers={key.lower(): value for key, value in httprequest.headers.items()},
            body=body,
            form=httprequest.form.to_dict(),
            json=parsed_json,
            query=httprequest.args.to_dict(),
        )

    def _reply(self, status, text):
        return request.make_response(
            text, headers=[("Content-Type", "text/plain")], status=status
        )
