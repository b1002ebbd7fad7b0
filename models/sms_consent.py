# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import csv
import io

from odoo import api, fields, models
from odoo.exceptions import UserError

CONSENT_KINDS = [
    ("reminders", "Reminders and transactional texts"),
    ("marketing", "Marketing texts"),
]
#: Partner field holding each kind's current permission.
CONSENT_FIELDS = {
    "reminders": "text_reminders_allowed",
    "marketing": "text_marketing_allowed",
}
CONSENT_CHANNELS = [
    ("staff", "Staff (contact form or list)"),
    ("in_person", "In person"),
    ("phone_call", "Phone call"),
    ("written_form", "Written form"),
    ("web_form", "Web form"),
    ("portal", "Customer portal"),
    ("keyword", "Text reply"),
    ("provider", "Provider opt-out"),
    ("import", "Import"),
]


class SmsConsent(models.Model):
    """One grant or withdrawal of a contact's permission to be texted.

    The ledger is append-only: GDPR Art. 7(1) asks to prove consent (when,
    how, the wording shown, who recorded it), and a withdrawal is a new entry,
    never an edit. Entries are written by ``res.partner`` whenever a
    permission changes, whatever the path (form, list action, import, portal,
    STOP/START replies, provider opt-outs).
    """

    _name = "sms.consent"
    _description = "Text Consent Ledger Entry"
    _order = "date DESC, id DESC"
    _rec_name = "partner_id"

    partner_id = fields.Many2one(
        "res.partner", "Contact", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(
        "res.company",
        default=lambda self: self.env.company,
        index=True,
        help="The company that recorded the entry.",
    )
    number = fields.Char(
        "Text number", help="The contact's text number when the entry was made."
    )
    kind = fields.Selection(CONSENT_KINDS, required=True)
    action = fields.Selection(
        [("grant", "Granted"), ("withdraw", "Withdrawn")], required=True
    )
    channel = fields.Selection(
        CONSENT_CHANNELS, required=True, help="How the contact said it."
    )
    wording = fields.Text(
        "Wording shown",
        help="The words the contact agreed to (or the reply they sent).",
    )
    date = fields.Datetime(required=True, default=fields.Datetime.now, index=True)
    user_id = fields.Many2one(
        "res.users",
        "Recorded by",
        default=lambda self: self.env.uid,
        help="The user who recorded it (OdooBot for replies and provider reports).",
    )
    inbound_id = fields.Many2one(
        "sms.inbound", "Reply", ondelete="set null", help="The text that said it."
    )

    def _to_csv(self):
        """The entries as CSV bytes (UTF-8 with BOM, for spreadsheets), with
        the labels a person reads."""
        columns = ["date", "kind", "action", "channel", "number", "wording"]
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(
            [self._fields[name].get_description(self.env)["string"] for name in columns]
            + [self.env._("Recorded by")]
        )
        for entry in self:
            selections = {
                name: dict(self._fields[name]._description_selection(self.env))
                for name in ("kind", "action", "channel")
            }
            writer.writerow(
                [
                    fields.Datetime.to_string(entry.date),
                    selections["kind"][entry.kind],
                    selections["action"][entry.action],
                    selections["channel"][entry.channel],
                    entry.number or "",
                    entry.wording or "",
                    entry.user_id.name or "",
                ]
            )
        return buffer.getvalue().encode("utf-8-sig")

    def write(self, vals):  # pylint: disable=method-required-super
        raise UserError(
            self.env._(
                "Consent entries cannot be changed: record a new grant or "
                "withdrawal instead."
            )
        )

    @api.ondelete(at_uninstall=False)
    def _unlink_only_with_the_contact(self):
        if not self.env.su:
            raise UserError(
                self.env._(
                    "Consent entries are kept as proof; they go only with the contact."
                )
            )
