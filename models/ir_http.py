from odoo import models
from odoo.http import request

WEBHOOK_PATH = "/text_messaging/webhook/"
#: Largest webhook body read; a larger one is answered 413 unread.
MAX_WEBHOOK_BYTES = 1024 * 1024
#: Set in the WSGI environ when a webhook body went over the cap.
TOO_LARGE_KEY = "text_messaging.body_too_large"
READ_CHUNK = 64 * 1024


class IrHttp(models.AbstractModel):
    _inherit = "ir.http"

    @classmethod
    def _pre_dispatch(cls, rule, args):
        # Before Odoo parses the form: a chunked body has no Content-Length,
        # and werkzeug would read it whole, however large.
        if request.httprequest.path.startswith(WEBHOOK_PATH):
            cls._text_messaging_cap_body(MAX_WEBHOOK_BYTES)
        return super()._pre_dispatch(rule, args)

    @classmethod
    def _text_messaging_cap_body(cls, limit):
        """Read at most ``limit`` + 1 bytes of the request body and keep them
        as the body werkzeug parses and returns; an empty body and a flag in
        the WSGI environ when it is larger."""
        httprequest = request.httprequest._HTTPRequest__wrapped
        stream = httprequest.stream
        chunks, size = [], 0
        while size <= limit:
            chunk = stream.read(min(READ_CHUNK, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        too_large = size > limit
        # werkzeug's get_data() and form parsing read this cache first.
        httprequest._cached_data = b"" if too_large else b"".join(chunks)
        httprequest.environ[TOO_LARGE_KEY] = too_large
