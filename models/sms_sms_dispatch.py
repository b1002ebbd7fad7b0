import logging
import random
import threading
import time
from contextlib import contextmanager
from datetime import timedelta, timezone
from itertools import groupby

import psycopg2

from odoo import api, fields, models
from odoo.tools import SQL, LazyTranslate, config, split_every

from ..gateways import PROVIDERS, OutgoingMessage, get_gateway
from ..gateways.ratelimit import gcra_reserve
from ..tools import compat
from .sms_sms import (
    BASE_BACKOFF,
    EXPLANATIONS,
    FAILURE_TYPE_BY_CODE,
    MAX_BACKOFF,
    RETRY_NOTE,
    STALE_CLAIM_MINUTES,
    STALE_CLAIM_NOTE,
)

_logger = logging.getLogger(__name__)
_lt = LazyTranslate(__name__)

# Rows claimed by a dispatcher hold its token; the dispatcher holds the
# PostgreSQL advisory lock (LOCK_NAMESPACE, token) while it works, so a token
# whose lock is free belongs to a process that is gone.
LOCK_NAMESPACE = 0x544D5344
# Share of the cron's time limits one pass of the dispatcher may spend
# starting requests; a request started just before the end may still take its
# connect + read time-outs.
TIME_BUDGET_SHARE = 0.5
DEFAULT_TIME_BUDGET = 60  # seconds, when Odoo sets no limit
SLICE_SECONDS = 5  # a slice holds what the gateway may send in this time
RATE_BURST_SECONDS = 0.5  # catch-up allowed after a pause (GCRA tolerance)
LOOKUP_DELAY = 300  # seconds before asking the provider about an unknown outcome
LOOKUP_MAX_AGE = timedelta(days=2)
LOOKUP_BATCH = 200
ONE_RUN = threading.local()  # the time budget of the current cron run

FOUND_NOTE = _lt(
    "The provider was asked: it had accepted this message (id %(provider_id)s)."
)
NOT_FOUND_NOTE = _lt(
    "The provider was asked: it has no trace of this message, so it was queued "
    "again."
)
UNRESOLVED_NOTE = _lt("The provider was asked but could not tell: %(detail)s")


class SmsSms(models.Model):
    """The dispatcher: claim queued rows, send them, store what happened.

    Production is Odoo's prefork server, whose watchdog kills a cron worker
    after ``limit_time_real_cron`` seconds. The dispatcher works in slices
    (claim a few seconds of sending, send, commit the results), stops starting
    requests when its share of the time limit is spent and lets the cron
    runner call it again. A row is marked in flight right before its own
    request, so after a crash only the rows really in flight get an Unknown
    Outcome; the others go back to the queue at once.
    """

    _inherit = "sms.sms"

    claim_token = fields.Integer(readonly=True, copy=False)
    in_flight_at = fields.Datetime("In Flight Since", readonly=True, copy=False)

    # --------------------------------------------------------- dispatcher --

    @api.model
    def _cron_dispatch(self):
        """Send queued rows in slices until this run's time budget is spent;
        the cron runner calls again while ``_notify_progress`` reports some
        remaining (and the trigger wakes a fresh run)."""
        deadline = self._dispatch_deadline()
        self._recover_orphans()
        self._commit_if_allowed(force=True)
        self._resolve_unknown_outcomes(deadline)
        batch_size = int(
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("text_messaging.dispatch.batch_size", 1000)
        )
        domain = self._dispatch_domain()
        done = 0
        while time.monotonic() < deadline:
            batch = self.search(domain, limit=batch_size, order="id")
            if not batch:
                break
            batch.with_context(
                text_messaging_dispatch=True, text_messaging_deadline=deadline
            ).send(
                unlink_failed=False,
                unlink_sent=True,
                raise_exception=False,
                **compat.sms_send_commit_options(self._can_commit()),
            )
            left = self.search_count([("id", "in", batch.ids), *domain])
            if left == len(batch):
                break  # nothing could start in the time left
            done += len(batch) - left
        remaining = self.search_count(domain)
        if remaining:
            # A new run, with a fresh watchdog window, takes the rest at once.
            self._trigger_dispatch()
        compat.notify_progress(self.env, done=done, remaining=remaining)

    @api.model
    def _dispatch_time_budget(self):
        """Seconds one cron run may spend starting requests: a share of the
        prefork limits (``limit_time_real_cron``, else ``limit_time_real``,
        and ``limit_time_cpu``)."""
        real = config.get("limit_time_real_cron")
        if real is None or real < 0:
            real = config.get("limit_time_real")
        limits = [limit for limit in (real, config.get("limit_time_cpu")) if limit]
        limits = [limit for limit in limits if limit > 0]
        if not limits:
            return DEFAULT_TIME_BUDGET
        return TIME_BUDGET_SHARE * min(limits)

    @api.model
    def _dispatch_deadline(self):
        """time.monotonic() after which no request starts in this run.

        The cron runner calls a job up to 10 times with the same cursor within
        one watchdog window: those calls share one budget."""
        cron_id = self.env.context.get("cron_id")
        key = (self.env.cr, cron_id)
        if not cron_id or getattr(ONE_RUN, "key", None) != key:
            ONE_RUN.key = key if cron_id else None
            ONE_RUN.deadline = time.monotonic() + self._dispatch_time_budget()
        return ONE_RUN.deadline

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
        return not compat.is_testing()

    def _commit_if_allowed(self, force=False):
        # Dispatcher boundary (cron only): the claim, the in-flight marks and
        # the results must be durable on their own, so a crash never sends a
        # message twice. A caller's transaction (send now) is never committed.
        dispatching = force or self.env.context.get("text_messaging_dispatch")
        if dispatching and self._can_commit():
            self.env.cr.commit()  # pylint: disable=invalid-commit

    def _send_with_gateway(self, gateway):
        """Send these rows through ``gateway`` now, in slices: claim, check,
        send (each request marked in flight first), store what happened.

        Under the dispatcher (context ``text_messaging_dispatch``) every step
        is committed and no request starts after ``text_messaging_deadline``
        (rows left are released to the queue); without it (e.g. a user's
        "send now"), nothing is committed and every row is sent."""
        deadline = self.env.context.get("text_messaging_deadline")
        # The rate limit is kept in PostgreSQL (see _rate_wait), not in the adapter.
        adapter_config = {**gateway._adapter_config(), "rate_limit": 0}
        with (
            self._new_adapter(gateway, adapter_config) as adapter,
            self._claim_token() as token,
        ):
            for ids in split_every(self._slice_size(gateway), self.ids):
                if deadline and time.monotonic() >= deadline:
                    break
                self._commit_if_allowed()  # a fresh snapshot for the claim
                claimed = self.browse(ids)._claim(token)
                self._commit_if_allowed()
                if not claimed:
                    continue
                numbers = claimed._e164_numbers()
                sendable = claimed._check_before_sending(gateway, numbers)
                self._commit_if_allowed()
                if sendable:
                    sendable._send_slice(gateway, adapter, numbers, deadline)
                self._commit_if_allowed()

    def _send_slice(self, gateway, adapter, numbers, deadline):
        """Send these claimed rows through ``adapter``. Results are stored as
        requests end: committed with the next in-flight mark, or at once when
        every request has started. A row stays in flight only while its own
        request runs (or until the next commit, a moment later)."""
        messages = [sms._outgoing_message(gateway, numbers[sms.id]) for sms in self]
        ids_by_uuid = {sms.uuid: sms.id for sms in self}
        ended, started, settled = [], set(), set()

        def store_ended():
            if ended:
                rows = self.browse([ids_by_uuid[result.uuid] for result in ended])
                rows._store_results(gateway, list(ended))
                rows._notify_slice_progress(len(ended))
                ended.clear()

        def after_request(results):
            ended.extend(results)
            settled.update(result.uuid for result in results)
            if len(started | settled) >= len(messages):  # no request to come
                store_ended()
                self._commit_if_allowed()

        before_request = self._before_request(gateway, deadline, store_ended, started)
        results = adapter.send(
            messages, before_request=before_request, after_request=after_request
        )
        ended.extend(result for result in results if result.uuid not in settled)
        store_ended()

    def _new_adapter(self, gateway, config):
        """The adapter that sends these rows (see sms_sms_channel for calls)."""
        return get_gateway(gateway.provider, config)

    def _outgoing_message(self, gateway, number):
        """What the adapter gets for this row, sent to ``number`` (E.164):
        a gateways.OutgoingMessage (with its pictures, see sms_sms_media) or
        an OutgoingCall (see sms_sms_channel)."""
        self.ensure_one()
        return OutgoingMessage(uuid=self.uuid, number=number, body=self.body)

    def _notify_slice_progress(self, count):
        """Tell the cron runner that work was done, as results are stored (and
        committed with them): a run killed later still counts as progress,
        not as a time-out that postpones the job."""
        progress_id = self.env.context.get("ir_cron_progress_id")
        if progress_id and count:
            progress = self.env["ir.cron.progress"].sudo().browse(progress_id)
            progress.write({"done": progress.done + count, "remaining": 1})

    @api.model
    def _slice_size(self, gateway):
        """Rows per slice: what the gateway may send in SLICE_SECONDS at its
        rate limit, at most its batch size."""
        if gateway.rate_limit > 0:
            return max(
                1, min(gateway.batch_size, int(gateway.rate_limit * SLICE_SECONDS))
            )
        return max(1, gateway.batch_size)

    @contextmanager
    def _claim_token(self):
        """A token held (PostgreSQL advisory lock, on its own connection) while
        this dispatcher works: rows it claims carry it. When the process dies,
        PostgreSQL drops the connection and the lock with it."""
        with self.env.registry.cursor() as lock_cr:
            token = None
            while token is None:
                candidate = random.randint(1, 2**31 - 1)
                lock_cr.execute(
                    SQL(
                        "SELECT pg_try_advisory_lock(%s, %s)", LOCK_NAMESPACE, candidate
                    )
                )
                if lock_cr.fetchone()[0]:
                    token = candidate
            try:
                yield token
            finally:
                lock_cr.execute(
                    SQL("SELECT pg_advisory_unlock(%s, %s)", LOCK_NAMESPACE, token)
                )

    def _claim(self, token=None):
        """Lock and mark as processing the rows still due; skip rows another
        worker holds. Returns the claimed rows (none when another dispatcher
        changed some of them since this transaction began: they are its)."""
        self.flush_recordset()
        query = SQL(
            """
                UPDATE sms_sms
                   SET state = 'process', attempts = COALESCE(attempts, 0) + 1,
                       claimed_at = %(now)s, claim_token = %(token)s,
                       in_flight_at = NULL
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
            token=token,
        )
        try:
            with self.env.cr.savepoint(flush=False):
                self.env.cr.execute(query, log_exceptions=False)
                found = self.env.cr.fetchall()
        except psycopg2.errors.SerializationFailure:
            found = []
        claimed = self.browse(sorted(row[0] for row in found))
        self.invalidate_recordset(
            ["state", "attempts", "claimed_at", "claim_token", "in_flight_at"]
        )
        return claimed

    def _before_request(self, gateway, deadline, store_ended, started):
        """The adapter's ``before_request``: wait for the gateway's rate limit,
        store the results of the requests that ended, then mark this request's
        rows in flight (their uuids into ``started``) and commit, just before
        it starts; refuse once ``deadline`` has passed."""
        ids_by_uuid = {sms.uuid: sms.id for sms in self}

        def before_request(messages):
            if deadline and time.monotonic() >= deadline:
                return False
            if gateway.rate_limit > 0:
                wait = self._rate_wait(gateway, len(messages))
                if deadline and time.monotonic() + wait >= deadline:
                    return False
                if wait > 0:
                    time.sleep(wait)
            store_ended()
            started.update(message.uuid for message in messages)
            self._mark_in_flight([ids_by_uuid[message.uuid] for message in messages])
            return True

        return before_request

    def _mark_in_flight(self, ids):
        self.env.cr.execute(
            SQL(
                "UPDATE sms_sms SET in_flight_at = %s WHERE id = ANY(%s)",
                fields.Datetime.now(),
                ids,
            )
        )
        if self.env.context.get("text_messaging_dispatch") and self._can_commit():
            # Visible to the other workers at once; PostgreSQL itself crashing
            # could lose the last marks, which only makes rows look unsent.
            self.env.cr.execute(SQL("SET LOCAL synchronous_commit TO OFF"))
            self.env.cr.commit()  # pylint: disable=invalid-commit
        self.browse(ids).invalidate_recordset(["in_flight_at"])

    @contextmanager
    def _short_transaction(self):
        """A cursor for a short transaction of its own, committed at once (in
        tests, where nothing is committed, a savepoint of the test's)."""
        if self._can_commit():
            with self.env.registry.cursor() as cr:
                yield cr
        else:
            with self.env.cr.savepoint():
                yield self.env.cr

    @api.model
    def _rate_wait(self, gateway, tokens):
        """Book ``tokens`` on the gateway's bucket, kept in PostgreSQL so the
        limit holds across slices, workers and servers; returns the seconds to
        wait before sending. The bucket row is locked only for this short
        transaction of its own."""
        for _attempt in range(5):
            try:
                return self._rate_book(gateway, tokens)
            except psycopg2.errors.SerializationFailure:
                continue  # another process booked meanwhile: book again
            except psycopg2.Error:
                break
        # e.g. a gateway not committed yet: fall back on this process only.
        _logger.warning("Rate limit of gateway %s not booked", gateway.id)
        return tokens / gateway.rate_limit

    @api.model
    def _rate_book(self, gateway, tokens):
        """One booking on the bucket row (may raise a serialization failure
        when another process booked since this transaction began)."""
        with self._short_transaction() as cr:
            if cr is not self.env.cr:
                # Its own transaction, committed at once: without waiting for
                # the disk (a booking lost with PostgreSQL itself only allows
                # one burst after its restart). 78% -> 97% of a 100/s limit.
                cr.execute(SQL("SET LOCAL synchronous_commit TO OFF"))
            cr.execute(
                SQL(
                    "INSERT INTO sms_gateway_rate (gateway_id, tat) "
                    "VALUES (%s, 0) ON CONFLICT (gateway_id) DO NOTHING",
                    gateway.id,
                ),
                log_exceptions=False,
            )
            cr.execute(
                SQL(
                    "SELECT tat, EXTRACT(EPOCH FROM clock_timestamp())::float8 "
                    "FROM sms_gateway_rate WHERE gateway_id = %s FOR UPDATE",
                    gateway.id,
                ),
                log_exceptions=False,
            )
            tat, now = cr.fetchone()
            new_tat, start = gcra_reserve(
                tat, now, tokens, gateway.rate_limit, RATE_BURST_SECONDS
            )
            cr.execute(
                SQL(
                    "UPDATE sms_gateway_rate SET tat = %s WHERE gateway_id = %s",
                    new_tat,
                    gateway.id,
                )
            )
        return max(0.0, start - now)

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
                    "claim_token": None,
                }
            )
        self._bulk_update(rows)
        self._update_trackers(rows)
        failed = self.browse([row["id"] for row in rows])
        return (self - failed)._hold_for_quiet_hours(numbers)

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
        self._mirror_provider_opt_outs(rows)
        if retry_at:
            self._trigger_dispatch(at=min(retry_at))

    def _result_values(self, gateway, result, now):
        """The column values for this row given the adapter's result."""
        self.ensure_one()
        values = {
            "id": self.id,
            "claimed_at": None,
            "claim_token": None,
            "in_flight_at": None,
        }
        if result is None:  # an adapter must answer for every message
            values.update(
                state="unknown",
                failure_type="tm_unknown_outcome",
                failure_explanation=self._explain("tm_unknown_outcome"),
                in_flight_at=self.in_flight_at or now,
            )
            return values
        if result.outcome == "skipped":  # never left: back to the queue
            values.update(state="outgoing", attempts=max(self.attempts - 1, 0))
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
            # in_flight_at stays: it tells when to ask the provider (lookup).
            values.update(
                state="unknown",
                failure_type="tm_unknown_outcome",
                failure_explanation=self._explain("tm_unknown_outcome", result.detail),
                in_flight_at=self.in_flight_at or now,
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
            # Waiting for another attempt: no word about retries running out.
            values.update(
                state="outgoing",
                failure_type=None,
                next_attempt=next_attempt,
                failure_explanation=self._explain(None, result.detail, note),
            )
            return values
        values.update(
            state="error",
            failure_type=failure_type,
            failure_explanation=self._explain(failure_type, result.detail),
        )
        return values

    # ---------------------------------------------------- after a crash --

    @api.model
    def _recover_orphans(self):
        """Rows left processing by a dispatcher that is gone (its advisory lock
        is free, or the claim is older than STALE_CLAIM_MINUTES): those in
        flight get a visible Unknown Outcome, they may have reached the
        provider; the others never left and go back to the queue at once."""
        self.flush_model()
        query = SQL(
            """
                SELECT id, in_flight_at IS NOT NULL FROM sms_sms s
                 WHERE state = 'process' AND gateway_id IS NOT NULL
                   AND (claimed_at < %(stale)s
                        OR (claim_token IS NOT NULL AND NOT EXISTS (
                            SELECT 1 FROM pg_locks l
                             WHERE l.locktype = 'advisory' AND l.granted
                               AND l.database = (SELECT oid FROM pg_database
                                                  WHERE datname = current_database())
                               AND l.classid = %(namespace)s::oid
                               AND l.objid = s.claim_token::oid
                               AND l.objsubid = 2)))
                   FOR UPDATE SKIP LOCKED
                """,
            stale=fields.Datetime.now() - timedelta(minutes=STALE_CLAIM_MINUTES),
            namespace=LOCK_NAMESPACE,
        )
        try:
            with self.env.cr.savepoint(flush=False):
                self.env.cr.execute(query, log_exceptions=False)
                found = self.env.cr.fetchall()
        except psycopg2.errors.SerializationFailure:
            found = []  # another dispatcher is recovering them
        in_flight = self.browse([row_id for row_id, flying in found if flying])
        never_sent = self.browse([row_id for row_id, flying in found if not flying])
        if never_sent:
            self.env.cr.execute(
                SQL(
                    "UPDATE sms_sms SET state = 'outgoing', claimed_at = NULL, "
                    "claim_token = NULL, attempts = GREATEST(attempts - 1, 0) "
                    "WHERE id = ANY(%s)",
                    never_sent.ids,
                )
            )
            never_sent.invalidate_recordset(
                ["state", "claimed_at", "claim_token", "attempts"]
            )
        rows = [
            {
                "id": sms.id,
                "state": "unknown",
                "failure_type": "tm_unknown_outcome",
                "failure_explanation": self.env._(STALE_CLAIM_NOTE),
                "claimed_at": None,
                "claim_token": None,
            }
            for sms in in_flight
        ]
        self._bulk_update(rows)
        self._update_trackers(rows)
        if never_sent:
            self._trigger_dispatch()
        return in_flight, never_sent

    # -------------------------------------------------- unknown outcomes --

    @api.model
    def _resolve_unknown_outcomes(self, deadline=None):
        """Ask the providers that can tell about messages of unknown outcome
        (some time after they were sent): found, the message is sent (with
        its provider id); surely absent, it is queued again; otherwise it
        stays for a person."""
        delay = int(
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("text_messaging.dispatch.lookup_delay", LOOKUP_DELAY)
        )
        now = fields.Datetime.now()
        providers = [code for code, cls in PROVIDERS.items() if cls.supports_lookup]
        rows = self.search(
            [
                ("state", "=", "unknown"),
                ("in_flight_at", "<=", now - timedelta(seconds=delay)),
                ("in_flight_at", ">=", now - LOOKUP_MAX_AGE),
                ("gateway_id.provider", "in", providers),
            ],
            limit=LOOKUP_BATCH,
            order="gateway_id, id",
        )
        for _gateway_id, group in groupby(rows, key=lambda sms: sms.gateway_id.id):
            if deadline and time.monotonic() >= deadline:
                break
            group = self.browse([sms.id for sms in group])
            group._lookup_with_gateway(group.gateway_id)
            self._commit_if_allowed(force=True)

    def _lookup_with_gateway(self, gateway):
        numbers = self._e164_numbers()
        messages = [
            OutgoingMessage(uuid=sms.uuid, number=numbers[sms.id] or "", body=sms.body)
            for sms in self
        ]
        sent_after = min(self.mapped("in_flight_at")).replace(tzinfo=timezone.utc)
        with gateway._adapter() as adapter:
            answers = {
                answer.uuid: answer
                for answer in adapter.lookup(messages, sent_after.timestamp())
            }
        # A provider id another row already has is not this row's message.
        taken = set(
            self.search(
                [
                    ("gateway_id", "=", gateway.id),
                    (
                        "provider_message_id",
                        "in",
                        [a.provider_id for a in answers.values() if a.provider_id],
                    ),
                ]
            ).mapped("provider_message_id")
        )
        now = fields.Datetime.now()
        rows = []
        for sms in self:
            answer = answers.get(sms.uuid)
            rows.append(sms._lookup_values(gateway, answer, taken, now))
        self._bulk_update(rows)
        self._update_trackers(rows)
        if any(row["state"] == "outgoing" for row in rows):
            self._trigger_dispatch()

    def _lookup_values(self, gateway, answer, taken, now):
        """Column values for a row of unknown outcome given the provider's
        answer (``in_flight_at`` is cleared: the provider is asked once)."""
        self.ensure_one()
        values = {"id": self.id, "state": "unknown", "in_flight_at": None}
        history = self.failure_explanation or ""
        if answer and answer.found and answer.provider_id not in taken:
            note = self.env._(FOUND_NOTE) % {"provider_id": answer.provider_id}
            values.update(
                state="pending",
                failure_type=None,
                failure_explanation=note,
                provider_message_id=answer.provider_id,
                sent_at=self.in_flight_at,
                cost=self.segments * gateway.cost_per_segment,
            )
        elif answer and answer.found is False:
            values.update(
                state="outgoing",
                failure_type=None,
                next_attempt=None,
                failure_explanation=self.env._(NOT_FOUND_NOTE),
            )
        else:
            detail = (answer and answer.detail) or self.env._(
                "the provider has no way to find a message."
            )
            note = self.env._(UNRESOLVED_NOTE) % {"detail": detail}
            values.update(
                failure_type="tm_unknown_outcome",
                failure_explanation="\n".join(filter(None, [history, note])),
            )
        return values
