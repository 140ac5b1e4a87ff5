"""A visitor's appeal comes from the same fast form as a call (`channels.phone.normalise`)."""

from signals_app.channels.phone.normalise import outcome

__all__ = ["outcome"]
