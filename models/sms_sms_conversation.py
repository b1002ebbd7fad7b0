"""Texts in the contact's chatter and conversation, whatever sent them.

Odoo's own composer and chatter SMS already log a message (``mail_message_id``);
the addon's wizards, rules and mass sends queue ``sms.sms`` rows directly, so
their texts are logged here when the rows are created: one note per text on
the contact and one in the contact's conversation where there is one, each
set in a single INSERT ... SELECT, so that a mass send stays cheap. A
conversation's own texts failing later are told back in it."""

import socket

from markupsafe import escape

from odoo import api, fields, models
from odoo.tools import SQL

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
#: Columns of the logs written in SQL, as _message_log_batch fills them.
LOG_COLUMNS = SQL(
    "model, res_id, body, message_type, subtype_id, author_id, email_from, date, "
    "is_internal, message_id, create_uid, create_date, write_uid, write_date"
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
        odoos = self - ours
        if odoos:
            routed = self.env["sms.gateway"]._default_gateway_by_company()
            odoos = odoos.filtered(
                lambda sms: sms.gateway_id or sms.company_id.id in routed
            )
        if not ours and not odoos:
            return
        self.flush_recordset(["state", "partner_id", "kind", "body", "company_id"])
        author = self.env.user.partner_id
        if ours:
            ours._text_log_on_contacts(author)
        (ours | odoos)._text_log_in_conversations(author)

    def _text_log_on_contacts(self, author):
        """One log per queued text of the logged kinds on its contact's
        chatter, as ``_message_log_batch`` would write it (an internal note of
        type sms, no notification), in one INSERT ... SELECT: through the ORM
        (HTML sanitizing, defaults, inverses) a log costs about 3 ms, ten times
        the queueing of a mass text (``scripts/bench_mass.py``)."""
        labels = dict(self._fields["kind"]._description_selection(self.env))
        kinds = SQL(", ").join(
            SQL("(%s, %s)", kind, str(escape(labels[kind]))) for kind in LOGGED_KINDS
        )
        self.env.cr.execute(
            SQL(
                "INSERT INTO mail_message (%s) SELECT 'res.partner', sms.partner_id, "
                "'<p><b>' || kinds.label || '</b></p><p>' || %s || '</p>', %s "
                "FROM sms_sms AS sms "
                "JOIN (VALUES %s) AS kinds(kind, label) ON kinds.kind = sms.kind "
                "WHERE sms.id = ANY(%s) AND sms.state = 'outgoing' "
                "AND sms.partner_id IS NOT NULL",
                LOG_COLUMNS,
                self._text_escaped_body(),
                self._text_log_values(author, "res.partner"),
                kinds,
                self.ids,
            )
        )
        self.env["res.partner"].invalidate_model(["message_ids"])

    def _text_log_in_conversations(self, author):
        """One log per queued text in its contact's conversation of the text's
        company, where there is one; the conversation moves up in Discuss."""
        self.env["discuss.channel"].flush_model(["text_partner_id", "text_company_id"])
        channel_ids = self.env.execute_query(
            SQL(
                "WITH logged AS (INSERT INTO mail_message (%s) "
                "SELECT 'discuss.channel', channel.id, %s, %s "
                "FROM sms_sms AS sms JOIN discuss_channel AS channel "
                "ON channel.text_partner_id = sms.partner_id "
                "AND channel.text_company_id = sms.company_id "
                "WHERE sms.id = ANY(%s) AND sms.state = 'outgoing' "
                "AND sms.kind != 'test' RETURNING res_id) "
                "UPDATE discuss_channel SET last_interest_dt = %s "
                "WHERE id IN (SELECT res_id FROM logged) RETURNING id",
                LOG_COLUMNS,
                self._text_escaped_body(),
                self._text_log_values(author, "discuss.channel"),
                self.ids,
                fields.Datetime.now(),
            )
        )
        if channel_ids:
            self.env["discuss.channel"].invalidate_model(
                ["message_ids", "last_interest_dt"]
            )

    @api.model
    def _text_escaped_body(self):
        """The text of ``sms`` as HTML: escaped, as Markup would."""
        return SQL(
            "replace(replace(replace(COALESCE(sms.body, ''), '&', '&amp;'), "
            "'<', '&lt;'), '>', '&gt;')"
        )

    @api.model
    def _text_log_values(self, author, model, message_type="sms", message_id=None):
        """The columns of LOG_COLUMNS after model, res_id and body, for logs
        by ``author`` on documents of ``model``: an internal note of
        ``message_type``; its ``message_id`` is given, or else made of the
        text's uuid (then the query reads from ``sms_sms AS sms``)."""
        now = fields.Datetime.now()
        if message_id is None:
            message_id = SQL(
                "'<' || sms.uuid || '-' || %s || '-text-messaging@' || %s || '>'",
                model,
                socket.gethostname(),
            )
        else:
            message_id = SQL("%s", message_id)
        return SQL(
            "%s, %s, %s, %s, %s, TRUE, %s, %s, %s, %s, %s",
            message_type,
            self.env["ir.model.data"]._xmlid_to_res_id("mail.mt_note"),
            author.id,
            author.email_formatted or None,
            now,
            message_id,
            self.env.uid,
            now,
            self.env.uid,
            now,
        )

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
