from odoo import api, fields, models


class SmsImagesMixin(models.AbstractModel):
    """Images attached to a custom, scheduled or mass text: each text it
    queues carries them as a picture message (MMS)."""

    _name = "sms.images.mixin"
    _description = "Text Messaging: images of a text"

    attachment_ids = fields.Many2many(
        "ir.attachment",
        string="Images",
        help="Sent as a picture message (MMS) where the gateway and the "
        "recipient's country allow it; otherwise the text is refused with the "
        "reason in the History.",
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
        """sms.sms values that attach these images to a queued text."""
        self.ensure_one()
        if not self.attachment_ids:
            return {}
        return {"attachment_ids": [fields.Command.set(self.attachment_ids.ids)]}
