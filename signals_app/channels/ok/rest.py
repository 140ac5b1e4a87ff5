"""OK's REST API (`<OK_API_URL>/fb.do`), as a group administrator's application calls it.

Every call is signed: `sig` = MD5 of the parameters but `access_token` and `sig`, sorted by
name and joined as `name=value`, followed by the session's secret (the MD5 of the access token
and the application's secret key), in lowercase hex. OK answers errors with HTTP 200 and
`{"error_code", "error_msg", "error_data"}`; its own failures (1, 2, 3), flood control (8),
the call limit (11) and network trouble (30, 31, 9999) pass, the rest do not.
"""

from __future__ import annotations

import hashlib
from typing import Any

import requests
from django.conf import settings

from signals_app.channels.spec import timeout
from signals_app.models import OkGroup

TRANSIENT = {1, 2, 3, 8, 11, 30, 31, 9999}


class OkError(Exception):
    def __init__(self, code: int | None, message: str, *, status: int = 200) -> None:
        super().__init__(f"OK {code if code is not None else status}: {message}"[:500])
        self.code = code
        self.http_status = status

    @property
    def transient(self) -> bool:
        return self.code in TRANSIENT or self.http_status == 429 or self.http_status >= 500


def md5(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def signature(params: dict[str, str], session_secret: str) -> str:
    signed = "".join(
        f"{name}={params[name]}" for name in sorted(params) if name not in ("access_token", "sig")
    )
    return md5(signed + session_secret)


def call(group: OkGroup, method: str, **params: Any) -> Any:
    """One signed call (a POST form: a comment's text may be long); the decoded answer, or
    OkError. Network failures propagate as `requests` raises them."""
    if not (group.application_key and group.application_secret and group.access_token):
        raise OkError(None, "the OK group has no application key, secret or token", status=0)
    fields = {name: str(value) for name, value in params.items() if value is not None}
    fields.update(method=method, format="json", application_key=group.application_key)
    fields["sig"] = signature(fields, md5(group.access_token + group.application_secret))
    fields["access_token"] = group.access_token
    response = requests.post(
        settings.OK_API_URL.rstrip("/") + "/fb.do", data=fields, timeout=timeout()
    )
    try:
        answer = response.json()
    except ValueError:
        answer = None
    if isinstance(answer, dict) and "error_code" in answer:
        code = answer.get("error_code")
        raise OkError(
            code if isinstance(code, int) else None,
            str(answer.get("error_msg", ""))[:300],
            status=response.status_code,
        )
    if response.status_code != 200:
        raise OkError(None, response.text[:200], status=response.status_code)
    return answer
