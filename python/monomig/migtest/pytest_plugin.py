"""The pytest plugin: ``monomig test``'s checks as pytest tests, one per service and check.

Off unless asked for: ``pytest --monomig`` or ``monomig = true`` in the ini file's
``[pytest]`` section (``[tool.pytest.ini_options]``). The tests are named
``alembic.ini::<service>::<check>`` so ``-k orders``, ``-k stairway`` select them. The
first of them to run tests every selected service at once (in parallel, each on its own
throwaway database); each test then reports its check. Under pytest-xdist (``-n``), each
service is tested by the process that runs its first test. Options: ``--monomig-config``
(default ``alembic.ini``; ini ``monomig_config``), ``--monomig-backend``,
``--monomig-url``, ``--monomig-jobs``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

_RESULTS = pytest.StashKey[dict[str, Any]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("monomig", "monomig test: every service's migrations on throwaway databases")
    group.addoption(
        "--monomig",
        action="store_true",
        default=None,
        help="collect monomig's migration checks (a test per service and check)",
    )
    group.addoption("--monomig-config", metavar="FILE", help="the alembic.ini (default: alembic.ini)")
    group.addoption(
        "--monomig-backend",
        choices=("sqlite", "postgresql", "mysql"),
        help="test on this backend (default: each service's own)",
    )
    group.addoption("--monomig-url", metavar="URL", help="the server to create throwaway databases on")
    group.addoption("--monomig-jobs", type=int, metavar="N", help="services tested at once")
    parser.addini("monomig", "collect monomig's migration checks", type="bool", default=False)
    parser.addini("monomig_config", "the alembic.ini of monomig's migration checks", default="alembic.ini")


def _enabled(config: pytest.Config) -> bool:
    flag = config.getoption("--monomig")
    return bool(flag) if flag is not None else bool(config.getini("monomig"))


def _ini(config: pytest.Config) -> Path:
    name = config.getoption("--monomig-config") or config.getini("monomig_config") or "alembic.ini"
    path = Path(name)
    return path if path.is_absolute() else Path(config.rootpath, path)


class MonomigFile(pytest.File):
    def collect(self) -> Any:
        from monomig import fleet
        from monomig.migtest.worker import CHECKS

        project = fleet.load_project([str(self.path)])
        for name in project.services:
            for check in CHECKS:
                yield MonomigItem.from_parent(self, name=f"{name}::{check}", service=name, check=check)


class CheckFailure(Exception):
    pass


class MonomigItem(pytest.Item):
    def __init__(self, *, service: str, check: str, **kw: Any) -> None:
        super().__init__(**kw)
        self.service = service
        self.check = check

    def _results(self) -> dict[str, Any]:
        """Every selected service's results, tested at once by the first item to run; under
        pytest-xdist (items spread over processes), the item's own service only."""
        config = self.config
        results = config.stash.setdefault(_RESULTS, {})
        if self.service not in results:
            from monomig import fleet
            from monomig.migtest.runner import Runner

            items = [i for i in self.session.items if isinstance(i, MonomigItem)]
            services = [s for s in dict.fromkeys(i.service for i in items) if s not in results]
            if hasattr(config, "workerinput"):
                services = [self.service]
            checks = list(dict.fromkeys(i.check for i in items if i.service in services))
            ini = str(self.path)
            cwd = os.getcwd()
            os.chdir(self.path.parent)  # Alembic's relative paths are relative to the working directory
            try:
                project = fleet.load_project([ini])
                runner = Runner(
                    project,
                    [project.services[s] for s in services],
                    checks=checks,
                    backend=config.getoption("--monomig-backend"),
                    url=config.getoption("--monomig-url"),
                    jobs=config.getoption("--monomig-jobs"),
                )
                results.update({r.service: r for r in runner.run()})
            finally:
                os.chdir(cwd)
        return results

    def runtest(self) -> None:
        r = self._results()[self.service]
        if r.error:
            raise CheckFailure(f"{self.service} could not be tested: {r.error}\n{r.log[-3000:]}")
        found = [c for c in r.checks if c["check"] == self.check]
        if not found:
            pytest.skip("not run")
        c = found[0]
        if c["status"] in ("skipped", "not_run"):
            pytest.skip(c.get("message") or c["status"])
        if c["status"] in ("failed", "error"):
            lines = [c.get("message", "")]
            if c.get("command"):
                lines.append(f"command: {c['command']}")
            lines.extend(c.get("details") or [])
            raise CheckFailure("\n".join(lines))

    def repr_failure(self, excinfo: Any, style: Any = None) -> Any:
        if isinstance(excinfo.value, CheckFailure):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style)

    def reportinfo(self) -> tuple[Any, int | None, str]:
        return self.path, None, f"{self.service}::{self.check}"


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    if not _enabled(config):
        return
    ini = _ini(config)
    if not ini.exists():
        raise pytest.UsageError(f"monomig: {ini} does not exist: pass --monomig-config or set monomig_config")
    items.extend(MonomigFile.from_parent(session, path=ini).collect())
