from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..gateways.email_sms import DOMAIN_RE


class SmsCarrier(models.Model):
    """A mobile carrier and its email-to-text domain (SMS via email)."""

    _name = "sms.carrier"
    _description = "Mobile Carrier (SMS via email)"
    _order = "sequence, name"

    name = fields.Char(required=True, translate=False)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(
        default=True,
        help="Archive a carrier that closed its email-to-text gateway.",
    )
    email_domain = fields.Char(
        "Email-to-text Domain",
        required=True,
        help="Texts go to <10-digit number>@<this domain>, e.g. vtext.com.",
    )
    country_id = fields.Many2one("res.country")
    note = fields.Char(help="What is known of this gateway (closing date...).")

    @api.constrains("email_domain")
    def _check_email_domain(self):
        for carrier in self:
            if not DOMAIN_RE.match((carrier.email_domain or "").strip().lower()):
                raise ValidationError(
                    self.env._(
                        "'%(domain)s' is not an email domain (e.g. vtext.com).",
                        domain=carrier.email_domain,
                    )
                )
