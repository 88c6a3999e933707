"""``monomig verify``: what the database says ran, against the revision files now.

For each service: the revisions applied in its database (the version table's rows and
everything they build on), the ledger (:mod:`monomig._ledger`) and the files:

- ``changed_after_apply``: an applied revision whose file's hash differs from the hash
  recorded when it ran (both hashes and when it ran);
- ``missing_file``: an applied revision no file defines;
- ``partial_apply``: a step left ``running`` by a process that is gone (the service's
  migration lock is free), with what to do on that database;
- ``applied_without_ledger`` (information, not a finding): an applied revision with no
  ledger row (applied before the ledger, by stock Alembic, or with ``monomig.log = false``).

Also used by ``upgrade --all --verify`` (:func:`blocking`) and ``status`` (:func:`last_problem`).
"""

from __future__ import annotations

from typing import Any

import monomig
from monomig import _ledger, _native, _sumfile
from monomig._values import mask

INFO_CODES = ("applied_without_ledger",)


def _advice(dialect: str, service: str, revision: str) -> str:
    if dialect in ("mysql", "mariadb"):
        return (
            "MySQL/MariaDB commit every DDL statement at once, so part of the revision's changes may be in "
            "the database while the version table does not list it: compare the schema with the revision, "
            f"undo or finish its changes by hand, then run the upgrade again (or `monomig -n {service} stamp "
            f"{revision}` once they are complete)"
        )
    if dialect == "sqlite":
        return (
            "SQLite as Alembic runs it commits each step's DDL on its own, so part of the revision's changes "
            "may be in the file: compare the schema with the revision, undo or finish its changes by hand, "
            f"then run the upgrade again (or `monomig -n {service} stamp {revision}` once they are complete)"
        )
    return (
        "the step ran outside a transaction: compare the schema with the revision, undo or finish its "
        f"changes by hand, then run the upgrade again (or `monomig -n {service} stamp {revision}`)"
    )


def _files(svc: monomig.Service) -> tuple[dict[str, tuple[str, ...]], dict[str, tuple[str, str]]]:
    """Parents (down_revision and depends_on) and (path, hash) of each revision id."""
    entries, _ = _native.scan_revisions(
        [str(p) for p in svc.version_locations], svc.recursive_version_locations, svc.sourceless
    )
    parents: dict[str, tuple[str, ...]] = {}
    for e in entries:
        if e.revision is None:
            continue
        down = e.down_revision
        deps = e.depends_on
        items = (down,) if isinstance(down, str) else tuple(down or ())
        items += (deps,) if isinstance(deps, str) else tuple(deps or ())
        parents[e.revision] = items
    hashes = {e["revision"]: (e["path"], e["hash"]) for e in _sumfile.entries(svc) if e["revision"]}
    return parents, hashes


def _applied(heads: list[str], parents: dict[str, tuple[str, ...]]) -> tuple[list[str], list[str]]:
    """Every revision the version table's rows build on, and those no file defines."""
    seen: list[str] = []
    unknown: list[str] = []
    todo = list(heads)
    done: set[str] = set()
    while todo:
        rev = todo.pop()
        if rev in done:
            continue
        done.add(rev)
        if rev not in parents:
            unknown.append(rev)
            continue
        seen.append(rev)
        todo.extend(parents[rev])
    return seen, unknown


def _finding(service: str, code: str, message: str, revision: str | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "service": service,
        "code": code,
        "severity": "info" if code in INFO_CODES else "error",
        "revision": revision,
        "message": message,
        **extra,
    }


def verify_service(project: monomig.Project | None, svc: monomig.Service, spec: Any = None) -> list[dict[str, Any]]:
    """The findings of one service (``could_not_verify`` when its database cannot be read);
    ``spec`` is its fleet spec when the caller has it."""
    from monomig import fleet

    name = svc.name
    if spec is None:
        assert project is not None
        spec = fleet.service_spec(project, svc)
    if spec["url"] is None:
        return [_finding(name, "could_not_verify", f"service {name!r}: {spec['url_error']}")]
    _on, table, schema = _ledger.service_table(svc)
    try:
        import sqlalchemy as sa

        engine = sa.create_engine(spec["url"], poolclass=sa.pool.NullPool)
        try:
            with engine.connect() as conn:
                dialect = engine.dialect.name
                heads: list[str] = []
                if sa.inspect(conn).has_table(svc.version_table, schema=schema):
                    vt = sa.table(svc.version_table, sa.column("version_num"), schema=schema)
                    heads = [r[0] for r in conn.execute(sa.select(vt.c.version_num))]
                rows = _ledger.read_rows(conn, table, schema, service=name)
        finally:
            engine.dispose()
    except ValueError as e:
        return [_finding(name, "could_not_verify", f"service {name!r}: {mask(str(e))}")]
    except Exception as e:  # noqa: BLE001 - any driver error: this service could not be verified
        return [
            _finding(
                name,
                "could_not_verify",
                f"service {name!r}: cannot read its database {mask(spec['url'])}: {mask(str(e))}",
            )
        ]
    parents, hashes = _files(svc)
    applied, unknown = _applied(heads, parents)
    out: list[dict[str, Any]] = []
    rows = rows or []
    where = f"{schema}.{table}" if schema else table
    for rev in unknown:
        out.append(
            _finding(
                name,
                "missing_file",
                f"service {name!r}: revision {rev!r} is applied in its database but no revision file defines it; "
                "restore the file (from version control) or downgrade/stamp the database to a revision that exists.",
                rev,
            )
        )
    ran: dict[str, dict[str, Any]] = {}
    for row in rows:  # newest first: the first upgrade row done per revision is its last run
        if row["direction"] == "upgrade" and row["outcome"] == "done":
            ran.setdefault(row["revision"], row)
    for rev in applied:
        last = ran.get(rev)
        if last is None:
            out.append(
                _finding(
                    name,
                    "applied_without_ledger",
                    f"service {name!r}: revision {rev!r} is applied but {where} has no row of it (applied before "
                    "the ledger, by Alembic without monomig, or with monomig.log = false).",
                    rev,
                )
            )
            continue
        row = last
        path, now_hash = hashes.get(rev, (None, None))
        if row["file_hash"] and now_hash and row["file_hash"] != now_hash:
            out.append(
                _finding(
                    name,
                    "changed_after_apply",
                    f"service {name!r}: revision {rev!r} ({path}) changed after it was applied on "
                    f"{row['finished_at']} (then {row['file_hash']}, now {now_hash}): the database has what the "
                    "old file did. Revert the edit, or put the change in a new revision.",
                    rev,
                    path=path,
                    applied_hash=row["file_hash"],
                    file_hash=now_hash,
                    applied_at=row["finished_at"],
                )
            )
    # Steps left running: the latest row of their revision, by a process that is gone.
    latest: dict[str, dict[str, Any]] = {}
    for row in rows:
        latest.setdefault(row["revision"], row)
    running = [r for r in latest.values() if r["outcome"] == "running"]
    if running and _migrating(spec):
        running = []
    for row in running:
        rev = row["revision"]
        out.append(
            _finding(
                name,
                "partial_apply",
                f"service {name!r}: the {row['direction']} of revision {rev!r} started on {row['started_at']} by "
                f"{row['run_user']}@{row['run_host']} (process {row['run_pid']}) never finished and no process "
                f"holds the migration lock: {_advice(dialect, name, rev)}.",
                rev,
                started_at=row["started_at"],
                direction=row["direction"],
            )
        )
    return out


def _migrating(spec: Any) -> bool:
    """Whether another process holds the service's migration lock now."""
    from monomig import fleet

    try:
        state = fleet.fleet_status([spec])[0]
    except monomig.MonomigError:
        return False
    return bool(state.get("state") == "migrating")


def verify(project: monomig.Project, services: list[monomig.Service]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for svc in services:
        out += verify_service(project, svc)
    return out


def blocking(findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The findings that fail verify (information does not)."""
    return [f for f in findings if f["severity"] != "info"]


def refuse_drifted(run: Any) -> None:
    """``upgrade --all --verify``: each pending service of the fleet run whose verify fails
    fails at once, with the findings, and nothing is run for it."""
    for job in run.jobs:
        if job.result != "pending" or job.svc is None:
            continue
        bad = blocking(verify_service(None, job.svc, job.spec))
        if not bad:
            continue
        job.result = "failed"
        job.code = "verify_failed"
        job.message = mask(
            f"service {job.service!r}: verify failed, nothing was run: "
            + " ".join(f"[{f['code']}] {f['message']}" for f in bad)
        )
        run.failed = True
        run.say(job, f"FAILED: {job.message}")
