#!/usr/bin/python3
"""A local SMTP sink for the e-mail tests (Debian's python3-aiosmtpd).

Listens on 127.0.0.1 (port 0: any free port), prints "PORT <n>" once ready,
and writes every accepted message as OUT/NNNN.eml (the raw bytes received)
and OUT/NNNN.json: envelope, whether the session was under TLS and
authenticated, and the message decoded by Python's own e-mail parser
(subject from RFC 2047, body from quoted-printable/base64, headers).

  --refuse-first N   answer "451" to the first N messages (then accept)
  --reject-all       answer "550" to every message
  --tls-cert/--tls-key PEM files: offer STARTTLS
  --require-tls      refuse MAIL before STARTTLS
  --auth USER:PASS   require AUTH (PLAIN/LOGIN) with these credentials
"""
import argparse
import asyncio
import email
import email.policy
import json
import os
import signal
import ssl
import sys

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


class Sink:
    def __init__(self, out, refuse_first, reject_all):
        self.out = out
        self.refuse_left = refuse_first
        self.reject_all = reject_all
        self.count = 0
        self.refused = 0

    async def handle_DATA(self, server, session, envelope):
        if self.reject_all:
            self.refused += 1
            return "550 5.1.1 Boite inconnue"
        if self.refuse_left > 0:
            self.refuse_left -= 1
            self.refused += 1
            with open(os.path.join(self.out, "refused.count"), "w") as f:
                f.write(str(self.refused))
            return "451 4.3.0 Essayez plus tard"
        self.count += 1
        raw = envelope.original_content or envelope.content
        base = os.path.join(self.out, "%04d" % self.count)
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        body = msg.get_content() if not msg.is_multipart() else ""
        info = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "tls": session.ssl is not None,
            "authenticated": bool(getattr(session, "authenticated", False)),
            "subject": str(msg["subject"]),
            "body": body,
            "content_type": msg.get_content_type(),
            "charset": msg.get_content_charset(),
            "transfer_encoding": str(msg.get("Content-Transfer-Encoding", "")),
            "headers": [[k, str(v)] for k, v in msg.items()],
        }
        with open(base + ".eml.part", "wb") as f:
            f.write(raw)
        with open(base + ".json.part", "w", encoding="utf-8") as f:
            json.dump(info, f, ensure_ascii=False)
        os.rename(base + ".eml.part", base + ".eml")
        os.rename(base + ".json.part", base + ".json")
        return "250 2.0.0 Message accepte"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--refuse-first", type=int, default=0)
    ap.add_argument("--reject-all", action="store_true")
    ap.add_argument("--tls-cert")
    ap.add_argument("--tls-key")
    ap.add_argument("--require-tls", action="store_true")
    ap.add_argument("--auth")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    sink = Sink(a.out, a.refuse_first, a.reject_all)

    tls = None
    if a.tls_cert:
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls.load_cert_chain(a.tls_cert, a.tls_key)

    kwargs = {}
    if a.auth:
        user, password = a.auth.split(":", 1)

        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = isinstance(auth_data, LoginPassword) and auth_data.login.decode() == user and \
                auth_data.password.decode() == password
            return AuthResult(success=ok, handled=False)

        kwargs.update(authenticator=authenticator, auth_required=True, auth_require_tls=tls is not None)

    def factory():
        return SMTP(sink, hostname="sink.localhost", tls_context=tls, require_starttls=a.require_tls, **kwargs)

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    server = loop.run_until_complete(loop.create_server(factory, "127.0.0.1", a.port))
    port = server.sockets[0].getsockname()[1]
    loop.add_signal_handler(signal.SIGTERM, loop.stop)
    loop.add_signal_handler(signal.SIGINT, loop.stop)
    print("PORT %d" % port, flush=True)
    try:
        loop.run_forever()
    finally:
        server.close()


if __name__ == "__main__":
    sys.exit(main())
