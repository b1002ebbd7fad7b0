import re

from odoo import api, fields, models
from odoo.tools.mail import TEXT_URL_REGEX

# Flag in sms.sms create values: shorten this row's links (not a field).
TRACK_LINKS_KEY = "text_track_links"


class SmsSms(models.Model):
    """Links of texts shortened through Odoo's Link Tracker, each text with
    its own suffix (<short link>/t/<text id>) so clicks count per text and
    per mass message."""

    _inherit = "sms.sms"

    link_click_count = fields.Integer("Clicks", compute="_compute_link_click_count")

    def _compute_link_click_count(self):
        counts = dict(
            self.env["link.tracker.click"]
            .sudo()
            ._read_group(
                [("text_sms_id", "in", self.ids)], ["text_sms_id"], ["__count"]
            )
        )
        for sms in self:
            sms.link_click_count = counts.get(sms._origin, 0)

    @api.model_create_multi
    def create(self, vals_list):
        flags = [bool(vals.get(TRACK_LINKS_KEY)) for vals in vals_list]
        vals_list = [
            {key: value for key, value in vals.items() if key != TRACK_LINKS_KEY}
            for vals in vals_list
        ]
        records = super().create(vals_list)
        records.browse(
            [sms.id for sms, flag in zip(records, flags, strict=True) if flag]
        )._track_links()
        return records

    def _track_links(self):
        """Replace each link of these texts by its short link, with the text's
        own suffix. Links already short (ours) and Odoo's own pages are kept."""
        base_url = self[:1].get_base_url()
        keep = (f"{base_url}/r/", f"{base_url}/sms/", f"{base_url}/text_messaging/")
        trackers = {}
        for sms in self:
            urls = {
                url
                for url in re.findall(TEXT_URL_REGEX, sms.body or "")
                if not url.startswith(keep)
            }
            if not urls:
                continue
            missing = [url for url in urls if url not in trackers]
            if missing:
                links = (
                    self.env["link.tracker"]
                    .sudo()
                    .search_or_create([{"url": url, "title": url} for url in missing])
                )
                trackers.update(zip(missing, links.mapped("short_url"), strict=True))
            body = sms.body
            # Longest first, each only where it is a whole link (as Odoo does).
            for url in sorted(urls, key=len, reverse=True):
                body = re.sub(
                    re.escape(url) + r"(?![\w@:%.+&~#=/-])",
                    f"{trackers[url]}/t/{sms.id}",
                    body,
                )
            sms.body = body
