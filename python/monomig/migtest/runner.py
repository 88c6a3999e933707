"""Run ``monomig test``'s checks for many services: each on its own throwaway database,
in a worker process of its own (Alembic imported once per service), several at once
within a connection budget, databases dropped on every path out.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import monomig
from monomig._values import mask
from monomig.migtest.throwaway import Throwaway, backend_of, sweep
from monomig.migtest.worker import CHECKS

#: Options of a service's section (or of ``[tool.alembic]``) read by ``monomig test``.
OPT_SKIP = "monomig.test.skip"
OPT_MINIMUM_DOWNGRADE = "monomig.test.minimum_downgrade"
OPT_HEADS = "monomig.test.heads"
OPT_DATA = "monomig.test.data"
OPT_ALLOW_MULTIPLE_HEADS = "monomig.allow_multiple_heads"

#: Connections one service's checks hold at most at once (Alembic's, a schema read, the
#: administration connection that creates or drops its database).
CONNECTIONS_PER_SERVICE = 2


class TestSetupError(monomig.MonomigError):
    """``monomig test`` cannot start: a bad option of a section, no server to test on."""


@dataclass
class ServiceResult:
    service: str
    backend: str
    checks: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None
    log: str = ""
    duration: float = 0.0

    @property
    def failed(self) -> bool:
        return any(c["status"] == "failed" for c in self.checks)

    @property
    def broken(self) -> bool:
        return self.error is not None or any(c["status"] == "error" for c in self.checks)


def _words(value: str | None) -> list[str]:
    return [w for w in (value or "").replace(",", " ").split() if w]


def section_options(svc: monomig.Service) -> dict[str, Any]:
    """The section's ``monomig.test.*`` options, checked."""
    o = svc.options
    heads: int | None = 1
    if str(o.get(OPT_ALLOW_MULTIPLE_HEADS, "")).strip().lower() in ("true", "1", "yes", "on"):
        heads = None
    raw = o.get(OPT_HEADS)
    if raw:
        try:
            heads = int(raw)
            if heads < 1:
                raise ValueError
        except ValueError:
            raise TestSetupError(
                f"[{svc.name}] {OPT_HEADS} = {raw!r} is not a whole number of 1 or more: write how many "
                f"heads the service may have (e.g. {OPT_HEADS} = 2)"
            ) from None
    return {
        "skip": _words(o.get(OPT_SKIP)),
        "minimum_downgrade": (o.get(OPT_MINIMUM_DOWNGRADE) or "").strip() or None,
        "heads_allowed": heads,
        "data_module": (o.get(OPT_DATA) or "").strip() or None,
    }


def server_for(backend: str | None, url: str | None, service_url: str | None, service: str) -> tuple[str, str | None]:
    """The backend and server URL a service is tested on: ``--url``'s server, else the
    server of the service's own URL (a fresh database beside it), else SQLite."""
    if url:
        return backend_of(url), url
    if backend == "sqlite" or (backend is None and (service_url is None or backend_of(service_url) == "sqlite")):
        return "sqlite", None
    if service_url is not None and backend_of(service_url) == (backend or backend_of(service_url)):
        return backend_of(service_url), service_url
    raise TestSetupError(
        f"service {service!r}: no {backend} server to create a throwaway database on (its own URL is "
        f"{mask(service_url) if service_url else 'not set'}): pass --url with a {backend} server URL"
    )


class Runner:
    """Runs the checks; :meth:`run` returns one :class:`ServiceResult` per service."""

    def __init__(
        self,
        project: monomig.Project,
        services: Sequence[monomig.Service],
        *,
        checks: Sequence[str] = CHECKS,
        backend: str | None = None,
        url: str | None = None,
        jobs: int | None = None,
        max_connections: int = 8,
        on_result: Callable[[ServiceResult], None] | None = None,
    ) -> None:
        from monomig.fleet import service_spec

        self.project = project
        self.checks = [c for c in CHECKS if c in checks]
        self.on_result = on_result
        self.specs: list[dict[str, Any]] = []
        for svc in services:
            base = service_spec(project, svc)
            be, server = server_for(backend, url, base.get("url"), svc.name)
            self.specs.append(
                {
                    "service": svc.name,
                    "ini": project.config_file,
                    "toml": project.toml_file,
                    "version_table": svc.version_table,
                    "version_table_schema": svc.version_table_schema,
                    "base_dir": os.getcwd(),
                    "sys_path": [os.path.abspath(p) for p in svc.prepend_sys_path],
                    "checks": self.checks,
                    "backend": be,
                    "server": server,
                    **section_options(svc),
                }
            )
        budget = max(1, max_connections // CONNECTIONS_PER_SERVICE)
        self.jobs = max(1, min(jobs or (os.cpu_count() or 2), budget, len(self.specs) or 1))
        self._procs: set[subprocess.Popen[bytes]] = set()
        self._dbs: set[Throwaway] = set()
        self._lock = threading.Lock()
        self._stopping = False
        self._dropper = ThreadPoolExecutor(max_workers=2, thread_name_prefix="monomig-test-drop")
        #: What could not be dropped (one sentence each), for the command to say.
        self.leftovers: list[str] = []

    # ------------------------------------------------------------------ one worker
    def _start_worker(self) -> tuple[subprocess.Popen[bytes], Any]:
        read_fd, write_fd = os.pipe()
        proc = subprocess.Popen(
            [sys.executable, "-m", "monomig.migtest.worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            # The ledger is off on throwaway databases: their history dies with them, and the
            # stairway compares schemas that must not gain a ledger table after the first step.
            env={**os.environ, "PYTHONUNBUFFERED": "1", "MONOMIG_TEST_RESULT_FD": str(write_fd), "MONOMIG_LOG": "0"},
            pass_fds=(write_fd,),
        )
        os.close(write_fd)
        with self._lock:
            self._procs.add(proc)
        return proc, os.fdopen(read_fd, "r", encoding="utf-8")

    def _worker_loop(self, queue: list[dict[str, Any]], done: Callable[[ServiceResult], None]) -> None:
        """One worker process, taking services from ``queue`` until it is empty."""
        proc = results = None
        tmp = tempfile.mkdtemp(prefix="monomig-testrun-")
        try:
            while True:
                with self._lock:
                    if not queue or self._stopping:
                        return
                    spec = queue.pop(0)
                if proc is None or proc.poll() is not None:
                    proc, results = self._start_worker()
                assert proc.stdin is not None and results is not None
                done(self._one(spec, proc, results, tmp))
        finally:
            if proc is not None:
                if proc.stdin is not None:
                    try:
                        proc.stdin.close()
                    except OSError:
                        pass
                proc.wait()
                with self._lock:
                    self._procs.discard(proc)
            if results is not None:
                results.close()
            import shutil

            shutil.rmtree(tmp, ignore_errors=True)

    def _one(self, spec: dict[str, Any], proc: subprocess.Popen[bytes], results: Any, tmp: str) -> ServiceResult:
        start = time.perf_counter()
        result = ServiceResult(spec["service"], spec["backend"])
        db = Throwaway(spec["backend"], spec["server"])
        with self._lock:
            self._dbs.add(db)
        try:
            try:
                url = db.create()
            except Exception as e:  # noqa: BLE001 - reported for the service
                why = (str(e).strip().splitlines() or [type(e).__name__])[0]
                result.error = mask(
                    f"cannot create a throwaway database on {mask(spec['server'] or '')}: {why}; check that the "
                    f"server answers and that its user may create databases (or test on SQLite: --backend sqlite)"
                )
                return result
            job = {k: v for k, v in spec.items() if k != "server"}
            job.update(url=url, log=os.path.join(tmp, f"{spec['service']}.log"))
            line = ""
            try:
                assert proc.stdin is not None
                proc.stdin.write((json.dumps(job) + "\n").encode())
                proc.stdin.flush()
                line = results.readline()
            except (BrokenPipeError, OSError):
                pass
            try:
                with open(job["log"], encoding="utf-8", errors="replace") as f:
                    result.log = mask(f.read())
            except OSError:
                pass
            try:
                out = json.loads(line)
            except ValueError:
                result.error = f"the worker ended (status {proc.poll()}) before reporting"
            else:
                result.checks = out.get("checks", [])
                if out.get("error"):
                    result.error = mask(out["error"])
            for c in result.checks:
                for key in ("message", "command"):
                    if c.get(key):
                        c[key] = mask(c[key])
                c["details"] = [mask(d) for d in c.get("details") or []]
        finally:
            result.duration = time.perf_counter() - start
            # Dropped beside the next service's work: PostgreSQL's DROP DATABASE waits for a checkpoint.
            self._dropper.submit(self._drop, db)
        return result

    def _drop(self, db: Throwaway) -> None:
        try:
            db.drop()
        except Exception as e:  # noqa: BLE001 - the run's answer stands; say what is left
            self.leftovers.append(
                mask(
                    f"the throwaway database {db.name} could not be dropped: {e}; the next "
                    f"monomig test drops it, or drop it yourself"
                )
            )
        with self._lock:
            self._dbs.discard(db)

    # ------------------------------------------------------------------ all
    def sweep(self) -> list[str]:
        servers = [s["server"] for s in self.specs if s["server"]]
        try:
            return sweep(servers)
        except Exception:  # noqa: BLE001 - a sweep that cannot run is no reason not to test
            return []

    def stop(self) -> None:
        """Stop every worker (SIGINT, then SIGKILL after 5 s) and drop every database."""
        with self._lock:
            self._stopping = True
            procs = list(self._procs)
        for p in procs:
            try:
                p.send_signal(signal.SIGINT)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + 5
        for p in procs:
            try:
                p.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        with self._lock:
            dbs = list(self._dbs)
        for db in dbs:
            self._drop(db)

    def run(self) -> list[ServiceResult]:
        self.sweep()
        results: dict[str, ServiceResult] = {}
        queue = list(self.specs)

        def done(r: ServiceResult) -> None:
            with self._lock:
                results[r.service] = r
            if self.on_result:
                self.on_result(r)

        threads = [
            threading.Thread(target=self._worker_loop, args=(queue, done), name=f"monomig-test-{i}", daemon=True)
            for i in range(self.jobs)
        ]
        try:
            for t in threads:
                t.start()
            for t in threads:
                while t.is_alive():
                    t.join(0.2)  # wakes up for Ctrl-C and SIGTERM
        except BaseException:
            self.stop()
            for t in threads:
                t.join(10)
            raise
        finally:
            self._dropper.shutdown(wait=True)
        return [
            results.get(s["service"]) or ServiceResult(s["service"], s["backend"], error="not run") for s in self.specs
        ]


def sigterm_as_interrupt() -> Callable[[], None]:
    """Make SIGTERM raise KeyboardInterrupt in the main thread (so that databases are
    dropped); returns the function that restores the previous handler."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def handler(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, handler)

    def restore() -> None:
        signal.signal(signal.SIGTERM, previous)

    return restore
