"""``monomig test``'s answers: a line per service and check, the failures' details and a
summary table for people; ``--json`` and JUnit XML for CI."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any
from xml.etree import ElementTree as ET

from monomig.migtest.runner import ServiceResult
from monomig.migtest.worker import CHECKS

MARK = {"passed": "ok", "failed": "FAIL", "skipped": "skip", "not_run": "-", "error": "ERROR"}


def exit_status(results: Sequence[ServiceResult]) -> int:
    """0 every check passed (or was skipped), 1 a check failed, 2 a service could not be tested."""
    if any(r.broken for r in results):
        return 2
    return 1 if any(r.failed for r in results) else 0


def service_lines(r: ServiceResult, verbose: bool = False) -> list[str]:
    out = []
    if r.error:
        out.append(f"{r.service}: ERROR {r.error}")
    for c in r.checks:
        out.append(
            f"{r.service} {c['check']:<13} {MARK.get(c['status'], c['status']):<5} "
            f"{c.get('duration', 0):6.2f}s  {c.get('message', '')}"
        )
        if c["status"] in ("failed", "error"):
            if c.get("command"):
                out.append(f"    command: {c['command']}")
            for d in c.get("details") or []:
                out.append(f"    {d}")
    if verbose or (r.error and r.log):
        out.extend("    | " + line for line in r.log.splitlines()[-40:])
    return out


def summary(results: Sequence[ServiceResult]) -> list[str]:
    from monomig.fleet import table

    checks = [c for c in CHECKS if any(x["check"] == c for r in results for x in r.checks)]
    rows: list[tuple[str, ...]] = [("service", "backend", *checks, "time")]
    for r in results:
        by = {c["check"]: MARK.get(c["status"], c["status"]) for c in r.checks}
        rows.append(
            (r.service, r.backend, *(by.get(c, "ERROR" if r.error else "-") for c in checks), f"{r.duration:.1f}s")
        )
    n_fail = sum(1 for r in results for c in r.checks if c["status"] == "failed")
    n_ok = sum(1 for r in results for c in r.checks if c["status"] == "passed")
    broken = [r.service for r in results if r.broken]
    tail = f"{n_ok} passed, {n_fail} failed"
    if broken:
        tail += f"; could not test: {', '.join(broken)}"
    return [*table(rows), "", tail]


def as_json(results: Sequence[ServiceResult]) -> str:
    return json.dumps(
        {
            "services": [
                {
                    "service": r.service,
                    "backend": r.backend,
                    "error": r.error,
                    "duration": round(r.duration, 3),
                    "checks": r.checks,
                }
                for r in results
            ],
            "exit_status": exit_status(results),
        },
        indent=2,
    )


def junit(results: Sequence[ServiceResult]) -> bytes:
    """JUnit XML: a testsuite per service, a testcase per check (``classname`` the service)."""
    root = ET.Element("testsuites", name="monomig test")
    for r in results:
        suite = ET.SubElement(
            root,
            "testsuite",
            name=r.service,
            tests=str(len(r.checks)),
            failures=str(sum(c["status"] == "failed" for c in r.checks)),
            errors=str(sum(c["status"] == "error" for c in r.checks) + (1 if r.error else 0)),
            skipped=str(sum(c["status"] in ("skipped", "not_run") for c in r.checks)),
            time=f"{r.duration:.3f}",
        )
        if r.error:
            case = ET.SubElement(suite, "testcase", classname=r.service, name="setup", time="0")
            ET.SubElement(case, "error", message=r.error).text = r.log[-4000:]
        for c in r.checks:
            case = ET.SubElement(
                suite, "testcase", classname=r.service, name=c["check"], time=f"{c.get('duration', 0):.3f}"
            )
            text = "\n".join(filter(None, [c.get("command"), *(c.get("details") or [])]))
            status: Any = c["status"]
            if status == "failed":
                ET.SubElement(case, "failure", message=c.get("message", "")).text = text
            elif status == "error":
                ET.SubElement(case, "error", message=c.get("message", "")).text = text
            elif status in ("skipped", "not_run"):
                ET.SubElement(case, "skipped", message=c.get("message", ""))
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)
