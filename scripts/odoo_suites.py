#!/usr/bin/env python3
"""Run Odoo's own SMS test suites once the whole registry is loaded.

    python3 scripts/odoo_suites.py OUTCOMES.json -c CONF -d DB --stop-after-init

``scripts/test.py`` calls it on a database where the modules of ``MODULES`` and
text_messaging are installed (the company on Odoo IAP). Odoo runs a module's
at_install tests while loading that module, before the modules that depend on
it (text_messaging among them) are loaded: their overrides would be missing.
Here every selected test, at_install and post_install alike, runs in Odoo's
post-install phase, with Odoo's own loader and runner, when every override is
active. Each test's outcome (passed, failed, skipped) goes to OUTCOMES.json.

``ALLOWED_DEVIATIONS`` is the one list of Odoo tests allowed to fail with the
addon installed, each with its reason.
"""

import json
import sys

# Odoo's LGPL modules whose tests this runs: the same on 18.0 and 19.0.
MODULES = [
    "sms",
    "test_mail_sms",
    "calendar_sms",
    "project_sms",
    "mass_mailing_sms",
    "phone_validation",
    "test_mass_mailing",
]

TEST_TAGS = [
    "/sms",
    "/test_mail_sms",
    "/calendar_sms",
    "/project_sms",
    "/mass_mailing_sms",
    "/phone_validation",
    # The SMS tests of test_mass_mailing (its mail tests do not concern us).
    "/test_mass_mailing:TestMassSMSInternals",
    "/test_mass_mailing:TestMassSMS",
    "/test_mass_mailing:TestSMSPost",
    "/test_mass_mailing:TestSmsController",
    "/test_mass_mailing:TestMailingStatistics.test_mailing_statistics_sms",
    "/test_mass_mailing:TestMailingStatistics.test_sent_delivered_sms",
    # Ours: calendar alarm, project stage and SMS marketing through a gateway
    # of ours; they need modules only this database has.
    "/text_messaging:TestStockSmsModules",
    # Skipped by Odoo itself unless sale_sms is installed, which is not one of
    # the modules above.
    "-/project_sms:TestProjectSharingWithSms"
    ".test_project_user_can_change_stage_with_sms_template",
]

_KEPT = (
    "Sent texts are kept as history until the retention period (DESIGN "
    "decision 4): this test asserts they are deleted (to_delete) after sending."
)
# Odoo test id -> why it may fail with text_messaging installed.
ALLOWED_DEVIATIONS = {
    f"odoo.addons.test_mail_sms.tests.{test}": _KEPT
    for test in (
        "test_sms_composer.TestSMSComposerComment.test_composer_comment_not_mail_thread",
        "test_sms_composer.TestSMSComposerComment.test_composer_numbers_no_model",
        "test_sms_sms.TestSMSPost.test_sms_send_delete_all",
        "test_sms_sms.TestSMSPost.test_sms_send_delete_default",
        "test_sms_sms.TestSMSPost.test_sms_send_delete_failed",
        "test_sms_sms.TestSMSPost.test_sms_send_delete_sent",
    )
}


# 19.0: sms_twilio (LGPL) is a dependency of test_mail_sms and
# test_mass_mailing there; its own tests run too.
MODULES_19 = ["sms_twilio"]
TEST_TAGS_19 = ["/sms_twilio"]


# 19.0: sms_twilio's composer tests assert the same deletion.
ALLOWED_DEVIATIONS_19 = {
    f"odoo.addons.sms_twilio.tests.test_sms_twilio.TestSmsTwilio.{test}": _KEPT
    for test in ("test_send_sms_composer_number", "test_send_sms_composer_partner")
}


def modules(series):
    """The modules to install for ``series``' suites."""
    return MODULES + (MODULES_19 if series != "18.0" else [])


def test_tags(series):
    """The --test-tags selecting ``series``' suites."""
    return TEST_TAGS + (TEST_TAGS_19 if series != "18.0" else [])


def allowed_deviations(series):
    """Odoo test id -> reason, for ``series``."""
    if series == "18.0":
        return dict(ALLOWED_DEVIATIONS)
    return {**ALLOWED_DEVIATIONS, **ALLOWED_DEVIATIONS_19}


def _test_id(test):
    """The id of the test method (a failing sub-test counts for its test)."""
    case = getattr(test, "test_case", None)
    return (case or test).id()


def _record_outcomes(outcomes):
    """Record each test's outcome from Odoo's result object, worst one kept."""
    from odoo.tests import result  # noqa: PLC0415

    rank = {"passed": 0, "skipped": 1, "failed": 2}
    odoo_result = result.OdooTestResult

    def record(test, outcome):
        test_id = _test_id(test)
        if rank[outcome] >= rank[outcomes.get(test_id, "passed")]:
            outcomes[test_id] = outcome

    def wrap(name, outcome):
        original = getattr(odoo_result, name)

        def method(self, test, *args):
            if not (outcome == "failed" and self._soft_fail):  # Odoo retries
                record(test, outcome)
            return original(self, test, *args)

        setattr(odoo_result, name, method)

    wrap("startTest", "passed")
    wrap("addFailure", "failed")
    wrap("addError", "failed")
    wrap("addSkip", "skipped")


def _run_all_after_loading():
    """at_install tests join the post-install phase instead of running while
    their module loads, with only part of the registry."""
    from odoo.tests import loader  # noqa: PLC0415

    make_suite = loader.make_suite

    def full_registry_suite(module_names, position="at_install"):
        if position == "at_install":
            return loader.OdooSuite([])
        return loader.OdooSuite(
            list(make_suite(module_names, "at_install"))
            + list(make_suite(module_names, "post_install"))
        )

    loader.make_suite = full_registry_suite


def main():
    outcomes_path, odoo_args = sys.argv[1], sys.argv[2:]
    import odoo.cli  # noqa: PLC0415
    from odoo import release  # noqa: PLC0415

    series = release.serie

    # --test-tags sets it too, once parsed; the test framework is imported
    # before, to hook into it.
    odoo.tools.config["test_enable"] = True
    outcomes = {}
    _record_outcomes(outcomes)
    _run_all_after_loading()
    sys.argv = [sys.argv[0], "server", f"--test-tags={','.join(test_tags(series))}"]
    sys.argv += odoo_args
    try:
        odoo.cli.main()
    finally:
        with open(outcomes_path, "w", encoding="utf-8") as file:
            json.dump(outcomes, file, indent=1, sort_keys=True)


if __name__ == "__main__":
    main()
