import re
from collections import Counter, namedtuple

from odoo import api, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL, LazyTranslate
from odoo.tools.rendering_tools import parse_inline_template, render_inline_template

from ..tools.segments import count_segments

_lt = LazyTranslate(__name__)

#: One recipient of a send: ``partner`` (maybe an empty recordset for a typed
#: number), ``number`` (E.164 when valid, else as typed, or False) and ``skip``
#: (the failure_type that keeps it from being sent, or False).
Recipient = namedtuple("Recipient", "partner number skip")

#: Exclusion groups, in the order they are checked.
SKIP_REASONS = (
    "sms_number_missing",
    "sms_number_format",
    "sms_blacklist",
    "tm_no_consent",
    "sms_duplicate",
)
SKIP_LABELS = {
    "sms_number_missing": _lt("missing number"),
    "sms_number_format": _lt("invalid number"),
    "sms_blacklist": _lt("opted out"),
    "tm_no_consent": _lt("no text reminders permission"),
    "sms_duplicate": _lt("same number twice"),
}
DUPLICATE_EXPLANATION = _lt(
    "Not sent: the same number was already a recipient of this send, so it gets "
    "the message only once."
)
TYPED_NUMBER_EXPLANATION = _lt(
    "Not sent: the typed number is not a valid phone number. Type it in "
    "international format (e.g. +1 212 555 0123), then send again."
)
NUMBER_SEPARATORS = re.compile(r"[,;\n]+")


class SmsRecipientMixin(models.AbstractModel):
    """Who a custom, mass, scheduled or greeting send goes to, and who is skipped.

    One place decides the exclusion groups (missing number, invalid number,
    opted out, no permission when required, the same number twice), renders the
    texts and builds the ``sms.sms`` rows: queued ones in state "outgoing",
    excluded ones kept visible in state "canceled" with the reason."""

    _name = "sms.recipient.mixin"
    _description = "Text Messaging Recipients"

    # ------------------------------------------------------------ numbers --

    @api.model
    def _tm_split_numbers(self, text):
        """Typed numbers: separated by commas, semicolons or new lines."""
        numbers = (part.strip() for part in NUMBER_SEPARATORS.split(text or ""))
        return [number for number in numbers if number]

    @api.model
    def _tm_check_number(self, number, country=None):
        """(number, validity) of a typed number, read in the company's country."""
        country = country if country is not None else self.env.company.country_id
        return self.env["res.partner"]._text_number_check(number, country)

    @api.model
    def _tm_blacklisted(self, numbers):
        """The subset of ``numbers`` that opted out (STOP), in one query."""
        numbers = [number for number in set(numbers) if number]
        if not numbers:
            return set()
        # The numbers are valid E.164 numbers, as the blacklist stores them:
        # plain SQL, not a search, which would parse every number of the
        # domain again (0.6 ms each, a third of a mass send's queueing time).
        self.env["phone.blacklist"].flush_model(["number", "active"])
        rows = self.env.execute_query(
            SQL(
                "SELECT number FROM phone_blacklist WHERE active AND number = ANY(%s)",
                numbers,
            )
        )
        return {row[0] for row in rows}

    # --------------------------------------------------------------- plan --

    @api.model
    def _tm_plan(
        self, partners, numbers=(), needs_consent=False, seen=None, blacklisted=None
    ):
        """[Recipient] for ``partners`` then the typed ``numbers``.

        ``seen`` holds numbers already sent to by this send (they are skipped
        as duplicates) and is updated; ``blacklisted`` may be given when the
        caller checked many sends at once."""
        candidates = [
            (partner, partner.text_number, partner.text_number_validity or "missing")
            for partner in partners
        ]
        empty = self.env["res.partner"]
        candidates += [(empty, *self._tm_check_number(number)) for number in numbers]
        if blacklisted is None:
            blacklisted = self._tm_blacklisted(
                number
                for _partner, number, validity in candidates
                if validity == "valid"
            )
        seen = set() if seen is None else seen
        plan = []
        for partner, number, validity in candidates:
            skip = self._tm_skip_reason(
                partner, number, validity, blacklisted, needs_consent, seen
            )
            if not skip:
                seen.add(number)
            plan.append(Recipient(partner, number or False, skip))
        return plan

    @api.model
    def _tm_skip_reason(
        self, partner, number, validity, blacklisted, needs_consent, seen
    ):
        """The failure_type that keeps this recipient from the send, or False.

        Only valid numbers are sent: the dispatcher refuses the others."""
        if not number or validity == "missing":
            return "sms_number_missing"
        if validity != "valid":
            return "sms_number_format"
        if number in blacklisted:
            return "sms_blacklist"
        if needs_consent:
            # True means the reminders permission; a field name another one.
            fname = (
                needs_consent
                if isinstance(needs_consent, str)
                else "text_reminders_allowed"
            )
            if not partner[fname]:
                return "tm_no_consent"
        if number in seen:
            return "sms_duplicate"
        return False

    @api.model
    def _tm_skip_counts(self, plan):
        """{failure_type: count} of the skipped recipients of ``plan``."""
        return Counter(recipient.skip for recipient in plan if recipient.skip)

    @api.model
    def _tm_skip_summary(self, counts):
        """'2 opted out, 1 missing number' for {failure_type: count}."""
        return ", ".join(
            f"{counts[reason]} {self.env._(SKIP_LABELS[reason])}"
            for reason in SKIP_REASONS
            if counts.get(reason)
        )

    @api.model
    def _tm_explain(self, failure_type, typed=False):
        """Why a recipient was skipped; ``typed``: a number typed in the wizard
        (no contact to correct)."""
        if typed and failure_type == "sms_number_format":
            return self.env._(TYPED_NUMBER_EXPLANATION)
        if failure_type == "sms_duplicate":
            return self.env._(DUPLICATE_EXPLANATION)
        return self.env["sms.sms"]._explain(failure_type)

    # ---------------------------------------------------------- rendering --

    @api.model
    def _tm_render(self, template, body, partners):
        """{partner id: text}, plus {False: text} for typed numbers.

        The template's own text is rendered in each contact's language; a
        typed or edited text is rendered as written, with Odoo's restricted
        rendering (only simple placeholders unless the user edits templates).
        Typed numbers have no contact: their placeholders render empty."""
        partners = partners.filtered("id")
        if template and body == template.body:
            texts = template._render_field("body", partners.ids, compute_lang=True)
            source = template.body
        else:
            texts = self.env["mail.render.mixin"]._render_template(
                body or "", "res.partner", partners.ids
            )
            source = body or ""
        texts[False] = self._tm_render_without_record(source)
        return texts

    @api.model
    def _tm_render_without_record(self, text, model="res.partner"):
        """``text`` with its placeholders rendered on no record (an empty
        recordset of ``model``)."""
        if not text or "{{" not in text:
            return text or ""
        renderer = self.env["mail.render.mixin"]
        if (
            renderer._has_unsafe_expression_template_inline_template(text, model)
            and not self.env.is_admin()
            and not self.env.user.has_group("mail.group_mail_template_editor")
        ):
            raise AccessError(
                self.env._(
                    "Only template editors may use advanced placeholders in a text."
                )
            )
        variables = renderer._render_eval_context()
        variables["object"] = self.env[model]
        try:
            return render_inline_template(parse_inline_template(text), variables)
        except (ValueError, KeyError, AttributeError) as error:
            raise UserError(
                self.env._("The text's placeholders could not be filled in.")
            ) from error

    @api.model
    def _tm_segments(self, text):
        return count_segments(text or "")

    # --------------------------------------------------------------- rows --

    @api.model
    def _tm_sms_vals(self, plan, texts, kind, gateway=None, extra=None):
        """sms.sms values of every recipient of ``plan``: queued, or canceled
        with the reason so the History shows who was left out and why."""
        explanations = {}
        vals_list = []
        for recipient in plan:
            vals = {
                "partner_id": recipient.partner.id or False,
                "number": recipient.number or False,
                "body": texts.get(recipient.partner.id or False, ""),
                "kind": kind,
                "gateway_id": gateway.id if gateway else False,
                "state": "outgoing",
                **(extra or {}),
            }
            if recipient.skip:
                key = (recipient.skip, not recipient.partner)
                if key not in explanations:
                    explanations[key] = self._tm_explain(*key)
                vals.update(
                    state="canceled",
                    failure_type=recipient.skip,
                    failure_explanation=explanations[key],
                )
            vals_list.append(vals)
        return vals_list

    @api.model
    def _tm_create_sms(self, vals_list):
        """Create the rows in one ``create``. The caller checked the user's
        right to send (reading the recipients); text messaging users may only
        read sms.sms, so the rows are written in sudo mode (still created by
        the user, who shows as their author in the History)."""
        if not vals_list:
            return self.env["sms.sms"]
        sms_model = self.env["sms.sms"].sudo()
        return sms_model.create(sms_model._with_first_text_footer(vals_list))

    # ---------------------------------------------------------- time zone --

    @api.model
    def _tm_company_tz(self, company=None):
        company = company or self.env.company
        return company.partner_id.tz or self.env.user.tz or "UTC"
