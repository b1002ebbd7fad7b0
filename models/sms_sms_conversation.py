"""Texts in the contact's chatter and conversation, whatever sent them.

Odoo's own composer and chatter SMS already log a message (``mail_message_id``);
the addon's wizards, rules and mass sends queue ``sms.sms`` rows directly, so
their texts are logged here when the rows are created: one note per contact in
one ``_message_log_batch`` (decision 1), and one log per existing conversation
(one search for all the rows). A conversation's own texts failing later are
told back in it."""

from collections import defaultdict

from markupsafe import Markup

from odoo import api, models

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
            records._text_log_outgoing()
        return records

    def _text_log_outgoing(self):
        """Log the queued texts of ``self`` to contacts on their chatter (the
        addon's own kinds; Odoo's flows log their own message) and in their
        conversations (every kind; Odoo's flows only for companies on a gateway
        of ours, so that Odoo's SMS on IAP cost no query)."""
        rows = self.filtered(
            lambda sms: sms.state == "outgoing"
            and sms.partner_id
            and sms.kind != "test"
        )
        if not rows:
            return
        author = self.env.user.partner_id
        ours = rows.filtered(lambda sms: not sms.mail_message_id)
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
        bodies = defaultdict(list)
        for sms in self:
            bodies[sms.partner_id.id].append(
                Markup("<p><b>%s</b></p><p>%s</p>") % (labels[sms.kind], sms.body or "")
            )
        partners = self.env["res.partner"].browse(list(bodies))
        partners._message_log_batch(
            bodies={pid: Markup().join(texts) for pid, texts in bodies.items()},
            author_id=author.id,
            message_type="sms",
        )

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
