"""monomig._values: the one yes/no reader and password masker of the Python package,
held to Alembic's own readings (SQLAlchemy's ``asbool``; ``get_alembic_boolean_option``)."""

from __future__ import annotations

import pytest

WORDS = [
    "true",
    "True",
    " YES ",
    "on",
    "y",
    "T",
    "1",
    "false",
    "No",
    "OFF",
    "n",
    "f",
    "0",
    "",
    "maybe",
    "2",
    "truee",
    "ja",
    " ",
]


@pytest.mark.parametrize("word", WORDS)
def test_parse_bool_is_sqlalchemy_asbool(word: str) -> None:
    from sqlalchemy.util import asbool

    from monomig._values import asbool as monomig_asbool
    from monomig._values import parse_bool

    try:
        expected: bool | None = asbool(word)
    except ValueError:
        expected = None
    assert parse_bool(word) is expected
    assert monomig_asbool(word, default=True) is (True if expected is None else expected)
    assert parse_bool(None) is None and parse_bool(0) is False and parse_bool(1) is True


@pytest.mark.parametrize("word", WORDS)
def test_exactly_true_is_alembics_ini_boolean(tmp_path, word: str) -> None:
    from alembic.config import Config

    from monomig._values import exactly_true

    ini = tmp_path / "alembic.ini"
    ini.write_text(f"[alembic]\nsourceless = {word}\n")
    cfg = Config(str(ini))
    read = cfg.file_config.get("alembic", "sourceless")
    assert exactly_true(read) is cfg.get_alembic_boolean_option("sourceless")
    assert exactly_true(True) and not exactly_true(False)


def test_env_off(monkeypatch: pytest.MonkeyPatch) -> None:
    from monomig._values import env_off

    for value, off in (("0", True), ("false", True), ("No", True), ("1", False), ("", False), ("later", False)):
        monkeypatch.setenv("MONOMIG_BRIDGE", value)
        assert env_off("MONOMIG_BRIDGE") is off
    monkeypatch.delenv("MONOMIG_BRIDGE")
    assert env_off("MONOMIG_BRIDGE") is False


def test_mask() -> None:
    from monomig._values import mask

    text = mask("could not reach postgresql+psycopg://app:s3cr3t@db/x")
    assert "s3cr3t" not in text and "app" in text
