from odoo.tests import HttpCase, TransactionCase, new_test_user, tagged

from ..tools import compat


class TestFoundation(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.root_menu = cls.env.ref("text_messaging.text_messaging_menu_root")
        cls.config_menu = cls.env.ref(
            "text_messaging.text_messaging_menu_configuration"
        )
        cls.employee = new_test_user(
            cls.env, login="tm_employee", groups="base.group_user"
        )

    def _visible(self, user, menu):
        visible = self.env["ir.ui.menu"].with_user(user)._visible_menu_ids()
        return menu.id in visible

    def test_app_menu_and_configuration(self):
        self.assertEqual(self.root_menu.name, "Text Messaging")
        self.assertIn(self.config_menu, self.root_menu.child_id)
        actions = [menu.action for menu in self.config_menu.child_id]
        self.assertTrue(actions)
        self.assertTrue(all(a._name == "ir.actions.act_window" for a in actions))
        admin = self.env.ref("base.user_admin")
        self.assertTrue(self._visible(admin, self.root_menu))
        self.assertTrue(self._visible(admin, self.config_menu))

    def test_employee_texts_but_does_not_configure(self):
        # Texting is given, not implied by being an employee (see the README's
        # roles): a plain employee neither texts nor configures.
        self.assertFalse(
            self.employee.has_group("text_messaging.group_text_messaging_user")
        )
        self.assertFalse(self._visible(self.employee, self.root_menu))
        texter = new_test_user(
            self.env,
            login="tm_texter",
            groups="base.group_user,text_messaging.group_text_messaging_user",
        )
        self.assertFalse(
            texter.has_group("text_messaging.group_text_messaging_manager")
        )
        self.assertTrue(self._visible(texter, self.root_menu))
        self.assertFalse(self._visible(texter, self.config_menu))

    def test_settings_page_has_the_app(self):
        action = self.env.ref("text_messaging.res_config_settings_action")
        self.assertEqual(
            action.context, "{'module': 'text_messaging', 'bin_size': False}"
        )
        arch = self.env["res.config.settings"].get_views([(False, "form")])["views"][
            "form"
        ]["arch"]
        self.assertIn('name="text_messaging"', arch)
        self.assertIn("text_messaging_builtin_gateway", arch)


@tagged("post_install", "-at_install")
class TestWebClient(HttpCase):
    def test_login_page_and_menus_over_http(self):
        login = self.url_open("/web/login")
        self.assertEqual(login.status_code, 200)
        self.assertIn("login", login.text)
        self.authenticate("admin", "admin")
        menus = self.url_open(compat.LOAD_MENUS_URL).json()
        names = {menu["name"] for menu in menus.values() if isinstance(menu, dict)}
        self.assertIn("Text Messaging", names)
