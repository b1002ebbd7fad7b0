import secrets

from werkzeug.urls import url_join

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL, frozendict, ormcache

from ..gateways import PROVIDERS, GatewayError, get_gateway
from ..tools import compat


def _new_token():
    return secrets.token_urlsafe(24)


# Fields that decide where the credentials go: changed only by those who may
# read the credentials (base.group_system), like the credentials themselves.
CREDENTIAL_ROUTING_FIELDS = ("provider", "base_url", "company_id")


class SmsGateway(models.Model):
    _name = "sms.gateway"
    _description = "Text Messaging Gateway"
    _order = "company_id, sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True)
    provider = fields.Selection(
        [
            ("sandbox", "Sandbox (stores messages, sends nothing)"),
            ("twilio", "Twilio"),
            ("clicksend", "ClickSend"),
            ("vonage", "Vonage"),
            ("telnyx", "Telnyx"),
            ("plivo", "Plivo"),
            ("simpletexting", "SimpleTexting"),
            ("eztexting", "EZ Texting"),
        ],
        required=True,
        default="sandbox",
    )
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    is_default = fields.Boolean(
        "Default",
        help="Messages of this company go through its default gateway. A company "
        "without one sends through Odoo IAP, which needs no credentials.",
    )
    provider_answers_keywords = fields.Boolean(
        "Provider Answers STOP/START",
        help="Tick when the provider itself confirms STOP and START (as Twilio "
        "does by default on long codes): Odoo then records the opt-out or opt-in "
        "without texting a confirmation. HELP is always answered.",
    )
    sender = fields.Char(
        help="Phone number in international format (+15551234567), short code or "
        "alphanumeric sender id, as your provider allows.",
    )
    # Credentials: administrators only, never logged or shown in errors.
    account_sid = fields.Char("Account SID", groups="base.group_system", copy=False)
    auth_id = fields.Char("Auth ID", groups="base.group_system", copy=False)
    auth_token = fields.Char(groups="base.group_system", copy=False)
    username = fields.Char(groups="base.group_system", copy=False)
    password = fields.Char(groups="base.group_system", copy=False)
    api_key = fields.Char("API Key", groups="base.group_system", copy=False)
    api_secret = fields.Char("API Secret", groups="base.group_system", copy=False)
    api_token = fields.Char("API Token", groups="base.group_system", copy=False)
    # Keys that verify the provider's webhook signatures.
    public_key = fields.Char(
        "Webhook Public Key", groups="base.group_system", copy=False
    )
    signature_secret = fields.Char(groups="base.group_system", copy=False)
    webhook_secret = fields.Char(
        "Webhook Signing Key", groups="base.group_system", copy=False
    )
    base_url = fields.Char(
        "API Base URL",
        groups="base.group_system",
        help="Leave empty for the provider's own endpoint; set it for a regional "
        "endpoint or a test server.",
    )
    default_base_url = fields.Char(compute="_compute_default_base_url")
    batch_size = fields.Integer(
        default=500, help="Messages taken from the queue per dispatch batch."
    )
    max_concurrency = fields.Integer(
        "Parallel Requests",
        default=8,
        help="For providers that take one message per request.",
    )
    rate_limit = fields.Float(
        "Rate Limit (messages/s)",
        default=10.0,
        help="Maximum messages per second sent to the provider; 0 for no limit.",
    )
    connect_timeout = fields.Float("Connect Time-out (s)", default=5.0)
    read_timeout = fields.Float("Read Time-out (s)", default=15.0)
    max_attempts = fields.Integer(
        default=4,
        help="Attempts for a message the provider surely did not accept "
        "(connection refused, rate limited) before it is marked as failed.",
    )
    max_segments = fields.Integer(
        "Maximum Segments",
        default=6,
        help="Longer messages are refused with an explanation, never cut.",
    )
    cost_per_segment = fields.Monetary(currency_field="currency_id")
    currency_id = fields.Many2one(
        "res.currency",
        required=True,
        default=lambda self: self.env.company.currency_id,
    )
    webhook_token = fields.Char(
        groups="base.group_system", copy=False, default=lambda self: _new_token()
    )
    status_webhook_url = fields.Char(
        "Delivery Report URL",
        compute="_compute_webhook_urls",
        groups="base.group_system",
    )
    inbound_webhook_url = fields.Char(
        "Inbound URL", compute="_compute_webhook_urls", groups="base.group_system"
    )
    sms_count = fields.Integer("Messages", compute="_compute_sms_count")

    compat.sql_constraints(
        locals(),
        [
            (
                "positive_settings",
                "CHECK(batch_size > 0 AND max_concurrency > 0 AND max_attempts > 0 "
                "AND max_segments > 0 AND rate_limit >= 0 AND connect_timeout > 0 "
                "AND read_timeout > 0)",
                "Batch size, parallel requests, attempts, segments and time-outs "
                "must be positive, and the rate limit cannot be negative.",
            ),
        ],
    )

    def init(self):
        # One active default gateway per company, enforced by the database.
        self.env.cr.execute(
            SQL(
                "CREATE UNIQUE INDEX IF NOT EXISTS sms_gateway_default_per_company "
                "ON sms_gateway (company_id) WHERE is_default AND active"
            )
        )

    @api.depends("provider")
    def _compute_default_base_url(self):
        for gateway in self:
            gateway.default_base_url = PROVIDERS[gateway.provider].default_base_url

    @api.depends("webhook_token")
    def _compute_webhook_urls(self):
        for gateway in self:
            if not gateway.id or not gateway.webhook_token:
                gateway.status_webhook_url = gateway.inbound_webhook_url = False
                continue
            prefix = gateway._webhook_prefix()
            gateway.status_webhook_url = prefix + "/status"
            gateway.inbound_webhook_url = prefix + "/inbound"

    def _compute_sms_count(self):
        counts = dict(
            self.env["sms.sms"]._read_group(
                [("gateway_id", "in", self.ids)], ["gateway_id"], ["__count"]
            )
        )
        for gateway in self:
            gateway.sms_count = counts.get(gateway, 0)

    @api.constrains("provider", "sender")
    def _check_sender(self):
        for gateway in self:
            problem = PROVIDERS[gateway.provider].check_sender(gateway.sender or "")
            if gateway.sender and problem:
                raise ValidationError(
                    self.env._(
                        "Sender of %(gateway)s: %(problem)s",
                        gateway=gateway.name,
                        problem=problem,
                    )
                )

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("is_default") and vals.get("active", True):
                company_id = vals.get("company_id") or self.env.company.id
                self._unset_defaults(self.env["res.company"].browse(company_id))
        gateways = super().create(vals_list)
        self.env.registry.clear_cache()  # _default_gateway_by_company
        return gateways

    def write(self, vals):
        self._check_credential_routing(vals)
        if vals.get("is_default") or vals.get("active"):
            becoming = self.filtered(
                lambda g: vals.get("is_default", g.is_default)
                and vals.get("active", g.active)
            )
            company = (
                self.env["res.company"].browse(vals["company_id"])
                if vals.get("company_id")
                else becoming.company_id
            )
            if becoming:
                self._unset_defaults(company, exclude=becoming)
        if {"is_default", "active", "company_id"} & set(vals):
            self.env.registry.clear_cache()  # _default_gateway_by_company
        return super().write(vals)

    def _check_credential_routing(self, vals):
        """Refuse a change of where the credentials go to whoever may not read
        them: a new base URL or provider would send them to another server."""
        if self.env.su or self.env.user.has_group("base.group_system"):
            return
        changed = [
            name
            for name in CREDENTIAL_ROUTING_FIELDS
            if name in vals
            and any(
                self._fields[name].convert_to_write(gateway[name], gateway)
                != vals[name]
                for gateway in self.sudo()
            )
        ]
        if changed:
            raise AccessError(
                self.env._(
                    "Only Settings administrators may change the provider, the API "
                    "address or the company of a gateway: they decide where its "
                    "credentials are sent."
                )
            )

    def _check_credentials_access(self):
        """Actions that use the credentials need the right to read them."""
        if not (self.env.su or self.env.user.has_group("base.group_system")):
            raise AccessError(
                self.env._(
                    "Only Settings administrators may test a gateway or change its "
                    "webhook token: these actions use its credentials."
                )
            )
        self.check_access("write")

    def unlink(self):
        self.env.registry.clear_cache()  # _default_gateway_by_company
        return super().unlink()

    @api.model
    @ormcache()
    def _default_gateway_by_company(self):
        """{company id: id of its default gateway}, cached: Odoo's own SMS of
        companies that stay on Odoo IAP cost no query to route."""
        gateways = self.sudo().search([("is_default", "=", True)])
        return frozendict({gateway.company_id.id: gateway.id for gateway in gateways})

    def _unset_defaults(self, companies, exclude=None):
        """One default gateway per company: the new one replaces the old."""
        others = self.search(
            [("company_id", "in", companies.ids), ("is_default", "=", True)]
        )
        others -= exclude or self.browse()
        if others:
            super(SmsGateway, others).write({"is_default": False})
            others.flush_recordset(["is_default"])
        return others

    @api.ondelete(at_uninstall=False)
    def _unlink_except_with_messages(self):
        if (
            self.env["sms.sms"]
            .sudo()
            .search_count([("gateway_id", "in", self.ids)], limit=1)
        ):
            raise UserError(
                self.env._(
                    "A gateway that sent messages cannot be deleted: their history "
                    "refers to it. Archive it instead."
                )
            )

    # ------------------------------------------------------------ actions --

    def action_test_connection(self):
        self.ensure_one()
        self._check_credentials_access()
        try:
            with self._adapter() as adapter:
                message = adapter.test_connection()
        except GatewayError as error:
            raise UserError(
                self.env._(
                    "%(gateway)s could not connect: %(reason)s",
                    gateway=self.name,
                    reason=str(error),
                )
            ) from None
        return self._notify(self.env._("Connection works"), message, "success")

    def action_regenerate_webhook_token(self):
        self._check_credentials_access()
        for gateway in self:
            gateway.webhook_token = _new_token()

    def action_open_send_test(self):
        self.ensure_one()
        self._check_credentials_access()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Send a test message"),
            "res_model": "sms.gateway.test",
            "view_mode": "form",
            "target": "new",
            "context": {"default_gateway_id": self.id},
        }

    def action_view_messages(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "text_messaging.sms_sms_action_history"
        )
        action["domain"] = [("gateway_id", "=", self.id)]
        return action

    def _notify(self, title, message, kind):
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {"title": title, "message": message, "type": kind},
        }

    # ----------------------------------------------------------- business --

    def _webhook_prefix(self):
        self.ensure_one()
        base = self.get_base_url()
        return url_join(
            base, f"/text_messaging/webhook/{self.id}/{self.sudo().webhook_token}"
        )

    def _adapter_config(self):
        """The plain dict an adapter of gateways/ is built from."""
        self.ensure_one()
        gateway = self.sudo()
        adapter_class = PROVIDERS[gateway.provider]
        return {
            "base_url": gateway.base_url or adapter_class.default_base_url,
            "sender": gateway.sender or "",
            "credentials": {
                key: gateway[key] or ""
                for key in (
                    *adapter_class.credential_keys,
                    *adapter_class.webhook_credential_keys,
                )
            },
            "connect_timeout": gateway.connect_timeout,
            "read_timeout": gateway.read_timeout,
            "max_concurrency": gateway.max_concurrency,
            "rate_limit": gateway.rate_limit,
            "status_url": gateway._webhook_prefix() + "/status",
        }

    def _adapter(self):
        """A new adapter for this gateway; use it as a context manager."""
        return get_gateway(self.provider, self._adapter_config())

    @api.model
    def _get_default_for_company(self, company):
        return self.search(
            [("company_id", "=", company.id), ("is_default", "=", True)], limit=1
        )
