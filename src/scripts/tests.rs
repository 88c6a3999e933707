//! Unit tests of the static reader and discovery. The differential tests
//! against Alembic itself live in `tests/test_scripts_*.py`.

use super::*;
use proptest::prelude::*;
use std::os::unix::fs::symlink;

fn read(src: &str) -> Result<ScriptSource> {
    read_named("1234abcd.py", src.as_bytes())
}

fn read_named(name: &str, src: &[u8]) -> Result<ScriptSource> {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join(name);
    fs::write(&p, src).unwrap();
    read_revision_file(&p)
}

fn stat(src: &str) -> RevisionFile {
    match read(src) {
        Ok(ScriptSource::Static(f)) => f,
        other => panic!("expected a static read of {src:?}, got {other:?}"),
    }
}

fn needs_import(src: &str) -> String {
    match read(src) {
        Ok(ScriptSource::NeedsImport { reason, .. }) => reason,
        other => panic!("expected needs-import for {src:?}, got {other:?}"),
    }
}

fn script_err(src: &str) -> String {
    match read(src) {
        Err(Error::Script(d)) => d.message,
        other => panic!("expected a script error for {src:?}, got {other:?}"),
    }
}

const TEMPLATE: &str = r#""""add field

Revision ID: 2b3c4d5e6f70
Revises: 1a2b3c4d5e6f
Create Date: 2024-06-20 10:00:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '2b3c4d5e6f70'
down_revision: Union[str, Sequence[str], None] = '1a2b3c4d5e6f'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.add_column("t", sa.Column("x", sa.Integer(), nullable=True))
    revision = "local"


def downgrade() -> None:
    op.drop_column("t", "x")
"#;

#[test]
fn alembic_template() {
    let f = stat(TEMPLATE);
    assert_eq!(f.revision, "2b3c4d5e6f70");
    assert_eq!(f.down_revision, vec!["1a2b3c4d5e6f"]);
    assert!(f.branch_labels.is_empty());
    assert!(f.depends_on.is_empty());
    assert_eq!(f.doc, "add field");
    assert!(f.longdoc.starts_with("add field\n\nRevision ID: 2b3c4d5e6f70"));
    assert!(f.longdoc.ends_with("10:00:00.000000"));
}

#[test]
fn values_in_many_spellings() {
    let f = stat("revision = 'a'\ndown_revision = ('b', \"c\",)\nbranch_labels = ['x']\ndepends_on = 'd' 'e'\n");
    assert_eq!(f.down_revision, vec!["b", "c"]);
    assert_eq!(f.branch_labels, vec!["x"]);
    assert_eq!(f.depends_on, vec!["de"]);
    let f = stat("revision = r'a\\b'; down_revision = 'b', 'c'\n");
    assert_eq!(f.revision, "a\\b");
    assert_eq!(f.down_revision, vec!["b", "c"]);
    let f = stat("revision = ('a')\ndown_revision = ()\nrevision = \"z\"\n");
    assert_eq!(f.revision, "z");
    assert!(f.down_revision.is_empty());
    let f = stat("revision = 'a'\ndown_revision = (\n  'b',  # comment\n  'c'\n)\n");
    assert_eq!(f.down_revision, vec!["b", "c"]);
    let f = stat("revision = 'a'\\\n\ndown_revision = None\n");
    assert_eq!(f.revision, "a");
    let f = stat("revision = '\\u00e9\\x41\\101'\ndown_revision = ''\n");
    assert_eq!(f.revision, "éAA");
    assert_eq!(f.down_revision, vec![""]);
    let f = stat("revision: str\nrevision: str = 'q'\ndown_revision: None = None\n");
    assert_eq!(f.revision, "q");
}

#[test]
fn docstrings() {
    assert_eq!(stat("'''a\n\nb'''\ndown_revision=None\n").doc, "a");
    assert_eq!(stat("('a' \"b\")\ndown_revision=None\n").longdoc, "ab");
    assert_eq!(stat("b'a'\ndown_revision=None\n").module_doc, None);
    assert_eq!(stat("f'a'\ndown_revision=None\n").module_doc, None);
    assert_eq!(stat("'a' + 'b'\ndown_revision=None\n").module_doc, None);
    assert_eq!(stat("x = 1\n'a'\ndown_revision=None\n").module_doc, None);
    assert_eq!(
        stat("# c\n\n'a'; down_revision=None\n").module_doc.as_deref(),
        Some("a")
    );
    assert_eq!(
        stat("\u{feff}'a'\ndown_revision=None\n").module_doc.as_deref(),
        Some("a")
    );
    assert_eq!(
        stat("'''x\r\ny'''\r\ndown_revision=None\r\n").module_doc.as_deref(),
        Some("x\ny")
    );
    assert_eq!(stat("'x'\rdown_revision=None\r").module_doc.as_deref(), Some("x"));
}

#[test]
fn legacy_names_and_missing_values() {
    let f = stat("down_revision = None\n");
    assert_eq!(f.revision, "1234abcd");
    assert!(f.revision_from_filename);
    match read_named("not_legacy.py", b"down_revision = None\n") {
        Err(Error::Script(d)) => {
            let m = &d.message;
            assert!(m.starts_with("Could not determine revision id from filename not_legacy.py."))
        }
        other => panic!("{other:?}"),
    }
    assert!(script_err("").contains("down_revision"));
    assert!(script_err("revision = 'a'\n").contains("down_revision"));
}

#[test]
fn revision_errors_in_alembic_order() {
    match read("revision = 'a-b'\ndown_revision = None\n") {
        Err(Error::Revision { message, .. }) => {
            assert_eq!(message, "Character(s) '-' not allowed in revision identifier 'a-b'")
        }
        other => panic!("{other:?}"),
    }
    match read("revision = '@a:b+c-'\ndown_revision = None\n") {
        Err(Error::Revision { message, .. }) => {
            assert_eq!(
                message,
                "Character(s) '+, -, :, @' not allowed in revision identifier '@a:b+c-'"
            )
        }
        other => panic!("{other:?}"),
    }
    match read("revision = 'a-'\ndown_revision = 'a-'\n") {
        Err(Error::Revision {
            kind: RevisionErrorKind::Loop { .. },
            message,
        }) => assert_eq!(message, "Self-loop is detected in revisions (a-)"),
        other => panic!("{other:?}"),
    }
    match read("revision = 'a'\ndown_revision = None\ndepends_on = ['a']\n") {
        Err(Error::Revision {
            kind: RevisionErrorKind::DependencyLoop { .. },
            ..
        }) => {}
        other => panic!("{other:?}"),
    }
    // A falsy down_revision never loops.
    stat("revision = ''\ndown_revision = ''\n");
}

#[test]
fn non_literal_values_need_import() {
    for src in [
        "revision = 'a' + 'b'\ndown_revision = None\n",
        "revision = 'a'\ndown_revision = REV\n",
        "revision = 'a'\ndown_revision = None\nif True:\n    down_revision = 'b'\n",
        "revision = 'a'\ndown_revision = None\ntry:\n    import x\nexcept ImportError:\n    revision = 'c'\n",
        "from x import revision\ndown_revision = None\n",
        "from x import *\ndown_revision = None\n",
        "import revision\ndown_revision = None\n",
        "import a as revision\ndown_revision = None\n",
        "revision = 'a'\ndown_revision = None\nrevision += 'x'\n",
        "revision, down_revision = 'a', None\n",
        "revision = 'a'\ndown_revision = None\ndel revision\n",
        "revision = 'a'\ndown_revision = None\nglobals()['revision'] = 'b'\n",
        "revision = 'a'\ndown_revision = None\nexec('revision = 1')\n",
        "revision = 'a'\ndown_revision = None\nimport sys\nsetattr(sys.modules[__name__], 'revision', 'b')\n",
        "revision = 'a'\ndown_revision = None\n(revision := 'b')\n",
        "revision = 'a'\ndown_revision = None\nfor revision in 'xy': pass\n",
        "revision = 'a'\ndown_revision = None\nwith open('x') as revision: pass\n",
        "revision = 'a'\ndown_revision = None\ndef f():\n    global revision\n    revision = 'b'\nf()\n",
        "revision = 'a'\ndown_revision = None\ndef revision(): pass\n",
        "revision = 'a'\ndown_revision = None\nclass revision: pass\n",
        "revision = 1\ndown_revision = None\n",
        "revision = 'a'\ndown_revision = [None]\n",
        "revision = 'a'\ndown_revision = None\n__doc__ = 'x'\n",
        "revision = 'a'\ndown_revision = None\ndef __getattr__(name): return 1\n",
        "revision = f'a'\ndown_revision = None\n",
        "revision = b'a'\ndown_revision = None\n",
        "revision = 'a'\ndown_revision = {'b'}\n",
        "# -*- coding: latin-1 -*-\nrevision = 'a'\ndown_revision = None\n",
        "revision = 'a'\ndown_revision = None\nraise SystemExit\n",
        "revision = 'a'\ndown_revision = None\nwhile False: pass\n",
        "revision = 'a'\ndown_revision = None\nrevisión = 1\n",
        "revision = '\\N{BULLET}'\ndown_revision = None\n",
        "revision = 'a'\ndown_revision = None\nmatch 1:\n    case revision:\n        pass\n",
        "revision = x = 'a'\ndown_revision = None\nrevision = (a, b) = 'ab'\n",
        // Syntax only some of the Python versions monomig supports accept.
        "revision = 'a'\ndown_revision = None\ntype X = int\n",
        "revision = 'a'\ndown_revision = None\ndef f[T](x: T) -> T: return x\n",
        "revision = 'a'\ndown_revision = None\ntry:\n    pass\nexcept* ValueError:\n    pass\n",
        "revision = 'a'\ndown_revision = None\nx = t'tpl'\n",
        "revision = 'a'\ndown_revision = None\nx = f\"{d[\"k\"]}\"\n",
        // A coding cookie on the second line of a file with CR line endings.
        "#!/usr/bin/env python\r# coding: latin-1\rrevision = 'a'\rdown_revision = None\r",
    ] {
        needs_import(src);
    }
}

#[test]
fn harmless_code_is_ignored() {
    let f = stat(concat!(
        "import sqlalchemy as sa\n",
        "from alembic import op\n",
        "from typing import TYPE_CHECKING\n",
        "if TYPE_CHECKING:\n    from typing import Sequence\n",
        "revision = 'a'\n",
        "down_revision = 'b'\n",
        "TABLE = sa.table('t', sa.column('revision'))\n",
        "x = {'revision': 1}\n",
        "op.revision = 'attribute only'\n",
        "class Model:\n    revision = 'class attribute'\n    down_revision: str = 'x'\n",
        "def upgrade():\n    revision = 'local'\n    down_revision, x = 1, 2\n    for revision in []:\n        pass\n",
        "print(revision)\n",
        "lambda revision: revision\n",
    ));
    assert_eq!(f.revision, "a");
    assert_eq!(f.down_revision, vec!["b"]);
}

/// Names that reach module globals change nothing where they cannot run at import.
#[test]
fn reaching_names_count_only_where_they_run_at_import() {
    let head = "revision = 'a'\ndown_revision = None\n";
    for body in [
        // Import paths through packages named like them.
        "from indico.modules.events.contributions.models.fields import ContributionFieldVisibility\n",
        "import indico.modules.events as ev\nimport modules\ndef f():\n    from .modules import x\n",
        // Attributes of other objects.
        "import sqlalchemy as sa\nx = sa.modules\ny = df.eval('a + b')\nz = obj.setattr\n",
        // Strings.
        "x = 'globals()[\"revision\"] = 1'\n",
        // Function bodies nothing calls at import.
        "def upgrade():\n    globals()['revision'] = 'b'\n    exec('x')\n    import sys\n    sys.modules[__name__].revision = 'b'\n",
        "def helper(): return globals()\ndef upgrade():\n    helper()\n",
        "class Model:\n    def save(self):\n        setattr(self, 'x', 1)\n",
        "def f():\n    global revision\n    revision = 'b'\n",
        // `modules` as a plain name, and `from sys import modules` used only in a function.
        "modules = ['a', 'b']\nfor m in modules: pass\n",
        // Binding a name calls nothing.
        "class R:\n    eval = staticmethod(len)\nn = R.eval('ab')\n",
        "from sys import modules\ndef upgrade():\n    modules[__name__]\n",
    ] {
        let f = stat(&format!("{head}{body}"));
        assert_eq!(f.revision, "a", "{body}");
    }
    for (body, want) in [
        (
            "globals()['revision'] = 'b'\n",
            "line 3: `globals` in code that runs at import",
        ),
        (
            "import sys\nsys.modules[__name__].revision = 'b'\n",
            "line 4: `sys.modules` in code that runs at import",
        ),
        (
            "import sys as s\ns.modules[__name__].revision = 'b'\n",
            "line 4: `s.modules`",
        ),
        (
            "import os\nos.sys.modules[__name__].revision = 'b'\n",
            "line 4: `sys.modules`",
        ),
        (
            "from sys import modules as m\nm[__name__].revision = 'b'\n",
            "line 4: `m` in code",
        ),
        (
            "def f():\n    return globals()\nf()['revision'] = 'b'\n",
            "line 4: `globals` inside `f`, which runs at import",
        ),
        (
            "def f():\n    g()\ndef g():\n    exec('revision = 1')\nf()\n",
            "line 6: `exec` inside `g`",
        ),
        (
            "@register\ndef f():\n    setattr(mod, 'revision', 'b')\n",
            "line 5: `setattr` inside `f`",
        ),
        (
            "class C:\n    vars()['x'] = 1\n",
            "line 4: `vars` in code that runs at import",
        ),
        (
            "class C:\n    def __init__(self):\n        exec('')\nC()\n",
            "line 5: `exec` inside `C`",
        ),
        (
            "def f():\n    global revision\n    revision = 'b'\nf()\n",
            "line 4: `revision` is declared global inside `f`",
        ),
        (
            "if True:\n    exec('revision = 1')\n",
            "line 4: `exec` in code that runs at import",
        ),
        ("x = [eval(s) for s in ['1']]\n", "line 3: `eval`"),
        ("def f(): return globals()\nf()\n", "line 3: `globals` inside `f`"),
        ("from . import helpers\n", "line 3: a relative import"),
        (
            "from neutron.db.migration import cli\nbranch_labels = (cli.EXPAND_BRANCH,)\n",
            "line 4: `branch_labels` is not assigned a plain literal (it uses `cli.EXPAND_BRANCH`",
        ),
        (
            "try:\n    from .m import x\nexcept ImportError:\n    x = None\n",
            "line 4: a relative import",
        ),
    ] {
        let reason = needs_import(&format!("{head}{body}"));
        assert!(reason.contains(want), "{body:?}: {reason}");
    }
}

/// The modules a revision file imports in code that runs at import.
#[test]
fn module_imports_of_a_revision_file() {
    let dir = tempfile::tempdir().unwrap();
    let pkg = dir.path().join("proj/migrations/versions");
    fs::create_dir_all(&pkg).unwrap();
    for d in ["proj/migrations", "proj/migrations/versions"] {
        fs::write(dir.path().join(d).join("__init__.py"), "").unwrap();
    }
    let src = concat!(
        "from typing import TYPE_CHECKING\n",
        "import sqlalchemy as sa, os.path\n",
        "from alembic import op\n",
        "from neutron.db.migration import cli\n",
        "from . import labels\n",
        "from .consts import (EXPAND as E,\n    CONTRACT)\n",
        "from .. import env_helpers\n",
        "try:\n    import ujson as json\nexcept ImportError:\n    import json\n",
        "if TYPE_CHECKING:\n    from prefect.server import schemas\n",
        "def upgrade():\n    import prefect.server.utilities.database\n",
        "revision = 'a'\ndown_revision = None\n",
    );
    let p = pkg.join("1234abcd.py");
    fs::write(&p, src).unwrap();
    let want = vec![
        "typing",
        "sqlalchemy",
        "os.path",
        "alembic",
        "neutron.db.migration",
        "migrations.versions",
        "migrations.versions.consts",
        "migrations",
        "ujson",
        "json",
    ];
    // The relative imports make it need import; its imports are known all the same.
    let s = read_revision_file(&p).unwrap();
    assert!(matches!(s, ScriptSource::NeedsImport { .. }));
    assert_eq!(s.module_imports(), want);
    let plain: String = src
        .lines()
        .filter(|l| !l.contains("from .") && !l.contains("CONTRACT)"))
        .map(|l| format!("{l}\n"))
        .collect();
    fs::write(&p, plain).unwrap();
    match read_revision_file(&p).unwrap() {
        ScriptSource::Static(f) => assert_eq!(
            f.module_imports,
            [
                "typing",
                "sqlalchemy",
                "os.path",
                "alembic",
                "neutron.db.migration",
                "ujson",
                "json"
            ]
        ),
        other => panic!("{other:?}"),
    }
    // A file that needs import lists them too; outside a package, relative ones stay as written.
    let q = dir.path().join("5678abcd.py");
    fs::write(&q, format!("{src}revision = compute()\nfrom .late import x\n")).unwrap();
    match read_revision_file(&q).unwrap() {
        ScriptSource::NeedsImport { module_imports, .. } => {
            assert!(module_imports.contains(&".".to_string()), "{module_imports:?}");
            assert!(module_imports.contains(&".late".to_string()), "{module_imports:?}");
            assert!(module_imports.contains(&"neutron.db.migration".to_string()));
            assert!(!module_imports.iter().any(|m| m.starts_with("prefect")));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn syntax_damage_is_an_error_with_a_line() {
    for (src, line) in [
        ("revision = 'a\ndown_revision = None\n", 1),
        ("revision = 'a'\ndown_revision = None\nx = '''abc\n", 3),
        ("revision = 'a'\ndown_revision = (None\n", 2),
        ("revision = 'a'\ndown_revision = None)\n", 2),
        ("revision = 'a'\ndown_revision = [None)\n", 2),
        (
            "revision = 'a'\n<<<<<<< HEAD\ndown_revision = None\n=======\ndown_revision = 'b'\n>>>>>>> x\n",
            2,
        ),
        (
            "revision = 'a'\ndown_revision = None\ndef f():\n    x = 1\n  y = 2\n",
            5,
        ),
        ("revision = 'a'\n  down_revision = None\n", 2),
        ("revision = 'a'\ndown_revision = None\ndef f():\nx = 1\n", 3),
        ("revision = 'a'\ndown_revision = None\ndef f():\n    op.add(x y)\n", 4),
        ("revision = 'a'\ndown_revision = None\nx = 1 +\n", 3),
        ("revision = 'a'\ndown_revision = None\nx = $\n", 3),
        ("revision = 'a'\ndown_revision = None\nx = '\\x4'\n", 3),
        ("revision = 'a'\ndown_revision = None\nx = 1 \\ y\n", 3),
    ] {
        let m = script_err(src);
        assert!(m.contains(&format!(", line {line}: ")), "{src:?}: {m}");
        assert!(m.contains("fix the file or remove it"), "{m}");
    }
    // Grammar Python checks that a tokenizer-level reader also sees.
    for (src, line) in [
        ("revision = 'a'\ndown_revision = None\nclass A\n    pass\n", 3),
        ("revision = 'a'\ndown_revision = None\ntry:\n    import x\n", 3),
        ("revision = 'a'\ndown_revision = None\ntry:\n    import x\ny = 1\n", 3),
        ("revision = 'a'\ndown_revision = None\n@decorator\n", 3),
        ("revision = 'a'\ndown_revision = None\n@decorator\nx = 1\n", 3),
        ("revision = 'a'\ndown_revision = None\nmatch x:\n    y = 1\n", 4),
        ("revision = 'a'\ndown_revision = None\nmatch x\n", 3),
        ("revision = 'a'\ndown_revision = None\nf = lambda x\n", 3),
        ("revision = 'a'\ndown_revision = None\nf(lambda x)\n", 3),
        ("revision = 'a'\ndown_revision = None\nx = [a=1]\n", 3),
        ("revision = 'a'\ndown_revision = None\nx = ('a'=1)\n", 3),
        ("revision = 'a'\ndown_revision = None\nfrom os.path\n", 3),
        ("revision = 'a'\ndown_revision = None\nx = a..b\n", 3),
        ("revision = 'a'\ndown_revision = None\nx = 1; if x: pass\n", 3),
        ("revision = 'a'\ndown_revision = None\nx = 1 \\\n", 3),
        ("revision = 'a'\ndown_revision = None\nx = '\\N{BU[LLET}'\n", 3),
    ] {
        let m = script_err(src);
        assert!(m.contains(&format!(", line {line}: ")), "{src:?}: {m}");
    }
    // ... and valid code that looks close to those.
    for src in [
        "revision = 'a'\ndown_revision = None\ntry:\n    import x\nexcept ImportError:\n    pass\nelse:\n    pass\nfinally:\n    pass\n",
        "revision = 'a'\ndown_revision = None\n@a.b(c=1)\n@d\nclass A:\n    @property\n    def f(self): return 1\n",
        "revision = 'a'\ndown_revision = None\nmatch = 1\nmatch.x = 2\nmatch(x)\nmatch[1]\n",
        "revision = 'a'\ndown_revision = None\nm = 1\nmatch m:\n    case 1 | 2:\n        pass\n    case {'k': v, **rest}:\n        pass\n",
        "revision = 'a'\ndown_revision = None\nf = lambda x=1, *a, **k: (x, a, k)\ng = sorted([], key=lambda v: v[1:2])\n",
        "revision = 'a'\ndown_revision = None\ndef f(a: int = 1, *, b: 'str' = 'x', c: list[int] = []) -> None: pass\n",
        "revision = 'a'\ndown_revision = None\nclass A(B, metaclass=M): pass\nx = dict(a=1, **{'b': 2})\n",
        "revision = 'a'\ndown_revision = None\ndef f():\n    from . import x\n    from .. import y\n    from ...z import w\nv = ...\n",
        "revision = 'a'\ndown_revision = None\nx = 1 \\\n\ny = 2\n",
        "revision = 'a'\ndown_revision = None\ns = '\\N{LATIN SMALL LETTER E WITH ACUTE}'\n",
    ] {
        stat(src);
    }
    match read_named("1234.py", b"revision = 'a'\x00\n") {
        Err(Error::Script(d)) => {
            let m = &d.message;
            assert!(m.contains("NUL"), "{m}")
        }
        other => panic!("{other:?}"),
    }
    match read_named("1234.py", b"revision = '\xff'\ndown_revision = None\n") {
        Err(Error::Script(d)) => {
            let m = &d.message;
            assert!(m.contains("line 1") && m.contains("UTF-8"), "{m}")
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn big_file_is_linear() {
    let mut src = String::from("revision = 'a'\ndown_revision = None\n");
    let body = "def f():\n    x = {'a': [1, 2, (3, 4)], \"b\": '''s\ns'''}  # comment\n    return x\n";
    while src.len() < 1_000_000 {
        src.push_str(body);
    }
    let start = std::time::Instant::now();
    assert_eq!(stat(&src).revision, "a");
    // Generous: this is a sanity bound for debug builds, not a benchmark.
    assert!(start.elapsed().as_secs_f64() < 5.0);
    // Nested brackets: up to Python's limit (200) fine, beyond it an error;
    // neither recursion nor quadratic work whatever the depth.
    let deep = format!(
        "revision = 'a'\ndown_revision = None\nx = {}1{}\n",
        "(".repeat(200),
        ")".repeat(200)
    );
    assert_eq!(stat(&deep).revision, "a");
    let deep = format!(
        "revision = 'a'\ndown_revision = None\nx = {}1{}\n",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    assert!(script_err(&deep).contains("too many nested parentheses"));
    // Parentheses around a value and around the docstring are peeled in one pass.
    let (open, close) = ("(".repeat(99), ")".repeat(99));
    let deep =
        format!("{open}'doc'{close}\nrevision = {open}'a'{close}\ndown_revision = {open}({open}'b'{close},){close}\n");
    let f = stat(&deep);
    assert_eq!((f.revision.as_str(), f.doc.as_str()), ("a", "doc"));
    assert_eq!(f.down_revision, vec!["b"]);
    // Deep blocks: CPython allows 20 nested loops/try/with and 100 indentation levels.
    let mut nested = String::new();
    for i in 0..100 {
        nested.push_str(&format!("{}if 1:\n", " ".repeat(i)));
    }
    let deep = format!(
        "revision = 'a'\ndown_revision = None\n{nested}{}pass\n",
        " ".repeat(100)
    );
    assert!(needs_import(&deep).contains("20 blocks"));
}

// ---------------------------------------------------------------------------
// Discovery

fn touch(p: &Path) {
    if let Some(d) = p.parent() {
        fs::create_dir_all(d).unwrap();
    }
    fs::write(p, "down_revision = None\n").unwrap();
}

fn names(files: &[PathBuf], root: &Path) -> Vec<String> {
    files
        .iter()
        .map(|p| p.strip_prefix(root).unwrap().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn discovery_order_and_filters() {
    let tmp = tempfile::tempdir().unwrap();
    let root = fs::canonicalize(tmp.path()).unwrap();
    let v = root.join("versions");
    for n in [
        "b.py",
        "a.py",
        "__init__.py",
        ".#c.py",
        "_p.py",
        "x.txt",
        "sub/c.py",
        "sub/a/d.py",
        "zz/e.py",
    ] {
        touch(&v.join(n));
    }
    touch(&v.join("__pycache__/f.py"));
    let d = discover(std::slice::from_ref(&v), false, false).unwrap();
    assert_eq!(names(&d.files, &v), ["_p.py", "a.py", "b.py"]);
    let d = discover(std::slice::from_ref(&v), true, false).unwrap();
    assert_eq!(
        names(&d.files, &v),
        ["_p.py", "a.py", "b.py", "sub/c.py", "sub/a/d.py", "zz/e.py"]
    );
    // A missing location is skipped; a location listed twice warns per file.
    let d = discover(&[root.join("missing"), v.clone(), v.clone()], false, false).unwrap();
    assert_eq!(d.files.len(), 3);
    assert_eq!(d.warnings.len(), 6);
    assert!(d.warnings[0].starts_with("File "));
    assert!(d.warnings[0].ends_with(" loaded twice! ignoring. Please ensure version_locations is unique."));
}

#[test]
fn discovery_symlinks() {
    let tmp = tempfile::tempdir().unwrap();
    let root = fs::canonicalize(tmp.path()).unwrap();
    let v = root.join("v");
    touch(&root.join("elsewhere/real.py"));
    touch(&root.join("elsewhere/target.txt"));
    fs::create_dir_all(&v).unwrap();
    symlink(root.join("elsewhere/real.py"), v.join("link.py")).unwrap();
    symlink(root.join("elsewhere/target.txt"), v.join("other.py")).unwrap();
    symlink(root.join("elsewhere"), v.join("dirlink")).unwrap();
    symlink(v.join("loop_a.py"), v.join("loop_b.py")).unwrap();
    symlink(v.join("loop_b.py"), v.join("loop_a.py")).unwrap();
    symlink(&v, v.join("self")).unwrap();
    match discover(std::slice::from_ref(&v), true, false) {
        Err(Error::Script(d)) => {
            let m = &d.message;
            assert!(m.contains("symbolic link loop"), "{m}")
        }
        other => panic!("{other:?}"),
    }
    fs::remove_file(v.join("loop_a.py")).unwrap();
    fs::remove_file(v.join("loop_b.py")).unwrap();
    let d = discover(std::slice::from_ref(&v), true, false).unwrap();
    // link.py resolves to real.py; other.py to target.txt (skipped by name).
    assert_eq!(d.files, vec![root.join("elsewhere/real.py")]);
}

#[test]
fn discovery_sourceless() {
    let tmp = tempfile::tempdir().unwrap();
    let root = fs::canonicalize(tmp.path()).unwrap();
    let v = root.join("v");
    touch(&v.join("a.py"));
    touch(&v.join("a.pyc"));
    touch(&v.join("b.pyc"));
    touch(&v.join("b.pyo"));
    touch(&v.join("c.pyo"));
    touch(&v.join("c.py"));
    touch(&v.join("__pycache__/a.cpython-311.pyc"));
    touch(&v.join("__pycache__/d.cpython-311.pyc"));
    let d = discover(std::slice::from_ref(&v), false, true).unwrap();
    assert_eq!(
        names(&d.files, &v),
        ["a.py", "b.pyc", "c.py", "__pycache__/d.cpython-311.pyc"]
    );
    let s = scan(std::slice::from_ref(&v), false, true).unwrap();
    assert!(matches!(s.scripts[0], ScriptSource::Static(_)));
    assert!(matches!(s.scripts[1], ScriptSource::NeedsImport { .. }));
    // A lone .pyo: Python 3 cannot load it.
    fs::remove_file(v.join("c.py")).unwrap();
    match scan(std::slice::from_ref(&v), false, true) {
        Err(Error::Script(d)) => {
            let m = &d.message;
            assert!(m.contains("c.pyo"), "{m}")
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn scan_keeps_order_and_reports_first_error() {
    let tmp = tempfile::tempdir().unwrap();
    let v = fs::canonicalize(tmp.path()).unwrap();
    for i in 0..200 {
        fs::write(
            v.join(format!("{i:04}.py")),
            format!(
                "revision = 'r{i}'\ndown_revision = {}\n",
                if i == 0 { "None".into() } else { format!("'r{}'", i - 1) }
            ),
        )
        .unwrap();
    }
    let s = scan(std::slice::from_ref(&v), false, false).unwrap();
    let revs: Vec<_> = s
        .scripts
        .iter()
        .map(|s| match s {
            ScriptSource::Static(f) => f.revision.clone(),
            _ => panic!(),
        })
        .collect();
    assert_eq!(revs, (0..200).map(|i| format!("r{i}")).collect::<Vec<_>>());
    fs::write(v.join("0150.py"), "revision = (\n").unwrap();
    fs::write(v.join("0170.py"), "revision = 'x\n").unwrap();
    match scan(std::slice::from_ref(&v), false, false) {
        Err(Error::Script(d)) => {
            let m = &d.message;
            assert!(m.contains("0150.py"), "{m}")
        }
        other => panic!("{other:?}"),
    }
}

// ---------------------------------------------------------------------------
// No panic, whatever the input.

/// The seed corpus: the test fixtures and the demo's revision files, read where they live.
fn corpus() -> Vec<Vec<u8>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut out: Vec<Vec<u8>> = [
        "tests/fixtures/revfiles",
        "migrations/versions/service_one",
        "migrations/versions/service_two",
    ]
    .iter()
    .flat_map(|dir| {
        fs::read_dir(root.join(dir))
            .map(|rd| rd.flatten().filter_map(|e| fs::read(e.path()).ok()).collect())
            .unwrap_or_else(|_| Vec::new())
    })
    .collect();
    out.push(TEMPLATE.as_bytes().to_vec());
    out
}

fn read_bytes_anyhow(src: &[u8]) {
    // Straight to the reader: no file system in the loop.
    let _ = read_source(Path::new("/x/1234abcd.py"), src, &Dialect::default());
    let _ = read_source(Path::new("/x/1234abcd.py"), src, &Dialect::python(3, 13));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(src in proptest::collection::vec(any::<u8>(), 0..400)) {
        read_bytes_anyhow(&src);
    }

    #[test]
    fn random_python_ish_text_never_panics(src in "[ \t\n\\\\'\"#()\\[\\]{}:;,.=+*@<>!$a-z0-9_rbfuRBFU\u{e9}\x0c\r]{0,300}") {
        read_bytes_anyhow(src.as_bytes());
    }

    #[test]
    fn mutated_revision_files_never_panic(
        pick in any::<prop::sample::Index>(),
        edits in proptest::collection::vec((any::<prop::sample::Index>(), 0u8..4, any::<u8>()), 1..8),
    ) {
        let files = corpus();
        let mut src = files[pick.index(files.len())].clone();
        for (at, op, byte) in edits {
            let i = if src.is_empty() { 0 } else { at.index(src.len()) };
            match op {
                0 => src.insert(i, byte),
                1 if !src.is_empty() => { src.remove(i); }
                2 if !src.is_empty() => src[i] = byte,
                _ => {
                    let n = (byte as usize % 16).min(src.len() - i.min(src.len()));
                    let chunk: Vec<u8> = src[i..i + n].to_vec();
                    src.splice(i..i, chunk);
                }
            }
        }
        read_bytes_anyhow(&src);
    }
}

/// A revision file like the ones Alembic's template produces with a real
/// migration in it (about 1.1 KB).
fn realistic_revision(i: usize, rev: &str, down: &str) -> String {
    TEMPLATE
        .replace("2b3c4d5e6f70", rev)
        .replace("'1a2b3c4d5e6f'", down)
        .replace("add field", &format!("change number {i}"))
        .replace(
            "    op.add_column(\"t\", sa.Column(\"x\", sa.Integer(), nullable=True))\n",
            concat!(
                "    op.create_table(\n",
                "        \"orders\",\n",
                "        sa.Column(\"id\", sa.Integer(), nullable=False),\n",
                "        sa.Column(\"user_id\", sa.Integer(), sa.ForeignKey(\"users.id\"), nullable=False),\n",
                "        sa.Column(\"total\", sa.Numeric(12, 2), nullable=False, server_default=\"0\"),\n",
                "        sa.Column(\"status\", sa.String(length=32), nullable=False),\n",
                "        sa.Column(\"created_at\", sa.DateTime(timezone=True), server_default=sa.text(\"now()\")),\n",
                "        sa.PrimaryKeyConstraint(\"id\"),\n",
                "    )\n",
                "    op.create_index(op.f(\"ix_orders_user_id\"), \"orders\", [\"user_id\"], unique=False)\n",
            ),
        )
}

/// A quick measurement, not a timed test: `cargo test --release --lib scan_speed -- --ignored --nocapture`.
#[test]
#[ignore]
fn scan_speed() {
    let tmp = tempfile::tempdir().unwrap();
    let v = fs::canonicalize(tmp.path()).unwrap();
    let n = 5000;
    let mut total = 0;
    for i in 0..n {
        let rev = format!("{:012x}", i * 7919 + 1);
        let down = if i == 0 {
            "None".to_string()
        } else {
            format!("'{:012x}'", (i - 1) * 7919 + 1)
        };
        let text = realistic_revision(i, &rev, &down);
        total += text.len();
        fs::write(v.join(format!("2024_06_20_{rev}_change_number_{i}.py")), text).unwrap();
    }
    let locations = vec![v.clone()];
    let time = |f: &dyn Fn() -> usize| {
        let mut best = f64::MAX;
        let mut out = 0;
        for _ in 0..7 {
            let t = std::time::Instant::now();
            out = f();
            best = best.min(t.elapsed().as_secs_f64());
        }
        (best, out)
    };
    let (read, bytes) = time(&|| {
        let mut names: Vec<_> = fs::read_dir(&v).unwrap().map(|e| e.unwrap().path()).collect();
        names.sort();
        names.iter().map(|p| fs::read(p).unwrap().len()).sum()
    });
    let (discover_only, _) = time(&|| discover(&locations, false, false).unwrap().files.len());
    let (scanned, count) = time(&|| scan(&locations, false, false).unwrap().scripts.len());
    assert_eq!(count, n);
    assert_eq!(bytes, total);
    println!(
        "{n} files, {:.1} MB: read bytes {:.1} ms, discover {:.1} ms, scan {:.1} ms ({:.2}x reading)",
        total as f64 / 1e6,
        read * 1e3,
        discover_only * 1e3,
        scanned * 1e3,
        scanned / read
    );
}

#[test]
#[ignore]
fn parse_speed() {
    let text = realistic_revision(7, "0123456789ab", "'ba9876543210'");
    let src = text.as_bytes();
    let n: usize = std::env::var("PARSE_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20000);
    match std::env::var("PARSE_ONLY").as_deref() {
        Ok("lex") => {
            for _ in 0..n {
                std::hint::black_box(pysource::lex_only(std::hint::black_box(src)));
            }
            return;
        }
        Ok("module") => {
            for _ in 0..n {
                std::hint::black_box(pysource::read_module(std::hint::black_box(src)).unwrap());
            }
            return;
        }
        Ok("full") => {
            for _ in 0..n {
                std::hint::black_box(
                    read_source(Path::new("/x/a.py"), std::hint::black_box(src), &Dialect::default()).unwrap(),
                );
            }
            return;
        }
        _ => {}
    }
    let t = std::time::Instant::now();
    for _ in 0..n {
        let r = read_source(Path::new("/x/a.py"), std::hint::black_box(src), &Dialect::default()).unwrap();
        std::hint::black_box(r);
    }
    let el = t.elapsed().as_secs_f64();
    let t2 = std::time::Instant::now();
    let mut toks = 0;
    for _ in 0..n {
        toks = pysource::lex_only(std::hint::black_box(src));
    }
    let lex = t2.elapsed().as_secs_f64();
    let t3 = std::time::Instant::now();
    for _ in 0..n {
        std::hint::black_box(pysource::read_module(std::hint::black_box(src)).unwrap());
    }
    let module = t3.elapsed().as_secs_f64();
    println!(
        "{toks} tokens: lex {:.2} us, read_module {:.2} us",
        lex / n as f64 * 1e6,
        module / n as f64 * 1e6
    );
    println!(
        "parse: {:.2} us per {}-byte file, {:.0} MB/s",
        el / n as f64 * 1e6,
        src.len(),
        (src.len() * n) as f64 / el / 1e6
    );
}
