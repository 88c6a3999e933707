use super::layout::{crossings, layout};
use super::picture::db_at;
use super::*;
use crate::graph::RevisionInput;

fn chain(n: usize) -> Graph {
    let ids: Vec<String> = (0..n).map(|i| format!("r{i:04}")).collect();
    let mut inputs = Vec::new();
    for i in 0..n {
        let down: Vec<&str> = if i == 0 { vec![] } else { vec![ids[i - 1].as_str()] };
        inputs.push(RevisionInput::new(ids[i].clone(), &down));
    }
    Graph::build(inputs).unwrap()
}

fn picture(g: &Graph, options: &Options, db: Option<&DbMark>) -> Picture {
    let messages: Vec<String> = (0..g.len()).map(|i| format!("message {i}")).collect();
    Picture::build(
        &ServiceGraph {
            name: "svc",
            graph: g,
            messages: &messages,
            db,
        },
        options,
    )
    .unwrap()
}

#[test]
fn a_linear_run_collapses_unless_full() {
    let g = chain(10);
    let p = picture(&g, &Options::default(), None);
    // base, one run of 8, head
    assert_eq!(p.nodes.len(), 3);
    assert_eq!(p.nodes[1].kind, NodeKind::Run { count: 8 });
    assert!(p.nodes[2].head && p.nodes[0].base);
    assert_eq!(p.revision_count, 10);
    let full = picture(
        &g,
        &Options {
            full: true,
            ..Default::default()
        },
        None,
    );
    assert_eq!(full.nodes.len(), 10);
    assert_eq!(full.edges.len(), 9);
}

#[test]
fn branches_merges_labels_and_dependencies_stay_visible() {
    let mut inputs = vec![
        RevisionInput::new("a", &[]),
        RevisionInput::new("b", &["a"]),
        RevisionInput::new("c", &["a"]).with_branch_labels(&["feature"]),
        RevisionInput::new("d", &["b", "c"]),
        RevisionInput::new("e", &[]).with_dependencies(&["b"]),
    ];
    inputs.push(RevisionInput::new("f", &["d"]));
    let g = Graph::build(inputs).unwrap();
    let p = picture(&g, &Options::default(), None);
    let by = |id: &str| p.nodes.iter().position(|n| n.revisions == [id]).unwrap();
    assert!(p.nodes[by("a")].branch_point);
    assert!(p.nodes[by("d")].merge);
    assert_eq!(p.nodes[by("c")].labels, ["feature"]);
    assert!(p.nodes[by("f")].head && p.nodes[by("e")].head);
    assert!(p.edges.contains(&PEdge {
        from: by("b"),
        to: by("e"),
        kind: EdgeKind::DependsOn
    }));
    let dot = dot::write(std::slice::from_ref(&p));
    assert!(dot.contains("style=dashed"));
    let m = mermaid::write(std::slice::from_ref(&p));
    assert!(m.contains("-.->|depends on|"));
}

#[test]
fn since_keeps_the_revision_and_what_follows() {
    let g = chain(6);
    let p = picture(
        &g,
        &Options {
            since: Some("r0003".into()),
            full: true,
            ..Default::default()
        },
        None,
    );
    let ids: Vec<&str> = p.nodes.iter().map(|n| n.revisions[0].as_str()).collect();
    assert_eq!(ids, ["r0003", "r0004", "r0005"]);
    let err = Picture::build(
        &ServiceGraph {
            name: "svc",
            graph: &g,
            messages: &[],
            db: None,
        },
        &Options {
            since: Some("zzz".into()),
            ..Default::default()
        },
    );
    assert!(err.is_err());
}

#[test]
fn the_database_marks_its_revision_and_keeps_it_out_of_runs() {
    let g = chain(10);
    let db = db_at(&["r0005", "gone"], "behind by 4");
    let p = picture(&g, &Options::default(), Some(&db));
    let at = p.nodes.iter().position(|n| n.revisions == ["r0005"]).unwrap();
    assert!(p.nodes[at].current);
    let dbn = p.nodes.iter().position(|n| n.kind == NodeKind::Database).unwrap();
    assert!(p.nodes[dbn].message.contains("behind by 4"));
    assert!(p.nodes[dbn].message.contains("no revision file defines"));
    assert!(p.edges.contains(&PEdge {
        from: at,
        to: dbn,
        kind: EdgeKind::Current
    }));
}

#[test]
fn labels_are_escaped_for_each_format() {
    assert_eq!(
        mermaid::escape("a \"b\" <c> #1 `x`"),
        "a #quot;b#quot; #lt;c#gt; #35;1 #96;x#96;"
    );
    assert_eq!(dot::escape("a \"b\" \\n"), "a \\\"b\\\" \\\\n");
    assert_eq!(svg::escape("<&\"'\u{1}>"), "&lt;&amp;&quot;&#39;?&gt;");
}

fn overlaps(rects: &[layout::Rect]) -> usize {
    let mut sorted: Vec<&layout::Rect> = rects.iter().collect();
    sorted.sort_by(|a, b| a.y.total_cmp(&b.y));
    let mut count = 0;
    for (i, a) in sorted.iter().enumerate() {
        for b in &sorted[i + 1..] {
            if b.y >= a.y + a.h {
                break;
            }
            if a.x < b.x + b.w && b.x < a.x + a.w {
                count += 1;
            }
        }
    }
    count
}

#[test]
fn the_layout_never_overlaps_and_untangles_a_ladder() {
    // Two chains joined crosswise at every level: the sweeps find an order with no crossing
    // of the straight rungs.
    let n = 40;
    let sizes: Vec<(f64, f64)> = (0..n).map(|i| (40.0 + (i % 7) as f64 * 9.0, 30.0)).collect();
    let mut edges = Vec::new();
    for i in 0..n / 2 - 1 {
        edges.push((2 * i, 2 * i + 2));
        edges.push((2 * i + 1, 2 * i + 3));
        edges.push((2 * i, 2 * i + 3));
    }
    edges.push((n - 1, 0)); // a cycle: broken, still drawn
    let lay = layout(&sizes, &edges);
    assert_eq!(overlaps(&lay.rects), 0);
    assert!(lay.routes.iter().all(|r| r.len() >= 2));
    for r in &lay.rects {
        assert!(r.x >= 0.0 && r.y >= 0.0 && r.x + r.w <= lay.width + 0.01 && r.y + r.h <= lay.height + 0.01);
    }
    let rows = vec![vec![0, 1], vec![2, 3]];
    let down = vec![vec![3], vec![2], vec![], vec![]];
    assert_eq!(crossings(&rows, &down, &[0, 1, 0, 1]), 1);
}

#[test]
fn five_thousand_revisions_lay_out_quickly() {
    let g = chain(5000);
    let messages = vec!["a message".to_owned(); 5000];
    let start = std::time::Instant::now();
    let s = ServiceGraph {
        name: "svc",
        graph: &g,
        messages: &messages,
        db: None,
    };
    let out = render(
        &[s],
        Format::Svg,
        &Options {
            full: true,
            ..Default::default()
        },
    )
    .unwrap();
    assert!(out.matches("<rect").count() == 5000);
    // generous: the bench row measures it; this only catches a quadratic step
    assert!(start.elapsed().as_secs_f64() < 20.0);
}
