from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import LazyTranslate

_lt = LazyTranslate(__name__)

#: (channel, field that chooses it), in the order rows are created.
CHANNEL_FIELDS = (
    ("text", "channel_text"),
    ("voice", "channel_voice"),
    ("email", "channel_email"),
)
DUPLICATE_EMAIL = _lt(
    "Not sent: the same email address already gets this message in this send."
)


class SmsChannelMixin(models.AbstractModel):
    """One choice of channels per send (seed 004: text, voice, email).

    Reminder rules, custom, scheduled and mass messages tick the channels; a
    send then makes one ``sms.sms`` row per chosen channel and per recipient:
    calls to the same numbers as the texts (same consent and quiet hours),
    emails to the contacts' addresses."""

    _name = "sms.channel.mixin"
    _description = "Text Messaging Channels"

    channel_text = fields.Boolean("Text", default=True)
    channel_voice = fields.Boolean(
        "Voice Call",
        help="A call that speaks the message in the contact's language, left as "
        "a voicemail when an answering machine picks up.",
    )
    channel_email = fields.Boolean("Email", help="The message by email as well.")
    channel_email_fallback = fields.Boolean(
        "Email When Texting Fails",
        help="Contacts without a valid mobile number, or whose text fails for "
        "good (invalid or unreachable number), get the message by email.",
    )

    @api.constrains("channel_text", "channel_voice", "channel_email")
    def _check_channels(self):
        for record in self:
            if not (
                record.channel_text or record.channel_voice or record.channel_email
            ):
                raise ValidationError(
                    self.env._("Choose at least one channel: text, call or email.")
                )

    def _tm_channels(self):
        """The channels chosen (text when none is, e.g. no record)."""
        record = self[:1]
        chosen = [channel for channel, name in CHANNEL_FIELDS if record[name]]
        return chosen or ["text"]

    def _tm_channel_rows(self, vals_list):
        """[[vals per chosen channel] per vals of ``vals_list``] (text rows)."""
        record = self[:1]
        channels = self._tm_channels()
        partners = self.env["res.partner"].browse(
            {vals["partner_id"] for vals in vals_list if vals.get("partner_id")}
        )
        emails = {partner.id: partner.email for partner in partners}
        seen = set()
        result = []
        for vals in vals_list:
            rows = []
            for channel in channels:
                if channel == "email":
                    row = self._tm_email_row(vals, emails, seen)
                    if row:
                        rows.append(row)
                    continue
                row = {**vals, "channel": channel}
                if (
                    channel == "text"
                    and record.channel_email_fallback
                    and "email" not in channels
                ):
                    row["email_fallback"] = True
                rows.append(row)
            result.append(rows)
        return result

    def _tm_email_row(self, vals, emails, seen):
        """The email copy of a text row, or None for a typed number (no one
        to write to). Its own reasons to skip: no address, the same twice;
        the reminders permission still applies."""
        partner_id = vals.get("partner_id")
        if not partner_id:
            return None
        email = (emails.get(partner_id) or "").strip()
        row = {
            **vals,
            "channel": "email",
            "email_to": email or False,
            "state": "outgoing",
            "failure_type": False,
            "failure_explanation": False,
        }
        sms = self.env["sms.sms"]
        if vals.get("failure_type") == "tm_no_consent":
            row.update(state="canceled", failure_type="tm_no_consent")
            row["failure_explanation"] = sms._explain("tm_no_consent")
        elif not email:
            row.update(state="canceled", failure_type="tm_no_email")
            row["failure_explanation"] = sms._explain("tm_no_email")
        elif email.lower() in seen:
            row.update(state="canceled", failure_type="sms_duplicate")
            row["failure_explanation"] = self.env._(DUPLICATE_EMAIL)
        else:
            seen.add(email.lower())
        return row

    def _tm_channel_vals(self, vals_list):
        """``vals_list`` with one row per chosen channel and recipient."""
        return [row for rows in self._tm_channel_rows(vals_list) for row in rows]

    def _tm_channel_split(self, vals_list):
        """(first row of each recipient, the other rows): for callers that
        match the rows they create to their recipients one to one."""
        groups = self._tm_channel_rows(vals_list)
        first = [
            group[0] if group else vals
            for group, vals in zip(groups, vals_list, strict=False)
        ]
        return first, [row for group in groups for row in group[1:]]
