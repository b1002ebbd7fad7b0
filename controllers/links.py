from werkzeug.exceptions import NotFound

from odoo import http
from odoo.http import request


class TextMessagingLinks(http.Controller):
    """Short links of texts: <short link>/t/<text id> (models/sms_sms_links.py).

    Like Link Tracker's own /r/<code>, a click is recorded (bots excepted) and
    the visitor redirected; the text is credited only when its body holds
    this very link, so a made-up id counts for no text.
    """

    @http.route(
        "/r/<string:code>/t/<int:sms_id>",
        type="http",
        auth="public",
        methods=["GET"],
        save_session=False,
    )
    def text_short_link(self, code, sms_id, **_kwargs):
        if not request.env["ir.http"].is_a_bot():
            values = {
                "ip": request.httprequest.remote_addr,
                "country_code": request.geoip.country_code,
            }
            sms = request.env["sms.sms"].sudo().browse(sms_id).exists()
            if sms and f"/r/{code}/t/{sms.id}" in (sms.body or ""):
                values.update(
                    text_sms_id=sms.id, text_mass_message_id=sms.mass_message_id.id
                )
            request.env["link.tracker.click"].sudo().add_click(code, **values)
        redirect_url = request.env["link.tracker"].get_url_from_code(code)
        if not redirect_url:
            raise NotFound()
        return request.redirect(redirect_url, code=301, local=False)
