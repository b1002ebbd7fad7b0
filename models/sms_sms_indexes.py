"""The indexes that keep the History fast with a year of a busy practice.

Measured with ``scripts/bench_history.py`` (1,000,000 texts; numbers and plans
in the README): without them a contact's Texts, the Failed filter and the
Usage pivot read the whole table.
"""

import re

import pytz

from odoo import models
from odoo.tools import SQL
from odoo.tools.sql import create_index

# name -> (columns, partial-index condition, the screen it serves)
HISTORY_INDEXES = {
    # A contact's Texts button: partner_id = X, newest first (Odoo's sms.sms
    # has no index on partner_id).
    "sms_sms_tm_partner_index": (
        ["partner_id", "id"],
        "partner_id IS NOT NULL",
        "a contact's texts",
    ),
    # The Failed filter and its count: a few percent of the rows, per company
    # (the record rule), newest first.
    "sms_sms_tm_failed_index": (
        ["company_id", "id"],
        "state IN ('error', 'unknown')",
        "the Failed filter",
    ),
    # The Usage pivot (sent texts by month and kind, segments and cost):
    # every column it reads, so it is an index-only scan of the sent texts of
    # the company instead of a read of the whole table.
    "sms_sms_tm_usage_index": (
        ["company_id", "create_date", "kind", "segments", "cost"],
        "state IN ('pending', 'sent')",
        "the Usage pivot",
    ),
}
# Usage by month: PostgreSQL cannot guess how many months a year of texts
# makes, expects one group per row and sorts them all (half a second for a
# million texts). Extended statistics on the ORM's month expression, one per
# time zone of the internal users, let it count the months in a hash instead.
MAX_MONTH_STATISTICS = 10


class SmsSms(models.Model):
    _inherit = "sms.sms"

    def init(self):
        result = super().init()
        self._create_history_indexes()
        return result

    def _create_history_indexes(self):
        """Create the History's indexes and month statistics not there yet."""
        for name, (columns, where, _screen) in HISTORY_INDEXES.items():
            create_index(self.env.cr, name, self._table, columns, where=where)
        created = False
        for tz in self._history_time_zones():
            name = "sms_sms_tm_month_" + re.sub(r"[^a-z0-9]+", "_", tz.lower())
            self.env.cr.execute(
                SQL("SELECT 1 FROM pg_statistic_ext WHERE stxname = %s", name[:63])
            )
            if self.env.cr.rowcount:
                continue
            self.env.cr.execute(
                SQL(
                    "CREATE STATISTICS %s (ndistinct) ON (date_trunc('month', "
                    "timezone(%s, timezone('UTC', create_date)))), kind FROM %s",
                    SQL.identifier(name[:63]),
                    tz,
                    SQL.identifier(self._table),
                )
            )
            created = True
        if created:
            self.env.cr.execute(SQL("ANALYZE %s", SQL.identifier(self._table)))

    def _history_time_zones(self):
        """UTC and the time zones of the active internal users (the pivot
        groups by month in the reader's time zone)."""
        self.env.cr.execute(
            SQL(
                "SELECT partner.tz, count(*) FROM res_users AS users "
                "JOIN res_partner AS partner ON partner.id = users.partner_id "
                "WHERE users.active AND users.share IS NOT TRUE "
                "AND partner.tz IS NOT NULL GROUP BY partner.tz "
                "ORDER BY 2 DESC, 1 LIMIT %s",
                MAX_MONTH_STATISTICS - 1,
            )
        )
        zones = [tz for tz, _count in self.env.cr.fetchall()]
        return ["UTC"] + [tz for tz in zones if tz in pytz.all_timezones_set]
