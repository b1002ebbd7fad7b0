"""Received texts in Discuss: a contact's text joins their conversation (also
once an unassigned text is assigned); a text from an unknown number notifies
the staff in charge of the company's texts, and emails them when the company
asks for it (seed 002, "Unassigned Messages")."""

from collections import defaultdict

from markupsafe import Markup

from odoo import Command, api, models
from odoo.tools import LazyTranslate

_lt = LazyTranslate(__name__)

UNASSIGNED_SUBJECT = _lt("Text from an unknown number: %(number)s")
UNASSIGNED_BODY = _lt(
    "%(number)s, who is not one of your contacts, texted: \u201c%(body)s\u201d. "
    "Open it to assign it to a contact: it then joins their conversation."
)


class SmsInbound(models.Model):
    _inherit = "sms.inbound"

    @api.model
    def _receive(self, gateway, messages):
        records = super()._receive(gateway, messages)
        records.filtered(
            lambda m: not m.partner_id and not m.keyword
        )._text_notify_unassigned()
        return records

    def _post_on_partners(self):
        result = super()._post_on_partners()
        self._text_post_in_conversations()
        return result

    def _text_post_in_conversations(self):
        """Post each text in its contact's conversation of the gateway's
        company (created at the contact's first text)."""
        by_company = defaultdict(lambda: self.browse())
        for inbound in self.filtered("partner_id"):
            by_company[inbound.company_id] |= inbound
        channels = self.env["discuss.channel"]
        for company, inbounds in by_company.items():
            conversations = channels._text_conversations(inbounds.partner_id, company)
            for inbound in inbounds:
                conversations[inbound.partner_id.id]._text_post_received(inbound)

    def _text_notify_unassigned(self):
        """Notify the staff in charge (Discuss inbox, or email for those who
        chose email in their preferences), and email them all when the
        company asks for it."""
        bot = self.env.ref("base.partner_root")
        for inbound in self:
            company = inbound.company_id.sudo()
            staff = company.text_staff_in_charge_ids.filtered("active")
            if not staff:
                continue
            subject = self.env._(UNASSIGNED_SUBJECT) % {"number": inbound.number}
            body = Markup("<p>%s</p>") % (
                self.env._(UNASSIGNED_BODY)
                % {"number": inbound.number, "body": inbound.body or ""}
            )
            inbound.sudo().message_notify(
                partner_ids=staff.partner_id.ids,
                author_id=bot.id,
                subject=subject,
                body=body,
                subtype_xmlid="mail.mt_note",
            )
            if company.text_unassigned_email:
                inbound._text_email_unassigned(
                    staff.filtered(lambda u: u.notification_type != "email"),
                    subject,
                    body,
                )

    def _text_email_unassigned(self, users, subject, body):
        """An email to ``users`` (those not already emailed by Odoo's
        notification), sent by Odoo's mail queue."""
        self.ensure_one()
        recipients = users.partner_id.filtered("email")
        if not recipients:
            return
        company = self.company_id.sudo()
        self.env["mail.mail"].sudo().create(
            {
                "subject": subject,
                "body_html": body,
                "email_from": company.email_formatted or False,
                "recipient_ids": [Command.set(recipients.ids)],
                "model": self._name,
                "res_id": self.id,
                "auto_delete": True,
            }
        )
