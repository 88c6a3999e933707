//! `iterate_revisions` and what it is made of: `_parse_upgrade_target`,
//! `_parse_downgrade_target`, `_collect_upgrade_revisions`,
//! `_collect_downgrade_revisions`; and `_get_all_current`.

use super::ident::match_relative;
use super::query::{LineageTarget, WalkStart, not_a_string, range_not_ancestor};
use super::traverse::not_a_revision;
use super::{Graph, Ident, NodeId, Rev};
use crate::error::{Error, Result};

/// Options of `RevisionMap.iterate_revisions`, with Alembic's defaults.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IterateOptions {
    pub implicit_base: bool,
    pub inclusive: bool,
    pub assert_relative_length: bool,
    pub select_for_downgrade: bool,
}

impl Default for IterateOptions {
    fn default() -> Self {
        IterateOptions {
            implicit_base: false,
            inclusive: false,
            assert_relative_length: true,
            select_for_downgrade: false,
        }
    }
}

/// A set of revision objects, as Alembic's collect functions return it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeSet {
    member: Vec<bool>,
}

impl NodeSet {
    fn new(n: usize) -> Self {
        NodeSet { member: vec![false; n] }
    }
    fn insert(&mut self, x: NodeId) {
        if let Some(m) = self.member.get_mut(x as usize) {
            *m = true;
        }
    }
    pub fn contains(&self, x: NodeId) -> bool {
        self.member.get(x as usize).copied().unwrap_or(false)
    }
    /// Members in load order.
    pub fn nodes(&self) -> Vec<NodeId> {
        (0..self.member.len())
            .filter(|&i| self.member[i])
            .map(|i| i as NodeId)
            .collect()
    }
    pub fn len(&self) -> usize {
        self.member.iter().filter(|m| **m).count()
    }
    pub fn is_empty(&self) -> bool {
        !self.member.iter().any(|m| *m)
    }
}

fn rel_error(relative: &str, count: &str) -> Error {
    Error::revision_generic(format!(
        "Relative revision {relative} didn't produce {count} migrations"
    ))
}

impl Graph {
    fn node_set(&self, nodes: impl IntoIterator<Item = NodeId>) -> NodeSet {
        let mut s = NodeSet::new(self.nodes.len());
        for x in nodes {
            s.insert(x);
        }
        s
    }

    fn ident_of(&self, n: NodeId) -> Ident {
        Ident::str(self.id(n))
    }

    /// `RevisionMap._parse_downgrade_target(current_revisions, target, assert_relative_length)`.
    pub fn parse_downgrade_target(
        &self,
        current_revisions: &Ident,
        target: &Ident,
        assert_relative_length: bool,
        warnings: &mut Vec<String>,
    ) -> Result<(Option<String>, Rev)> {
        let target = match target {
            Ident::Nil => return Ok((None, Rev::Nil)),
            Ident::Str(s) => s.as_str(),
            other => {
                // Alembic asserts "Expected downgrade target in string form".
                return Err(Error::revision_generic(format!(
                    "A downgrade target must be a single string, not {}; Alembic stops with an \
                     AssertionError here. Give one revision identifier.",
                    other.py_repr()
                )));
            }
        };
        if let Some(m) = match_relative(target) {
            let rel = m.value();
            let branch_label = m.label.map(str::to_string);
            if rel >= 0 {
                let Some(symbol) = m.symbol else {
                    return Err(rel_error(m.relative, &m.abs_text()));
                };
                let rev = self.walk(WalkStart::Id(Ident::str(symbol)), rel, m.label, assert_relative_length)?;
                if rev == Rev::Nil {
                    return Err(Error::revision_generic("Walked too far"));
                }
                return Ok((branch_label, rev));
            }
            let relative_revision = m.symbol.is_none();
            let mut branch_label = branch_label;
            // The symbol is a string, except when it comes from the current
            // revisions, which Alembic formats with "%s".
            let symbol: Ident = match m.symbol {
                Some(s) => Ident::str(s),
                None => {
                    if let Some(label) = branch_label.as_deref().filter(|l| !l.is_empty()) {
                        let Some(cr) = current_revisions.to_tuple() else {
                            return Err(not_a_string(current_revisions));
                        };
                        let targets: Vec<LineageTarget> = cr.iter().cloned().map(LineageTarget::Id).collect();
                        let keep = self.filter_for_lineage(&targets, &Ident::str(label), false)?;
                        let mut symbols: Vec<Ident> = keep.into_iter().map(|i| cr[i].clone()).collect();
                        if symbols.is_empty() {
                            let all_current = self.get_all_current(&Ident::Tuple(cr.clone()))?;
                            let targets: Vec<LineageTarget> =
                                all_current.iter().map(|&n| LineageTarget::Node(n)).collect();
                            let keep = self.filter_for_lineage(&targets, &Ident::str(label), false)?;
                            symbols = keep.into_iter().map(|i| self.ident_of(all_current[i])).collect();
                        }
                        match symbols.as_slice() {
                            [one] => one.clone(),
                            _ => {
                                return Err(Error::revision_generic(format!(
                                    "'{}' does not pick exactly one current revision of branch '{}' \
                                     (it matches {}); Alembic stops with an AssertionError here. \
                                     Name the revision to downgrade from instead.",
                                    target,
                                    label,
                                    symbols.len()
                                )));
                            }
                        }
                    } else {
                        let cr = current_revisions.to_tuple().unwrap_or_default();
                        let Some(first) = cr.first() else {
                            return Err(rel_error(m.relative, &m.abs_text()));
                        };
                        let mut distinct: Vec<&Ident> = Vec::new();
                        for c in &cr {
                            if !distinct.contains(&c) {
                                distinct.push(c);
                            }
                        }
                        if distinct.len() > 1 {
                            warnings.push(
                                "downgrade -1 from multiple heads is ambiguous; this usage will be \
                                 disallowed in a future release."
                                    .to_string(),
                            );
                        }
                        branch_label = match first {
                            Ident::Nil => None,
                            other => Some(other.py_str()),
                        };
                        first.clone()
                    }
                }
            };
            let start = match &branch_label {
                None => self.get_revision(&symbol)?,
                Some(l) => self.get_revision(&Ident::Str(format!("{l}@{}", symbol.py_str())))?,
            };
            let rev = self.walk(WalkStart::Rev(start), rel, None, assert_relative_length)?;
            if rev == Rev::Nil {
                if relative_revision {
                    return Err(rel_error(m.relative, &m.abs_text()));
                }
                return Err(Error::revision_generic("Walked too far"));
            }
            return Ok((branch_label, rev));
        }
        let (label, symbol) = match target.rfind('@') {
            Some(i) => (&target[..i], &target[i + 1..]),
            None => ("", target),
        };
        let label = if label.is_empty() {
            None
        } else {
            Some(label.to_string())
        };
        Ok((label, self.get_revision(&Ident::str(symbol))?))
    }

    /// `RevisionMap._parse_upgrade_target(current_revisions, target, assert_relative_length)`.
    pub fn parse_upgrade_target(
        &self,
        current_revisions: &Ident,
        target: &Ident,
        assert_relative_length: bool,
    ) -> Result<Vec<Rev>> {
        let m = match target {
            Ident::Str(s) => match_relative(s),
            _ => None,
        };
        let Some(m) = m else {
            return self.get_revisions(target);
        };
        let rel = m.value();
        let arl = assert_relative_length;
        if rel > 0 {
            let Some(symbol) = m.symbol else {
                let cur: Vec<Ident> = match current_revisions.to_tuple() {
                    Some(v) if !v.is_empty() => v,
                    _ => vec![Ident::Nil],
                };
                let cur_ident = Ident::Tuple(cur.clone());
                let mut start: Vec<WalkStart> = cur.iter().cloned().map(WalkStart::Id).collect();
                if let Some(label) = m.label.filter(|l| !l.is_empty()) {
                    let revs = self.get_revisions(&cur_ident)?;
                    let targets: Vec<LineageTarget> = revs.iter().map(|r| LineageTarget::from(*r)).collect();
                    let keep = self.filter_for_lineage(&targets, &Ident::str(label), false)?;
                    start = keep.into_iter().map(|i| WalkStart::Rev(revs[i])).collect();
                    if start.is_empty() {
                        // The branch is not current: find the tips of its active part.
                        let revs = self.get_revisions(&cur_ident)?;
                        let anc = self.ancestors(&revs, true, false)?;
                        let targets: Vec<LineageTarget> = anc.iter().map(|&n| LineageTarget::Node(n)).collect();
                        let keep = self.filter_for_lineage(&targets, &Ident::str(label), false)?;
                        let active: Vec<NodeId> = keep.into_iter().map(|i| anc[i]).collect();
                        let mut below = vec![false; self.nodes.len()];
                        for &a in &active {
                            for &d in self.norm_down.get(a) {
                                below[d as usize] = true;
                            }
                        }
                        let mut tips: Vec<NodeId> = Vec::new();
                        for &a in &active {
                            let c = self.canonical(a);
                            if !below[c as usize] && !tips.contains(&c) {
                                tips.push(c);
                            }
                        }
                        start = tips.into_iter().map(|t| WalkStart::Id(self.ident_of(t))).collect();
                        if start.is_empty() {
                            start = vec![WalkStart::Rev(Rev::Nil)];
                        }
                    }
                }
                if start.len() > 1 {
                    return Err(Error::revision_generic(
                        "Ambiguous upgrade from multiple current revisions",
                    ));
                }
                let first = match start.into_iter().next() {
                    Some(WalkStart::Id(Ident::Other(r))) => return Err(not_a_string(&Ident::Other(r))),
                    Some(s) => s,
                    None => WalkStart::Rev(Rev::Nil),
                };
                let rev = self.walk(first, rel, m.label, arl)?;
                if rev == Rev::Nil {
                    return Err(rel_error(m.relative, &m.abs_text()));
                }
                return Ok(vec![rev]);
            };
            let start = self.get_revision(&Ident::str(symbol))?;
            return Ok(vec![self.walk(WalkStart::Rev(start), rel, m.label, arl)?]);
        }
        let Some(symbol) = m.symbol else {
            return Err(rel_error(&m.int_text(), &m.abs_text()));
        };
        let start = match m.label {
            None => self.get_revision(&Ident::str(symbol))?,
            Some(l) => self.get_revision(&Ident::Str(format!("{l}@{symbol}")))?,
        };
        Ok(vec![self.walk(WalkStart::Rev(start), rel, None, arl)?])
    }

    /// `RevisionMap._collect_upgrade_revisions`: the revisions to run and the targets.
    pub fn collect_upgrade_revisions(
        &self,
        upper: &Ident,
        lower: &Ident,
        opts: IterateOptions,
        warnings: &mut Vec<String>,
    ) -> Result<(NodeSet, Vec<NodeId>)> {
        let parsed = self.parse_upgrade_target(lower, upper, opts.assert_relative_length)?;
        let mut targets: Vec<NodeId> = Vec::with_capacity(parsed.len());
        for r in parsed {
            match r {
                Rev::Node(n) => targets.push(n),
                other => {
                    // Alembic fails an assertion; say what the relative target did.
                    if let Some(m) = upper.as_str().and_then(match_relative) {
                        return Err(rel_error(m.relative, &m.abs_text()));
                    }
                    return Err(not_a_revision(other));
                }
            }
        }
        let mut lower = lower.clone();
        if let Ident::Str(l) = &lower
            && let Some((branch, _)) = l.split_once('@')
        {
            let mut branch = branch.to_string();
            if let Rev::Node(b) = self.get_revision(&Ident::str(branch.clone()))?
                && self.id(b) == branch
            {
                let labels = self.branch_labels(b);
                match labels.as_slice() {
                    [one] => branch = one.to_string(),
                    _ => {
                        return Err(Error::revision_generic(format!(
                            "'{}' names revision {} as a branch, but that revision has {} \
                                     branch labels, not exactly one; Alembic stops with an \
                                     AssertionError here. Use a branch label before '@'.",
                            l,
                            branch,
                            labels.len()
                        )));
                    }
                }
            }
            let mut kept: Vec<NodeId> = Vec::new();
            for &t in &targets {
                if self.has_label(t, &branch) && !kept.contains(&t) {
                    kept.push(t);
                }
            }
            targets = kept;
        }
        let target_revs: Vec<Rev> = targets.iter().map(|&t| Rev::Node(t)).collect();
        let required = self.node_set(
            self.ancestors(&target_revs, true, true)?
                .into_iter()
                .chain(targets.iter().copied()),
        );
        let mut current = self.get_revisions(&lower)?;
        if !opts.implicit_base
            && current.iter().any(|r| match r {
                Rev::Nil => false,
                Rev::Base => true,
                Rev::Node(n) => !required.contains(*n),
            })
        {
            return Err(range_not_ancestor(&lower, upper));
        }
        if current.first() == Some(&Rev::Nil) {
            let (_, rev) = self.parse_downgrade_target(upper, &lower, opts.assert_relative_length, warnings)?;
            match rev {
                Rev::Nil => return Err(not_a_revision(Rev::Nil)),
                Rev::Base => {
                    current = Vec::new();
                    lower = Ident::Nil;
                }
                Rev::Node(n) => {
                    current = vec![rev];
                    lower = self.ident_of(n);
                }
            }
        }
        let current_set = self.node_set(
            self.ancestors(&current, true, true)?
                .into_iter()
                .chain(current.iter().filter_map(|r| r.node())),
        );
        let mut needs = NodeSet::new(self.nodes.len());
        for i in 0..self.nodes.len() {
            if required.member[i] && !current_set.member[i] {
                needs.member[i] = true;
            }
        }
        if opts.inclusive {
            for r in self.get_revisions(&lower)? {
                match r {
                    Rev::Node(n) => needs.insert(n),
                    other => return Err(not_a_revision(other)),
                }
            }
        }
        if !current.is_empty() && !opts.implicit_base {
            let lower_desc = self.node_set(self.descendants(&current, false, false, true)?);
            for i in 0..self.nodes.len() {
                needs.member[i] &= lower_desc.member[i];
            }
        }
        Ok((needs, targets))
    }

    /// `RevisionMap._collect_downgrade_revisions`: the revisions to undo and the current heads.
    pub fn collect_downgrade_revisions(
        &self,
        upper: &Ident,
        lower: &Ident,
        opts: IterateOptions,
        warnings: &mut Vec<String>,
    ) -> Result<(NodeSet, Vec<Rev>)> {
        let (branch_label, target) =
            self.parse_downgrade_target(upper, lower, opts.assert_relative_length, warnings)?;
        let target = match target {
            Rev::Base => Rev::Nil,
            other => other,
        };
        let mut roots: Vec<Rev> = match target {
            Rev::Node(t) if opts.inclusive => vec![Rev::Node(t)],
            Rev::Node(t) => {
                let ids = Ident::List(self.nextrev.get(t).iter().map(|&c| self.ident_of(c)).collect());
                let r = self.get_revisions(&ids)?;
                for x in &r {
                    if !matches!(x, Rev::Node(_)) {
                        return Err(not_a_revision(*x));
                    }
                }
                r
            }
            _ => self
                .keys
                .iter()
                .map(|k| k.node)
                .filter(|&n| self.nodes[n as usize].down_revision.is_empty())
                .map(Rev::Node)
                .collect(),
        };
        if let Some(label) = branch_label.as_deref().filter(|l| !l.is_empty())
            && roots.len() > 1
        {
            let branch = self.resolve_branch(label)?;
            let anc = self.ancestors(&[branch], false, false)?;
            let mut anc_ids = vec![false; self.nodes.len()];
            for a in anc {
                anc_ids[self.canonical(a) as usize] = true;
            }
            let mut keep_ids: Vec<Ident> = Vec::new();
            for r in &roots {
                if let Rev::Node(x) = r {
                    let c = self.canonical(*x);
                    let id = self.ident_of(c);
                    if anc_ids[c as usize] && !keep_ids.contains(&id) {
                        keep_ids.push(id);
                    }
                }
            }
            roots = self.get_revisions(&Ident::List(keep_ids))?;
            if roots.is_empty() {
                return Err(Error::revision_generic(
                    "Not a valid downgrade target from current heads",
                ));
            }
        }
        let heads = self.get_revisions(upper)?;
        let downgrade = self.node_set(self.descendants(&roots, true, false, false)?);
        let active = self.node_set(self.ancestors(&heads, true, false)?);
        let mut result = NodeSet::new(self.nodes.len());
        for i in 0..self.nodes.len() {
            result.member[i] = downgrade.member[i] && active.member[i];
        }
        if opts.implicit_base {
            let below_roots = self.node_set(self.ancestors(&roots, true, false)?);
            for i in 0..self.nodes.len() {
                if active.member[i] && !below_roots.member[i] {
                    result.member[i] = true;
                }
            }
        }
        if let Rev::Node(t) = target
            && result.is_empty()
            && !heads.contains(&Rev::Node(t))
        {
            return Err(range_not_ancestor(&Ident::str("Nothing to drop"), upper));
        }
        Ok((result, heads))
    }

    /// `RevisionMap.iterate_revisions(upper, lower, ...)`: revisions in
    /// Alembic's order (upgrades listed top-down, as Alembic yields them).
    pub fn iterate_revisions(
        &self,
        upper: &Ident,
        lower: &Ident,
        opts: IterateOptions,
        warnings: &mut Vec<String>,
    ) -> Result<Vec<NodeId>> {
        let (revisions, heads): (NodeSet, Vec<NodeId>) = if opts.select_for_downgrade {
            let (set, heads) = self.collect_downgrade_revisions(upper, lower, opts, warnings)?;
            let mut hs = Vec::with_capacity(heads.len());
            for h in heads {
                match h {
                    Rev::Node(n) => hs.push(n),
                    other => return Err(not_a_revision(other)),
                }
            }
            (set, hs)
        } else {
            self.collect_upgrade_revisions(upper, lower, opts, warnings)?
        };
        let order = self.topological_sort(&revisions.nodes(), &heads)?;
        if !self.special_ids {
            return Ok(order);
        }
        // A revision named head, heads or base does not resolve to itself.
        let mut out = Vec::with_capacity(order.len());
        for c in order {
            match self.get_revision(&self.ident_of(c))? {
                Rev::Node(n) => out.push(n),
                other => return Err(not_a_revision(other)),
            }
        }
        Ok(out)
    }

    /// `RevisionMap._get_all_current(id_)`: what `alembic current` shows for
    /// the given version-table rows (Alembic returns a set; here load order).
    pub fn get_all_current(&self, id: &Ident) -> Result<Vec<NodeId>> {
        let top = self.get_revisions(id)?;
        for r in &top {
            if !matches!(r, Rev::Node(_)) {
                return Err(not_a_revision(*r));
            }
        }
        let mut all = self.node_set(top.iter().filter_map(|r| r.node()));
        for a in self.ancestors(&top, true, false)? {
            all.insert(a);
        }
        let revs: Vec<Rev> = all.nodes().into_iter().map(Rev::Node).collect();
        self.filter_into_branch_heads(&revs)
    }
}
