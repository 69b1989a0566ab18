"""A real SMTP server for the test suite: aiosmtpd on a free loopback port.

    smtp_sink.py DIRECTORY

Prints `listening on PORT` once it accepts connections, then writes every message it
accepts to DIRECTORY as JSON (envelope recipients, decoded subject, headers, the
plain-text and HTML parts), one file per message. Recipients whose local part starts
with `refuse` are refused with `550` until a file named `accept-all` appears in
DIRECTORY (a mailbox that comes back). Runs until its standard input closes.
"""

import asyncio
import email
import email.policy
import json
import os
import socket
import sys
import uuid

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, directory):
        self.directory = directory

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        refused = address.split("@")[0].startswith("refuse")
        if refused and not os.path.exists(os.path.join(self.directory, "accept-all")):
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        plain = message.get_body(preferencelist=("plain",))
        html = message.get_body(preferencelist=("html",))
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "subject": str(message["Subject"] or ""),
            "message_id": str(message["Message-ID"] or ""),
            "content_language": str(message["Content-Language"] or ""),
            "text": plain.get_content() if plain is not None else "",
            "html": html.get_content() if html is not None else "",
        }
        name = os.path.join(self.directory, f"{uuid.uuid4().hex}.json")
        with open(name + ".tmp", "w", encoding="utf-8") as f:
            json.dump(record, f, ensure_ascii=False)
        os.rename(name + ".tmp", name)
        return "250 Message accepted"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    directory = sys.argv[1]
    port = free_port()
    controller = Controller(Sink(directory), hostname="127.0.0.1", port=port)
    controller.start()
    print(f"listening on {port}", flush=True)
    try:
        sys.stdin.read()
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
