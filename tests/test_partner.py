from datetime import datetime
from unittest.mock import patch

from freezegun import freeze_time

from odoo.exceptions import AccessError
from odoo.tests import TransactionCase, new_test_user, tagged

from ..tools import compat

# Checked with phonenumbers: valid, possible but not valid (area code 555 is not
# assigned), and impossible (too short).
US_VALID = "+1 201 555 0123"
US_VALID_E164 = "+12015550123"
US_VALID_2 = "+1 201 555 0187"
US_VALID_2_E164 = "+12015550187"
UK_VALID = "+44 7400 123456"
UK_VALID_E164 = "+447400123456"
UK_LOCAL = "07400 123456"
US_POSSIBLE = "+1 555 555 0123"
US_POSSIBLE_E164 = "+15555550123"
US_IMPOSSIBLE = "+1 201 555 012"


@tagged("post_install", "-at_install")
class TestPartnerTextNumber(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.us = cls.env.ref("base.us")
        cls.uk = cls.env.ref("base.uk")
        cls.env.company.country_id = cls.us
        cls.params = cls.env["ir.config_parameter"].sudo()
        cls.params.set_param("text_messaging.number_priority", "mobile")
        cls.Partner = cls.env["res.partner"]

    def _set_priority(self, priority):
        settings = self.env["res.config.settings"].create(
            {"text_messaging_number_priority": priority}
        )
        settings.set_values()

    def test_phone_only_on_series_without_mobile(self):
        """19.0 has no mobile: the text number is the phone, and the setting
        choosing between two numbers is hidden. 18.0 has both fields and shows
        the setting (the tests below check the choice)."""
        settings = self.env["res.config.settings"].create({})
        has_mobile = "mobile" in self.Partner._fields
        self.assertEqual(has_mobile, "mobile" in compat.PARTNER_NUMBER_FIELDS)
        self.assertEqual(settings.text_messaging_number_choice, has_mobile)
        partner = self.Partner.create({"name": "Phone", "phone": US_VALID})
        self.assertRecordValues(
            partner, [{"text_number": US_VALID_E164, "text_number_validity": "valid"}]
        )
        for priority in ("phone", "mobile"):
            self._set_priority(priority)
            self.assertEqual(partner.text_number, US_VALID_E164)
        partner.phone = US_IMPOSSIBLE
        self.assertEqual(partner.text_number_validity, "invalid")

    def _require_mobile(self):
        """The tests of the mobile/phone choice, where the series has both."""
        if "mobile" not in compat.PARTNER_NUMBER_FIELDS:
            # 19.0: test_phone_only_on_series_without_mobile checks the series.
            self.assertNotIn("mobile", self.Partner._fields)
            return False
        return True

    def test_mobile_first_by_default(self):
        if not self._require_mobile():
            return
        partner = self.Partner.create(
            {"name": "Both", "mobile": US_VALID, "phone": UK_VALID}
        )
        self.assertRecordValues(
            partner, [{"text_number": US_VALID_E164, "text_number_validity": "valid"}]
        )
        partner.mobile = False
        self.assertEqual(partner.text_number, UK_VALID_E164)
        partner.phone = False
        self.assertRecordValues(
            partner, [{"text_number": False, "text_number_validity": "missing"}]
        )

    def test_switching_priority_recomputes_partners(self):
        if not self._require_mobile():
            return
        both, mobile_only, phone_only = self.Partner.create(
            [
                {"name": "Both", "mobile": US_VALID, "phone": UK_VALID},
                {"name": "Mobile", "mobile": US_VALID_2},
                {"name": "Phone", "phone": UK_VALID},
            ]
        )
        archived = self.Partner.create(
            {"name": "Archived", "mobile": US_VALID, "phone": UK_VALID, "active": False}
        )
        self.env.flush_all()
        self.assertEqual(
            self.env["res.config.settings"].create({}).text_messaging_number_priority,
            "mobile",
        )

        self._set_priority("phone")
        self.assertEqual(
            self.params.get_param("text_messaging.number_priority"), "phone"
        )
        self.assertEqual(both.text_number, UK_VALID_E164)
        self.assertEqual(archived.text_number, UK_VALID_E164)
        self.assertEqual(mobile_only.text_number, US_VALID_2_E164)
        self.assertEqual(phone_only.text_number, UK_VALID_E164)
        # Stored, not only in the cache.
        self.env.invalidate_all()
        self.assertEqual(
            self.Partner.search([("text_number", "=", UK_VALID_E164)]) & both, both
        )
        # New partners follow the setting too.
        new = self.Partner.create(
            {"name": "New", "mobile": US_VALID, "phone": UK_VALID}
        )
        self.assertEqual(new.text_number, UK_VALID_E164)

        self._set_priority("mobile")
        self.assertEqual(
            (both | new | archived).mapped("text_number"), [US_VALID_E164] * 3
        )

    def test_unchanged_priority_recomputes_nothing(self):
        with patch.object(
            self.registry["res.partner"], "_text_number_recompute", autospec=True
        ) as recompute:
            self._set_priority("mobile")
        recompute.assert_not_called()

    def test_invalid_first_number_falls_back_to_the_other(self):
        if not self._require_mobile():
            return
        partner = self.Partner.create(
            {"name": "Fallback", "mobile": US_IMPOSSIBLE, "phone": US_VALID}
        )
        self.assertRecordValues(
            partner, [{"text_number": US_VALID_E164, "text_number_validity": "valid"}]
        )
        partner.phone = US_POSSIBLE
        self.assertRecordValues(
            partner,
            [{"text_number": US_POSSIBLE_E164, "text_number_validity": "possible"}],
        )

    def test_local_numbers_use_partner_country_then_company(self):
        in_uk = self.Partner.create(
            {"name": "UK", "phone": UK_LOCAL, "country_id": self.uk.id}
        )
        in_us = self.Partner.create(
            {"name": "US", "phone": "(201) 555-0123", "country_id": self.us.id}
        )
        nowhere = self.Partner.create({"name": "Nowhere", "phone": "201.555.0123"})
        self.assertEqual(in_uk.text_number, UK_VALID_E164)
        self.assertEqual(in_us.text_number, US_VALID_E164)
        # No country on the partner: the company's (United States).
        self.assertEqual(nowhere.text_number, US_VALID_E164)

        # A British number read in the United States is not a number.
        local_uk = self.Partner.create({"name": "Local", "phone": UK_LOCAL})
        self.assertRecordValues(
            local_uk, [{"text_number": UK_LOCAL, "text_number_validity": "invalid"}]
        )
        local_uk.country_id = self.uk
        self.assertRecordValues(
            local_uk,
            [{"text_number": UK_VALID_E164, "text_number_validity": "valid"}],
        )

    def test_local_numbers_with_a_british_company(self):
        self.env.company.country_id = self.uk
        partner = self.Partner.create({"name": "Company country", "phone": UK_LOCAL})
        self.assertRecordValues(
            partner, [{"text_number": UK_VALID_E164, "text_number_validity": "valid"}]
        )

    def test_validity(self):
        valid, possible, invalid, junk, missing = self.Partner.create(
            [
                {"name": "Valid", "phone": US_VALID},
                {"name": "Possible", "phone": US_POSSIBLE},
                {"name": "Invalid", "phone": US_IMPOSSIBLE},
                {"name": "Junk", "phone": "call me"},
                {"name": "Missing"},
            ]
        )
        self.assertRecordValues(
            valid | possible | invalid | junk | missing,
            [
                {"text_number": US_VALID_E164, "text_number_validity": "valid"},
                {"text_number": US_POSSIBLE_E164, "text_number_validity": "possible"},
                {"text_number": US_IMPOSSIBLE, "text_number_validity": "invalid"},
                {"text_number": "call me", "text_number_validity": "invalid"},
                {"text_number": False, "text_number_validity": "missing"},
            ],
        )
        not_valid = self.Partner.search(
            [("text_number_validity", "in", ("possible", "invalid"))]
        )
        self.assertEqual(
            not_valid & (valid | possible | invalid | junk | missing),
            possible | invalid | junk,
        )


@tagged("post_install", "-at_install")
class TestPartnerTextReminders(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.company.country_id = cls.env.ref("base.us")
        cls.Partner = cls.env["res.partner"]
        cls.employee = new_test_user(
            cls.env,
            login="tm_partner_employee",
            groups="base.group_user,base.group_partner_manager,"
            "text_messaging.group_text_messaging_user",
        )
        cls.portal = new_test_user(
            cls.env, login="tm_partner_portal", groups="base.group_portal"
        )
        cls.allow = cls.env.ref(
            "text_messaging.res_partner_action_text_reminders_allow"
        )
        cls.withdraw = cls.env.ref(
            "text_messaging.res_partner_action_text_reminders_withdraw"
        )

    def test_views_for_an_employee(self):
        views = self.Partner.with_user(self.employee).get_views(
            [(False, "form"), (False, "list"), (False, "search")]
        )["views"]
        form, search = views["form"]["arch"], views["search"]["arch"]
        for name in (
            'name="text_messaging"',
            'name="text_number_validity"',
            'name="text_reminders_source"',
            'name="text_opted_out"',
            'name="action_view_text_messages"',
        ):
            self.assertIn(name, form)
        self.assertIn('name="text_number"', views["list"]["arch"])
        for name in ("text_reminders_allowed", "text_opted_out", "text_number_invalid"):
            self.assertIn(f'name="{name}"', search)
        settings = self.env["res.config.settings"].get_views([(False, "form")])
        self.assertIn(
            'name="text_messaging_number_priority"',
            settings["views"]["form"]["arch"],
        )

    @freeze_time("2025-03-01 10:00:00")
    def test_permission_date_user_source(self):
        partner = self.Partner.with_user(self.employee).create(
            {
                "name": "Consenting",
                "phone": US_VALID,
                "text_reminders_allowed": True,
                "text_reminders_source": "written_form",
            }
        )
        self.assertRecordValues(
            partner,
            [
                {
                    "text_reminders_allowed": True,
                    "text_reminders_date": datetime(2025, 3, 1, 10, 0),
                    "text_reminders_source": "written_form",
                    "text_reminders_user_id": self.employee.id,
                }
            ],
        )
        # Tracking starts once the creating transaction ends.
        self.env.flush_all()
        self.env.cr.precommit.run()
        # Granting again keeps when and by whom it was first given.
        with freeze_time("2025-03-02 10:00:00"):
            partner.write({"text_reminders_allowed": True})
        self.assertEqual(partner.text_reminders_date, datetime(2025, 3, 1, 10, 0))
        self.assertEqual(partner.text_reminders_user_id, self.employee)

        partner.write({"text_reminders_allowed": False})
        self.assertRecordValues(
            partner,
            [
                {
                    "text_reminders_allowed": False,
                    "text_reminders_date": False,
                    "text_reminders_source": False,
                    "text_reminders_user_id": False,
                }
            ],
        )
        # Tracked in the chatter (tracking values are written before commit).
        self.env.flush_all()
        self.env.cr.precommit.run()
        tracked = self.env["mail.tracking.value"].search(
            [
                ("mail_message_id.model", "=", "res.partner"),
                ("mail_message_id.res_id", "=", partner.id),
                ("field_id.name", "=", "text_reminders_allowed"),
            ]
        )
        self.assertEqual(tracked.mapped("old_value_integer"), [1])

        admin = self.env.ref("base.user_admin")
        with freeze_time("2025-03-05 08:30:00"):
            partner.with_user(admin).write(
                {"text_reminders_allowed": True, "text_reminders_source": "text_reply"}
            )
        self.assertRecordValues(
            partner,
            [
                {
                    "text_reminders_date": datetime(2025, 3, 5, 8, 30),
                    "text_reminders_source": "text_reply",
                    "text_reminders_user_id": admin.id,
                }
            ],
        )

    def test_permission_given_date_is_kept_and_not_copied(self):
        given = datetime(2024, 12, 24, 9, 0)
        partner = self.Partner.create(
            {
                "name": "Earlier",
                "text_reminders_allowed": True,
                "text_reminders_date": given,
                "text_reminders_source": "in_person",
            }
        )
        self.assertEqual(partner.text_reminders_date, given)
        copy = partner.copy()
        self.assertRecordValues(
            copy,
            [{"text_reminders_allowed": False, "text_reminders_date": False}],
        )

    def test_permission_source_on_import(self):
        partner = self.Partner.with_context(import_file=True).create(
            {"name": "Imported", "text_reminders_allowed": True}
        )
        self.assertEqual(partner.text_reminders_source, "import")

    def test_list_actions_on_several_partners(self):
        old_date = datetime(2024, 1, 1)
        partners = self.Partner.create(
            [{"name": f"Client {i}", "phone": US_VALID} for i in range(3)]
        )
        partners[0].write(
            {"text_reminders_allowed": True, "text_reminders_date": old_date}
        )
        for action in (self.allow, self.withdraw):
            self.assertEqual(action.binding_model_id.model, "res.partner")
            self.assertEqual(action.binding_view_types, "list")

        write = self.registry["res.partner"].write
        with patch.object(
            self.registry["res.partner"], "write", autospec=True, side_effect=write
        ) as spy:
            result = (
                self.allow.with_user(self.employee)
                .with_context(active_model="res.partner", active_ids=partners.ids)
                .run()
            )
        self.assertEqual(spy.call_count, 1, "one write for all the partners")
        self.assertEqual(result["tag"], "display_notification")
        self.assertTrue(all(partners.mapped("text_reminders_allowed")))
        self.assertEqual(partners[0].text_reminders_date, old_date)
        self.assertEqual(partners[1:].text_reminders_user_id, self.employee)
        self.assertTrue(all(partners[1:].mapped("text_reminders_date")))
        self.assertEqual(
            self.Partner.search_count(
                [("id", "in", partners.ids), ("text_reminders_allowed", "=", True)]
            ),
            3,
        )

        with patch.object(
            self.registry["res.partner"], "write", autospec=True, side_effect=write
        ) as spy:
            self.withdraw.with_user(self.employee).with_context(
                active_model="res.partner", active_ids=partners.ids
            ).run()
        self.assertEqual(spy.call_count, 1, "one write for all the partners")
        self.assertRecordValues(
            partners,
            [
                {
                    "text_reminders_allowed": False,
                    "text_reminders_date": False,
                    "text_reminders_user_id": False,
                }
            ]
            * 3,
        )

    def test_list_actions_need_the_text_messaging_group(self):
        partners = self.Partner.create(
            [{"name": f"Client {i}", "phone": US_VALID} for i in range(2)]
        )
        text_user_group = self.env.ref("text_messaging.group_text_messaging_user")
        self.assertEqual(compat.action_groups(self.allow), text_user_group)
        self.assertEqual(compat.action_groups(self.withdraw), text_user_group)
        # An internal user who may edit contacts, without the texting group.
        outsider = new_test_user(
            self.env,
            login="tm_partner_outsider",
            groups="base.group_user,base.group_partner_manager",
        )
        self.assertFalse(outsider.has_group("text_messaging.group_text_messaging_user"))

        for user in (outsider, self.portal):
            for action in (self.allow, self.withdraw):
                with self.assertRaises(AccessError):
                    action.with_user(user).with_context(
                        active_model="res.partner", active_ids=partners.ids
                    ).run()
            with self.assertRaises(AccessError):
                partners.with_user(user).action_text_reminders_allow()
            with self.assertRaises(AccessError):
                partners.with_user(user).action_text_reminders_withdraw()
        self.assertFalse(any(partners.mapped("text_reminders_allowed")))
        # The outsider still edits the contact itself.
        partners[0].with_user(outsider).name = "Renamed"


@tagged("post_install", "-at_install")
class TestPartnerOptOutAndHistory(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.company.country_id = cls.env.ref("base.us")
        cls.Partner = cls.env["res.partner"]
        cls.Blacklist = cls.env["phone.blacklist"]
        cls.client, cls.other, cls.no_number = cls.Partner.create(
            [
                {"name": "Stopper", "phone": US_VALID},
                {"name": "Other", "phone": US_VALID_2},
                {"name": "No number"},
            ]
        )
        cls.partners = cls.client | cls.other | cls.no_number

    def _opted_out(self, value=True, operator="="):
        return self.Partner.search(
            [("id", "in", self.partners.ids), ("text_opted_out", operator, value)]
        )

    def test_opted_out_computed_and_searchable(self):
        self.assertFalse(any(self.partners.mapped("text_opted_out")))
        self.assertFalse(self._opted_out())
        self.assertEqual(self._opted_out(False), self.partners)

        self.Blacklist.add("(201) 555-0123")
        self.partners.invalidate_recordset(["text_opted_out"])
        self.assertEqual(self.partners.mapped("text_opted_out"), [True, False, False])
        self.assertEqual(self._opted_out(), self.client)
        self.assertEqual(self._opted_out(False, "!="), self.client)
        self.assertEqual(self._opted_out(False), self.other | self.no_number)
        self.assertEqual(self._opted_out(True, "!="), self.other | self.no_number)

        self.Blacklist.remove(US_VALID)
        self.partners.invalidate_recordset(["text_opted_out"])
        self.assertFalse(self.client.text_opted_out)
        self.assertFalse(self._opted_out())
        self.assertEqual(self._opted_out(False), self.partners)

    def test_opted_out_follows_the_text_number(self):
        self.Blacklist.add(US_VALID_2)
        self.client.phone = US_VALID_2
        self.assertTrue(self.client.text_opted_out)
        self.assertEqual(self._opted_out(), self.client | self.other)

    def test_text_message_count_and_history(self):
        self.env["sms.sms"].create(
            [
                {
                    "number": US_VALID_E164,
                    "body": f"Hello {i}",
                    "state": "sent",
                    "partner_id": self.client.id,
                }
                for i in range(3)
            ]
            + [
                {
                    "number": US_VALID_2_E164,
                    "body": "Hi",
                    "state": "error",
                    "partner_id": self.other.id,
                }
            ]
        )
        self.env.invalidate_all()
        partners = self.partners.browse(self.partners.ids)
        partners.mapped("name")
        with self.assertQueryCount(1):
            counts = partners.mapped("text_message_count")
        self.assertEqual(counts, [3, 1, 0])

        action = self.client.action_view_text_messages()
        self.assertEqual(action["res_model"], "sms.sms")
        self.assertEqual(
            self.env["sms.sms"].search(action["domain"]).partner_id, self.client
        )
        self.assertEqual(self.env["sms.sms"].search_count(action["domain"]), 3)
