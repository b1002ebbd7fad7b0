from odoo import api, fields, models
from odoo.tools import SQL, split_every

from ..tools import compat

# Columns of a log row as the engine inserts them, with their SQL types.
LOG_COLUMNS = {
    "rule_id": "int4",
    "res_model": "varchar",
    "res_id": "int4",
    "partner_id": "int4",
    "occurrence": "timestamp",
    "step": "int4",
    "state": "varchar",
    "company_id": "int4",
}


class SmsReminderLog(models.Model):
    """One row per reminder a rule decided on: the database key that makes a
    duplicate impossible, even with two cron workers at the same time.

    The key is (rule, document, recipient, occurrence, step): the occurrence is
    the moment the reminder is about (the event start, the invoice due date, the
    task deadline), so a rescheduled event gets a new reminder; the step numbers
    the repeats of an overdue reminder.
    """

    _name = "sms.reminder.log"
    _description = "Text Reminder Log"
    _order = "id desc"
    _rec_name = "rule_id"

    rule_id = fields.Many2one(
        "sms.reminder.rule", "Rule", required=True, index=True, ondelete="cascade"
    )
    res_model = fields.Char("Document Model", required=True)
    res_id = fields.Many2oneReference(
        "Document ID", model_field="res_model", required=True
    )
    source_ref = fields.Reference(
        selection="_selection_source_ref", string="Document", compute="_compute_source"
    )
    partner_id = fields.Many2one(
        "res.partner", "Recipient", index="btree_not_null", ondelete="cascade"
    )
    occurrence = fields.Datetime(
        required=True,
        help="The moment the reminder is about: the event start, the invoice due "
        "date or the task deadline.",
    )
    step = fields.Integer(
        default=0, required=True, help="Which repeat of an overdue reminder (0: first)."
    )
    state = fields.Selection(
        [
            ("queued", "Queued"),
            ("skipped", "Skipped"),
            ("no_recipient", "No recipient"),
        ],
        required=True,
        default="queued",
    )
    sms_id = fields.Many2one("sms.sms", "Text Message", ondelete="set null")
    company_id = fields.Many2one("res.company", "Company", index=True)

    def init(self):
        # The recipient may be empty ("nobody to remind"): COALESCE keeps such
        # rows unique too (NULLs are distinct in a plain unique index).
        compat.create_unique_index(
            self.env.cr,
            "sms_reminder_log_unique_key",
            self._table,
            [
                "rule_id",
                "res_model",
                "res_id",
                "COALESCE(partner_id, 0)",
                "occurrence",
                "step",
            ],
        )

    @api.model
    def _selection_source_ref(self):
        return [
            (model.model, model.name)
            for model in self.env["ir.model"]
            .sudo()
            .search([("is_mail_thread", "=", True)])
        ]

    @api.depends("res_model", "res_id")
    def _compute_source(self):
        for log in self:
            if log.res_model in self.env and log.res_id:
                log.source_ref = f"{log.res_model},{log.res_id}"
            else:
                log.source_ref = False

    @api.model
    def _insert_new(self, rows):
        """Insert ``rows`` (dicts of LOG_COLUMNS) and skip those whose key exists.

        Returns the inserted rows, each with its new ``id``: a row another worker
        inserted first (committed or not) is left out, so the caller sends only
        what it alone has claimed.
        """
        inserted = []
        now = fields.Datetime.now()
        columns = list(LOG_COLUMNS)
        for chunk in split_every(1000, rows):
            arrays = SQL(", ").join(
                SQL(
                    "%s::%s[]",
                    [row.get(column) for row in chunk],
                    SQL(LOG_COLUMNS[column]),
                )
                for column in columns
            )
            names = SQL(", ").join(
                SQL.identifier(name)
                for name in columns
                + ["create_uid", "write_uid", "create_date", "write_date"]
            )
            self.env.cr.execute(
                SQL(
                    "INSERT INTO sms_reminder_log (%s) "
                    "SELECT *, %s, %s, %s, %s FROM unnest(%s) "
                    "ON CONFLICT DO NOTHING "
                    "RETURNING id, res_id, COALESCE(partner_id, 0), occurrence, step",
                    names,
                    self.env.uid,
                    self.env.uid,
                    now,
                    now,
                    arrays,
                )
            )
            keys = {tuple(key): log_id for log_id, *key in self.env.cr.fetchall()}
            for row in chunk:
                key = (
                    row["res_id"],
                    row.get("partner_id") or 0,
                    row["occurrence"],
                    row["step"],
                )
                if key in keys:
                    inserted.append(dict(row, id=keys[key]))
        return inserted

    @api.model
    def _refresh_statistics(self):
        """ANALYZE the log table.

        A backlog inserts thousands of rows between two passes of autovacuum;
        with statistics of a nearly empty table, PostgreSQL plans the "not yet
        logged" anti-join as a nested loop over every log row, and each batch
        gets slower than the last. Sampling the table costs a few milliseconds.
        """
        self.env.cr.execute(SQL("ANALYZE %s", SQL.identifier(self._table)))

    @api.model
    def _link_messages(self, sms_by_log):
        """Store which text message each log row produced: {log id: sms id}."""
        for chunk in split_every(1000, list(sms_by_log.items())):
            self.env.cr.execute(
                SQL(
                    "UPDATE sms_reminder_log AS l SET sms_id = v.sms_id "
                    "FROM unnest(%s::int4[], %s::int4[]) AS v(id, sms_id) "
                    "WHERE l.id = v.id",
                    [log_id for log_id, _sms_id in chunk],
                    [sms_id for _log_id, sms_id in chunk],
                )
            )
        self.invalidate_model(["sms_id"])
