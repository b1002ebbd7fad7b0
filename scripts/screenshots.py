#!/usr/bin/env python3
"""Take the screenshots of static/description/ from a running demo.

    python3 scripts/start.py                 # in another terminal: the demo
    python3 scripts/screenshots.py           # then this

Logs in (admin / admin by default), opens each main screen in headless Chromium
through its DevTools protocol, and saves it as a small PNG (256 colours).
Environment: TM_URL (default http://localhost:8069), TM_DB (default
text_messaging), TM_LOGIN / TM_PASSWORD. Needs chromium (or Google Chrome),
requests, websocket-client and Pillow (all there after scripts/test.py).
"""

import base64
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests
import websocket
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "static" / "description"
WIDTH, HEIGHT = 1366, 800
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
# What shows that a screen finished loading.
READY = (
    "document.querySelector('.o_action_manager .o_view_controller, "
    ".o_tm_sandbox_phone .card, .modal .o_form_view') !== null "
    "&& !document.querySelector('.o_loading_indicator, .o-main-components-container "
    ".o_loading')"
)


class Browser:
    """A headless Chromium driven over its DevTools websocket."""

    def __init__(self, executable):
        self.profile = tempfile.mkdtemp(prefix="tm_screenshots_")
        self.process = subprocess.Popen(
            [
                executable,
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
                f"--window-size={WIDTH},{HEIGHT}",
                f"--user-data-dir={self.profile}",
                "--remote-debugging-port=0",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        port_file = Path(self.profile) / "DevToolsActivePort"
        for _attempt in range(100):
            if port_file.is_file() and port_file.read_text().strip():
                break
            time.sleep(0.1)
        port = port_file.read_text().split()[0]
        pages = requests.get(f"http://127.0.0.1:{port}/json", timeout=10).json()
        page = next(target for target in pages if target["type"] == "page")
        self.socket = websocket.create_connection(
            page["webSocketDebuggerUrl"], timeout=30
        )
        self.next_id = 0

    def call(self, method, **params):
        self.next_id += 1
        self.socket.send(
            json.dumps({"id": self.next_id, "method": method, "params": params})
        )
        while True:
            answer = json.loads(self.socket.recv())
            if answer.get("id") == self.next_id:
                if "error" in answer:
                    raise RuntimeError(f"{method}: {answer['error']}")
                return answer.get("result", {})

    def evaluate(self, expression):
        result = self.call(
            "Runtime.evaluate", expression=expression, returnByValue=True
        )
        return result.get("result", {}).get("value")

    def close(self):
        self.socket.close()
        self.process.terminate()
        self.process.wait(10)
        shutil.rmtree(self.profile, ignore_errors=True)


def login(url, db, user, password):
    session = requests.Session()
    answer = session.post(
        f"{url}/web/session/authenticate",
        json={"params": {"db": db, "login": user, "password": password}},
        timeout=30,
    ).json()
    if answer.get("error") or not answer.get("result", {}).get("uid"):
        raise SystemExit(f"error: cannot log in to {url} ({db}) as {user}")
    return session


def call_kw(session, url, model, method, args, kwargs=None):
    answer = session.post(
        f"{url}/web/dataset/call_kw",
        json={
            "params": {
                "model": model,
                "method": method,
                "args": args,
                "kwargs": kwargs or {},
            }
        },
        timeout=30,
    ).json()
    if answer.get("error"):
        raise SystemExit(f"error: {model}.{method}: {answer['error']['message']}")
    return answer["result"]


def screens(session, url):
    """(file name, path) of each screen to take."""
    mass = call_kw(
        session,
        url,
        "sms.mass.message",
        "search",
        [[("state", "=", "done")]],
        {"limit": 1},
    )
    gateway = call_kw(session, url, "sms.gateway", "search", [[]], {"limit": 1})
    action = "/odoo/action-text_messaging."
    result = [
        ("screenshot_history.png", action + "sms_sms_action_history"),
        ("screenshot_send.png", action + "sms_custom_message_action"),
        ("screenshot_inbox.png", action + "sms_inbound_action"),
        ("screenshot_sandbox_phone.png", action + "sms_sandbox_phone_action"),
        ("screenshot_usage.png", action + "sms_sms_action_usage"),
        ("screenshot_reminders.png", action + "sms_sms_action_reminders"),
    ]
    if mass:
        result.append(
            (
                "screenshot_mass_message.png",
                f"{action}sms_mass_message_action/{mass[0]}",
            )
        )
    if gateway:
        result.append(
            ("screenshot_gateway.png", f"{action}sms_gateway_action/{gateway[0]}")
        )
    return result


def take(browser, url, path, target):
    browser.call("Page.navigate", url=url + path)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not browser.evaluate(READY):
        time.sleep(0.3)
    time.sleep(1.5)  # fonts, avatars and animations
    shot = browser.call("Page.captureScreenshot", format="png")
    image = Image.open(io.BytesIO(base64.b64decode(shot["data"]))).convert("RGB")
    image = image.quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    image.save(target, optimize=True)
    return target.stat().st_size


def main():
    url = os.environ.get("TM_URL", "http://localhost:8069").rstrip("/")
    db = os.environ.get("TM_DB", "text_messaging")
    user = os.environ.get("TM_LOGIN", "admin")
    password = os.environ.get("TM_PASSWORD", "admin")
    executable = next(
        (shutil.which(name) for name in BROWSERS if shutil.which(name)), None
    )
    if not executable:
        print("error: no chromium: `apt-get install chromium`", file=sys.stderr)
        return 2
    session = login(url, db, user, password)
    browser = Browser(executable)
    try:
        browser.call("Page.enable")
        browser.call(
            "Emulation.setDeviceMetricsOverride",
            width=WIDTH,
            height=HEIGHT,
            deviceScaleFactor=1,
            mobile=False,
        )
        host = url.split("://", 1)[1].split("/", 1)[0].split(":")[0]
        for cookie in session.cookies:
            browser.call(
                "Network.setCookie",
                name=cookie.name,
                value=cookie.value,
                domain=host,
                path="/",
            )
        OUT.mkdir(parents=True, exist_ok=True)
        for name, path in screens(session, url):
            size = take(browser, url, path, OUT / name)
            print(f"{name}: {path} ({size // 1024} KB)")
    finally:
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
