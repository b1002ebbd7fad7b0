from odoo import api, fields, models

from .sms_sms_links import TRACK_LINKS_KEY


class SmsImagesMixin(models.AbstractModel):
    """Images and links of a custom, scheduled or mass text: each text it
    queues carries the images as a picture message (MMS), and its links
    shortened and counted when asked (sms_sms_links.py)."""

    _name = "sms.images.mixin"
    _description = "Text Messaging: images and links of a text"

    attachment_ids = fields.Many2many(
        "ir.attachment",
        string="Images",
        help="Sent as a picture message (MMS) where the gateway and the "
        "recipient's country allow it; otherwise the text is refused with the "
        "reason in the History.",
    )

    track_links = fields.Boolean(
        "Shorten and count links",
        default=lambda self: self.env.company.text_track_links,
        help="Links in the text are replaced by short links (Link Tracker) whose "
        "clicks are counted per text and per mass message.",
    )

    @api.constrains("attachment_ids", "company_id")
    def _check_text_attachment_ids(self):
        for record in self:
            if record.attachment_ids:
                # Only images the author may read go out (the link is public).
                record.attachment_ids.check_access("read")
                self.env["sms.sms"]._check_text_images(
                    record.attachment_ids, record.company_id
                )

    def _tm_image_vals(self):
        """sms.sms values that attach these images to a queued text, and ask
        for its links to be shortened."""
        self.ensure_one()
        values = {TRACK_LINKS_KEY: True} if self.track_links else {}
        if self.attachment_ids:
            values["attachment_ids"] = [fields.Command.set(self.attachment_ids.ids)]
        return values
