"""Hints after Alembic's own failure: Alembic's stdout and exit status are unchanged, and
monomig adds on stderr what it knows (the services when -n names none, a parent folder's
alembic.ini when there is none here, the fleet check beside Alembic's check)."""

from __future__ import annotations

from pathlib import Path

from support.fleet_repo import alembic, monomig


def _same_as_alembic(root: Path, *args: str) -> str:
    """Run both; assert the same stdout and exit status; return monomig's stderr."""
    a = alembic(root, *args)
    m = monomig(root, *args)
    assert (m.returncode, m.stdout) == (a.returncode, a.stdout), (args, m.stdout, a.stdout)
    assert m.returncode != 0
    return m.stderr


def test_hints_follow_alembics_message(demo_copy: Path) -> None:
    # a typo in -n: the project's services and the closest name
    err = _same_as_alembic(demo_copy, "-n", "service_on", "upgrade", "head")
    assert err.strip().splitlines()[-1] == (
        "monomig: hint: alembic.ini has no service [service_on]; its services are service_one, "
        "service_two; did you mean -n service_one?"
    ), err
    # run from a service's folder: the alembic.ini two folders up
    below = demo_copy / "services" / "service_one"
    err = _same_as_alembic(below, "-n", "service_one", "current")
    assert err.strip().splitlines()[-1] == (
        "monomig: hint: there is no alembic.ini here, but ../../alembic.ini exists: run the command from "
        "../.. or pass -c ../../alembic.ini."
    ), err
    # a name far from every service: the list, no guess
    err = _same_as_alembic(demo_copy, "-n", "zzz", "heads")
    assert "its services are service_one, service_two." in err and "did you mean" not in err
    # a command that succeeds gets no hint
    ok = monomig(demo_copy, "-n", "service_one", "heads")
    assert ok.returncode == 0 and "hint" not in ok.stderr


def test_alembic_check_names_the_fleet_check(demo_copy: Path) -> None:
    # `monomig check` is what `alembic check` is: here [alembic] is not a service
    (demo_copy / "alembic.ini").write_text(
        (demo_copy / "alembic.ini")
        .read_text()
        .replace("sqlalchemy.url = driver://user:pass@localhost/defaultdb", "")
        .replace("script_location = migrations\n", "")
    )
    err = _same_as_alembic(demo_copy, "check")
    last = err.strip().splitlines()[-1]
    assert last.startswith("monomig: hint: [alembic] in alembic.ini is not one of its services; its services are "), err
    assert last.endswith(
        "This was Alembic's check (autogenerate); monomig's static check of every service is `monomig check --all`."
    ), err
    fleet = monomig(demo_copy, "check", "--all")
    assert fleet.returncode == 0 and "monomig check: 2 services, no findings" in fleet.stdout
