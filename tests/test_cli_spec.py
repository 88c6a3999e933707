"""The generated mirror of Alembic's command line, ``monomig/_alembic_cli.py``.

monomig builds its parser from this data so that it never imports Alembic to do
so; this test regenerates the file from the installed Alembic and fails when the
committed (and installed) copy differs, e.g. after an Alembic upgrade. To refresh:
``.venv/bin/python scripts/gen_alembic_cli.py > python/monomig/_alembic_cli.py``.
"""

from __future__ import annotations

import inspect
import subprocess
import sys
from pathlib import Path

import monomig
import monomig._alembic_cli as spec_module

REPO = Path(__file__).resolve().parent.parent


def regenerate() -> str:
    return subprocess.run(
        [sys.executable, str(REPO / "scripts" / "gen_alembic_cli.py")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def test_spec_matches_the_installed_alembic() -> None:
    fresh = regenerate()
    committed = (REPO / "python" / "monomig" / "_alembic_cli.py").read_text()
    installed = Path(spec_module.__file__).read_text()
    assert committed == fresh, "python/monomig/_alembic_cli.py is stale: regenerate it (see this test's docstring)"
    assert installed == fresh


def test_spec_names_every_alembic_command() -> None:
    import alembic
    from alembic import command

    names = sorted(
        n for n in dir(command) if not n.startswith("_") and getattr(getattr(command, n), "__module__", "") == "alembic.command"
        and inspect.isfunction(getattr(command, n))
    )
    spec = spec_module.SPEC
    assert spec["alembic_version"] == alembic.__version__
    assert [c["name"] for c in spec["commands"]] == names  # type: ignore[index]


def test_parser_is_built_without_alembic() -> None:
    code = (
        "import sys\nfrom monomig import cli\ncli.build_parser()\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('alembic', 'sqlalchemy')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
    assert monomig.__version__
