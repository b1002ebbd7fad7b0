from odoo.tests import TransactionCase, new_test_user, tagged
from odoo.tools import SQL

from ..models.sms_sms_indexes import HISTORY_INDEXES


@tagged("post_install", "-at_install")
class TestHistoryIndexes(TransactionCase):
    """The History's indexes exist and the ORM's queries can use them.

    Timings are for scripts/bench_history.py; here only the plans: with
    sequential scans disabled, the query the ORM builds for the screen (as a
    Text Messaging user, record rules on) must be answered by its index."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user = new_test_user(
            cls.env,
            login="history_reader",
            groups="base.group_user,text_messaging.group_text_messaging_user",
            tz="Pacific/Auckland",
        )
        cls.partner = cls.env["res.partner"].create({"name": "Indexed Client"})
        cls.env.cr.execute(
            SQL(
                "INSERT INTO sms_sms (uuid, number, partner_id, state, kind, "
                "company_id, to_delete, create_date) "
                "SELECT md5(random()::text || i), '+12015550100', "
                "CASE WHEN mod(i, 50) = 0 THEN %s END, "
                "CASE WHEN mod(i, 30) = 0 THEN 'error' ELSE 'sent' END, 'custom', "
                "%s, false, now() - i * interval '1 hour' "
                "FROM generate_series(1, 3000) AS i",
                cls.partner.id,
                cls.env.company.id,
            )
        )
        cls.env.cr.execute(SQL("ANALYZE sms_sms"))

    def _plan(self, domain):
        """The plan of the ORM's search for ``domain`` as the History reader."""
        texts = self.env["sms.sms"].with_user(self.user)
        query = texts._search(domain, limit=80, order=texts._order)
        self.env.cr.execute(SQL("SET LOCAL enable_seqscan = off"))
        self.env.cr.execute(SQL("EXPLAIN %s", query.select()))
        plan = "\n".join(row[0] for row in self.env.cr.fetchall())
        self.env.cr.execute(SQL("SET LOCAL enable_seqscan = on"))
        return plan

    def test_indexes_exist(self):
        self.env.cr.execute(
            SQL(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s",
                "sms_sms",
            )
        )
        definitions = dict(self.env.cr.fetchall())
        for name, (columns, _where, _screen) in HISTORY_INDEXES.items():
            self.assertIn(name, definitions)
            self.assertIn(", ".join(columns), definitions[name])
            self.assertIn("WHERE", definitions[name], "a partial index")

    def test_contact_texts_use_partner_index(self):
        domain = self.partner.action_view_text_messages()["domain"]
        self.assertIn("sms_sms_tm_partner_index", self._plan(domain))

    def test_failed_filter_uses_failed_index(self):
        plan = self._plan([("state", "in", ("error", "unknown"))])
        self.assertIn("sms_sms_tm_failed_index", plan)

    def test_month_statistics_for_users_time_zones(self):
        """Statistics on the pivot's month expression for UTC and for every
        internal user's time zone, none for a bad time zone."""
        new_test_user(self.env, login="history_bad_tz", groups="base.group_user")
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "UPDATE res_partner SET tz = 'Not/AZone' WHERE id IN "
                "(SELECT partner_id FROM res_users WHERE login = 'history_bad_tz')"
            )
        )
        self.env["sms.sms"]._create_history_indexes()
        self.env.cr.execute(
            SQL(
                "SELECT stxname FROM pg_statistic_ext "
                "WHERE stxrelid = 'sms_sms'::regclass"
            )
        )
        names = {row[0] for row in self.env.cr.fetchall()}
        self.assertIn("sms_sms_tm_month_utc", names)
        self.assertIn("sms_sms_tm_month_pacific_auckland", names)
        self.assertNotIn("sms_sms_tm_month_not_azone", names)
