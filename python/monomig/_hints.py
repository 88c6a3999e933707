"""What monomig knows that Alembic's message does not say: the alembic.ini of a parent
folder when there is none here, and the project's services when ``-n`` names none.

Used by the ``monomig`` command after an Alembic command failed (the hint goes to
stderr; Alembic's stdout and exit status are unchanged) and by ``monomig doctor``.
Never raises: a hint that cannot be worked out is simply not given.
"""

from __future__ import annotations

import difflib
import os

__all__ = ["closest_service", "config_hint", "parent_config", "section_hint"]


def parent_config(config_file: str, start: str | None = None) -> str | None:
    """The nearest file named like ``config_file`` (its base name) in a parent folder of
    ``start`` (default: the working directory), when ``config_file`` itself does not exist;
    else None."""
    if os.path.exists(config_file):
        return None
    name = os.path.basename(config_file) or "alembic.ini"
    folder = os.path.abspath(start or os.getcwd())
    if os.path.dirname(config_file):
        folder = os.path.dirname(os.path.abspath(config_file))
    while True:
        parent = os.path.dirname(folder)
        if parent == folder:
            return None
        folder = parent
        candidate = os.path.join(folder, name)
        if os.path.isfile(candidate):
            return candidate


def closest_service(name: str, services: list[str]) -> str | None:
    """The service whose name is closest to ``name`` (difflib), or None."""
    match = difflib.get_close_matches(name, services, n=1, cutoff=0.6)
    return match[0] if match else None


def config_hint(config_file: str) -> str | None:
    """A hint for a config file that does not exist (None when it exists or none is near)."""
    found = parent_config(config_file)
    if found is None:
        return None
    rel = os.path.relpath(found)
    return (
        f"there is no {config_file} here, but {rel} exists: run the command from "
        f"{os.path.dirname(rel) or '.'} or pass -c {rel}."
    )


def section_hint(config_file: str, toml_file: str | None, name: str) -> str | None:
    """A hint for ``-n name`` when the section ``name`` is not a service of the project
    (None when it is one, or when the project cannot be read)."""
    import monomig

    try:
        project = monomig.load_project(config_file, toml_file)
    except Exception:  # noqa: BLE001 - no hint is better than a second error
        return None
    services = list(project.services)
    if name in services or not services:
        return None
    if name in project.sections:
        where = f"[{name}] in {config_file} is not one of its services"
    else:
        where = f"{config_file} has no service [{name}]"
    closest = closest_service(name, services)
    suggestion = f"; did you mean -n {closest}?" if closest else "."
    return f"{where}; its services are {', '.join(services)}{suggestion}"
