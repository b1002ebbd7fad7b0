from odoo import models

from odoo.addons.project.models.project_task import CLOSED_STATES


class ProjectTask(models.Model):
    _inherit = "project.task"

    # ------------------------------------------- text reminder protocol --

    def _text_reminder_domain(self, rule):
        """Open tasks with a deadline: a done or cancelled task, or one in a
        folded (closed) stage, gets no reminder. A task without a company
        belongs to its creator's company: one rule reminds it, not every
        company's."""
        return [
            ("date_deadline", "!=", False),
            ("state", "not in", list(CLOSED_STATES)),
            "|",
            ("stage_id", "=", False),
            ("stage_id.fold", "=", False),
            "|",
            ("company_id", "=", rule.company_id.id),
            "&",
            ("company_id", "=", False),
            ("create_uid.company_id", "=", rule.company_id.id),
        ]

    def _text_reminder_anchor_sql(self, rule, alias):
        return self._field_to_sql(alias, "date_deadline")

    def _text_reminder_end_sql(self, rule, alias):
        """A reminder is worth sending until the deadline."""
        return self._field_to_sql(alias, "date_deadline")

    def _text_reminder_company(self):
        return self.company_id or self.env.company

    def _text_reminder_recipients(self, recipients):
        """{task id: partners}: the customer (client), the assignees
        (practitioner)."""
        result = {}
        for task in self:
            partners = self.env["res.partner"]
            if recipients in ("client", "both"):
                partners |= task.partner_id
            if recipients in ("practitioner", "both"):
                partners |= task.user_ids.partner_id
            result[task.id] = partners
        return result

    def _text_reminder_manual_records(self):
        """Open tasks only: a done or cancelled task needs no reminder."""
        return self.filtered(lambda task: task.state not in CLOSED_STATES)

    def _text_reminder_kind(self):
        return "pending_task"

    # -------------------------------------------------- for templates --

    def _text_reminder_when(self):
        """The deadline, in the recipient's time zone (the rendering context's)."""
        self.ensure_one()
        return self.env["sms.reminder.rule"]._format_when(self.date_deadline)
