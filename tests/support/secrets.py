"""Checking that passwords never show: a registry of test passwords and of everything a
test saw (messages, exceptions, process output, log records, files), then one check that
greps all of it for every password.

Use it as a fixture (import it into the test module, as with support.databases)::

    from support.secrets import SecretRegistry, leak_check  # noqa: F401

    def test_x(leak_check: SecretRegistry) -> None:
        pw = leak_check.new_secret()                 # "S3cr3t-<uuid hex>", registered
        url = f"postgresql://u:{pw}@127.0.0.1:1/db"
        with pytest.raises(monomig.MonomigError) as e:
            native.ping(url)
        leak_check.record_exception("ping", e.value)
        leak_check.record_process("cli", subprocess.run([...], capture_output=True, text=True))
        # at teardown, leak_check.check() fails the test if any password was recorded

or on its own: ``reg = SecretRegistry(); ...; reg.check()``. A password is also looked for
percent-encoded (as it appears in URLs) and in ``repr`` form.
"""

from __future__ import annotations

import logging
import subprocess
import traceback
import urllib.parse
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


class SecretLeak(AssertionError):
    """A registered password was found in recorded output."""


class SecretRegistry:
    """Test passwords and the outputs to search for them."""

    def __init__(self) -> None:
        self._secrets: list[str] = []
        self._records: list[tuple[str, str]] = []

    # -- passwords ------------------------------------------------------------------
    def new_secret(self, prefix: str = "S3cr3t") -> str:
        """A distinctive password (``S3cr3t-<32 hex digits>``), registered."""
        s = f"{prefix}-{uuid.uuid4().hex}"
        self.add_secret(s)
        return s

    def add_secret(self, secret: str) -> None:
        if len(secret) < 6:
            raise ValueError("a test password must be at least 6 characters to be searched for reliably")
        if secret not in self._secrets:
            self._secrets.append(secret)

    @property
    def secrets(self) -> tuple[str, ...]:
        return tuple(self._secrets)

    # -- outputs --------------------------------------------------------------------
    def record(self, label: str, value: Any) -> None:
        """Any text (str, bytes, or anything with a str())."""
        self._records.append((label, _text(value)))

    def record_exception(self, label: str, exc: BaseException) -> None:
        """``str``, ``repr``, arguments, attributes and the formatted traceback of an exception
        (and of its causes)."""
        self.record(f"{label}: str", str(exc))
        self.record(f"{label}: repr", repr(exc))
        self.record(f"{label}: args", repr(exc.args))
        for name, value in vars(exc).items():
            self.record(f"{label}: .{name}", repr(value))
        self.record(f"{label}: traceback", "".join(traceback.format_exception(exc)))

    def record_process(self, label: str, proc: subprocess.CompletedProcess | subprocess.CalledProcessError) -> None:
        """stdout and stderr of a finished process (text or bytes) and its command line."""
        self.record(f"{label}: stdout", proc.stdout)
        self.record(f"{label}: stderr", proc.stderr)

    def record_file(self, path: str | Path, label: str | None = None) -> None:
        """A file's contents (logs, reports), if it exists."""
        p = Path(path)
        if p.is_file():
            self.record(label or f"file {p}", p.read_bytes())

    def record_files(self, root: str | Path, pattern: str = "*") -> None:
        """Every file under ``root`` matching ``pattern`` (recursively)."""
        for p in sorted(Path(root).rglob(pattern)):
            if p.is_file():
                self.record_file(p)

    def record_logs(self, records: Iterable[logging.LogRecord], label: str = "log") -> None:
        """Log records (e.g. ``caplog.records``), formatted with their arguments."""
        for r in records:
            self.record(f"{label} {r.name}", r.getMessage())
            if r.exc_info and r.exc_info[1] is not None:
                self.record_exception(f"{label} {r.name} exc", r.exc_info[1])

    @property
    def records(self) -> tuple[tuple[str, str], ...]:
        return tuple(self._records)

    # -- the check ------------------------------------------------------------------
    @staticmethod
    def _forms(secret: str) -> set[str]:
        return {
            secret,
            urllib.parse.quote(secret, safe=""),
            urllib.parse.quote_plus(secret),
            repr(secret)[1:-1],
        }

    def leaks(self) -> list[tuple[str, str]]:
        """``(label, password)`` for every record containing a registered password."""
        found = []
        for label, text in self._records:
            for s in self._secrets:
                if any(f in text for f in self._forms(s)):
                    found.append((label, s))
        return found

    def check(self) -> None:
        """Fail (SecretLeak) when any recorded output contains a registered password; the
        failure message shows where, with the password itself masked."""
        leaks = self.leaks()
        if leaks:
            lines = []
            for label, s in leaks:
                text = dict(self._records)[label] if label in dict(self._records) else ""
                shown = text
                for f in self._forms(s):
                    shown = shown.replace(f, "<PASSWORD>")
                lines.append(f"- {label}: {shown[:400]!r}")
            raise SecretLeak(f"{len(leaks)} recorded outputs contain a test password:\n" + "\n".join(lines))


@pytest.fixture
def leak_check() -> Iterator[SecretRegistry]:
    """A registry whose check runs when the test ends (failing it on a leak)."""
    reg = SecretRegistry()
    yield reg
    reg.check()
