from unittest.mock import patch
from urllib.parse import urlsplit

import requests

from odoo import fields
from odoo.tests import TransactionCase

from .fake_provider import DEFAULT_SENDERS, FakeProvider

# requests.Session.send as it was before Odoo's test harness patched it.
_real_send = requests.Session.send


def dispatch_clock(moment):
    """Freeze the dispatcher's clock (``fields.Datetime.now``) at ``moment``
    (naive UTC), and only it: time.monotonic and the rate bucket's
    clock_timestamp() go on, so waits still end."""
    return patch.object(fields.Datetime, "now", lambda *args, **kwargs: moment)


class TextMessagingCase(TransactionCase):
    """Gateways pointed at a real local fake provider (127.0.0.1).

    Odoo's test harness patches requests: it lets localhost through but raises
    time-outs under 10 s to 10 s and chokes on (connect, read) tuples. Requests
    to the fake go straight out instead, so time-outs are the adapters' own.
    """

    @classmethod
    def _request_handler(cls, s, r, /, **kw):
        if urlsplit(r.url).hostname == "127.0.0.1":
            return _real_send(s, r, **kw)
        return super()._request_handler(s, r, **kw)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.fake = FakeProvider().start()
        cls.addClassCleanup(cls.fake.stop)
        cls.company = cls.env.company
        cls.company.country_id = cls.env.ref("base.us")
        # Tests run at any hour: recipients' quiet hours only where a test is
        # about them (test_quiet_hours_dispatch).
        cls.company.text_legal_quiet_hours = False
        # The demo sandbox must not take our rows.
        cls.env["sms.gateway"].search([]).write({"is_default": False})
        cls.partner = cls.env["res.partner"].create(
            {
                "name": "Ada Client",
                "phone": "(201) 555-0001",
                "country_id": cls.env.ref("base.us").id,
            }
        )

    def setUp(self):
        super().setUp()
        self.fake.reset()

    @classmethod
    def _gateway(cls, provider, **values):
        config = cls.fake.config(provider)
        vals = {
            "name": f"Fake {provider}",
            "provider": provider,
            "company_id": cls.company.id,
            "base_url": cls.fake.url,
            "sender": DEFAULT_SENDERS.get(provider) or False,
            "connect_timeout": 2,
            "read_timeout": 5,
            "rate_limit": 0,
            "cost_per_segment": 0.05,
            **config["credentials"],
        }
        vals.update(values)
        return cls.env["sms.gateway"].create(vals)

    def _queue(self, gateway, bodies_by_number, partner=False):
        return self.env["sms.sms"].create(
            [
                {
                    "number": number,
                    "body": body,
                    "gateway_id": gateway.id,
                    "partner_id": partner and partner.id,
                }
                for number, body in bodies_by_number.items()
            ]
        )

    def _dispatch(self):
        self.env["sms.sms"]._cron_dispatch()
