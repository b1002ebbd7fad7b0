# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Texts that stock flows hand straight to Odoo IAP go through our gateway.

A few stock flows call ``SmsApi(env)._send_sms_batch`` themselves instead of
``sms.sms._send`` (SMS marketing's Test button, ``mailing.sms.test``). For a
company whose texts go through a gateway of ours, those texts would leave
through IAP, and their ``sms.sms`` rows, which the flow leaves queued, through
our gateway as well: twice. Odoo 18 builds from September 2025 on have a hook
for this (``res.company._get_sms_api_class``); the build this addon supports
from has none, hence this patch, applied once per server by the manifest's
``post_load`` and active only in databases where the addon is installed.
"""

from odoo.addons.sms.tools.sms_api import SmsApi

_PATCHED = "_text_messaging_routed"


def patch_sms_api():
    original = SmsApi._send_sms_batch
    if getattr(original, _PATCHED, False):
        return

    def _send_sms_batch(self, messages, delivery_reports_url=False):
        env = self.env
        if "sms.gateway" not in env.registry:  # not installed in this database
            return original(self, messages, delivery_reports_url=delivery_reports_url)
        results, rest = env["sms.sms"]._send_iap_batch_through_gateways(messages)
        if rest:
            results += original(self, rest, delivery_reports_url=delivery_reports_url)
        return results

    setattr(_send_sms_batch, _PATCHED, True)
    SmsApi._send_sms_batch = _send_sms_batch
