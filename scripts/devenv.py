"""Shared helpers for the development scripts (start.py, test.py).

Everything a script needs to run Odoo 18.0 or 19.0 with this addon: find (or
install) Odoo, make sure PostgreSQL answers, expose the checkout as
``text_messaging`` in a generated addons folder, and write an Odoo configuration
file. Standard library only, so it runs before any dependency is installed.

Series: 18.0 runs in the Python running the script (``python3``); 19.0 in its own
virtual environment, ``ODOO19_PYTHON`` or ``~/.cache/text_messaging/venv-19.0``,
which ``find_series("19.0", allow_install=True)`` creates from ``ODOO19_SRC`` or a
clone of the official 19.0 source.
"""

import getpass
import hashlib
import importlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ADDON = "text_messaging"
ROOT = Path(__file__).resolve().parent.parent
STATE = ROOT / ".odoo"  # generated, git-ignored
# The addons folder that exposes this checkout as "text_messaging". It lives
# outside the checkout: a link inside it pointing back to it would be a loop for
# every tool that walks the addon following links (Odoo's translation export).
_CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
ADDONS_DIR = (
    _CACHE / ADDON / f"addons-{hashlib.sha1(str(ROOT).encode()).hexdigest()[:12]}"
)
ADDON_LINK = ADDONS_DIR / ADDON
ODOO_GIT_URL = "https://github.com/odoo/odoo.git"
SERIES = ("18.0", "19.0")
# Series -> (environment variable naming its source tree, naming its python).
SERIES_ENV = {"18.0": ("ODOO_SRC", None), "19.0": ("ODOO19_SRC", "ODOO19_PYTHON")}
# Building Odoo 18's pinned requirements needs setuptools<80 (pkg_resources);
# the prefork server's websocket process needs >=77: gevent's plugins are found
# through pkg_resources, which in older releases misses zope.interface's
# dist-info (DistributionNotFound, the process respawned in a loop).
BUILD_CONSTRAINT = "setuptools>=77,<80\n"
# A PostgreSQL that is starting (a machine just booted) is waited for this long.
PG_WAIT_SECONDS = 90


class SetupError(Exception):
    """A problem the user must fix; the message says how."""


def say(message):
    print(f"[{ADDON}] {message}", flush=True)


def run(cmd, **kwargs):
    """Run a command, echoing it; return the CompletedProcess."""
    say("$ " + " ".join(str(part) for part in cmd))
    return subprocess.run(cmd, check=False, **kwargs)


def pip_install(*args, quiet=True, python=None):
    cmd = [python or sys.executable, "-m", "pip", "install"]
    cmd.append("--disable-pip-version-check")
    if quiet:
        cmd.append("-q")
    env = dict(os.environ)
    constraint = STATE / "build-constraints.txt"
    STATE.mkdir(exist_ok=True)
    constraint.write_text(BUILD_CONSTRAINT)
    env.setdefault("PIP_CONSTRAINT", str(constraint))
    return run(cmd + list(args), env=env).returncode == 0


def install_python_requirements(*files, python=None):
    """Install the addon's (and optionally the tests') Python dependencies."""
    args = []
    for name in files:
        args += ["-r", str(ROOT / name)]
    if not pip_install(*args, python=python):
        say("warning: pip could not install " + ", ".join(files) + "; continuing")


# ---------------------------------------------------------------- Odoo ----


def series_python(series):
    """The Python that runs ``series``: 18.0 the one running this script, 19.0
    ``ODOO19_PYTHON`` or the default virtual environment."""
    variable = SERIES_ENV[series][1]
    if not variable:
        return Path(sys.executable)
    if os.environ.get(variable):
        return Path(os.environ[variable]).expanduser()
    return _CACHE / ADDON / f"venv-{series}" / "bin" / "python"


def probe_odoo(python=None):
    """Return (major version, package dir) of the Odoo ``python`` imports, or
    None. ``odoo.__path__``: on 19.0 ``odoo`` is a namespace package, whose
    ``__file__`` is None."""
    code = (
        "import odoo, odoo.release as r; "
        "print(r.version_info[0]); print(odoo.__path__[0])"
    )
    python = python or sys.executable
    if not Path(python).exists():
        return None
    proc = subprocess.run(
        [str(python), "-c", code], capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        return None
    major, path = proc.stdout.split()[-2:]
    return int(major), Path(path)


def odoo_requirements(text):
    """Odoo's requirements.txt, adapted to a plain machine: python-ldap (only for
    auth_ldap, needs LDAP headers) is skipped, and psycopg2, which compiles against
    libpq headers, becomes psycopg2-binary at the same version (a wheel)."""
    wanted = []
    for line in text.splitlines():
        name = line.split("==")[0].split(";")[0].strip().lower()
        if name == "python-ldap":
            continue
        if name == "psycopg2":
            line = "psycopg2-binary" + line[len("psycopg2") :]
        wanted.append(line)
    return "\n".join(wanted) + "\n"


def install_build_tools(python=None):
    """What ``pip install --no-build-isolation`` needs and a fresh venv lacks."""
    if not pip_install("wheel", BUILD_CONSTRAINT.strip(), python=python):
        raise SetupError("pip could not install wheel and setuptools>=77,<80.")


def install_odoo_source(src, python=None):
    """pip-install an Odoo source tree (its requirements, then Odoo itself)."""
    src = Path(src).expanduser().resolve()
    if not (src / "odoo" / "release.py").is_file():
        raise SetupError(f"{src} is not an Odoo source tree (no odoo/release.py).")
    install_build_tools(python)
    requirements = src / "requirements.txt"
    if requirements.is_file():
        STATE.mkdir(exist_ok=True)
        filtered = STATE / "odoo-requirements.txt"
        filtered.write_text(odoo_requirements(requirements.read_text()))
        if not pip_install("-r", str(filtered), quiet=False, python=python):
            raise SetupError(f"pip could not install Odoo's requirements from {src}.")
    editable = ("--no-deps", "--no-build-isolation", "-e", str(src))
    if not pip_install(*editable, python=python):
        raise SetupError(f"pip could not install Odoo from {src}.")


def _odoo_source(series):
    """The source tree to install ``series`` from: the one its environment
    variable names (ODOO_SRC, ODOO19_SRC), else a clone of the official branch
    in ~/.cache (made here when missing)."""
    src = os.environ.get(SERIES_ENV[series][0])
    if src:
        return Path(src)
    src = _CACHE / ADDON / f"odoo-{series}"
    if (src / "odoo" / "release.py").is_file():
        return src
    if not shutil.which("git"):
        raise SetupError(
            f"Odoo {series} is not installed and git is missing: install git, "
            f"or set {SERIES_ENV[series][0]} to an Odoo {series} source tree."
        )
    say(f"Odoo {series} not found: cloning the official {series} source.")
    clone = run(
        ["git", "clone", "--depth", "1", "--branch", series, ODOO_GIT_URL, str(src)]
    )
    if clone.returncode != 0:
        raise SetupError(
            f"Cloning Odoo failed. Set {SERIES_ENV[series][0]} to an Odoo {series} "
            "source tree."
        )
    return src


def _create_venv(python):
    """A virtual environment whose interpreter is ``python`` (.../bin/python)."""
    venv = python.parent.parent
    say(f"creating the virtual environment {venv}")
    if run([sys.executable, "-m", "venv", str(venv)]).returncode != 0:
        raise SetupError(
            f"Could not create the virtual environment {venv}: install the venv "
            "module (e.g. `apt-get install python3-venv`), or set ODOO19_PYTHON."
        )


def running_odoo():
    """(series, package dir) of the Odoo this Python imports, or (None, None)
    when it imports none of SERIES."""
    found = probe_odoo(sys.executable)
    series = f"{found[0]}.0" if found else None
    return (series, found[1]) if series in SERIES else (None, None)


def running_series():
    """The series of the Odoo this Python imports ("18.0", "19.0"), or None."""
    return running_odoo()[0]


def find_odoo(allow_install=False):
    """The package dir of the Odoo this Python imports, 18.0 or 19.0: the
    benchmarks and the chaos script run on the series of their interpreter
    (``python3``: 18.0, the 19.0 virtual environment's python: 19.0), whatever
    ODOO19_PYTHON says. With none, Odoo 18.0 (see ``find_series``)."""
    package_dir = running_odoo()[1]
    return package_dir or find_series("18.0", allow_install=allow_install)[1]


def find_series(series, allow_install=False):
    """Return (python, Odoo package dir) for ``series``, installing it first if
    allowed.

    Order: an Odoo of the series already importable by the series' python
    (``series_python``); else, with allow_install, the source tree named by
    ODOO_SRC (18.0) or ODOO19_SRC (19.0), or the official source cloned into
    ~/.cache, installed with pip (19.0 into its own virtual environment, made
    when missing).
    """
    python = series_python(series)
    found = probe_odoo(python)
    if not found and allow_install:
        src = _odoo_source(series)
        if not python.exists():
            _create_venv(python)
        say(f"installing Odoo {series} from {src}")
        install_odoo_source(src, python=str(python))
        found = probe_odoo(python)
    major = int(series.split(".")[0])
    if not found:
        variable = SERIES_ENV[series][0]
        raise SetupError(
            f"Odoo {series} is not importable by {python}.\n"
            f"  Fix: run `TM_SERIES={series} python3 scripts/start.py` once (it "
            f"installs Odoo {series} from the source tree named by {variable}, or "
            f"from the official {series} source), or `pip install -e "
            f"<odoo-{series}-source>` with that Python yourself."
        )
    found_major, package_dir = found
    if found_major != major:
        raise SetupError(
            f"Odoo {found_major} is importable by {python} ({package_dir}), but "
            f"series {series} needs Odoo {major}."
        )
    return python, package_dir


def series_available(series):
    """True when ``series`` runs here without installing anything."""
    found = probe_odoo(series_python(series))
    return bool(found) and found[0] == int(series.split(".")[0])


def selected_series(value):
    """The series TM_SERIES (or --series) asks for: ``18.0``, ``19.0``, or
    ``all`` (default): every series found, 18.0 always (installed if needed).
    Returns (series list, explicit)."""
    value = (value or "all").strip()
    if value == "all":
        return [s for s in SERIES if s == "18.0" or series_available(s)], False
    wanted = [part.strip() for part in value.split(",") if part.strip()]
    unknown = [part for part in wanted if part not in SERIES]
    if unknown:
        raise SetupError(
            f"Unknown series {', '.join(unknown)}: choose among "
            f"{', '.join(SERIES)} or all."
        )
    return wanted, True


def odoo_addons_paths(package_dir):
    """Odoo's own addons folders: odoo/addons, plus <source>/addons in a git tree."""
    paths = [package_dir / "addons"]
    source_addons = package_dir.parent / "addons"
    if (source_addons / "web" / "__manifest__.py").is_file():
        paths.append(source_addons)
    return paths


# ---------------------------------------------------------- PostgreSQL ----


def _pg_ready():
    """None when PostgreSQL accepts a connection to the ``postgres`` database,
    else what the client said.

    Asks ``psql`` (or ``pg_isready``) when installed, so that the check works before
    psycopg2 arrives with Odoo's requirements; falls back to psycopg2 when present.
    """
    if shutil.which("psql"):
        proc = subprocess.run(
            ["psql", "-d", "postgres", "-tAc", "SELECT 1"],
            capture_output=True,
            text=True,
            check=False,
            env={**os.environ, "PGCONNECT_TIMEOUT": "5"},
        )
        return None if proc.returncode == 0 else proc.stderr.strip() or "psql failed"
    if shutil.which("pg_isready"):
        proc = subprocess.run(
            ["pg_isready", "-d", "postgres", "-t", "5"],
            capture_output=True,
            text=True,
            check=False,
        )
        return None if proc.returncode == 0 else proc.stdout.strip() or "not ready"
    psycopg2 = _import_psycopg2()
    if psycopg2 is None:
        return "no PostgreSQL client (psql, pg_isready or psycopg2) here"
    try:
        psycopg2.connect(dbname="postgres", connect_timeout=5).close()
    except psycopg2.OperationalError as error:
        return str(error).strip()
    return None


def _import_psycopg2():
    """psycopg2, or None; sees a package pip installed after this process started."""
    importlib.invalidate_caches()
    try:
        import psycopg2  # noqa: PLC0415
    except ImportError:
        return None
    return psycopg2


def _psycopg2():
    psycopg2 = _import_psycopg2()
    if psycopg2 is None:
        raise SetupError(
            "psycopg2 is not installed: run `python3 scripts/start.py` once (it "
            "installs Odoo's requirements), or `pip install psycopg2-binary`."
        )
    return psycopg2


def ensure_postgres(start=True, wait=PG_WAIT_SECONDS):
    """Make sure PostgreSQL answers; start a local cluster that is down. A
    server that is starting (a machine just booted, recovery after a crash)
    is waited for up to ``wait`` seconds."""
    error = _pg_ready()
    if error is None:
        return
    deadline = time.monotonic() + wait
    if start and shutil.which("pg_lsclusters") and shutil.which("pg_ctlcluster"):
        listing = subprocess.run(
            ["pg_lsclusters", "--no-header"],
            capture_output=True,
            text=True,
            check=False,
        )
        for line in listing.stdout.splitlines():
            version, cluster, _port, status = line.split()[:4]
            if not status.startswith("online"):
                run(
                    ["pg_ctlcluster", "--skip-systemctl-redirect", version, cluster]
                    + ["start"]
                )
    say(f"PostgreSQL does not answer yet ({error}); waiting up to {wait} s")
    while time.monotonic() < deadline:
        time.sleep(1)
        error = _pg_ready()
        if error is None:
            return
    where = os.environ.get("PGHOST") or "the local socket"
    user = os.environ.get("PGUSER") or getpass.getuser()
    raise SetupError(
        f"PostgreSQL does not answer (tried {where} as user {user} for {wait} s; "
        f"last answer: {error}).\n"
        "  Fix: install PostgreSQL (e.g. `apt-get install postgresql`), start it, and "
        "create a superuser role for this account (`createuser -s $USER` as postgres), "
        "or set PGHOST/PGPORT/PGUSER/PGPASSWORD to reach a server."
    )


def drop_database(name):
    psycopg2 = _psycopg2()
    from psycopg2 import sql  # noqa: PLC0415

    conn = psycopg2.connect(dbname="postgres")
    conn.autocommit = True
    with conn.cursor() as cr:
        cr.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
            (name,),
        )
        cr.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
    conn.close()


def database_exists(name):
    psycopg2 = _psycopg2()

    conn = psycopg2.connect(dbname="postgres")
    with conn.cursor() as cr:
        cr.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
        exists = cr.fetchone() is not None
    conn.close()
    return exists


# --------------------------------------------------------- addon + conf ----


def link_addon():
    """Expose this checkout as <STATE>/addons/text_messaging, whatever its name."""
    ADDONS_DIR.mkdir(parents=True, exist_ok=True)
    if ADDON_LINK.is_symlink() or ADDON_LINK.exists():
        if ADDON_LINK.resolve() == ROOT:
            return ADDON_LINK
        ADDON_LINK.unlink()
    ADDON_LINK.symlink_to(ROOT)
    return ADDON_LINK


def write_config(name, package_dir, **options):
    """Write <STATE>/<name>.conf and return its path."""
    addons_path = [str(ADDONS_DIR)] + [str(p) for p in odoo_addons_paths(package_dir)]
    values = {
        "addons_path": ",".join(addons_path),
        "data_dir": str(STATE / "data"),
        "admin_passwd": "admin",
        "list_db": "True",
    }
    values.update({key: str(value) for key, value in options.items()})
    path = STATE / f"{name}.conf"
    lines = ["[options]"] + [f"{key} = {value}" for key, value in values.items()]
    path.write_text("\n".join(lines) + "\n")
    return path


def demo_args(series, demo):
    """Odoo's command-line options to install with or without demo data: 18.0
    loads it unless told not to; 19.0 only with ``--with-demo``."""
    if series == "18.0":
        return [] if demo else ["--without-demo=all"]
    # 19.0 reads --without-demo as a boolean (and warns about "all").
    return ["--with-demo"] if demo else []


def odoo_command(config, *args, python=None):
    return [str(python or sys.executable), "-m", "odoo", "-c", str(config), *args]
