#!/usr/bin/env python3
"""Run every test of text_messaging against fresh databases, on Odoo 18.0 and 19.0.

    python3 scripts/test.py                    # everything, every series found
    TM_SERIES=19.0 python3 scripts/test.py     # one series
    python3 scripts/test.py -k twilio          # extra arguments go to pytest

TM_SERIES chooses the series: ``18.0``, ``19.0``, or ``all`` (default): 18.0
(installed like start.py when Odoo 18 is not importable, ODOO_SRC) and 19.0 when
its Python is found (ODOO19_PYTHON, else ~/.cache/text_messaging/venv-19.0). A
series asked for by name that cannot be found or installed fails. Each series
has its own databases and HTTP port: <TM_TEST_DB> and TM_TEST_PORT for 18.0,
<TM_TEST_DB>_19 and TM_TEST_PORT + 1 for 19.0.

Steps, per series, each counted in the final `N passed, N failed` line:
1. a fresh database with demo data and the addon installed, with no WARNING or ERROR
   in Odoo's log; then an upgrade (-u) with the same check;
2. the whole suite with pytest and pytest-odoo, HttpCase included (--odoo-http): ORM
   tests, controller tests and the plain pytest tests of the pure modules. A skipped
   test counts as a failure: nothing is skipped silently;
3. uninstalling the addon, with the same log check;
4. Odoo's own SMS suites (scripts/odoo_suites.py) in a second database,
   <database>_odoo, where their modules and the addon are installed without
   demo data and the company stays on Odoo IAP: each test counts, allowed
   deviations aside.
Installs Chromium (Debian's package) for the browser tours when no browser is
found; fails clearly when it cannot. Fails (exit 2) when PostgreSQL is missing,
saying what to do. Several series run at the same time, each in its own process
(TM_PARALLEL=0: one after the other). Environment: TM_SERIES, TM_TEST_DB (default
text_messaging_test), TM_TEST_PORT (HTTP port of the 18.0 test server, default
8169), so that several runs can share a machine. Prints one line per series,
then `total: N passed, N failed` over all of them.
"""

import dataclasses
import json
import os
import re
import shutil
import subprocess
import sys
import time
import xml.etree.ElementTree as ET

import devenv
import odoo_suites

TOTAL = re.compile(r"^total: (\d+) passed, (\d+) failed$", re.MULTILINE)
LOG_PROBLEM = re.compile(r"^\S+ \S+ \d+ (WARNING|ERROR|CRITICAL) ", re.MULTILINE)
# Uninstalls the addon the way the Apps menu does, then checks it is gone.
UNINSTALL_CODE = """
import sys
import odoo
from odoo.modules.registry import Registry
odoo.tools.config.parse_config(sys.argv[1:])
db = odoo.tools.config["db_name"]
db = db[0] if isinstance(db, list) else db  # a list on 19.0
with Registry(db).cursor() as cr:
    env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
    module = env["ir.module.module"].search([("name", "=", "text_messaging")])
    module.button_immediate_uninstall()
with Registry(db).cursor() as cr:
    cr.execute("SELECT state FROM ir_module_module WHERE name = 'text_messaging'")
    state = cr.fetchone()[0]
print("text_messaging state after uninstall:", state)
sys.exit(0 if state == "uninstalled" else 1)
"""

# Puts the company of Odoo's suites on Odoo IAP (demo data makes the sandbox
# its default gateway), then checks no company has a default gateway left.
SUITES_SETUP_CODE = """
import sys
import odoo
from odoo.modules.registry import Registry
odoo.tools.config.parse_config(sys.argv[1:])
db = odoo.tools.config["db_name"]
db = db[0] if isinstance(db, list) else db  # a list on 19.0
with Registry(db).cursor() as cr:
    env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
    env["sms.gateway"].with_context(active_test=False).search([]).is_default = False
    left = env["sms.gateway"].with_context(active_test=False).search_count(
        [("is_default", "=", True)]
    )
print("default gateways left:", left)
sys.exit(1 if left else 0)
"""


class Report:
    def __init__(self):
        self.passed = 0
        self.failed = 0
        self.lines = []

    def check(self, name, ok, detail=""):
        if ok:
            self.passed += 1
        else:
            self.failed += 1
        self.lines.append(f"{'PASSED' if ok else 'FAILED'} {name}{detail}")
        devenv.say(self.lines[-1])


@dataclasses.dataclass
class SeriesRun:
    """One series' run: its Python, configuration, database and file names."""

    series: str
    python: str
    config: object
    db: str
    report: Report

    @property
    def tag(self):
        """Suffix of this series' files in .odoo/ (none for 18.0, as before)."""
        return "" if self.series == "18.0" else f"-{self.series}"

    @property
    def logs(self):
        return devenv.STATE / f"logs{self.tag}"

    def odoo(self, *args):
        return devenv.odoo_command(self.config, *args, python=self.python)

    def script(self, name, code):
        """A command running ``code`` with this series' Python and config."""
        stem, suffix = name.rsplit(".", 1)
        path = devenv.STATE / f"{stem}{self.tag}.{suffix}"
        path.write_text(code)
        return [self.python, str(path), "-c", str(self.config), "-d", self.db]


def log_problems(path):
    if not path.is_file():
        return ["(no log written)"]
    return [line for line in path.read_text().splitlines() if LOG_PROBLEM.match(line)]


def odoo_step(run, name, command, *args):
    """Run an Odoo command with a log file: passes if it exits 0 and logs no
    WARNING, ERROR or CRITICAL line."""
    logfile = run.logs / f"{name}.log"
    logfile.parent.mkdir(parents=True, exist_ok=True)
    logfile.unlink(missing_ok=True)
    proc = devenv.run(command + [f"--logfile={logfile}", *args])
    problems = log_problems(logfile)
    for line in problems[:20]:
        print("    " + line)
    detail = (
        f" (exit {proc.returncode}, {len(problems)} warnings/errors, log {logfile})"
    )
    run.report.check(
        f"{run.series} {name}: Odoo log clean",
        proc.returncode == 0 and not problems,
        detail,
    )
    return proc.returncode == 0


def run_pytest(run, extra):
    report = run.report
    junit = devenv.STATE / f"pytest{run.tag}.xml"
    junit.unlink(missing_ok=True)
    tests = devenv.ADDON_LINK / "tests"
    proc = devenv.run(
        [run.python, "-m", "pytest", "-p", "no:cacheprovider", "-rfEs"]
        + [f"--rootdir={devenv.ADDON_LINK}", f"--junitxml={junit}"]
        + [f"--odoo-config={run.config}", f"--odoo-database={run.db}", "--odoo-http"]
        + [str(tests), f"--ignore={tests / 'test_stock_sms_modules.py'}"]
        + extra,
        cwd=devenv.STATE,
    )
    if not junit.is_file():
        report.check(
            f"{run.series} pytest: the suite ran", False, f" (exit {proc.returncode})"
        )
        return
    suites = ET.parse(junit).getroot()
    suites = [suites] if suites.tag == "testsuite" else list(suites)
    counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for suite in suites:
        for key in counts:
            counts[key] += int(suite.get(key, 0))
    bad = counts["failures"] + counts["errors"] + counts["skipped"]
    report.passed += counts["tests"] - bad
    report.failed += bad
    if counts["skipped"]:
        devenv.say(f"{counts['skipped']} skipped test(s) counted as failures")
    if counts["tests"] == 0:
        report.check(f"{run.series} pytest: at least one test collected", False)
    elif proc.returncode not in (0, 1):
        report.check(
            f"{run.series} pytest: exited normally", False, f" (exit {proc.returncode})"
        )


def run_odoo_suites(run):
    """Odoo's own SMS suites with the addon installed, on the company's IAP, in
    a database of their own: their test modules never enter the main one."""
    report, series = run.report, run.series
    suites_db = f"{run.db}_odoo"
    devenv.drop_database(suites_db)
    started = time.monotonic()
    odoo = run.odoo("-d", suites_db, "--stop-after-init")
    # Without demo data, as Odoo's own no-demo builds run these suites: ours
    # changes records their fixtures read (the admin's numbers, a blacklisted
    # number whose read Odoo's query counts do not expect).
    modules = ",".join([devenv.ADDON, *odoo_suites.modules(series)])
    proc = devenv.run(
        odoo
        + ["-i", modules, *devenv.demo_args(series, False)]
        + [f"--logfile={run.logs / 'suites-install.log'}"]
    )
    report.check(f"{series} odoo suites: modules installed", proc.returncode == 0)
    setup = run.script("suites_setup.py", SUITES_SETUP_CODE)
    setup[-1] = suites_db
    if proc.returncode or devenv.run(setup).returncode:
        report.check(f"{series} odoo suites: company on Odoo IAP", False)
        return
    installed = time.monotonic()
    outcomes_file = devenv.STATE / f"odoo-suites{run.tag}.json"
    outcomes_file.unlink(missing_ok=True)
    runner = devenv.ROOT / "scripts" / "odoo_suites.py"
    devenv.run(
        [run.python, str(runner), str(outcomes_file), "-c", str(run.config)]
        + ["-d", suites_db, "--stop-after-init"]
        + [f"--logfile={run.logs / 'suites.log'}"]
    )
    outcomes = json.loads(outcomes_file.read_text()) if outcomes_file.is_file() else {}
    report.check(
        f"{series} odoo suites: tests ran",
        bool(outcomes),
        f" (log {run.logs / 'suites.log'})",
    )
    deviations = odoo_suites.allowed_deviations(series)
    counts = {"passed": 0, "failed": 0, "deviations": 0}
    for test_id, outcome in sorted(outcomes.items()):
        reason = deviations.get(test_id)
        if outcome == "passed" and not reason:
            counts["passed"] += 1
        elif outcome == "failed" and reason:
            counts["deviations"] += 1
        else:
            counts["failed"] += 1
            note = "listed in the allowed deviations but " if reason else ""
            devenv.say(f"FAILED {series} odoo suites: {test_id} ({note}{outcome})")
    for test_id in sorted(set(deviations) - set(outcomes)):
        counts["failed"] += 1
        devenv.say(
            f"FAILED {series} odoo suites: {test_id} (listed deviation did not run)"
        )
    report.passed += counts["passed"] + counts["deviations"]
    report.failed += counts["failed"]
    tests_time = time.monotonic() - installed
    devenv.say(
        f"Odoo {series} SMS suites: {counts['passed']} passed, {counts['failed']} "
        f"failed, {counts['deviations']} allowed deviations (scripts/odoo_suites.py); "
        f"install {installed - started:.0f} s, tests {tests_time:.0f} s"
    )


def ensure_chromium(report):
    """The tours (tests/test_tours.py) run in headless Chromium: install Debian's
    package when no browser is found, and fail clearly when that is impossible."""
    browsers = ("google-chrome", "chromium", "chromium-browser", "google-chrome-stable")
    if any(shutil.which(name) for name in browsers):
        return True
    if shutil.which("apt-get") and os.geteuid() == 0:
        devenv.say("Chromium is missing (needed by the browser tours): installing it")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        if devenv.run(["apt-get", "update", "-q"], env=env).returncode == 0:
            devenv.run(["apt-get", "install", "-y", "-q", "chromium"], env=env)
    found = any(shutil.which(name) for name in browsers)
    report.check(
        "Chromium for the browser tours",
        found,
        ""
        if found
        else " (not found and could not be installed: run `apt-get install chromium` "
        "as root, or install Google Chrome)",
    )
    return found


def run_series(series, explicit, base_db, base_port, extra):
    """Every step of one series; returns its Report."""
    report = Report()
    started = time.monotonic()
    try:
        # A series asked for by name is installed when missing (18.0 always is).
        python, package_dir = devenv.find_series(
            series, allow_install=explicit or series == "18.0"
        )
    except devenv.SetupError as error:
        print(f"error: {error}", file=sys.stderr)
        report.check(f"{series}: Odoo {series} found", False)
        return report
    python = str(python)
    devenv.install_python_requirements(
        "requirements.txt", "test-requirements.txt", python=python
    )
    offset = devenv.SERIES.index(series)
    db = base_db if offset == 0 else f"{base_db}_{series.split('.')[0]}"
    config = devenv.write_config(
        "test" + ("" if offset == 0 else f"-{series}"),
        package_dir,
        db_name=db,
        http_port=base_port + offset,
        http_interface="127.0.0.1",
    )
    run = SeriesRun(series, python, config, db, report)
    devenv.drop_database(db)
    odoo = run.odoo("-d", db, "--stop-after-init")
    demo = devenv.demo_args(series, True)
    if odoo_step(run, "install", odoo, "-i", devenv.ADDON, *demo):
        odoo_step(run, "upgrade", odoo, "-u", devenv.ADDON)
        run_pytest(run, extra)
        odoo_step(run, "uninstall", run.script("uninstall.py", UNINSTALL_CODE))
        if not extra:  # a selection (-k ...) is for quick iterations
            run_odoo_suites(run)
    devenv.say(f"series {series} took {time.monotonic() - started:.0f} s")
    return report


def run_children(series_list, db, port):
    """Each series in its own process, at the same time: their databases,
    ports and files differ. Returns {series: (passed, failed)} and prints each
    child's output once it is done."""
    children = {}
    devenv.STATE.mkdir(exist_ok=True)  # a fresh clone has none yet
    for series in series_list:
        out = devenv.STATE / f"test-{series}.out"
        env = {**os.environ, "TM_SERIES": series, "TM_TEST_DB": db}
        env["TM_TEST_PORT"] = str(port)
        with open(out, "w", encoding="utf-8") as file:
            children[series] = (
                subprocess.Popen(
                    [sys.executable, __file__, *sys.argv[1:]],
                    env=env,
                    stdout=file,
                    stderr=subprocess.STDOUT,
                ),
                out,
            )
        devenv.say(f"series {series} started, output in {out}")
    results = {}
    for series, (proc, out) in children.items():
        proc.wait()
        text = out.read_text(encoding="utf-8", errors="replace")
        print(text, flush=True)
        found = TOTAL.findall(text)
        results[series] = (int(found[-1][0]), int(found[-1][1])) if found else (0, 1)
    return results


def main():
    db = os.environ.get("TM_TEST_DB", "text_messaging_test")
    port = int(os.environ.get("TM_TEST_PORT", "8169"))
    try:
        series_list, explicit = devenv.selected_series(os.environ.get("TM_SERIES"))
        devenv.ensure_postgres(start=True)
    except devenv.SetupError as error:
        print(f"error: {error}", file=sys.stderr)
        print("total: 0 passed, 1 failed")
        return 2
    devenv.link_addon()
    devenv.say(f"series: {', '.join(series_list)}")
    if len(series_list) > 1 and os.environ.get("TM_PARALLEL", "1") != "0":
        chromium = Report()  # once, before the series share it
        if not ensure_chromium(chromium):
            results = {"chromium": (0, 1)}
        else:
            results = run_children(series_list, db, port)
    else:
        results = {}
        chromium = Report()
        ensure_chromium(chromium)
        for series in series_list:
            report = run_series(series, explicit, db, port, sys.argv[1:])
            report.passed += chromium.passed
            report.failed += chromium.failed
            print()
            for line in chromium.lines + report.lines:
                print(line)
            results[series] = (report.passed, report.failed)
    print()
    for series, (passed, failed) in results.items():
        print(f"{series}: {passed} passed, {failed} failed")
    passed = sum(passed for passed, _failed in results.values())
    failed = sum(failed for _passed, failed in results.values())
    print(f"total: {passed} passed, {failed} failed")
    return 0 if failed == 0 and passed else 1


if __name__ == "__main__":
    sys.exit(main())
