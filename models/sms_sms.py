import logging

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, LazyTranslate, split_every
from odoo.tools.sql import column_exists, create_column

from ..gateways.common import sentence
from ..tools.segments import count_segments

_logger = logging.getLogger(__name__)

_lt = LazyTranslate(__name__)

# Normalized failure codes of gateways/ -> sms.sms failure_type.
FAILURE_TYPE_BY_CODE = {
    "invalid_number": "sms_number_format",
    "opted_out": "sms_optout",
    "insufficient_credit": "sms_credit",
    "authentication": "tm_authentication",
    "rate_limited": "tm_rate_limited",
    "rejected": "tm_rejected",
    "server_error": "sms_server",
    "unknown": "unknown",
}

# Failures of the gateway itself (not of one number): raise_exception=True
# raises on them, as Odoo raises when IAP cannot be reached.
GATEWAY_FAILURE_TYPES = {
    "sms_server",
    "sms_credit",
    "tm_authentication",
    "tm_rate_limited",
    "tm_unknown_outcome",
}

# What a failure means and what to do, in plain words (the History's INFO).
EXPLANATIONS = {
    "sms_number_missing": _lt(
        "There is no phone number to text. Add a mobile number on the contact, "
        "then resend."
    ),
    "sms_number_format": _lt(
        "The phone number is not valid. Correct it on the contact (international "
        "format, e.g. +1 212 555 0123), then resend."
    ),
    "sms_blacklist": _lt(
        "The recipient opted out of text messages (replied STOP), so nothing was "
        "sent. They can text START to receive messages again."
    ),
    "sms_optout": _lt(
        "The provider says the recipient opted out or blocked your number. They "
        "must opt in again (text START) before they can be texted."
    ),
    "sms_credit": _lt(
        "The gateway account has no credit left. Top it up with the provider, "
        "then resend."
    ),
    "sms_server": _lt(
        "The provider could not be reached or had a server error, and the retries "
        "ran out. Resend later; if it persists, check the provider's status page."
    ),
    "tm_authentication": _lt(
        "The provider refused the gateway's credentials. An administrator should "
        "check them (Text Messaging > Configuration > Gateways > Test connection)."
    ),
    "tm_rate_limited": _lt(
        "The provider kept asking to slow down and the retries ran out. Resend "
        "later, or lower the gateway's rate limit."
    ),
    "tm_rejected": _lt(
        "The provider rejected the message (its content, the sender or the "
        "destination is not allowed). See the provider's words below."
    ),
    "tm_too_long": _lt(
        "The message needs %(segments)s segments, more than the %(maximum)s this "
        "gateway allows. Shorten it, then resend."
    ),
    "tm_empty": _lt("The message is empty: there was nothing to send."),
    "tm_no_consent": _lt(
        'Not sent: automated reminders go only to contacts who gave the "text '
        'reminders" permission. Tick it on the contact once they agree; manual and '
        "custom messages do not need it."
    ),
    "tm_unknown_outcome": _lt(
        "The provider may or may not have accepted this message: no clear answer "
        "came back. It was not sent again automatically, to avoid a duplicate. "
        "Check with the provider, or resend it yourself."
    ),
    "sms_not_delivered": _lt(
        "The provider accepted the message but the phone network could not deliver "
        "it (phone off or out of coverage for too long, or the carrier refused it). "
        "See the provider's words below; check the number, then resend."
    ),
    "unknown": _lt(
        "The provider returned an error this module does not recognise. See the "
        "provider's words below."
    ),
}
RETRY_NOTE = _lt(
    "Attempt %(attempt)s did not go through; the message is queued again for "
    "%(when)s (UTC)."
)
STALE_CLAIM_NOTE = _lt(
    "The dispatcher stopped while this message was being sent (server restart or "
    "crash). It was not sent again automatically, to avoid a duplicate."
)
PROVIDER_WORDS = _lt("Provider: %(detail)s")

# Normalized failure codes of a delivery report -> sms.sms failure_type.
DELIVERY_FAILURE_TYPE_BY_CODE = {
    **FAILURE_TYPE_BY_CODE,
    "server_error": "sms_not_delivered",
    "unknown": "sms_not_delivered",
}

HISTORY_PURGE_BATCH = 10000
MAX_BACKOFF = 3600  # seconds
BASE_BACKOFF = 30  # seconds, doubled at each attempt
STALE_CLAIM_MINUTES = 15


class SmsSms(models.Model):
    _inherit = "sms.sms"

    state = fields.Selection(
        selection_add=[("unknown", "Unknown Outcome")],
        ondelete={"unknown": lambda recs: recs.write({"state": "error"})},
    )
    failure_type = fields.Selection(
        selection_add=[
            ("tm_authentication", "Gateway Authentication Failed"),
            ("tm_rate_limited", "Rate Limited"),
            ("tm_rejected", "Rejected by Provider"),
            ("tm_too_long", "Message Too Long"),
            ("tm_empty", "Empty Message"),
            ("tm_unknown_outcome", "Unknown Outcome"),
            ("tm_no_consent", "No Text Reminder Permission"),
        ],
        ondelete={
            key: lambda recs: recs.write({"failure_type": "unknown"})
            for key in (
                "tm_authentication",
                "tm_rate_limited",
                "tm_rejected",
                "tm_too_long",
                "tm_empty",
                "tm_unknown_outcome",
                "tm_no_consent",
            )
        },
    )
    kind = fields.Selection(
        [
            ("reminder", "Automated Reminder"),
            ("manual_reminder", "Manual Reminder"),
            ("custom", "Custom"),
            ("mass", "Mass"),
            ("scheduled", "Scheduled"),
            ("greeting", "Greeting"),
            ("reply", "Reply"),
            ("keyword", "Keyword Answer"),
            ("test", "Test"),
        ],
        default="custom",
        required=True,
        index=True,
    )
    res_model = fields.Char(
        "Source Model",
        compute="_compute_source",
        store=True,
        readonly=False,
        index="btree_not_null",
    )
    res_id = fields.Many2oneReference(
        "Source ID",
        model_field="res_model",
        compute="_compute_source",
        store=True,
        readonly=False,
    )
    source_ref = fields.Reference(
        selection="_selection_source_ref",
        string="Source",
        compute="_compute_source_ref",
    )
    mass_message_id = fields.Many2one(
        "sms.mass.message",
        "Mass Message",
        index="btree_not_null",
        ondelete="set null",
        readonly=True,
    )
    inbound_id = fields.Many2one(
        "sms.inbound", "Replying To", index="btree_not_null", ondelete="set null"
    )
    gateway_id = fields.Many2one(
        "sms.gateway", "Gateway", index="btree_not_null", ondelete="set null"
    )
    # The company a text belongs to: its record rules and its gateway.
    company_id = fields.Many2one(
        "res.company",
        compute="_compute_company_id",
        store=True,
        readonly=False,
        precompute=True,
        index=True,
        help="The source document's company, else the sender's.",
    )
    provider_message_id = fields.Char(
        "Provider Message ID", index="btree_not_null", copy=False, readonly=True
    )
    failure_explanation = fields.Text("Info", copy=False, readonly=True)
    segments = fields.Integer(compute="_compute_segments", store=True)
    encoding = fields.Selection(
        [("gsm7", "GSM-7"), ("ucs2", "Unicode (UCS-2)")],
        compute="_compute_segments",
        store=True,
    )
    cost = fields.Monetary(currency_field="currency_id", readonly=True, copy=False)
    currency_id = fields.Many2one(related="gateway_id.currency_id")
    attempts = fields.Integer(readonly=True, copy=False, default=0)
    next_attempt = fields.Datetime(readonly=True, copy=False)
    claimed_at = fields.Datetime(readonly=True, copy=False)
    sent_at = fields.Datetime("Sent On", readonly=True, copy=False)
    delivered_at = fields.Datetime("Delivered On", readonly=True, copy=False)

    @api.depends("mail_message_id")
    def _compute_source(self):
        for sms in self:
            message = sms.mail_message_id
            if message.model and message.res_id:
                sms.res_model, sms.res_id = message.model, message.res_id
            elif not sms.res_model:
                sms.res_model, sms.res_id = False, False

    @api.depends("mail_message_id")
    def _compute_company_id(self):
        """The source document's company, else the current (sender's) one."""
        ids_by_model = {}
        for sms in self:
            if sms.res_model in self.env and sms.res_id:
                ids_by_model.setdefault(sms.res_model, set()).add(sms.res_id)
        company_of = {}
        for model, ids in ids_by_model.items():
            if "company_id" in self.env[model]._fields:
                records = self.env[model].sudo().browse(ids).exists()
                company_of.update(
                    ((model, record.id), record.company_id) for record in records
                )
        for sms in self:
            sms.company_id = (
                sms.company_id
                or sms.mail_message_id.record_company_id
                or company_of.get((sms.res_model, sms.res_id))
                or self.env.company
            )

    def _auto_init(self):
        """Create and fill the company column in SQL: computing it through the
        ORM for a long history would take hours."""
        new_column = not column_exists(self.env.cr, self._table, "company_id")
        if new_column:
            create_column(self.env.cr, self._table, "company_id", "int4")
        result = super()._auto_init()
        if new_column:
            self._backfill_company_id()
        return result

    def _backfill_company_id(self):
        """company_id of existing rows: the message's record company, else the
        source document's, else the author's, else the main company."""
        cr = self.env.cr
        cr.execute(
            SQL(
                "UPDATE sms_sms AS sms SET company_id = message.record_company_id "
                "FROM mail_message AS message WHERE message.id = sms.mail_message_id "
                "AND message.record_company_id IS NOT NULL"
            )
        )
        source_model = SQL("COALESCE(sms.res_model, message.model)")
        cr.execute(
            SQL(
                "SELECT DISTINCT %s FROM sms_sms AS sms LEFT JOIN mail_message AS "
                "message ON message.id = sms.mail_message_id "
                "WHERE sms.company_id IS NULL",
                source_model,
            )
        )
        for (model_name,) in cr.fetchall():
            model = self.env.get(model_name)
            field = model is not None and model._fields.get("company_id")
            if not (field and field.store and field.type == "many2one"):
                continue
            if not column_exists(cr, model._table, "company_id"):
                continue
            cr.execute(
                SQL(
                    "UPDATE sms_sms AS sms SET company_id = doc.company_id "
                    "FROM sms_sms AS row LEFT JOIN mail_message AS message "
                    "ON message.id = row.mail_message_id, %s AS doc "
                    "WHERE row.id = sms.id AND sms.company_id IS NULL "
                    "AND %s = %s AND doc.id = %s",
                    SQL.identifier(model._table),
                    SQL("COALESCE(row.res_model, message.model)"),
                    model_name,
                    SQL("COALESCE(row.res_id, message.res_id)"),
                )
            )
        cr.execute(
            SQL(
                "UPDATE sms_sms AS sms SET company_id = users.company_id "
                "FROM res_users AS users WHERE users.id = sms.create_uid "
                "AND sms.company_id IS NULL"
            )
        )
        cr.execute(
            SQL(
                "UPDATE sms_sms SET company_id = "
                "(SELECT id FROM res_company ORDER BY sequence, id LIMIT 1) "
                "WHERE company_id IS NULL"
            )
        )

    @api.model
    def _selection_source_ref(self):
        return [
            (model.model, model.name)
            for model in self.env["ir.model"].sudo().search([])
        ]

    @api.depends("res_model", "res_id")
    def _compute_source_ref(self):
        for sms in self:
            if sms.res_model in self.env and sms.res_id:
                sms.source_ref = f"{sms.res_model},{sms.res_id}"
            else:
                sms.source_ref = False

    @api.depends("body")
    def _compute_segments(self):
        for sms in self:
            info = count_segments(sms.body or "")
            sms.segments = info.segments
            sms.encoding = info.encoding

    @api.model_create_multi
    def create(self, vals_list):
        records = super().create(self._with_computed_values(vals_list))
        if records._may_use_our_gateways(outgoing_only=True):
            # Queued rows mean seconds: wake the dispatcher instead of waiting
            # for its next minute (or Odoo's hourly queue).
            self._trigger_dispatch()
        return records

    def _with_computed_values(self, vals_list):
        """Our stored computed columns, filled in before the INSERT: computed
        after it, they would cost Odoo's flows a SELECT and an UPDATE."""
        messages = self.env["mail.message"].browse(
            {
                vals["mail_message_id"]
                for vals in vals_list
                if vals.get("mail_message_id")
            }
        )
        by_id = {message.id: message for message in messages}
        result = []
        for vals in vals_list:
            vals = dict(vals)
            if "segments" not in vals and "encoding" not in vals:
                info = count_segments(vals.get("body") or "")
                vals.update(segments=info.segments, encoding=info.encoding)
            message = by_id.get(vals.get("mail_message_id"))
            if "res_model" not in vals and "res_id" not in vals:
                if message and message.model and message.res_id:
                    vals.update(res_model=message.model, res_id=message.res_id)
                else:
                    vals.update(res_model=False, res_id=False)
            result.append(vals)
        self._add_company_values(result, by_id)
        return result

    def _add_company_values(self, vals_list, messages_by_id):
        """``company_id`` of the rows given none, as ``_compute_company_id``
        decides it, with one read per source model: left to the ORM's
        precompute, each row would cost a new record (half the time of
        queueing a mass send)."""
        todo = [vals for vals in vals_list if "company_id" not in vals]
        ids_by_model = {}
        for vals in todo:
            if vals.get("res_model") in self.env and vals.get("res_id"):
                ids_by_model.setdefault(vals["res_model"], set()).add(vals["res_id"])
        company_of = {}
        for model, ids in ids_by_model.items():
            if "company_id" in self.env[model]._fields:
                records = self.env[model].sudo().browse(ids).exists()
                company_of.update(
                    ((model, record.id), record.company_id.id) for record in records
                )
        for vals in todo:
            message = messages_by_id.get(vals.get("mail_message_id"))
            vals["company_id"] = (
                (message and message.record_company_id.id)
                or company_of.get((vals.get("res_model"), vals.get("res_id")))
                or self.env.company.id
            )

    # ------------------------------------------------------------ routing --

    def send(self, *args, **kwargs):
        """Odoo's "send now": rows of our gateways go out now, in the caller's
        transaction (see ``_send``). As in stock Odoo, where only SMS
        administrators can read them, sending rows means being able to write them.
        (Arguments as Odoo's: 18.0 has ``auto_commit``, 19.0 not.)
        """
        if not self.env.context.get("text_messaging_dispatch"):
            self.check_access("write")
        return super().send(*args, **kwargs)

    @api.model
    def _process_queue(self, *args, **kwargs):
        """Odoo's hourly queue: rows of our gateways are the dispatcher's, which
        claims and commits them so that a crash never sends one twice.
        (18.0 takes ``ids``, 19.0 nothing.)"""
        return super(
            SmsSms, self.with_context(text_messaging_queue=True)
        )._process_queue(*args, **kwargs)

    def _send(self, unlink_failed=False, unlink_sent=True, raise_exception=False):
        """Send rows of companies with a gateway through it, the rest via IAP.

        Three callers: our dispatcher cron (claims, commits), Odoo's hourly
        queue (leaves our rows to the dispatcher) and Odoo's "send now"
        (``send()`` from the chatter, the composer, calendar alarms...), which
        sends at once in the caller's transaction, like IAP does.
        """
        by_gateway = self._route_to_gateways() if self._may_use_our_gateways() else {}
        routed = self.browse(
            [sms_id for records in by_gateway.values() for sms_id in records.ids]
        )
        iap = self - routed
        if iap:
            # History is permanent until the retention period: never to_delete.
            super(SmsSms, iap)._send(
                unlink_failed=False, unlink_sent=False, raise_exception=raise_exception
            )
        if not by_gateway:
            return
        if self.env.context.get("text_messaging_dispatch"):
            for gateway, records in by_gateway.items():
                records._send_with_gateway(gateway)
        elif self.env.context.get("text_messaging_queue"):
            self._trigger_dispatch()
        else:
            for gateway, records in by_gateway.items():
                records._send_now(gateway, raise_exception=raise_exception)

    def _may_use_our_gateways(self, outgoing_only=False):
        """Whether some rows may go through a gateway of ours: their own, or
        a company default (cached). False, without a query, when every
        company stays on Odoo IAP."""
        rows = (
            self.filtered(lambda sms: sms.state == "outgoing")
            if outgoing_only
            else self
        )
        if not rows:
            return False
        if any(sms.gateway_id for sms in rows):
            return True
        defaults = self.env["sms.gateway"]._default_gateway_by_company()
        return bool(defaults) and any(sms.company_id.id in defaults for sms in rows)

    def _send_now(self, gateway, raise_exception=False):
        """Send through ``gateway`` at once, without committing the caller's
        transaction; with ``raise_exception``, raise when the gateway itself
        failed (as IAP raises when it cannot be reached)."""
        try:
            with self.env.cr.savepoint():
                self._send_with_gateway(gateway)
        except Exception:
            if raise_exception:
                raise
            # As Odoo does for IAP, the caller's flow goes on; the rows may
            # have reached the provider, so they are never re-sent silently.
            _logger.exception("Sending %s text messages now failed", len(self))
            self._mark_unknown_outcome()
        self.sudo().mail_message_id._notify_message_notification_update()
        if raise_exception:
            self._raise_gateway_failure(gateway)

    # IAP states a direct SmsApi caller understands (sms/tools/sms_api.py).
    _IAP_STATE_BY_FAILURE = {
        "sms_number_format": "wrong_number_format",
        "sms_number_missing": "wrong_number_format",
        "sms_credit": "insufficient_credit",
    }

    @api.model
    def _send_iap_batch_through_gateways(self, messages):
        """Send now, through their company's gateway, the texts of ``messages``
        (SmsApi's batch format) whose rows go through a gateway of ours.

        Returns (results in SmsApi's format for those, the messages left for
        IAP). Without any gateway of ours: no query, everything left."""
        if not self.env["sms.gateway"]._default_gateway_by_company():
            return [], messages
        uuids = [n["uuid"] for m in messages for n in m.get("numbers", ())]
        rows = self.sudo().search([("uuid", "in", [u for u in uuids if u])])
        by_gateway = rows._route_to_gateways() if rows else {}
        routed = self.browse()
        for gateway, records in by_gateway.items():
            records._send_now(gateway)
            routed |= records
        by_uuid = {sms.uuid: sms for sms in routed}
        results = [
            {
                "uuid": sms.uuid,
                "res_id": sms.number,
                "state": "success"
                if sms.state in ("pending", "sent")
                else self._IAP_STATE_BY_FAILURE.get(sms.failure_type, "server_error"),
            }
            for sms in routed
        ]
        rest = []
        for message in messages:
            numbers = message.get("numbers", ())
            numbers = [n for n in numbers if n["uuid"] not in by_uuid]
            if numbers:
                rest.append({**message, "numbers": numbers})
        return results, rest

    def _mark_unknown_outcome(self):
        """The error is in the log; the rows say what it means for them."""
        rows = [
            {
                "id": sms.id,
                "state": "unknown",
                "failure_type": "tm_unknown_outcome",
                "failure_explanation": self._explain("tm_unknown_outcome"),
                "claimed_at": None,
                "claim_token": None,
                "in_flight_at": None,
            }
            for sms in self
        ]
        self._bulk_update(rows)
        self._update_trackers(rows)

    def _raise_gateway_failure(self, gateway):
        failed = self.filtered(
            lambda sms: sms.state in ("outgoing", "unknown")
            or sms.failure_type in GATEWAY_FAILURE_TYPES
        )
        if failed:
            raise UserError(
                self.env._(
                    "%(gateway)s could not send %(count)s text message(s): "
                    "%(explanation)s",
                    gateway=gateway.name,
                    count=len(failed),
                    explanation=failed[0].failure_explanation or "",
                )
            )

    def _route_to_gateways(self):
        """Map each row to its gateway (its own, else its company's default).

        A row's company is its own (its document's, else its sender's), never
        the company of whoever runs the dispatcher. Returns {sms.gateway:
        sms.sms}; rows of companies without a gateway are left out (they go
        through Odoo IAP).
        """
        gateways = self.env["sms.gateway"].sudo()
        defaults = {
            company_id: gateways.browse(gateway_id)
            for company_id, gateway_id in gateways._default_gateway_by_company().items()
        }
        to_assign = {}
        by_gateway = {}
        for sms in self:
            gateway = sms.gateway_id
            if not gateway:
                gateway = defaults.get(sms.company_id.id)
                if not gateway:
                    continue
                to_assign.setdefault(gateway, []).append(sms.id)
            by_gateway.setdefault(gateway, []).append(sms.id)
        for gateway, ids in to_assign.items():
            self.browse(ids).write({"gateway_id": gateway.id})
        return {gateway: self.browse(ids) for gateway, ids in by_gateway.items()}

    def _trigger_dispatch(self, at=None):
        self.env.ref("text_messaging.ir_cron_text_messaging_dispatch").sudo()._trigger(
            at=at
        )

    # ------------------------------------------------ shared row writers --

    def _explain(self, failure_type, detail="", prefix=""):
        """Info text: ``prefix``, what ``failure_type`` means (none when
        ``failure_type`` is None) and the provider's words, as sentences."""
        parts = [prefix] if prefix else []
        if failure_type is not None:
            parts.append(
                self.env._(EXPLANATIONS.get(failure_type, EXPLANATIONS["unknown"]))
            )
        if detail:
            parts.append(self.env._(PROVIDER_WORDS) % {"detail": sentence(detail)})
        return "\n".join(parts)

    # Columns _bulk_update may write, with their SQL types.
    _BULK_COLUMNS = {
        "state": "varchar",
        "failure_type": "varchar",
        "failure_explanation": "text",
        "provider_message_id": "varchar",
        "sent_at": "timestamp",
        "delivered_at": "timestamp",
        "next_attempt": "timestamp",
        "claimed_at": "timestamp",
        "cost": "numeric",
        "claim_token": "int4",
        "in_flight_at": "timestamp",
        "attempts": "int4",
        "held_note": "text",
    }

    def _bulk_update(self, rows):
        """UPDATE many rows with per-row values in one query per column set."""
        if not rows:
            return
        by_columns = {}
        for row in rows:
            columns = tuple(sorted(key for key in row if key != "id"))
            by_columns.setdefault(columns, []).append(row)
        for columns, group in by_columns.items():
            for chunk in split_every(1000, group):
                assignments = SQL(", ").join(
                    SQL(
                        "%s = v.%s::%s",
                        SQL.identifier(column),
                        SQL.identifier(column),
                        SQL(self._BULK_COLUMNS[column]),
                    )
                    for column in columns
                )
                values = SQL(", ").join(
                    SQL(
                        "(%s)",
                        SQL(", ").join(
                            SQL("%s", value)
                            for value in [row["id"]] + [row[c] for c in columns]
                        ),
                    )
                    for row in chunk
                )
                names = SQL(", ").join(
                    SQL.identifier(name) for name in ("id",) + columns
                )
                self.env.cr.execute(
                    SQL(
                        "UPDATE sms_sms AS s SET %s, write_date = NOW() AT TIME ZONE "
                        "'UTC', write_uid = %s FROM (VALUES %s) AS v(%s) "
                        "WHERE s.id = v.id::int",
                        assignments,
                        self.env.uid,
                        values,
                        names,
                    )
                )
        self.browse([row["id"] for row in rows]).invalidate_recordset(
            list(self._BULK_COLUMNS) + ["write_date", "write_uid"]
        )

    def _update_trackers(self, rows):
        """Reflect new states on the chatter notifications, one call per state."""
        groups = {}
        for row in rows:
            key = (row["state"], row.get("failure_type"))
            groups.setdefault(key, []).append(row["id"])
        for (state, failure_type), ids in groups.items():
            if state == "unknown":
                state, failure_type = "error", "unknown"
            self.browse(ids).sms_tracker_id._action_update_from_sms_state(
                state, failure_type=failure_type or False
            )
