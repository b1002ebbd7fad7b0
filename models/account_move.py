from odoo import fields, models
from odoo.tools import SQL, format_amount


class AccountMove(models.Model):
    _inherit = "account.move"

    # ------------------------------------------- text reminder protocol --

    def _text_reminder_domain(self, rule):
        """Posted customer invoices of the rule's company still to be paid: a
        paid, in payment, reversed or blocked invoice gets no reminder."""
        return [
            ("move_type", "=", "out_invoice"),
            ("state", "=", "posted"),
            ("payment_state", "in", ("not_paid", "partial")),
            ("invoice_date_due", "!=", False),
            ("company_id", "=", rule.company_id.id),
        ]

    def _text_reminder_anchor_sql(self, rule, alias):
        """The due date, as the start of that day in the company's time zone."""
        return SQL(
            "((%s::timestamp AT TIME ZONE %s) AT TIME ZONE 'UTC')",
            self._field_to_sql(alias, "invoice_date_due"),
            rule._company_tz(),
        )

    def _text_reminder_end_sql(self, rule, alias):
        """A pending reminder is worth sending until the due date."""
        return self._text_reminder_anchor_sql(rule, alias)

    def _text_reminder_company(self):
        return self.company_id or self.env.company

    def _text_reminder_recipients(self, recipients):
        """{invoice id: partners}: the customer (client), the salesperson
        (practitioner)."""
        result = {}
        for move in self:
            partners = self.env["res.partner"]
            if recipients in ("client", "both"):
                partners |= move.partner_id
            if recipients in ("practitioner", "both"):
                partners |= move.invoice_user_id.partner_id
            result[move.id] = partners
        return result

    def _text_reminder_manual_records(self):
        """Manual reminders are for customer invoices only."""
        return self.filtered(lambda move: move.move_type == "out_invoice")

    def _text_reminder_kind(self):
        today = fields.Date.context_today(self)
        overdue = any(
            move.invoice_date_due and move.invoice_date_due < today for move in self
        )
        return "overdue_invoice" if overdue else "pending_invoice"

    # -------------------------------------------------- for templates --

    def _text_reminder_amount(self):
        """The amount still due, with its currency."""
        self.ensure_one()
        return self.env["sms.reminder.rule"]._clean_text(
            format_amount(self.env, self.amount_residual, self.currency_id)
        )

    def _text_reminder_due_date(self):
        self.ensure_one()
        return self.env["sms.reminder.rule"]._format_when(
            self.invoice_date_due, date_only=True
        )
