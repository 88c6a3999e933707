//! No input makes the graph engine or the planner panic: random (often
//! malformed) graphs, every query, random identifiers.

use monomig::graph::{Direction, Graph, Ident, IterateOptions, LineageTarget, Rev, RevisionInput, SetOrder, WalkStart};
use monomig::plan;
use proptest::prelude::*;

fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(vec!["a", "b", "c", "d", "e", "ab", "abc", "abcd", "abcde", "abcdf", "1", "12", "1234", "x"]).prop_map(str::to_string),
        1 => prop::sample::select(vec!["head", "heads", "base", "", "a@b", "a-1", "l1", "l2", "+1", "-1", "abcd@head"]).prop_map(str::to_string),
        1 => "[a-f0-9@+:_ -]{0,6}",
    ]
}

fn names(max: usize) -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(name(), 0..=max)
}

fn label() -> impl Strategy<Value = String> {
    prop::sample::select(vec!["l1", "l2", "l3", "abcdl", "a", "x@y", ""]).prop_map(str::to_string)
}

fn input() -> impl Strategy<Value = RevisionInput> {
    (name(), names(3), names(2), prop::collection::vec(label(), 0..=2)).prop_map(|(revision, down, deps, labels)| {
        RevisionInput {
            revision,
            down_revision: down,
            dependencies: deps,
            branch_labels: labels,
            path: None,
        }
    })
}

/// Mostly well-formed graphs (each revision names earlier ones), sometimes damaged.
fn graph_inputs() -> impl Strategy<Value = Vec<RevisionInput>> {
    prop_oneof![
        prop::collection::vec(input(), 0..8),
        (
            1usize..12,
            prop::collection::vec((0usize..100, 0usize..100, 0u8..10, 0u8..10), 12)
        )
            .prop_map(|(n, picks)| {
                let ids: Vec<String> = (0..n).map(|i| format!("r{i:02}")).collect();
                (0..n)
                    .map(|i| {
                        let (p1, p2, kind, lab) = picks[i];
                        let mut down = Vec::new();
                        if i > 0 && kind > 1 {
                            down.push(ids[p1 % i].clone());
                            if kind > 7 {
                                let q = ids[p2 % i].clone();
                                if !down.contains(&q) {
                                    down.push(q);
                                }
                            }
                        }
                        let mut deps = Vec::new();
                        if i > 0 && kind == 5 {
                            deps.push(ids[p2 % i].clone());
                        }
                        if kind == 9 && i + 1 < n {
                            deps.push(ids[i + 1].clone());
                        }
                        let labels = if lab == 0 { vec![format!("l{i}")] } else { vec![] };
                        RevisionInput {
                            revision: ids[i].clone(),
                            down_revision: down,
                            dependencies: deps,
                            branch_labels: labels,
                            path: None,
                        }
                    })
                    .collect()
            }),
    ]
}

fn ident() -> impl Strategy<Value = Ident> {
    let leaf = prop_oneof![
        Just(Ident::Nil),
        name().prop_map(Ident::Str),
        prop::sample::select(vec![
            "r00",
            "r01",
            "r0",
            "r03",
            "l1@head",
            "l1@heads",
            "l1@base",
            "l2@-1",
            "r01+1",
            "r02-1",
            "-1",
            "+2",
            "l1@+1",
            "l1@r02",
            "heads",
            "head",
            "base",
            "-99999999999999999999999"
        ])
        .prop_map(Ident::str),
        Just(Ident::Other("b'x'".to_string())),
    ];
    leaf.prop_recursive(2, 8, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(Ident::Tuple),
            prop::collection::vec(inner, 0..3).prop_map(Ident::List),
        ]
    })
}

fn exercise(g: &Graph, ids: &[Ident]) {
    let n = g.len() as u32;
    let _ = (g.heads(), g.bases(), g.real_heads(), g.real_bases());
    for i in 0..n {
        let _ = g.info(i);
    }
    for (k, id) in ids.iter().enumerate() {
        let _ = g.get_revisions(id);
        let _ = g.get_revision(id);
        let _ = g.resolve_revision_number(id);
        let _ = g.get_all_current(id);
        let _ = g.get_base_revisions(id);
        let other = &ids[(k + 1) % ids.len()];
        let _ = g.revision_for_ident(id, other.as_str());
        if let Some(s) = id.as_str() {
            let _ = g.get_current_head(Some(s));
            let _ = g.resolve_branch(s);
        }
        let targets: Vec<LineageTarget> = ids.iter().take(3).cloned().map(LineageTarget::Id).collect();
        let _ = g.filter_for_lineage(&targets, id, k % 2 == 0);
        let _ = g.shares_lineage(&LineageTarget::Id(id.clone()), &ids[..ids.len().min(2)], true);
        for steps in [-3i64, -1, 0, 1, 2, i64::MAX, i64::MIN] {
            let _ = g.walk(WalkStart::Id(id.clone()), steps, other.as_str(), k % 2 == 0);
        }
        for (implicit_base, inclusive, arl, down) in [
            (false, false, true, false),
            (true, true, false, true),
            (true, false, true, false),
            (false, true, false, true),
        ] {
            let opts = IterateOptions {
                implicit_base,
                inclusive,
                assert_relative_length: arl,
                select_for_downgrade: down,
            };
            let mut w = Vec::new();
            let _ = g.iterate_revisions(id, other, opts, &mut w);
        }
        let mut w = Vec::new();
        let _ = g.parse_upgrade_target(other, id, true);
        let _ = g.parse_downgrade_target(other, id, false, &mut w);
        for p in [
            plan::upgrade_revs(g, id, other),
            plan::downgrade_revs(g, id, other),
            plan::stamp_revs(g, id, other),
        ]
        .into_iter()
        .flatten()
        {
            let heads: Vec<String> = g.heads().iter().map(|s| s.to_string()).collect();
            let _ = plan::apply_steps(g, &heads, &p.steps);
            let _ = plan::apply_steps(g, &[], &p.steps);
        }
    }
    let revs: Vec<Rev> = (0..n.min(4)).map(Rev::Node).chain([Rev::Base, Rev::Nil]).collect();
    for d in [
        Direction::Down,
        Direction::DownWithDependencies,
        Direction::Up,
        Direction::UpWithDependencies,
    ] {
        let _ = g.related(&revs[..revs.len().saturating_sub(2)], d, false, true);
        let _ = g.related(&revs, d, true, false);
    }
    let _ = g.filter_into_branch_heads(&revs[..revs.len().saturating_sub(2)]);
    let _ = plan::walk_revisions(g, "base", "heads");
}

/// Every set order reversed: a legal answer that differs from insertion order.
struct Reversed;

impl SetOrder for Reversed {
    fn frozenset_unions(&self, items: &[&str]) -> monomig::Result<Vec<String>> {
        let mut v: Vec<String> = Vec::new();
        for x in items {
            if !v.iter().any(|y| y == x) {
                v.push(x.to_string());
            }
        }
        v.reverse();
        Ok(v)
    }
    fn set_removals(&self, items: &[&str], groups: &[Vec<&str>]) -> monomig::Result<Vec<String>> {
        let mut v = self.frozenset_unions(items)?;
        v.retain(|x| !groups.iter().any(|g| g.iter().any(|y| y == x)));
        Ok(v)
    }
    fn object_set(&self, indices: &[usize]) -> monomig::Result<Vec<usize>> {
        Ok(indices.iter().rev().copied().collect())
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, .. ProptestConfig::default() })]

    #[test]
    fn no_panic_on_any_graph(inputs in graph_inputs(), ids in prop::collection::vec(ident(), 1..6), reversed in any::<bool>()) {
        let built = if reversed { Graph::build_with(inputs, &Reversed) } else { Graph::build(inputs) };
        if let Ok(g) = built {
            exercise(&g, &ids);
        }
    }
}
