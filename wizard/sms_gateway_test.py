from odoo import fields, models


class SmsGatewayTest(models.TransientModel):
    _name = "sms.gateway.test"
    _description = "Send a Test Text Message"

    gateway_id = fields.Many2one("sms.gateway", required=True, ondelete="cascade")
    number = fields.Char(required=True, help="International format: +15551234567")
    body = fields.Text(
        required=True,
        default=lambda self: self.env._("Test message from Odoo Text Messaging."),
    )

    def action_send(self):
        """Send now, once: the row is kept in the History whatever happens."""
        self.ensure_one()
        self.gateway_id._check_credentials_access()
        sms = (
            self.env["sms.sms"]
            .sudo()
            .create(
                {
                    "number": self.number,
                    "body": self.body,
                    "gateway_id": self.gateway_id.id,
                    "kind": "test",
                }
            )
        )
        # Sent inside this request, without the dispatcher's commits: if the
        # transaction fails afterwards the row vanishes and nothing re-sends it.
        sms.with_context(text_messaging_dispatch=True)._send_with_gateway(
            self.gateway_id
        )
        if sms.state in ("pending", "sent"):
            return self.gateway_id._notify(
                self.env._("Test message accepted"),
                self.env._(
                    "%(gateway)s accepted the message for %(number)s (reference "
                    "%(reference)s).",
                    gateway=self.gateway_id.name,
                    number=sms.number,
                    reference=sms.provider_message_id or sms.uuid,
                ),
                "success",
            )
        return self.gateway_id._notify(
            self.env._("Test message not sent"),
            sms.failure_explanation or self.env._("The message is still queued."),
            "danger",
        )
