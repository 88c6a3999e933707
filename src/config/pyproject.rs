//! `pyproject.toml`'s `[tool.alembic]` table, read as Alembic 1.20 reads it
//! (`Config.toml_alembic_config` and `Config._get_toml_config_value`): string
//! values, and the strings inside lists and tables, are `%`-expanded with
//! `here` set to the TOML file's directory.

use std::path::Path;

use super::ini::{io_reason, shown};
use super::pytext;
use crate::error::{Error, Result};

/// The `[tool.alembic]` table of one `pyproject.toml`.
#[derive(Debug, Clone, PartialEq)]
pub struct TomlConfig {
    /// The file, as given (relative paths are relative to the working directory).
    pub file: String,
    /// `%(here)s`: `Path(file).absolute().parent`, as a string.
    pub here: String,
    table: toml::Table,
    /// Integers and booleans are values (`_get_toml_config_value`, 1.16.5 on).
    integers: bool,
}

/// An Alembic option's value: an ini value is always `Str`; a `[tool.alembic]`
/// value is any of these, after Alembic's `%` expansion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OptionValue {
    Str(String),
    /// A list of strings (possibly empty).
    List(Vec<String>),
    /// A list of tables of strings (`[[tool.alembic.post_write_hooks]]`).
    Tables(Vec<Vec<(String, String)>>),
    /// A table of strings.
    Table(Vec<(String, String)>),
    Int(i64),
    Bool(bool),
}

impl OptionValue {
    /// Python's truth value of the same value (`""`, `[]`, `{}`, `0` and `false` are false).
    pub fn is_falsy(&self) -> bool {
        match self {
            OptionValue::Str(s) => s.is_empty(),
            OptionValue::List(v) => v.is_empty(),
            OptionValue::Tables(v) => v.is_empty(),
            OptionValue::Table(v) => v.is_empty(),
            OptionValue::Int(i) => *i == 0,
            OptionValue::Bool(b) => !*b,
        }
    }
}

impl TomlConfig {
    /// Read `file` (`display` names it in messages; `here` is its directory).
    /// `Ok(None)` when the file does not exist, as Alembic ignores it then.
    pub fn load(path: &Path, display: &str, here: String) -> Result<Option<TomlConfig>> {
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            // Alembic skips a file that does not exist (`Path.exists()`, which follows symlinks).
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                return Err(Error::config(format!("cannot read {display}: {}", io_reason(&e)))
                    .at_path(display)
                    .caused_by(e));
            }
        };
        let text = std::str::from_utf8(&bytes).map_err(|e| {
            let line = bytes[..e.valid_up_to()].iter().filter(|&&b| b == b'\n').count() + 1;
            Error::config(format!(
                "{display}, line {line}: the file is not valid UTF-8; TOML files must be UTF-8"
            ))
            .at_path(display)
            .at_line(line)
            .caused_by(e)
        })?;
        Self::parse(text, display, here).map(Some)
    }

    /// Parse TOML text and take its `[tool.alembic]` table.
    pub fn parse(text: &str, display: &str, here: String) -> Result<TomlConfig> {
        let doc: toml::Table = text.parse().map_err(|e: toml::de::Error| {
            let line = e
                .span()
                .map(|s| text.as_bytes().iter().take(s.start).filter(|&&b| b == b'\n').count() + 1);
            let err = Error::config(format!(
                "{display}{}: not valid TOML: {}",
                line.map(|l| format!(", line {l}")).unwrap_or_default(),
                e.message().trim_end().trim_end_matches('.')
            ))
            .at_path(display);
            match line {
                Some(l) => err.at_line(l),
                None => err,
            }
            .caused_by(e)
        })?;
        let table = match doc.get("tool") {
            None => toml::Table::new(),
            Some(toml::Value::Table(tool)) => match tool.get("alembic") {
                None => toml::Table::new(),
                Some(toml::Value::Table(t)) => t.clone(),
                Some(_) => {
                    return Err(Error::config(format!(
                        "{display}: 'tool.alembic' must be a table ([tool.alembic]); Alembic reports \
                         \"Incorrect TOML format\""
                    )));
                }
            },
            Some(_) => {
                return Err(Error::config(format!(
                    "{display}: 'tool' must be a table ([tool.alembic] lives inside it)"
                )));
            }
        };
        Ok(TomlConfig {
            file: display.to_owned(),
            here,
            table,
            integers: true,
        })
    }

    /// The table as `alembic` release `version` reads it: before 1.16.5 an
    /// integer or boolean value is "unsupported TOML value type".
    pub fn for_alembic(mut self, version: super::AlembicVersion) -> Self {
        self.integers = version.toml_integers();
        self
    }

    /// Whether `[tool.alembic]` sets `name`.
    pub fn contains(&self, name: &str) -> bool {
        self.table.contains_key(name)
    }

    /// The keys of `[tool.alembic]`, in file order.
    pub fn keys(&self) -> impl Iterator<Item = &str> + '_ {
        self.table.keys().map(|k| k.as_str())
    }

    fn args(&self) -> Vec<(String, String)> {
        vec![("here".to_string(), self.here.clone())]
    }

    fn expand(&self, name: &str, s: &str) -> Result<String> {
        pytext::percent_format(s, &self.args()).map_err(|why| {
            Error::config(format!(
                "{}, [tool.alembic] {name} = {}: cannot expand '%': {why}; write '%(here)s' for the file's \
                 directory and '%%' for a literal '%'",
                self.file,
                shown(s)
            ))
            .at_path(&self.file)
            .in_section("tool.alembic", Some(name))
        })
    }

    /// `_get_toml_config_value(name)`: `None` when the key is absent.
    pub fn value(&self, name: &str) -> Result<Option<OptionValue>> {
        let Some(v) = self.table.get(name) else {
            return Ok(None);
        };
        let bad = |what: &str| {
            Error::config(format!("{}, [tool.alembic] {name}: {what}", self.file))
                .at_path(&self.file)
                .in_section("tool.alembic", Some(name))
        };
        Ok(Some(match v {
            toml::Value::String(s) => OptionValue::Str(self.expand(name, s)?),
            toml::Value::Integer(_) | toml::Value::Boolean(_) if !self.integers => {
                return Err(bad(&format!(
                    "unsupported TOML value type (this Alembic, before 1.16.5, reads no integers or booleans \
                     here: write the value as a string, \"{v}\", or upgrade Alembic)"
                )));
            }
            toml::Value::Integer(i) => OptionValue::Int(*i),
            toml::Value::Boolean(b) => OptionValue::Bool(*b),
            toml::Value::Array(items) => {
                if let Some(toml::Value::Table(_)) = items.first() {
                    let mut tables = Vec::with_capacity(items.len());
                    for item in items {
                        let toml::Value::Table(t) = item else {
                            return Err(bad("a list that starts with a table must hold only tables"));
                        };
                        tables.push(self.string_table(name, t)?);
                    }
                    OptionValue::Tables(tables)
                } else {
                    let mut list = Vec::with_capacity(items.len());
                    for item in items {
                        let toml::Value::String(s) = item else {
                            return Err(bad("every item of the list must be a string"));
                        };
                        list.push(self.expand(name, s)?);
                    }
                    OptionValue::List(list)
                }
            }
            toml::Value::Table(t) => OptionValue::Table(self.string_table(name, t)?),
            toml::Value::Float(_) | toml::Value::Datetime(_) => {
                return Err(bad(&format!(
                    "unsupported TOML value type for key: '{name}' (use a string, an integer, a boolean, a \
                     list or a table)"
                )));
            }
        }))
    }

    fn string_table(&self, name: &str, t: &toml::Table) -> Result<Vec<(String, String)>> {
        t.iter()
            .map(|(k, v)| match v {
                toml::Value::String(s) => Ok((k.clone(), self.expand(name, s)?)),
                _ => Err(Error::config(format!(
                    "{}, [tool.alembic] {name}: the value of '{k}' must be a string",
                    self.file
                ))),
            })
            .collect()
    }

    /// `get_alembic_boolean_option`'s TOML half: absent is false, anything
    /// but a boolean is an error.
    pub fn boolean(&self, name: &str) -> Result<bool> {
        match self.table.get(name) {
            None => Ok(false),
            Some(toml::Value::Boolean(b)) => Ok(*b),
            Some(_) => Err(Error::config(format!(
                "{}, [tool.alembic] {name}: boolean value expected for TOML parameter '{name}' (write true or \
                 false, without quotes)",
                self.file
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(text: &str) -> Result<TomlConfig> {
        TomlConfig::parse(text, "pyproject.toml", "/p".into())
    }

    #[test]
    fn values_are_expanded() {
        let c = cfg(
            "[tool.alembic]\nscript_location = \"%(here)s/m\"\nversion_locations = [\"%(here)s/a\", \"b%%\"]\n\
             n = 3\nb = true\nf = 1.5\n[[tool.alembic.post_write_hooks]]\nname = \"black\"\ntype = \"x\"\n",
        )
        .unwrap();
        assert_eq!(
            c.value("script_location").unwrap(),
            Some(OptionValue::Str("/p/m".into()))
        );
        assert_eq!(
            c.value("version_locations").unwrap(),
            Some(OptionValue::List(vec!["/p/a".into(), "b%".into()]))
        );
        assert_eq!(c.value("n").unwrap(), Some(OptionValue::Int(3)));
        assert_eq!(c.value("nope").unwrap(), None);
        assert!(c.value("f").is_err());
        assert!(c.boolean("b").unwrap());
        assert!(!c.boolean("absent").unwrap());
        assert!(c.boolean("n").is_err());
        assert_eq!(
            c.value("post_write_hooks").unwrap(),
            Some(OptionValue::Tables(vec![vec![
                ("name".into(), "black".into()),
                ("type".into(), "x".into())
            ]]))
        );
    }

    #[test]
    fn bad_files() {
        assert!(cfg("[tool.alembic\n").unwrap_err().message().contains("line 1"));
        assert!(cfg("tool = 1\n").is_err());
        assert!(cfg("[tool]\nalembic = 1\n").is_err());
        assert!(cfg("[project]\nname = \"x\"\n").unwrap().value("x").unwrap().is_none());
        assert!(cfg("[tool.alembic]\nx = \"100%\"\n").unwrap().value("x").is_err());
    }
}
