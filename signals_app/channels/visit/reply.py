"""A visitor is answered as a caller is: by the contact they left (`channels.phone.reply`)."""

from signals_app.channels.phone.reply import plan

IDEMPOTENT: set[str] = set()

__all__ = ["IDEMPOTENT", "plan"]
