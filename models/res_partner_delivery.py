# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""How a contact receives the messages staff send from the chatter (seed 002,
"default delivery"), and the portal switch of the contact's own texts."""

from odoo import fields, models
from odoo.tools import SQL

from .sms_consent import CONSENT_FIELDS

TEXT_DELIVERY = [
    ("email", "Email only"),
    ("text", "Text only"),
    ("both", "Text and email"),
]


class ResPartner(models.Model):
    _inherit = "res.partner"

    # "Email only" by default: existing contacts keep Odoo's behaviour.
    text_delivery = fields.Selection(
        TEXT_DELIVERY,
        "Messages by",
        default="email",
        required=True,
        help="How the messages staff send from a document's chatter (Send "
        "message, not Log note) reach this contact. A text goes only with the "
        "text reminders permission, which the contact can switch on or off in the "
        "customer portal, to a valid number that did not opt out; otherwise the "
        "email goes instead. Attachments are never texted: a message with "
        "attachments is also emailed.",
    )

    def init(self):
        # Contacts written in SQL (other modules, imports, benchmarks) get the
        # default too, instead of breaking the column's NOT NULL.
        result = super().init()
        self.env.cr.execute(
            SQL(
                "ALTER TABLE res_partner ALTER COLUMN text_delivery SET DEFAULT 'email'"
            )
        )
        return result

    # ------------------------------------------------------------- portal --

    def _text_portal_preferences(self):
        """[{kind, allowed, wording}] of the contact's permissions, as the
        portal shows them (the wording is what the contact agrees to)."""
        self.ensure_one()
        company = self.company_id or self.env.company
        return [
            {
                "kind": kind,
                "allowed": self[fname],
                "wording": company._text_consent_wording(kind),
            }
            for kind, fname in CONSENT_FIELDS.items()
        ]

    def _text_portal_set(self, wanted):
        """Apply the portal switches ``wanted`` ({kind: bool}) to the contact:
        each change is written and logged in the consent ledger (channel
        "portal", the wording shown, now, by the portal user)."""
        self.ensure_one()
        for preference in self._text_portal_preferences():
            kind = preference["kind"]
            if kind not in wanted:
                continue
            self._text_consent_apply(
                {CONSENT_FIELDS[kind]: bool(wanted[kind])},
                "portal",
                wordings={self.id: preference["wording"]},
            )

    # ------------------------------------------------------------ chatter --

    def _text_chatter_textable(self):
        """The contacts of ``self`` a chatter message also goes to by text:
        their preference includes texts, they allow texts, and their number
        is valid and not opted out (no query per contact)."""
        rules = self.env["sms.reminder.rule"]
        return self.filtered(
            lambda partner: partner.text_delivery in ("text", "both")
            and not rules._skip_reason(partner, needs_consent=True)
        )
