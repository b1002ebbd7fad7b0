"""Who may do what, in which company: the role design of the README, asserted
cell by cell through real HTTP (JSON-RPC after a real login), as each role."""

from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tests.common import JsonRpcException, get_db_name

from .common import TextMessagingCase

Y, N = "allowed", "denied"
ACTIONS = (
    "read history",
    "read credentials",
    "send",
    "configure",
    "regenerate token",
    "test connection",
    "write inbound",
)
# role: {action: (own company, other company)}. Nobody acts in a company that
# is not theirs; reading and using credentials go together.
MATRIX = {
    "employee": {
        "read history": (N, N),
        "read credentials": (N, N),
        "send": (N, N),
        "configure": (N, N),
        "regenerate token": (N, N),
        "test connection": (N, N),
        "write inbound": (N, N),
    },
    "text messaging user": {
        "read history": (Y, N),
        "read credentials": (N, N),
        "send": (Y, N),
        "configure": (N, N),
        "regenerate token": (N, N),
        "test connection": (N, N),
        "write inbound": (N, N),
    },
    "text messaging administrator": {
        "read history": (Y, N),
        "read credentials": (N, N),
        "send": (Y, N),
        "configure": (Y, N),
        "regenerate token": (N, N),
        "test connection": (N, N),
        "write inbound": (N, N),
    },
    "settings administrator": {
        "read history": (Y, N),
        "read credentials": (Y, N),
        "send": (N, N),
        "configure": (Y, N),
        "regenerate token": (Y, N),
        "test connection": (Y, N),
        "write inbound": (N, N),
    },
    "portal": dict.fromkeys(ACTIONS, (N, N)),
    "public": dict.fromkeys(ACTIONS, (N, N)),
}
GROUPS = {
    "employee": "base.group_user",
    "text messaging user": "base.group_user,text_messaging.group_text_messaging_user",
    "text messaging administrator": "base.group_user,"
    "text_messaging.group_text_messaging_manager",
    "settings administrator": "base.group_user,base.group_system",
    "portal": "base.group_portal",
}
# Errors that mean "you may not": an access error, or no session at all.
DENIALS = ("odoo.exceptions.AccessError", "odoo.http.SessionExpiredException")


@tagged("post_install", "-at_install")
class TestAccessMatrix(TextMessagingCase, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other_company = cls.env["res.company"].create({"name": "Company B"})
        cls.companies = {"own": cls.company, "other": cls.other_company}
        cls.gateways = {
            "own": cls._gateway("twilio", is_default=True),
            "other": cls._gateway(
                "twilio", company_id=cls.other_company.id, is_default=True
            ),
        }
        cls.texts, cls.inbound = {}, {}
        for key, gateway in cls.gateways.items():
            cls.texts[key] = (
                cls.env["sms.sms"]
                .with_company(cls.companies[key])
                .create(
                    {
                        "number": "+12015550101",
                        "body": f"Your results are ready ({key})",
                        "gateway_id": gateway.id,
                        "state": "sent",
                    }
                )
            )
            cls.inbound[key] = cls.env["sms.inbound"].create(
                {"gateway_id": gateway.id, "number": "+12015550102", "body": "Hi"}
            )
        cls.users = {
            role: new_test_user(
                cls.env,
                login=f"tm_matrix_{index}",
                password=f"tm_matrix_{index}_pw",
                groups=groups,
                company_id=cls.company.id,
                company_ids=[(6, 0, [cls.company.id])],
            )
            for index, (role, groups) in enumerate(GROUPS.items())
        }

    # ------------------------------------------------------------ helpers --

    def _login(self, role):
        self.opener.cookies.clear()
        if role == "public":
            return
        user = self.users[role]
        self.make_jsonrpc_request(
            "/web/session/authenticate",
            {
                "db": get_db_name(),
                "login": user.login,
                "password": f"{user.login}_pw",
            },
        )

    def _call(self, model, method, *args, **kwargs):
        return self.make_jsonrpc_request(
            f"/web/dataset/call_kw/{model}/{method}",
            {"model": model, "method": method, "args": list(args), "kwargs": kwargs},
        )

    def _do(self, action, key):
        gateway, company = self.gateways[key], self.companies[key]
        if action == "read history":
            self._call("sms.sms", "read", self.texts[key].ids, ["body"])
        elif action == "read credentials":
            self._call("sms.gateway", "read", gateway.ids, ["auth_token"])
        elif action == "send":
            wizard_id = self._call(
                "sms.custom.message",
                "create",
                {
                    "company_id": company.id,
                    "gateway_id": gateway.id,
                    "numbers": "+12015550123",
                    "body": "Matrix",
                },
            )
            self._call("sms.custom.message", "action_send", [wizard_id])
        elif action == "configure":
            self._call("sms.gateway", "write", gateway.ids, {"max_attempts": 5})
        elif action == "regenerate token":
            self._call("sms.gateway", "action_regenerate_webhook_token", gateway.ids)
        elif action == "test connection":
            self._call("sms.gateway", "action_test_connection", gateway.ids)
        elif action == "write inbound":
            self._call("sms.inbound", "write", self.inbound[key].ids, {"body": "x"})

    def _result_of(self, action, key):
        try:
            self._do(action, key)
        except JsonRpcException as error:
            if error.args and any(name in str(error.args) for name in DENIALS):
                return N
            return f"error {error.args}"
        return Y

    # -------------------------------------------------------------- test --

    def test_access_matrix(self):
        actual = {}
        for role in MATRIX:
            self._login(role)
            actual[role] = {
                action: tuple(self._result_of(action, key) for key in ("own", "other"))
                for action in ACTIONS
            }
        for role, row in MATRIX.items():
            for action, expected in row.items():
                with self.subTest(role=role, action=action):
                    self.assertEqual(
                        actual[role][action], expected, "(own, other company)"
                    )
        # What the denied cells protect did not change.
        self.assertEqual(self.inbound["own"].body, "Hi")
        other_gateway = self.gateways["other"]
        self.assertFalse(
            self.env["sms.sms"].search(
                [("gateway_id", "=", other_gateway.id), ("body", "=", "Matrix")]
            )
        )
