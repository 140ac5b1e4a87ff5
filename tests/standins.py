"""A local HTTP server that stands in for VK, Telegram, MAX, the POS platform and webhook
receivers.

It records every request it gets, answers like the real API (VK's `{"response": …}` /
`{"error": {"error_code", "error_msg"}}`, Telegram's `{"ok": …}`, MAX's sent message or
`{"code", "message"}` error, the platform's idempotent
answer endpoint), de-duplicates by the same keys the real services do (VK's `guid` and
`random_id`, the platform's `Idempotency-Key`), and fails on demand.
"""

from __future__ import annotations

import json
import threading
from collections import defaultdict, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl


@dataclass
class Received:
    route: str  # "vk", "telegram", "max", "pos" or "hook"
    path: str
    headers: dict[str, str]
    raw: bytes
    body: Any


@dataclass
class StandIn:
    received: list[Received] = field(default_factory=list)
    scripted: dict[str, deque] = field(default_factory=lambda: defaultdict(deque))
    created: dict[str, list[Any]] = field(default_factory=lambda: defaultdict(list))
    seen_keys: dict[str, Any] = field(default_factory=dict)
    hold: dict[str, threading.Event] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""

    def fail(self, route: str, status: int, body: Any, headers: dict | None = None,
             times: int = 1) -> None:  # fmt: skip
        """The next `times` requests of `route` get this answer instead of success."""
        for _ in range(times):
            self.scripted[route].append((status, body, headers or {}))

    def hang(self, route: str) -> threading.Event:
        """Record the next request of `route`, do its work, then wait before answering (until
        the returned event is set): a worker can be killed in between."""
        self.hold[route] = threading.Event()
        return self.hold[route]

    def of(self, route: str) -> list[Received]:
        return [item for item in self.received if item.route == route]

    # --- what each service does ---------------------------------------------------------------

    def answer(self, route: str, path: str, headers: dict[str, str], raw: bytes) -> tuple:
        body: Any
        if headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            body = dict(parse_qsl(raw.decode()))
        else:
            try:
                body = json.loads(raw or b"null")
            except ValueError:
                body = raw.decode(errors="replace")
        with self.lock:
            self.received.append(Received(route, path, headers, raw, body))
            if self.scripted[route]:
                return self.scripted[route].popleft()
            if route == "vk":
                return 200, self._vk(path.rsplit("/", 1)[-1], body), {}
            if route == "telegram":
                self.created["telegram"].append(body)
                return 200, {"ok": True, "result": {"message_id": 9000 + len(self.created["telegram"]),
                                                    "chat": {"id": body.get("chat_id")}}}, {}  # fmt: skip
            if route == "max":
                return 200, self._max(path, headers, body), {}
            if route == "pos":
                key = "pos:" + headers.get("idempotency-key", "")
                if key not in self.seen_keys:
                    self.created["pos"].append(body)
                    self.seen_keys[key] = len(self.created["pos"])
                return 201, {"id": f"pos-{self.seen_keys[key]}"}, {}
            self.created["hook"].append(body)
            return 200, {"ok": True}, {}

    def _vk(self, method: str, params: dict[str, str]) -> dict[str, Any]:
        if method == "messages.send":
            key = f"vk:msg:{params.get('peer_id')}:{params.get('random_id')}"
        else:
            key = f"vk:{method}:{params.get('guid')}"
        if key not in self.seen_keys:  # VK answers a repeat with the first one's result
            self.created["vk"].append({"method": method, **params})
            self.seen_keys[key] = 500 + len(self.created["vk"])
        if method == "messages.send":
            return {"response": self.seen_keys[key]}
        return {"response": {"comment_id": self.seen_keys[key], "parents_stack": []}}

    def _max(self, path: str, headers: dict[str, str], body: Any) -> dict[str, Any]:
        """MAX Bot API: `POST /messages?chat_id=…` answers the sent message, `POST /answers`
        a success (the token travels in `Authorization`)."""
        from urllib.parse import urlsplit

        name = urlsplit(path).path.rstrip("/").rsplit("/", 1)[-1]
        query = dict(parse_qsl(urlsplit(path).query))
        if name == "answers":
            self.created["max_answers"].append({"callback_id": query.get("callback_id"), **body})
            return {"success": True}
        self.created["max"].append({"chat_id": query.get("chat_id"), **body})
        number = len(self.created["max"])
        return {"message": {
            "recipient": {"chat_id": int(query.get("chat_id", 0)), "chat_type": "dialog"},
            "timestamp": 1764590400000 + number, "sender": {"user_id": 1, "is_bot": True},
            "body": {"mid": f"mid.bot{number:08d}", "seq": number, "text": body.get("text")},
        }}  # fmt: skip


def _handler(standin: StandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            route = self.path.strip("/").split("/", 1)[0]
            headers = {key.lower(): value for key, value in self.headers.items()}
            status, body, extra = standin.answer(route, self.path, headers, raw)
            held = standin.hold.pop(route, None)
            if held is not None:
                held.wait(30)
            payload = json.dumps(body).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                for key, value in extra.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the caller is gone (killed): nobody to answer

        def log_message(self, *args: Any) -> None:
            pass

    return Handler


def start() -> tuple[StandIn, ThreadingHTTPServer]:
    standin = StandIn()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(standin))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    standin.url = f"http://127.0.0.1:{server.server_address[1]}"
    return standin, server
