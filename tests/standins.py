"""A local HTTP server that stands in for VK, Telegram, MAX, the POS platform and webhook
receivers.

It records every request it gets, answers like the real API (VK's `{"response": …}` /
`{"error": {"error_code", "error_msg"}}`, Telegram's `{"ok": …}`, MAX's sent message or
`{"code", "message"}` error, the platform's idempotent
answer endpoint, OK's signed REST calls with its `{"error_code", "error_msg"}` errors),
de-duplicates by the same keys the real services do (VK's `guid` and `random_id`, the
platform's `Idempotency-Key`), and fails on demand.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
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
    # OK's REST API: the application and administrator it knows, the group, its posts' comments.
    ok_app: dict[str, str] = field(default_factory=lambda: {
        "application_key": "CBAOKFAKE", "secret": "0A1B2C3D4E5F", "token": "tkn.admin-1",
        "group": "70000001234567",
    })  # fmt: skip
    ok_topics: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

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
            if route == "ok" and path.split("?", 1)[0].endswith("/fb.do"):
                return 200, self._ok_rest(body if isinstance(body, dict) else {}), {}
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

    def _ok_rest(self, params: dict[str, str]) -> Any:
        """OK's `fb.do`: the signature checked as OK documents it, then the group's posts
        (`group.getStatTopics`), a post's comments (`discussions.getComments`, paged by
        anchor) and a comment by the group (`discussions.addDiscussionComment`)."""
        app = self.ok_app

        def error(code: int, message: str) -> dict[str, Any]:
            return {"error_code": code, "error_msg": message, "error_data": None}

        if params.get("application_key") != app["application_key"]:
            return error(101, "PARAM_API_KEY : Application key is invalid")
        if params.get("access_token") != app["token"]:
            return error(102, "PARAM_SESSION_EXPIRED : Session expired")

        def md5(text: str) -> str:
            return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()

        session = md5(app["token"] + app["secret"])
        signed = "".join(f"{key}={params[key]}" for key in sorted(params)
                         if key not in ("sig", "access_token"))  # fmt: skip
        if params.get("sig") != md5(signed + session):
            return error(104, "PARAM_SIGNATURE : Invalid signature")
        method = params.get("method")
        if method == "group.getStatTopics":
            if params.get("gid") != app["group"]:
                return error(160, "PARAM_GROUP_ID : Invalid group id")
            return {"topics": [{"id": topic, "comments": len(comments)}
                               for topic, comments in self.ok_topics.items()], "has_more": False}  # fmt: skip
        if method == "discussions.getComments":
            comments = self.ok_topics.get(params.get("discussionId", ""))
            if comments is None or params.get("discussionType") != "GROUP_TOPIC":
                return error(300, "NOT_FOUND : Discussion not found")
            start = 0 if params.get("anchor") == "FIRST" else int(params.get("anchor", "0"))
            end = start + int(params.get("count", "20"))
            return {"comments": comments[start:end], "anchor": str(end),
                    "has_more": end < len(comments)}  # fmt: skip
        if method == "discussions.addDiscussionComment":
            comments = self.ok_topics.get(params.get("entityId", ""))
            if comments is None:
                return error(300, "NOT_FOUND : Discussion not found")
            number = f"G{len(self.created['ok_comments']) + 1:06d}"
            self.created["ok_comments"].append(params)
            comments.append({"id": number, "author_id": app["group"],
                             "author_ref": f"group:{app['group']}", "text": params["comment"],
                             "reply_to_comment_id": params.get("reply_to_comment_id"),
                             "date_ms": int(time.time() * 1000)})  # fmt: skip
            return number
        return error(3, "METHOD : Method is unavailable")

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
