//! A compact layered (Sugiyama-style) layout for the SVG pictures.
//!
//! Written here rather than taken from a crate: the Rust layered-layout crates either
//! pull in a renderer of their own (`layout-rs` draws its own SVG and has no ports for
//! our node kinds) or are unmaintained, and a revision graph is the easy case: a DAG,
//! mostly chains, a few branches and merges. The steps, each linear or `n log n`:
//!
//! 1. cycles (Alembic accepts a few) are broken by reversing DFS back edges;
//! 2. layers by longest path from the sources, then each source pulled down to just
//!    above its highest child (a dependency root sits next to its dependant);
//! 3. an edge spanning several layers gets a dummy node per layer it crosses;
//! 4. the order inside each layer from barycentre sweeps, down and up, keeping the
//!    order with the fewest crossings (counted exactly between adjacent layers);
//! 5. x coordinates: each node pulled towards the mean x of its neighbours, the layer
//!    then placed by isotonic regression (pool adjacent violators) so nodes keep their
//!    order and never overlap; y from the layers' heights.

/// Space between two nodes of a layer, and between a node and a dummy.
const GAP: f64 = 28.0;
const DUMMY_GAP: f64 = 14.0;
/// Space between two layers.
const LAYER_GAP: f64 = 36.0;
pub const MARGIN: f64 = 12.0;
/// Most dummy nodes made; longer edges beyond it are drawn straight.
const MAX_DUMMIES: usize = 200_000;
const SWEEPS: usize = 6;
const PLACEMENT_ROUNDS: usize = 8;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rect {
    /// Left and top.
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
}

#[derive(Clone, Debug, Default)]
pub struct Layout {
    pub rects: Vec<Rect>,
    /// Per input edge, its points from its source to its target (empty for a loop).
    pub routes: Vec<Vec<(f64, f64)>>,
    pub width: f64,
    pub height: f64,
}

/// Lay out nodes of the given sizes (width, height) joined by directed edges.
pub fn layout(sizes: &[(f64, f64)], edges: &[(usize, usize)]) -> Layout {
    let n = sizes.len();
    if n == 0 {
        return Layout::default();
    }
    let edges: Vec<(usize, usize)> = edges.iter().map(|&(a, b)| (a.min(n - 1), b.min(n - 1))).collect();
    let reversed = break_cycles(n, &edges);
    let dag: Vec<(usize, usize)> = edges
        .iter()
        .zip(&reversed)
        .map(|(&(a, b), &r)| if r { (b, a) } else { (a, b) })
        .collect();
    let mut layer = layers(n, &dag);

    // Dummy nodes: every edge becomes a chain of nodes one layer apart.
    let mut width: Vec<f64> = sizes.iter().map(|s| s.0).collect();
    let mut chains: Vec<Vec<usize>> = Vec::with_capacity(dag.len());
    let mut dummies = 0usize;
    for &(a, b) in &dag {
        if a == b {
            chains.push(Vec::new());
            continue;
        }
        let span = layer[b].saturating_sub(layer[a]);
        let mut chain = vec![a];
        if span > 1 && dummies + span - 1 <= MAX_DUMMIES {
            for l in layer[a] + 1..layer[b] {
                chain.push(width.len());
                width.push(0.0);
                layer.push(l);
                dummies += 1;
            }
        }
        chain.push(b);
        chains.push(chain);
    }
    let total = width.len();
    let mut up: Vec<Vec<usize>> = vec![Vec::new(); total];
    let mut down: Vec<Vec<usize>> = vec![Vec::new(); total];
    for chain in &chains {
        for w in chain.windows(2) {
            if layer[w[1]] == layer[w[0]] + 1 {
                down[w[0]].push(w[1]);
                up[w[1]].push(w[0]);
            }
        }
    }
    let depth = layer.iter().copied().max().unwrap_or(0) + 1;
    let mut rows = initial_order(total, &layer, depth, &down);
    order_layers(&mut rows, &up, &down, total);

    // x: centres.
    let mut x = vec![0.0f64; total];
    for row in &rows {
        let mut at = 0.0;
        for (i, &v) in row.iter().enumerate() {
            if i > 0 {
                at += separation(width[row[i - 1]], width[v]);
            }
            x[v] = at;
        }
    }
    for round in 0..PLACEMENT_ROUNDS {
        let (seq, neighbours): (Vec<usize>, &Vec<Vec<usize>>) = if round % 2 == 0 {
            ((1..depth).collect(), &up)
        } else {
            ((0..depth.saturating_sub(1)).rev().collect(), &down)
        };
        for l in seq {
            let row = &rows[l];
            let desired: Vec<f64> = row
                .iter()
                .map(|&v| {
                    let nb = &neighbours[v];
                    if nb.is_empty() {
                        x[v]
                    } else {
                        nb.iter().map(|&u| x[u]).sum::<f64>() / nb.len() as f64
                    }
                })
                .collect();
            let placed = place_row(row, &desired, &width);
            for (&v, p) in row.iter().zip(placed) {
                x[v] = p;
            }
        }
    }
    let left = (0..total).map(|v| x[v] - width[v] / 2.0).fold(f64::INFINITY, f64::min);
    let shift = MARGIN - left;
    let mut row_top = vec![0.0f64; depth];
    let mut row_height = vec![0.0f64; depth];
    for v in 0..n {
        row_height[layer[v]] = row_height[layer[v]].max(sizes[v].1);
    }
    let mut y = MARGIN;
    for l in 0..depth {
        row_top[l] = y;
        y += row_height[l] + LAYER_GAP;
    }
    let height = y - LAYER_GAP + MARGIN;
    let centre_y = |v: usize| row_top[layer[v]] + row_height[layer[v]] / 2.0;
    let rects: Vec<Rect> = (0..n)
        .map(|v| Rect {
            x: x[v] + shift - sizes[v].0 / 2.0,
            y: centre_y(v) - sizes[v].1 / 2.0,
            w: sizes[v].0,
            h: sizes[v].1,
        })
        .collect();
    let width_total = (0..total).map(|v| x[v] + shift + width[v] / 2.0).fold(0.0f64, f64::max) + MARGIN;
    let routes = chains
        .iter()
        .zip(&reversed)
        .map(|(chain, &rev)| {
            if chain.len() < 2 {
                return Vec::new();
            }
            let last = chain.len() - 1;
            let mut pts: Vec<(f64, f64)> = chain
                .iter()
                .enumerate()
                .map(|(i, &v)| {
                    let cx = x[v] + shift;
                    if i == 0 {
                        (cx, rects[v].y + rects[v].h)
                    } else if i == last {
                        (cx, rects[v].y)
                    } else {
                        (cx, centre_y(v))
                    }
                })
                .collect();
            if rev {
                pts.reverse();
            }
            pts
        })
        .collect();
    Layout {
        rects,
        routes,
        width: width_total,
        height,
    }
}

fn separation(a: f64, b: f64) -> f64 {
    let gap = if a == 0.0 || b == 0.0 { DUMMY_GAP } else { GAP };
    (a + b) / 2.0 + gap
}

/// Which edges to reverse so the graph has no cycle (the back edges of a DFS).
fn break_cycles(n: usize, edges: &[(usize, usize)]) -> Vec<bool> {
    let mut out: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (i, &(a, _)) in edges.iter().enumerate() {
        out[a].push(i);
    }
    // 0 unseen, 1 on the stack, 2 done
    let mut state = vec![0u8; n];
    let mut reversed = vec![false; edges.len()];
    let mut stack: Vec<(usize, usize)> = Vec::new();
    for s in 0..n {
        if state[s] != 0 {
            continue;
        }
        state[s] = 1;
        stack.push((s, 0));
        while let Some(top) = stack.last_mut() {
            let (v, k) = *top;
            if let Some(&e) = out[v].get(k) {
                top.1 += 1;
                let w = edges[e].1;
                match state[w] {
                    0 => {
                        state[w] = 1;
                        stack.push((w, 0));
                    }
                    1 => reversed[e] = true,
                    _ => {}
                }
            } else {
                state[v] = 2;
                stack.pop();
            }
        }
    }
    reversed
}

/// Longest-path layers, then each source moved down to just above its highest child.
fn layers(n: usize, dag: &[(usize, usize)]) -> Vec<usize> {
    let mut indegree = vec![0usize; n];
    let mut out: Vec<Vec<usize>> = vec![Vec::new(); n];
    for &(a, b) in dag {
        if a != b {
            out[a].push(b);
            indegree[b] += 1;
        }
    }
    let sources: Vec<usize> = (0..n).filter(|&v| indegree[v] == 0).collect();
    let mut layer = vec![0usize; n];
    let mut queue = sources.clone();
    let mut i = 0;
    while let Some(&v) = queue.get(i) {
        i += 1;
        for &w in &out[v] {
            layer[w] = layer[w].max(layer[v] + 1);
            indegree[w] -= 1;
            if indegree[w] == 0 {
                queue.push(w);
            }
        }
    }
    for &s in &sources {
        if let Some(min_child) = out[s].iter().map(|&w| layer[w]).min() {
            layer[s] = min_child.saturating_sub(1);
        }
    }
    layer
}

/// Rows of nodes in depth-first order from the nodes in their given order.
fn initial_order(total: usize, layer: &[usize], depth: usize, down: &[Vec<usize>]) -> Vec<Vec<usize>> {
    let mut rows: Vec<Vec<usize>> = vec![Vec::new(); depth];
    let mut seen = vec![false; total];
    let mut stack = Vec::new();
    for s in 0..total {
        if seen[s] {
            continue;
        }
        seen[s] = true;
        stack.push(s);
        while let Some(v) = stack.pop() {
            rows[layer[v]].push(v);
            for &w in down[v].iter().rev() {
                if !seen[w] {
                    seen[w] = true;
                    stack.push(w);
                }
            }
        }
    }
    rows
}

/// Barycentre sweeps, keeping the order with the fewest crossings.
fn order_layers(rows: &mut [Vec<usize>], up: &[Vec<usize>], down: &[Vec<usize>], total: usize) {
    let mut pos = vec![0usize; total];
    let set_pos = |rows: &[Vec<usize>], pos: &mut Vec<usize>| {
        for row in rows {
            for (i, &v) in row.iter().enumerate() {
                pos[v] = i;
            }
        }
    };
    set_pos(rows, &mut pos);
    let mut best = crossings(rows, down, &pos);
    let mut best_rows = rows.to_vec();
    for sweep in 0..SWEEPS * 2 {
        if best == 0 {
            break;
        }
        let downward = sweep % 2 == 0;
        let seq: Vec<usize> = if downward {
            (1..rows.len()).collect()
        } else {
            (0..rows.len().saturating_sub(1)).rev().collect()
        };
        let neighbours = if downward { up } else { down };
        for l in seq {
            let mut keyed: Vec<(f64, usize)> = rows[l]
                .iter()
                .map(|&v| {
                    let nb = &neighbours[v];
                    let key = if nb.is_empty() {
                        pos[v] as f64
                    } else {
                        nb.iter().map(|&u| pos[u] as f64).sum::<f64>() / nb.len() as f64
                    };
                    (key, v)
                })
                .collect();
            keyed.sort_by(|a, b| a.0.total_cmp(&b.0));
            rows[l] = keyed.into_iter().map(|(_, v)| v).collect();
            for (i, &v) in rows[l].iter().enumerate() {
                pos[v] = i;
            }
        }
        let c = crossings(rows, down, &pos);
        if c < best {
            best = c;
            best_rows = rows.to_vec();
        }
    }
    rows.clone_from_slice(&best_rows);
}

/// Edge crossings between adjacent layers (inversions, counted with a Fenwick tree).
pub fn crossings(rows: &[Vec<usize>], down: &[Vec<usize>], pos: &[usize]) -> usize {
    let mut total = 0;
    for l in 0..rows.len().saturating_sub(1) {
        let mut ends: Vec<(usize, usize)> = Vec::new();
        for &v in &rows[l] {
            for &w in &down[v] {
                ends.push((pos[v], pos[w]));
            }
        }
        ends.sort_unstable();
        let size = rows[l + 1].len() + 1;
        let mut tree = vec![0usize; size + 1];
        for (seen, &(_, b)) in ends.iter().enumerate() {
            // edges already seen ending strictly right of b cross this one
            let mut i = b + 1;
            let mut le = 0;
            while i > 0 {
                le += tree[i];
                i &= i - 1;
            }
            total += seen - le;
            let mut i = b + 1;
            while i <= size {
                tree[i] += 1;
                i += i & i.wrapping_neg();
            }
        }
    }
    total
}

/// Centres for one row in its order, as close as possible (least squares) to `desired`
/// with every pair at least its separation apart: pool adjacent violators.
fn place_row(row: &[usize], desired: &[f64], width: &[f64]) -> Vec<f64> {
    let mut offset = Vec::with_capacity(row.len());
    let mut at = 0.0;
    for (i, &v) in row.iter().enumerate() {
        if i > 0 {
            at += separation(width[row[i - 1]], width[v]);
        }
        offset.push(at);
    }
    // blocks of (sum, count, length)
    let mut blocks: Vec<(f64, f64, usize)> = Vec::new();
    for (d, o) in desired.iter().zip(&offset) {
        blocks.push((d - o, 1.0, 1));
        while blocks.len() > 1 {
            let (s2, c2, l2) = blocks[blocks.len() - 1];
            let (s1, c1, l1) = blocks[blocks.len() - 2];
            if s1 / c1 <= s2 / c2 {
                break;
            }
            blocks.pop();
            let last = blocks.len() - 1;
            blocks[last] = (s1 + s2, c1 + c2, l1 + l2);
        }
    }
    let mut out = Vec::with_capacity(row.len());
    for (s, c, l) in blocks {
        for _ in 0..l {
            let i = out.len();
            out.push(s / c + offset[i]);
        }
    }
    out
}
