//! Unit tests of the graph engine (the differential tests against Alembic
//! itself live in the Python suite: tests/test_graph_*.py, tests/test_plan_*.py).

use super::*;
use crate::error::{Error, RevisionErrorKind};
use crate::plan;

fn r(id: &str, down: &[&str]) -> RevisionInput {
    RevisionInput::new(id, down)
}

fn ids(g: &Graph, v: &[NodeId]) -> Vec<String> {
    v.iter().map(|&n| g.id(n).to_string()).collect()
}

fn kind(e: &Error) -> &RevisionErrorKind {
    match e {
        Error::Revision { kind, .. } => kind,
        other => panic!("not a revision error: {other:?}"),
    }
}

/// a - b - c - e ; b - d ; f merges d and e
fn branchy() -> Graph {
    Graph::build(vec![
        r("aaaa", &[]),
        r("bbbb", &["aaaa"]),
        r("cccc", &["bbbb"]),
        r("dddd", &["bbbb"]).with_branch_labels(&["two"]),
        r("eeee", &["cccc"]).with_branch_labels(&["one"]),
        r("ffff", &["dddd", "eeee"]),
    ])
    .unwrap()
}

#[test]
fn heads_bases_and_flags() {
    let g = branchy();
    assert_eq!(g.heads(), vec!["ffff"]);
    assert_eq!(g.bases(), vec!["aaaa"]);
    let b = g.revision_info("bbbb").unwrap();
    assert!(b.is_branch_point && !b.is_merge_point);
    assert_eq!(b.nextrev, vec!["cccc", "dddd"]);
    let f = g.revision_info("ffff").unwrap();
    assert!(f.is_merge_point && f.is_head && f.is_real_head);
    let mut labels = g.branch_labels(g.lookup("ffff").unwrap());
    labels.sort();
    assert_eq!(labels, vec!["one", "two"]);
    assert!(g.branch_labels(g.lookup("cccc").unwrap()).is_empty());
}

#[test]
fn full_order_and_plans() {
    let g = branchy();
    let mut w = Vec::new();
    let order = g
        .iterate_revisions(
            &Ident::str("heads"),
            &Ident::str("base"),
            IterateOptions::default(),
            &mut w,
        )
        .unwrap();
    // Same as Alembic: the merge's first parent's line comes first.
    assert_eq!(ids(&g, &order), ["ffff", "dddd", "eeee", "cccc", "bbbb", "aaaa"]);
    let p = plan::upgrade_revs(&g, &Ident::str("heads"), &Ident::Tuple(vec![])).unwrap();
    let applied = plan::apply_steps(&g, &[], &p.steps).unwrap();
    assert_eq!(applied.heads, vec!["ffff".to_string()]);
    assert_eq!(applied.ops.first(), Some(&plan::VersionOp::Insert("aaaa".into())));
    // the merge deletes one branch row and updates the other
    assert!(applied.ops.contains(&plan::VersionOp::Delete("dddd".into())));
}

#[test]
fn identifiers() {
    let g = branchy();
    let one = |s: &str| {
        g.get_revision(&Ident::str(s))
            .map(|r| r.node().map(|n| g.id(n).to_string()))
    };
    assert_eq!(one("bbb").unwrap().as_deref(), Some("bbbb"));
    assert_eq!(one("one@head").unwrap().as_deref(), Some("ffff"));
    assert_eq!(one("two@dddd").unwrap().as_deref(), Some("dddd"));
    assert_eq!(one("base").unwrap(), None);
    let e = one("two@eeee").unwrap_err();
    assert_eq!(e.message(), "Revision eeee is not a member of branch 'two'");
    let e = one("zz").unwrap_err();
    assert!(matches!(kind(&e), RevisionErrorKind::Resolution { argument } if argument == "zz"));
    let mut w = Vec::new();
    let none = Ident::Tuple(vec![]);
    assert_eq!(
        g.parse_downgrade_target(&none, &Ident::str("cccc-1"), true, &mut w)
            .unwrap(),
        (None, Rev::Node(g.lookup("bbbb").unwrap()))
    );
    assert_eq!(
        g.parse_downgrade_target(&none, &Ident::str("aaaa-1"), true, &mut w)
            .unwrap(),
        (None, Rev::Base)
    );
    let e = g.parse_upgrade_target(&none, &Ident::str("bbbb+1"), true).unwrap_err();
    assert_eq!(e.message(), "Ambiguous walk");
    // get_revisions("cccc-1") is not relative: only a bare negative number is.
    assert!(g.get_revisions(&Ident::str("cccc-1")).is_err());
}

#[test]
fn prefix_candidates_in_map_order() {
    let g = Graph::build(vec![
        r("abcd2", &[]),
        r("abcd1", &["abcd2"]).with_branch_labels(&["abcdlabel"]),
        r("abc", &["abcd1"]),
    ])
    .unwrap();
    let e = g.get_revision(&Ident::str("abcd")).unwrap_err();
    assert_eq!(
        e.message(),
        "Multiple revisions start with 'abcd': 'abcd2', 'abcd1', 'abcdlabel'..."
    );
    assert_eq!(g.get_revision(&Ident::str("abc")).unwrap(), Rev::Node(2));
}

#[test]
fn build_errors() {
    let e = Graph::build(vec![r("a", &["a"])]).unwrap_err();
    assert!(matches!(kind(&e), RevisionErrorKind::Loop { revision } if revision == "a"));
    let e = Graph::build(vec![r("b", &["a"]), r("a", &["b"]), r("c", &[])]).unwrap_err();
    assert!(
        matches!(kind(&e), RevisionErrorKind::Cycle { revisions } if revisions == &["a".to_string(), "b".to_string()])
    );
    let e = Graph::build(vec![r("a", &["zz"]).with_path("v/a.py")]).unwrap_err();
    assert!(e.message().contains("v/a.py") && e.message().contains("'zz'"));
    let e = Graph::build(vec![r("a:b", &[])]).unwrap_err();
    assert_eq!(e.message(), "Character(s) ':' not allowed in revision identifier 'a:b'");
}

#[test]
fn duplicates_keep_first_position_and_last_object() {
    let g = Graph::build(vec![r("a", &[]), r("b", &["a"]), r("a", &[])]).unwrap();
    assert_eq!(g.warnings(), ["Revision a is present more than once"]);
    assert_eq!(g.lookup("a"), Some(2));
    assert_eq!(g.heads(), vec!["a", "b"]);
}

#[test]
fn large_merge_heavy_history_is_ordered() {
    // A line with a two-revision side branch merged every fourth revision.
    let n = 4000;
    let mut inputs = Vec::with_capacity(n);
    let name = |i: usize| format!("r{i:05}");
    let mut bp = name(0);
    for i in 0..n {
        let rev = match i % 4 {
            0 if i == 0 => r(&name(i), &[]),
            0 => r(&name(i), &[&name(i - 1)]),
            1 | 2 => r(&name(i), &[&bp]),
            _ => r(&name(i), &[&name(i - 2), &name(i - 1)]),
        };
        if i % 4 == 0 {
            bp = name(i);
        }
        inputs.push(rev);
    }
    let g = Graph::build(inputs).unwrap();
    let p = plan::upgrade_revs(&g, &Ident::str("heads"), &Ident::Tuple(vec![])).unwrap();
    assert_eq!(p.steps.len(), n);
    // every revision comes after its parents
    let mut pos = vec![0usize; n];
    for (k, s) in p.steps.iter().enumerate() {
        if let plan::Step::Revision(rs) = s {
            pos[rs.node as usize] = k;
        }
    }
    for v in 0..n as NodeId {
        for &d in g.norm_down.get(v) {
            assert!(pos[d as usize] < pos[v as usize]);
        }
    }
}

#[test]
fn colon_in_ids_follows_the_alembic_release() {
    use super::order::InsertionOrder;
    let inputs = || vec![RevisionInput::new("a:b", &[]), RevisionInput::new("c", &["a:b"])];
    let g = Graph::build_with_rules(inputs(), &InsertionOrder, IdRules { colon_allowed: true }).unwrap();
    assert_eq!(g.heads(), ["c"]);
    let e = Graph::build_with_rules(inputs(), &InsertionOrder, IdRules::default()).unwrap_err();
    assert_eq!(e.message(), "Character(s) ':' not allowed in revision identifier 'a:b'");
    // Only ':' is allowed: '@a:b' still fails, naming '@' alone.
    let e = Graph::build_with_rules(
        vec![RevisionInput::new("@a:b", &[])],
        &InsertionOrder,
        IdRules { colon_allowed: true },
    )
    .unwrap_err();
    assert_eq!(
        e.message(),
        "Character(s) '@' not allowed in revision identifier '@a:b'"
    );
}
