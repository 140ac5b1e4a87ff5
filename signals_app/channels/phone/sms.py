"""SMS through a pluggable gateway. `SMS_BACKEND` names a class (dotted path) whose instances
`send(*, to, text, key) -> Result`; empty (the default) means no SMS: the answer to a caller
without an e-mail becomes a task to call them back. The built-in `HttpGateway` posts JSON to
`SMS_GATEWAY_URL` with `SMS_GATEWAY_TOKEN`, the delivery's key as the message id (a gateway
that de-duplicates by it answers a repeat with 409 or the first message)."""

from __future__ import annotations

from functools import cache
from typing import Any, Protocol

import requests
from django.conf import settings
from django.utils.module_loading import import_string

from signals_app.channels.spec import Result, network_failure, timeout


class Gateway(Protocol):
    def send(self, *, to: str, text: str, key: str) -> Result: ...


@cache
def _gateway(path: str) -> Gateway:
    return import_string(path)()


def gateway() -> Gateway | None:
    """The configured SMS gateway, or None."""
    path = getattr(settings, "SMS_BACKEND", "") or ""
    return _gateway(path) if path else None


class HttpGateway:
    """`POST SMS_GATEWAY_URL` `{"id": key, "to": "+7…", "text": …}`, `Authorization: Bearer`."""

    def send(self, *, to: str, text: str, key: str) -> Result:
        try:
            response = requests.post(
                settings.SMS_GATEWAY_URL, json={"id": key, "to": to, "text": text},
                headers={"Authorization": f"Bearer {settings.SMS_GATEWAY_TOKEN}"},
                timeout=timeout(),
            )  # fmt: skip
        except requests.RequestException as error:
            return network_failure(error)
        status = response.status_code
        try:
            body: Any = response.json()
        except ValueError:
            body = {}
        body = body if isinstance(body, dict) else {}
        if status in (200, 201, 202, 409):  # 409: this id was sent already
            return Result("delivered", remote_id=str(body.get("id", key))[:100], http_status=status)
        detail = f"SMS {status}: {str(body.get('error') or body.get('message') or '')[:300]}"
        if status == 429 or status >= 500:
            retry = response.headers.get("Retry-After", "")
            return Result("transient", retry_after=float(retry) if retry.isdigit() else None,
                          http_status=status, error_code=f"sms_{status}", detail=detail)  # fmt: skip
        return Result("permanent", http_status=status, error_code=f"sms_{status}", detail=detail)


class ConsoleGateway:
    """For a local run (`make run` sets it when no gateway is configured): the message is
    printed to the server's output, the number masked, instead of being sent."""

    def send(self, *, to: str, text: str, key: str) -> Result:
        masked = to[:4] + "*" * max(0, len(to) - 6) + to[-2:]
        print(f"SMS to {masked}: {text}", flush=True)
        return Result("delivered", remote_id=key[:100])
