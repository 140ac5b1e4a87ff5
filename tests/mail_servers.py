"""Real mail servers for the e-mail tests: Dovecot from the distribution as the IMAP server (a
private instance: its own configuration, port, users and maildirs in a temporary directory) and
aiosmtpd as the SMTP server the answers go to. Without Dovecot the IMAP tests skip and say
why, unless `REQUIRE_IMAP=1` (as in CI), where a missing server is a failure."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import Message
from pathlib import Path

import pytest

from tests.servers import free_port

DOVECOT_HINT = "no Dovecot (apt-get install dovecot-imapd)"


def _dovecot() -> str | None:
    return shutil.which("dovecot") or next(
        (path for path in ("/usr/sbin/dovecot",) if os.access(path, os.X_OK)), None
    )


def _mail_user() -> tuple[str, str]:
    """Who owns the maildirs: the current user, or Dovecot's own when running as root (Dovecot
    refuses mail access as root)."""
    if os.geteuid() != 0:
        user = pwd.getpwuid(os.geteuid()).pw_name
        return user, user
    for name in ("dovecot", "nobody"):
        try:
            pwd.getpwnam(name)
        except KeyError:
            continue
        return name, name
    raise RuntimeError("no unprivileged user for the mail files")


@dataclass
class ImapServer:
    port: int
    root: Path
    binary: str
    users: dict[str, str] = field(default_factory=dict)

    @property
    def config(self) -> Path:
        return self.root / "dovecot.conf"

    def add_user(self, login: str, password: str) -> None:
        self.users[login] = password
        (self.root / "users").write_text(
            "".join(f"{name}:{{PLAIN}}{secret}\n" for name, secret in self.users.items())
        )

    def start(self) -> None:
        mail_user, mail_group = _mail_user()
        for folder in ("run", "state", "mail"):
            (self.root / folder).mkdir(parents=True, exist_ok=True)
        self.root.chmod(0o755)
        self.add_user("inbox@example.org", "secret")
        login_user = "dovenull" if os.geteuid() == 0 else mail_user
        try:
            pwd.getpwnam(login_user)
        except KeyError:
            login_user = mail_user
        uid = pwd.getpwnam(mail_user).pw_uid
        self.config.write_text(f"""
base_dir = {self.root}/run
state_dir = {self.root}/state
log_path = {self.root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {mail_user}
default_internal_group = {mail_group}
default_login_user = {login_user}
first_valid_uid = {min(uid, 100)}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {self.root}/users
}}
userdb {{
  driver = static
  args = uid={mail_user} gid={mail_group} home={self.root}/mail/%u
}}
mail_location = maildir:~/Maildir
namespace inbox {{
  inbox = yes
  mailbox Done {{
    auto = create
  }}
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service stats {{
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
""")
        shutil.chown(self.root / "mail", mail_user, mail_group)
        subprocess.run([self.binary, "-c", str(self.config)], check=True)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("dovecot did not start: " + self.log())

    def stop(self) -> None:
        subprocess.run([self.binary, "-c", str(self.config), "stop"], check=False,
                       stderr=subprocess.DEVNULL)  # fmt: skip

    def log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text(errors="replace")[-2000:] if path.exists() else ""

    def client(self, login: str = "inbox@example.org", folder: str = "INBOX"):  # type: ignore[no-untyped-def]
        from imap_tools import MailBoxUnencrypted

        return MailBoxUnencrypted("127.0.0.1", self.port).login(
            login, self.users[login], initial_folder=folder
        )

    def deliver(self, raw: bytes, login: str = "inbox@example.org") -> None:
        """Put a message into the mailbox, unread, as a mail server would."""
        with self.client(login) as box:
            box.append(raw, "INBOX", dt=None, flag_set=())

    def unread(self, login: str = "inbox@example.org", folder: str = "INBOX") -> int:
        from imap_tools import AND

        with self.client(login, folder) as box:
            return len(box.uids(AND(seen=False)))

    def count(self, login: str = "inbox@example.org", folder: str = "INBOX") -> int:
        with self.client(login, folder) as box:
            return len(box.uids())

    def empty(self, login: str = "inbox@example.org") -> None:
        for folder in ("INBOX", "Done"):
            with self.client(login, folder) as box:
                uids = box.uids()
                if uids:
                    box.delete(uids)


@pytest.fixture(scope="session")
def imap_server():
    binary = _dovecot()
    if binary is None:
        if os.environ.get("REQUIRE_IMAP") == "1":
            pytest.fail(DOVECOT_HINT)
        pytest.skip(DOVECOT_HINT)
    server = ImapServer(free_port(), Path(tempfile.mkdtemp(prefix="cur-imap-")), binary)
    server.start()
    yield server
    server.stop()
    shutil.rmtree(server.root, ignore_errors=True)


@pytest.fixture
def imap(imap_server):
    """The IMAP server with an empty mailbox for this test."""
    imap_server.empty()
    yield imap_server
    imap_server.empty()


class SmtpSink:
    """An SMTP server (aiosmtpd) that keeps what it receives."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        self.received: list[Message] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        sink = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
                sink.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
                sink.received.append(
                    message_from_bytes(envelope.original_content, policy=policy.default)
                )
                return "250 OK"

        self.port = free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)


@pytest.fixture
def smtp(settings):
    """A real SMTP server for this test; Django's mail goes to it over SMTP."""
    sink = SmtpSink()
    sink.controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", sink.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    yield sink
    sink.controller.stop()
