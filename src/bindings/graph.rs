//! `monomig._native.RevisionGraph` and `MigrationStep`: thin wrappers over
//! [`crate::graph`] and [`crate::plan`].
//!
//! Revisions are named by their id (`str`); with `indices=True` a method names
//! them by their position in load order instead (exact even with duplicated
//! ids). Alembic's `"base"` marker comes back as the string `"base"` and its
//! `None` as `None`.

use std::cell::RefCell;
use std::ffi::CString;

use pyo3::exceptions::{PyTypeError, PyUserWarning};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyFrozenSet, PyList, PySet, PyString, PyTuple};

use super::errors::{self, RevisionError};
use crate::error::{Error, Result as CoreResult};
use crate::graph::{Direction, Graph, Ident, IterateOptions, LineageTarget, Rev, RevisionInput, SetOrder, WalkStart};
use crate::plan::{self, StampStep, Step, VersionOp};

const MAX_DEPTH: usize = 64;

/// A Python value as a revision identifier.
fn to_ident(obj: &Bound<'_, PyAny>, depth: usize) -> PyResult<Ident> {
    if obj.is_none() {
        return Ok(Ident::Nil);
    }
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(Ident::Str(s.to_str()?.to_string()));
    }
    let nested = |items: Vec<Bound<'_, PyAny>>| -> PyResult<Vec<Ident>> {
        if depth >= MAX_DEPTH {
            return Err(RevisionError::new_err("revision identifiers are nested too deeply"));
        }
        items.iter().map(|i| to_ident(i, depth + 1)).collect()
    };
    if let Ok(t) = obj.cast::<PyTuple>() {
        return Ok(Ident::Tuple(nested(t.iter().collect())?));
    }
    if obj.cast::<PyList>().is_ok() || obj.cast::<PySet>().is_ok() || obj.cast::<PyFrozenSet>().is_ok() {
        let items: Vec<Bound<'_, PyAny>> = obj.try_iter()?.collect::<PyResult<_>>()?;
        return Ok(Ident::List(nested(items)?));
    }
    Ok(Ident::Other(obj.repr()?.to_str()?.to_string()))
}

/// A `down_revision` / `depends_on` / `branch_labels` value: None, a str, or a sequence of str.
fn str_list(obj: &Bound<'_, PyAny>, what: &str, position: usize, revision: &str) -> PyResult<Vec<String>> {
    if obj.is_none() {
        return Ok(Vec::new());
    }
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(vec![s.to_str()?.to_string()]);
    }
    let bad = || {
        RevisionError::new_err(format!(
            "Revision '{revision}' (entry {position} of the revision list) has a {what} that is not \
             None, a string or a tuple of strings ({}); fix it in the revision file.",
            obj.repr().map(|r| r.to_string()).unwrap_or_default()
        ))
    };
    if obj.cast::<PyTuple>().is_ok() || obj.cast::<PyList>().is_ok() {
        let mut out = Vec::new();
        for item in obj.try_iter()? {
            let item = item?;
            match item.cast::<PyString>() {
                Ok(s) => out.push(s.to_str()?.to_string()),
                Err(_) => return Err(bad()),
            }
        }
        return Ok(out);
    }
    Err(bad())
}

pub(crate) fn to_input(entry: &Bound<'_, PyAny>, position: usize) -> PyResult<RevisionInput> {
    if let Ok(e) = entry.cast::<super::scripts::RevisionEntry>() {
        return e.get().graph_input().ok_or_else(|| {
            PyTypeError::new_err(format!(
                "entry {position} of the revision list needs import; give its values as a tuple"
            ))
        });
    }
    let t = entry.cast::<PyTuple>().map_err(|_| {
        PyTypeError::new_err(format!(
            "entry {position} of the revision list must be a tuple \
             (revision, down_revision, dependencies, branch_labels[, path])"
        ))
    })?;
    if !(4..=5).contains(&t.len()) {
        return Err(PyTypeError::new_err(format!(
            "entry {position} of the revision list must have 4 or 5 items, not {}",
            t.len()
        )));
    }
    let path: Option<std::path::PathBuf> = if t.len() == 5 {
        let p = t.get_item(4)?;
        if p.is_none() {
            None
        } else if let Ok(s) = p.cast::<PyString>() {
            Some(s.to_str()?.into())
        } else {
            let os = entry.py().import("os")?;
            Some(os.call_method1("fspath", (p,))?.extract::<String>()?.into())
        }
    } else {
        None
    };
    let rev_obj = t.get_item(0)?;
    let revision = match rev_obj.cast::<PyString>() {
        Ok(s) => s.to_str()?.to_string(),
        Err(_) => {
            let place = match &path {
                Some(p) => format!(" ({})", p.display()),
                None => String::new(),
            };
            return Err(RevisionError::new_err(format!(
                "The revision identifier of entry {position} of the revision list{place} is {}, \
                 not a string; set `revision = \"...\"` to a string in the revision file.",
                rev_obj.repr()?
            )));
        }
    };
    Ok(RevisionInput {
        down_revision: str_list(&t.get_item(1)?, "down_revision", position, &revision)?,
        dependencies: str_list(&t.get_item(2)?, "depends_on", position, &revision)?,
        branch_labels: str_list(&t.get_item(3)?, "branch_labels", position, &revision)?,
        revision,
        path,
    })
}

/// A [`SetOrder`] answered by a Python callable `hook(op, *args)`. A hook
/// with a true `batched` attribute (as `monomig.setorder.python_set_order`'s)
/// also answers `hook("frozenset_unions_many", sets)` with one list per set.
struct PyHook<'py> {
    hook: Bound<'py, PyAny>,
    error: RefCell<Option<PyErr>>,
    batched: bool,
}

impl PyHook<'_> {
    fn fail(&self, e: PyErr) -> Error {
        *self.error.borrow_mut() = Some(e);
        Error::revision_generic("the set-order hook raised an exception")
    }

    fn strings(&self, args: impl for<'a> pyo3::call::PyCallArgs<'a>) -> CoreResult<Vec<String>> {
        let out = self.hook.call1(args).map_err(|e| self.fail(e))?;
        let mut v = Vec::new();
        for item in out.try_iter().map_err(|e| self.fail(e))? {
            let item = item.map_err(|e| self.fail(e))?;
            v.push(item.extract::<String>().map_err(|e| self.fail(e))?);
        }
        Ok(v)
    }

    fn take(&self) -> Option<PyErr> {
        self.error.borrow_mut().take()
    }
}

impl SetOrder for PyHook<'_> {
    fn frozenset_unions(&self, items: &[&str]) -> CoreResult<Vec<String>> {
        self.strings(("frozenset_unions", items.to_vec()))
    }
    fn frozenset_unions_many(&self, sets: &[Vec<&str>]) -> CoreResult<Vec<Vec<String>>> {
        if !self.batched {
            return sets.iter().map(|items| self.frozenset_unions(items)).collect();
        }
        if sets.is_empty() {
            return Ok(Vec::new());
        }
        let out = self
            .hook
            .call1(("frozenset_unions_many", sets.to_vec()))
            .map_err(|e| self.fail(e))?;
        let answers: Vec<Vec<String>> = out.extract().map_err(|e| self.fail(e))?;
        if answers.len() != sets.len() {
            return Err(Error::revision_generic(format!(
                "The set-order hook answered frozenset_unions_many with {} orderings for {} sets; \
                 it must return one per set.",
                answers.len(),
                sets.len()
            )));
        }
        Ok(answers)
    }
    fn set_removals(&self, items: &[&str], groups: &[Vec<&str>]) -> CoreResult<Vec<String>> {
        self.strings(("set_removals", items.to_vec(), groups.to_vec()))
    }
    fn set_difference(&self, items: &[&str], members: &[&str], other_len: usize) -> CoreResult<Vec<String>> {
        self.strings(("set_difference", items.to_vec(), members.to_vec(), other_len))
    }
    fn object_set(&self, indices: &[usize]) -> CoreResult<Vec<usize>> {
        let out = self
            .hook
            .call1(("object_set", indices.to_vec()))
            .map_err(|e| self.fail(e))?;
        let mut v = Vec::new();
        for item in out.try_iter().map_err(|e| self.fail(e))? {
            let item = item.map_err(|e| self.fail(e))?;
            v.push(item.extract::<usize>().map_err(|e| self.fail(e))?);
        }
        Ok(v)
    }
}

/// One step of a plan: Alembic's `RevisionStep` or `StampStep`.
#[pyclass(module = "monomig._native", frozen, eq, from_py_object)]
#[derive(Clone, PartialEq)]
pub struct MigrationStep {
    step: Step,
}

#[pymethods]
#[allow(clippy::wrong_self_convention)]
impl MigrationStep {
    /// A `StampStep(from_, to_, is_upgrade, branch_move)`.
    #[staticmethod]
    fn stamp(from_: Vec<String>, to_: Vec<String>, is_upgrade: bool, branch_move: bool) -> Self {
        MigrationStep {
            step: Step::Stamp(StampStep {
                from_,
                to_,
                is_upgrade,
                branch_move,
            }),
        }
    }

    /// True for a `StampStep`.
    #[getter]
    fn is_stamp(&self) -> bool {
        matches!(self.step, Step::Stamp(_))
    }
    #[getter]
    fn is_upgrade(&self) -> bool {
        self.step.is_upgrade()
    }
    #[getter]
    fn is_downgrade(&self) -> bool {
        !self.step.is_upgrade()
    }
    /// The revision id of a `RevisionStep` (None for a stamp).
    #[getter]
    fn revision(&self) -> Option<String> {
        match &self.step {
            Step::Revision(r) => Some(r.revision.clone()),
            Step::Stamp(_) => None,
        }
    }
    /// Load-order position of a `RevisionStep`'s revision.
    #[getter]
    fn index(&self) -> Option<u32> {
        match &self.step {
            Step::Revision(r) => Some(r.node),
            Step::Stamp(_) => None,
        }
    }
    #[getter]
    fn branch_move(&self) -> bool {
        match &self.step {
            Step::Revision(_) => false,
            Step::Stamp(s) => s.branch_move,
        }
    }
    #[getter]
    fn is_merge_point(&self) -> bool {
        matches!(&self.step, Step::Revision(r) if r.is_merge_point)
    }
    #[getter]
    fn is_branch_point(&self) -> bool {
        matches!(&self.step, Step::Revision(r) if r.is_branch_point)
    }
    #[getter]
    fn from_revisions<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        PyTuple::new(py, self.step.from_revisions())
    }
    #[getter]
    fn to_revisions<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        PyTuple::new(py, self.step.to_revisions())
    }
    #[getter]
    fn from_revisions_no_deps<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        PyTuple::new(py, self.step.from_revisions_no_deps())
    }
    #[getter]
    fn to_revisions_no_deps<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        PyTuple::new(py, self.step.to_revisions_no_deps())
    }

    fn __repr__(&self) -> String {
        match &self.step {
            Step::Revision(r) => format!("RevisionStep({:?}, is_upgrade={})", r.revision, py_bool(r.is_upgrade)),
            Step::Stamp(s) => format!(
                "StampStep(from_={:?}, to_={:?}, is_upgrade={}, branch_move={})",
                s.from_,
                s.to_,
                py_bool(s.is_upgrade),
                py_bool(s.branch_move)
            ),
        }
    }
}

fn py_bool(b: bool) -> &'static str {
    if b { "True" } else { "False" }
}

/// A revision graph with the semantics of Alembic 1.20.1's `RevisionMap`.
#[pyclass(module = "monomig._native", frozen)]
pub struct RevisionGraph {
    graph: Graph,
    hook: Option<Py<PyAny>>,
}

impl RevisionGraph {
    fn rev_to_py<'py>(&self, py: Python<'py>, r: Rev, indices: bool) -> PyResult<Bound<'py, PyAny>> {
        Ok(match r {
            Rev::Node(n) if indices => n.into_pyobject(py)?.into_any(),
            Rev::Node(n) => PyString::new(py, self.graph.revision_id(n).unwrap_or("")).into_any(),
            Rev::Base => PyString::new(py, "base").into_any(),
            Rev::Nil => py.None().into_bound(py),
        })
    }

    fn nodes_to_py<'py>(&self, py: Python<'py>, nodes: &[u32], indices: bool) -> PyResult<Bound<'py, PyList>> {
        let items: Vec<Bound<'py, PyAny>> = nodes
            .iter()
            .map(|&n| self.rev_to_py(py, Rev::Node(n), indices))
            .collect::<PyResult<_>>()?;
        PyList::new(py, items)
    }

    /// A revision given from Python: an int (load position), a str (a map key:
    /// revision id or branch label) or None.
    fn to_rev(&self, obj: &Bound<'_, PyAny>) -> PyResult<Rev> {
        if obj.is_none() {
            return Ok(Rev::Nil);
        }
        if let Ok(i) = obj.extract::<u32>() {
            if (i as usize) < self.graph.len() {
                return Ok(Rev::Node(i));
            }
            return Err(RevisionError::new_err(format!("no revision at position {i}")));
        }
        let s: String = obj.extract()?;
        match self.graph.lookup(&s) {
            Some(n) => Ok(Rev::Node(n)),
            None => Err(RevisionError::new_err(format!(
                "'{s}' is not a revision id or branch label of this graph"
            ))),
        }
    }

    fn to_revs(&self, obj: &Bound<'_, PyAny>) -> PyResult<Vec<Rev>> {
        obj.try_iter()?.map(|o| self.to_rev(&o?)).collect()
    }

    fn lineage_targets(&self, obj: &Bound<'_, PyAny>) -> PyResult<Vec<(LineageTarget, Py<PyAny>)>> {
        let mut out = Vec::new();
        for o in obj.try_iter()? {
            let o = o?;
            let t = if let Ok(i) = o.extract::<u32>() {
                if (i as usize) >= self.graph.len() {
                    return Err(RevisionError::new_err(format!("no revision at position {i}")));
                }
                LineageTarget::Node(i)
            } else {
                LineageTarget::Id(to_ident(&o, 0)?)
            };
            out.push((t, o.unbind()));
        }
        Ok(out)
    }

    fn warn(py: Python<'_>, warnings: &[String]) -> PyResult<()> {
        for w in warnings {
            let msg = CString::new(w.replace('\0', " ")).unwrap_or_default();
            PyErr::warn(py, &py.get_type::<PyUserWarning>(), &msg, 1)?;
        }
        Ok(())
    }

    /// Run `f` with the set-order hook (if any), surfacing exceptions it raised.
    fn with_order<T>(&self, py: Python<'_>, f: impl FnOnce(&dyn SetOrder) -> CoreResult<T>) -> PyResult<T> {
        match &self.hook {
            None => f(&crate::graph::InsertionOrder).map_err(errors::py_err(py)),
            Some(h) => {
                let hook = h.bind(py);
                let batched = hook
                    .getattr(pyo3::intern!(py, "batched"))
                    .and_then(|b| b.is_truthy())
                    .unwrap_or(false);
                let hook = PyHook {
                    hook: hook.clone(),
                    error: RefCell::new(None),
                    batched,
                };
                let r = f(&hook);
                if let Some(e) = hook.take() {
                    return Err(e);
                }
                r.map_err(errors::py_err(py))
            }
        }
    }

    /// Run `f` on the core graph with this graph's set order (for other binding modules).
    pub(crate) fn with_graph<T>(
        &self,
        py: Python<'_>,
        f: impl FnOnce(&Graph, &dyn SetOrder) -> CoreResult<T>,
    ) -> PyResult<T> {
        self.with_order(py, |order| f(&self.graph, order))
    }

    /// The steps of one of `ScriptDirectory`'s plans (`_upgrade_revs`,
    /// `_downgrade_revs`, `_stamp_revs`) from a target and the current heads,
    /// with the plan's warnings issued as `UserWarning`s.
    fn plan(
        &self,
        py: Python<'_>,
        make: fn(&Graph, &Ident, &Ident) -> CoreResult<plan::Plan>,
        target: &Bound<'_, PyAny>,
        current_heads: &Bound<'_, PyAny>,
    ) -> PyResult<Vec<MigrationStep>> {
        let target = to_ident(target, 0)?;
        let current_heads = to_ident(current_heads, 0)?;
        let p = make(&self.graph, &target, &current_heads).map_err(errors::py_err(py))?;
        Self::warn(py, &p.warnings)?;
        Ok(p.steps.into_iter().map(|step| MigrationStep { step }).collect())
    }
}

#[pymethods]
impl RevisionGraph {
    /// Build from `(revision, down_revision, dependencies, branch_labels[, path])`
    /// tuples, or statically read `RevisionEntry` objects of `scan_revisions`, in load order. `set_order`, if given, is called as `set_order(op, *args)`
    /// wherever Alembic's result depends on Python set order (see `monomig.setorder`).
    #[new]
    #[pyo3(signature = (revisions, *, set_order=None))]
    fn new(py: Python<'_>, revisions: &Bound<'_, PyAny>, set_order: Option<Bound<'_, PyAny>>) -> PyResult<Self> {
        let mut inputs = Vec::new();
        for (i, entry) in revisions.try_iter()?.enumerate() {
            inputs.push(to_input(&entry?, i)?);
        }
        let hook = set_order.filter(|h| !h.is_none()).map(Bound::unbind);
        let this = RevisionGraph {
            graph: Graph::build(Vec::new()).map_err(errors::py_err(py))?,
            hook,
        };
        let rules = super::config::id_rules(py)?;
        let graph = this.with_order(py, |order| Graph::build_with_rules(inputs, order, rules))?;
        Self::warn(py, graph.warnings())?;
        Ok(RevisionGraph { graph, hook: this.hook })
    }

    fn __len__(&self) -> usize {
        self.graph.len()
    }

    /// Warnings Alembic would have emitted while building its map.
    #[getter]
    fn warnings(&self) -> Vec<String> {
        self.graph.warnings().to_vec()
    }

    #[getter]
    fn heads<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        PyTuple::new(py, self.graph.heads())
    }
    #[getter]
    fn bases<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        PyTuple::new(py, self.graph.bases())
    }
    #[getter]
    fn real_heads<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        PyTuple::new(py, self.graph.real_heads())
    }
    #[getter]
    fn real_bases<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        PyTuple::new(py, self.graph.real_bases())
    }
    /// Load positions of the heads, bases, real heads and real bases.
    fn head_indices(&self) -> Vec<u32> {
        self.graph.head_nodes().to_vec()
    }
    fn base_indices(&self) -> Vec<u32> {
        self.graph.base_nodes().to_vec()
    }

    /// The revision map's keys in order: revision ids, then branch labels.
    #[getter]
    fn keys(&self) -> Vec<String> {
        self.graph.keys.iter().map(|k| k.name.clone()).collect()
    }

    /// Load position of the revision the map answers for a revision id or branch label.
    fn lookup(&self, key: &str) -> Option<u32> {
        self.graph.lookup(key)
    }

    /// `get_revisions(id_)`.
    #[pyo3(signature = (id_, *, indices=false))]
    fn get_revisions<'py>(
        &self,
        py: Python<'py>,
        id_: &Bound<'py, PyAny>,
        indices: bool,
    ) -> PyResult<Bound<'py, PyTuple>> {
        let id = to_ident(id_, 0)?;
        let revs = self.graph.get_revisions(&id).map_err(errors::py_err(py))?;
        let items: Vec<Bound<'py, PyAny>> = revs
            .into_iter()
            .map(|r| self.rev_to_py(py, r, indices))
            .collect::<PyResult<_>>()?;
        PyTuple::new(py, items)
    }

    /// `get_revision(id_)`.
    #[pyo3(signature = (id_, *, indices=false))]
    fn get_revision<'py>(
        &self,
        py: Python<'py>,
        id_: &Bound<'py, PyAny>,
        indices: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let id = to_ident(id_, 0)?;
        let r = self.graph.get_revision(&id).map_err(errors::py_err(py))?;
        self.rev_to_py(py, r, indices)
    }

    /// `_revision_for_ident(resolved_id, check_branch=None)`.
    #[pyo3(signature = (resolved_id, check_branch=None, *, indices=false))]
    fn revision_for_ident<'py>(
        &self,
        py: Python<'py>,
        resolved_id: &Bound<'py, PyAny>,
        check_branch: Option<&str>,
        indices: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let id = to_ident(resolved_id, 0)?;
        let r = self
            .graph
            .revision_for_ident(&id, check_branch)
            .map_err(errors::py_err(py))?;
        self.rev_to_py(py, r, indices)
    }

    /// `_resolve_branch(branch_label)`.
    #[pyo3(signature = (branch_label, *, indices=false))]
    fn resolve_branch<'py>(&self, py: Python<'py>, branch_label: &str, indices: bool) -> PyResult<Bound<'py, PyAny>> {
        let r = self.graph.resolve_branch(branch_label).map_err(errors::py_err(py))?;
        self.rev_to_py(py, r, indices)
    }

    /// `_resolve_revision_number(id_)` -> (tuple of identifiers, branch label).
    fn resolve_revision_number<'py>(
        &self,
        py: Python<'py>,
        id_: &Bound<'py, PyAny>,
    ) -> PyResult<(Bound<'py, PyTuple>, Option<String>)> {
        let id = to_ident(id_, 0)?;
        let (ids, label) = self.graph.resolve_revision_number(&id).map_err(errors::py_err(py))?;
        let items: Vec<Bound<'py, PyAny>> = ids.iter().map(|i| ident_to_py(py, i)).collect::<PyResult<_>>()?;
        Ok((PyTuple::new(py, items)?, label))
    }

    /// `get_current_head(branch_label=None)`.
    #[pyo3(signature = (branch_label=None))]
    fn get_current_head(&self, py: Python<'_>, branch_label: Option<&str>) -> PyResult<Option<String>> {
        self.graph.get_current_head(branch_label).map_err(errors::py_err(py))
    }

    /// `_get_base_revisions(identifier)`.
    fn get_base_revisions(&self, py: Python<'_>, identifier: &Bound<'_, PyAny>) -> PyResult<Vec<String>> {
        let id = to_ident(identifier, 0)?;
        self.graph.get_base_revisions(&id).map_err(errors::py_err(py))
    }

    /// `filter_for_lineage(targets, check_against, include_dependencies=False)`:
    /// the targets (str ids resolved like Alembic, or int positions) that share lineage.
    #[pyo3(signature = (targets, check_against, include_dependencies=false))]
    fn filter_for_lineage<'py>(
        &self,
        py: Python<'py>,
        targets: &Bound<'py, PyAny>,
        check_against: &Bound<'py, PyAny>,
        include_dependencies: bool,
    ) -> PyResult<Bound<'py, PyTuple>> {
        let targets = self.lineage_targets(targets)?;
        let check = to_ident(check_against, 0)?;
        let plain: Vec<LineageTarget> = targets.iter().map(|(t, _)| t.clone()).collect();
        let keep = self
            .graph
            .filter_for_lineage(&plain, &check, include_dependencies)
            .map_err(errors::py_err(py))?;
        PyTuple::new(py, keep.into_iter().map(|i| targets[i].1.clone_ref(py)))
    }

    /// `_shares_lineage(target, test_against_revs, include_dependencies=False)`.
    #[pyo3(signature = (target, test_against_revs, include_dependencies=false))]
    fn shares_lineage(
        &self,
        py: Python<'_>,
        target: &Bound<'_, PyAny>,
        test_against_revs: &Bound<'_, PyAny>,
        include_dependencies: bool,
    ) -> PyResult<bool> {
        let t = match self.lineage_targets(&PyTuple::new(py, [target])?.into_any())?.pop() {
            Some((t, _)) => t,
            None => return Err(RevisionError::new_err("no target given")),
        };
        let tests: Vec<Ident> = match to_ident(test_against_revs, 0)? {
            Ident::Nil => Vec::new(),
            Ident::Tuple(v) | Ident::List(v) => v,
            one => vec![one],
        };
        self.graph
            .shares_lineage(&t, &tests, include_dependencies)
            .map_err(errors::py_err(py))
    }

    /// `_walk(start, steps, branch_label=None, no_overwalk=True)`; `start` is an
    /// identifier (resolved with `get_revision`), an int position, or None.
    #[pyo3(signature = (start, steps, branch_label=None, no_overwalk=true, *, indices=false))]
    fn walk<'py>(
        &self,
        py: Python<'py>,
        start: &Bound<'py, PyAny>,
        steps: i64,
        branch_label: Option<&str>,
        no_overwalk: bool,
        indices: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let s = if let Ok(i) = start.extract::<u32>() {
            WalkStart::Rev(self.to_rev(&i.into_pyobject(py)?.into_any())?)
        } else {
            WalkStart::Id(to_ident(start, 0)?)
        };
        let r = self
            .graph
            .walk(s, steps, branch_label, no_overwalk)
            .map_err(errors::py_err(py))?;
        self.rev_to_py(py, r, indices)
    }

    /// `_parse_upgrade_target(current_revisions, target, assert_relative_length)`.
    #[pyo3(signature = (current_revisions, target, assert_relative_length=true, *, indices=false))]
    fn parse_upgrade_target<'py>(
        &self,
        py: Python<'py>,
        current_revisions: &Bound<'py, PyAny>,
        target: &Bound<'py, PyAny>,
        assert_relative_length: bool,
        indices: bool,
    ) -> PyResult<Bound<'py, PyTuple>> {
        let cur = to_ident(current_revisions, 0)?;
        let t = to_ident(target, 0)?;
        let revs = self
            .graph
            .parse_upgrade_target(&cur, &t, assert_relative_length)
            .map_err(errors::py_err(py))?;
        let items: Vec<Bound<'py, PyAny>> = revs
            .into_iter()
            .map(|r| self.rev_to_py(py, r, indices))
            .collect::<PyResult<_>>()?;
        PyTuple::new(py, items)
    }

    /// `_parse_downgrade_target(current_revisions, target, assert_relative_length)`
    /// -> (branch label, revision).
    #[pyo3(signature = (current_revisions, target, assert_relative_length=true, *, indices=false))]
    fn parse_downgrade_target<'py>(
        &self,
        py: Python<'py>,
        current_revisions: &Bound<'py, PyAny>,
        target: &Bound<'py, PyAny>,
        assert_relative_length: bool,
        indices: bool,
    ) -> PyResult<(Option<String>, Bound<'py, PyAny>)> {
        let cur = to_ident(current_revisions, 0)?;
        let t = to_ident(target, 0)?;
        let mut warnings = Vec::new();
        let (label, rev) = self
            .graph
            .parse_downgrade_target(&cur, &t, assert_relative_length, &mut warnings)
            .map_err(errors::py_err(py))?;
        Self::warn(py, &warnings)?;
        Ok((label, self.rev_to_py(py, rev, indices)?))
    }

    /// `iterate_revisions(upper, lower, ...)` as a list of revisions.
    #[pyo3(signature = (upper, lower, implicit_base=false, inclusive=false, assert_relative_length=true, select_for_downgrade=false, *, indices=false))]
    #[allow(clippy::too_many_arguments)]
    fn iterate_revisions<'py>(
        &self,
        py: Python<'py>,
        upper: &Bound<'py, PyAny>,
        lower: &Bound<'py, PyAny>,
        implicit_base: bool,
        inclusive: bool,
        assert_relative_length: bool,
        select_for_downgrade: bool,
        indices: bool,
    ) -> PyResult<Bound<'py, PyList>> {
        let upper = to_ident(upper, 0)?;
        let lower = to_ident(lower, 0)?;
        let opts = IterateOptions {
            implicit_base,
            inclusive,
            assert_relative_length,
            select_for_downgrade,
        };
        let mut warnings = Vec::new();
        let nodes = self
            .graph
            .iterate_revisions(&upper, &lower, opts, &mut warnings)
            .map_err(errors::py_err(py))?;
        Self::warn(py, &warnings)?;
        self.nodes_to_py(py, &nodes, indices)
    }

    /// `_get_all_current(id_)`: what `current` shows (Alembic: a set; here load order).
    #[pyo3(signature = (id_, *, indices=false))]
    fn get_all_current<'py>(
        &self,
        py: Python<'py>,
        id_: &Bound<'py, PyAny>,
        indices: bool,
    ) -> PyResult<Bound<'py, PyList>> {
        let id = to_ident(id_, 0)?;
        let nodes = self.graph.get_all_current(&id).map_err(errors::py_err(py))?;
        self.nodes_to_py(py, &nodes, indices)
    }

    /// `_filter_into_branch_heads(targets)` (load order).
    #[pyo3(signature = (targets, *, indices=false))]
    fn filter_into_branch_heads<'py>(
        &self,
        py: Python<'py>,
        targets: &Bound<'py, PyAny>,
        indices: bool,
    ) -> PyResult<Bound<'py, PyList>> {
        let revs = self.to_revs(targets)?;
        let nodes = self.graph.filter_into_branch_heads(&revs).map_err(errors::py_err(py))?;
        self.nodes_to_py(py, &nodes, indices)
    }

    /// `_get_descendant_nodes(targets, ...)` in Alembic's walk order. Targets
    /// are int positions or map keys (ids, labels).
    #[pyo3(signature = (targets, include_dependencies=true, omit_immediate_dependencies=false, check=false, *, indices=false))]
    fn descendants<'py>(
        &self,
        py: Python<'py>,
        targets: &Bound<'py, PyAny>,
        include_dependencies: bool,
        omit_immediate_dependencies: bool,
        check: bool,
        indices: bool,
    ) -> PyResult<Bound<'py, PyList>> {
        let revs = self.to_revs(targets)?;
        let nodes = self
            .graph
            .descendants(&revs, include_dependencies, omit_immediate_dependencies, check)
            .map_err(errors::py_err(py))?;
        self.nodes_to_py(py, &nodes, indices)
    }

    /// `_get_ancestor_nodes(targets, ...)` in Alembic's walk order.
    #[pyo3(signature = (targets, include_dependencies=true, check=false, *, indices=false))]
    fn ancestors<'py>(
        &self,
        py: Python<'py>,
        targets: &Bound<'py, PyAny>,
        include_dependencies: bool,
        check: bool,
        indices: bool,
    ) -> PyResult<Bound<'py, PyList>> {
        let revs = self.to_revs(targets)?;
        let d = if include_dependencies {
            Direction::DownWithDependencies
        } else {
            Direction::Down
        };
        let nodes = self.graph.related(&revs, d, false, check).map_err(errors::py_err(py))?;
        self.nodes_to_py(py, &nodes, indices)
    }

    /// Everything Alembic's `Revision` knows about the revision the map answers
    /// for `key` (a revision id or label), or for a load position.
    fn revision_info<'py>(&self, py: Python<'py>, key: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyDict>> {
        let n = match self.to_rev(key)? {
            Rev::Node(n) => n,
            _ => {
                return Err(RevisionError::new_err(
                    "revision_info needs a revision id, label or position",
                ));
            }
        };
        let Some(i) = self.graph.info(n) else {
            return Err(RevisionError::new_err("no such revision"));
        };
        let d = PyDict::new(py);
        d.set_item("index", i.index)?;
        d.set_item("revision", &i.revision)?;
        d.set_item("down_revision", scalar(py, &i.down_revision)?)?;
        d.set_item("dependencies", scalar(py, &i.dependencies)?)?;
        d.set_item("orig_branch_labels", PyTuple::new(py, &i.orig_branch_labels)?)?;
        d.set_item("branch_labels", PyTuple::new(py, &i.branch_labels)?)?;
        d.set_item("nextrev", PyTuple::new(py, &i.nextrev)?)?;
        d.set_item("all_nextrev", PyTuple::new(py, &i.all_nextrev)?)?;
        d.set_item("resolved_dependencies", PyTuple::new(py, &i.resolved_dependencies)?)?;
        d.set_item(
            "normalized_resolved_dependencies",
            PyTuple::new(py, &i.normalized_resolved_dependencies)?,
        )?;
        d.set_item(
            "versioned_down_revisions",
            PyTuple::new(py, &i.versioned_down_revisions)?,
        )?;
        d.set_item("all_down_revisions", PyTuple::new(py, &i.all_down_revisions)?)?;
        d.set_item(
            "normalized_down_revisions",
            PyTuple::new(py, &i.normalized_down_revisions)?,
        )?;
        d.set_item("is_head", i.is_head)?;
        d.set_item("is_real_head", i.is_real_head)?;
        d.set_item("is_base", i.is_base)?;
        d.set_item("is_real_base", i.is_real_base)?;
        d.set_item("is_branch_point", i.is_branch_point)?;
        d.set_item("is_real_branch_point", i.is_real_branch_point)?;
        d.set_item("is_merge_point", i.is_merge_point)?;
        d.set_item("path", i.path.map(|p| p.display().to_string()))?;
        Ok(d)
    }

    /// `ScriptDirectory._upgrade_revs(destination, current_heads)`.
    fn upgrade_plan(
        &self,
        py: Python<'_>,
        destination: &Bound<'_, PyAny>,
        current_heads: &Bound<'_, PyAny>,
    ) -> PyResult<Vec<MigrationStep>> {
        self.plan(py, plan::upgrade_revs, destination, current_heads)
    }

    /// `ScriptDirectory._downgrade_revs(destination, current_heads)`.
    fn downgrade_plan(
        &self,
        py: Python<'_>,
        destination: &Bound<'_, PyAny>,
        current_heads: &Bound<'_, PyAny>,
    ) -> PyResult<Vec<MigrationStep>> {
        self.plan(py, plan::downgrade_revs, destination, current_heads)
    }

    /// `ScriptDirectory._stamp_revs(revision, current_heads)`.
    fn stamp_plan(
        &self,
        py: Python<'_>,
        revision: &Bound<'_, PyAny>,
        current_heads: &Bound<'_, PyAny>,
    ) -> PyResult<Vec<MigrationStep>> {
        self.plan(py, plan::stamp_revs, revision, current_heads)
    }

    /// `ScriptDirectory.walk_revisions(base, head)`: what `history` lists.
    #[pyo3(signature = (base="base", head="heads", *, indices=false))]
    fn walk_revisions<'py>(
        &self,
        py: Python<'py>,
        base: &str,
        head: &str,
        indices: bool,
    ) -> PyResult<Bound<'py, PyList>> {
        let nodes = plan::walk_revisions(&self.graph, base, head).map_err(errors::py_err(py))?;
        self.nodes_to_py(py, &nodes, indices)
    }

    /// Apply steps to version-table rows as `HeadMaintainer` does: returns
    /// (operations, resulting rows). Operations are `("insert", v)`,
    /// `("delete", v)` and `("update", from, to)`.
    fn apply_steps<'py>(
        &self,
        py: Python<'py>,
        current_heads: Vec<String>,
        steps: Vec<MigrationStep>,
    ) -> PyResult<(Bound<'py, PyList>, Bound<'py, PyTuple>)> {
        let steps: Vec<Step> = steps.into_iter().map(|s| s.step).collect();
        let applied = self.with_order(py, |order| {
            plan::apply_steps_with(&self.graph, &current_heads, &steps, order)
        })?;
        let ops = PyList::empty(py);
        for op in applied.ops {
            let t = match op {
                VersionOp::Insert(v) => PyTuple::new(py, ["insert".to_string(), v])?,
                VersionOp::Delete(v) => PyTuple::new(py, ["delete".to_string(), v])?,
                VersionOp::Update { from, to } => PyTuple::new(py, ["update".to_string(), from, to])?,
            };
            ops.append(t)?;
        }
        Ok((ops, PyTuple::new(py, applied.heads)?))
    }
}

fn scalar<'py>(py: Python<'py>, v: &[String]) -> PyResult<Bound<'py, PyAny>> {
    Ok(match v {
        [] => py.None().into_bound(py),
        [one] => PyString::new(py, one).into_any(),
        many => PyTuple::new(py, many)?.into_any(),
    })
}

fn ident_to_py<'py>(py: Python<'py>, i: &Ident) -> PyResult<Bound<'py, PyAny>> {
    Ok(match i {
        Ident::Nil => py.None().into_bound(py),
        Ident::Str(s) => PyString::new(py, s).into_any(),
        Ident::Tuple(v) => {
            let items: Vec<Bound<'py, PyAny>> = v.iter().map(|x| ident_to_py(py, x)).collect::<PyResult<_>>()?;
            PyTuple::new(py, items)?.into_any()
        }
        Ident::List(v) => {
            let items: Vec<Bound<'py, PyAny>> = v.iter().map(|x| ident_to_py(py, x)).collect::<PyResult<_>>()?;
            PyList::new(py, items)?.into_any()
        }
        Ident::Other(r) => PyString::new(py, r).into_any(),
    })
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<RevisionGraph>()?;
    m.add_class::<MigrationStep>()?;
    Ok(())
}
