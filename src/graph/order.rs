//! Where Alembic's results depend on the iteration order of a Python `set`.
//!
//! Alembic iterates a few sets whose order reaches its results. For sets of
//! strings that order follows the interpreter's (randomised) string hashing;
//! for sets of `Revision` objects it follows their memory addresses. Stock
//! Alembic is therefore not deterministic in those places. monomig computes
//! everything else exactly and asks a [`SetOrder`] for these orders: the
//! default ([`InsertionOrder`]) answers with insertion order, which is one of
//! the orders Alembic can produce; a bridge running inside a Python process
//! can answer with that process's real order, so the results are identical
//! to what Alembic itself would compute there.
//!
//! The places, and what they affect:
//! - [`SetOrder::frozenset_unions`], for `Revision.nextrev` and `_all_nextrev`,
//!   frozensets grown by `fs = fs.union([rev])` in map order. Their order is
//!   visible in `nextrev` itself (the `branches` command) and steers
//!   depth-first walks; the label spreading of `_add_branches` depends on it
//!   only when revision ids are duplicated.
//! - [`SetOrder::set_removals`], for `Revision._normalized_resolved_dependencies
//!   = tuple(set(resolved) - ...)`. Its order feeds `_normalized_down_revisions`
//!   and so the order of `_topological_sort`, i.e. upgrade and downgrade
//!   order, whenever a revision keeps two or more dependencies.
//! - [`SetOrder::set_difference`], for `HeadMaintainer` merge/unmerge
//!   (`list(set(from_revisions).difference(ancestors))`): which version row is
//!   UPDATEd and which are DELETEd or INSERTed.
//! - [`SetOrder::object_set`], for the set of revisions that carry branch labels,
//!   iterated by `_map_branch_labels` (which of two revisions sharing a label
//!   is named in the error, and the order of label keys in the revision map,
//!   visible in "Multiple revisions start with ..." messages) and by
//!   `_add_branches` (label spreading, order-sensitive only with duplicated ids).
//!
//! Outputs that are sets in Alembic and whose order monomig does not try to
//! reproduce (it uses load order): `_get_all_current` / `_filter_into_branch_heads`
//! (what `current` prints), the revisions named by "Requested revision %s
//! overlaps with other requested revisions %s", the order of branch labels
//! in a label set, and the order in which `_collect_upgrade_revisions` checks
//! targets filtered through a `label@` lower bound.

use crate::error::{Error, Result};

/// Answers "in which order would Python iterate this set?" for the places listed
/// in the module documentation. Every method has the deterministic insertion-order
/// answer as its default; each answer must be a permutation of the distinct items.
pub trait SetOrder {
    /// Iteration order of `fs` after `fs = frozenset()` and then
    /// `fs = fs.union([x])` for each `x` of `items` in turn (repeats included).
    fn frozenset_unions(&self, items: &[&str]) -> Result<Vec<String>> {
        Ok(dedupe(items))
    }

    /// [`SetOrder::frozenset_unions`] for each of `sets`, answered together
    /// (a hook in another runtime answers them with one call instead of one per set).
    fn frozenset_unions_many(&self, sets: &[Vec<&str>]) -> Result<Vec<Vec<String>>> {
        sets.iter().map(|items| self.frozenset_unions(items)).collect()
    }

    /// Iteration order of `s` after `s = set(items)` and then
    /// `s.difference_update(g)` for each group `g` in turn.
    fn set_removals(&self, items: &[&str], groups: &[Vec<&str>]) -> Result<Vec<String>> {
        let mut out = dedupe(items);
        out.retain(|x| !groups.iter().any(|g| g.iter().any(|y| y == x)));
        Ok(out)
    }

    /// Iteration order of `set(items).difference(other)` where `other` is a set
    /// of `other_len` strings of which `members` are the ones also in `items`.
    fn set_difference(&self, items: &[&str], members: &[&str], other_len: usize) -> Result<Vec<String>> {
        let _ = other_len;
        let mut out = dedupe(items);
        out.retain(|x| !members.iter().any(|y| y == x));
        Ok(out)
    }

    /// Iteration order of a set of revision objects (given by their position
    /// in load order) built by adding them in the given order.
    fn object_set(&self, indices: &[usize]) -> Result<Vec<usize>> {
        Ok(indices.to_vec())
    }
}

/// The default [`SetOrder`]: insertion order everywhere.
#[derive(Debug, Clone, Copy, Default)]
pub struct InsertionOrder;

impl SetOrder for InsertionOrder {}

fn dedupe(items: &[&str]) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(items.len());
    for x in items {
        if !out.iter().any(|y| y == x) {
            out.push((*x).to_string());
        }
    }
    out
}

/// Check that `got` is a permutation of the distinct `expected` strings and
/// return it as positions into `expected`'s first occurrences.
pub(crate) fn permutation(what: &str, expected: &[&str], got: &[String]) -> Result<Vec<usize>> {
    let mut distinct: Vec<(&str, usize)> = Vec::with_capacity(expected.len());
    for (i, x) in expected.iter().enumerate() {
        if !distinct.iter().any(|(y, _)| y == x) {
            distinct.push((x, i));
        }
    }
    let bad = || {
        Error::revision_generic(format!(
            "The set-order hook answered {what} with {got:?}, which is not an ordering of {:?}; \
             it must return each item exactly once.",
            distinct.iter().map(|(x, _)| *x).collect::<Vec<_>>()
        ))
    };
    if got.len() != distinct.len() {
        return Err(bad());
    }
    let mut used = vec![false; distinct.len()];
    let mut out = Vec::with_capacity(got.len());
    for g in got {
        let k = distinct.iter().position(|(y, _)| *y == g.as_str()).ok_or_else(bad)?;
        if used[k] {
            return Err(bad());
        }
        used[k] = true;
        out.push(distinct[k].1);
    }
    Ok(out)
}

/// Same check for [`SetOrder::object_set`] answers.
pub(crate) fn index_permutation(expected: &[usize], got: &[usize]) -> Result<Vec<usize>> {
    let bad = || {
        Error::revision_generic(format!(
            "The set-order hook answered object_set with {got:?}, which is not an ordering of {expected:?}; \
             it must return each item exactly once."
        ))
    };
    if got.len() != expected.len() {
        return Err(bad());
    }
    let mut used = vec![false; expected.len()];
    for g in got {
        let k = expected.iter().position(|e| e == g).ok_or_else(bad)?;
        if used[k] {
            return Err(bad());
        }
        used[k] = true;
    }
    Ok(got.to_vec())
}
