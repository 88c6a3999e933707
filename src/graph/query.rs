//! Identifier resolution: `_resolve_revision_number`, `get_revisions`,
//! `get_revision`, `_revision_for_ident` (full and partial ids), `_resolve_branch`,
//! `get_current_head`, `filter_for_lineage`, `_shares_lineage` and `_walk`.

use super::ident::py_int;
use super::traverse::not_a_revision;
use super::{Graph, Ident, NodeId, Rev};
use crate::error::{Error, Result, RevisionErrorKind};

/// A target of `filter_for_lineage`: a revision object, or an identifier that
/// Alembic resolves with `_revision_for_ident` (partial ids included).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LineageTarget {
    Node(NodeId),
    Id(Ident),
}

impl From<Rev> for LineageTarget {
    fn from(r: Rev) -> Self {
        match r {
            Rev::Node(n) => LineageTarget::Node(n),
            // `_revision_for_ident("base")` / `_revision_for_ident(None)`.
            Rev::Base => LineageTarget::Id(Ident::str("base")),
            Rev::Nil => LineageTarget::Id(Ident::Nil),
        }
    }
}

/// Where `_walk` starts: an identifier (resolved with `get_revision`) or a
/// revision, `"base"` or `None`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WalkStart {
    Id(Ident),
    Rev(Rev),
}

pub(crate) fn resolution(message: String, argument: &Ident) -> Error {
    Error::revision(
        RevisionErrorKind::Resolution {
            argument: argument.py_str(),
        },
        message,
    )
}

pub(crate) fn multiple_heads(heads: Vec<String>, argument: String) -> Error {
    let message = format!(
        "Multiple heads are present for given argument '{}'; {}",
        argument,
        heads.join(", ")
    );
    Error::revision(
        RevisionErrorKind::MultipleHeads {
            heads,
            argument: Some(argument),
        },
        message,
    )
}

pub(crate) fn not_a_string(id: &Ident) -> Error {
    Error::revision_generic(format!(
        "revision identifier {} is not a string; ensure database driver settings are correct",
        id.py_repr()
    ))
}

/// `RangeNotAncestorError(lower, upper)`.
pub(crate) fn range_not_ancestor(lower: &Ident, upper: &Ident) -> Error {
    let text = |x: &Ident| {
        if x.is_truthy() { x.py_str() } else { "base".to_string() }
    };
    let message = format!(
        "Revision {} is not an ancestor of revision {}",
        text(lower),
        text(upper)
    );
    let attr = |x: &Ident| match x {
        Ident::Nil => None,
        other => Some(other.py_str()),
    };
    Error::revision(
        RevisionErrorKind::RangeNotAncestor {
            lower: attr(lower),
            upper: attr(upper),
        },
        message,
    )
}

fn truthy(s: Option<&str>) -> Option<&str> {
    s.filter(|s| !s.is_empty())
}

impl Graph {
    /// `RevisionMap._resolve_revision_number(id_)`: the resolved identifiers and the branch label.
    pub fn resolve_revision_number(&self, id: &Ident) -> Result<(Vec<Ident>, Option<String>)> {
        let (label, id): (Option<String>, Ident) = match id {
            Ident::Str(s) => match s.split_once('@') {
                Some((label, rest)) => (Some(label.to_string()), Ident::str(rest)),
                None => (None, id.clone()),
            },
            Ident::Nil => (None, Ident::Nil),
            Ident::Tuple(v) if v.first().is_none_or(|f| matches!(f, Ident::Str(_))) => (None, id.clone()),
            other => return Err(not_a_string(other)),
        };
        match &id {
            Ident::Str(s) if s == "heads" => {
                if let Some(l) = truthy(label.as_deref()) {
                    let targets: Vec<LineageTarget> = self
                        .heads
                        .iter()
                        .map(|&h| LineageTarget::Id(Ident::str(self.id(h))))
                        .collect();
                    let keep = self.filter_for_lineage(&targets, &Ident::str(l), false)?;
                    let ids = keep.into_iter().map(|i| Ident::str(self.id(self.heads[i]))).collect();
                    Ok((ids, label))
                } else {
                    let ids = self.real_heads.iter().map(|&h| Ident::str(self.id(h))).collect();
                    Ok((ids, label))
                }
            }
            Ident::Str(s) if s == "head" => match self.get_current_head(label.as_deref())? {
                Some(h) if !h.is_empty() => Ok((vec![Ident::Str(h)], label)),
                _ => Ok((vec![], label)),
            },
            Ident::Str(s) if s == "base" => Ok((vec![], label)),
            Ident::Nil => Ok((vec![], label)),
            other => Ok((other.to_tuple().unwrap_or_default(), label)),
        }
    }

    /// `RevisionMap.get_current_head(branch_label)`.
    pub fn get_current_head(&self, branch_label: Option<&str>) -> Result<Option<String>> {
        let mut heads: Vec<&str> = self.heads();
        let label = truthy(branch_label);
        if let Some(l) = label {
            let targets: Vec<LineageTarget> = heads.iter().map(|h| LineageTarget::Id(Ident::str(*h))).collect();
            let keep = self.filter_for_lineage(&targets, &Ident::str(l), false)?;
            heads = keep.into_iter().map(|i| heads[i]).collect();
        }
        if heads.len() > 1 {
            let argument = match label {
                Some(l) => format!("{l}@head"),
                None => "head".to_string(),
            };
            return Err(multiple_heads(
                heads.into_iter().map(str::to_string).collect(),
                argument,
            ));
        }
        Ok(heads.first().map(|h| h.to_string()))
    }

    /// `RevisionMap.get_revisions(id_)`.
    pub fn get_revisions(&self, id: &Ident) -> Result<Vec<Rev>> {
        match id {
            Ident::Tuple(items) | Ident::List(items) => {
                let mut out = Vec::new();
                for item in items {
                    out.extend(self.get_revisions(item)?);
                }
                Ok(out)
            }
            _ => {
                let (resolved, label) = self.resolve_revision_number(id)?;
                if let [Ident::Str(s)] = resolved.as_slice()
                    && let Some(rint) = py_int(s)
                    && rint < 0
                {
                    // branch@-n: walk down from the heads
                    let mut heads = self.get_revisions(&Ident::str("heads"))?;
                    if let Some(l) = &label {
                        let mut kept = Vec::with_capacity(heads.len());
                        for h in heads {
                            match h {
                                Rev::Node(x) => {
                                    if self.has_label(x, l) {
                                        kept.push(h);
                                    }
                                }
                                other => return Err(not_a_revision(other)),
                            }
                        }
                        heads = kept;
                    }
                    return heads
                        .into_iter()
                        .map(|h| self.walk(WalkStart::Rev(h), rint, None, true))
                        .collect();
                }
                resolved
                    .iter()
                    .map(|r| self.revision_for_ident(r, label.as_deref()))
                    .collect()
            }
        }
    }

    /// `RevisionMap.get_revision(id_)`: a revision or `None` ([`Rev::Nil`]).
    pub fn get_revision(&self, id: &Ident) -> Result<Rev> {
        let (resolved, label) = self.resolve_revision_number(id)?;
        if resolved.len() > 1 {
            return Err(multiple_heads(
                resolved.iter().map(Ident::py_str).collect(),
                id.py_str(),
            ));
        }
        let one = resolved.into_iter().next().unwrap_or(Ident::Tuple(Vec::new()));
        self.revision_for_ident(&one, label.as_deref())
    }

    /// `RevisionMap._resolve_branch(branch_label)`.
    pub fn resolve_branch(&self, branch_label: &str) -> Result<Rev> {
        if let Some(n) = self.lookup(branch_label) {
            return Ok(Rev::Node(n));
        }
        match self.revision_for_ident(&Ident::str(branch_label), None) {
            Err(Error::Revision {
                kind: RevisionErrorKind::Resolution { .. },
                ..
            }) => Err(resolution(
                format!("No such branch: '{branch_label}'"),
                &Ident::str(branch_label),
            )),
            other => other,
        }
    }

    /// `RevisionMap._revision_for_ident(resolved_id, check_branch)`.
    pub fn revision_for_ident(&self, id: &Ident, check_branch: Option<&str>) -> Result<Rev> {
        let check_branch = truthy(check_branch);
        let branch_rev = match check_branch {
            Some(b) => Some(self.resolve_branch(b)?),
            None => None,
        };
        let revision = match id {
            Ident::Nil => Rev::Nil,
            Ident::Tuple(v) if v.is_empty() => Rev::Nil,
            Ident::Str(s) => match self.lookup(s) {
                Some(n) => Rev::Node(n),
                None => self.partial(s, id, check_branch, branch_rev)?,
            },
            other => return Err(not_a_string(other)),
        };
        if let (Some(b), Rev::Node(n), Some(Rev::Node(br))) = (check_branch, revision, branch_rev) {
            let target = LineageTarget::Id(Ident::str(self.id(n)));
            if !self.shares_lineage(&target, &[Ident::str(self.id(br))], false)? {
                return Err(resolution(
                    format!("Revision {} is not a member of branch '{}'", self.id(n), b),
                    id,
                ));
            }
        }
        Ok(revision)
    }

    /// Keys (ids and labels) of more than three characters starting with
    /// `prefix`, in the revision map's order.
    pub(crate) fn prefix_candidates(&self, prefix: &str) -> Vec<u32> {
        let first = self
            .sorted_keys
            .partition_point(|&k| self.keys[k as usize].name.as_str() < prefix);
        let mut out: Vec<u32> = self.sorted_keys[first..]
            .iter()
            .copied()
            .take_while(|&k| self.keys[k as usize].name.starts_with(prefix))
            .filter(|&k| self.keys[k as usize].name.chars().count() > 3)
            .collect();
        out.sort_unstable();
        out
    }

    fn partial(&self, s: &str, id: &Ident, check_branch: Option<&str>, branch_rev: Option<Rev>) -> Result<Rev> {
        let hint = || {
            if s.chars().count() < 4 {
                "; please ensure at least four characters are present for partial revision identifier matches"
            } else {
                ""
            }
        };
        if s.is_empty() {
            // Alembic fails an assertion here.
            return Err(resolution(format!("No such revision or branch '{}'{}", s, hint()), id));
        }
        let mut revs: Vec<&str> = self
            .prefix_candidates(s)
            .into_iter()
            .map(|k| self.keys[k as usize].name.as_str())
            .collect();
        if let (Some(b), Some(_)) = (check_branch, branch_rev) {
            let targets: Vec<LineageTarget> = revs.iter().map(|r| LineageTarget::Id(Ident::str(*r))).collect();
            let keep = self.filter_for_lineage(&targets, &Ident::str(b), false)?;
            revs = keep.into_iter().map(|i| revs[i]).collect();
        }
        match revs.as_slice() {
            [] => Err(resolution(format!("No such revision or branch '{}'{}", s, hint()), id)),
            [one] => Ok(self.lookup(one).map(Rev::Node).unwrap_or(Rev::Nil)),
            many => {
                let shown: Vec<String> = many.iter().take(3).map(|r| format!("'{r}'")).collect();
                Err(resolution(
                    format!("Multiple revisions start with '{}': {}...", s, shown.join(", ")),
                    id,
                ))
            }
        }
    }

    fn lineage_node(&self, t: &LineageTarget) -> Result<NodeId> {
        match t {
            LineageTarget::Node(n) => Ok(*n),
            LineageTarget::Id(i) => match self.revision_for_ident(i, None)? {
                Rev::Node(n) => Ok(n),
                other => Err(not_a_revision(other)),
            },
        }
    }

    fn test_nodes(&self, tests: &[Ident]) -> Result<Vec<NodeId>> {
        let mut out = Vec::with_capacity(tests.len());
        for t in tests {
            if let Rev::Node(n) = self.revision_for_ident(t, None)? {
                out.push(n);
            }
        }
        Ok(out)
    }

    /// `RevisionMap._shares_lineage(target, test_against_revs, include_dependencies)`.
    pub fn shares_lineage(&self, target: &LineageTarget, tests: &[Ident], include_dependencies: bool) -> Result<bool> {
        if tests.is_empty() {
            return Ok(true);
        }
        let node = self.lineage_node(target)?;
        let tests = self.test_nodes(tests)?;
        let zone = self.lineage_zone(&tests, include_dependencies);
        Ok(zone.get(node as usize).copied().unwrap_or(false))
    }

    /// `RevisionMap.filter_for_lineage(targets, check_against, include_dependencies)`:
    /// the positions of the targets kept, in order.
    pub fn filter_for_lineage(
        &self,
        targets: &[LineageTarget],
        check_against: &Ident,
        include_dependencies: bool,
    ) -> Result<Vec<usize>> {
        let (ids, label) = self.resolve_revision_number(check_against)?;
        let mut shares: Vec<Ident> = Vec::new();
        if let Some(l) = truthy(label.as_deref()) {
            shares.push(Ident::str(l));
        }
        shares.extend(ids);
        if shares.is_empty() {
            return Ok((0..targets.len()).collect());
        }
        let mut zone: Option<Vec<bool>> = None;
        let mut out = Vec::new();
        for (i, t) in targets.iter().enumerate() {
            let node = self.lineage_node(t)?;
            if zone.is_none() {
                let tests = self.test_nodes(&shares)?;
                zone = Some(self.lineage_zone(&tests, include_dependencies));
            }
            if zone
                .as_ref()
                .and_then(|z| z.get(node as usize))
                .copied()
                .unwrap_or(false)
            {
                out.push(i);
            }
        }
        Ok(out)
    }

    /// `RevisionMap._get_base_revisions(identifier)`.
    pub fn get_base_revisions(&self, identifier: &Ident) -> Result<Vec<String>> {
        let targets: Vec<LineageTarget> = self
            .bases
            .iter()
            .map(|&b| LineageTarget::Id(Ident::str(self.id(b))))
            .collect();
        let keep = self.filter_for_lineage(&targets, identifier, false)?;
        Ok(keep.into_iter().map(|i| self.id(self.bases[i]).to_string()).collect())
    }

    /// `RevisionMap._walk(start, steps, branch_label, no_overwalk)`.
    pub fn walk(&self, start: WalkStart, steps: i64, branch_label: Option<&str>, no_overwalk: bool) -> Result<Rev> {
        let mut initial = match start {
            WalkStart::Id(Ident::Str(s)) => self.get_revision(&Ident::Str(s))?,
            WalkStart::Id(Ident::Nil) => Rev::Nil,
            WalkStart::Id(other) => return Err(not_a_string(&other)),
            WalkStart::Rev(r) => r,
        };
        let label = truthy(branch_label);
        for step in 0..steps.unsigned_abs() {
            if step > self.nodes.len() as u64 + 2 {
                // Without a cycle every walk ends long before this.
                return Err(Error::revision_generic(format!(
                    "Walking {steps} steps goes round a cycle of revisions (through depends_on) \
                     without end; Alembic does not detect this and never finishes. Remove the \
                     dependency that closes the cycle."
                )));
            }
            let children: Vec<Rev> = if steps > 0 {
                let up = match initial {
                    Rev::Base => return Err(not_a_revision(Rev::Base)),
                    Rev::Nil => Ident::Tuple(self.bases.iter().map(|&b| Ident::str(self.id(b))).collect()),
                    Rev::Node(n) => Ident::List(self.nextrev.get(n).iter().map(|&c| Ident::str(self.id(c))).collect()),
                };
                let walk_up = self.get_revisions(&up)?;
                for r in &walk_up {
                    if !matches!(r, Rev::Node(_)) {
                        return Err(not_a_revision(*r));
                    }
                }
                match label {
                    Some(l) => {
                        let targets: Vec<LineageTarget> = walk_up.iter().map(|r| LineageTarget::from(*r)).collect();
                        let keep = self.filter_for_lineage(&targets, &Ident::str(l), false)?;
                        keep.into_iter().map(|i| walk_up[i]).collect()
                    }
                    None => walk_up,
                }
            } else {
                match initial {
                    Rev::Base => Vec::new(),
                    _ => {
                        let down = match initial {
                            Rev::Node(n) => self.down_revision_ident(n),
                            _ => Ident::Tuple(self.heads.iter().map(|&h| Ident::str(self.id(h))).collect()),
                        };
                        let c = self.get_revisions(&down)?;
                        if c.is_empty() { vec![Rev::Base] } else { c }
                    }
                }
            };
            match children.as_slice() {
                [] => return Ok(if no_overwalk { Rev::Nil } else { initial }),
                [one] => initial = *one,
                _ => return Err(Error::revision_generic("Ambiguous walk")),
            }
        }
        Ok(initial)
    }
}
