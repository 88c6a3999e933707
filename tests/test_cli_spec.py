"""The generated mirror of Alembic's command line, ``monomig/_alembic_cli.py``.

monomig builds its parser from this data so that it never imports Alembic to do
so; this test regenerates the file from the installed Alembic and fails when the
committed (and installed) copy differs, e.g. after an Alembic upgrade. To refresh:
``.venv/bin/python scripts/gen_alembic_cli.py > python/monomig/_alembic_cli.py``.
"""

from __future__ import annotations

import inspect
import json
import subprocess
import sys
from pathlib import Path

import pytest

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
    import alembic

    if alembic.__version__ != spec_module.SPEC["alembic_version"]:
        pytest.skip(f"the file is generated from the pinned Alembic, not {alembic.__version__}")
    fresh = regenerate()
    committed = (REPO / "python" / "monomig" / "_alembic_cli.py").read_text()
    installed = Path(spec_module.__file__).read_text()
    assert committed == fresh, "python/monomig/_alembic_cli.py is stale: regenerate it (see this test's docstring)"
    assert installed == fresh


def test_the_parser_is_the_installed_alembics() -> None:
    """On every supported release (``make test-alembic-matrix``) the spec monomig parses with
    (``_alembic_support.cli_spec``) is the installed Alembic's parser, read afresh; only
    ``-c`` keeps collecting every value (the configuration reader applies the release's rule)."""
    from monomig import cli

    code = "import sys, json; sys.path.insert(0, sys.argv[1]); import gen_alembic_cli as g; print(json.dumps(g.spec()))"
    fresh = json.loads(
        subprocess.run(
            [sys.executable, "-c", code, str(REPO / "scripts")], capture_output=True, text=True, check=True
        ).stdout
    )
    ours = json.loads(json.dumps(cli.SPEC))
    for spec in (fresh, ours):
        for option in spec["globals"]:
            if option["dest"] == "config":
                for key in ("action", "default", "type"):
                    option.pop(key, None)
    assert ours == fresh


def test_spec_names_every_alembic_command() -> None:
    import alembic
    from alembic import command

    names = sorted(
        n
        for n in dir(command)
        if not n.startswith("_")
        and getattr(getattr(command, n), "__module__", "") == "alembic.command"
        and inspect.isfunction(getattr(command, n))
    )
    from monomig import cli

    spec = cli.SPEC
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
