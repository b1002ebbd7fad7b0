import json

from odoo.exceptions import AccessError
from odoo.tests import HttpCase, new_test_user, tagged

from .common import TextMessagingCase


@tagged("post_install", "-at_install")
class TestSandboxPhone(TextMessagingCase, HttpCase):
    """The sandbox phone's data, and an answer through the inbound webhook."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sandbox = cls.env["sms.gateway"].create(
            {
                "name": "Phone sandbox",
                "provider": "sandbox",
                "company_id": cls.company.id,
                "sender": "+12015550100",
            }
        )
        cls.twilio = cls._gateway("twilio")
        cls.manager = new_test_user(
            cls.env,
            login="tm_phone_admin",
            groups="base.group_user,base.group_system,"
            "text_messaging.group_text_messaging_manager",
        )
        # A text messaging administrator who is not a Settings administrator
        # does not see webhook tokens.
        cls.employee = new_test_user(
            cls.env,
            login="tm_phone_manager",
            groups="base.group_user,text_messaging.group_text_messaging_manager",
        )

    def _data(self, user):
        return self.env["sms.sandbox.phone"].with_user(user).get_phone_data()

    def _conversation(self, data, number):
        return next(entry for entry in data["numbers"] if entry["number"] == number)

    def test_what_each_number_received(self):
        first, second = self._queue(
            self.sandbox,
            {"+12015550111": "Your session is at 10", "+12015550112": "Hello"},
            partner=self.partner,
        )
        twilio = self._queue(self.twilio, {"+12015550113": "Via Twilio"})
        self._dispatch()
        skipped = self._queue(self.sandbox, {"+12015550111": "Never sent"})
        skipped.write({"state": "canceled"})
        data = self._data(self.manager)
        gateway_ids = [gateway["id"] for gateway in data["gateways"]]
        self.assertIn(self.sandbox.id, gateway_ids)
        self.assertNotIn(self.twilio.id, gateway_ids, "no real provider's secret")
        numbers = [entry["number"] for entry in data["numbers"]]
        self.assertNotIn(twilio.number, numbers, "sent by Twilio, not the sandbox")
        conversation = self._conversation(data, "+12015550111")
        self.assertEqual(conversation["partner"], self.partner.display_name)
        self.assertEqual(
            [m["body"] for m in conversation["messages"]],
            ["Your session is at 10"],
            "a skipped text never reached the phone",
        )
        self.assertFalse(conversation["messages"][0]["incoming"])
        self.assertEqual(conversation["gateway_id"], self.sandbox.id)
        self.assertIn(second.number, numbers)
        self.assertEqual(first.state, "pending", "accepted by the sandbox")

    def test_only_managers_use_it(self):
        with self.assertRaises(AccessError):
            self._data(self.employee)

    def test_answer_stop_through_the_webhook(self):
        self._queue(self.sandbox, {"+12015550111": "Hi"}, partner=self.partner)
        self._dispatch()
        data = self._data(self.manager)
        gateway = next(g for g in data["gateways"] if g["id"] == self.sandbox.id)
        self.authenticate("tm_phone_admin", "tm_phone_admin")
        response = self.url_open(
            gateway["inbound_path"],
            data=json.dumps(
                {"from": "+12015550111", "to": gateway["sender"], "body": "STOP"}
            ),
            headers={"Content-Type": "application/json"},
        )
        self.assertEqual(response.status_code, 200, response.text)
        data = self._data(self.manager)
        conversation = self._conversation(data, "+12015550111")
        self.assertTrue(conversation["opted_out"])
        self.assertEqual(
            [(m["body"], m["incoming"]) for m in conversation["messages"]][:2],
            [("Hi", False), ("STOP", True)],
        )
