//! The `check --all` findings of a service's `monomig.sum`.
//!
//! - `modified_revision`: a file's contents differ from its line in the sum;
//! - `deleted_revision`: a line names a file that no longer exists (and no new file
//!   has its contents);
//! - `renamed_revision`: a line names a file that no longer exists and a file not in
//!   the sum has exactly its contents;
//! - `unhashed_revision`: a revision file the sum does not name (a finding only when
//!   `required`: `--strict` or `monomig.sum_required = true`);
//! - `stale_sum`: the header does not match the lines, a line is damaged (a git
//!   conflict marker, a hand edit), or the sum is required and missing.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use super::{FILE_NAME, SumService, compute, parse};
use crate::fleet::check::Finding;

fn finding(svc: &str, code: &str, message: String, path: &Path, line: usize, revision: Option<&str>) -> Finding {
    Finding {
        service: svc.to_owned(),
        code: code.to_owned(),
        message,
        path: Some(path.display().to_string()),
        line: Some(line),
        revision: revision.map(str::to_owned),
    }
}

/// Every sum finding of `svc`. Without a sum file: none, unless `required`.
/// `sum_required` (the section's `monomig.sum_required`) makes a missing sum a finding;
/// `required` (that or `--strict`) makes files missing from the sum findings.
pub fn findings(svc: &SumService, required: bool, sum_required: bool) -> Vec<Finding> {
    let name = svc.name.as_str();
    let Some(sum_path) = svc.sum_path() else {
        return Vec::new();
    };
    let text = match std::fs::read(&sum_path) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if !sum_required {
                return Vec::new();
            }
            return vec![finding(
                name,
                "stale_sum",
                format!(
                    "service '{name}' sets monomig.sum_required = true but has no {}; write it with \
                     `monomig hash -n {name}` and commit it.",
                    sum_path.display()
                ),
                &sum_path,
                1,
                None,
            )];
        }
        Err(e) => {
            return vec![finding(
                name,
                "stale_sum",
                format!("service '{name}': cannot read {}: {e}", sum_path.display()),
                &sum_path,
                1,
                None,
            )];
        }
    };
    let sum = sum_path.display().to_string();
    let parsed = parse(&text);
    let mut out = Vec::new();
    if let Some(why) = &parsed.header_problem {
        out.push(finding(
            name,
            "stale_sum",
            format!(
                "service '{name}': {sum} is stale: {why}; check the revision files, then write it again \
                 with `monomig hash -n {name}`."
            ),
            &sum_path,
            1,
            None,
        ));
    }
    for (line, why) in &parsed.damaged {
        out.push(finding(
            name,
            "stale_sum",
            format!("service '{name}': {sum} line {line} is {why}."),
            &sum_path,
            *line,
            None,
        ));
    }
    let current = match compute(svc) {
        Ok(c) => c,
        Err(e) => {
            out.push(finding(
                name,
                "unreadable_revision",
                format!("service '{name}': its revision files could not be hashed: {e}"),
                &sum_path,
                1,
                None,
            ));
            return out;
        }
    };
    let base = svc
        .version_locations
        .first()
        .map(|p| p.as_path())
        .unwrap_or(Path::new("."));
    let now: HashMap<&str, &super::Entry> = current.iter().map(|e| (e.path.as_str(), e)).collect();
    let summed: HashSet<&str> = parsed.entries.iter().map(|(_, e)| e.path.as_str()).collect();
    let mut unsummed: Vec<&super::Entry> = current.iter().filter(|e| !summed.contains(e.path.as_str())).collect();
    for (line, e) in &parsed.entries {
        match now.get(e.path.as_str()) {
            Some(cur) if cur.hash != e.hash => out.push(finding(
                name,
                "modified_revision",
                format!(
                    "service '{name}': {} changed after {FILE_NAME} recorded it ({sum} line {line}: {}, \
                     the file now: {}); a revision that may already have run must not change. Revert \
                     the edit, or when the change is meant, write the sum again with `monomig hash -n \
                     {name}`.",
                    e.path, e.hash, cur.hash
                ),
                &base.join(&e.path),
                1,
                cur.revision.as_deref(),
            )),
            Some(_) => {}
            None => {
                if let Some(i) = unsummed.iter().position(|u| u.hash == e.hash) {
                    let new = unsummed.remove(i);
                    out.push(finding(
                        name,
                        "renamed_revision",
                        format!(
                            "service '{name}': {} was renamed to {} ({sum} line {line} names the old \
                             path); if that is meant, write the sum again with `monomig hash -n {name}`.",
                            e.path, new.path
                        ),
                        &base.join(&new.path),
                        1,
                        new.revision.as_deref(),
                    ));
                } else {
                    out.push(finding(
                        name,
                        "deleted_revision",
                        format!(
                            "service '{name}': {} is named by {sum} line {line} but no longer exists; \
                             a revision that may already have run must stay. Restore it, or when \
                             the deletion is meant, write the sum again with `monomig hash -n {name}`.",
                            e.path
                        ),
                        &sum_path,
                        *line,
                        None,
                    ));
                }
            }
        }
    }
    if required {
        for u in unsummed {
            out.push(finding(
                name,
                "unhashed_revision",
                format!(
                    "service '{name}': {} is not in {sum}; add it with `monomig hash -n {name}` (the \
                     drop-in `monomig revision` and `monomig merge` do this themselves).",
                    u.path
                ),
                &base.join(&u.path),
                1,
                u.revision.as_deref(),
            ));
        }
    }
    out
}
