import dataclasses

from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..gateways.media import Media
from .ir_attachment import MEDIA_TYPES


class SmsSms(models.Model):
    """Picture messages: images attached to a text (MMS).

    The images go to the provider as signed, expiring links (see
    ir.attachment._text_media_url and controllers/media.py); the gateway
    adapter refuses, with the reason in the History, what its provider or
    the recipient's country cannot take (gateways/media.py).
    """

    _inherit = "sms.sms"

    attachment_ids = fields.Many2many(
        "ir.attachment",
        "sms_sms_ir_attachment_rel",
        "sms_id",
        "attachment_id",
        string="Images",
        readonly=True,
        copy=False,
    )
    image_count = fields.Integer("Images Attached", compute="_compute_image_count")

    @api.depends("attachment_ids")
    def _compute_image_count(self):
        for sms in self:
            sms.image_count = len(sms.attachment_ids)

    @api.constrains("attachment_ids")
    def _check_attachment_ids(self):
        for sms in self:
            if sms.attachment_ids:
                self._check_text_images(sms.attachment_ids, sms.company_id)

    @api.model
    def _check_text_images(self, attachments, company):
        """Raise when ``attachments`` cannot go as a text's images: not images,
        or more than the company allows (seed 002: 10 by default)."""
        wrong = attachments.filtered(lambda a: a.mimetype not in MEDIA_TYPES)
        if wrong:
            raise ValidationError(
                self.env._(
                    "Only images (JPEG, PNG, GIF, BMP, WebP) can be sent in a "
                    "text: %(names)s is not one.",
                    names=", ".join(wrong.mapped("name")),
                )
            )
        maximum = (company or self.env.company).text_max_images
        if len(attachments) > maximum:
            raise ValidationError(
                self.env._(
                    "A text can carry at most %(maximum)s images (Settings > Text "
                    "Messaging); this one has %(count)s.",
                    maximum=maximum,
                    count=len(attachments),
                )
            )

    def _result_values(self, gateway, result, now):
        values = super()._result_values(gateway, result, now)
        if gateway.provider == "email_sms" and values.get("state") == "pending":
            # SMS via email: no delivery report will ever come.
            values["state"] = "sent"
            values["failure_explanation"] = self.env._(
                "Sent as an email to the carrier's address (%(reference)s). "
                "Carriers send no delivery report: whether it reached the phone "
                "is not known.",
                reference=result.provider_id,
            )
        return values

    def _outgoing_message(self, gateway, number):
        message = super()._outgoing_message(gateway, number)
        carrier = self.partner_id.text_carrier_id.email_domain
        if carrier:  # SMS via email
            message = dataclasses.replace(message, carrier=carrier)
        if not self.attachment_ids:
            return message
        attachments = self.attachment_ids.sudo()
        media = tuple(
            Media(
                attachment._text_media_url(),
                attachment.mimetype or "",
                attachment.file_size or 0,
            )
            for attachment in attachments
        )
        return dataclasses.replace(message, media=media)
