"""What differs between Odoo 18.0 and 19.0, in one place.

The addon runs on both series from one tree. Code elsewhere uses the subset the
two series share; where they differ, it asks this module instead of testing the
version itself. Unlike the rest of ``tools/``, this module imports Odoo (it is
never imported by the pure modules); ``tools/__init__.py`` does not import it.

When 18.0 support ends, each name here becomes its 19.0 value and the module
can go (see the README, "Odoo 20.0: what it will need").
"""

import threading

from odoo import models, release
from odoo.fields import Command
from odoo.modules import module as odoo_module
from odoo.tools import config, sql

SERIES = release.version_info[0]

# res.partner: 19.0 removed ``mobile`` (odoo/odoo#189739): the number texts go
# to comes from ``phone`` alone there. Listed in the default priority order.
PARTNER_NUMBER_FIELDS = ("mobile", "phone") if SERIES < 19 else ("phone",)

# Many2many renames of 19.0: res.users.groups_id -> group_ids,
# res.groups.users -> user_ids, ir.actions.*.groups_id -> group_ids.
USER_GROUPS = "groups_id" if SERIES < 19 else "group_ids"
GROUP_USERS = "users" if SERIES < 19 else "user_ids"
ACTION_GROUPS = "groups_id" if SERIES < 19 else "group_ids"


# The web client's menus: 18.0 serves them under a cache-busting key and gives
# each menu its action as "model,id"; 19.0 has one URL and two keys.
LOAD_MENUS_URL = (
    "/web/webclient/load_menus/test" if SERIES < 19 else "/web/webclient/load_menus"
)


def menu_action(menu):
    """The action of a menu as the web client loads it, as "model,id"."""
    if "action" in menu:
        return menu["action"]
    return menu["action_model"] and f"{menu['action_model']},{menu['action_id']}"


def is_testing():
    """Whether this thread runs inside Odoo's tests, where commits are refused.

    18.0 (and pytest-odoo on both series) marks the thread (``testing``); 19.0's
    own test runner no longer does and sets ``odoo.modules.module.current_test``
    instead, in the main thread that runs the tests. Threads a test starts
    itself (concurrent dispatchers) are not testing: they commit, as cron
    workers do."""
    thread = threading.current_thread()
    if getattr(thread, "testing", False):
        return True
    return bool(odoo_module.current_test) and thread is threading.main_thread()


def notify_progress(env, done, remaining):
    """Report a cron batch's progress; the cron runner calls again at once
    while some remain. 18.0: ``ir.cron._notify_progress``. 19.0 deprecates it
    for ``_commit_progress``, which commits, and outside a cron run (a direct
    call, a test) commits only: there, as 18.0 does, nothing is reported. The
    runner of 19.0 opens a progress record per call, so the count added is the
    count of this batch, less what the call already wrote on its progress
    record (the dispatcher does as each slice's results are stored): 18.0 sets
    the count, 19.0 adds to it."""
    if SERIES < 19:
        env["ir.cron"]._notify_progress(done=done, remaining=remaining)
        return
    progress_id = env.context.get("ir_cron_progress_id")
    if progress_id:
        recorded = env["ir.cron.progress"].sudo().browse(progress_id).done
        env["ir.cron"]._commit_progress(max(done - recorded, 0), remaining=remaining)


def config_file():
    """The configuration file Odoo was started with (``config.rcfile`` on
    18.0, deprecated on 19.0 for ``config["config"]``)."""
    if SERIES < 19:
        return config.rcfile
    return config["config"]


def sms_send_commit_options(commit):
    """Options of ``sms.sms.send()`` to commit after each batch: 18.0 has
    ``auto_commit``; 19.0 removed it (the dispatcher commits itself anyway,
    around each provider request)."""
    return {"auto_commit": commit} if SERIES < 19 else {}


def config_db_name():
    """The database of the command line: a name on 18.0, a list on 19.0."""
    name = config["db_name"]
    return name[0] if isinstance(name, list | tuple) else name


def sql_constraints(namespace, constraints):
    """Declare SQL constraints in a model's class body, on either series:

        sql_constraints(locals(), [("name_unique", "UNIQUE(name)", "message")])

    18.0 reads the list ``_sql_constraints``; 19.0 warns about it and wants one
    ``models.Constraint`` attribute per constraint, named ``_<name>``. Both give
    the database constraint the same name, ``<table>_<name>``, so a database
    moved from 18.0 to 19.0 keeps its constraints.
    """
    if SERIES < 19:
        namespace["_sql_constraints"] = list(constraints)
        return
    for name, definition, message in constraints:
        namespace[f"_{name}"] = models.Constraint(definition, message)


def create_unique_index(cr, name, table, expressions):
    """``create_unique_index`` of 18.0, deprecated in 19.0 for
    ``create_index(unique=True)``, which 18.0 does not have."""
    if SERIES < 19:
        return sql.create_unique_index(cr, name, table, expressions)
    return sql.create_index(cr, name, table, expressions, unique=True)


def set_up_groups(env, category, groups):
    """Put the addon's groups under its application.

    18.0: ``res.groups.category_id`` is the ``ir.module.category``. 19.0: a group
    belongs to a privilege (``res.groups.privilege``), which belongs to the
    category; the privilege is created here, with an xml id of the addon so that
    uninstalling removes it.
    """
    if SERIES < 19:
        groups.write({"category_id": category.id})
        return
    privilege = env["res.groups.privilege"]._load_records(
        [
            {
                "xml_id": "text_messaging.res_groups_privilege_text_messaging",
                "values": {
                    "name": category.name,
                    "description": category.description,
                    "sequence": category.sequence,
                    "category_id": category.id,
                },
                "noupdate": False,
            }
        ],
        update=True,
    )
    groups.write({"privilege_id": privilege.id})


def keep_out_of_new_users(env, groups):
    """New users do not get ``groups``: 18.0 copies the groups of the default
    user template (``base.default_user``); 19.0 has no template and adds what
    ``base.default_user_group`` implies."""
    if SERIES < 19:
        template = env.ref("base.default_user").with_context(active_test=False)
        unlink_users(groups, template)
        return
    default_group = env.ref("base.default_user_group", raise_if_not_found=False)
    if default_group:
        default_group.write(
            {"implied_ids": [Command.unlink(group.id) for group in groups]}
        )


def link_users(groups, users):
    """Add ``users`` to ``groups`` (the field's name differs)."""
    groups.write({GROUP_USERS: [Command.link(user.id) for user in users]})


def unlink_users(groups, users):
    """Remove ``users`` from ``groups``."""
    groups.write({GROUP_USERS: [Command.unlink(user.id) for user in users]})


def restrict_actions(actions, groups):
    """Show ``actions`` (``ir.actions.*`` records of any type) to ``groups``
    only."""
    for action in actions:
        concrete = action.env[action.type].browse(action.id)
        concrete.write({ACTION_GROUPS: [Command.set(groups.ids)]})


def action_groups(action):
    """The groups an action is restricted to."""
    return action[ACTION_GROUPS]
