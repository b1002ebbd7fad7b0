# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Chatter messages texted to the contacts who prefer texts (seed 002).

When staff send a message (Send message, not Log note) on any document, each
customer recipient whose delivery preference includes texts, who allows texts
(the text reminders permission, which the portal switches) and whose number is
valid and not opted out also gets it as a text, through Odoo's own SMS
notification (History row, segment count, notification icon on the message).
"Text only" contacts then get no email; one that cannot be texted gets the
email instead, so nothing is lost.
"""

from odoo import models
from odoo.tools import LazyTranslate, html2plaintext

from ..tools.fit import fit_segments
from .sms_sms_forward import CHATTER_KIND_KEY

_lt = LazyTranslate(__name__)

#: Context key: the id of the message being notified as texts too.
CHATTER_MESSAGE_KEY = "text_messaging_chatter_message"
#: Segments of a chatter text when the company has no gateway of ours.
DEFAULT_MAX_SEGMENTS = 6
CHATTER_SHORTENED = _lt("(Shortened: ask us for the full message.)")
CHATTER_ATTACHMENTS = _lt("(%(count)s attachment(s) sent by email, not by text.)")


class MailThread(models.AbstractModel):
    _inherit = "mail.thread"

    def _notify_thread(self, message, msg_vals=False, **kwargs):
        if not self._text_chatter_applies(message, msg_vals or {}):
            return super()._notify_thread(message, msg_vals=msg_vals, **kwargs)
        records = self.with_context(**{CHATTER_MESSAGE_KEY: message.id})
        scheduled = self._is_notification_scheduled(kwargs.get("scheduled_date"))
        recipients = super(MailThread, records)._notify_thread(
            message, msg_vals=msg_vals, **kwargs
        )
        if not scheduled:
            records._text_chatter_send_also(message, msg_vals or {}, recipients)
        return recipients

    def _notify_get_recipients(self, message, msg_vals=False, **kwargs):
        recipients = super()._notify_get_recipients(message, msg_vals, **kwargs)
        if recipients and self.env.context.get(CHATTER_MESSAGE_KEY) == message.id:
            recipients = self._text_chatter_recipients(message, recipients)
        return recipients

    def _notify_thread_by_sms(self, message, recipients_data, msg_vals=False, **kwargs):
        records = self
        if self.env.context.get(CHATTER_MESSAGE_KEY) == message.id:
            pids = [r["id"] for r in recipients_data if r["notif"] == "sms"]
            if pids:
                partners = self.env["res.partner"].sudo().browse(pids)
                kwargs["sms_pid_to_number"] = {
                    **{partner.id: partner.text_number for partner in partners},
                    **(kwargs.get("sms_pid_to_number") or {}),
                }
                if not kwargs.get("sms_content"):
                    kwargs["sms_content"] = self._text_chatter_body(
                        message, msg_vals or {}
                    )
                records = self.with_context(**{CHATTER_KIND_KEY: "chatter"})
        return super(MailThread, records)._notify_thread_by_sms(
            message, recipients_data, msg_vals=msg_vals, **kwargs
        )

    # ------------------------------------------------------------ helpers --

    def _text_chatter_applies(self, message, msg_vals):
        """Whether ``message`` is a message staff send to the followers of a
        document (Send message): a comment, with the "Discussions" subtype,
        written by an internal user. Discuss channels have their own flow."""
        if self._name == "discuss.channel":
            return False
        message_type = msg_vals.get("message_type") or message.message_type
        if message_type != "comment":
            return False
        subtype_id = msg_vals.get("subtype_id") or message.subtype_id.id
        comment = self.env["ir.model.data"]._xmlid_to_res_id("mail.mt_comment")
        if subtype_id != comment:
            return False
        author_id = msg_vals.get("author_id") or message.author_id.id
        if author_id == self.env.user.partner_id.id:  # the usual case: no query
            return not self.env.user.share
        author = self.env["res.partner"].sudo().browse(author_id)
        return any(not user.share for user in author.user_ids)

    def _text_chatter_recipients(self, message, recipients):
        """``recipients`` where the "Text only" customers who can be texted
        are notified by SMS instead of email (Odoo's SMS notification: one
        notification per recipient and message). Those who also keep the
        email are texted by ``_text_chatter_send_also``."""
        texted = self._text_chatter_partners(recipients).filtered(
            lambda partner: partner.text_delivery == "text"
        )
        if not texted or message.sudo().attachment_ids:
            return recipients  # attachments need the email
        return [
            dict(recipient, notif="sms")
            if recipient["notif"] == "email" and recipient["id"] in texted.ids
            else recipient
            for recipient in recipients
        ]

    def _text_chatter_send_also(self, message, msg_vals, recipients):
        """Text now the customers who get the email and a text: "Text and
        email", and "Text only" when the message has attachments."""
        partners = self._text_chatter_partners(recipients)
        if not partners:
            return self.env["sms.sms"]
        if not message.sudo().attachment_ids:
            partners = partners.filtered(lambda p: p.text_delivery == "both")
        if not partners:
            return self.env["sms.sms"]
        body = self._text_chatter_body(message, msg_vals)
        texts = (
            self.env["sms.sms"]
            .sudo()
            .create(
                [
                    {
                        "partner_id": partner.id,
                        "number": partner.text_number,
                        "body": body,
                        "mail_message_id": message.id,
                        "kind": "chatter",
                        "state": "outgoing",
                    }
                    for partner in partners
                ]
            )
        )
        texts.send(raise_exception=False)
        return texts

    def _text_chatter_partners(self, recipients):
        """The customers of ``recipients`` notified by email who prefer texts
        and can be texted."""
        ids = [r["id"] for r in recipients if r["notif"] == "email" and r["share"]]
        if not ids:
            return self.env["res.partner"]
        return self.env["res.partner"].sudo().browse(ids)._text_chatter_textable()

    def _text_chatter_body(self, message, msg_vals):
        """The message as a plain text, within the company gateway's maximum
        segments, saying when it was shortened and that attachments are not
        texted."""
        message = message.sudo()
        body = html2plaintext(msg_vals.get("body") or message.body or "").strip()
        company = message.record_company_id or self.env.company
        env = self.with_context(lang=company.partner_id.lang or self.env.lang).env
        count = len(message.attachment_ids)
        note = env._(CHATTER_ATTACHMENTS) % {"count": count} if count else ""
        gateways = self.env["sms.gateway"]._default_gateway_by_company()
        gateway = self.env["sms.gateway"].sudo().browse(gateways.get(company.id))
        max_segments = gateway.max_segments or DEFAULT_MAX_SEGMENTS
        if note:
            # First: a long body is shortened at its end.
            body = f"{note}\n{body}" if body else note
        return fit_segments(body, max_segments, env._(CHATTER_SHORTENED))
