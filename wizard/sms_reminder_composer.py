from ast import literal_eval
from collections import Counter

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from ..tools.segments import count_segments

# Recipients shown in the preview; the others are counted.
PREVIEW_LIMIT = 50


class SmsReminderComposer(models.TransientModel):
    """Send a reminder now, from a list (several documents) or a form.

    No "text reminders" permission is needed for a manual reminder, but a
    recipient without a usable number or who opted out (STOP) is skipped, with a
    visible cancelled message that says why."""

    _name = "sms.reminder.composer"
    _description = "Send Text Reminder"

    res_model = fields.Char("Document Model", required=True, readonly=True)
    res_ids = fields.Char("Document IDs", required=True, readonly=True)
    record_count = fields.Integer("Documents", compute="_compute_record_count")
    rule_id = fields.Many2one(
        "sms.reminder.rule",
        "Rule",
        compute="_compute_rule_id",
        store=True,
        readonly=False,
        domain="[('res_model', '=', res_model)]",
        context={"active_test": False},
        help="The reminder rule whose recipients and text prefill this message.",
    )
    recipients = fields.Selection(
        [("client", "Client"), ("practitioner", "Practitioner"), ("both", "Both")],
        compute="_compute_recipients",
        store=True,
        readonly=False,
        required=True,
    )
    template_id = fields.Many2one(
        "sms.template",
        "Template",
        compute="_compute_template_id",
        store=True,
        readonly=False,
        domain="[('model', '=', res_model)]",
    )
    body = fields.Text(
        "Message", compute="_compute_body", store=True, readonly=False, required=True
    )
    edit_body = fields.Boolean(
        "Edit the Text",
        help="The text is a template: its placeholders are filled in for each "
        "recipient, as the preview shows.",
    )
    preview = fields.Html(compute="_compute_preview", sanitize=False)
    send_count = fields.Integer("To send", compute="_compute_preview")
    skip_count = fields.Integer("To skip", compute="_compute_preview")
    summary = fields.Text(readonly=True)

    @api.model
    def default_get(self, fields_list):
        result = super().default_get(fields_list)
        context = self.env.context
        res_model = result.get("res_model") or context.get("active_model")
        if not result.get("res_ids"):
            ids = context.get("active_ids") or (
                [context["active_id"]] if context.get("active_id") else []
            )
            result["res_ids"] = repr(list(ids))
        if res_model:
            model = self.env.get(res_model)
            if not hasattr(model, "_text_reminder_recipients"):
                raise UserError(
                    self.env._("Text reminders cannot be sent from these documents.")
                )
            ids = literal_eval(result["res_ids"])
            if not model.browse(ids)._text_reminder_manual_records():
                raise UserError(
                    self.env._(
                        "None of these documents can get a text reminder (invoices: "
                        "customer invoices only; tasks: open tasks only)."
                    )
                )
            result["res_model"] = res_model
        return result

    @api.depends("res_ids")
    def _compute_record_count(self):
        for composer in self:
            composer.record_count = len(composer._res_ids())

    @api.depends("res_model", "res_ids")
    def _compute_rule_id(self):
        rules = self.env["sms.reminder.rule"].with_context(active_test=False)
        for composer in self:
            records = composer._records()
            if not records:
                composer.rule_id = False
                continue
            kind = records._text_reminder_kind()
            companies = [self.env.company.id, False]
            composer.rule_id = rules.search(
                [("kind", "=", kind), ("company_id", "in", companies)],
                order="active desc, sequence, id",
                limit=1,
            )

    @api.depends("rule_id")
    def _compute_recipients(self):
        for composer in self:
            composer.recipients = composer.rule_id.recipients or "client"

    @api.depends("rule_id")
    def _compute_template_id(self):
        for composer in self:
            composer.template_id = composer.rule_id.template_id

    @api.depends("template_id")
    def _compute_body(self):
        for composer in self:
            composer.body = composer.template_id.body or composer.body

    @api.depends("res_ids", "recipients", "template_id", "body")
    def _compute_preview(self):
        for composer in self:
            plan = composer._plan()
            composer.send_count = sum(1 for _doc, _partner, skip in plan if not skip)
            composer.skip_count = len(plan) - composer.send_count
            try:
                bodies = composer._render_bodies(plan[:PREVIEW_LIMIT])
            except (UserError, AccessError) as error:
                composer.preview = Markup(
                    '<div class="alert alert-warning">%s</div>'
                ) % str(error)
                continue
            composer.preview = composer._preview_html(plan, bodies)

    # ------------------------------------------------------------ helpers --

    def _res_ids(self):
        self.ensure_one()
        try:
            ids = literal_eval(self.res_ids or "[]")
        except (ValueError, SyntaxError):
            return []
        return [res_id for res_id in ids if isinstance(res_id, int)]

    def _records(self):
        """The documents to remind (those of them a reminder fits)."""
        self.ensure_one()
        if not self.res_model or self.res_model not in self.env:
            return self.env["res.partner"].browse()
        records = self.env[self.res_model].browse(self._res_ids()).exists()
        return records._text_reminder_manual_records()

    def _plan(self):
        """[(document, partner, failure_type or False)] of every recipient."""
        self.ensure_one()
        records = self._records()
        if not records or not self.recipients:
            return []
        rule = self.env["sms.reminder.rule"]
        recipients = rule._share_prefetch(
            records._text_reminder_recipients(self.recipients)
        )
        return [
            (record, partner, rule._skip_reason(partner, needs_consent=False))
            for record in records
            for partner in recipients.get(record.id, [])
        ]

    def _render_bodies(self, plan):
        """{(document id, partner id): text}: the template's own text is rendered
        in each recipient's language; an edited text as typed."""
        if not plan or not self.body:
            return {}
        pairs = [(document, partner) for document, partner, _skip in plan]
        rule = self.env["sms.reminder.rule"]
        if self.template_id and self.body == self.template_id.body:
            return rule._render(self.template_id, pairs)
        return rule._render(None, pairs, body=self.body)

    def _preview_html(self, plan, bodies):
        labels = self._failure_labels()
        rows = []
        for document, partner, skip in plan[:PREVIEW_LIMIT]:
            text = bodies.get((document.id, partner.id), "")
            info = count_segments(text)
            status = (
                self.env._("Skipped: %(reason)s", reason=labels.get(skip, skip))
                if skip
                else self.env._("Will be sent")
            )
            rows.append(
                Markup(
                    "<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td>"
                    "<td>%s</td></tr>"
                )
                % (
                    partner.display_name,
                    partner.text_number or "",
                    status,
                    text,
                    self.env._(
                        "%(segments)s (%(characters)s characters)",
                        segments=info.segments,
                        characters=info.characters,
                    ),
                )
            )
        if not rows:
            return Markup("<p>%s</p>") % self.env._("Nobody to remind.")
        header = Markup(
            "<thead><tr><th>%s</th><th>%s</th><th>%s</th><th>%s</th><th>%s</th>"
            "</tr></thead>"
        ) % (
            self.env._("Recipient"),
            self.env._("Number"),
            self.env._("Status"),
            self.env._("Text"),
            self.env._("Segments"),
        )
        more = ""
        if len(plan) > PREVIEW_LIMIT:
            more = Markup("<p>%s</p>") % self.env._(
                "... and %(count)s more recipients.", count=len(plan) - PREVIEW_LIMIT
            )
        return Markup('<table class="table table-sm">%s<tbody>%s</tbody></table>%s') % (
            header,
            Markup().join(rows),
            more,
        )

    def _failure_labels(self):
        return dict(
            self.env["sms.sms"]._fields["failure_type"]._description_selection(self.env)
        )

    # ------------------------------------------------------------ actions --

    def action_send(self):
        """Queue the reminders, log them on the documents, say what happened."""
        self.ensure_one()
        records = self._records()
        if not records:
            raise UserError(self.env._("There is no document to send a reminder for."))
        records.check_access("read")
        plan = self._plan()
        rule = self.env["sms.reminder.rule"]
        sms = self.env["sms.sms"]
        if plan:
            bodies = self._render_bodies(plan)
            pairs = [(document, partner) for document, partner, _skip in plan]
            sms = rule._queue(
                pairs, bodies, [skip for _d, _p, skip in plan], kind="manual_reminder"
            )
            title = self.env._(
                "%(rule)s, sent by %(user)s",
                rule=self.rule_id.name or self.env._("Manual reminder"),
                user=self.env.user.name,
            )
            rule._log_notes(pairs, sms, title)
        reminded = {document.id for document, _partner, _skip in plan}
        nobody = len(records.filtered(lambda record: record.id not in reminded))
        self.summary = self._summary(sms, nobody)
        skipped = sms.filtered(lambda message: message.state == "canceled")
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Text reminders"),
                "message": self.summary,
                "type": "warning" if skipped or nobody else "success",
                "sticky": bool(skipped or nobody),
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

    def _summary(self, sms, nobody):
        """Sent vs skipped, and why, in a few words."""
        skipped = sms.filtered(lambda message: message.state == "canceled")
        parts = [
            self.env._("%(count)s reminder(s) queued.", count=len(sms) - len(skipped))
        ]
        if skipped:
            labels = self._failure_labels()
            reasons = Counter(skipped.mapped("failure_type"))
            parts.append(
                self.env._(
                    "%(count)s skipped: %(reasons)s.",
                    count=len(skipped),
                    reasons=", ".join(
                        f"{labels.get(reason, reason)} ({count})"
                        for reason, count in reasons.items()
                    ),
                )
            )
        if nobody:
            parts.append(
                self.env._("%(count)s document(s) have nobody to remind.", count=nobody)
            )
        return " ".join(parts)
