import phonenumbers

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL, split_every

from ..tools import compat
from .sms_consent import CONSENT_FIELDS

NUMBER_PRIORITY_PARAM = "text_messaging.number_priority"
# Partner fields by priority setting; on 19.0, which has no ``mobile``, only
# ``phone`` is kept (tools/compat.py).
NUMBER_PRIORITY_FIELDS = {
    "mobile": ("mobile", "phone"),
    "phone": ("phone", "mobile"),
}
# Best first: a valid number wins over a possible one, which wins over junk.
VALIDITY_RANK = {"valid": 0, "possible": 1, "invalid": 2}
# Partners recomputed per batch when the number priority setting changes.
RECOMPUTE_BATCH_SIZE = 1000


class ResPartner(models.Model):
    _inherit = "res.partner"

    text_carrier_id = fields.Many2one(
        "sms.carrier",
        "Mobile Carrier",
        help="Only for the SMS via email gateway: the carrier whose "
        "email-to-text address receives this contact's texts.",
    )
    text_number = fields.Char(
        "Text phone number",
        compute="_compute_text_number",
        store=True,
        index="btree_not_null",
        help="The number text messages go to: the mobile or the phone (see the "
        "setting Text Messaging > Text phone number), in international E.164 form. "
        "Local numbers are read in the contact's country, else the company's.",
    )
    text_number_validity = fields.Selection(
        [
            ("valid", "Valid"),
            ("possible", "Possible"),
            ("invalid", "Invalid"),
            ("missing", "Missing"),
        ],
        "Text number validity",
        compute="_compute_text_number",
        store=True,
        help="Valid: a number in service in its numbering plan. Possible: it has the "
        "right length but no such number is assigned. Invalid: it cannot be a phone "
        "number. Missing: no mobile and no phone. Automated reminders only go to "
        "valid numbers.",
    )
    text_opted_out = fields.Boolean(
        "Opted out of texts",
        compute="_compute_text_opted_out",
        search="_search_text_opted_out",
        help="The text phone number is blocked (it replied STOP, or it was "
        "blacklisted): no text message is sent to it, by any path.",
    )
    text_reminders_allowed = fields.Boolean(
        "Text reminders",
        tracking=True,
        copy=False,
        help="The contact agreed to receive automated text reminders. Manual and "
        "custom messages do not need this permission.",
    )
    text_reminders_date = fields.Datetime(
        "Text reminders allowed on",
        copy=False,
        help="When the permission was given; set when it is granted.",
    )
    text_reminders_source = fields.Selection(
        [
            ("in_person", "In person"),
            ("phone_call", "Phone call"),
            ("written_form", "Written form"),
            ("web_form", "Web form"),
            ("text_reply", "Text reply (START)"),
            ("import", "Import"),
        ],
        "Text reminders given by",
        copy=False,
        help="How the contact gave the permission.",
    )
    text_reminders_user_id = fields.Many2one(
        "res.users",
        "Text reminders recorded by",
        copy=False,
        help="Who recorded the permission.",
    )
    text_marketing_allowed = fields.Boolean(
        "Marketing texts",
        tracking=True,
        copy=False,
        help="The contact agreed to receive promotions by text. Marketing mass "
        "messages go only to contacts who did.",
    )
    text_consent_ids = fields.One2many(
        "sms.consent",
        "partner_id",
        "Consent ledger",
        groups="text_messaging.group_text_messaging_user",
    )
    text_message_count = fields.Integer(
        "Text messages",
        compute="_compute_text_message_count",
        groups="text_messaging.group_text_messaging_user",
    )
    text_birthdate = fields.Date(
        "Birth date",
        copy=False,
        help="For birthday greetings by text, sent only with the text reminders "
        "permission.",
    )
    text_greeted_year = fields.Integer(
        "Last birthday greeting",
        copy=False,
        readonly=True,
        help="The year of the last birthday greeting: a contact is greeted once a "
        "year.",
    )

    @api.depends(*compat.PARTNER_NUMBER_FIELDS, "country_id", "company_id")
    def _compute_text_number(self):
        fnames = self._text_number_fields()
        default_country = self.env.company.country_id
        for partner in self:
            country = (
                partner.country_id or partner.company_id.country_id or default_country
            )
            numbers = [partner[fname] for fname in fnames]
            number, validity = partner._text_number_pick(numbers, country)
            partner.text_number = number
            partner.text_number_validity = validity

    @api.depends("text_number")
    def _compute_text_opted_out(self):
        # The stored numbers are E.164, as the blacklist keeps them: one SQL
        # lookup, not a search parsing every number again (a tenth of a
        # reminder's cost, scripts/bench_reminders.py).
        blocked = self.env["sms.recipient.mixin"]._tm_blacklisted(
            self.mapped("text_number")
        )
        for partner in self:
            partner.text_opted_out = bool(partner.text_number) and (
                partner.text_number in blocked
            )

    def _search_text_opted_out(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(
                self.env._("Opted out can only be searched as set or not set.")
            )
        blacklist = self.env["phone.blacklist"].sudo()._search([("active", "=", True)])
        blocked_numbers = blacklist.subselect(SQL.identifier(blacklist.table, "number"))
        if (operator == "=") == value:
            return [("text_number", "in", blocked_numbers)]
        return [
            "|",
            ("text_number", "=", False),
            ("text_number", "not in", blocked_numbers),
        ]

    def _compute_text_message_count(self):
        partners = self._origin
        counts = {}
        if partners.ids:
            counts = dict(
                self.env["sms.sms"]._read_group(
                    [("partner_id", "in", partners.ids)], ["partner_id"], ["__count"]
                )
            )
        for partner in self:
            partner.text_message_count = counts.get(partner._origin, 0)

    @api.model_create_multi
    def create(self, vals_list):
        vals_list = [self._text_reminders_vals(vals) for vals in vals_list]
        partners = super().create(vals_list)
        for kind, fname in CONSENT_FIELDS.items():
            by_channel = {}
            for partner, vals in zip(partners, vals_list, strict=True):
                if partner[fname]:
                    channel = self._text_consent_channel(vals)
                    by_channel.setdefault(channel, []).append(partner.id)
            for channel, ids in by_channel.items():
                self.browse(ids)._text_consent_log(kind, "grant", channel)
        return partners

    def write(self, vals):
        log = not self.env.context.get("text_consent_logged")
        changes = [
            (kind, self.filtered(lambda p, f=fname: p[f] != bool(vals[f])), vals[fname])
            for kind, fname in CONSENT_FIELDS.items()
            if fname in vals and log
        ]
        if vals.get("text_reminders_allowed"):
            # Granting: the records that already have the permission keep its date.
            granted = self.filtered("text_reminders_allowed")
            if granted:
                super(ResPartner, granted).write(vals)
            granting = self - granted
            if granting:
                super(ResPartner, granting).write(self._text_reminders_vals(vals))
        else:
            super().write(self._text_reminders_vals(vals))
        channel = self._text_consent_channel(vals)
        for kind, changed, value in changes:
            if changed:
                action = "grant" if value else "withdraw"
                changed._text_consent_log(kind, action, channel)
        return True

    def action_view_text_messages(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "text_messaging.sms_sms_action_history"
        )
        action["domain"] = [("partner_id", "=", self.id)]
        action["context"] = {"create": False}
        action["display_name"] = self.env._(
            "Text messages of %(partner)s", partner=self.display_name
        )
        return action

    def action_view_text_consents(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "text_messaging.sms_consent_action"
        )
        action["domain"] = [("partner_id", "=", self.id)]
        action["context"] = {"create": False}
        action["display_name"] = self.env._(
            "Consent of %(partner)s", partner=self.display_name
        )
        return action

    def action_export_text_consents(self):
        """Download the contact's consent ledger as CSV: the proof GDPR Art. 7
        asks for, for a data subject's request or an audit."""
        self.ensure_one()
        self._text_messaging_check_user()
        entries = self.env["sms.consent"].search(
            [("partner_id", "=", self.id)], order="date, id"
        )
        attachment = self.env["ir.attachment"].create(
            {
                "name": self.env._(
                    "Consent of %(partner)s.csv", partner=self.display_name
                ),
                "raw": entries._to_csv(),
                "mimetype": "text/csv",
                "res_model": self._name,
                "res_id": self.id,
            }
        )
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/{attachment.id}?download=true",
            "target": "download",
        }

    def action_text_reminders_allow(self):
        """Grant the text reminders permission to all of ``self`` (list action)."""
        self._text_messaging_check_user()
        todo = self.filtered(lambda partner: not partner.text_reminders_allowed)
        todo.write({"text_reminders_allowed": True})
        return self._text_reminders_notification(
            self.env._(
                "Text reminders allowed for %(count)s contact(s).", count=len(todo)
            )
        )

    def action_text_reminders_withdraw(self):
        """Withdraw the text reminders permission of all of ``self`` (list action)."""
        self._text_messaging_check_user()
        todo = self.filtered("text_reminders_allowed")
        todo.write({"text_reminders_allowed": False})
        return self._text_reminders_notification(
            self.env._(
                "Text reminders withdrawn for %(count)s contact(s).", count=len(todo)
            )
        )

    @api.model
    def _text_number_fields(self):
        """Partner fields holding the text number, in priority order."""
        priority = (
            self.env["ir.config_parameter"]
            .sudo()
            .get_param(NUMBER_PRIORITY_PARAM, "mobile")
        )
        fnames = NUMBER_PRIORITY_FIELDS.get(priority, NUMBER_PRIORITY_FIELDS["mobile"])
        return tuple(fname for fname in fnames if fname in compat.PARTNER_NUMBER_FIELDS)

    @api.model
    def _text_number_check(self, number, country):
        """(number to store, validity) of a raw ``number`` read in ``country``.

        Valid numbers are formatted by phone_validation (with Odoo's metadata
        patches); possible ones are still given in E.164, invalid ones as typed.
        """
        number = (number or "").strip()
        if not number:
            return False, "missing"
        formatted = self.browse()._phone_format(
            number=number, country=country, force_format="E164"
        )
        if formatted:
            return formatted, "valid"
        try:
            parsed = phonenumbers.parse(number, region=country.code or None)
        except phonenumbers.NumberParseException:
            return number, "invalid"
        if phonenumbers.is_possible_number(parsed):
            formatted = phonenumbers.format_number(
                parsed, phonenumbers.PhoneNumberFormat.E164
            )
            return formatted, "possible"
        return number, "invalid"

    @api.model
    def _text_number_pick(self, numbers, country):
        """The best of ``numbers`` (in priority order): valid over possible over
        invalid; on a tie, the first one."""
        best = (False, "missing")
        for number in numbers:
            candidate = self._text_number_check(number, country)
            if candidate[1] == "missing":
                continue
            if best[1] == "missing" or (
                VALIDITY_RANK[candidate[1]] < VALIDITY_RANK[best[1]]
            ):
                best = candidate
            if best[1] == "valid":
                break
        return best

    @api.model
    def _text_number_recompute(self):
        """Recompute the text number of every partner the number priority
        setting can change: those with both a mobile and a phone (none on 19.0,
        which has no mobile)."""
        if len(compat.PARTNER_NUMBER_FIELDS) < 2:
            return
        partners = (
            self.sudo()
            .with_context(active_test=False)
            .search(
                [(fname, "!=", False) for fname in compat.PARTNER_NUMBER_FIELDS],
                order="id",
            )
        )
        fnames = ["text_number", "text_number_validity"]
        for ids in split_every(RECOMPUTE_BATCH_SIZE, partners.ids):
            batch = partners.browse(ids)
            for fname in fnames:
                self.env.add_to_compute(self._fields[fname], batch)
            batch._recompute_recordset(fnames)
            batch.flush_recordset(fnames)
            batch.invalidate_recordset()

    @api.model
    def _text_reminders_vals(self, vals):
        """``vals`` completed with who granted the permission and when, or with
        the permission details cleared when it is withdrawn."""
        if "text_reminders_allowed" not in vals:
            return vals
        vals = dict(vals)
        if vals["text_reminders_allowed"]:
            if not vals.get("text_reminders_date"):
                vals["text_reminders_date"] = fields.Datetime.now()
            if not vals.get("text_reminders_user_id"):
                vals["text_reminders_user_id"] = self.env.uid
            if not vals.get("text_reminders_source") and self.env.context.get(
                "import_file"
            ):
                vals["text_reminders_source"] = "import"
        else:
            vals.update(
                text_reminders_date=False,
                text_reminders_source=False,
                text_reminders_user_id=False,
            )
        return vals

    # ------------------------------------------------------------ consent --

    @api.model
    def _text_consent_channel(self, vals):
        """How a permission change in ``vals`` was given: the caller says so in
        the context (``text_consent_channel``), else the permission's source,
        else an import, else staff."""
        channel = self.env.context.get("text_consent_channel")
        if channel:
            return channel
        source = vals.get("text_reminders_source")
        if source == "text_reply":
            return "keyword"
        if source:
            return source
        return "import" if self.env.context.get("import_file") else "staff"

    def _text_consent_log(self, kind, action, channel, wordings=None, inbounds=None):
        """Append one ledger entry per partner of ``self``.

        ``wordings`` and ``inbounds`` ({partner id: text / sms.inbound id}) give
        each entry its own wording and reply; by default the wording is the
        context's ``text_consent_wording``, else the company's text for the
        kind (what the contact is shown when asked)."""
        default_wording = self.env.context.get("text_consent_wording")
        entries = []
        for partner in self:
            company = partner.company_id or self.env.company
            wording = (wordings or {}).get(partner.id) or default_wording
            if not wording and action == "grant":
                wording = company._text_consent_wording(kind)
            entries.append(
                {
                    "partner_id": partner.id,
                    "company_id": company.id,
                    "number": partner.text_number or False,
                    "kind": kind,
                    "action": action,
                    "channel": channel,
                    "wording": wording or False,
                    "user_id": self.env.uid,
                    "inbound_id": (inbounds or {}).get(partner.id, False),
                }
            )
        return self.env["sms.consent"].sudo().create(entries)

    def _text_consent_by_reply(self, fields_values, wordings, inbounds):
        """Apply a STOP or START reply to ``self``: write ``fields_values`` on
        the partners whose value changes and log each change with the reply's
        words (one write per field, one ledger insert per kind)."""
        self._text_consent_apply(
            fields_values, "keyword", wordings=wordings, inbounds=inbounds
        )

    def _text_consent_by_channel(self, fields_values, channel, wording):
        """Apply a change that did not come from a person of the business
        (e.g. a provider's opt-out report), logged with ``wording``."""
        self._text_consent_apply(
            fields_values, channel, wordings=dict.fromkeys(self.ids, wording)
        )

    def _text_consent_apply(self, fields_values, channel, wordings=None, inbounds=None):
        for kind, fname in CONSENT_FIELDS.items():
            if fname not in fields_values:
                continue
            value = fields_values[fname]
            changed = self.filtered(lambda p, f=fname, v=value: p[f] != v)
            if not changed:
                continue
            vals = {fname: value}
            if kind == "reminders" and value and channel == "keyword":
                vals["text_reminders_source"] = "text_reply"
            # The ledger entries carry their own words: logged here.
            changed.with_context(text_consent_logged=True).write(vals)
            changed._text_consent_log(
                kind,
                "grant" if value else "withdraw",
                channel,
                wordings=wordings,
                inbounds=inbounds,
            )

    def _text_messaging_check_user(self):
        if self.env.su or self.env.user.has_group(
            "text_messaging.group_text_messaging_user"
        ):
            return
        raise AccessError(
            self.env._("Only text messaging users can change text reminders.")
        )

    def _text_reminders_notification(self, message):
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": message,
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }
