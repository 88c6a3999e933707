//! Unit tests of the Alembic config semantics over real files in temporary
//! directories. The differential tests against Alembic itself are in
//! `tests/test_config_differential.py`.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use proptest::prelude::*;

use super::*;

struct Tree {
    dir: tempfile::TempDir,
}

impl Tree {
    fn new() -> Self {
        Tree {
            dir: tempfile::tempdir().unwrap(),
        }
    }
    fn root(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }
    fn root_str(&self) -> String {
        self.root().to_str().unwrap().to_owned()
    }
    fn file(&self, rel: &str, text: &str) -> &Self {
        let p = self.dir.path().join(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, text).unwrap();
        self
    }
    fn mkdir(&self, rel: &str) -> &Self {
        fs::create_dir_all(self.dir.path().join(rel)).unwrap();
        self
    }
    fn load(&self, ini: &str) -> Result<Project> {
        load_project(Path::new(ini), &LoadOptions::new(self.root()))
    }
}

const DEMO: &str = "\
[alembic]
sqlalchemy.url = driver://user:pass@localhost/defaultdb
databases = service_one, service_two

[DEFAULT]
script_location = migrations
prepend_sys_path = .
path_separator = os

[service_one]
version_locations = ./migrations/versions/service_one
script_location = ./migrations

[service_two]
version_locations = ./migrations/versions/service_two
script_location = ./migrations

[post_write_hooks]

[loggers]
keys = root

[logger_root]
level = WARNING
";

#[test]
fn demo_services() {
    let t = Tree::new();
    t.file("alembic.ini", DEMO).mkdir("migrations/versions/service_one");
    let p = t.load("alembic.ini").unwrap();
    let names: Vec<&str> = p.services.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["service_one", "service_two"]);
    let s1 = p.service("service_one").unwrap();
    let root = t.root_str();
    assert_eq!(s1.script_location, PathBuf::from(format!("{root}/migrations")));
    assert_eq!(
        s1.version_locations,
        [PathBuf::from(format!("{root}/migrations/versions/service_one"))]
    );
    assert_eq!(s1.prepend_sys_path, ["."]);
    assert_eq!(s1.file_template, DEFAULT_FILE_TEMPLATE);
    assert_eq!(s1.version_table, "alembic_version");
    assert_eq!(s1.sqlalchemy_url, None);
    assert_eq!(
        s1.options.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(),
        [
            "here",
            "script_location",
            "prepend_sys_path",
            "path_separator",
            "version_locations"
        ]
    );
    assert_eq!(s1.option("here"), Some(root.as_str()));
    assert!(p.warnings.is_empty(), "{:?}", p.warnings);
    // Any section, as -n would see it.
    let alembic = p.section("alembic").unwrap();
    assert_eq!(
        alembic.sqlalchemy_url.as_deref(),
        Some("driver://user:pass@localhost/defaultdb")
    );
    assert_eq!(
        alembic.version_locations,
        [PathBuf::from(format!("{root}/migrations/versions"))]
    );
    assert!(p.section("nope").unwrap_err().message().contains("no section [nope]"));
    assert!(p.section("DEFAULT").is_err());
}

#[test]
fn alembic_is_the_service_only_when_no_other_is() {
    let t = Tree::new();
    t.mkdir("m").file(
        "alembic.ini",
        "[alembic]\nscript_location = %(here)s/m\ndatabases = engine1, engine2\n[engine1]\nsqlalchemy.url = a\n\
         [engine2]\nsqlalchemy.url = b\n",
    );
    let p = t.load("alembic.ini").unwrap();
    assert_eq!(p.services.len(), 1);
    assert_eq!(p.services[0].name, "alembic");
    assert_eq!(p.services[0].script_location, t.root().join("m"));
}

#[test]
fn pyproject_fallback_and_virtual_alembic_section() {
    let t = Tree::new();
    t.mkdir("sub/m/versions")
        .file("alembic.ini", "[loggers]\nkeys = root\n")
        .file(
            "sub/pyproject.toml",
            "[tool.alembic]\nscript_location = \"%(here)s/m\"\nprepend_sys_path = [\".\"]\nsourceless = true\n\
             truncate_slug_length = 12\nversion_locations = [\"%(here)s/m/versions\", \"rel\"]\n",
        );
    let mut opts = LoadOptions::new(t.root());
    opts.toml_file = Some("sub/pyproject.toml".into());
    let p = load_project(Path::new("alembic.ini"), &opts).unwrap();
    let root = t.root_str();
    assert_eq!(p.toml_file, Some(PathBuf::from(format!("{root}/sub/pyproject.toml"))));
    let s = &p.services[0];
    assert_eq!(s.name, "alembic");
    assert_eq!(s.script_location, PathBuf::from(format!("{root}/sub/m")));
    assert_eq!(
        s.version_locations,
        [
            PathBuf::from(format!("{root}/sub/m/versions")),
            PathBuf::from(format!("{root}/rel"))
        ]
    );
    assert!(s.sourceless);
    assert_eq!(s.truncate_slug_length, Some(12));
    assert!(s.options.is_empty());
    // The default pyproject.toml is the one in the working directory: none here.
    let p = t.load("alembic.ini").unwrap();
    assert!(p.services.is_empty());
    assert!(p.toml_file.is_none());
}

#[test]
fn separators() {
    let t = Tree::new();
    t.mkdir("m");
    let with = |sep: &str, locs: &str| {
        t.file(
            "a.ini",
            &format!("[alembic]\nscript_location = m\n{sep}version_locations = {locs}\n"),
        );
        t.load("a.ini").map(|p| {
            let s = &p.services[0];
            let root = t.root_str();
            let locs: Vec<String> = s
                .version_locations
                .iter()
                .map(|l| {
                    l.to_str()
                        .unwrap()
                        .strip_prefix(&root)
                        .unwrap_or(l.to_str().unwrap())
                        .to_owned()
                })
                .collect();
            (locs, s.warnings.clone())
        })
    };
    assert_eq!(
        with("path_separator = space\n", "a b  c").unwrap().0,
        ["/a", "/b", "/c"]
    );
    // Items are dropped when empty, then stripped: a blank item is the working directory.
    assert_eq!(
        with("path_separator = os\n", "a: :b::c").unwrap().0,
        ["/a", "", "/b", "/c"]
    );
    let (locs, warnings) = with("", "a, b c").unwrap();
    assert_eq!(locs, ["/a", "/b", "/c"]);
    assert!(warnings[0].starts_with("No path_separator found in configuration"));
    let (_, warnings) = with("version_path_separator = ;\n", "a;b").unwrap();
    assert_eq!(
        warnings,
        ["The version_path_separator configuration parameter is deprecated; please use path_separator"]
    );
    let err = with("path_separator = comma\n", "a,b").unwrap_err();
    assert!(
        err.message()
            .contains("'comma' is not a valid value for path_separator; expected 'space', 'newline', 'os', ':', ';'"),
        "{}",
        err.message()
    );
}

#[test]
fn legacy_split_like_re_split() {
    assert_eq!(legacy_split("a ,b", false), ["a", "", "b"]);
    assert_eq!(legacy_split("a,  b   c", false), ["a", "b", "c"]);
    assert_eq!(legacy_split(" a", false), ["", "a"]);
    assert_eq!(legacy_split("a:b c", true), ["a", "b", "c"]);
    assert_eq!(legacy_split("a\nb", false), ["a\nb"]);
}

#[test]
fn package_resources_use_the_resolver() {
    let t = Tree::new();
    t.mkdir("pkgroot/mypkg/migrations")
        .file("a.ini", "[alembic]\nscript_location = mypkg:migrations\n");
    assert!(t.load("a.ini").unwrap_err().message().contains("package resource"));
    let root = t.root();
    let mut opts = LoadOptions::new(t.root());
    opts.resolve_package = Some(Arc::new(move |loc: &str| {
        let (pkg, rest) = loc.split_once(':').unwrap();
        if pkg == "mypkg" {
            Ok(root.join("pkgroot").join(pkg).join(rest))
        } else {
            Err(format!("No module named '{pkg}'"))
        }
    }));
    let p = load_project(Path::new("a.ini"), &opts).unwrap();
    assert_eq!(p.services[0].script_location, t.root().join("pkgroot/mypkg/migrations"));
    t.file("a.ini", "[alembic]\nscript_location = nopkg:migrations\n");
    let e = load_project(Path::new("a.ini"), &opts).unwrap_err();
    assert!(e.message().contains("No module named 'nopkg'"), "{}", e.message());
}

#[test]
fn bad_input_is_a_config_error() {
    let t = Tree::new();
    t.mkdir("m");
    let msg = |text: &str| {
        t.file("a.ini", text);
        match t.load("a.ini") {
            Err(Error::Config(d)) => d.message,
            other => panic!("expected a config error for {text:?}, got {other:?}"),
        }
    };
    assert!(msg("[alembic]\nscript_location = nowhere\n").contains("Path doesn't exist: nowhere"));
    assert!(msg("[alembic]\nscript_location = m\ntruncate_slug_length = x\n").contains("truncate_slug_length"));
    assert!(msg("[s]\nscript_location = %(nope)s\n").contains("a.ini, line 2"));
    assert!(msg("oops\n").contains("a.ini, line 1"));
    assert!(msg("[s]\nscript_location = m\n[s]\n").contains("line 3"));
    let missing = t.load("missing.ini").unwrap_err();
    assert!(
        missing.message().contains("missing.ini not found"),
        "{}",
        missing.message()
    );
    fs::write(t.root().join("bad.ini"), b"[alembic]\nx = \xff\n").unwrap();
    assert!(t.load("bad.ini").unwrap_err().message().contains("not valid UTF-8"));
    t.file("a.ini", "[alembic]\nscript_location = m\n")
        .file("pyproject.toml", "[tool.alembic\n");
    assert!(
        t.load("a.ini")
            .unwrap_err()
            .message()
            .contains("pyproject.toml, line 1")
    );
    fs::remove_file(t.root().join("pyproject.toml")).unwrap();
    let mut opts = LoadOptions::new(t.root());
    opts.allow_missing_ini = true;
    assert!(
        load_project(Path::new("missing.ini"), &opts)
            .unwrap()
            .services
            .is_empty()
    );
}

#[test]
fn config_paths_like_the_alembic_command() {
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    assert_eq!(
        config_paths(&[], None).unwrap(),
        ("alembic.ini".into(), "pyproject.toml".into())
    );
    assert_eq!(
        config_paths(&[], Some("x/pyproject.toml")).unwrap(),
        ("alembic.ini".into(), "x/pyproject.toml".into())
    );
    assert_eq!(
        config_paths(&[], Some("my.ini")).unwrap(),
        ("my.ini".into(), "pyproject.toml".into())
    );
    assert_eq!(
        config_paths(&s(&["a/pyproject.toml", "b.ini"]), None).unwrap(),
        ("b.ini".into(), "a/pyproject.toml".into())
    );
    assert!(config_paths(&s(&["a.ini", "b.ini"]), None).is_err());
    assert!(config_paths(&s(&["pyproject.toml", "x/pyproject.toml"]), None).is_err());
}

#[test]
fn hooks_from_ini_and_toml() {
    let t = Tree::new();
    t.mkdir("m").file(
        "a.ini",
        "[alembic]\nscript_location = m\n[post_write_hooks]\nhooks = black, ruff\nblack.type = console_scripts\n\
         black.entrypoint = black\nruff.type = exec\n",
    );
    let p = t.load("a.ini").unwrap();
    let hooks = &p.services[0].post_write_hooks;
    assert_eq!(hooks.len(), 2);
    assert_eq!(hooks[0].name, "black");
    assert_eq!(
        hooks[0].options,
        [
            ("type".into(), "console_scripts".into()),
            ("entrypoint".into(), "black".into())
        ]
    );
    t.file("a.ini", "[alembic]\nscript_location = m\n").file(
        "pyproject.toml",
        "[[tool.alembic.post_write_hooks]]\nname = \"black\"\ntype = \"console_scripts\"\n",
    );
    let p = t.load("a.ini").unwrap();
    assert_eq!(
        p.services[0].post_write_hooks[0].options,
        [("type".into(), "console_scripts".into())]
    );
    t.file(
        "pyproject.toml",
        "[[tool.alembic.post_write_hooks]]\ntype = \"console_scripts\"\n",
    );
    assert!(t.load("a.ini").is_err());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, .. ProptestConfig::default() })]

    /// Random bytes never panic the reader, and every value can be asked for.
    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        if let Ok(text) = ini::decode(&bytes, "r.ini")
            && let Ok(ini) = Ini::parse_with_defaults(&text, "r.ini", &[("here".into(), "/h".into())])
        {
            let names: Vec<String> = ini.sections().map(str::to_owned).collect();
            for name in names.iter().map(String::as_str).chain(["DEFAULT", "nope"]) {
                let _ = ini.items(name);
                let _ = ini.items_raw(name);
                let _ = ini.get(name, "script_location");
                let _ = ini.has_option(name, "x");
            }
        }
    }

    /// Random ini-like text (the characters that matter to the grammar) never panics.
    #[test]
    fn random_ini_text_never_panics(text in "[\\[\\]=:%()#; \\ta-cA-C\\n\\r\u{feff}\u{3000}\u{85}sé]{0,200}") {
        if let Ok(ini) = Ini::parse(&text, "r.ini") {
            let names: Vec<String> = ini.sections().map(str::to_owned).collect();
            for name in &names {
                let _ = ini.items(name);
            }
        }
    }

    #[test]
    fn random_toml_never_panics(text in "[\\[\\]=\"'a-z.%()\\n {},0-9]{0,120}") {
        if let Ok(t) = TomlConfig::parse(&format!("[tool.alembic]\n{text}"), "p.toml", "/h".into()) {
            let keys: Vec<String> = t.keys().map(str::to_owned).collect();
            for k in &keys {
                let _ = t.value(k);
                let _ = t.boolean(k);
            }
        }
    }

    #[test]
    fn percent_format_never_panics(text in "[%()a-z.0-9 *#+-]{0,40}") {
        let _ = pytext::percent_format(&text, &[("here".into(), "/h".into())]);
    }
}

#[test]
fn sections_meant_as_services_that_cannot_run() {
    let t = Tree::new();
    t.mkdir("m/v").file(
        "alembic.ini",
        "[alembic]\ndatabases = svc, ok, ghost\n[svc]\nversion_locations = m/v\n[ok]\nscript_location = m\n",
    );
    let p = t.load("alembic.ini").unwrap();
    assert_eq!(p.services.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(), ["ok"]);
    let names: Vec<&str> = p.not_services.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["ghost", "svc"]);
    assert!(p.not_services[1].1.contains("section [svc]") && p.not_services[1].1.contains("add script_location"));
    assert!(p.not_services.iter().all(|(_, why)| p.warnings.contains(why)));
}

/// Before 1.16 (each release's `ScriptDirectory.from_config` and `Config.file_config`):
/// no pyproject.toml, no path_separator, no warnings, `..` folded.
#[test]
fn older_alembic_rules() {
    let t = Tree::new();
    t.mkdir("m/versions")
        .mkdir("b")
        .file("pyproject.toml", "[tool.alembic]\nscript_location = \"%(here)s/m\"\n");
    let load = |version: &str, text: &str, ini: &str| {
        t.file("a/alembic.ini", text);
        let mut opts = LoadOptions::new(t.root().join("b"));
        opts.alembic = AlembicVersion::parse(version).unwrap();
        opts.toml_file = Some("../pyproject.toml".into());
        load_project(Path::new(ini), &opts)
    };
    let root = t.root_str();
    let locs = |p: &Project| -> Vec<String> {
        p.services[0]
            .version_locations
            .iter()
            .map(|l| l.to_str().unwrap().replace(&root, ""))
            .collect()
    };
    // pyproject.toml: read from 1.16 only.
    let text = "[loggers]\nkeys = root\n";
    assert_eq!(load("1.16.0", text, "../a/alembic.ini").unwrap().services.len(), 1);
    let p = load("1.15.2", text, "../a/alembic.ini").unwrap();
    assert!(p.services.is_empty() && p.toml_file.is_none());
    assert!(p.section("alembic").is_err());
    // path_separator is not a key before 1.16: `;` stays in the one location, no warning.
    let text = "[alembic]\nscript_location = %(here)s/../m\npath_separator = ;\nversion_locations = x;y\n";
    let p = load("1.15.2", text, "alembic.ini");
    // (alembic.ini is not in b/: the ini must exist)
    assert!(p.is_err());
    let p = load("1.15.2", text, "../a/alembic.ini").unwrap();
    assert_eq!(locs(&p), ["/b/x;y"]);
    assert!(p.services[0].warnings.is_empty());
    // %(here)s folds `..` before 1.16 and keeps it from 1.16.
    assert_eq!(p.services[0].script_location, PathBuf::from(format!("{root}/a/../m")));
    let text = "[alembic]\nscript_location = ../m\nversion_locations = %(here)s/v\nprepend_sys_path = .:x, y\n";
    let p = load("1.15.2", text, "../a/alembic.ini").unwrap();
    assert_eq!(p.services[0].option("here"), Some(format!("{root}/a").as_str()));
    assert_eq!(locs(&p), ["/a/v"]);
    assert_eq!(p.services[0].prepend_sys_path, [".", "x", "y"]);
    let p = load("1.16.0", text, "../a/alembic.ini").unwrap();
    assert_eq!(p.services[0].option("here"), Some(format!("{root}/b/../a").as_str()));
    assert_eq!(locs(&p), ["/b/../a/v"]);
    // version_path_separator: newline and stripping from 1.13.3.
    let text = "[alembic]\nscript_location = ../m\nversion_path_separator = newline\nversion_locations = \n  x\n  y\n";
    let p = load("1.13.3", text, "../a/alembic.ini").unwrap();
    assert_eq!(locs(&p), ["/b/x", "/b/y"]);
    let err = load("1.13.2", text, "../a/alembic.ini").unwrap_err();
    assert!(
        err.message()
            .contains("'newline' is not a valid value for version_path_separator; expected 'space', 'os', ':', ';'"),
        "{}",
        err.message()
    );
    let text = "[alembic]\nscript_location = ../m\nversion_path_separator = :\nversion_locations = x: y\n";
    assert_eq!(
        locs(&load("1.13.2", text, "../a/alembic.ini").unwrap()),
        ["/b/x", "/b/ y"]
    );
    assert_eq!(
        locs(&load("1.14.1", text, "../a/alembic.ini").unwrap()),
        ["/b/x", "/b/y"]
    );
    // The legacy split keeps empty items (the working directory) and warns nothing.
    let text = "[alembic]\nscript_location = ../m\nversion_locations = x, \n";
    let p = load("1.15.2", text, "../a/alembic.ini").unwrap();
    assert_eq!(locs(&p), ["/b/x", "/b"]);
    assert!(p.warnings.is_empty());
}

#[test]
fn older_config_paths() {
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    let old = AlembicVersion::new(1, 15, 2);
    assert_eq!(
        config_paths_for(&s(&["a.ini", "pyproject.toml"]), None, old).unwrap(),
        ("pyproject.toml".into(), String::new())
    );
    assert_eq!(
        config_paths_for(&[], Some(""), old).unwrap(),
        (String::new(), String::new())
    );
    assert_eq!(
        config_paths_for(&[], None, old).unwrap(),
        ("alembic.ini".into(), String::new())
    );
    assert!(config_paths_for(&s(&["a.ini", "b.ini"]), None, AlembicVersion::new(1, 16, 0)).is_err());
}

/// 1.16.0-1.16.4 read no TOML integers (and 1.16.0-1.16.3 no TOML booleans).
#[test]
fn toml_values_of_early_1_16() {
    let t = Tree::new();
    t.mkdir("m/versions").file("alembic.ini", "[loggers]\nkeys = root\n");
    let load = |version: &str, toml: &str| {
        t.file(
            "pyproject.toml",
            &format!("[tool.alembic]\nscript_location = \"m\"\n{toml}"),
        );
        let mut opts = LoadOptions::new(t.root());
        opts.alembic = AlembicVersion::parse(version).unwrap();
        load_project(Path::new("alembic.ini"), &opts)
    };
    assert!(load("1.16.4", "truncate_slug_length = 12\n").is_err());
    assert_eq!(
        load("1.16.5", "truncate_slug_length = 12\n").unwrap().services[0].truncate_slug_length,
        Some(12)
    );
    assert!(load("1.16.3", "sourceless = true\n").is_err());
    assert!(load("1.16.3", "sourceless = \"true\"\n").unwrap().services[0].sourceless);
    assert!(load("1.16.4", "sourceless = true\n").unwrap().services[0].sourceless);
    assert!(load("1.16.4", "sourceless = \"true\"\n").is_err());
}
