"""Start a Python child process at a test's moment: `python -m tests.travel <ISO time> -m mod …`
or `… -c code`. The tests run their own workers as children; with TEST_NOW those children must
share the travelled clock, or the two sides of one test would live in different years."""

from __future__ import annotations

import os
import runpy
import sys
from datetime import UTC, datetime

import time_machine


def child_argv(*argv: str) -> list[str]:
    """The command line of a Python child that shares the current (travelled) clock."""
    if not os.environ.get("TEST_NOW", "").strip():
        return [sys.executable, *argv]
    return [sys.executable, "-m", "tests.travel", datetime.now(UTC).isoformat(), *argv]


def main() -> None:
    moment, mode, target, *rest = sys.argv[1:]
    time_machine.travel(datetime.fromisoformat(moment), tick=True).start()
    if mode == "-m":
        sys.argv = [target, *rest]
        runpy.run_module(target, run_name="__main__", alter_sys=True)
    elif mode == "-c":
        sys.argv = ["-c", *rest]
        exec(compile(target, "<string>", "exec"), {"__name__": "__main__"})  # noqa: S102
    else:
        raise SystemExit(
            f"usage: python -m tests.travel <time> -m module | -c code ({os.getpid()})"
        )


if __name__ == "__main__":
    main()
