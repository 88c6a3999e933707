//! `# monomig: allow[rule_id, ...] reason` comments in revision files.
//!
//! An allow at the end of a line of code applies to findings on that line; one on
//! a line of its own inside the code applies to the next line of code; one on a
//! line of its own before the first `def` of the file applies to the whole file.

/// One allow comment.
#[derive(Debug, Clone)]
pub struct Allow {
    /// 1-based line of the comment.
    pub line: usize,
    /// The line whose findings it silences; `None` for the whole file.
    pub target: Option<usize>,
    pub rules: Vec<String>,
    pub reason: String,
}

const MARK: &str = "# monomig: allow[";

/// The allow comments of a revision file's text.
pub fn parse(source: &str) -> Vec<Allow> {
    let lines: Vec<&str> = source.lines().collect();
    let first_def = lines
        .iter()
        .position(|l| l.starts_with("def ") || l.starts_with("async def "))
        .unwrap_or(lines.len());
    let mut found = Vec::new();
    for (i, text) in lines.iter().enumerate() {
        let Some(at) = text.find(MARK) else { continue };
        let rest = &text[at + MARK.len()..];
        let Some(close) = rest.find(']') else { continue };
        let rules = rest[..close]
            .split(',')
            .map(|r| r.trim().to_string())
            .filter(|r| !r.is_empty())
            .collect();
        let reason = rest[close + 1..].trim().to_string();
        let own_line = text[..at].trim().is_empty();
        let target = if !own_line {
            Some(i + 1)
        } else if i < first_def {
            None
        } else {
            // the next line that is neither blank nor a comment
            (i + 1..lines.len())
                .find(|&j| {
                    let t = lines[j].trim();
                    !t.is_empty() && !t.starts_with('#')
                })
                .map(|j| j + 1)
                .or(Some(i + 1))
        };
        found.push(Allow {
            line: i + 1,
            target,
            rules,
            reason,
        });
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_file_and_next_line_allows() {
        let src = "\"\"\"doc\"\"\"\n# monomig: allow[dropping_table] legacy table, unused since 2023\nimport x\n\ndef upgrade():\n    op.drop_column('t', 'c')  # monomig: allow[dropping_column, renaming_column] gone from the model\n    # monomig: allow[require_concurrent_index_creation]\n\n    op.create_index('ix', 't', ['c'])\n";
        let allows = parse(src);
        assert_eq!(allows.len(), 3);
        assert_eq!(allows[0].target, None);
        assert_eq!(allows[0].rules, vec!["dropping_table"]);
        assert_eq!(allows[0].reason, "legacy table, unused since 2023");
        assert_eq!(allows[1].target, Some(6));
        assert_eq!(allows[1].rules, vec!["dropping_column", "renaming_column"]);
        assert_eq!(allows[2].target, Some(9));
        assert_eq!(allows[2].reason, "");
    }
}
