"""Answers by the group: in the citizen's chat with it, `POST /graph/me/messages/<chat id>` with
the group's token (OK's Bot API for groups); under the citizen's comment on a post,
`discussions.addDiscussionComment` as the group's administrator (`as_admin`, the REST API with
the group's application). OK has no idempotency key, so an interrupted send is never
repeated by itself."""

from __future__ import annotations

from typing import Any

import requests
from django.conf import settings
from django.utils.translation import gettext as _

from signals_app.channels.ok.normalise import COMMENT_KEY
from signals_app.channels.ok.rest import TRANSIENT, OkError, call
from signals_app.channels.spec import Plan, Result, network_failure, reply_token, timeout
from signals_app.models import OkGroup, Reply, Signal

IDEMPOTENT: set[str] = set()
OK_LIMIT = 4000


def plan(signal: Signal) -> Plan | None:
    comment = COMMENT_KEY.match(signal.external_id or "")
    if comment is not None:
        return Plan("ok.comment", {"topic_id": comment["topic"], "comment_id": comment["comment"]})
    if not signal.thread_id.startswith("chat:"):
        return None  # not a chat (an import): e-mail, if the author left one
    return Plan("ok.messages", {"chat_id": signal.thread_id})


def _comment(target: dict[str, Any], reply: Reply, signal: Signal) -> Result:
    group = OkGroup.objects.filter(source=signal.source).first() if signal.source else None
    if group is None:
        return Result("permanent", error_code="not_configured",
                      detail=_("The source has no OK group to answer comments as."))  # fmt: skip
    try:
        answer = call(
            group, "discussions.addDiscussionComment", entityId=target["topic_id"],
            entityType="GROUP_TOPIC", comment=reply.text,
            reply_to_comment_id=target["comment_id"], as_admin="true",
        )  # fmt: skip
    except requests.RequestException as error:
        return network_failure(error)
    except OkError as error:
        code = f"ok_{error.code if error.code is not None else error.http_status}"
        return Result("transient" if error.transient else "permanent", error_code=code,
                      http_status=error.http_status or None, detail=str(error))  # fmt: skip
    if isinstance(answer, dict):
        answer = answer.get("id") or answer.get("comment_id") or ""
    return Result("delivered", remote_id=str(answer or "")[:100], http_status=200)


def send(*, method: str, target: dict[str, Any], key: str, reply: Reply, signal: Signal) -> Result:
    if len(reply.text) > OK_LIMIT:
        return Result("permanent", error_code="too_long",
                      detail=_("OK takes at most 4000 characters in a message."))  # fmt: skip
    if method == "ok.comment":
        return _comment(target, reply, signal)
    token = reply_token(signal)
    if not token:
        return Result("permanent", error_code="not_configured",
                      detail=_("The source has no OK group token for answers."))  # fmt: skip
    url = f"{settings.OK_API_URL.rstrip('/')}/graph/me/messages/{target['chat_id']}"
    body = {"recipient": {"chat_id": target["chat_id"]}, "message": {"text": reply.text}}
    try:
        response = requests.post(
            url, params={"access_token": token}, json=body, timeout=timeout(),
            headers={"Content-Type": "application/json;charset=utf-8"},
        )  # fmt: skip
    except requests.RequestException as error:
        return network_failure(error)
    try:
        answer = response.json()
    except ValueError:
        answer = {}
    answer = answer if isinstance(answer, dict) else {}
    status = response.status_code
    if status == 200 and "error_code" not in answer:
        return Result("delivered", remote_id=str(answer.get("message_id", ""))[:100],
                      http_status=200)  # fmt: skip
    code = answer.get("error_code")
    detail = f"OK {status}: {code or ''} {str(answer.get('error_msg', ''))[:300]}".strip()
    if status == 429 or status >= 500 or code in TRANSIENT:
        return Result("transient", http_status=status, error_code=f"ok_{code or status}",
                      detail=detail)  # fmt: skip
    return Result("permanent", http_status=status, error_code=f"ok_{code or status}",
                  detail=detail)  # fmt: skip
