"""``monomig graph`` and ``monomig report --html``, checked by the real consumers of their output:
Graphviz's ``dot`` (Debian's graphviz), Mermaid's own parser (mermaid.min.js from its npm
package, in Chromium), XML parsing and node coordinates for the SVG, and headless Chromium
(Debian's chromium, driven through the DevTools protocol) for the HTML page.

One project serves every test: two services with a branch point, a merge, a branch label,
``depends_on`` edges, a long linear run and a message with characters every format
escapes; a third service with two heads (a check finding); a SQLite database of one service
stamped in the middle of its graph.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import sqlite3
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from support.cli_repo import run_cli, write_project
from support.snapshots import assert_snapshot

REPO = Path(__file__).resolve().parent.parent
MERMAID_VERSION = "11.17.2"
SVG = "{http://www.w3.org/2000/svg}"

ORDERS = [
    ("a0", None, None, None),
    *[(f"r{i}", "a0" if i == 1 else f"r{i - 1}", None, None) for i in range(1, 7)],
    ("b1", "r6", None, ("feature",)),
    ("c1", "r6", None, None),
    ("c2", "c1", None, None),
    ("m1", ("b1", "c2"), None, None),
    ("x1", "m1", "feature", None),
]
BILLING = [
    ("p0", None, None, None),
    ("p1", "p0", None, None),
    ("q0", None, "p1", None),  # a separate root that depends on p1
    ("p2", "p1", ("q0",), None),
]
TWO_HEADS = [("h0", None, None, None), ("h1", "h0", None, None), ("h2", "h0", None, None)]
ALL_REVISIONS = {e[0] for e in ORDERS + BILLING + TWO_HEADS}


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = write_project(
        tmp_path_factory.mktemp("pictures"), {"orders": ORDERS, "billing": BILLING, "forked": TWO_HEADS}
    )
    # a message every format must escape
    m1 = next((root / "migrations/versions/orders").glob("*_m1.py"))
    m1.write_text(m1.read_text().replace("step 10 of the schema", 'merge "feature" <into> main & #1 `now`'))
    with sqlite3.connect(root / "var/orders.db") as db:
        db.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)")
        db.execute("INSERT INTO alembic_version VALUES ('r3')")
    return root


def monomig(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli("monomig", list(args), root)


def overlapping(rects: list[tuple[float, float, float, float]]) -> list[tuple[int, int]]:
    return [
        (i, j)
        for i, a in enumerate(rects)
        for j, b in enumerate(rects[i + 1 :], i + 1)
        if a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]
    ]


def svg_nodes(text: str) -> dict[str, list[tuple[list[str], tuple[float, float, float, float], str]]]:
    """Per service: each node's revisions, rectangle (in the service's coordinates) and classes."""
    root = ET.fromstring(text)  # valid XML or this raises
    assert root.tag == f"{SVG}svg"
    out = {}
    for service in root.iter(f"{SVG}g"):
        if "service" not in service.get("class", "").split():
            continue
        nodes = []
        for g in service.iter(f"{SVG}g"):
            if "node" in g.get("class", "").split():
                r = g.find(f"{SVG}rect")
                assert r is not None
                rect = tuple(float(r.get(k, "nan")) for k in ("x", "y", "width", "height"))
                nodes.append((g.get("data-revisions", "").split(), rect, g.get("class", "")))
        out[service.get("data-service", "")] = nodes
    return out


def test_mermaid_snapshots(project: Path) -> None:
    out = monomig(project, "graph", "-n", "orders", "-n", "billing")
    assert out.returncode == 0, out.stderr
    assert_snapshot("graph-orders-billing.mmd", out.stdout)
    since = monomig(project, "-n", "orders", "graph", "--since", "feature", "--status")  # the global -n
    assert since.returncode == 0, since.stderr
    assert_snapshot("graph-orders-since-status.mmd", since.stdout)


def test_the_docs_example_is_what_monomig_prints() -> None:
    doc = (REPO / "docs" / "graph.md").read_text()
    block = doc.split("```mermaid\n", 1)[1].split("```\n", 1)[0]
    out = monomig(REPO, "graph", "-n", "service_one")
    assert out.returncode == 0, out.stderr
    assert out.stdout == block


@pytest.mark.slow
def test_dot_is_accepted_by_graphviz(project: Path) -> None:
    dot = shutil.which("dot")
    if dot is None:
        if os.environ.get("CI"):
            pytest.fail("Graphviz's dot is missing (Debian package graphviz; .ci/run installs it)")
        pytest.skip("Graphviz's dot is not installed (apt-get install graphviz)")
    # every service at once, with every feature: two heads, a merge, labels, depends_on, a run, a database
    for extra in ([], ["--full", "--status"], ["--since", "r6", "--status", "-n", "orders"]):
        out = monomig(project, "graph", "--format", "dot", *extra)
        assert out.returncode == 0, out.stderr
        rendered = subprocess.run([dot, "-Tsvg"], input=out.stdout, capture_output=True, text=True, timeout=60)
        assert rendered.returncode == 0 and not rendered.stderr, (extra, rendered.stderr, out.stdout)
        svg = ET.fromstring(rendered.stdout)
        titles = {t.text for t in svg.iter(f"{SVG}title")}
        assert "s0_0->s0_1" in titles, titles  # the edges reached Graphviz as edges
    assert "style=dashed" in out.stdout and "shape=hexagon" in out.stdout and "peripheries=2" in out.stdout
    assert "shape=cylinder" in out.stdout


def test_svg_is_valid_xml_with_every_revision_and_no_overlap(project: Path) -> None:
    out = monomig(project, "graph", "--format", "svg", "--full", "--status")
    assert out.returncode == 0, out.stderr
    services = svg_nodes(out.stdout)
    assert set(services) == {"orders", "billing", "forked"}
    drawn = {rev for nodes in services.values() for revs, _, _ in nodes for rev in revs}
    assert drawn == ALL_REVISIONS
    for name, nodes in services.items():
        assert not overlapping([rect for _, rect, _ in nodes]), name
    orders = {tuple(revs): classes for revs, _, classes in services["orders"]}
    assert "current" in orders[("r3",)] and "head" in orders[("x1",)] and "merge" in orders[("m1",)]
    assert any("database" in c for c in orders.values())
    assert 'merge "feature" <into> main' not in out.stdout
    assert "merge &quot;feature&quot; &lt;into&gt; main &amp; #1 `now`" in out.stdout
    collapsed = svg_nodes(monomig(project, "graph", "--format", "svg", "-n", "orders").stdout)["orders"]
    runs = [revs for revs, _, classes in collapsed if "run" in classes.split()]
    assert runs == [["r1", "r2", "r3", "r4", "r5"]]


@pytest.mark.slow
def test_bad_input_is_one_paragraph_and_exit_2(project: Path) -> None:
    out = monomig(project, "graph", "-n", "orders", "--since", "nope")
    assert out.returncode == 2 and out.stdout == ""
    assert "service 'orders'" in out.stderr and "--since" in out.stderr and "Traceback" not in out.stderr
    out = monomig(project, "graph", "-n", "ordrs")
    assert out.returncode == 2 and "did you mean -n orders" in out.stderr


@pytest.mark.slow
def test_report_in_headless_chromium(project: Path, tmp_path: Path) -> None:
    from support.cdp import Browser, chromium, png_size_and_variety

    binary = chromium()
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("Chromium is missing (Debian package chromium; .ci/run installs it)")
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    page = tmp_path / "fleet.html"
    out = monomig(project, "report", "--html", str(page))
    assert out.returncode == 0, out.stderr
    text = page.read_text()
    assert "http://" not in text.replace("http://www.w3.org/2000/svg", "") and "https://" not in text
    mermaid_js = Path(
        os.environ.get("MONOMIG_MERMAID_JS")
        or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
        / f"monomig/mermaid-{MERMAID_VERSION}/mermaid.min.js"
    )
    graphs = [
        monomig(project, "graph", *extra).stdout
        for extra in ([], ["--full", "--status"], ["--since", "r6", "--status", "-n", "orders"])
    ]
    browser = Browser(binary)
    try:
        browser.open(page.as_uri())
        assert browser.evaluate("document.querySelectorAll('#services tbody tr').length") == 3
        for name in ("orders", "billing", "forked"):
            assert browser.evaluate(f"!!document.querySelector('section.service[data-service={name}] svg')"), name
        findings = browser.evaluate("Array.from(document.querySelectorAll('tr.finding')).map(r => r.textContent)")
        assert any("multiple_heads" in f and "forked" in f for f in findings), findings
        assert browser.evaluate("document.querySelector('tr[data-service=orders]').textContent").count("behind by ")
        # the filter, typed as a reader types
        browser.evaluate(
            "(() => { const b = document.getElementById('filter'); b.value = 'forked';"
            " b.dispatchEvent(new Event('input')); })()"
        )
        visible = browser.evaluate(
            "Array.from(document.querySelectorAll('[data-filter]')).filter(e => !e.hidden && e.offsetParent !== null)"
            ".map(e => e.dataset.service)"
        )
        assert set(visible) == {"forked"}, visible
        assert browser.evaluate("document.getElementById('shown').textContent") == "1"
        browser.evaluate(
            "(() => { const b = document.getElementById('filter'); b.value = ''; b.dispatchEvent(new Event('input')); })()"
        )
        # sorting by the Pending column puts the most pending first on the second click
        browser.evaluate("document.querySelectorAll('#services th')[2].click()")
        browser.evaluate("document.querySelectorAll('#services th')[2].click()")
        first = browser.evaluate("document.querySelector('#services tbody tr').dataset.service")
        assert first == "orders"
        for width, height, mobile in ((1280, 900, False), (390, 844, True)):
            png = browser.screenshot(width, height, mobile)
            w, h, variety = png_size_and_variety(png)
            assert (w, h) == (width, height) and variety > 50, (width, variety)
            if os.environ.get("MONOMIG_UPDATE_SCREENSHOT") == "1" and not mobile:
                (REPO / "docs" / "report.png").write_bytes(png)
        # dark mode follows the reader's scheme; printing gives a document
        browser.page("Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": "dark"}]})
        assert browser.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(11, 16, 32)"
        assert browser.evaluate("getComputedStyle(document.querySelector('.mg rect')).fill") == "rgb(31, 41, 55)"
        _, _, variety = png_size_and_variety(browser.screenshot(1280, 900))
        assert variety > 50
        pdf = base64.b64decode(browser.page("Page.printToPDF", {})["data"])
        assert pdf.startswith(b"%PDF") and len(pdf) > 10_000
        assert browser.errors() == []
        # Mermaid's own parser accepts every flowchart monomig writes
        if mermaid_js.exists():
            shell = tmp_path / "mermaid.html"
            shell.write_text(f'<!DOCTYPE html><script src="{mermaid_js.as_uri()}"></script>')
            browser.open(shell.as_uri())
            for g in graphs:
                import json

                kind = browser.evaluate(f"mermaid.parse({json.dumps(g)}).then(r => r.diagramType)")
                assert kind.startswith("flowchart"), kind
            assert browser.errors() == []
        elif os.environ.get("CI"):
            pytest.fail(f"Mermaid's parser is missing at {mermaid_js} (.ci/run fetches it with npm pack)")
    finally:
        browser.close()


@pytest.mark.slow
def test_a_broken_service_and_a_secret(tmp_path: Path) -> None:
    """A service whose revisions do not resolve is named and the others still drawn (exit 2);
    the report still gets written with the reason in place of the graph; a database URL's
    password appears nowhere, and a database that does not answer is drawn as unknown."""
    root = write_project(tmp_path / "p", {"good": ORDERS[:3], "bad": [("z1", None, None, None)]})
    z1 = next((root / "migrations/versions/bad").glob("*_z1.py"))
    z1.write_text(z1.read_text().replace("down_revision = None", "down_revision = compute()"))
    ini = root / "alembic.ini"
    ini.write_text(
        ini.read_text().replace(
            "sqlalchemy.url = sqlite:///%(here)s/var/good.db",
            "sqlalchemy.url = postgresql://app:s3cret-pw@127.0.0.1:9/nowhere",
        )
    )
    out = monomig(root, "graph", "--status", "--connect-timeout", "2")
    assert out.returncode == 2
    assert "service 'bad'" in out.stderr and "Traceback" not in out.stderr
    assert 'subgraph s0["good"]' in out.stdout and "unreachable (where it stands is unknown)" in out.stdout
    page = tmp_path / "r.html"
    out = monomig(root, "report", "--html", str(page), "--connect-timeout", "2")
    assert out.returncode == 0, out.stderr
    text = page.read_text()
    assert "service &#x27;bad&#x27;" in text and "unreachable" in text
    assert "<th>Lint</th>" not in text and "lint finding" not in text  # lint only on request
    # --lint: the findings of `monomig lint` beside the check findings, counted per service;
    # the service whose revisions cannot be rendered says why
    r1 = next((root / "migrations/versions/good").glob("*_r1.py"))
    r1.write_text(
        r1.read_text().replace("def upgrade():\n    pass", 'def upgrade():\n    op.drop_column("accounts", "legacy")')
    )
    linted = tmp_path / "lint.html"
    lint_out = monomig(root, "report", "--html", str(linted), "--connect-timeout", "2", "--lint")
    assert lint_out.returncode == 0, lint_out.stderr
    # the same findings as `monomig lint` prints for the service (the same function runs)
    expected = json.loads(monomig(root, "lint", "-n", "good", "--json").stdout)
    assert f"{len(expected)} lint finding(s) (1 service(s) not linted: bad)" in lint_out.stderr
    html = linted.read_text()
    rows = [r for r in html.splitlines() if 'class="finding lint"' in r]
    assert len(rows) == len(expected) and len(expected) > 1
    for f, row in zip(expected, rows, strict=True):
        parts = (f"<code>{f['rule']}</code>", f">{f['severity']}</td>", f"{Path(f['path']).name}:{f['line']}", "fix: ")
        assert all(p in row for p in parts), (parts, row)
    drop = next(r for r in rows if "<code>dropping_column</code>" in r)
    line = r1.read_text().splitlines().index('    op.drop_column("accounts", "legacy")') + 1
    assert f"versions/good/{r1.name}:{line}" in drop and "ALTER TABLE accounts DROP COLUMN legacy" in drop
    assert f'<span class="pill bad">{len(expected)} lint findings</span>' in html
    assert '<td class="bad" data-sort="-1" title="service &#x27;bad&#x27;' in html
    assert "lint could not run: service &#x27;bad&#x27;" in html
    good_row = next(r for r in html.splitlines() if r.startswith('<tr data-service="good"'))
    assert good_row.endswith(f'<td class="warn" data-sort="{len(expected)}">{len(expected)}</td></tr>'), good_row
    for produced in (text, out.stdout, out.stderr, html, lint_out.stderr):
        assert "s3cret-pw" not in produced
