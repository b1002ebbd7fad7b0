import threading
from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL, split_every

from ..gateways import OutgoingMessage
from .sms_sms import (
    BASE_BACKOFF,
    EXPLANATIONS,
    FAILURE_TYPE_BY_CODE,
    MAX_BACKOFF,
    RETRY_NOTE,
    STALE_CLAIM_MINUTES,
    STALE_CLAIM_NOTE,
)


class SmsSms(models.Model):
    """The dispatcher: claim queued rows, send them, store what happened."""

    _inherit = "sms.sms"

    # --------------------------------------------------------- dispatcher --

    @api.model
    def _cron_dispatch(self):
        """Send one bounded batch of queued rows; the cron runner calls again
        while ``_notify_progress`` reports some remaining."""
        self._mark_stale_claims()
        batch_size = int(
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("text_messaging.dispatch.batch_size", 1000)
        )
        domain = self._dispatch_domain()
        batch = self.search(domain, limit=batch_size, order="id")
        if not batch:
            return
        batch.with_context(text_messaging_dispatch=True).send(
            unlink_failed=False,
            unlink_sent=True,
            auto_commit=self._can_commit(),
            raise_exception=False,
        )
        remaining = self.search_count(domain)
        self.env["ir.cron"]._notify_progress(done=len(batch), remaining=remaining)

    @api.model
    def _dispatch_domain(self):
        now = fields.Datetime.now()
        return [
            ("state", "=", "outgoing"),
            ("to_delete", "=", False),
            "|",
            ("next_attempt", "=", False),
            ("next_attempt", "<=", now),
        ]

    @api.model
    def _can_commit(self):
        return not getattr(threading.current_thread(), "testing", False)

    def _commit_if_allowed(self):
        # Dispatcher boundary (cron only): the claim and the results must be
        # durable on their own, so a crash never sends a message twice.
        if self.env.context.get("text_messaging_dispatch") and self._can_commit():
            self.env.cr.commit()  # pylint: disable=invalid-commit

    def _send_with_gateway(self, gateway):
        """Claim, check, send through ``gateway`` and store what happened."""
        for ids in split_every(gateway.batch_size, self.ids):
            claimed = self.browse(ids)._claim()
            self._commit_if_allowed()
            if not claimed:
                continue
            numbers = claimed._e164_numbers()
            sendable = claimed._check_before_sending(gateway, numbers)
            if sendable:
                messages = [
                    OutgoingMessage(
                        uuid=sms.uuid, number=numbers[sms.id], body=sms.body
                    )
                    for sms in sendable
                ]
                with gateway._adapter() as adapter:
                    results = adapter.send(messages)
                sendable._store_results(gateway, results)
            self._commit_if_allowed()

    def _claim(self):
        """Lock and mark as processing the rows still due; skip rows another
        worker holds. Returns the claimed rows."""
        self.flush_recordset()
        self.env.cr.execute(
            SQL(
                """
                UPDATE sms_sms
                   SET state = 'process', attempts = COALESCE(attempts, 0) + 1,
                       claimed_at = %(now)s
                 WHERE id IN (
                        SELECT id FROM sms_sms
                         WHERE id = ANY(%(ids)s) AND state = 'outgoing'
                           AND (next_attempt IS NULL OR next_attempt <= %(now)s)
                         ORDER BY id
                           FOR UPDATE SKIP LOCKED)
             RETURNING id
                """,
                ids=self.ids,
                now=fields.Datetime.now(),
            )
        )
        claimed = self.browse(sorted(row[0] for row in self.env.cr.fetchall()))
        self.invalidate_recordset(["state", "attempts", "claimed_at"])
        return claimed

    def _check_before_sending(self, gateway, numbers):
        """Fail the rows that must not reach the provider; return the others.

        ``numbers`` maps row ids to their E.164 number (False when invalid)."""
        blacklisted = self._blacklisted_numbers(numbers)
        rows = []
        for sms in self:
            failure_type = sms._pre_send_failure(gateway, numbers[sms.id], blacklisted)
            if not failure_type:
                continue
            explanation = self.env._(EXPLANATIONS[failure_type])
            if failure_type == "tm_too_long":
                explanation %= {
                    "segments": sms.segments,
                    "maximum": gateway.max_segments,
                }
            rows.append(
                {
                    "id": sms.id,
                    "state": "error",
                    "failure_type": failure_type,
                    "failure_explanation": explanation,
                    "claimed_at": None,
                }
            )
        self._bulk_update(rows)
        self._update_trackers(rows)
        failed = self.browse([row["id"] for row in rows])
        return self - failed

    def _pre_send_failure(self, gateway, number, blacklisted):
        """The failure_type that stops this row before the provider, or None."""
        self.ensure_one()
        if not (self.body or "").strip():
            return "tm_empty"
        if self.segments > gateway.max_segments:
            return "tm_too_long"
        if not self.number:
            return "sms_number_missing"
        if not number:
            return "sms_number_format"
        # The answer to a STOP keyword confirms the opt-out: it goes through.
        if number in blacklisted and self.kind != "keyword":
            return "sms_blacklist"
        return None

    def _e164_numbers(self):
        """{row id: number in E.164 (+15551234567), or False when not valid}.

        Local numbers are read in the recipient's country, else the company's."""
        partner_model = self.env["res.partner"]
        company_country = self.env.company.country_id
        return {
            sms.id: sms.number
            and partner_model._phone_format_number(
                sms.number,
                sms.partner_id.country_id or company_country,
                force_format="E164",
            )
            for sms in self
        }

    def _blacklisted_numbers(self, numbers):
        wanted = [number for number in numbers.values() if number]
        if not wanted:
            return set()
        blacklist = (
            self.env["phone.blacklist"]
            .sudo()
            .search([("number", "in", wanted), ("active", "=", True)])
        )
        return set(blacklist.mapped("number"))

    def _store_results(self, gateway, results):
        """Write each SendResult back on its row, in one statement."""
        by_uuid = {result.uuid: result for result in results}
        now = fields.Datetime.now()
        rows = []
        retry_at = []
        for sms in self:
            result = by_uuid.get(sms.uuid)
            row = sms._result_values(gateway, result, now)
            if row.get("next_attempt"):
                retry_at.append(row["next_attempt"])
            rows.append(row)
        self._bulk_update(rows)
        self._update_trackers(rows)
        if retry_at:
            self._trigger_dispatch(at=min(retry_at))

    def _result_values(self, gateway, result, now):
        """The column values for this row given the adapter's result."""
        self.ensure_one()
        values = {"id": self.id, "claimed_at": None}
        if result is None:  # an adapter must answer for every message
            values.update(
                state="unknown",
                failure_type="tm_unknown_outcome",
                failure_explanation=self._explain("tm_unknown_outcome"),
            )
            return values
        if result.outcome == "accepted":
            segments = result.segments or self.segments
            cost = (
                result.price
                if result.price is not None
                else segments * gateway.cost_per_segment
            )
            values.update(
                state="pending",
                failure_type=None,
                failure_explanation=None,
                provider_message_id=result.provider_id or None,
                sent_at=now,
                cost=abs(cost),
            )
            return values
        if result.outcome == "unknown":
            values.update(
                state="unknown",
                failure_type="tm_unknown_outcome",
                failure_explanation=self._explain("tm_unknown_outcome", result.detail),
            )
            return values
        failure_type = FAILURE_TYPE_BY_CODE.get(result.failure_code, "unknown")
        if result.retryable and self.attempts < gateway.max_attempts:
            delay = min(MAX_BACKOFF, BASE_BACKOFF * 2 ** (self.attempts - 1))
            delay = max(delay, result.retry_after or 0)
            next_attempt = now + timedelta(seconds=delay)
            note = self.env._(RETRY_NOTE) % {
                "attempt": self.attempts,
                "when": fields.Datetime.to_string(next_attempt),
            }
            values.update(
                state="outgoing",
                failure_type=None,
                next_attempt=next_attempt,
                failure_explanation=self._explain(failure_type, result.detail, note),
            )
            return values
        values.update(
            state="error",
            failure_type=failure_type,
            failure_explanation=self._explain(failure_type, result.detail),
        )
        return values

    @api.model
    def _mark_stale_claims(self):
        """Rows left 'processing' by a dispatcher that died get a visible
        'unknown outcome' state: they may have reached the provider."""
        limit = fields.Datetime.now() - timedelta(minutes=STALE_CLAIM_MINUTES)
        stale = self.search(
            [
                ("state", "=", "process"),
                ("gateway_id", "!=", False),
                ("claimed_at", "<", limit),
            ]
        )
        rows = [
            {
                "id": sms.id,
                "state": "unknown",
                "failure_type": "tm_unknown_outcome",
                "failure_explanation": self.env._(STALE_CLAIM_NOTE),
                "claimed_at": None,
            }
            for sms in stale
        ]
        self._bulk_update(rows)
        self._update_trackers(rows)
        return stale
