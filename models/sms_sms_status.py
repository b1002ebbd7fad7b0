from odoo import fields, models

from .sms_sms import DELIVERY_FAILURE_TYPE_BY_CODE


class SmsSms(models.Model):
    """Delivery reports of the providers applied to the messages."""

    _inherit = "sms.sms"

    # ------------------------------------------------------ delivery reports --

    def _apply_status_reports(self, gateway, reports):
        """Move messages of ``gateway`` along with the provider's delivery reports.

        Idempotent and monotonic: a report never moves a message backwards
        (delivered stays delivered), and the same report twice changes nothing.
        Returns the number of messages changed."""
        ids = [report.provider_id for report in reports if report.provider_id]
        if not ids:
            return 0
        messages = self.sudo().search(
            [("gateway_id", "=", gateway.id), ("provider_message_id", "in", ids)]
        )
        by_provider_id = {sms.provider_message_id: sms for sms in messages}
        now = fields.Datetime.now()
        rows = []
        for report in reports:
            sms = by_provider_id.get(report.provider_id)
            row = sms and sms._status_report_values(report, now)
            if row:
                rows.append(row)
        self._bulk_update(rows)
        self._update_trackers(rows)
        self._mirror_provider_opt_outs(rows)
        return len(rows)

    def _status_report_values(self, report, now):
        """Column values for a delivery report, or None when nothing changes."""
        self.ensure_one()
        rank = {"outgoing": 0, "process": 1, "unknown": 2, "pending": 3, "error": 4}
        values = {"id": self.id, "claimed_at": None, "in_flight_at": None}
        if report.status == "delivered" and self.state != "sent":
            values.update(state="sent", delivered_at=now, failure_type=None)
            if self.state == "unknown":  # the provider did take it after all
                values["failure_explanation"] = None
            return values
        if report.status == "failed" and self.state not in ("sent", "error"):
            failure_type = DELIVERY_FAILURE_TYPE_BY_CODE.get(
                report.failure_code, "sms_not_delivered"
            )
            values.update(
                state="error",
                failure_type=failure_type,
                failure_explanation=self._explain(failure_type, report.detail),
            )
            return values
        if report.status == "sent" and rank.get(self.state, 9) < rank["pending"]:
            values.update(state="pending", failure_type=None, failure_explanation=None)
            return values
        return None
