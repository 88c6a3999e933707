"""monomig's ini reader against Python's own configparser, as Alembic uses it:
``ConfigParser({"here": ...}).read(path, encoding="locale")``.

Every section and every value must be identical, and every input where Python
raises must raise ConfigError here, with ``kind`` naming the same exception
class (and vice versa). Corpus: tests/fixtures/ini; random texts:
support/ini_gen.py (fixed seed; MONOMIG_DIFF_CASES raises the count).
"""

from __future__ import annotations

import configparser
import os
import random
from pathlib import Path

import pytest
from support import ini_gen
from support.config_oracle import configparser_view, monomig_ini_view

import monomig
import monomig._native as native

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "ini"
REPO = Path(__file__).resolve().parent.parent
CORPUS = sorted(FIXTURES.rglob("*.ini")) + [REPO / "alembic.ini"]
CASES = int(os.environ.get("MONOMIG_DIFF_CASES", "3000"))


def test_corpus_is_large_enough() -> None:
    assert len(CORPUS) >= 30


@pytest.mark.parametrize("ini", CORPUS, ids=lambda p: str(p.relative_to(REPO)))
def test_corpus_file_reads_like_configparser(ini: Path) -> None:
    assert monomig_ini_view(native, ini) == configparser_view(ini)


def _string_view_python(text: str) -> object:
    cp = configparser.ConfigParser({"here": "/h"})
    try:
        cp.read_string(text, "<string>")
    except Exception as e:  # noqa: BLE001
        return ("error", type(e).__name__)
    out = {}
    for name in cp.sections():
        try:
            out[name] = list(cp.items(name))
        except Exception as e:  # noqa: BLE001
            out[name] = ("error", type(e).__name__)
    return out


def _string_view_monomig(text: str) -> object:
    try:
        ini = native.parse_ini(text, "<string>", [("here", "/h")])
    except monomig.ConfigError as e:
        return ("error", e.kind)
    out = {}
    for name in ini.sections():
        try:
            out[name] = ini.items(name)
        except monomig.ConfigError as e:
            out[name] = ("error", e.kind)
    return out


@pytest.mark.slow
def test_random_texts_read_like_configparser(tmp_path: Path) -> None:
    rng = random.Random(20240611)
    path = tmp_path / "random.ini"
    outcomes = {"ok": 0, "error": 0, "value_error": 0}
    for i in range(CASES):
        text = ini_gen.ini_text(rng)
        path.write_bytes(text.encode("utf-8"))
        expected = configparser_view(path)
        actual = monomig_ini_view(native, path)
        assert actual == expected, f"case {i}: {text!r}"
        # read_string keeps \r inside lines; compare that path too.
        assert _string_view_monomig(text) == _string_view_python(text), f"case {i} (string): {text!r}"
        if isinstance(expected, tuple):
            outcomes["error"] += 1
        elif any(isinstance(v, tuple) for v in expected.values()):
            outcomes["value_error"] += 1
        else:
            outcomes["ok"] += 1
    # The generator must exercise all three outcomes substantially.
    assert min(outcomes.values()) > CASES // 10, outcomes


@pytest.mark.parametrize(
    ("text", "kind", "lineno"),
    [
        ("k = v\n", "MissingSectionHeaderError", 1),
        ("\ufeff[alembic]\n", "MissingSectionHeaderError", 1),
        ("[a]\n[b]\n[a]\n", "DuplicateSectionError", 3),
        ("[a]\nk = 1\n\nK = 2\n", "DuplicateOptionError", 4),
        ("[a]\nk = 1\nnovalue\n", "ParsingError", 3),
        ("[a]\nbad line\n[a]\n", "DuplicateSectionError", 3),
    ],
)
def test_parse_errors_name_the_line(text: str, kind: str, lineno: int) -> None:
    with pytest.raises(monomig.ConfigError) as info:
        native.parse_ini(text, "conf.ini")
    assert info.value.kind == kind
    assert info.value.lineno == lineno
    assert f"conf.ini, line {lineno}" in str(info.value)
    with pytest.raises(getattr(configparser, kind)):
        configparser.ConfigParser().read_string(text)


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("5%", "InterpolationSyntaxError"),
        ("%(x)d", "InterpolationSyntaxError"),
        ("%(missing)s", "InterpolationMissingOptionError"),
        ("%(k)s", "InterpolationDepthError"),
    ],
)
def test_interpolation_errors_name_option_section_and_line(value: str, kind: str) -> None:
    text = f"[DEFAULT]\nother = 1\n[svc]\nk = {value}\n"
    ini = native.parse_ini(text, "conf.ini")
    with pytest.raises(monomig.ConfigError) as info:
        ini.get("svc", "k")
    err = info.value
    assert (err.kind, err.lineno, err.section, err.option) == (kind, 4, "svc", "k")
    assert "conf.ini, line 4, [svc], option 'k'" in str(err)
    cp = configparser.ConfigParser()
    cp.read_string(text)
    with pytest.raises(getattr(configparser, kind)):
        cp.get("svc", "k")


def test_values_and_defaults() -> None:
    text = "[DEFAULT]\nRoot = /r\n[s]\npath = %(ROOT)s/x\n  cont\n\n  more\nurl: a=b # kept\n"
    ini = native.parse_ini(text, "c.ini", [("here", "/h")])
    assert ini.items("s") == [("here", "/h"), ("root", "/r"), ("path", "/r/x\ncont\n\nmore"), ("url", "a=b # kept")]
    assert ini.items("s", raw=True)[2] == ("path", "%(ROOT)s/x\ncont\n\nmore")
    assert ini.get("s", "PATH") == "/r/x\ncont\n\nmore"
    assert ini.get("s", "nope") is None and ini.get("nope", "path") is None
    assert ini.has_option("s", "root") and not ini.has_option("nope", "root")
    assert ini.items("DEFAULT") == [("here", "/h"), ("root", "/r")]
    with pytest.raises(monomig.ConfigError) as info:
        ini.items("nope")
    assert info.value.kind == "NoSectionError"


def test_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(monomig.ConfigError) as info:
        native.read_ini(tmp_path / "missing.ini")
    assert info.value.kind == "OSError" and "missing.ini" in str(info.value)
    (tmp_path / "latin1.ini").write_bytes(b"[a]\nk = Jos\xe9\n")
    with pytest.raises(monomig.ConfigError) as info:
        native.read_ini(tmp_path / "latin1.ini")
    assert info.value.kind == "UnicodeDecodeError" and info.value.lineno == 2
    with pytest.raises(monomig.ConfigError) as info:
        native.read_ini(tmp_path)
    assert "directory" in str(info.value)


def test_passwords_never_in_error_messages() -> None:
    ini = native.parse_ini("[a]\nsqlalchemy.url = postgresql://app:hunter%402@db/x\n", "c.ini")
    with pytest.raises(monomig.ConfigError) as info:
        ini.get("a", "sqlalchemy.url")
    assert "hunter" not in str(info.value)
    assert "c.ini, line 2" in str(info.value)
