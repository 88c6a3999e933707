"""monomig.load_project, Project and Service: how files are found, what the
objects hold, and the clear ConfigError every kind of bad input gets."""

from __future__ import annotations

import importlib.resources
import shutil
from pathlib import Path

import pytest

import monomig
import monomig._native as native
from monomig import _alembic_support

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "ini"


@pytest.fixture(autouse=True)
def newest_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests are of the rules of Alembic 1.16 and later (pyproject.toml,
    path_separator, the appendable -c), whatever Alembic is installed: the reader
    follows the installed one (``_alembic_support.installed_version``), so it is
    named here. The older rules: tests/test_config_versions.py and the config
    differential tests on every minor (``make test-alembic-matrix``)."""
    monkeypatch.setattr(_alembic_support, "installed_version", lambda: "1.20.1")


@pytest.fixture
def proj(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty working directory with a migrations/versions tree."""
    (tmp_path / "migrations" / "versions").mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ALEMBIC_CONFIG", raising=False)
    return tmp_path


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_to_alembic_ini_in_the_working_directory(proj: Path) -> None:
    write(proj / "alembic.ini", "[alembic]\nscript_location = migrations\n")
    project = monomig.load_project()
    assert project.config_file == str(proj / "alembic.ini")
    assert project.toml_file is None
    assert list(project.services) == ["alembic"]
    service = project.services["alembic"]
    assert isinstance(service, monomig.Service)
    assert service.script_location == str(proj / "migrations")
    assert service.version_locations == [str(proj / "migrations" / "versions")]
    assert service.options == {"here": str(proj), "script_location": "migrations"}
    assert service.file_template == "%(rev)s_%(slug)s"
    assert service.truncate_slug_length is None and service.effective_truncate_slug_length == 40
    assert service.version_table == "alembic_version" and service.version_table_schema is None
    assert service.sqlalchemy_url is None
    assert (service.sourceless, service.recursive_version_locations) == (False, False)
    assert service.prepend_sys_path == [] and service.post_write_hooks == [] and service.warnings == []
    assert "alembic" in repr(project) and "alembic" in repr(service)


def test_alembic_config_environment_variable(proj: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(proj / "conf" / "my.ini", "[alembic]\nscript_location = %(here)s/m\n")
    (proj / "conf" / "m").mkdir()
    monkeypatch.setenv("ALEMBIC_CONFIG", "conf/my.ini")
    project = monomig.load_project()
    assert project.config_file == str(proj / "conf" / "my.ini")
    assert project.services["alembic"].script_location == str(proj / "conf" / "m")
    # ALEMBIC_CONFIG naming a pyproject.toml makes it the TOML file; the ini stays alembic.ini.
    write(proj / "alembic.ini", "[alembic]\n")
    write(proj / "tools" / "pyproject.toml", '[tool.alembic]\nscript_location = "%(here)s/../migrations"\n')
    monkeypatch.setenv("ALEMBIC_CONFIG", "tools/pyproject.toml")
    project = monomig.load_project()
    assert project.config_file == str(proj / "alembic.ini")
    assert project.toml_file == str(proj / "tools" / "pyproject.toml")
    assert project.services["alembic"].script_location == str(proj / "tools" / ".." / "migrations")


def test_config_argument_may_name_the_toml_file(proj: Path) -> None:
    write(proj / "alembic.ini", "[alembic]\n")
    write(proj / "sub" / "pyproject.toml", '[tool.alembic]\nscript_location = "migrations"\n')
    project = monomig.load_project("sub/pyproject.toml")
    assert project.toml_file == str(proj / "sub" / "pyproject.toml")
    assert project.services["alembic"].script_location == str(proj / "migrations")
    assert monomig.load_project(proj / "alembic.ini", proj / "sub" / "pyproject.toml").services


def test_missing_ini_is_an_error_unless_allowed(proj: Path) -> None:
    with pytest.raises(monomig.ConfigError, match=r"config file alembic.ini not found"):
        monomig.load_project()
    write(proj / "pyproject.toml", '[tool.alembic]\nscript_location = "migrations"\n')
    project = monomig.load_project(allow_missing_ini=True)
    assert list(project.services) == ["alembic"]
    assert project.sections == []


def test_sections_and_section(proj: Path) -> None:
    write(
        proj / "alembic.ini",
        "[alembic]\ndatabases = a, ghost\n[DEFAULT]\nscript_location = migrations\n[a]\nsqlalchemy.url = sqlite://\n"
        "[b]\nscript_location = broken_dir\n[loggers]\nkeys = root\n",
    )
    # [b] cannot run: with services it is an error; without, other sections still resolve.
    with pytest.raises(monomig.ConfigError, match=r"section \[b\]: Path doesn't exist: broken_dir"):
        monomig.load_project()
    project = monomig.load_project(find_services=False)
    assert project.services == {} and project.sections == ["alembic", "a", "b", "loggers"]
    assert project.section("a").sqlalchemy_url == "sqlite://"
    assert project.section("loggers").script_location == str(proj / "migrations")
    with pytest.raises(monomig.ConfigError, match=r"alembic.ini: it has no section \[nope\]; its sections are"):
        project.section("nope")
    with pytest.raises(monomig.ConfigError, match=r"DEFAULT"):
        project.section("DEFAULT")
    (proj / "broken_dir").mkdir()
    project = monomig.load_project()
    assert list(project.services) == ["a", "b"]
    assert project.warnings == ["alembic.ini: [alembic] databases names 'ghost', but there is no section [ghost]"]


def test_package_resource_script_location(proj: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(FIXTURES / "pkgs"))
    write(
        proj / "alembic.ini",
        "[alembic]\nscript_location = monomig_fixture_pkg:migrations\n"
        "version_locations = monomig_fixture_pkg:migrations/versions/a\npath_separator = space\n",
    )
    service = monomig.load_project().services["alembic"]
    pkg = importlib.resources.files("monomig_fixture_pkg")
    assert service.script_location == str(Path(str(pkg)) / "migrations")
    assert service.version_locations == [str(Path(str(pkg)) / "migrations" / "versions" / "a")]
    write(proj / "alembic.ini", "[alembic]\nscript_location = no_such_pkg_xyz:migrations\n")
    with pytest.raises(monomig.ConfigError, match=r"ModuleNotFoundError: No module named 'no_such_pkg_xyz'"):
        monomig.load_project()


def test_deprecation_warnings_are_reported(proj: Path) -> None:
    write(
        proj / "alembic.ini",
        "[alembic]\nscript_location = migrations\nversion_locations = a, b\nprepend_sys_path = .:src\n",
    )
    service = monomig.load_project().services["alembic"]
    assert service.prepend_sys_path == [".", "src"]
    assert [w.split(";")[0] for w in service.warnings] == ["No path_separator found in configuration"] * 2
    assert "prepend_sys_path" in service.warnings[0] and "version_locations" in service.warnings[1]


BAD_INPUTS = [
    # (ini text or bytes, toml text, what the message must contain)
    ("[alembic]\nscript_location = migrations\nsection-less line\n", None, "alembic.ini, line 3 (section [alembic])"),
    ("script_location = migrations\n", None, "alembic.ini, line 1"),
    ("[alembic]\nscript_location = %(nope)s\n", None, "alembic.ini, line 2, [alembic], option 'script_location'"),
    ("[alembic]\nscript_location = 5%\n", None, "'%' must be followed by '%' or '('"),
    ("[alembic]\nscript_location = migrations\n[alembic]\n", None, "line 3: section [alembic] appears a second"),
    ("[alembic]\nscript_location = a\nSCRIPT_LOCATION = b\n", None, "line 3: option 'script_location' appears"),
    (
        "[alembic]\nscript_location = migrations\npath_separator = comma\nversion_locations = a,b\n",
        None,
        "'comma' is not a valid value for path_separator; expected 'space', 'newline', 'os', ':', ';'",
    ),
    (b"[alembic]\nscript_location = migrations\nx = \xe9\n", None, "alembic.ini, line 3: the file is not valid UTF-8"),
    ("\ufeff[alembic]\n", None, "byte order mark"),
    ("[alembic]\nscript_location = migrations\n", "[tool.alembic\n", "pyproject.toml, line 1: not valid TOML"),
    ("[alembic]\nscript_location = migrations\n", '[tool.alembic]\nsourceless = "yes"\n', "boolean value expected"),
    ("[alembic]\nscript_location = missing\n", None, "Path doesn't exist: missing"),
    ("[alembic]\nscript_location = migrations\ntruncate_slug_length = x\n", None, "truncate_slug_length"),
]


@pytest.mark.parametrize(("ini", "toml", "needle"), BAD_INPUTS)
def test_bad_input_is_one_clear_config_error(proj: Path, ini: str | bytes, toml: str | None, needle: str) -> None:
    if isinstance(ini, bytes):
        (proj / "alembic.ini").write_bytes(ini)
    else:
        write(proj / "alembic.ini", ini)
    if toml is not None:
        write(proj / "pyproject.toml", toml)
    with pytest.raises(monomig.ConfigError) as info:
        monomig.load_project()
    message = str(info.value)
    assert needle in message
    assert "\n" not in message.strip() or "line" in message  # one paragraph
    assert "alembic.ini" in message or "pyproject.toml" in message


def test_no_section_for_dash_n_and_directory_as_config(proj: Path) -> None:
    write(proj / "alembic.ini", "[alembic]\nscript_location = migrations\n")
    with pytest.raises(monomig.ConfigError, match=r"no section \[service_x\]"):
        monomig.load_project().section("service_x")
    (proj / "dir.ini").mkdir()
    with pytest.raises(monomig.ConfigError, match=r"cannot read dir.ini: it is a directory"):
        monomig.load_project("dir.ini")


def test_passwords_never_in_messages(proj: Path) -> None:
    write(proj / "alembic.ini", "[alembic]\nscript_location = migrations\nsqlalchemy.url = pg://app:se%40cret@h/db\n")
    with pytest.raises(monomig.ConfigError) as info:
        monomig.load_project()
    assert "se%40cret" not in str(info.value) and "app:***@h" in str(info.value)
    assert native.mask_password("pg://app:pw@h/db") == "pg://app:***@h/db"


def test_config_paths_like_the_alembic_command() -> None:
    assert native.config_paths([]) == ("alembic.ini", "pyproject.toml")
    assert native.config_paths(["x.ini", "y/pyproject.toml"]) == ("x.ini", "y/pyproject.toml")
    assert native.config_paths([], "env.ini") == ("env.ini", "pyproject.toml")
    with pytest.raises(monomig.ConfigError, match="only one ini file may be indicated"):
        native.config_paths(["a.ini", "b.ini"])
    with pytest.raises(monomig.ConfigError, match="pyproject.toml indicated more than once"):
        native.config_paths(["pyproject.toml", "x/pyproject.toml"])


def test_demo_copy_services(demo_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(demo_copy)
    project = monomig.load_project()
    assert list(project.services) == ["service_one", "service_two"]
    for name, service in project.services.items():
        assert service.version_locations == [str(demo_copy / "migrations" / "versions" / name)]
        assert service.prepend_sys_path == ["."]
    shutil.rmtree(demo_copy / "migrations")
    with pytest.raises(monomig.ConfigError, match=r"section \[service_one\]: Path doesn't exist"):
        monomig.load_project()


def test_percent_in_the_ini_directory_fails_like_alembic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # %(here)s expands to a path with '%' in it, which configparser then interpolates again.
    import configparser

    from alembic.config import Config
    from alembic.script import ScriptDirectory

    root = tmp_path / "100%done"
    (root / "migrations").mkdir(parents=True)
    write(root / "alembic.ini", "[alembic]\nscript_location = %(here)s/migrations\n")
    monkeypatch.chdir(root)
    with pytest.raises(monomig.ConfigError, match=r"alembic.ini, line 2, \[alembic\], option 'script_location'"):
        monomig.load_project()
    with pytest.raises(configparser.InterpolationSyntaxError):
        ScriptDirectory.from_config(Config("alembic.ini"))


def test_option_errors_name_their_line(proj: Path) -> None:
    write(
        proj / "alembic.ini",
        "[DEFAULT]\npath_separator = tab\n[alembic]\nscript_location = migrations\nversion_locations = a\n",
    )
    with pytest.raises(
        monomig.ConfigError, match=r"^alembic.ini, line 2, section \[alembic\] \(from \[DEFAULT\]\): 'tab'"
    ):
        monomig.load_project()
    write(proj / "alembic.ini", "[alembic]\n")
    write(proj / "pyproject.toml", '[tool.alembic]\nscript_location = "nowhere"\n')
    with pytest.raises(
        monomig.ConfigError, match=r"^pyproject.toml, \[tool.alembic\] script_location .*Path doesn't exist"
    ):
        monomig.load_project()
