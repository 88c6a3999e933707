"""A child process that takes a MigrationLock and holds it, for the lock and fault tests."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap

#: argv: url, lock name, service. Prints "held" once the lock is taken, then sleeps.
HOLDER = textwrap.dedent(
    """
    import sys, time
    from monomig._native import MigrationLock
    url, name, service = sys.argv[1:4]
    lock = MigrationLock(url, name, timeout=20, service=service)
    lock.acquire()
    print("held", flush=True)
    time.sleep(300)
    """
)


def spawn(script: str, *args: str) -> subprocess.Popen:
    """Run a Python ``script`` with ``args``, its output piped as text."""
    return subprocess.Popen(
        [sys.executable, "-c", script, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd="/"
    )


def expect_line(p: subprocess.Popen, want: str) -> None:
    """The child's next line is ``want`` (else it is killed and its stderr shown)."""
    line = p.stdout.readline().strip()
    if line != want:
        p.kill()
        raise AssertionError(f"expected {want!r}, got {line!r}; stderr: {p.stderr.read()}")


def kill(p: subprocess.Popen) -> None:
    if p.poll() is None:
        p.send_signal(signal.SIGKILL)
    p.wait()
