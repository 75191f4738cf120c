"""A small real IMAP4rev1 server for the e-mail tests: one folder, over a TCP socket on loopback.

It speaks what imaplib needs for polling: CAPABILITY, NOOP, LOGIN, SELECT, UID SEARCH UNSEEN,
UID FETCH (BODY.PEEK[] / BODY[] / RFC822), UID STORE +FLAGS (\\Seen), LOGOUT. Anything else answers
BAD. Debian's dovecot would need root to install and a config per run; this is enough to prove the
client side over a real socket.
"""

from __future__ import annotations

import re
import socketserver
import threading
from dataclasses import dataclass, field

_TOKEN = re.compile(rb'"((?:[^"\\]|\\.)*)"|(\S+)')


@dataclass
class StoredMail:
    uid: int
    raw: bytes
    flags: set[str] = field(default_factory=set)


class Mailbox:
    def __init__(self, user: str, password: str, folder: str = "INBOX"):
        self.user, self.password, self.folder = user, password, folder
        self.mails: list[StoredMail] = []
        self.lock = threading.Lock()
        self.commands: list[str] = []  # what clients sent (passwords masked)

    def deliver(self, raw: bytes) -> int:
        with self.lock:
            uid = (self.mails[-1].uid if self.mails else 0) + 1
            self.mails.append(StoredMail(uid=uid, raw=raw))
            return uid

    def unseen(self) -> list[StoredMail]:
        return [m for m in self.mails if "\\Seen" not in m.flags]

    def mark_unseen(self) -> None:
        for mail in self.mails:
            mail.flags.discard("\\Seen")


def _args(line: bytes) -> list[bytes]:
    return [
        m.group(1).replace(b'\\"', b'"').replace(b"\\\\", b"\\")
        if m.group(1) is not None
        else m.group(2)
        for m in _TOKEN.finditer(line)
    ]


class _Handler(socketserver.StreamRequestHandler):
    server: _Server

    def send(self, data: bytes) -> None:
        self.wfile.write(data)
        self.wfile.flush()

    def handle(self) -> None:
        box = self.server.mailbox
        authed = selected = False
        self.send(b"* OK [CAPABILITY IMAP4rev1] kefu test IMAP ready\r\n")
        while True:
            line = self.rfile.readline()
            if not line:
                return
            parts = _args(line.rstrip(b"\r\n"))
            if len(parts) < 2:
                self.send(b"* BAD no command\r\n")
                continue
            tag, command, args = parts[0], parts[1].upper(), parts[2:]
            box.commands.append(command.decode() if command != b"LOGIN" else "LOGIN ***")
            if command == b"CAPABILITY":
                self.send(b"* CAPABILITY IMAP4rev1\r\n" + tag + b" OK CAPABILITY done\r\n")
            elif command == b"NOOP":
                self.send(tag + b" OK NOOP done\r\n")
            elif command == b"LOGOUT":
                self.send(b"* BYE logging out\r\n" + tag + b" OK LOGOUT done\r\n")
                return
            elif command == b"LOGIN":
                if (
                    len(args) == 2
                    and args[0].decode() == box.user
                    and args[1].decode() == box.password
                ):
                    authed = True
                    self.send(tag + b" OK LOGIN done\r\n")
                else:
                    self.send(tag + b" NO [AUTHENTICATIONFAILED] wrong user or password\r\n")
            elif not authed:
                self.send(tag + b" BAD log in first\r\n")
            elif command == b"SELECT":
                if args and args[0].decode().upper() == box.folder.upper():
                    selected = True
                    with box.lock:
                        count = len(box.mails)
                        next_uid = (box.mails[-1].uid if box.mails else 0) + 1
                    self.send(
                        b"* FLAGS (\\Seen)\r\n* %d EXISTS\r\n* 0 RECENT\r\n"
                        b"* OK [UIDVALIDITY 1] UIDs valid\r\n* OK [UIDNEXT %d] next\r\n"
                        % (count, next_uid)
                        + tag
                        + b" OK [READ-WRITE] SELECT done\r\n"
                    )
                else:
                    self.send(tag + b" NO no such folder\r\n")
            elif not selected:
                self.send(tag + b" BAD select a folder first\r\n")
            elif command == b"UID" and args:
                self.uid(tag, args[0].upper(), args[1:])
            else:
                self.send(tag + b" BAD unknown command\r\n")

    def uid(self, tag: bytes, sub: bytes, args: list[bytes]) -> None:
        box = self.server.mailbox
        with box.lock:
            index = {m.uid: (number, m) for number, m in enumerate(box.mails, start=1)}
            if sub == b"SEARCH" and [a.upper() for a in args] == [b"UNSEEN"]:
                uids = b" ".join(str(m.uid).encode() for m in box.unseen())
                self.send(
                    b"* SEARCH"
                    + (b" " + uids if uids else b"")
                    + b"\r\n"
                    + tag
                    + b" OK SEARCH done\r\n"
                )
            elif sub == b"FETCH" and len(args) >= 2:
                item = b" ".join(args[1:]).strip(b"()").upper()
                if item not in (b"BODY.PEEK[]", b"BODY[]", b"RFC822"):
                    self.send(tag + b" BAD unsupported fetch item\r\n")
                    return
                out = b""
                for uid in _uid_set(args[0]):
                    if uid not in index:
                        continue
                    number, mail = index[uid]
                    if item != b"BODY.PEEK[]":
                        mail.flags.add("\\Seen")
                    name = b"RFC822" if item == b"RFC822" else b"BODY[]"
                    out += (
                        b"* %d FETCH (UID %d %s {%d}\r\n" % (number, uid, name, len(mail.raw))
                        + mail.raw
                        + b")\r\n"
                    )
                self.send(out + tag + b" OK FETCH done\r\n")
            elif sub == b"STORE" and len(args) >= 3 and args[1].upper() == b"+FLAGS":
                flags = b" ".join(args[2:]).strip(b"()").decode().split()
                out = b""
                for uid in _uid_set(args[0]):
                    if uid in index:
                        number, mail = index[uid]
                        mail.flags.update(flags)
                        out += b"* %d FETCH (UID %d FLAGS (%s))\r\n" % (
                            number,
                            uid,
                            " ".join(sorted(mail.flags)).encode(),
                        )
                self.send(out + tag + b" OK STORE done\r\n")
            else:
                self.send(tag + b" BAD unsupported UID command\r\n")


def _uid_set(spec: bytes) -> list[int]:
    uids: list[int] = []
    for piece in spec.decode().split(","):
        if ":" in piece:
            low, high = piece.split(":")
            uids.extend(range(int(low), int(high) + 1))
        else:
            uids.append(int(piece))
    return uids


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    mailbox: Mailbox


class IMAPServer:
    """Start on a free loopback port; `with IMAPServer(box) as server: server.port`."""

    def __init__(self, mailbox: Mailbox):
        self.mailbox = mailbox
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.mailbox = mailbox
        self.host, self.port = self._server.server_address[:2]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> IMAPServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
