"""The way back out: published replies delivered to the citizen's channel, and signed webhooks.

Both go through outbox rows written in the transaction of the change they report; a worker
sends them with retries and records every attempt (see `engine.py`).
"""
