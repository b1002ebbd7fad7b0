"""Texts in the contact's chatter and conversation, whatever sent them.

Odoo's own composer and chatter SMS already log a message (``mail_message_id``);
the addon's wizards, rules and mass sends queue ``sms.sms`` rows directly, so
their texts are logged here when the rows are created: one note per contact in
one ``_message_log_batch`` (decision 1), and one log per existing conversation
(one search for all the rows). A conversation's own texts failing later are
told back in it."""

from collections import defaultdict

from markupsafe import Markup

from odoo import api, fields, models
from odoo.tools import SQL, split_every
from odoo.tools.mail import generate_tracking_message_id

#: Kinds logged on the contact's chatter when queued. Replies and keyword
#: answers are logged by the flows that send them (the reply wizard, the
#: conversation); reminders also get their note on the document.
LOGGED_KINDS = (
    "custom",
    "mass",
    "scheduled",
    "greeting",
    "reminder",
    "manual_reminder",
)
#: States of a row that will not reach the contact.
FAILED_STATES = ("error", "unknown", "canceled")


class SmsSms(models.Model):
    _inherit = "sms.sms"

    @api.model_create_multi
    def create(self, vals_list):
        records = super().create(vals_list)
        if not self.env.context.get("text_messaging_conversation"):
            # The addon's flows always say which kind of text they queue;
            # Odoo's own flows never do.
            ours = [
                sms.id
                for sms, vals in zip(records, vals_list, strict=True)
                if "kind" in vals
            ]
            records._text_log_outgoing(records.browse(ours))
        return records

    def _text_log_outgoing(self, ours):
        """Log the queued texts of ``self`` to contacts: the addon's own
        (``ours``) on the contact's chatter (Odoo's flows log theirs, or chose
        not to), and every one in the contact's conversation, Odoo's only for
        companies on a gateway of ours (so that Odoo's SMS on IAP cost no
        query, and keep their contract)."""
        rows = self.filtered(
            lambda sms: sms.state == "outgoing"
            and sms.partner_id
            and sms.kind != "test"
        )
        if not rows:
            return
        author = self.env.user.partner_id
        ours &= rows
        ours.filtered(lambda sms: sms.kind in LOGGED_KINDS)._text_log_on_contacts(
            author
        )
        odoos = rows - ours
        if odoos:
            routed = self.env["sms.gateway"]._default_gateway_by_company()
            ours |= odoos.filtered(
                lambda sms: sms.gateway_id or sms.company_id.id in routed
            )
        ours._text_log_in_conversations(author)

    def _text_log_on_contacts(self, author):
        if not self:
            return
        labels = dict(self._fields["kind"]._description_selection(self.env))
        self._text_insert_logs(
            [
                (
                    "res.partner",
                    sms.partner_id.id,
                    Markup("<p><b>%s</b></p><p>%s</p>")
                    % (labels[sms.kind], sms.body or ""),
                )
                for sms in self
            ],
            author,
        )

    @api.model
    def _text_insert_logs(self, logs, author):
        """Log [(model, res id, html)] as text messages of ``author``, as
        ``_message_log_batch`` does (internal, no notification), in one INSERT
        per 1,000: through the ORM (HTML sanitizing, defaults, inverses) a
        log costs about 3 ms, ten times the queueing of a mass text
        (``scripts/bench_mass.py``). The HTML is built with Markup (escaped)."""
        if not logs:
            return
        now = fields.Datetime.now()
        subtype_id = self.env["ir.model.data"]._xmlid_to_res_id("mail.mt_note")
        email_from = author.email_formatted or None
        for chunk in split_every(1000, logs):
            values = SQL(", ").join(
                SQL(
                    "(%s, %s, %s, 'sms', %s, %s, %s, %s, TRUE, %s, %s, %s, %s, %s)",
                    model,
                    res_id,
                    str(body),
                    subtype_id,
                    author.id,
                    email_from,
                    now,
                    generate_tracking_message_id(f"{res_id}-{model}"),
                    self.env.uid,
                    now,
                    self.env.uid,
                    now,
                )
                for model, res_id, body in chunk
            )
            self.env.cr.execute(
                SQL(
                    "INSERT INTO mail_message (model, res_id, body, message_type, "
                    "subtype_id, author_id, email_from, date, is_internal, "
                    "message_id, create_uid, create_date, write_uid, write_date) "
                    "VALUES %s",
                    values,
                )
            )
        by_model = defaultdict(set)
        for model, res_id, _body in logs:
            by_model[model].add(res_id)
        for model, ids in by_model.items():
            self.env[model].browse(ids).invalidate_recordset(["message_ids"])

    def _text_log_in_conversations(self, author):
        if not self:
            return
        channels = self.env["discuss.channel"]
        by_company = defaultdict(list)
        for sms in self:
            by_company[sms.company_id].append(sms)
        bodies = defaultdict(list)
        for company, rows in by_company.items():
            partners = self.env["res.partner"].browse({s.partner_id.id for s in rows})
            conversations = channels._text_conversations(
                partners, company, create=False
            )
            for sms in rows:
                channel = conversations.get(sms.partner_id.id)
                if channel:
                    bodies[channel.id].append(sms.body or "")
        channels._text_log_sent(bodies, author)

    def _update_trackers(self, rows):
        """A text of a conversation that failed says so in the conversation."""
        result = super()._update_trackers(rows)
        failed = [row["id"] for row in rows if row.get("state") in FAILED_STATES]
        if failed:
            mine = self.browse(failed).filtered(
                lambda sms: sms.res_model == "discuss.channel" and sms.res_id
            )
            if mine:
                self.env["discuss.channel"]._text_post_failures(mine)
        return result
