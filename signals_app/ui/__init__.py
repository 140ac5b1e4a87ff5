"""The case-management pages: the queue, the signal page and what surrounds them."""
