"""The case-management pages, one module per page (or family of pages)."""
