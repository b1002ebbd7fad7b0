from odoo import fields, models

from ..tools import compat


class SmsGatewayRate(models.Model):
    """The rate-limit bucket of a gateway, shared by every Odoo process.

    One row per gateway holds the GCRA state (``gateways/ratelimit.py``): the
    theoretical arrival time of the next token, in seconds of PostgreSQL's
    clock. The dispatcher books tokens with a short ``SELECT ... FOR UPDATE``
    transaction (``sms.sms._rate_wait``), so the limit holds across slices,
    worker processes and servers. Technical: not shown anywhere.
    """

    _name = "sms.gateway.rate"
    _description = "Text Messaging Gateway Rate Bucket"
    _log_access = False

    gateway_id = fields.Many2one(
        "sms.gateway", required=True, ondelete="cascade", index=True
    )
    tat = fields.Float("Next Token At", required=True, default=0.0)

    compat.sql_constraints(
        locals(),
        [
            ("gateway_unique", "UNIQUE(gateway_id)", "One rate bucket per gateway."),
        ],
    )
