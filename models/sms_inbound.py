import logging
import mimetypes
import time

from markupsafe import Markup

from odoo import Command, api, fields, models
from odoo.exceptions import UserError

from ..gateways.media import MediaError
from ..tools import compat
from ..tools.keywords import HELP, START, STOP, parse_keyword
from ..tools.opt_out import parse_opt_out

_logger = logging.getLogger(__name__)
MEDIA_TIME_BUDGET = 10  # seconds of received-picture downloads per webhook

# Keyword -> sms.template answering it (rendered on the gateway's company).
KEYWORD_TEMPLATES = {
    STOP: "text_messaging.sms_template_data_keyword_stop",
    START: "text_messaging.sms_template_data_keyword_start",
    HELP: "text_messaging.sms_template_data_keyword_help",
}


class SmsInbound(models.Model):
    _name = "sms.inbound"
    _inherit = ["mail.thread"]
    _description = "Inbound Text Message"
    _order = "received_at DESC, id DESC"
    _rec_name = "number"

    gateway_id = fields.Many2one(
        "sms.gateway", required=True, ondelete="cascade", index=True, readonly=True
    )
    company_id = fields.Many2one(
        related="gateway_id.company_id", store=True, index=True
    )
    provider_message_id = fields.Char(readonly=True, index="btree_not_null")
    number = fields.Char("From", required=True, readonly=True, index=True)
    to_number = fields.Char("To", readonly=True)
    body = fields.Text(readonly=True)
    received_at = fields.Datetime(
        required=True, readonly=True, default=fields.Datetime.now
    )
    # Read-only to users: assigned through action_assign_partner, tracked.
    partner_id = fields.Many2one(
        "res.partner",
        "Contact",
        index="btree_not_null",
        readonly=True,
        tracking=True,
    )
    state = fields.Selection(
        [("unassigned", "Unassigned"), ("assigned", "Assigned")],
        compute="_compute_state",
        store=True,
        index=True,
    )
    keyword = fields.Selection(
        [(STOP, "STOP (opt-out)"), (START, "START (opt-in)"), (HELP, "HELP")],
        readonly=True,
    )
    reply_ids = fields.One2many("sms.sms", "inbound_id", "Replies")
    # Picture messages: the files received, and why some were not kept.
    attachment_ids = fields.Many2many(
        "ir.attachment",
        "sms_inbound_ir_attachment_rel",
        "inbound_id",
        "attachment_id",
        string="Pictures",
        readonly=True,
    )
    media_note = fields.Text("Pictures Not Kept", readonly=True)

    compat.sql_constraints(
        locals(),
        [
            (
                "provider_message_unique",
                "unique(gateway_id, provider_message_id)",
                "This inbound message was already received.",
            ),
        ],
    )

    @api.depends("partner_id")
    def _compute_state(self):
        for inbound in self:
            inbound.state = "assigned" if inbound.partner_id else "unassigned"

    def write(self, vals):
        newly_assigned = (
            self.filtered(lambda m: not m.partner_id) if vals.get("partner_id") else ()
        )
        result = super().write(vals)
        if newly_assigned:
            newly_assigned._post_on_partners()
        return result

    # ------------------------------------------------------------ actions --

    def action_open_assign(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Assign to a contact"),
            "res_model": "sms.inbound.assign",
            "view_mode": "form",
            "target": "new",
            "context": {"default_inbound_id": self.id},
        }

    def action_assign_partner(self, partner):
        """Assign the received texts of ``self`` to ``partner``: users may read
        received texts, never rewrite them; the change is tracked."""
        self.check_access("read")
        partner.check_access("read")
        for inbound in self:
            if partner.company_id and partner.company_id != inbound.company_id:
                raise UserError(
                    self.env._(
                        "%(contact)s belongs to another company than the text.",
                        contact=partner.display_name,
                    )
                )
        self.sudo().write({"partner_id": partner.id})

    def action_open_reply(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Reply to %(number)s", number=self.number),
            "res_model": "sms.inbound.reply",
            "view_mode": "form",
            "target": "new",
            "context": {"default_inbound_id": self.id},
        }

    # ----------------------------------------------------------- business --

    @api.model
    def _receive(self, gateway, messages):
        """Store inbound messages of ``gateway`` (gateways.InboundMessage),
        match them to contacts, act on keywords. Idempotent: a message the
        provider sends twice is stored once. Returns the new records."""
        provider_ids = [m.provider_id for m in messages if m.provider_id]
        known = set(
            self.search(
                [
                    ("gateway_id", "=", gateway.id),
                    ("provider_message_id", "in", provider_ids),
                ]
            ).mapped("provider_message_id")
        )
        fresh, seen = [], set()
        for message in messages:
            if message.provider_id and message.provider_id in known | seen:
                continue
            seen.add(message.provider_id)
            fresh.append(message)
        partners = self._partners_by_number(
            [message.number for message in fresh], gateway.company_id
        )
        # No "created" note or follower per received text: its contact's
        # chatter shows it, and the chatter tracks its assignment.
        records = self.with_context(
            mail_create_nolog=True, mail_create_nosubscribe=True
        ).create(
            [
                {
                    "gateway_id": gateway.id,
                    "provider_message_id": message.provider_id or False,
                    "number": message.number,
                    "to_number": message.to,
                    "body": message.body,
                    "partner_id": partners.get(message.number, False),
                    "keyword": self._keyword_of(message.body),
                }
                for message in fresh
            ]
        )
        records._store_received_media(gateway, fresh)
        records.filtered("partner_id")._post_on_partners()
        records.filtered("keyword")._apply_keywords()
        self.env["sms.reminder.question"]._answer(
            records.filtered(lambda m: not m.keyword)
        )
        return records

    def _store_received_media(self, gateway, messages):
        """Download the files of received picture messages (``messages``, in
        the order of ``self``) and keep them as attachments of the text. Only
        for providers that sign their webhooks: the file addresses are then
        the provider's. A file that cannot be kept is explained in
        media_note; the text itself is always kept."""
        pairs = [
            (inbound, message)
            for inbound, message in zip(self, messages, strict=True)
            if message.media
        ]
        if not pairs:
            return
        with gateway._adapter() as adapter:
            for inbound, message in pairs:
                if not adapter.signs_webhooks:
                    inbound.media_note = self.env._(
                        "%(count)s file(s) not downloaded: %(provider)s does not "
                        "sign its webhooks.",
                        count=len(message.media),
                        provider=adapter.label,
                    )
                    continue
                inbound._download_media(adapter, message.media)

    def _download_media(self, adapter, media):
        self.ensure_one()
        values, notes = [], []
        # The provider waits for the webhook's answer (Twilio 15 s): stop
        # starting downloads after MEDIA_TIME_BUDGET seconds.
        deadline = time.monotonic() + MEDIA_TIME_BUDGET
        for index, item in enumerate(media, start=1):
            if time.monotonic() > deadline:
                notes.append(
                    self.env._(
                        "%(index)s: not downloaded, the time to answer the "
                        "provider was spent.",
                        index=index,
                    )
                )
                continue
            try:
                content, content_type = adapter.fetch_media(item)
            except MediaError as error:
                notes.append(f"{index}: {error}")
                continue
            extension = mimetypes.guess_extension(content_type) or ""
            values.append(
                {
                    "name": f"picture-{self.id}-{index}{extension}",
                    "raw": content,
                    "mimetype": content_type,
                    "res_model": self._name,
                    "res_id": self.id,
                }
            )
        attachments = self.env["ir.attachment"].sudo().create(values)
        self.write(
            {
                "attachment_ids": [Command.set(attachments.ids)],
                "media_note": "\n".join(notes) or False,
            }
        )

    @api.model
    def _keyword_of(self, body):
        """STOP, START or HELP when ``body`` is exactly a keyword; else STOP or
        START when it is a short natural opt-out or opt-in ("please stop
        texting me", FCC 24-18); else None."""
        return parse_keyword(body) or parse_opt_out(body)

    @api.model
    def _partners_by_number(self, numbers, company):
        """{number: partner id} for the contacts whose phone matches, newest
        first; one query for all numbers."""
        numbers = [number for number in set(numbers) if number]
        if not numbers:
            return {}
        partners = (
            self.env["res.partner"]
            .with_context(active_test=True)
            .search(
                [
                    "|",
                    ("text_number", "in", numbers),
                    ("phone_sanitized", "in", numbers),
                    ("company_id", "in", [False, company.id]),
                ],
                order="id desc",
            )
        )
        found = {}
        for field in ("text_number", "phone_sanitized"):  # text number first
            for partner in partners:
                if partner[field] in numbers:
                    found.setdefault(partner[field], partner.id)
        return found

    def _post_on_partners(self):
        """Log each message in its contact's chatter, as an SMS from them."""
        for inbound in self:
            message = inbound.partner_id.message_post(
                body=Markup("%s") % (inbound.body or ""),
                author_id=inbound.partner_id.id,
                message_type="sms",
                subtype_xmlid="mail.mt_note",
            )
            if inbound.attachment_ids:
                # Received pictures (webhooks run as the public user, whom
                # message_post does not let attach existing files).
                message.sudo().attachment_ids = [
                    Command.set(inbound.attachment_ids.ids)
                ]

    def _apply_keywords(self):
        """STOP blacklists the number and withdraws every permission of its
        contacts; START removes the block and grants the reminders permission;
        HELP gets help. Each change goes in the consent ledger with the reply's
        words. Each reply gets a confirmation unless the gateway's provider
        answers keywords itself and the reply was exactly a keyword (providers
        do not read "please stop texting me")."""
        blacklist = self.env["phone.blacklist"].sudo()
        stops = self.filtered(lambda m: m.keyword == STOP)
        starts = self.filtered(lambda m: m.keyword == START)
        if stops:
            blacklist._add(
                stops.mapped("number"),
                message=self.env._("Replied STOP by text message."),
            )
            stops._update_consent(
                {"text_reminders_allowed": False, "text_marketing_allowed": False}
            )
        if starts:
            blacklist._remove(
                starts.mapped("number"),
                message=self.env._("Replied START by text message."),
            )
            starts._update_consent({"text_reminders_allowed": True})
        answered = self.filtered(
            lambda m: m.keyword == HELP
            or not m.gateway_id.provider_answers_keywords
            or not parse_keyword(m.body)
        )
        answered._send_keyword_answers()

    def _update_consent(self, values):
        """Write ``values`` on the contacts of the numbers of ``self`` (the
        latest reply of a number wins) and log each change in the ledger."""
        by_number = {inbound.number: inbound for inbound in self.sorted("id")}
        companies = self.gateway_id.company_id.ids
        partners = (
            self.env["res.partner"]
            .sudo()
            .with_context(active_test=False)
            .search(
                [
                    ("text_number", "in", list(by_number)),
                    ("company_id", "in", [False, *companies]),
                ]
            )
        )
        if not partners:
            return
        reply = {p.id: by_number[p.text_number] for p in partners}
        partners._text_consent_by_reply(
            values,
            wordings={pid: inbound.body for pid, inbound in reply.items()},
            inbounds={pid: inbound.id for pid, inbound in reply.items()},
        )

    def _send_keyword_answers(self):
        replies = []
        for inbound in self:
            template = self.env.ref(KEYWORD_TEMPLATES[inbound.keyword], False)
            if not template:
                continue
            company = inbound.gateway_id.company_id
            body = template._render_field("body", company.ids, compute_lang=True)[
                company.id
            ]
            replies.append(
                {
                    "number": inbound.number,
                    "body": body,
                    "partner_id": inbound.partner_id.id,
                    "gateway_id": inbound.gateway_id.id,
                    "kind": "keyword",
                    "inbound_id": inbound.id,
                }
            )
        self.env["sms.sms"].sudo().create(replies)
