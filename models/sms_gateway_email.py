import logging

from markupsafe import escape

from odoo import fields, models

from ..gateways.email_sms import MailerError

_logger = logging.getLogger(__name__)


class SmsGateway(models.Model):
    """SMS via email: the carrier's email-to-text address, through Odoo's
    outgoing mail server (gateways/email_sms.py states its limits)."""

    _inherit = "sms.gateway"

    provider = fields.Selection(
        selection_add=[("email_sms", "SMS via email (carrier address)")],
        ondelete={"email_sms": "cascade"},
    )

    def _adapter_config(self):
        config = super()._adapter_config()
        if self.provider == "email_sms":
            config["mailer"] = self._email_sms_mailer()
        return config

    def _email_sms_from(self):
        """The sender address: the gateway's sender, else the company's."""
        self.ensure_one()
        return self.sender or self.company_id.email_formatted or False

    def _email_sms_mailer(self):
        """mailer(address, body, uuid) for gateways.email_sms: one mail.mail,
        sent at once through the outgoing mail server; its id, or MailerError."""
        gateway = self.sudo()

        def mailer(address, body, uuid):
            mail = (
                gateway.env["mail.mail"]
                .sudo()
                .create(
                    {
                        "email_from": gateway._email_sms_from(),
                        "email_to": address,
                        "subject": False,
                        "body_html": str(escape(body)),
                        "auto_delete": True,
                        "message_id": f"<text-{uuid}@text_messaging>",
                    }
                )
            )
            mail_id = mail.id
            mail.send(raise_exception=False)
            mail = mail.exists()
            if mail and mail.state == "exception":
                raise MailerError(
                    self.env._(
                        "The outgoing mail server refused the email: %(reason)s",
                        reason=(mail.failure_reason or "").strip()[:300],
                    )
                )
            return mail_id

        return mailer
