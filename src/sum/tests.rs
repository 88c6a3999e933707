use super::*;

fn write_rev(dir: &Path, file: &str, rev: &str, down: Option<&str>) {
    let down = down.map(|d| format!("'{d}'")).unwrap_or_else(|| "None".to_owned());
    std::fs::write(
        dir.join(file),
        format!("revision = '{rev}'\ndown_revision = {down}\nbranch_labels = None\ndepends_on = None\n"),
    )
    .unwrap();
}

fn service(dir: &Path) -> SumService {
    SumService {
        name: "orders".to_owned(),
        version_locations: vec![dir.to_path_buf()],
        ..SumService::default()
    }
}

#[test]
fn line_endings_do_not_change_the_hash() {
    assert_eq!(content_hash(b"a\r\nb\rc\n"), content_hash(b"a\nb\nc\n"));
    assert_ne!(content_hash(b"a\n"), content_hash(b"a\n\n"));
    assert_eq!(
        content_hash(b""),
        "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
}

#[test]
fn lines_follow_the_upgrade_order_not_file_names() {
    let d = tempfile::tempdir().unwrap();
    write_rev(d.path(), "z_first.py", "aaa1", None);
    write_rev(d.path(), "a_second.py", "bbb2", Some("aaa1"));
    write_rev(d.path(), "m_third.py", "ccc3", Some("bbb2"));
    let entries = compute(&service(d.path())).unwrap();
    let paths: Vec<&str> = entries.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(paths, ["z_first.py", "a_second.py", "m_third.py"]);
    let written = write(&service(d.path())).unwrap();
    assert!(written.changed);
    assert_eq!(written.files, 3);
    assert!(!write(&service(d.path())).unwrap().changed);
    let parsed = parse(&std::fs::read_to_string(written.path).unwrap());
    assert!(parsed.header_ok);
    assert!(parsed.damaged.is_empty());
    assert_eq!(parsed.entries.len(), 3);
}

#[test]
fn findings_name_every_kind_of_drift() {
    let d = tempfile::tempdir().unwrap();
    write_rev(d.path(), "a.py", "aaa1", None);
    write_rev(d.path(), "b.py", "bbb2", Some("aaa1"));
    write_rev(d.path(), "c.py", "ccc3", Some("bbb2"));
    let svc = service(d.path());
    write(&svc).unwrap();
    assert!(check::findings(&svc, true, true).is_empty());
    std::fs::write(
        d.path().join("a.py"),
        "revision = 'aaa1'\ndown_revision = None\n# edited\n",
    )
    .unwrap();
    std::fs::rename(d.path().join("b.py"), d.path().join("b2.py")).unwrap();
    std::fs::remove_file(d.path().join("c.py")).unwrap();
    write_rev(d.path(), "d.py", "ddd4", Some("bbb2"));
    let codes: Vec<String> = check::findings(&svc, false, false)
        .into_iter()
        .map(|f| f.code)
        .collect();
    assert_eq!(codes, ["modified_revision", "renamed_revision", "deleted_revision"]);
    let strict: Vec<String> = check::findings(&svc, true, false).into_iter().map(|f| f.code).collect();
    assert_eq!(strict.last().map(String::as_str), Some("unhashed_revision"));
}

#[test]
fn a_damaged_sum_is_stale_at_its_line() {
    let d = tempfile::tempdir().unwrap();
    write_rev(d.path(), "a.py", "aaa1", None);
    let svc = service(d.path());
    let w = write(&svc).unwrap();
    let text = std::fs::read_to_string(&w.path).unwrap();
    std::fs::write(&w.path, format!("{text}<<<<<<< HEAD\n")).unwrap();
    let f = check::findings(&svc, false, false);
    let got: Vec<(&str, Option<usize>)> = f.iter().map(|f| (f.code.as_str(), f.line)).collect();
    assert_eq!(got, [("stale_sum", Some(1)), ("stale_sum", Some(3))]);
    assert!(f[1].message.contains("conflict marker"));
    std::fs::remove_file(&w.path).unwrap();
    assert!(check::findings(&svc, true, false).is_empty());
    assert_eq!(check::findings(&svc, false, true)[0].code, "stale_sum");
}

#[test]
fn relative_paths_leave_the_folder_with_dots() {
    assert_eq!(relative(Path::new("/a/b/c.py"), Path::new("/a/b")), "c.py");
    assert_eq!(relative(Path::new("/a/x/c.py"), Path::new("/a/b")), "../x/c.py");
}
