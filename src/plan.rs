//! Upgrade, downgrade and stamp plans, as Alembic's `ScriptDirectory._upgrade_revs`,
//! `_downgrade_revs` and `_stamp_revs` build them (with `_catch_revision_errors`'
//! messages), and a simulation of `HeadMaintainer` that applies a plan's steps
//! to a set of version-table rows.

use crate::error::{Error, Result, RevisionErrorKind};
use crate::graph::order::permutation;
use crate::graph::{Graph, Ident, InsertionOrder, IterateOptions, LineageTarget, NodeId, Rev, SetOrder};

/// One `RevisionStep`: running one revision's `upgrade()` or `downgrade()`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RevisionStep {
    pub node: NodeId,
    pub revision: String,
    pub is_upgrade: bool,
    /// `_normalized_down_revisions` of the revision.
    pub down_revisions: Vec<String>,
    /// `_versioned_down_revisions` of the revision.
    pub versioned_down_revisions: Vec<String>,
    /// Flags of the revision, for display.
    pub is_merge_point: bool,
    pub is_branch_point: bool,
}

impl RevisionStep {
    pub fn from_revisions(&self) -> Vec<String> {
        if self.is_upgrade {
            self.down_revisions.clone()
        } else {
            vec![self.revision.clone()]
        }
    }
    pub fn to_revisions(&self) -> Vec<String> {
        if self.is_upgrade {
            vec![self.revision.clone()]
        } else {
            self.down_revisions.clone()
        }
    }
    pub fn from_revisions_no_deps(&self) -> Vec<String> {
        if self.is_upgrade {
            self.versioned_down_revisions.clone()
        } else {
            vec![self.revision.clone()]
        }
    }
    pub fn to_revisions_no_deps(&self) -> Vec<String> {
        if self.is_upgrade {
            vec![self.revision.clone()]
        } else {
            self.versioned_down_revisions.clone()
        }
    }
}

/// One `StampStep`: moving version rows without running anything.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StampStep {
    pub from_: Vec<String>,
    pub to_: Vec<String>,
    pub is_upgrade: bool,
    pub branch_move: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    Revision(RevisionStep),
    Stamp(StampStep),
}

impl Step {
    pub fn is_upgrade(&self) -> bool {
        match self {
            Step::Revision(r) => r.is_upgrade,
            Step::Stamp(s) => s.is_upgrade,
        }
    }
    pub fn from_revisions(&self) -> Vec<String> {
        match self {
            Step::Revision(r) => r.from_revisions(),
            Step::Stamp(s) => s.from_.clone(),
        }
    }
    pub fn to_revisions(&self) -> Vec<String> {
        match self {
            Step::Revision(r) => r.to_revisions(),
            Step::Stamp(s) => s.to_.clone(),
        }
    }
    pub fn from_revisions_no_deps(&self) -> Vec<String> {
        match self {
            Step::Revision(r) => r.from_revisions_no_deps(),
            Step::Stamp(s) => s.from_.clone(),
        }
    }
    pub fn to_revisions_no_deps(&self) -> Vec<String> {
        match self {
            Step::Revision(r) => r.to_revisions_no_deps(),
            Step::Stamp(s) => s.to_.clone(),
        }
    }
}

/// An ordered plan and the warnings Alembic would emit while making it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Plan {
    pub steps: Vec<Step>,
    pub warnings: Vec<String>,
}

/// One statement against the version table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VersionOp {
    Insert(String),
    Delete(String),
    Update { from: String, to: String },
}

/// What applying steps does to the version table.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Applied {
    pub ops: Vec<VersionOp>,
    /// The rows afterwards (a set in Alembic; here in table order: an UPDATE
    /// keeps its row's place, an INSERT goes last).
    pub heads: Vec<String>,
}

/// The optional arguments of `ScriptDirectory._catch_revision_errors`.
#[derive(Clone, Debug, Default)]
pub struct Catch<'a> {
    pub ancestor: Option<&'a str>,
    pub multiple_heads: Option<&'a str>,
    pub start: Option<String>,
    pub end: Option<String>,
    pub resolution: Option<String>,
}

const DEFAULT_ANCESTOR: &str =
    "Requested range %(start)s:%(end)s does not refer to ancestor/descendant revisions along the same branch";
const DEFAULT_MULTIPLE_HEADS: &str = "Multiple head revisions are present for given argument '%(head_arg)s'; please specify a specific target revision, '<branchname>@%(head_arg)s' to narrow to a specific head, or 'heads' for all heads";

/// `template % {name: value, ...}` for `%(name)s` and `%%`.
fn percent_format(template: &str, values: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    while let Some(i) = rest.find('%') {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        if let Some(after) = tail.strip_prefix("%%") {
            out.push('%');
            rest = after;
            continue;
        }
        if let Some(inner) = tail.strip_prefix("%(")
            && let Some(close) = inner.find(")s")
        {
            let name = &inner[..close];
            if let Some((_, v)) = values.iter().find(|(k, _)| *k == name) {
                out.push_str(v);
                rest = &inner[close + 2..];
                continue;
            }
        }
        out.push('%');
        rest = &tail[1..];
    }
    out.push_str(rest);
    out
}

/// `ScriptDirectory._catch_revision_errors`: a revision error becomes the
/// `CommandError` text Alembic's commands print.
pub fn catch_revision_errors(err: Error, c: &Catch<'_>) -> Error {
    let Error::Revision { kind, message } = err else {
        return err;
    };
    let text = match kind {
        RevisionErrorKind::Command => message,
        RevisionErrorKind::RangeNotAncestor { lower, upper } => {
            let start = c
                .start
                .clone()
                .unwrap_or_else(|| lower.unwrap_or_else(|| "None".to_string()));
            let end = c
                .end
                .clone()
                .unwrap_or_else(|| upper.unwrap_or_else(|| "None".to_string()));
            percent_format(
                c.ancestor.unwrap_or(DEFAULT_ANCESTOR),
                &[("start", &start), ("end", &end)],
            )
        }
        RevisionErrorKind::MultipleHeads { heads, argument } => {
            let head_arg = match c.end.as_deref().filter(|e| !e.is_empty()) {
                Some(e) => e.to_string(),
                None => argument.unwrap_or_else(|| "None".to_string()),
            };
            percent_format(
                c.multiple_heads.unwrap_or(DEFAULT_MULTIPLE_HEADS),
                &[("head_arg", &head_arg), ("heads", &heads.join(", "))],
            )
        }
        RevisionErrorKind::Resolution { argument } => match &c.resolution {
            Some(r) => r.clone(),
            None => format!("Can't locate revision identified by '{argument}'"),
        },
        _ => message,
    };
    Error::revision(RevisionErrorKind::Command, text)
}

fn revision_step(g: &Graph, node: NodeId, is_upgrade: bool) -> Step {
    let info_ids = |v: &[u32]| v.iter().map(|&m| g.id(m).to_string()).collect::<Vec<_>>();
    Step::Revision(RevisionStep {
        node,
        revision: g.id(node).to_string(),
        is_upgrade,
        down_revisions: info_ids(g.norm_down.get(node)),
        versioned_down_revisions: g
            .nodes
            .get(node as usize)
            .map(|n| n.down_revision.clone())
            .unwrap_or_default(),
        is_merge_point: g.is_merge_point(node),
        is_branch_point: g.nextrev.get(node).len() > 1,
    })
}

/// `ScriptDirectory._upgrade_revs(destination, current_rev)`.
pub fn upgrade_revs(g: &Graph, destination: &Ident, current_heads: &Ident) -> Result<Plan> {
    let mut warnings = Vec::new();
    let opts = IterateOptions {
        implicit_base: true,
        ..Default::default()
    };
    let revs = g
        .iterate_revisions(destination, current_heads, opts, &mut warnings)
        .map_err(|e| {
            catch_revision_errors(
                e,
                &Catch {
                    ancestor: Some("Destination %(end)s is not a valid upgrade target from current head(s)"),
                    end: Some(destination.py_str()),
                    ..Default::default()
                },
            )
        })?;
    let steps = revs.into_iter().rev().map(|n| revision_step(g, n, true)).collect();
    Ok(Plan { steps, warnings })
}

/// `ScriptDirectory._downgrade_revs(destination, current_rev)`.
pub fn downgrade_revs(g: &Graph, destination: &Ident, current_heads: &Ident) -> Result<Plan> {
    let mut warnings = Vec::new();
    let opts = IterateOptions {
        select_for_downgrade: true,
        ..Default::default()
    };
    let revs = g
        .iterate_revisions(current_heads, destination, opts, &mut warnings)
        .map_err(|e| {
            catch_revision_errors(
                e,
                &Catch {
                    ancestor: Some("Destination %(end)s is not a valid downgrade target from current head(s)"),
                    end: Some(destination.py_str()),
                    ..Default::default()
                },
            )
        })?;
    let steps = revs.into_iter().map(|n| revision_step(g, n, false)).collect();
    Ok(Plan { steps, warnings })
}

/// `ScriptDirectory.walk_revisions(base, head)`: every revision from `head`
/// down to `base`, as `history` lists them.
pub fn walk_revisions(g: &Graph, base: &str, head: &str) -> Result<Vec<NodeId>> {
    let opts = IterateOptions {
        inclusive: true,
        assert_relative_length: false,
        ..Default::default()
    };
    let mut warnings = Vec::new();
    g.iterate_revisions(&Ident::str(head), &Ident::str(base), opts, &mut warnings)
        .map_err(|e| {
            catch_revision_errors(
                e,
                &Catch {
                    start: Some(base.to_string()),
                    end: Some(head.to_string()),
                    ..Default::default()
                },
            )
        })
}

/// `ScriptDirectory._stamp_revs(revision, heads)`.
pub fn stamp_revs(g: &Graph, revision: &Ident, heads: &Ident) -> Result<Plan> {
    stamp_inner(g, revision, heads).map_err(|e| {
        catch_revision_errors(
            e,
            &Catch {
                multiple_heads: Some("Multiple heads are present; please specify a single target revision"),
                ..Default::default()
            },
        )
    })
}

fn stamp_inner(g: &Graph, revision: &Ident, heads: &Ident) -> Result<Plan> {
    let heads_revs = g.get_revisions(heads)?;
    let revision = if revision.is_truthy() {
        revision.clone()
    } else {
        Ident::str("base")
    };
    let head_targets: Vec<LineageTarget> = heads_revs.iter().map(|r| LineageTarget::from(*r)).collect();
    let mut filtered: Vec<Rev> = Vec::new();
    for rev in revision.to_tuple().unwrap_or_default() {
        if rev.is_truthy() {
            for i in g.filter_for_lineage(&head_targets, &rev, true)? {
                if !filtered.contains(&heads_revs[i]) {
                    filtered.push(heads_revs[i]);
                }
            }
        }
    }
    let filtered_ids = || -> Result<Vec<String>> {
        filtered
            .iter()
            .map(|r| match r {
                Rev::Node(n) => Ok(g.id(*n).to_string()),
                other => Err(crate::graph::not_a_revision_error(*other)),
            })
            .collect()
    };
    let mut dests = g.get_revisions(&revision)?;
    if dests.is_empty() {
        dests.push(Rev::Nil);
    }
    let mut steps = Vec::new();
    for dest in dests {
        let d = match dest {
            Rev::Nil => {
                for id in filtered_ids()? {
                    steps.push(Step::Stamp(StampStep {
                        from_: vec![id],
                        to_: vec![],
                        is_upgrade: false,
                        branch_move: true,
                    }));
                }
                continue;
            }
            Rev::Node(d) => {
                if filtered.contains(&dest) {
                    continue;
                }
                d
            }
            Rev::Base => return Err(crate::graph::not_a_revision_error(Rev::Base)),
        };
        let desc = g.descendants(&[dest], true, false, false)?;
        let anc = g.ancestors(&[dest], true, false)?;
        let hit = |set: &[NodeId]| filtered.iter().any(|f| matches!(f, Rev::Node(x) if set.contains(x)));
        let to = vec![g.id(d).to_string()];
        if hit(&desc) && hit(&anc) {
            // Alembic asserts this cannot happen.
            return Err(Error::revision_generic(format!(
                "Cannot stamp {}: the current revisions {} include both ancestors and descendants \
                 of it (Alembic stops with an AssertionError here). Stamp each branch separately, \
                 or stamp 'base' first.",
                g.id(d),
                filtered_ids()?.join(", ")
            )));
        }
        if hit(&desc) {
            steps.push(Step::Stamp(StampStep {
                from_: filtered_ids()?,
                to_: to,
                is_upgrade: false,
                branch_move: false,
            }));
        } else if hit(&anc) {
            steps.push(Step::Stamp(StampStep {
                from_: filtered_ids()?,
                to_: to,
                is_upgrade: true,
                branch_move: false,
            }));
        } else {
            steps.push(Step::Stamp(StampStep {
                from_: vec![],
                to_: to,
                is_upgrade: true,
                branch_move: true,
            }));
        }
    }
    Ok(Plan {
        steps,
        warnings: Vec::new(),
    })
}

/// The version table rows as `HeadMaintainer` keeps them (a Python set).
struct Rows {
    rows: Vec<String>,
    ops: Vec<VersionOp>,
}

fn table_error(what: String) -> Error {
    Error::revision_generic(format!(
        "{what}; the version table does not match the revisions being applied (Alembic stops \
         here with an AssertionError or KeyError). Check the current rows with `current` and \
         fix them with `stamp`."
    ))
}

impl Rows {
    fn contains(&self, v: &str) -> bool {
        self.rows.iter().any(|r| r == v)
    }
    fn insert(&mut self, v: &str) -> Result<()> {
        if self.contains(v) {
            return Err(table_error(format!(
                "Cannot insert version '{v}': it is already recorded"
            )));
        }
        self.rows.push(v.to_string());
        self.ops.push(VersionOp::Insert(v.to_string()));
        Ok(())
    }
    fn delete(&mut self, v: &str) -> Result<()> {
        let Some(i) = self.rows.iter().position(|r| r == v) else {
            return Err(table_error(format!("Cannot delete version '{v}': it is not recorded")));
        };
        self.rows.remove(i);
        self.ops.push(VersionOp::Delete(v.to_string()));
        Ok(())
    }
    fn update(&mut self, from: &str, to: &str) -> Result<()> {
        if self.contains(to) {
            return Err(table_error(format!(
                "Cannot update version '{from}' to '{to}': '{to}' is already recorded"
            )));
        }
        let Some(i) = self.rows.iter().position(|r| r == from) else {
            return Err(table_error(format!(
                "Cannot update version '{from}' to '{to}': '{from}' is not recorded"
            )));
        };
        // An UPDATE keeps the row where it is.
        self.rows[i] = to.to_string();
        self.ops.push(VersionOp::Update {
            from: from.to_string(),
            to: to.to_string(),
        });
        Ok(())
    }
}

/// Ids of all ancestors (dependencies included) of the given version rows.
fn ancestor_ids(g: &Graph, ids: &[String]) -> Result<Vec<bool>> {
    let revs = g.get_revisions(&Ident::List(ids.iter().map(|s| Ident::str(s.as_str())).collect()))?;
    let mut member = vec![false; g.len()];
    for a in g.ancestors(&revs, true, false)? {
        member[g.canonical(a) as usize] = true;
    }
    Ok(member)
}

fn is_id_in(g: &Graph, member: &[bool], id: &str) -> bool {
    g.lookup
        .get(id)
        .filter(|&&k| (k as usize) < g.n_id_keys)
        .and_then(|&k| g.keys.get(k as usize))
        .map(|k| member[k.node as usize])
        .unwrap_or(false)
}

/// `list(set(items).difference(ancestors))`, in the hook's order.
fn set_minus(g: &Graph, items: &[String], member: &[bool], order: &dyn SetOrder) -> Result<Vec<String>> {
    let item_refs: Vec<&str> = items.iter().map(String::as_str).collect();
    let members: Vec<&str> = item_refs.iter().copied().filter(|x| is_id_in(g, member, x)).collect();
    let other_len = member.iter().filter(|m| **m).count();
    let mut distinct: Vec<&str> = Vec::new();
    for x in &item_refs {
        if !distinct.contains(x) && !members.contains(x) {
            distinct.push(x);
        }
    }
    if distinct.len() <= 1 {
        return Ok(distinct.into_iter().map(str::to_string).collect());
    }
    let got = order.set_difference(&item_refs, &members, other_len)?;
    let perm = permutation("set_difference", &distinct, &got)?;
    Ok(perm.into_iter().map(|p| distinct[p].to_string()).collect())
}

fn unmerge_to_revisions(g: &Graph, step: &RevisionStep, rows: &Rows, order: &dyn SetOrder) -> Result<Vec<String>> {
    let other: Vec<String> = rows.rows.iter().filter(|r| **r != step.revision).cloned().collect();
    let to = &step.down_revisions;
    if !other.is_empty() {
        let member = ancestor_ids(g, &other)?;
        set_minus(g, to, &member, order)
    } else {
        let mut member = vec![false; g.len()];
        for t in to {
            let revs = g.get_revisions(&Ident::str(t.as_str()))?;
            for a in g.ancestors(&revs, true, false)? {
                if g.id(a) != t {
                    member[g.canonical(a) as usize] = true;
                }
            }
        }
        set_minus(g, to, &member, order)
    }
}

fn apply_revision(g: &Graph, step: &RevisionStep, rows: &mut Rows, order: &dyn SetOrder) -> Result<()> {
    let rev = step.revision.as_str();
    let downs = &step.down_revisions;
    let downs_in_rows = downs.iter().filter(|d| rows.contains(d)).count();
    // should_delete_branch
    if !step.is_upgrade
        && rows.contains(rev)
        && (downs.is_empty() || unmerge_to_revisions(g, step, rows, order)?.is_empty())
    {
        return rows.delete(rev);
    }
    // should_create_branch
    if step.is_upgrade && (downs.is_empty() || downs_in_rows == 0) {
        return rows.insert(rev);
    }
    // should_merge_branches
    if step.is_upgrade && downs.len() > 1 && downs_in_rows > 1 {
        let other: Vec<String> = rows.rows.iter().filter(|r| !downs.contains(r)).cloned().collect();
        let from = if other.is_empty() {
            downs.clone()
        } else {
            let member = ancestor_ids(g, &other)?;
            set_minus(g, downs, &member, order)?
        };
        let Some((last, rest)) = from.split_last() else {
            return Err(table_error(format!(
                "Cannot merge into '{rev}': none of its down revisions is left to update"
            )));
        };
        for d in rest {
            rows.delete(d)?;
        }
        return rows.update(last, rev);
    }
    // should_unmerge_branches
    if !step.is_upgrade && rows.contains(rev) && downs.len() > 1 {
        let to = unmerge_to_revisions(g, step, rows, order)?;
        let Some((last, rest)) = to.split_last() else {
            return Err(table_error(format!("Cannot unmerge '{rev}': nothing to move to")));
        };
        for t in rest {
            rows.insert(t)?;
        }
        return rows.update(rev, last);
    }
    // update_version_num
    let down = if downs.len() != 1 {
        let mut hit: Vec<&String> = Vec::new();
        for d in downs {
            if rows.contains(d) && !hit.contains(&d) {
                hit.push(d);
            }
        }
        match hit.as_slice() {
            [one] => (*one).clone(),
            _ => {
                return Err(table_error(format!(
                    "Can't do an UPDATE for '{rev}' because its down revision is ambiguous"
                )));
            }
        }
    } else {
        downs[0].clone()
    };
    if step.is_upgrade {
        rows.update(&down, rev)
    } else {
        rows.update(rev, &down)
    }
}

fn apply_stamp(step: &StampStep, rows: &mut Rows) -> Result<()> {
    let one = |v: &[String], what: &str| -> Result<String> {
        match v {
            [x] => Ok(x.clone()),
            _ => Err(table_error(format!(
                "A stamp step needs exactly one {what} revision here"
            ))),
        }
    };
    if !step.is_upgrade && step.branch_move {
        return rows.delete(&one(&step.from_, "source")?);
    }
    let from_missing = step.from_.iter().any(|f| !rows.contains(f));
    let to_missing = step.to_.iter().any(|t| !rows.contains(t));
    if step.is_upgrade && (step.branch_move || from_missing) && to_missing {
        return rows.insert(&one(&step.to_, "destination")?);
    }
    if step.from_.len() > 1 {
        let (last, rest) = match step.from_.split_last() {
            Some(x) => x,
            None => return Ok(()),
        };
        let Some(to) = step.to_.first() else {
            return Err(table_error("A stamp merge step has no destination".to_string()));
        };
        for d in rest {
            rows.delete(d)?;
        }
        return rows.update(last, to);
    }
    if step.to_.len() > 1 {
        let (last, rest) = match step.to_.split_last() {
            Some(x) => x,
            None => return Ok(()),
        };
        let Some(from) = step.from_.first() else {
            return Err(table_error("A stamp unmerge step has no source".to_string()));
        };
        for t in rest {
            rows.insert(t)?;
        }
        return rows.update(from, last);
    }
    let from = one(&step.from_, "source")?;
    let to = one(&step.to_, "destination")?;
    rows.update(&from, &to)
}

/// Apply steps to version rows as `HeadMaintainer.update_to_step` does, with
/// insertion order where Alembic's choice of rows depends on Python set order.
pub fn apply_steps(g: &Graph, current_heads: &[String], steps: &[Step]) -> Result<Applied> {
    apply_steps_with(g, current_heads, steps, &InsertionOrder)
}

/// [`apply_steps`] with Python's set order supplied by `order`.
pub fn apply_steps_with(g: &Graph, current_heads: &[String], steps: &[Step], order: &dyn SetOrder) -> Result<Applied> {
    let mut rows = Rows {
        rows: Vec::new(),
        ops: Vec::new(),
    };
    for h in current_heads {
        if !rows.contains(h) {
            rows.rows.push(h.clone());
        }
    }
    for step in steps {
        match step {
            Step::Revision(r) => apply_revision(g, r, &mut rows, order)?,
            Step::Stamp(s) => apply_stamp(s, &mut rows)?,
        }
    }
    Ok(Applied {
        ops: rows.ops,
        heads: rows.rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent() {
        assert_eq!(
            percent_format("a %(end)s b %% %(x)s", &[("end", "E%(end)s")]),
            "a E%(end)s b % %(x)s"
        );
    }
}
