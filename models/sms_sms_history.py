import logging
import time
from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL

from .sms_sms import HISTORY_PURGE_BATCH

_logger = logging.getLogger(__name__)
# One autovacuum run purges batches for at most this long (well inside the
# cron's time limits); each batch is committed, so no lock lasts longer than
# one batch (under 1 s for 10,000 rows, scripts/bench_purge.py).
PURGE_TIME_BUDGET = 60  # seconds


class SmsSms(models.Model):
    """History: resend by hand, purge past the retention period."""

    _inherit = "sms.sms"

    # ------------------------------------------------------------ history --

    def action_resend(self):
        """Queue failed or unknown-outcome messages again (same row, same text)."""
        to_resend = self.filtered(lambda sms: sms.state in ("error", "unknown"))
        note = self.env._(
            "Resent by %(user)s on %(date)s (UTC).",
            user=self.env.user.name,
            date=fields.Datetime.to_string(fields.Datetime.now()),
        )
        for sms in to_resend:
            sms.failure_explanation = "\n".join(
                filter(None, [note, sms.failure_explanation])
            )
        to_resend.write(
            {
                "state": "outgoing",
                "failure_type": False,
                "next_attempt": False,
                "attempts": 0,
                "in_flight_at": False,
            }
        )
        if to_resend:
            self._trigger_dispatch()
        return self.env["sms.gateway"]._notify(
            self.env._("Resend"),
            self.env._(
                "%(count)s of %(total)s messages queued again.",
                count=len(to_resend),
                total=len(self),
            ),
            "success" if to_resend else "warning",
        )

    @api.model
    def _retention_days(self):
        value = (
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("text_messaging.retention_days", 365)
        )
        try:
            return max(int(value), 1)
        except ValueError:
            return 365

    @api.autovacuum
    def _gc_text_messaging_history(self):
        """Delete messages older than the retention period, in batches, each
        committed (outside tests), until none is left or the time budget is
        spent: a backlog clears in one run, and no lock lasts a whole run."""
        limit = fields.Datetime.now() - timedelta(days=self._retention_days())
        self.flush_model(["state", "create_date"])
        deadline = time.monotonic() + PURGE_TIME_BUDGET
        total = 0
        while True:
            self.env.cr.execute(
                SQL(
                    """
                    DELETE FROM sms_sms WHERE id IN (
                        SELECT id FROM sms_sms
                         WHERE create_date < %s
                           AND state NOT IN ('outgoing', 'process')
                         ORDER BY id LIMIT %s)
                    """,
                    limit,
                    HISTORY_PURGE_BATCH,
                )
            )
            count = self.env.cr.rowcount
            total += count
            if count < HISTORY_PURGE_BATCH or time.monotonic() >= deadline:
                break
            if self._can_commit():
                self.env.cr.commit()  # pylint: disable=invalid-commit
        _logger.info("Purged %d text messages past retention", total)
        self.invalidate_model()
