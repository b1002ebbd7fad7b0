import math

from markupsafe import Markup

from odoo import api, fields, models
from odoo.tools import SQL, LazyTranslate, email_normalize, html_escape

from ..gateways.voice import VOICE_PROVIDERS, CallReport, OutgoingCall, spoken_language
from .sms_sms import SmsSms as SmsSmsBase

_lt = LazyTranslate(__name__)

CHANNELS = [("text", "Text"), ("voice", "Voice Call"), ("email", "Email")]
# Failures of a text after which an email may replace it (seed 004): the
# number cannot take texts. Not opt-outs: the recipient asked for silence.
EMAIL_FALLBACK_FAILURES = (
    "sms_number_missing",
    "sms_number_format",
    "sms_not_delivered",
    "tm_rejected",
)
CHANNEL_EXPLANATIONS = {
    "tm_no_voice": _lt(
        "Not called: the gateway %(gateway)s cannot place calls. Choose a gateway "
        "of Twilio, Vonage, Telnyx or Plivo (or the sandbox) for voice messages."
    ),
    "tm_call_not_answered": _lt(
        "The call was not answered (busy, no answer or cancelled) and no voicemail "
        "took it. Try again later or send a text."
    ),
    "tm_no_email": _lt(
        "There is no email address to write to. Add one on the contact, then " "resend."
    ),
    "tm_email_blacklist": _lt(
        "The recipient's email address is blacklisted (they unsubscribed from "
        "emails), so nothing was sent."
    ),
}
VOICEMAIL_NOTE = _lt(
    "An answering machine took the call: the message was left as a voicemail."
)
FALLBACK_NO_NUMBER = _lt("No valid mobile number: sent by email.")
FALLBACK_FAILED = _lt("The text could not be delivered: sent by email.")
LOOKUP_NOTE = _lt(
    "Calls are not looked up: check the call log at the provider before calling "
    "again."
)


# Columns the shared row writer (_bulk_update) may write for calls and emails:
# added to the one dict, so that other extensions' columns stay in it too.
SmsSmsBase._BULK_COLUMNS.update(
    {
        "call_status": "varchar",
        "call_duration": "int4",
        "answered_by": "varchar",
        "mail_mail_id": "int4",
    }
)


class SmsSms(models.Model):
    """Channels of a History row: a text, a text-to-speech call or an email.

    A call goes through the row's gateway (the provider's voice API, see
    gateways/voice.py) with the same claims, consent and quiet-hour checks as
    a text; an email goes through Odoo's mail queue (``mail.mail``)."""

    _inherit = "sms.sms"

    channel = fields.Selection(
        CHANNELS, default="text", required=True, index=True, readonly=True
    )
    call_status = fields.Char(readonly=True, copy=False, help="The provider's word.")
    call_duration = fields.Integer("Call Duration (s)", readonly=True, copy=False)
    answered_by = fields.Selection(
        [("human", "Person"), ("machine", "Answering Machine")],
        readonly=True,
        copy=False,
    )
    email_to = fields.Char(readonly=True)
    mail_mail_id = fields.Many2one(
        "mail.mail", "Email", readonly=True, copy=False, index="btree_not_null"
    )
    email_state = fields.Selection(related="mail_mail_id.state", string="Email State")
    email_fallback = fields.Boolean(
        readonly=True,
        help="An email replaces this text when the number cannot take texts.",
    )
    fallback_of_id = fields.Many2one(
        "sms.sms",
        "Replaces",
        readonly=True,
        index="btree_not_null",
        ondelete="set null",
        help="The text this email replaced.",
    )
    channel_note = fields.Char(readonly=True)
    failure_type = fields.Selection(
        selection_add=[
            ("tm_no_voice", "Gateway Cannot Call"),
            ("tm_call_not_answered", "Call Not Answered"),
            ("tm_no_email", "No Email Address"),
            ("tm_email_blacklist", "Email Blacklisted"),
        ],
        ondelete={
            key: lambda recs: recs.write({"failure_type": "unknown"})
            for key in (
                "tm_no_voice",
                "tm_call_not_answered",
                "tm_no_email",
                "tm_email_blacklist",
            )
        },
    )

    def init(self):
        # Rows written in SQL (imports, benchmarks, other modules) are texts.
        result = super().init()
        self.env.cr.execute(
            SQL("ALTER TABLE sms_sms ALTER COLUMN channel SET DEFAULT 'text'")
        )
        return result

    @api.model_create_multi
    def create(self, vals_list):
        records = super().create(vals_list)
        # A text skipped for its number is emailed at once when asked.
        records.filtered(
            lambda sms: sms.email_fallback and sms.state == "canceled"
        )._tm_email_fallback()
        return records

    # ------------------------------------------------------------ explain --

    def _explain(self, failure_type, detail="", prefix=""):
        if failure_type not in CHANNEL_EXPLANATIONS:
            return super()._explain(failure_type, detail, prefix)
        text = self.env._(CHANNEL_EXPLANATIONS[failure_type]) % {
            "gateway": self.gateway_id[:1].name or "",
        }
        return super()._explain(None, detail, "\n".join(filter(None, [prefix, text])))

    # ------------------------------------------------------------ routing --

    def _may_use_our_gateways(self, outgoing_only=False):
        """Calls and emails are always ours (never Odoo IAP's)."""
        if any(sms.channel != "text" and sms.state == "outgoing" for sms in self):
            return True
        return super()._may_use_our_gateways(outgoing_only=outgoing_only)

    def _send(self, unlink_failed=False, unlink_sent=True, raise_exception=False):
        """Emails go to Odoo's mail queue; calls need a gateway of ours."""
        emails = self.filtered(lambda sms: sms.channel == "email")
        calls = self.filtered(lambda sms: sms.channel == "voice")
        if emails:
            emails._send_emails()
        without = self.browse()
        if calls:
            defaults = self.env["sms.gateway"]._default_gateway_by_company()
            without = calls.filtered(
                lambda sms: not sms.gateway_id and sms.company_id.id not in defaults
            )
            without._fail_rows("tm_no_voice")
        rest = self - emails - without
        if rest:
            return super(SmsSms, rest)._send(
                unlink_failed=unlink_failed,
                unlink_sent=unlink_sent,
                raise_exception=raise_exception,
            )

    def _send_with_gateway(self, gateway):
        calls = self.filtered(lambda sms: sms.channel == "voice")
        texts = self - calls
        if texts:
            super(SmsSms, texts)._send_with_gateway(gateway)
        if not calls:
            return
        if gateway.provider not in VOICE_PROVIDERS:
            calls._fail_rows("tm_no_voice")
            return
        super(SmsSms, calls.with_context(text_messaging_voice=True))._send_with_gateway(
            gateway
        )

    def _new_adapter(self, gateway, config):
        if self.env.context.get("text_messaging_voice"):
            voice_class = VOICE_PROVIDERS[gateway.provider]
            return voice_class(gateway._voice_adapter_config(config))
        return super()._new_adapter(gateway, config)

    def _outgoing_message(self, gateway, number):
        if self.channel != "voice":
            return super()._outgoing_message(gateway, number)
        return OutgoingCall(
            uuid=self.uuid,
            number=number,
            body=self.body,
            language=spoken_language(
                self.partner_id.lang or self.company_id.partner_id.lang
            ),
            answer_url=gateway._voice_answer_url(self.uuid),
        )

    def _pre_send_failure(self, gateway, number, blacklisted):
        failure = super()._pre_send_failure(gateway, number, blacklisted)
        if failure == "tm_too_long" and self.channel == "voice":
            return None  # a call has no segments; its adapter checks the length
        return failure

    def _with_first_text_footer(self, vals_list):
        """The opt-out footer is for texts only."""
        texts = [vals for vals in vals_list if vals.get("channel", "text") == "text"]
        if len(texts) == len(vals_list):
            return super()._with_first_text_footer(vals_list)
        footed = iter(super()._with_first_text_footer(texts) if texts else [])
        return [
            next(footed) if vals.get("channel", "text") == "text" else vals
            for vals in vals_list
        ]

    def _fail_rows(self, failure_type, state="error"):
        rows = [
            {
                "id": sms.id,
                "state": state,
                "failure_type": failure_type,
                "failure_explanation": sms._explain(failure_type),
                "claimed_at": None,
                "claim_token": None,
            }
            for sms in self
        ]
        self._bulk_update(rows)
        self._update_trackers(rows)

    # ------------------------------------------------------------ results --

    def _result_values(self, gateway, result, now):
        values = super()._result_values(gateway, result, now)
        if self.channel == "voice" and values.get("state") == "pending":
            # The price comes with the end of the call (duration, provider).
            values.update(cost=result.price or 0.0, call_status="queued")
        return values

    def _store_results(self, gateway, results):
        result = super()._store_results(gateway, results)
        self._tm_email_fallback()
        return result

    def _check_before_sending(self, gateway, numbers):
        sendable = super()._check_before_sending(gateway, numbers)
        (self - sendable)._tm_email_fallback()
        return sendable

    def _apply_status_reports(self, gateway, reports):
        changed = super()._apply_status_reports(gateway, reports)
        ids = [report.provider_id for report in reports if report.provider_id]
        if changed and ids:
            self.sudo().search(
                [
                    ("gateway_id", "=", gateway.id),
                    ("provider_message_id", "in", ids),
                    ("channel", "=", "text"),
                    ("state", "=", "error"),
                ]
            )._tm_email_fallback()
        return changed

    def _status_report_values(self, report, now):
        values = super()._status_report_values(report, now)
        if not isinstance(report, CallReport) or self.channel != "voice":
            return values
        extra = {}
        if report.raw_status and report.raw_status != self.call_status:
            extra["call_status"] = report.raw_status
        if report.duration is not None and report.duration != self.call_duration:
            extra["call_duration"] = report.duration
        if report.answered_by and report.answered_by != self.answered_by:
            extra["answered_by"] = report.answered_by
        answered_by = report.answered_by or self.answered_by
        if report.status == "delivered":
            duration = report.duration or self.call_duration or 0
            gateway = self.gateway_id
            extra["cost"] = (
                report.price
                if report.price is not None
                else math.ceil(duration / 60) * gateway.cost_per_minute
            )
            if answered_by == "machine":
                extra["failure_explanation"] = self.env._(VOICEMAIL_NOTE)
        if (
            values
            and values.get("state") == "error"
            and report.call_result == "not_answered"
        ):
            values.update(
                failure_type="tm_call_not_answered",
                failure_explanation=self._explain(
                    "tm_call_not_answered", report.detail
                ),
            )
        if not extra:
            return values
        values = values or {"id": self.id, "state": self.state}
        values.update(extra)
        return values

    def _lookup_with_gateway(self, gateway):
        """Calls are not looked up: a call placed twice rings twice."""
        calls = self.filtered(lambda sms: sms.channel == "voice")
        if calls:
            rows = [
                {
                    "id": sms.id,
                    "state": "unknown",
                    "in_flight_at": None,
                    "failure_explanation": "\n".join(
                        filter(None, [sms.failure_explanation, self.env._(LOOKUP_NOTE)])
                    ),
                }
                for sms in calls
            ]
            self._bulk_update(rows)
        if self - calls:
            return super(SmsSms, self - calls)._lookup_with_gateway(gateway)

    # -------------------------------------------------------------- email --

    def _send_emails(self):
        """Queue one ``mail.mail`` per row in Odoo's mail queue (one create),
        or fail the row with the reason; the row is Sent once queued."""
        wanted = {email_normalize(e) for e in self.mapped("email_to") if e}
        blacklisted = set(
            self.env["mail.blacklist"]
            .sudo()
            .search([("email", "in", sorted(wanted - {False})), ("active", "=", True)])
            .mapped("email")
        )
        to_send, no_email, opted_out = [], [], []
        # Claimed (locked) first: two dispatchers never email the same row.
        for sms in self._claim():
            email = (sms.email_to or "").strip()
            if not email:
                no_email.append(sms.id)
            elif email_normalize(email) in blacklisted:
                opted_out.append(sms.id)
            else:
                to_send.append(sms)
        self.browse(no_email)._fail_rows("tm_no_email")
        self.browse(opted_out)._fail_rows("tm_email_blacklist", state="canceled")
        if not to_send:
            return
        rows = self.browse([sms.id for sms in to_send])
        mails = self.env["mail.mail"].sudo().create([sms._mail_vals() for sms in rows])
        now = fields.Datetime.now()
        self._bulk_update(
            [
                {
                    "id": sms.id,
                    "state": "pending",
                    "failure_type": None,
                    "mail_mail_id": mail.id,
                    "sent_at": now,
                    "claimed_at": None,
                    "claim_token": None,
                }
                for sms, mail in zip(rows, mails, strict=True)
            ]
        )

    def _mail_vals(self):
        """The email of this row: its text as the body, from its company."""
        self.ensure_one()
        company = self.company_id or self.env.company
        body = Markup("<p>%s</p>") % Markup("<br/>").join(
            html_escape(line) for line in (self.body or "").splitlines()
        )
        return {
            "subject": self.env._("Message from %(company)s", company=company.name),
            "body_html": body,
            "email_to": self.email_to,
            "email_from": company.email_formatted or self.env.user.email_formatted,
            "auto_delete": False,
            "model": self.res_model or False,
            "res_id": self.res_id or False,
        }

    def _tm_email_fallback(self):
        """Email, instead, the texts of this set that failed for good and whose
        send asked for it (once per text)."""
        rows = self.filtered(
            lambda sms: sms.channel == "text"
            and sms.email_fallback
            and sms.state in ("error", "canceled")
            and sms.failure_type in EMAIL_FALLBACK_FAILURES
            and sms.partner_id.email
        )
        if not rows:
            return self.browse()
        done = set(
            self.sudo()
            .search([("fallback_of_id", "in", rows.ids)])
            .mapped("fallback_of_id")
            .ids
        )
        vals_list = []
        for sms in rows:
            if sms.id in done:
                continue
            no_number = sms.failure_type in ("sms_number_missing", "sms_number_format")
            note = FALLBACK_NO_NUMBER if no_number else FALLBACK_FAILED
            vals_list.append(
                {
                    **sms._tm_email_copy_vals(),
                    "fallback_of_id": sms.id,
                    "channel_note": self.env._(note),
                }
            )
        return self.sudo().create(vals_list)

    def _tm_email_copy_vals(self):
        self.ensure_one()
        return {
            "partner_id": self.partner_id.id,
            "number": self.number,
            "body": self.body,
            "kind": self.kind,
            "res_model": self.res_model,
            "res_id": self.res_id,
            "mass_message_id": self.mass_message_id.id,
            "company_id": self.company_id.id,
            "gateway_id": self.gateway_id.id,
            "channel": "email",
            "email_to": self.partner_id.email,
            "state": "outgoing",
        }
