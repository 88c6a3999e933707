//! Which Alembic release's rules the configuration reader follows.
//!
//! monomig imitates the Alembic that is installed beside it (1.13.0 to 1.20.x).
//! The configuration rules changed twice in that range (read from each
//! release's `alembic/config.py` and `ScriptDirectory.from_config`):
//!
//! - 1.13.3 (#1509): `version_path_separator = newline` is accepted and the
//!   split items are stripped (1.13.0-1.13.2: neither).
//! - 1.16.0 (#1082, #1330): `[tool.alembic]` of `pyproject.toml`, the
//!   `path_separator` key (also for `prepend_sys_path`), deprecation warnings
//!   for the legacy splits and `version_path_separator`, and `pathlib` paths.
//!   Before, every option comes from the ini section (with `[DEFAULT]`) only,
//!   `version_locations` is split by `version_path_separator` alone,
//!   `prepend_sys_path` always by `re.split(r", *|(?: +)|\:")`, and `%(here)s`
//!   and the version locations are `os.path.abspath` strings (`..` folded).
//!
//! The Python side passes the installed Alembic's `__version__`
//! (`monomig._alembic_support.installed_version`); without one, the newest
//! rules apply. The one place where each rule's version is written down.

use std::fmt;

/// An Alembic release, `major.minor.patch`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AlembicVersion {
    pub major: u32,
    pub minor: u32,
    pub patch: u32,
}

impl AlembicVersion {
    /// The release monomig is written against and whose rules apply when the
    /// installed version is unknown.
    pub const NEWEST: AlembicVersion = AlembicVersion::new(1, 20, 1);

    pub const fn new(major: u32, minor: u32, patch: u32) -> Self {
        AlembicVersion { major, minor, patch }
    }

    /// `"1.13.3"` -> 1.13.3; the leading numbers of a pre-release or local
    /// version (`"1.21.0b1"` -> 1.21.0, `"1.16"` -> 1.16.0); `None` when the
    /// text does not start with a number.
    pub fn parse(text: &str) -> Option<Self> {
        let mut parts = [0u32; 3];
        let mut found = 0;
        for (i, piece) in text.trim().split('.').take(3).enumerate() {
            let digits: String = piece.chars().take_while(char::is_ascii_digit).collect();
            if digits.is_empty() {
                break;
            }
            parts[i] = digits.parse().ok()?;
            found = i + 1;
            if digits.len() != piece.len() {
                break;
            }
        }
        (found > 0).then(|| AlembicVersion::new(parts[0], parts[1], parts[2]))
    }

    fn at_least(self, major: u32, minor: u32, patch: u32) -> bool {
        self >= AlembicVersion::new(major, minor, patch)
    }

    /// `[tool.alembic]` in `pyproject.toml` is read (1.16.0).
    pub fn reads_pyproject(self) -> bool {
        self.at_least(1, 16, 0)
    }

    /// The `path_separator` key exists, `prepend_sys_path` follows it, and the
    /// legacy splits and `version_path_separator` warn (1.16.0). Before,
    /// `version_locations` is split by `version_path_separator` only, without
    /// warnings, and `prepend_sys_path` by spaces, commas and colons.
    pub fn has_path_separator(self) -> bool {
        self.at_least(1, 16, 0)
    }

    /// `version_path_separator = newline` is accepted and the split items
    /// are stripped (1.13.3).
    pub fn separator_newline_and_strip(self) -> bool {
        self.at_least(1, 13, 3)
    }

    /// `%(here)s` and the version locations are `os.path.abspath` strings,
    /// with `..` folded (before 1.16.0); from 1.16 `Path.absolute()`, which
    /// keeps `..`.
    pub fn folds_dot_dot(self) -> bool {
        !self.at_least(1, 16, 0)
    }

    /// A TOML boolean is accepted for `sourceless` and
    /// `recursive_version_locations` (1.16.4, #1694); 1.16.0-1.16.3 fail with
    /// "unsupported TOML value type".
    pub fn toml_booleans(self) -> bool {
        self.at_least(1, 16, 4)
    }

    /// A TOML integer is accepted (`truncate_slug_length`, 1.16.5, #1709).
    pub fn toml_integers(self) -> bool {
        self.at_least(1, 16, 5)
    }

    /// `-c/--config` may be given twice (an ini and a `pyproject.toml`), 1.16.0;
    /// before, the last `-c` wins and an empty `ALEMBIC_CONFIG` names no file.
    pub fn appendable_config_option(self) -> bool {
        self.at_least(1, 16, 0)
    }

    /// `:` is allowed in revision identifiers (before 1.17.1, #1540).
    pub fn colon_in_revision_ids(self) -> bool {
        !self.at_least(1, 17, 1)
    }
}

impl Default for AlembicVersion {
    fn default() -> Self {
        AlembicVersion::NEWEST
    }
}

impl fmt::Display for AlembicVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_like_alembic_support() {
        assert_eq!(AlembicVersion::parse("1.13.3"), Some(AlembicVersion::new(1, 13, 3)));
        assert_eq!(AlembicVersion::parse("1.21.0b1"), Some(AlembicVersion::new(1, 21, 0)));
        assert_eq!(AlembicVersion::parse("1.16"), Some(AlembicVersion::new(1, 16, 0)));
        assert_eq!(
            AlembicVersion::parse(" 1.20.1.dev0 "),
            Some(AlembicVersion::new(1, 20, 1))
        );
        assert_eq!(AlembicVersion::parse("x1"), None);
        assert_eq!(AlembicVersion::parse(""), None);
        assert_eq!(AlembicVersion::parse("99999999999.1"), None);
    }

    #[test]
    fn rules_change_where_alembic_changed() {
        let v = |s: &str| AlembicVersion::parse(s).unwrap();
        assert!(!v("1.15.2").reads_pyproject() && v("1.16.0").reads_pyproject());
        assert!(!v("1.13.2").separator_newline_and_strip() && v("1.13.3").separator_newline_and_strip());
        assert!(v("1.15.2").folds_dot_dot() && !v("1.16.0").folds_dot_dot());
        assert!(!v("1.16.3").toml_booleans() && v("1.16.4").toml_booleans());
        assert!(!v("1.16.4").toml_integers() && v("1.16.5").toml_integers());
        assert!(v("1.17.0").colon_in_revision_ids() && !v("1.17.1").colon_in_revision_ids());
        assert_eq!(AlembicVersion::default().to_string(), "1.20.1");
    }
}
