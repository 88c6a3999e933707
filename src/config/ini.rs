//! An ini reader that behaves exactly like Python 3.11's
//! `configparser.ConfigParser()` (strict, `BasicInterpolation`, `=`/`:`
//! delimiters, `#`/`;` full-line comments, no inline comments, no valueless
//! keys, blank lines allowed inside values), which is how Alembic reads
//! `alembic.ini`.
//!
//! Parsing ([`Ini::parse`], [`Ini::read_file`]) fails where `read_string` /
//! `read` raise; value access ([`Ini::get`], [`Ini::items`]) interpolates on
//! demand and fails where `get` / `items` raise. Every error names the file,
//! the line and the section.

use std::collections::HashMap;
use std::fmt;
use std::path::Path;

use super::redact::mask_password;
use crate::error::Error;
use crate::pystr::{self, is_space, lower, rstrip, strip};

/// `configparser.MAX_INTERPOLATION_DEPTH`.
pub const MAX_INTERPOLATION_DEPTH: usize = 10;

/// An interpolated value larger than this, or that takes more reference
/// expansions than [`MAX_INTERPOLATION_STEPS`], is refused (Python would build
/// it, slowly); it only happens with deliberately exploding references.
const MAX_INTERPOLATED_LEN: usize = 32 * 1024 * 1024;
const MAX_INTERPOLATION_STEPS: usize = 1_000_000;

/// The name of the defaults section, `configparser.DEFAULTSECT`.
pub const DEFAULT_SECTION: &str = "DEFAULT";

/// Which Python exception the same input raises.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IniErrorKind {
    /// The file cannot be opened or read (`OSError`).
    Io,
    /// The file is not valid UTF-8 (`UnicodeDecodeError`).
    Decode,
    /// An option before the first section header (`MissingSectionHeaderError`).
    MissingSectionHeader,
    /// Lines that are neither header, option, comment nor continuation (`ParsingError`).
    Parsing,
    /// `DuplicateSectionError`.
    DuplicateSection,
    /// `DuplicateOptionError`.
    DuplicateOption,
    /// `NoSectionError`.
    NoSection,
    /// `InterpolationSyntaxError`.
    InterpolationSyntax,
    /// `InterpolationMissingOptionError`.
    InterpolationMissingOption,
    /// `InterpolationDepthError`.
    InterpolationDepth,
    /// An interpolation that expands beyond monomig's size limit (Python would go on).
    InterpolationTooLarge,
}

impl IniErrorKind {
    /// The name of the Python exception class raised for the same input.
    pub fn python_name(self) -> &'static str {
        match self {
            IniErrorKind::Io => "OSError",
            IniErrorKind::Decode => "UnicodeDecodeError",
            IniErrorKind::MissingSectionHeader => "MissingSectionHeaderError",
            IniErrorKind::Parsing => "ParsingError",
            IniErrorKind::DuplicateSection => "DuplicateSectionError",
            IniErrorKind::DuplicateOption => "DuplicateOptionError",
            IniErrorKind::NoSection => "NoSectionError",
            IniErrorKind::InterpolationSyntax => "InterpolationSyntaxError",
            IniErrorKind::InterpolationMissingOption => "InterpolationMissingOptionError",
            IniErrorKind::InterpolationDepth => "InterpolationDepthError",
            IniErrorKind::InterpolationTooLarge => "MemoryError",
        }
    }
}

/// An ini file that cannot be read, or a value that cannot be interpolated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IniError {
    pub kind: IniErrorKind,
    /// The file (or other source) name, as given.
    pub source: String,
    /// The 1-based line the error is about, when there is one.
    pub line: Option<usize>,
    /// The section the error is about, when there is one.
    pub section: Option<String>,
    /// The option the error is about, when there is one.
    pub option: Option<String>,
    /// One paragraph saying what is wrong and what to do.
    pub message: String,
}

impl fmt::Display for IniError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for IniError {}

impl From<IniError> for Error {
    /// A configuration error that keeps the file, line, section and option,
    /// with the [`IniError`] (and its configparser kind) as its source.
    fn from(e: IniError) -> Self {
        let mut err = Error::config(e.message.clone()).at_path(&e.source);
        if let Some(line) = e.line {
            err = err.at_line(line);
        }
        if let Some(section) = &e.section {
            err = err.in_section(section, e.option.as_deref());
        }
        err.caused_by(e)
    }
}

/// One option: its lower-cased name, its raw (not interpolated) value and the
/// line it starts on (0 for defaults given by the program, such as `here`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub key: String,
    pub value: String,
    pub line: usize,
}

/// One section: its name exactly as written, its header line and its own
/// options in file order (without the `[DEFAULT]` ones).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    pub name: String,
    pub line: usize,
    pub entries: Vec<Entry>,
    /// Option name -> position in `entries`, so that lookups stay constant-time in
    /// sections with many options.
    keys: HashMap<String, usize>,
}

impl Section {
    /// This section's own raw option (not `[DEFAULT]`'s).
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        self.keys.get(key).and_then(|&i| self.entries.get(i))
    }
}

fn key_index(entries: &[Entry]) -> HashMap<String, usize> {
    entries.iter().enumerate().map(|(i, e)| (e.key.clone(), i)).collect()
}

/// A parsed ini file: `[DEFAULT]` and the sections in file order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ini {
    source: String,
    defaults: Vec<Entry>,
    /// Option name -> position in `defaults`.
    default_keys: HashMap<String, usize>,
    sections: Vec<Section>,
    index: HashMap<String, usize>,
}

/// A quoted, password-masked rendering of user text for messages.
pub(crate) fn shown(s: &str) -> String {
    let masked = mask_password(s);
    pystr::repr(&masked)
}

enum Cursor {
    Defaults,
    Section(usize),
}

impl Ini {
    /// `ConfigParser().read_string(text, source)`: lines end at `\n` only.
    pub fn parse(text: &str, source: &str) -> Result<Ini, IniError> {
        Self::parse_with_defaults(text, source, &[])
    }

    /// `ConfigParser(defaults).read_string(text, source)`. Default keys are
    /// lower-cased; a `[DEFAULT]` option of the same name replaces the value.
    pub fn parse_with_defaults(text: &str, source: &str, defaults: &[(String, String)]) -> Result<Ini, IniError> {
        let mut ini = Ini {
            source: source.to_owned(),
            defaults: Vec::new(),
            default_keys: HashMap::new(),
            sections: Vec::new(),
            index: HashMap::new(),
        };
        for (k, v) in defaults {
            let key = lower(k);
            match ini.defaults.iter_mut().find(|e| e.key == key) {
                Some(e) => e.value = v.clone(),
                None => ini.defaults.push(Entry {
                    key,
                    value: v.clone(),
                    line: 0,
                }),
            }
        }
        ini.default_keys = key_index(&ini.defaults);
        ini.read(text)?;
        Ok(ini)
    }

    /// `ConfigParser(defaults).read(path, encoding="utf-8")` as Alembic calls
    /// it (its "locale" encoding is UTF-8 here), except that a file that
    /// cannot be opened is an error instead of being skipped. `display` names
    /// the file in messages.
    pub fn read_file(path: &Path, display: &str, defaults: &[(String, String)]) -> Result<Ini, IniError> {
        let bytes = std::fs::read(path).map_err(|e| IniError {
            kind: IniErrorKind::Io,
            source: display.to_owned(),
            line: None,
            section: None,
            option: None,
            message: format!("cannot read {display}: {}", io_reason(&e)),
        })?;
        let text = decode(&bytes, display)?;
        Self::parse_with_defaults(&text, display, defaults)
    }

    /// The file name used in messages.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Section names in file order, without `DEFAULT` (`sections()`).
    pub fn sections(&self) -> impl Iterator<Item = &str> + '_ {
        self.sections.iter().map(|s| s.name.as_str())
    }

    /// A section, with its own options only.
    pub fn section(&self, name: &str) -> Option<&Section> {
        self.index.get(name).and_then(|&i| self.sections.get(i))
    }

    /// `[DEFAULT]`'s options (and the program's defaults), raw.
    pub fn defaults(&self) -> &[Entry] {
        &self.defaults
    }

    fn default_entry(&self, key: &str) -> Option<&Entry> {
        self.default_keys.get(key).and_then(|&i| self.defaults.get(i))
    }

    /// `has_section(name)`: `DEFAULT` is not a section.
    pub fn has_section(&self, name: &str) -> bool {
        self.index.contains_key(name)
    }

    /// `has_option(section, key)`: the section or `[DEFAULT]` has it; an empty
    /// or `DEFAULT` section name asks `[DEFAULT]` only; a missing section has none.
    pub fn has_option(&self, section: &str, key: &str) -> bool {
        let key = lower(key);
        if section.is_empty() || section == DEFAULT_SECTION {
            return self.default_entry(&key).is_some();
        }
        match self.section(section) {
            None => false,
            Some(s) => s.entry(&key).is_some() || self.default_entry(&key).is_some(),
        }
    }

    /// The raw entry `get(section, key, raw=True)` would return, or `None`
    /// when the section (other than `DEFAULT`) or the option does not exist.
    pub fn get_raw(&self, section: &str, key: &str) -> Option<&Entry> {
        let key = lower(key);
        let sec = if section == DEFAULT_SECTION {
            None
        } else {
            Some(self.section(section)?)
        };
        self.lookup(sec, &key)
    }

    /// `get(section, key, fallback=None)`: the interpolated value, `None` when
    /// the section (other than `DEFAULT`) or the option does not exist.
    pub fn get(&self, section: &str, key: &str) -> Result<Option<String>, IniError> {
        let key = lower(key);
        let sec = if section == DEFAULT_SECTION {
            None
        } else {
            match self.section(section) {
                Some(s) => Some(s),
                None => return Ok(None),
            }
        };
        match self.lookup(sec, &key) {
            None => Ok(None),
            Some(entry) => self.interpolate(section, sec, entry).map(Some),
        }
    }

    /// `items(section)`: `[DEFAULT]`'s options then the section's own new
    /// ones (a section option that overrides a default keeps the default's
    /// place), every value interpolated, in order; the first value that
    /// cannot be interpolated is the error.
    pub fn items(&self, section: &str) -> Result<Vec<(String, String)>, IniError> {
        let sec = self.items_section(section)?;
        self.merged(sec)
            .into_iter()
            .map(|e| Ok((e.key.clone(), self.interpolate(section, sec, e)?)))
            .collect()
    }

    /// `items(section, raw=True)`.
    pub fn items_raw(&self, section: &str) -> Result<Vec<(String, String)>, IniError> {
        let sec = self.items_section(section)?;
        Ok(self
            .merged(sec)
            .into_iter()
            .map(|e| (e.key.clone(), e.value.clone()))
            .collect())
    }

    fn items_section(&self, section: &str) -> Result<Option<&Section>, IniError> {
        if section == DEFAULT_SECTION {
            return Ok(None);
        }
        match self.section(section) {
            Some(s) => Ok(Some(s)),
            None => Err(IniError {
                kind: IniErrorKind::NoSection,
                source: self.source.clone(),
                line: None,
                section: Some(section.to_owned()),
                option: None,
                message: format!("{} has no section [{}]", self.source, section),
            }),
        }
    }

    fn merged<'a>(&'a self, sec: Option<&'a Section>) -> Vec<&'a Entry> {
        let mut out: Vec<&Entry> = Vec::with_capacity(self.defaults.len() + sec.map_or(0, |s| s.entries.len()));
        for d in &self.defaults {
            out.push(sec.and_then(|s| s.entry(&d.key)).unwrap_or(d));
        }
        if let Some(s) = sec {
            for e in &s.entries {
                if self.default_entry(&e.key).is_none() {
                    out.push(e);
                }
            }
        }
        out
    }

    fn lookup<'a>(&'a self, sec: Option<&'a Section>, key: &str) -> Option<&'a Entry> {
        sec.and_then(|s| s.entry(key)).or_else(|| self.default_entry(key))
    }

    /// `BasicInterpolation.before_get` for `entry` read through `section`.
    fn interpolate(&self, section: &str, sec: Option<&Section>, entry: &Entry) -> Result<String, IniError> {
        if !entry.value.contains('%') {
            return Ok(entry.value.clone());
        }
        let mut out = String::with_capacity(entry.value.len());
        let mut steps = 0;
        self.interpolate_some(section, sec, entry, &entry.value, 1, &mut out, &mut steps)?;
        Ok(out)
    }

    #[allow(clippy::too_many_arguments)]
    fn interpolate_some(
        &self,
        section: &str,
        sec: Option<&Section>,
        entry: &Entry,
        value: &str,
        depth: usize,
        out: &mut String,
        steps: &mut usize,
    ) -> Result<(), IniError> {
        if depth > MAX_INTERPOLATION_DEPTH {
            return Err(self.interp_error(
                IniErrorKind::InterpolationDepth,
                section,
                entry,
                format!(
                    "its references go more than {MAX_INTERPOLATION_DEPTH} levels deep, which usually means \
                     options refer to each other in a cycle; break the cycle"
                ),
            ));
        }
        let mut rest = value;
        while !rest.is_empty() {
            let Some(p) = rest.find('%') else {
                out.push_str(rest);
                break;
            };
            out.push_str(&rest[..p]);
            rest = &rest[p..];
            let next = rest[1..].chars().next();
            match next {
                Some('%') => {
                    out.push('%');
                    rest = &rest[2..];
                }
                Some('(') => {
                    // %\(([^)]+)\)s
                    let close = rest[2..].find(')').map(|i| i + 2);
                    let ok = matches!(close, Some(c) if c > 2 && rest[c + 1..].starts_with('s'));
                    let Some(close) = close.filter(|_| ok) else {
                        return Err(self.interp_error(
                            IniErrorKind::InterpolationSyntax,
                            section,
                            entry,
                            format!(
                                "{} is not a valid reference; references are written '%(name)s', and a literal \
                                 '%' is written '%%'",
                                shown(rest)
                            ),
                        ));
                    };
                    let name = lower(&rest[2..close]);
                    rest = &rest[close + 2..];
                    let Some(target) = self.lookup(sec, &name) else {
                        return Err(self.interp_error(
                            IniErrorKind::InterpolationMissingOption,
                            section,
                            entry,
                            format!(
                                "it refers to %({name})s, but neither [{section}] nor [DEFAULT] has an option \
                                 '{name}'; define it, or write '%%' for a literal '%'"
                            ),
                        ));
                    };
                    *steps += 1;
                    if target.value.contains('%') {
                        self.interpolate_some(section, sec, entry, &target.value, depth + 1, out, steps)?;
                    } else {
                        out.push_str(&target.value);
                    }
                }
                _ => {
                    return Err(self.interp_error(
                        IniErrorKind::InterpolationSyntax,
                        section,
                        entry,
                        format!(
                            "'%' must be followed by '%' or '(' (found {}); write '%%' for a literal '%' \
                             (URL-encoded passwords need every '%' doubled in alembic.ini)",
                            shown(rest)
                        ),
                    ));
                }
            }
            if out.len() > MAX_INTERPOLATED_LEN || *steps > MAX_INTERPOLATION_STEPS {
                return Err(self.interp_error(
                    IniErrorKind::InterpolationTooLarge,
                    section,
                    entry,
                    "its references expand to more than 32 MiB of text or a million references".to_string(),
                ));
            }
        }
        Ok(())
    }

    fn interp_error(&self, kind: IniErrorKind, section: &str, entry: &Entry, what: String) -> IniError {
        // Whether `entry` is one of [DEFAULT]'s (an address check: constant time, however
        // many defaults there are).
        let is_default = self.defaults.as_ptr_range().contains(&std::ptr::from_ref(entry));
        let origin = if entry.line == 0 {
            format!(
                "{}, option '{}' (a default given by the program)",
                self.source, entry.key
            )
        } else {
            let from = if is_default {
                "[DEFAULT]".to_string()
            } else {
                format!("[{section}]")
            };
            format!("{}, line {}, {}, option '{}'", self.source, entry.line, from, entry.key)
        };
        let via = if is_default && section != DEFAULT_SECTION {
            format!(" (read through section [{section}])")
        } else {
            String::new()
        };
        IniError {
            kind,
            source: self.source.clone(),
            line: (entry.line > 0).then_some(entry.line),
            section: Some(section.to_owned()),
            option: Some(entry.key.clone()),
            message: format!(
                "{origin}{via}: cannot interpolate the value {}: {what}.",
                shown(&entry.value)
            ),
        }
    }

    /// `RawConfigParser._read` with Alembic's parser settings.
    fn read(&mut self, text: &str) -> Result<(), IniError> {
        // Values are collected as lists of lines and joined at the end.
        let mut pending_defaults: Vec<(String, Vec<String>, usize)> = Vec::new();
        let mut pending: Vec<Vec<(String, Vec<String>, usize)>> = Vec::new();
        // elements_added: sections and (section, option) pairs seen in this read.
        let mut seen_options: HashMap<(String, String), usize> = HashMap::new();
        let mut cursor: Option<Cursor> = None;
        let mut sectname: Option<String> = None;
        let mut optname: Option<String> = None;
        // Where the current option's lines are in its pending list.
        let mut optslot: usize = 0;
        let mut indent_level: usize = 0;
        let mut bad_lines: Vec<(usize, String, Option<String>, bool)> = Vec::new();

        for (idx, line) in text.split_inclusive('\n').enumerate() {
            let lineno = idx + 1;
            let stripped = strip(line);
            let is_comment = stripped.starts_with('#') || stripped.starts_with(';');
            let value = if is_comment { "" } else { stripped };
            if value.is_empty() {
                // Blank lines belong to the value being read (unless the line is a comment).
                if !is_comment
                    && let (Some(cur), Some(name)) = (&cursor, &optname)
                    && !name.is_empty()
                    && let Some(lines) = current_lines(&mut pending_defaults, &mut pending, cur, name, optslot)
                {
                    lines.push(String::new());
                }
                continue;
            }
            let cur_indent = line.chars().take_while(|c| is_space(*c)).count();
            let continuation =
                cursor.is_some() && optname.as_deref().is_some_and(|n| !n.is_empty()) && cur_indent > indent_level;
            if continuation {
                if let (Some(cur), Some(name)) = (&cursor, &optname)
                    && let Some(lines) = current_lines(&mut pending_defaults, &mut pending, cur, name, optslot)
                {
                    lines.push(value.to_owned());
                }
                continue;
            }
            indent_level = cur_indent;
            if let Some(header) = section_header(value) {
                if let Some(&i) = self.index.get(header) {
                    let first = self.sections.get(i).map_or(0, |s| s.line);
                    return Err(IniError {
                        kind: IniErrorKind::DuplicateSection,
                        source: self.source.clone(),
                        line: Some(lineno),
                        section: Some(header.to_owned()),
                        option: None,
                        message: format!(
                            "{}, line {}: section [{}] appears a second time (first at line {}); \
                             merge the two sections into one",
                            self.source, lineno, header, first
                        ),
                    });
                } else if header == DEFAULT_SECTION {
                    cursor = Some(Cursor::Defaults);
                } else {
                    self.index.insert(header.to_owned(), self.sections.len());
                    self.sections.push(Section {
                        name: header.to_owned(),
                        line: lineno,
                        entries: Vec::new(),
                        keys: HashMap::new(),
                    });
                    pending.push(Vec::new());
                    cursor = Some(Cursor::Section(self.sections.len() - 1));
                }
                sectname = Some(header.to_owned());
                optname = None;
                continue;
            }
            let Some(cur) = &cursor else {
                let shown_line = shown(line.trim_end_matches('\n'));
                let message = if lineno == 1 && line.starts_with('\u{feff}') {
                    format!(
                        "{}, line 1: the file starts with a UTF-8 byte order mark (BOM), which Alembic's ini \
                         reader (Python's configparser) does not accept; save the file as UTF-8 without a BOM",
                        self.source
                    )
                } else {
                    format!(
                        "{}, line {}: {} comes before any [section] header; every option must be inside a \
                         section such as [alembic]",
                        self.source, lineno, shown_line
                    )
                };
                return Err(IniError {
                    kind: IniErrorKind::MissingSectionHeader,
                    source: self.source.clone(),
                    line: Some(lineno),
                    section: None,
                    option: None,
                    message,
                });
            };
            let Some((opt, val)) = option_line(value) else {
                bad_lines.push((lineno, line.trim_end_matches('\n').to_owned(), sectname.clone(), false));
                continue;
            };
            if opt.is_empty() {
                bad_lines.push((lineno, line.trim_end_matches('\n').to_owned(), sectname.clone(), true));
            }
            let name = lower(rstrip(opt));
            let sect = sectname.clone().unwrap_or_default();
            if let Some(first) = seen_options.get(&(sect.clone(), name.clone())) {
                return Err(IniError {
                    kind: IniErrorKind::DuplicateOption,
                    source: self.source.clone(),
                    line: Some(lineno),
                    section: Some(sect.clone()),
                    option: Some(name.clone()),
                    message: format!(
                        "{}, line {}: option '{}' appears a second time in section [{}] (first at line {}; \
                         option names are case-insensitive); keep only one",
                        self.source, lineno, name, sect, first
                    ),
                });
            }
            seen_options.insert((sect, name.clone()), lineno);
            let lines = vec![strip(val).to_owned()];
            match cur {
                Cursor::Defaults => optslot = set_pending(&mut pending_defaults, &name, lines, lineno),
                Cursor::Section(i) => {
                    if let Some(p) = pending.get_mut(*i) {
                        optslot = set_pending(p, &name, lines, lineno);
                    }
                }
            }
            optname = Some(name);
        }

        // _join_multiline_values
        for (key, lines, line) in pending_defaults {
            let value = rstrip(&lines.join("\n")).to_owned();
            match self.default_keys.get(&key).and_then(|&i| self.defaults.get_mut(i)) {
                Some(e) => {
                    e.value = value;
                    e.line = line;
                }
                None => {
                    self.default_keys.insert(key.clone(), self.defaults.len());
                    self.defaults.push(Entry { key, value, line });
                }
            }
        }
        for (section, entries) in self.sections.iter_mut().zip(pending) {
            section.entries = entries
                .into_iter()
                .map(|(key, lines, line)| Entry {
                    key,
                    value: rstrip(&lines.join("\n")).to_owned(),
                    line,
                })
                .collect();
            section.keys = key_index(&section.entries);
        }

        if let Some((lineno, line, sect, empty_name)) = bad_lines.first() {
            let where_ = match sect {
                Some(s) => format!("section [{s}]"),
                None => "no section".to_string(),
            };
            let what = if *empty_name {
                "has no option name before the '=' or ':'".to_string()
            } else {
                "is not a [section] header, a 'key = value' option, a comment or an indented continuation \
                 line (options without a value are not allowed)"
                    .to_string()
            };
            let mut message = format!(
                "{}, line {} ({}): {} {}",
                self.source,
                lineno,
                where_,
                shown(line),
                what
            );
            if bad_lines.len() > 1 {
                let others: Vec<String> = bad_lines.iter().skip(1).take(10).map(|b| b.0.to_string()).collect();
                message.push_str(&format!(
                    "; line{} {}{} cannot be parsed either",
                    if bad_lines.len() > 2 { "s" } else { "" },
                    others.join(", "),
                    if bad_lines.len() > 11 { ", ..." } else { "" }
                ));
            }
            return Err(IniError {
                kind: IniErrorKind::Parsing,
                source: self.source.clone(),
                line: Some(*lineno),
                section: sect.clone(),
                option: None,
                message,
            });
        }
        Ok(())
    }
}

type Pending = Vec<(String, Vec<String>, usize)>;

/// The lines of the option being read: `slot` is where [`set_pending`] put it (checked
/// against `name`, so a stale slot finds nothing rather than the wrong option).
fn current_lines<'a>(
    defaults: &'a mut Pending,
    sections: &'a mut [Pending],
    cur: &Cursor,
    name: &str,
    slot: usize,
) -> Option<&'a mut Vec<String>> {
    let list = match cur {
        Cursor::Defaults => defaults,
        Cursor::Section(i) => sections.get_mut(*i)?,
    };
    list.get_mut(slot)
        .filter(|(k, _, _)| k == name)
        .map(|(_, lines, _)| lines)
}

/// Add an option to a pending list and return its position. Option names are unique
/// within one list (a second one is a `DuplicateOptionError` before this is called), so
/// the new option always goes at the end: no search, which would make reading a section
/// with many options quadratic.
fn set_pending(list: &mut Pending, name: &str, lines: Vec<String>, lineno: usize) -> usize {
    debug_assert!(list.last().is_none_or(|(k, _, _)| k != name));
    list.push((name.to_owned(), lines, lineno));
    list.len() - 1
}

/// `SECTCRE.match(value)`: `[`, then at least one character, then the last
/// `]` of the line (anything after it is ignored).
fn section_header(value: &str) -> Option<&str> {
    let rest = value.strip_prefix('[')?;
    let close = rest.rfind(']')?;
    if close == 0 {
        return None;
    }
    Some(&rest[..close])
}

/// `OPTCRE.match(value)` on a stripped line: the text before the first `=` or
/// `:` (without trailing whitespace) and the text after it.
fn option_line(value: &str) -> Option<(&str, &str)> {
    let pos = value.find(['=', ':'])?;
    Some((rstrip(&value[..pos]), &value[pos + 1..]))
}

/// UTF-8 (strict, as Python decodes) then universal newlines (`\r\n` and `\r` become `\n`).
pub fn decode(bytes: &[u8], display: &str) -> Result<String, IniError> {
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok(if text.contains('\r') {
            text.replace("\r\n", "\n").replace('\r', "\n")
        } else {
            text.to_owned()
        }),
        Err(e) => {
            let at = e.valid_up_to();
            let line = bytes[..at].iter().filter(|&&b| b == b'\n').count() + 1;
            let bad = bytes.get(at).copied().unwrap_or(0);
            Err(IniError {
                kind: IniErrorKind::Decode,
                source: display.to_owned(),
                line: Some(line),
                section: None,
                option: None,
                message: format!(
                    "{display}, line {line}: the file is not valid UTF-8 (byte 0x{bad:02x} at offset {at}); \
                     Alembic reads it as UTF-8, so re-save it in that encoding"
                ),
            })
        }
    }
}

pub(crate) fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        std::io::ErrorKind::IsADirectory => "it is a directory, not a file".to_string(),
        _ => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Ini, IniError> {
        Ini::parse(text, "t.ini")
    }

    fn kind(text: &str) -> Option<IniErrorKind> {
        parse(text).err().map(|e| e.kind)
    }

    #[test]
    fn basic_sections_defaults_and_order() {
        let ini = Ini::parse_with_defaults(
            "[DEFAULT]\nB = 2\nhere = override\n[s one]\nc: 3\nb = 4\n[S]\n",
            "t.ini",
            &[("here".into(), "/w".into())],
        )
        .unwrap();
        assert_eq!(ini.sections().collect::<Vec<_>>(), ["s one", "S"]);
        assert_eq!(
            ini.items("s one").unwrap(),
            [
                ("here".into(), "override".into()),
                ("b".into(), "4".into()),
                ("c".into(), "3".into())
            ]
        );
        assert_eq!(ini.items("DEFAULT").unwrap().len(), 2);
        assert!(ini.has_option("S", "B"));
        assert!(!ini.has_option("nope", "b"));
        assert_eq!(ini.get("nope", "b").unwrap(), None);
        assert_eq!(ini.items("nope").unwrap_err().kind, IniErrorKind::NoSection);
    }

    #[test]
    fn continuation_blank_lines_and_comments() {
        let ini = parse("[a]\nk = v1\n  v2\n\n  # c\n  v3\n\n\nj =\n x\n;c\n").unwrap();
        assert_eq!(ini.get("a", "k").unwrap().unwrap(), "v1\nv2\n\nv3");
        assert_eq!(ini.get("a", "j").unwrap().unwrap(), "\nx");
        let ini = parse("[a]\nk = v # not a comment\n").unwrap();
        assert_eq!(ini.get("a", "k").unwrap().unwrap(), "v # not a comment");
    }

    #[test]
    fn headers_are_permissive() {
        let ini = parse("[a] junk\n[b]]\n  [ c ]\n[d] x ] y\n").unwrap();
        assert_eq!(ini.sections().collect::<Vec<_>>(), ["a", "b]", " c ", "d] x "]);
        assert_eq!(kind("[]\n"), Some(IniErrorKind::MissingSectionHeader));
    }

    #[test]
    fn errors_where_python_raises() {
        assert_eq!(kind("k = v\n"), Some(IniErrorKind::MissingSectionHeader));
        assert_eq!(kind("\u{feff}[a]\n"), Some(IniErrorKind::MissingSectionHeader));
        assert_eq!(kind("[a]\n[a]\n"), Some(IniErrorKind::DuplicateSection));
        assert_eq!(kind("[a]\nk=1\nK=2\n"), Some(IniErrorKind::DuplicateOption));
        assert_eq!(
            kind("[DEFAULT]\nk=1\n[DEFAULT]\nk=2\n"),
            Some(IniErrorKind::DuplicateOption)
        );
        assert_eq!(kind("[DEFAULT]\nk=1\n[DEFAULT]\nj=2\n"), None);
        assert_eq!(kind("[a]\nnovalue\n"), Some(IniErrorKind::Parsing));
        assert_eq!(kind("[a]\n= v\n"), Some(IniErrorKind::Parsing));
        // A duplicate raises at once, before collected parsing errors.
        assert_eq!(kind("[a]\nbad\n[a]\n"), Some(IniErrorKind::DuplicateSection));
        assert_eq!(kind("[a]\n=1\n=2\n"), Some(IniErrorKind::DuplicateOption));
    }

    #[test]
    fn interpolation() {
        let ini = parse(
            "[DEFAULT]\nroot = /r\nd = %(root)s/%(leaf)s\n[a]\nleaf = x\nv = %(d)s|100%%\nbad = 5%\n\
             miss = %(nope)s\nsyn = %(x)d\nloop = %(loop)s\n",
        )
        .unwrap();
        assert_eq!(ini.get("a", "v").unwrap().unwrap(), "/r/x|100%");
        assert_eq!(ini.get("a", "bad").unwrap_err().kind, IniErrorKind::InterpolationSyntax);
        assert_eq!(
            ini.get("a", "miss").unwrap_err().kind,
            IniErrorKind::InterpolationMissingOption
        );
        assert_eq!(ini.get("a", "syn").unwrap_err().kind, IniErrorKind::InterpolationSyntax);
        assert_eq!(ini.get("a", "loop").unwrap_err().kind, IniErrorKind::InterpolationDepth);
        // [DEFAULT]'s d needs leaf, which only [a] has.
        assert_eq!(
            ini.get("DEFAULT", "d").unwrap_err().kind,
            IniErrorKind::InterpolationMissingOption
        );
        // items() stops at the first bad value, in items order.
        assert_eq!(ini.items("a").unwrap_err().kind, IniErrorKind::InterpolationSyntax);
    }

    #[test]
    fn depth_limit_is_exactly_ten() {
        // a0 -> a1 -> ... : a chain of n references nests n levels.
        let chain = |n: usize| {
            let mut s = String::from("[s]\n");
            for i in 0..n {
                s.push_str(&format!("a{i} = %(a{})s\n", i + 1));
            }
            s.push_str(&format!("a{n} = %%end\n"));
            s
        };
        assert_eq!(parse(&chain(9)).unwrap().get("s", "a0").unwrap().unwrap(), "%end");
        assert_eq!(
            parse(&chain(10)).unwrap().get("s", "a0").unwrap_err().kind,
            IniErrorKind::InterpolationDepth
        );
    }

    #[test]
    fn exploding_references_are_refused() {
        let mut text = String::from("[s]\n");
        for i in 0..9 {
            text.push_str(&format!("a{i} = {}\n", format!("%(a{})s", i + 1).repeat(20)));
        }
        text.push_str("a9 = %%\n");
        let ini = parse(&text).unwrap();
        assert_eq!(
            ini.get("s", "a0").unwrap_err().kind,
            IniErrorKind::InterpolationTooLarge
        );
        assert_eq!(ini.get("s", "a7").unwrap().unwrap(), "%".repeat(400));
    }

    #[test]
    fn messages_mask_passwords() {
        let ini = parse("[a]\nsqlalchemy.url = postgresql://u:p%40ss@h/db\n").unwrap();
        let err = ini.get("a", "sqlalchemy.url").unwrap_err();
        assert!(!err.message.contains("p%40ss"), "{}", err.message);
        assert!(err.message.contains("t.ini, line 2"), "{}", err.message);
    }

    #[test]
    fn decode_and_newlines() {
        assert_eq!(decode(b"a\r\nb\rc", "f").unwrap(), "a\nb\nc");
        let e = decode(b"[a]\nk = \xff\n", "f").unwrap_err();
        assert_eq!((e.kind, e.line), (IniErrorKind::Decode, Some(2)));
    }
}
