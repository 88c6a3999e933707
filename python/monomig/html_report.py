"""The page of ``monomig report --html``: one self-contained HTML file of the whole fleet.

No network, no external asset: the style, the few lines of script (a filter box and
sortable tables) and every service's graph (inline SVG drawn by the Rust core) are in
the file, so it opens from a CI artifact. It follows the reader's light or dark scheme and
prints with every section open. Everything shown is escaped; database URLs come masked.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field

#: The state words of ``monomig status`` that are fine, need attention, or are failures.
_TONE = {
    "up_to_date": "ok",
    "behind": "warn",
    "ahead": "bad",
    "not_initialized": "warn",
    "migrating": "warn",
    "unreachable": "bad",
    "error": "bad",
}


@dataclass
class ServiceRow:
    name: str
    state: str
    state_label: str
    current: list[str]
    heads: list[str]
    pending: int | None
    database: str | None
    last_run: str | None
    error: str | None
    svg: str | None
    graph_error: str | None
    findings: int = 0
    #: with ``--lint``: the number of lint findings, or why the service could not be linted
    lint: int | None = None
    lint_error: str | None = None


@dataclass
class Finding:
    service: str
    code: str
    where: str
    message: str
    #: "check" (``monomig check --all``) or "lint" (``monomig lint``, with severity, statement and fix)
    source: str = "check"
    severity: str | None = None
    statement: str | None = None
    fix: str | None = None


@dataclass
class Report:
    title: str
    config_file: str
    generated: str
    version: str
    services: list[ServiceRow]
    findings: list[Finding]
    ledger_note: str
    notes: list[str] = field(default_factory=list)
    #: ``monomig report --lint``: lint findings are among ``findings`` and counted per service
    linted: bool = False


_CSS = """
:root{color-scheme:light dark;--bg:#ffffff;--fg:#111827;--muted:#6b7280;--line:#e5e7eb;--card:#f9fafb;
--ok:#15803d;--warn:#b45309;--bad:#b91c1c;--accent:#4f46e5;
--mg-fg:#111827;--mg-node:#ffffff;--mg-stroke:#6b7280;--mg-edge:#6b7280;--mg-run:#f3f4f6;--mg-db:#fef3c7;--mg-accent:#4f46e5}
@media (prefers-color-scheme:dark){:root{--bg:#0b1020;--fg:#e5e7eb;--muted:#9ca3af;--line:#1f2937;--card:#111827;
--ok:#4ade80;--warn:#fbbf24;--bad:#f87171;--accent:#a5b4fc;
--mg-fg:#e5e7eb;--mg-node:#1f2937;--mg-stroke:#9ca3af;--mg-edge:#9ca3af;--mg-run:#374151;--mg-db:#78350f;--mg-accent:#a5b4fc}}
*{box-sizing:border-box}
body{margin:0;padding:1.25rem;background:var(--bg);color:var(--fg);font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif}
h1{font-size:1.4rem;margin:0 0 .25rem}h2{font-size:1.1rem;margin:1.5rem 0 .5rem}
.meta,.muted{color:var(--muted)}
.summary{display:flex;flex-wrap:wrap;gap:.5rem;margin:.75rem 0}
.pill{border:1px solid var(--line);border-radius:999px;padding:.15rem .7rem;background:var(--card)}
.ok{color:var(--ok)}.warn{color:var(--warn)}.bad{color:var(--bad)}
#filter{width:100%;max-width:28rem;padding:.45rem .6rem;border:1px solid var(--line);border-radius:6px;background:var(--card);color:var(--fg);font:inherit}
.scroll{overflow-x:auto}
table{border-collapse:collapse;width:100%;margin:.5rem 0}
th,td{text-align:left;padding:.35rem .6rem;border-bottom:1px solid var(--line);vertical-align:top}
th{cursor:pointer;user-select:none;white-space:nowrap}th[aria-sort=ascending]::after{content:" ▲"}th[aria-sort=descending]::after{content:" ▼"}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.9em;overflow-wrap:anywhere}
section.service{border:1px solid var(--line);border-radius:8px;padding:.75rem 1rem;margin:1rem 0;background:var(--card)}
section.service h3{margin:0 0 .4rem;font-size:1.05rem}
.graph{overflow:auto;max-height:80vh;background:var(--bg);border-radius:6px;padding:.25rem}
.graph svg{max-width:none;height:auto}
.error{color:var(--bad);white-space:pre-wrap}
[hidden]{display:none!important}
@media (max-width:640px){body{padding:.6rem}td,th{padding:.3rem .35rem}.hide-narrow{display:none}}
@media print{#filter,.noprint{display:none}body{padding:0;background:#fff;color:#000}
section.service{break-inside:avoid;background:#fff}.graph{max-height:none;overflow:visible}[hidden]{display:block!important}
tr[hidden]{display:table-row!important}}
"""

_SCRIPT = """
(function(){
  var box=document.getElementById('filter');
  function apply(){
    var q=box.value.trim().toLowerCase();
    document.querySelectorAll('[data-filter]').forEach(function(el){
      el.hidden=q!==''&&el.getAttribute('data-filter').indexOf(q)<0;
    });
    var shown=document.querySelectorAll('#services tbody tr:not([hidden])').length;
    document.getElementById('shown').textContent=shown;
  }
  box.addEventListener('input',apply);
  document.querySelectorAll('table.sortable th').forEach(function(th,col){
    th.addEventListener('click',function(){
      var table=th.closest('table'),body=table.tBodies[0];
      var dir=th.getAttribute('aria-sort')==='ascending'?'descending':'ascending';
      table.querySelectorAll('th').forEach(function(h){h.removeAttribute('aria-sort');});
      th.setAttribute('aria-sort',dir);
      var rows=Array.prototype.slice.call(body.rows);
      function key(r){var c=r.cells[col];return c.hasAttribute('data-sort')?c.getAttribute('data-sort'):c.textContent.trim();}
      rows.sort(function(a,b){
        var x=key(a),y=key(b),nx=parseFloat(x),ny=parseFloat(y);
        var d=(!isNaN(nx)&&!isNaN(ny))?nx-ny:x.localeCompare(y);
        return dir==='ascending'?d:-d;
      });
      rows.forEach(function(r){body.appendChild(r);});
    });
  });
  apply();
})();
"""


#: the severities of ``monomig lint``
_SEVERITY_TONE = {"error": "bad", "warning": "warn", "info": "muted"}


def _lint_cell(s: ServiceRow) -> str:
    """The services table's Lint cell: the count, or that (and why) it could not run."""
    if s.lint_error:
        return f'<td class="bad" data-sort="-1" title="{_e(s.lint_error)}">could not run</td>'
    n = s.lint or 0
    return f'<td class="{"warn" if n else "ok"}" data-sort="{n}">{n}</td>'


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _revs(revs: list[str]) -> str:
    return ", ".join(revs) if revs else "-"


def _filter_key(*parts: object) -> str:
    return _e(" ".join(str(p) for p in parts if p).lower())


#: the longest statement excerpt shown for a lint finding
_EXCERPT = 240


def _excerpt(statement: str) -> str:
    one = " ".join(statement.split())
    return one if len(one) <= _EXCERPT else one[: _EXCERPT - 1] + "…"


def build(report: Report) -> str:
    """The page as one string."""
    counts: dict[str, int] = {}
    for s in report.services:
        word = "behind" if s.state == "behind" else s.state_label
        counts[word] = counts.get(word, 0) + 1
    out: list[str] = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="color-scheme" content="light dark">',
        f"<title>{_e(report.title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{_e(report.title)}</h1>",
        f'<p class="meta">{_e(report.config_file)} · generated {_e(report.generated)} · monomig {_e(report.version)}</p>',
        '<div class="summary">',
        f'<span class="pill">{len(report.services)} service{"s" if len(report.services) != 1 else ""}</span>',
    ]
    for label, n in sorted(counts.items()):
        out.append(f'<span class="pill">{n} {_e(label)}</span>')
    checks = [f for f in report.findings if f.source == "check"]
    out.append(
        f'<span class="pill {"bad" if checks else "ok"}">{len(checks)} check finding'
        f"{'s' if len(checks) != 1 else ''}</span>"
    )
    if report.linted:
        lints = len(report.findings) - len(checks)
        unlinted = sum(1 for s in report.services if s.lint_error)
        out.append(
            f'<span class="pill {"bad" if lints else "ok"}">{lints} lint finding{"s" if lints != 1 else ""}</span>'
        )
        if unlinted:
            out.append(f'<span class="pill bad">{unlinted} not linted</span>')
    out.append("</div>")
    out.append(
        '<p class="noprint"><input id="filter" type="search" placeholder="Filter services, states, findings…" '
        'aria-label="Filter"> <span class="muted"><span id="shown"></span> shown</span></p>'
    )
    for note in report.notes:
        out.append(f'<p class="muted">{_e(note)}</p>')
    # the services table
    out.append('<h2>Services</h2><div class="scroll"><table id="services" class="sortable"><thead><tr>')
    out.append(
        '<th>Service</th><th>State</th><th>Pending</th><th>Current</th><th class="hide-narrow">Heads</th>'
        '<th class="hide-narrow">Database</th><th>Last run</th><th>Findings</th>'
        + ("<th>Lint</th>" if report.linted else "")
        + "</tr></thead><tbody>"
    )
    for s in report.services:
        tone = _TONE.get(s.state, "")
        pending = "-" if s.pending is None else str(s.pending)
        out.append(
            f'<tr data-service="{_e(s.name)}" data-filter="{_filter_key(s.name, s.state_label, s.database)}">'
            f'<td><a href="#svc-{_e(s.name)}">{_e(s.name)}</a></td>'
            f'<td class="{tone}" data-sort="{_e(s.state)}">{_e(s.state_label)}</td>'
            f'<td data-sort="{-1 if s.pending is None else s.pending}">{pending}</td>'
            f'<td class="mono">{_e(_revs(s.current))}</td>'
            f'<td class="mono hide-narrow">{_e(_revs(s.heads))}</td>'
            f'<td class="mono hide-narrow">{_e(s.database or "-")}</td>'
            f"<td>{_e(s.last_run or '-')}</td>"
            f'<td data-sort="{s.findings}">{s.findings}</td>' + (_lint_cell(s) if report.linted else "") + "</tr>"
        )
    out.append("</tbody></table></div>")
    if report.ledger_note:
        out.append(f'<p class="muted">Last run: {_e(report.ledger_note)}</p>')
    # findings
    out.append("<h2>Check and lint findings</h2>" if report.linted else "<h2>Check findings</h2>")
    if not report.findings:
        clean = "<code>monomig check --all</code>" + (" and <code>monomig lint</code> are" if report.linted else " is")
        out.append(f'<p class="ok">No findings: {clean} clean.</p>')
    else:
        out.append('<div class="scroll"><table id="findings" class="sortable"><thead><tr>')
        out.append(
            "<th>Service</th>"
            + ("<th>From</th>" if report.linted else "")
            + "<th>Code</th>"
            + ("<th>Severity</th>" if report.linted else "")
            + "<th>Where</th><th>Message</th></tr></thead><tbody>"
        )
        for f in report.findings:
            message = _e(f.message)
            if f.statement:
                message += f'<br><code class="statement">{_e(_excerpt(f.statement))}</code>'
            if f.fix:
                message += f'<br><span class="muted">fix: {_e(f.fix)}</span>'
            out.append(
                f'<tr class="finding {_e(f.source)}" data-service="{_e(f.service)}" '
                f'data-filter="{_filter_key(f.service, f.source, f.code, f.severity, f.where, f.message)}">'
                f"<td>{_e(f.service)}</td>"
                + (f"<td>{_e(f.source)}</td>" if report.linted else "")
                + f"<td><code>{_e(f.code)}</code></td>"
                + (
                    f'<td class="{_SEVERITY_TONE.get(f.severity or "", "")}">{_e(f.severity or "-")}</td>'
                    if report.linted
                    else ""
                )
                + f'<td class="mono">{_e(f.where)}</td><td>{message}</td></tr>'
            )
        out.append("</tbody></table></div>")
    # one section per service, with its graph
    out.append("<h2>Revision graphs</h2>")
    for s in report.services:
        out.append(
            f'<section class="service" id="svc-{_e(s.name)}" data-service="{_e(s.name)}" '
            f'data-filter="{_filter_key(s.name, s.state_label, s.database)}">'
            f'<h3>{_e(s.name)} <span class="{_TONE.get(s.state, "")}">· {_e(s.state_label)}</span></h3>'
            f'<p class="muted mono">database {_e(s.database or "-")} · current {_e(_revs(s.current))} · '
            f"heads {_e(_revs(s.heads))}</p>"
        )
        if s.error:
            out.append(f'<p class="error">{_e(s.error)}</p>')
        if s.lint_error:
            out.append(f'<p class="error">lint could not run: {_e(s.lint_error)}</p>')
        if s.svg is not None:
            out.append(f'<div class="graph">{s.svg}</div>')
        elif s.graph_error:
            out.append(f'<p class="error">{_e(s.graph_error)}</p>')
        out.append("</section>")
    out.append(f"<script>{_SCRIPT}</script></body></html>\n")
    return "\n".join(out)
