"""A contact's texts as one Discuss conversation (decision 13 of DESIGN.md).

One ``discuss.channel`` of type "channel" per contact and company, restricted
to the Text Messaging users (``group_public_id``), so Discuss's own interface
shows it, counts unread texts per member and notifies its members, on 18.0 and
19.0 alike, without custom JavaScript. Received texts are posted in it by the
contact; texts sent by any path are logged in it; what a member of the staff
posts in it goes out as a text through the company's gateway."""

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL, LazyTranslate, html2plaintext

_lt = LazyTranslate(__name__)

USER_GROUP = "text_messaging.group_text_messaging_user"
NOT_TEXTED = _lt("Not texted to %(contact)s: %(reason)s")
NOTHING_TO_TEXT = _lt(
    "Nothing was texted: a text carries only words, and this message has none. "
    "Attachments stay in this conversation."
)
TEXT_FAILED = _lt("The text to %(contact)s did not go through: %(reason)s")


class DiscussChannel(models.Model):
    _inherit = "discuss.channel"

    text_partner_id = fields.Many2one(
        "res.partner",
        "Texting Contact",
        index="btree_not_null",
        ondelete="cascade",
        readonly=True,
        help="The contact whose texts, both ways, this conversation holds.",
    )
    text_company_id = fields.Many2one(
        "res.company",
        "Texting Company",
        index="btree_not_null",
        ondelete="cascade",
        readonly=True,
        help="The company whose gateway the texts of this conversation use.",
    )
    text_number = fields.Char(related="text_partner_id.text_number")
    text_unread_counter = fields.Integer(
        "Unread", compute="_compute_text_unread_counter"
    )

    def init(self):
        """One conversation per contact and company (a unique partial index, as
        the History indexes are made in init)."""
        result = super().init()
        self.env.cr.execute(
            SQL(
                "CREATE UNIQUE INDEX IF NOT EXISTS "
                "discuss_channel_text_partner_company_unique ON discuss_channel "
                "(text_partner_id, text_company_id) WHERE text_partner_id IS NOT NULL"
            )
        )
        return result

    def _compute_text_unread_counter(self):
        """The current user's unread messages, from their Discuss membership."""
        members = (
            self.env["discuss.channel.member"]
            .sudo()
            .search(
                [
                    ("channel_id", "in", self.ids),
                    ("partner_id", "=", self.env.user.partner_id.id),
                ]
            )
        )
        counters = {
            member.channel_id.id: member.message_unread_counter for member in members
        }
        for channel in self:
            channel.text_unread_counter = counters.get(channel.id, 0)

    # ------------------------------------------------------------ actions --

    def action_open_text_conversation(self):
        """Open the conversation in Discuss; the opener follows it."""
        self.ensure_one()
        self._text_check_user()
        self._text_follow(self.env.user)
        return self._text_discuss_action()

    def _text_discuss_action(self):
        # The same client action and context on 18.0 and 19.0
        # (im_livechat/models/rating_rating.py opens a channel this way).
        return {
            "type": "ir.actions.client",
            "tag": "mail.action_discuss",
            "context": {"active_id": self.id},
            "name": self.name,
        }

    @api.model
    def _text_action_open_for(self, records):
        """Open the conversation of the contact of ``records``: contacts
        themselves, or documents (their client, as reminders pick it)."""
        self._text_check_user()
        if not records:
            raise UserError(self.env._("Select a record first."))
        records = records[:1]
        if records._name == "res.partner":
            partner = records
        else:
            clients = records._text_reminder_recipients("client")
            partner = clients.get(records.id) or self.env["res.partner"]
            partner = partner[:1]
        if not partner:
            raise UserError(
                self.env._("This document has no contact to text: add a customer.")
            )
        company = self.env.company
        if records._name != "res.partner":
            company = records._text_reminder_company()
        channel = self._text_conversations(partner, company)[partner.id]
        return channel.with_env(self.env).action_open_text_conversation()

    # ----------------------------------------------------------- business --

    @api.model
    def _text_check_user(self):
        if not self.env.user.has_group(USER_GROUP):
            raise AccessError(
                self.env._(
                    "Only Text Messaging users may open or answer text conversations."
                )
            )

    @api.model
    def _text_conversations(self, partners, company, create=True):
        """{partner id: conversation} of ``partners`` in ``company``, created
        when missing (unless ``create`` is False); one search for all."""
        channels = (
            self.sudo()
            .with_context(active_test=False)
            .search(
                [
                    ("text_partner_id", "in", partners.ids),
                    ("text_company_id", "=", company.id),
                ]
            )
        )
        result = {channel.text_partner_id.id: channel for channel in channels}
        missing = partners.filtered(lambda p: p.id not in result)
        if create and missing:
            result.update(self._text_create_conversations(missing, company))
        return result

    @api.model
    def _text_create_conversations(self, partners, company):
        """New conversations of ``partners`` in ``company``, followed by the
        staff in charge of its texts (and by the user who opens one)."""
        group = self.env.ref(USER_GROUP)
        channels = (
            self.sudo()
            .with_context(mail_create_nolog=True)
            .create(
                [
                    {
                        "name": self._text_conversation_name(partner),
                        "channel_type": "channel",
                        "description": partner.text_number or False,
                        "text_partner_id": partner.id,
                        "text_company_id": company.id,
                    }
                    for partner in partners
                ]
            )
        )
        # After create: mail computes the group of a new channel itself.
        channels.group_public_id = group
        # Discuss makes its creator a member: only staff follow conversations.
        staff = company.sudo().text_staff_in_charge_ids
        if self.env.user.has_group(USER_GROUP):
            staff |= self.env.user
        channels.channel_member_ids.filtered(
            lambda m: m.partner_id not in staff.partner_id
        ).unlink()
        for channel in channels:
            channel._text_follow(staff)
        return {channel.text_partner_id.id: channel for channel in channels}

    @api.model
    def _text_conversation_name(self, partner):
        return self.env._(
            "Texts: %(contact)s", contact=partner.display_name or partner.text_number
        )

    def _text_follow(self, users):
        """Make ``users`` (Text Messaging users of the conversation's company)
        members notified of every message, whatever their default."""
        self.ensure_one()
        users = users.filtered(
            lambda u: u.has_group(USER_GROUP) and self.text_company_id in u.company_ids
        )
        if not users:
            return
        channel = self.sudo()
        channel._add_members(users=users, post_joined_message=False)
        channel.channel_member_ids.filtered(
            lambda m: m.partner_id in users.partner_id and not m.custom_notifications
        ).custom_notifications = "all"

    def _text_post_received(self, inbound):
        """Post a received text in the conversation, by the contact."""
        self.ensure_one()
        return (
            self.sudo()
            .with_context(text_messaging_no_send=True)
            .message_post(
                body=Markup("%s") % (inbound.body or ""),
                author_id=inbound.partner_id.id,
                # A comment: Discuss notifies members only of comments.
                message_type="comment",
                subtype_xmlid="mail.mt_comment",
            )
        )

    def _text_post_note(self, text):
        """A note of the system in the conversation (a refusal, a failure):
        unread for its members, never texted."""
        self.ensure_one()
        return (
            self.sudo()
            .with_context(text_messaging_no_send=True)
            .message_post(
                body=Markup("<p>%s</p>") % text,
                author_id=self.env.ref("base.partner_root").id,
                message_type="comment",
                subtype_xmlid="mail.mt_comment",
            )
        )

    # ------------------------------------------------------ staff answers --

    def _message_post_after_hook(self, message, msg_vals):
        result = super()._message_post_after_hook(message, msg_vals)
        if self.text_partner_id and self._text_is_staff_answer(message):
            self._text_send_answer(message)
        return result

    def _text_is_staff_answer(self, message):
        """A message a person writes in the conversation (not a received text,
        a log or a note of ours)."""
        return (
            message.message_type == "comment"
            and not self.env.context.get("text_messaging_no_send")
            and message.author_id != self.text_partner_id
            and not self.env.user._is_public()
        )

    def _text_send_answer(self, message):
        """Text what a member of the staff wrote, as they would from the
        custom message wizard: the same History row, opt-out and number checks,
        segment count and first-text footer, through the company's gateway."""
        self.ensure_one()
        self._text_check_user()
        partner = self.text_partner_id
        body = html2plaintext(message.body or "").strip()
        if not body:
            self._text_post_note(self.env._(NOTHING_TO_TEXT))
            return self.env["sms.sms"]
        recipients = self.env["sms.recipient.mixin"].with_context(
            allowed_company_ids=self.text_company_id.ids
        )
        plan = recipients._tm_plan(partner)
        vals_list = recipients._tm_sms_vals(
            plan,
            {partner.id: body},
            "reply",
            extra={
                "company_id": self.text_company_id.id,
                "res_model": self._name,
                "res_id": self.id,
            },
        )
        sms = recipients.with_context(text_messaging_conversation=True)._tm_create_sms(
            vals_list
        )
        skipped = sms.filtered(lambda s: s.state == "canceled")
        for row in skipped:
            self._text_post_note(
                self.env._(NOT_TEXTED)
                % {
                    "contact": partner.display_name,
                    "reason": row.failure_explanation or "",
                }
            )
        sent = sms - skipped
        if sent:
            partner._message_log_batch(
                bodies={partner.id: Markup("%s") % sent[0].body},
                author_id=self.env.user.partner_id.id,
                message_type="sms",
            )
        return sms

    def _text_post_failures(self, sms):
        """Tell the conversation, in plain words, which of its texts failed."""
        for row in sms:
            channel = self.browse(row.res_id).exists()
            if channel.text_partner_id:
                channel._text_post_note(
                    self.env._(TEXT_FAILED)
                    % {
                        "contact": channel.text_partner_id.display_name,
                        "reason": row.failure_explanation
                        or row.failure_type
                        or self.env._("unknown error"),
                    }
                )
