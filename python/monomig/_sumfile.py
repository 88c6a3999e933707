"""``monomig.sum``, the checksum file of a service's revision files (the work is in
``src/sum/``): writing it (``monomig hash``, and after the drop-in ``monomig revision`` /
``merge``), its ``check --all`` findings, and the hash of one file (the ledger's)."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

import monomig
from monomig import _native
from monomig._values import asbool

#: The section option that makes a missing or incomplete sum a ``check --all`` finding.
SUM_REQUIRED = "monomig.sum_required"
FILE_NAME = "monomig.sum"

#: The ``check --all`` codes of the sum (src/sum/check.rs).
CHECK_CODES = ("modified_revision", "deleted_revision", "renamed_revision", "unhashed_revision", "stale_sum")


def _where(svc: monomig.Service) -> dict[str, Any]:
    return {
        "name": svc.name,
        "version_locations": [os.path.abspath(p) for p in svc.version_locations],
        "recursive": svc.recursive_version_locations,
        "sourceless": svc.sourceless,
    }


def sum_path(svc: monomig.Service) -> str | None:
    """Where the service's sum file is (or would be): its first version location."""
    locations = svc.version_locations
    return os.path.join(os.path.abspath(locations[0]), FILE_NAME) if locations else None


def write(svc: monomig.Service) -> dict[str, Any]:
    """Write the service's sum from its files as they are: ``{"path", "files", "changed"}``."""
    return dict(_native.sum_write(**_where(svc)))


def entries(svc: monomig.Service) -> list[_native.SumEntry]:
    """The service's revision files in sum order, each ``{"path", "hash", "revision"}``."""
    return _native.sum_entries(**_where(svc))


def file_hash(path: str) -> str:
    """``sha256:<hex>`` of a file, line endings normalised (the sum's and the ledger's hash)."""
    return _native.sum_file_hash(path)


def findings(services: list[monomig.Service], strict: bool = False) -> list[_native.CheckFinding]:
    """The sum findings of each service, in the order given."""
    out: list[_native.CheckFinding] = []
    for svc in services:
        required = asbool(svc.options.get(SUM_REQUIRED))
        out += _native.sum_check(**_where(svc), strict=strict, sum_required=required)
    return out


def after_new_revision(args: Any) -> None:
    """After the drop-in ``monomig revision``/``merge`` wrote a file: bring the service's sum up
    to date when it has one (a service without a sum keeps having none)."""
    if getattr(args, "alembic_command", None) not in ("revision", "merge") or getattr(args, "sql", False):
        return
    from monomig import fleet

    try:
        project = fleet.load_project(list(getattr(args, "config", None) or []), getattr(args, "toml_file", None))
        svc = project.services.get(getattr(args, "name", None) or "alembic")
        if svc is None:
            return
        path = sum_path(svc)
        if path is None or not os.path.exists(path):
            return
        done = write(svc)
    except monomig.MonomigError as e:
        print(f"monomig: warning: {FILE_NAME} was not updated: {e}", file=sys.stderr)
        return
    if done["changed"]:
        print(f"  Updating {done['path']} ... done ({done['files']} revision files)")


def add_strict_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--strict",
        action="store_true",
        help=f"a revision file missing from its service's {FILE_NAME} is a finding (unhashed_revision), "
        f"as when the section sets {SUM_REQUIRED} = true",
    )
