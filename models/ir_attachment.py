import hmac
import time

from werkzeug.urls import url_join

from odoo import api, models
from odoo.tools.misc import hmac as hmac_tool

# Picture messages: how long a signed image link works. Providers fetch the
# image when they take the message (Twilio, Telnyx, Plivo and ClickSend copy
# it then); two days cover a text retried by the dispatcher.
MEDIA_URL_LIFETIME = 2 * 24 * 3600
MEDIA_SCOPE = "text_messaging-media"
MEDIA_TYPES = frozenset(
    {"image/jpeg", "image/png", "image/gif", "image/bmp", "image/webp"}
)


class IrAttachment(models.Model):
    _inherit = "ir.attachment"

    def _text_media_token(self, expires):
        """HMAC of this attachment's id and expiry, keyed by database.secret."""
        self.ensure_one()
        return hmac_tool(self.env(su=True), MEDIA_SCOPE, f"{self.id}:{int(expires)}")

    def _text_media_url(self, lifetime=MEDIA_URL_LIFETIME):
        """A link to this image that works without login until it expires,
        for the provider to fetch; only this attachment, only an image."""
        self.ensure_one()
        expires = int(time.time()) + lifetime
        path = (
            f"/text_messaging/media/{self.id}/{expires}/"
            f"{self._text_media_token(expires)}"
        )
        return url_join(self.get_base_url(), path)

    @api.model
    def _text_media_for_token(self, attachment_id, expires, token):
        """(attachment, "") for a valid, unexpired link to an image, else
        (empty, "forbidden" or "not_found")."""
        attachment = self.sudo().browse(attachment_id)
        expected = attachment._text_media_token(expires)
        if not hmac.compare_digest(expected.encode(), (token or "").encode()):
            return self.browse(), "forbidden"
        if expires < time.time():
            return self.browse(), "forbidden"
        attachment = attachment.exists()
        if (
            not attachment
            or attachment.type != "binary"
            or attachment.mimetype not in MEDIA_TYPES
        ):
            return self.browse(), "not_found"
        return attachment, ""
