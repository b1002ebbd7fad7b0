from odoo import models

from ..tools import compat


class ResGroups(models.Model):
    _inherit = "res.groups"

    # Called from the addon's XML data (``<function>``), where 18.0 and 19.0 name
    # fields differently: each goes through tools/compat.py.

    def _text_messaging_set_up(self, category_id, admin_user_ids):
        """Put the groups ``self`` under the application ``category_id``; give
        the last group to the administrators ``admin_user_ids``; keep the groups
        out of what new users get."""
        category = self.env["ir.module.category"].browse(category_id)
        compat.set_up_groups(self.env, category, self)
        compat.link_users(self[-1:], self.env["res.users"].browse(admin_user_ids))
        compat.keep_out_of_new_users(self.env, self)

    def _text_messaging_link_users(self, user_ids):
        """Give ``self`` to the users ``user_ids`` (demo data)."""
        compat.link_users(self, self.env["res.users"].browse(user_ids))

    def _text_messaging_restrict_actions(self, action_ids):
        """Show the actions ``action_ids`` to the groups ``self`` only."""
        compat.restrict_actions(self.env["ir.actions.actions"].browse(action_ids), self)
