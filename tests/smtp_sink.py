"""A tiny SMTP sink on 127.0.0.1 for tests (stdlib only, no Odoo import).

It speaks just enough SMTP (EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT)
for Odoo's outgoing mail server, and keeps every message it received:

    with SmtpSink() as sink:
        ...  # point an ir.mail_server at 127.0.0.1:sink.port
        sink.messages  # [{"from", "to": [...], "data": bytes}, ...]
"""

import socketserver
import threading


class _Handler(socketserver.StreamRequestHandler):
    def _reply(self, line):
        self.wfile.write(line.encode("ascii") + b"\r\n")
        self.wfile.flush()

    def handle(self):
        sink = self.server.sink
        envelope = {"from": "", "to": []}
        self._reply("220 sink.local ESMTP test sink")
        while True:
            line = self.rfile.readline(65536)
            if not line:
                return
            command = line.decode("utf-8", "replace").strip()
            verb = command[:4].upper()
            if verb == "EHLO":
                self._reply("250-sink.local")
                self._reply("250 8BITMIME")
            elif verb == "HELO":
                self._reply("250 sink.local")
            elif verb == "MAIL":
                envelope = {"from": command.partition(":")[2].strip(" <>"), "to": []}
                self._reply("250 OK")
            elif verb == "RCPT":
                address = command.partition(":")[2].strip(" <>")
                if address in sink.refuse:
                    self._reply("550 5.1.1 Mailbox unavailable")
                else:
                    envelope["to"].append(address)
                    self._reply("250 OK")
            elif verb == "DATA":
                self._reply("354 End data with <CR><LF>.<CR><LF>")
                lines = []
                while True:
                    data = self.rfile.readline(1 << 20)
                    if not data or data in (b".\r\n", b".\n"):
                        break
                    lines.append(data[1:] if data.startswith(b"..") else data)
                with sink.lock:
                    sink.messages.append({**envelope, "data": b"".join(lines)})
                self._reply("250 OK queued")
            elif verb in ("RSET", "NOOP"):
                self._reply("250 OK")
            elif verb == "QUIT":
                self._reply("221 Bye")
                return
            else:
                self._reply("502 Command not implemented")


class SmtpSink:
    def __init__(self):
        self.messages = []
        self.refuse = set()  # recipient addresses answered with a 550
        self.lock = threading.Lock()
        self._server = None
        self.port = 0

    def start(self):
        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._server.sink = self
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self):
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()
