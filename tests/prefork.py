"""A real Odoo prefork server in a subprocess, and the audit of a dispatch run.

Shared by the in-suite prefork test (tests/test_dispatch_prefork.py) and the
chaos script (scripts/chaos_dispatch.py). Pure Python (no Odoo import): the
server is Odoo's launcher script (``odoo-bin``) with ``--workers`` and cron
workers, on free ports found at run time.
"""

import contextlib
import importlib.util
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field

WATCHDOG_RE = re.compile(r"WorkerCron \((\d+)\) timeout after")
WORKER_ALIVE_RE = re.compile(r"Worker (WorkerCron|WorkerHTTP) \((\d+)\) alive")
TRACEBACK = "Traceback (most recent call last):"


def odoo_argv():
    """The command that starts Odoo the way production does: its launcher
    script (``odoo-bin`` of a source tree, ``setup/odoo``, or the ``odoo``
    console script of a packaged install), run by this Python.

    Not ``python -m odoo``: a prefork master started that way respawns its
    websocket (gevent) process as ``python .../odoo/__main__.py gevent``,
    which fails at once (relative import), and restarts it several times a
    second, taking a CPU core from the workers. The package is located
    without being imported."""
    spec = importlib.util.find_spec("odoo")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(f"Odoo is not importable by {sys.executable}")
    package = list(spec.submodule_search_locations)[0]
    tree = os.path.dirname(os.path.abspath(package))
    for launcher in (
        os.path.join(tree, "odoo-bin"),
        os.path.join(tree, "setup", "odoo"),
        os.path.join(os.path.dirname(sys.executable), "odoo"),
        shutil.which("odoo"),
    ):
        if launcher and os.path.isfile(launcher):
            return [sys.executable, launcher]
    raise SystemExit(f"no Odoo launcher script (odoo-bin) found near {package}")


def free_port():
    """A TCP port nobody listens on right now (bound to port 0, then freed)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PreforkServer:
    """``odoo-bin --workers=N --max-cron-threads=M`` with its own log; what
    the processes write to stderr (a crash before logging starts, a worker's
    traceback) goes to ``<log>.stderr``.

    Default time limits (limit_time_real, limit_time_cpu, ...) are kept, as in
    production. ``kill()`` SIGKILLs the whole process group (master and
    workers); ``kill_worker()`` one cron worker, which the master replaces.
    """

    def __init__(self, config, db, log_path, workers=2, cron_threads=2, extra=()):
        self.config, self.db, self.log_path = str(config), db, str(log_path)
        self.workers, self.cron_threads = workers, cron_threads
        self.extra = list(extra)
        self.process = None
        self.starts = 0

    def start(self):
        command = [
            *odoo_argv(),
            "-c",
            self.config,
            "-d",
            self.db,
            f"--db-filter=^{re.escape(self.db)}$",
            f"--workers={self.workers}",
            f"--max-cron-threads={self.cron_threads}",
            "--http-interface=127.0.0.1",
            f"--http-port={free_port()}",
            f"--gevent-port={free_port()}",
            f"--logfile={self.log_path}",
            "--log-level=info",
            *self.extra,
        ]
        with open(self.stderr_path, "ab") as stderr:
            self.process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                start_new_session=True,
            )
        self.starts += 1
        return self

    @property
    def stderr_path(self):
        return self.log_path + ".stderr"

    def crashes(self):
        """The last line of every traceback the server's processes wrote to
        stderr (a process that died before or outside Odoo's logging, such as
        a respawn loop); Odoo's own log is not searched, where a handled
        error may be logged with its traceback."""
        lines = _read(self.stderr_path).splitlines()
        found = []
        for index, line in enumerate(lines):
            if line.startswith(TRACEBACK):
                after = (
                    text
                    for text in lines[index + 1 :]
                    if text and not text.startswith((" ", "\t"))
                )
                found.append(next(after, "?"))
        return found

    @property
    def alive(self):
        return self.process is not None and self.process.poll() is None

    def log(self):
        return _read(self.log_path)

    def cron_workers(self):
        """PIDs of this server's live cron workers (from its log and /proc)."""
        if not self.alive:
            return []
        children = set(_children(self.process.pid))
        pids = [
            int(pid)
            for kind, pid in WORKER_ALIVE_RE.findall(self.log())
            if kind == "WorkerCron"
        ]
        return [pid for pid in dict.fromkeys(pids) if pid in children]

    def kill_worker(self, pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)

    def kill(self):
        """SIGKILL the master and every worker at once."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(30)
        self.process = None

    def stop(self, timeout=30):
        """Graceful stop (SIGTERM), SIGKILL if it takes longer than timeout."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process = None

    def watchdog_kills(self):
        return len(WATCHDOG_RE.findall(self.log()))


def _read(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as file:
            return file.read()
    except FileNotFoundError:
        return ""


def _children(pid):
    """PIDs whose parent is ``pid`` (Linux /proc)."""
    result = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as f:
                stat = f.read()
        except OSError:
            continue
        # pid (comm) state ppid ...: comm may hold spaces, split after ')'.
        fields = stat.rsplit(")", 1)[-1].split()
        if len(fields) > 1 and fields[1] == str(pid):
            result.append(int(entry))
    return result


@dataclass
class Audit:
    """What the provider saw compared with what the database says."""

    rows: int = 0
    states: Counter = field(default_factory=Counter)
    duplicates: int = 0  # texts the provider accepted more than once
    lost: int = 0  # never final, or said sent without the provider having it
    wrong_ids: int = 0  # sent rows whose provider id is not the provider's
    unknown: int = 0
    unknown_never_reached: int = 0  # Unknown Outcome but never received
    unknown_accepted: int = 0  # Unknown Outcome, the provider did take it
    failed_but_accepted: int = 0  # said failed, the provider took it

    def problems(self):
        return (
            self.duplicates
            + self.lost
            + self.wrong_ids
            + self.unknown_never_reached
            + self.failed_but_accepted
        )


def audit(rows, received_bodies, accepted):
    """Compare database rows with the provider's log.

    ``rows``: (body, state, provider_message_id) per text (bodies unique);
    ``received_bodies``: every text body the provider received (repeats
    included); ``accepted``: (body, provider id) of every acceptance.
    """
    result = Audit(rows=len(rows))
    received = set(received_bodies)
    ids_by_body = {}
    for body, provider_id in accepted:
        ids_by_body.setdefault(body, []).append(provider_id)
    for body, state, provider_id in rows:
        result.states[state] += 1
        taken = ids_by_body.get(body, [])
        if len(taken) > 1:
            result.duplicates += 1
        if state in ("pending", "sent"):
            if not taken:
                result.lost += 1
            elif provider_id not in taken:
                result.wrong_ids += 1
        elif state in ("outgoing", "process"):
            result.lost += 1
        elif state == "unknown":
            result.unknown += 1
            if body not in received:
                result.unknown_never_reached += 1
            if taken:
                result.unknown_accepted += 1
        elif state == "error" and taken:
            result.failed_but_accepted += 1
    return result


def start_fake(log_path, *options):
    """tests/fake_provider.py in its own process, logging every request and
    acceptance to ``log_path`` (JSON lines); ``options`` are its command-line
    options (latency, error rates...). Returns (process, base URL)."""
    process = subprocess.Popen(
        [
            sys.executable,
            os.path.join(os.path.dirname(__file__), "fake_provider.py"),
            "--log",
            str(log_path),
            *map(str, options),
        ],
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    url = process.stdout.readline().strip()
    if not url.startswith("http"):
        raise SystemExit("the fake provider did not start")
    return process, url


def provider_log(path):
    """(bodies received, (body, id) accepted, arrival times of the texts) from
    the fake provider's log."""
    received, accepted, times = [], [], []
    with open(path, encoding="utf-8") as file:
        for line in file:
            event = json.loads(line)
            if event["event"] == "received" and event["kind"] == "send":
                received += [message["body"] for message in event["messages"]]
                times += [event["time"]] * len(event["messages"])
            elif event["event"] == "accepted":
                accepted.append((event["body"], event["id"]))
    return received, accepted, sorted(times)


def wait_until(predicate, timeout, interval=0.5):
    """Poll ``predicate`` until true or ``timeout`` seconds; return its value."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval)
