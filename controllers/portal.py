# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The customer portal's text messages switches (seed 002): on the "My
account" page, clients turn reminders and marketing texts on or off; each
change goes in the consent ledger (channel "portal", the wording shown)."""

from odoo import http
from odoo.http import request

from odoo.addons.portal.controllers.portal import CustomerPortal

from ..models.sms_consent import CONSENT_FIELDS


class TextMessagingPortal(CustomerPortal):
    @http.route()
    def account(self, *args, **kwargs):
        response = super().account(*args, **kwargs)
        qcontext = getattr(response, "qcontext", None)
        if qcontext is not None:  # the page, not a redirection after a save
            qcontext.update(self._text_preferences_values(kwargs))
        return response

    @http.route(
        "/my/account/texts",
        type="http",
        auth="user",
        methods=["POST"],
        website=True,
    )
    def account_texts(self, **post):
        """Save the switches of the signed-in user's own contact, and only it:
        no contact id is read from the request (CSRF-checked form)."""
        wanted = {kind: bool(post.get(f"text_{kind}")) for kind in CONSENT_FIELDS}
        self._text_own_partner()._text_portal_set(wanted)
        return request.redirect("/my/account?texts_saved=1")

    def _text_own_partner(self):
        """The user's own contact, in sudo mode: portal users may not write
        contacts, and this one record is all the switches change."""
        return request.env.user.partner_id.sudo()

    def _text_preferences_values(self, kwargs):
        partner = self._text_own_partner()
        return {
            "text_preferences": partner._text_portal_preferences(),
            "text_opted_out": partner.text_opted_out,
            "text_preferences_saved": bool(kwargs.get("texts_saved")),
        }
