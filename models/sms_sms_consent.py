# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""sms.sms and the recipient's will: quiet hours in the recipient's own time
and opt-outs that providers report (Twilio 21610 and its equivalents)."""

from datetime import UTC
from zoneinfo import ZoneInfo

from odoo import api, fields, models
from odoo.tools import SQL, LazyTranslate

from ..tools import quiet_hours

_lt = LazyTranslate(__name__)

#: Kinds that wait for quiet hours to end: what the business sends on its own.
#: Texts a person sends now (custom, manual reminder, reply, keyword answer,
#: test) go at once: someone decided to send them at this hour.
QUIET_HOURS_KINDS = ("reminder", "mass", "scheduled", "greeting")
HELD_NOTE = _lt(
    "Held for quiet hours until %(local)s, %(zone)s time: texts from the business "
    "are not sent at night in the recipient's time zone (US federal and state "
    "rules where the number is, and the company's own quiet hours). Postponed, "
    "never dropped."
)
PROVIDER_OPT_OUT_NOTE = _lt("The provider reported that this number opted out.")


class SmsSms(models.Model):
    _inherit = "sms.sms"

    held_note = fields.Text(
        "Waited",
        readonly=True,
        copy=False,
        help="Why the text waited before it went out.",
    )

    # ------------------------------------------------------ quiet hours --

    def _hold_for_quiet_hours(self, numbers):
        """Put back in the queue, until their recipient's quiet hours end, the
        rows of automated kinds that would arrive at night; return the others.

        ``numbers`` maps row ids to E.164 numbers. A held row keeps its
        attempts (waiting is not a failure) and says why in History."""
        now = fields.Datetime.now()
        rows = []
        for sms in self:
            number = numbers.get(sms.id)
            company = sms.company_id or self.env.company
            if (
                sms.kind not in QUIET_HOURS_KINDS
                or not number
                or not (company.text_legal_quiet_hours or company.text_quiet_hours)
            ):
                continue
            zone = sms._quiet_hours_zone(number)
            when = quiet_hours.next_allowed_for(
                now,
                number,
                partner_tz=sms.partner_id.tz,
                company=sms._quiet_hours_company_window(),
                company_tz=sms._quiet_hours_company_tz(),
                law=company.text_legal_quiet_hours,
            )
            if not when:
                continue
            local = when.astimezone(ZoneInfo(zone)) if zone else when
            note = self.env._(HELD_NOTE) % {
                "local": local.strftime("%Y-%m-%d %H:%M"),
                "zone": zone or "UTC",
            }
            rows.append(
                {
                    "id": sms.id,
                    "state": "outgoing",
                    "next_attempt": when.astimezone(UTC).replace(tzinfo=None),
                    "attempts": max((sms.attempts or 1) - 1, 0),
                    "held_note": note,
                    "claimed_at": None,
                    "claim_token": None,
                    "in_flight_at": None,
                }
            )
        if not rows:
            return self
        self._bulk_update(rows)
        self._trigger_dispatch(at=min(row["next_attempt"] for row in rows))
        return self - self.browse([row["id"] for row in rows])

    def _quiet_hours_company_window(self):
        """(quiet from, quiet until) of the text's company, or None."""
        company = self.company_id or self.env.company
        if not company.text_quiet_hours:
            return None
        return (company.text_quiet_hours_start, company.text_quiet_hours_end)

    def _quiet_hours_company_tz(self):
        company = self.company_id or self.env.company
        return company.partner_id.tz or "UTC"

    def _quiet_hours_zone(self, number):
        """The recipient's time zone as History names it."""
        if self.partner_id.tz:
            return self.partner_id.tz
        zones = quiet_hours.locate(number)[2]
        return zones[0] if len(zones) == 1 else None

    # --------------------------------------------------- first text footer --

    @api.model
    def _with_first_text_footer(self, vals_list):
        """``vals_list`` (queued rows about to be created) where the first text
        to a number that was never texted ends with how to opt out, for
        companies that ask for it (CTIA: tell new recipients how to stop).
        One query for all the numbers."""
        companies = {vals.get("company_id") for vals in vals_list}
        asking = (
            self.env["res.company"]
            .browse([cid for cid in companies if cid])
            .filtered("text_first_text_footer")
        )
        default_asks = self.env.company.text_first_text_footer
        if not asking and not default_asks:
            return vals_list

        def asks(vals):
            company_id = vals.get("company_id")
            return company_id in asking.ids if company_id else default_asks

        numbers = {
            vals["number"]
            for vals in vals_list
            if vals.get("state", "outgoing") == "outgoing"
            and vals.get("number")
            and asks(vals)
        }
        if not numbers:
            return vals_list
        texted = {
            number
            for (number,) in self.env.execute_query(
                SQL(
                    "SELECT DISTINCT number FROM sms_sms WHERE number = ANY(%s) "
                    "AND state IN ('pending', 'sent')",
                    sorted(numbers),
                )
            )
        }
        result, footed = [], set()
        for vals in vals_list:
            number = vals.get("number")
            if number in numbers and number not in texted and number not in footed:
                footed.add(number)
                company = self.env["res.company"].browse(
                    vals.get("company_id") or self.env.company.id
                )
                text = company._text_with_opt_out_footer({0: vals.get("body")})[0]
                vals = {**vals, "body": text}
            result.append(vals)
        return result

    # -------------------------------------------------- provider opt-outs --

    def _mirror_provider_opt_outs(self, rows):
        """Numbers a provider says opted out (Twilio 21610, Telnyx 40300...)
        join the blacklist, and their contacts' permissions are withdrawn in
        the consent ledger: no path texts them again until they reply START."""
        ids = [row["id"] for row in rows if row.get("failure_type") == "sms_optout"]
        if not ids:
            return
        opted_out = self.browse(ids).sudo()
        numbers = set()
        for sms in opted_out:
            number = sms.number and self.env["res.partner"]._phone_format_number(
                sms.number,
                sms.partner_id.country_id or sms.company_id.country_id,
                force_format="E164",
            )
            if number:
                numbers.add(number)
        if not numbers:
            return
        self.env["phone.blacklist"].sudo()._add(
            sorted(numbers), message=self.env._(PROVIDER_OPT_OUT_NOTE)
        )
        partners = (
            self.env["res.partner"]
            .sudo()
            .with_context(active_test=False)
            .search([("text_number", "in", sorted(numbers))])
        )
        partners._text_consent_by_channel(
            {"text_reminders_allowed": False, "text_marketing_allowed": False},
            "provider",
            self.env._(PROVIDER_OPT_OUT_NOTE),
        )
