"""Predictive analytics: counts kept as signals arrive (`rollup`, written in the batch write),
and what reads them (floor 4 beside `reports`; the models on floor 1, the rollup writer on 2)."""
