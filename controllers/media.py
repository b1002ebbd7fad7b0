import logging

from odoo import http
from odoo.http import request

_logger = logging.getLogger(__name__)


class TextMessagingMedia(http.Controller):
    """Images of picture messages, fetched by the providers.

    No login: the link carries the attachment id, an expiry and an HMAC of
    both (ir.attachment._text_media_url). Only that attachment, only an
    image, only until it expires; anything else is a 403 or a 404.
    """

    @http.route(
        "/text_messaging/media/<int:attachment_id>/<int:expires>/<string:token>",
        type="http",
        auth="public",
        methods=["GET", "HEAD"],
        csrf=False,
        save_session=False,
    )
    def media(self, attachment_id, expires, token, **_kwargs):
        attachment, problem = request.env["ir.attachment"]._text_media_for_token(
            attachment_id, expires, token
        )
        if problem:
            _logger.info("Picture link for attachment %s: %s", attachment_id, problem)
            status, text = (
                (403, "Forbidden") if problem == "forbidden" else (404, "Not found")
            )
            return request.make_response(
                text, headers=[("Content-Type", "text/plain")], status=status
            )
        data = attachment.raw or b""
        # Providers check Content-Type and Content-Length (Twilio, Plivo).
        return request.make_response(
            data,
            headers=[
                ("Content-Type", attachment.mimetype),
                ("Content-Length", str(len(data))),
                ("Cache-Control", "private, max-age=3600"),
                ("X-Content-Type-Options", "nosniff"),
            ],
        )
