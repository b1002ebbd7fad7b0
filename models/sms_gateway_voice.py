from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..gateways.base import is_e164
from ..gateways.voice import VOICE_PROVIDERS, get_voice_gateway


class SmsGateway(models.Model):
    """Calls through a gateway: text-to-speech calls and call forwarding."""

    _inherit = "sms.gateway"

    supports_voice = fields.Boolean("Places Calls", compute="_compute_supports_voice")
    # Credentials of the provider's voice application: administrators only.
    voice_application_id = fields.Char(
        "Voice Application ID",
        groups="base.group_system",
        copy=False,
        help="Vonage: the Voice application's ID (its private key below). "
        "Telnyx: the TeXML application's ID.",
    )
    voice_private_key = fields.Text(
        groups="base.group_system",
        copy=False,
        help="Vonage: the PEM private key of the Voice application.",
    )
    # Decides where callers are sent: as the credentials, administrators only.
    voice_forward_number = fields.Char(
        "Forward Calls To",
        groups="base.group_system",
        help="Business number (international format) that calls to the texting "
        "number are forwarded to. Empty: such calls are rejected.",
    )
    cost_per_minute = fields.Monetary(
        "Cost per Call Minute",
        currency_field="currency_id",
        help="Used for a call's cost when the provider does not report its price.",
    )
    voice_status_webhook_url = fields.Char(
        "Call Status URL", compute="_compute_voice_urls", groups="base.group_system"
    )
    voice_inbound_webhook_url = fields.Char(
        "Incoming Call URL",
        compute="_compute_voice_urls",
        groups="base.group_system",
        help="Set it as the voice (answer) URL of the texting number at the "
        "provider: calls are then forwarded to the business number.",
    )

    @api.depends("provider")
    def _compute_supports_voice(self):
        for gateway in self:
            gateway.supports_voice = gateway.provider in VOICE_PROVIDERS

    @api.depends("webhook_token")
    def _compute_voice_urls(self):
        for gateway in self:
            if not gateway.id or not gateway.webhook_token:
                gateway.voice_status_webhook_url = False
                gateway.voice_inbound_webhook_url = False
                continue
            prefix = gateway._webhook_prefix()
            gateway.voice_status_webhook_url = prefix + "/voice/status"
            gateway.voice_inbound_webhook_url = prefix + "/voice/inbound"

    @api.constrains("voice_forward_number")
    def _check_voice_forward_number(self):
        for gateway in self.sudo():
            number = gateway.voice_forward_number
            if number and not is_e164(number):
                raise ValidationError(
                    self.env._(
                        "Forward calls to: '%(number)s' is not a number in "
                        "international format (+15551234567).",
                        number=number,
                    )
                )

    def _voice_adapter_config(self, config=None):
        """The adapter config of calls: the voice credentials and URLs added."""
        self.ensure_one()
        gateway = self.sudo()
        config = dict(config or gateway._adapter_config())
        voice_class = VOICE_PROVIDERS[gateway.provider]
        config["base_url"] = gateway.base_url or voice_class.default_base_url
        config["credentials"] = {
            **config["credentials"],
            **{
                key: gateway[key] or ""
                for key in (
                    *voice_class.credential_keys,
                    *voice_class.webhook_credential_keys,
                )
            },
        }
        config["status_url"] = gateway._webhook_prefix() + "/voice/status"
        return config

    def _voice_adapter(self):
        """A new call-placing adapter (GatewayError when the provider has none)."""
        self.ensure_one()
        if self.provider not in VOICE_PROVIDERS:
            return get_voice_gateway(self.provider, {})
        return get_voice_gateway(self.provider, self._voice_adapter_config())

    def _voice_answer_url(self, sms_uuid):
        self.ensure_one()
        return f"{self._webhook_prefix()}/voice/answer?sms={sms_uuid}"
