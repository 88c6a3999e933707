//! `alembic.ini` and `pyproject.toml`, read exactly as the installed Alembic
//! reads them (1.20.1's rules by default; [`LoadOptions::alembic`] names
//! another release, see [`alembic_version`]), and the services they define.
//!
//! - [`ini`]: the ini file as Python's `configparser.ConfigParser` reads it;
//! - [`pyproject`]: `[tool.alembic]` of `pyproject.toml`;
//! - this module: Alembic's `Config` semantics (`get_alembic_option`,
//!   `get_version_locations_list`, `ScriptDirectory.from_config`, ...) as plain
//!   data: a [`Project`] with its [`Service`]s.
//!
//! ```no_run
//! use monomig::config::{load_project, LoadOptions};
//! let opts = LoadOptions::new(std::env::current_dir().unwrap());
//! let project = load_project("alembic.ini".as_ref(), &opts).unwrap();
//! for service in &project.services {
//!     println!("{} {}", service.name, service.script_location.display());
//! }
//! ```

pub mod alembic_version;
pub mod ini;
pub mod pyproject;
pub mod pytext;
pub mod redact;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use alembic_version::AlembicVersion;
pub use ini::{Entry, Ini, IniError, IniErrorKind, Section};
pub use pyproject::{OptionValue, TomlConfig};
pub use redact::mask_password;

use crate::error::{Error, Result};

/// Alembic's default `file_template`.
pub const DEFAULT_FILE_TEMPLATE: &str = "%(rev)s_%(slug)s";
/// Alembic's default `truncate_slug_length` (also used for 0).
pub const DEFAULT_TRUNCATE_SLUG_LENGTH: i64 = 40;
/// Alembic's default version table.
pub const DEFAULT_VERSION_TABLE: &str = "alembic_version";
/// Alembic's default main section (`-n/--name`).
pub const DEFAULT_SECTION_NAME: &str = "alembic";

/// Turns `package:path` into a filesystem path, as Alembic's
/// `util.coerce_resource_to_filename` does with `importlib.resources`.
/// It receives the whole `package:path` text; an `Err` explains the failure.
pub type PackageResolver = Arc<dyn Fn(&str) -> std::result::Result<PathBuf, String> + Send + Sync>;

/// How to find and read the configuration.
#[derive(Clone)]
pub struct LoadOptions {
    /// The working directory: relative paths (the ini and TOML files,
    /// `script_location`, `version_locations`) are relative to it, as in Alembic.
    pub cwd: PathBuf,
    /// The `pyproject.toml` to fall back on; `None` is `pyproject.toml` in
    /// the working directory, as the `alembic` command uses. A file that does
    /// not exist is ignored.
    pub toml_file: Option<PathBuf>,
    /// Resolves `package:path` locations; without one they are an error.
    pub resolve_package: Option<PackageResolver>,
    /// Alembic reads a missing ini file as an empty one (everything then comes
    /// from `pyproject.toml`). By default monomig reports it instead.
    pub allow_missing_ini: bool,
    /// Find and resolve the services (the default). Without, `services` and
    /// `warnings` stay empty and only [`Project::section`] resolves, so that
    /// one broken service does not stop work on another (`alembic -n`).
    pub find_services: bool,
    /// The Alembic release whose configuration rules apply (the installed one;
    /// [`AlembicVersion::NEWEST`] by default).
    pub alembic: AlembicVersion,
}

impl LoadOptions {
    pub fn new(cwd: impl Into<PathBuf>) -> Self {
        LoadOptions {
            cwd: cwd.into(),
            toml_file: None,
            resolve_package: None,
            allow_missing_ini: false,
            find_services: true,
            alembic: AlembicVersion::NEWEST,
        }
    }
}

impl fmt::Debug for LoadOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoadOptions")
            .field("cwd", &self.cwd)
            .field("toml_file", &self.toml_file)
            .field("resolve_package", &self.resolve_package.as_ref().map(|_| "<resolver>"))
            .field("allow_missing_ini", &self.allow_missing_ini)
            .field("find_services", &self.find_services)
            .field("alembic", &self.alembic)
            .finish()
    }
}

/// A post-write hook (`[post_write_hooks]` or `[[tool.alembic.post_write_hooks]]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostWriteHook {
    pub name: String,
    /// The hook's options without the `name.` prefix (`type`, `entrypoint`, ...).
    pub options: Vec<(String, String)>,
}

/// One section as `alembic -n NAME` sees it: what `ScriptDirectory.from_config`
/// and `Config.get_section` make of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    /// The section name (`-n`).
    pub name: String,
    /// The script directory, absolute (`Path(ScriptDirectory.dir).absolute()`).
    pub script_location: PathBuf,
    /// `ScriptDirectory._version_locations`: absolute; `<script_location>/versions` by default.
    pub version_locations: Vec<PathBuf>,
    pub recursive_version_locations: bool,
    pub sourceless: bool,
    /// `get_prepend_sys_paths_list()`, unresolved (Alembic puts them on `sys.path` as they are).
    pub prepend_sys_path: Vec<String>,
    pub file_template: String,
    /// `int(truncate_slug_length)` when set; see [`Service::effective_truncate_slug_length`].
    pub truncate_slug_length: Option<i64>,
    /// `sqlalchemy.url` of the section (or `[DEFAULT]`), interpolated.
    pub sqlalchemy_url: Option<String>,
    /// monomig convention: `version_table` of the section, default `alembic_version`.
    pub version_table: String,
    /// monomig convention: `version_table_schema` of the section, default none.
    pub version_table_schema: Option<String>,
    pub post_write_hooks: Vec<PostWriteHook>,
    /// `Config.get_section(name)`: the section's options after interpolation,
    /// `[DEFAULT]`'s (including `here`) first; empty when the ini has no such section.
    pub options: Vec<(String, String)>,
    /// Deprecation warnings Alembic emits for this section, in order.
    pub warnings: Vec<String>,
}

impl Service {
    /// The slug length Alembic's `ScriptDirectory` uses (`truncate_slug_length or 40`).
    pub fn effective_truncate_slug_length(&self) -> i64 {
        match self.truncate_slug_length {
            Some(n) if n != 0 => n,
            _ => DEFAULT_TRUNCATE_SLUG_LENGTH,
        }
    }

    /// An option of [`Service::options`].
    pub fn option(&self, key: &str) -> Option<&str> {
        self.options.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }
}

/// A monorepo's Alembic configuration: the ini file, the `pyproject.toml`
/// fallback and the services.
pub struct Project {
    /// The ini file, absolute (as `Path(file).absolute()`).
    pub config_file: PathBuf,
    /// The `pyproject.toml` in use, absolute; `None` when there is none.
    pub toml_file: Option<PathBuf>,
    /// The services, in the ini file's section order.
    pub services: Vec<Service>,
    /// Warnings: Alembic's deprecation warnings for the services, and
    /// sections named in `databases` that do not exist or cannot run.
    pub warnings: Vec<String>,
    /// Sections meant as services that cannot run (named in `databases` without
    /// existing, or without a `script_location`): (section, why), each also a warning.
    pub not_services: Vec<(String, String)>,
    /// The working directory the project was read from.
    pub cwd: PathBuf,
    /// The Alembic release whose rules the project was read by.
    pub alembic: AlembicVersion,
    ini: Ini,
    toml: Option<TomlConfig>,
    resolver: Option<PackageResolver>,
    cwd_str: String,
}

impl fmt::Debug for Project {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Project")
            .field("config_file", &self.config_file)
            .field("toml_file", &self.toml_file)
            .field("services", &self.services)
            .field("warnings", &self.warnings)
            .finish_non_exhaustive()
    }
}

/// Sections that are never services: Python logging's and the post-write hooks.
pub fn is_reserved_section(name: &str) -> bool {
    matches!(name, "loggers" | "handlers" | "formatters" | "post_write_hooks")
        || name.starts_with("logger_")
        || name.starts_with("handler_")
        || name.starts_with("formatter_")
}

/// The ini and TOML files the `alembic` command uses for its `-c` options
/// (given zero, one or two times) and `ALEMBIC_CONFIG`: `(ini, toml)`.
/// A name whose last component is `pyproject.toml` is the TOML file.
pub fn config_paths(configs: &[String], alembic_config_env: Option<&str>) -> Result<(String, String)> {
    config_paths_for(configs, alembic_config_env, AlembicVersion::NEWEST)
}

/// [`config_paths`] as the command line of Alembic `alembic` has it. Before
/// 1.16 `-c` is a single option (the last one given wins, whatever its name),
/// `ALEMBIC_CONFIG` is used as it is (empty: no file) and there is no TOML
/// file (`toml` is empty).
pub fn config_paths_for(
    configs: &[String],
    alembic_config_env: Option<&str>,
    alembic: AlembicVersion,
) -> Result<(String, String)> {
    if !alembic.appendable_config_option() {
        let ini = match (configs.last(), alembic_config_env) {
            (Some(last), _) => last.clone(),
            (None, Some(env)) => env.to_owned(),
            (None, None) => "alembic.ini".to_owned(),
        };
        return Ok((ini, String::new()));
    }
    let is_toml = |p: &str| p.rsplit('/').next() == Some("pyproject.toml");
    let (default_toml, default_ini) = match alembic_config_env.filter(|e| !e.is_empty()) {
        Some(env) if is_toml(env) => (env.to_string(), "alembic.ini".to_string()),
        Some(env) => ("pyproject.toml".to_string(), env.to_string()),
        None => ("pyproject.toml".to_string(), "alembic.ini".to_string()),
    };
    let mut toml: Option<&String> = None;
    let mut ini: Option<&String> = None;
    for name in configs {
        if is_toml(name) {
            if toml.is_some() {
                return Err(Error::config(
                    "pyproject.toml indicated more than once (-c was given two TOML files)",
                ));
            }
            toml = Some(name);
        } else {
            if ini.is_some() {
                return Err(Error::config(
                    "only one ini file may be indicated (-c was given two ini files; the second -c may only \
                     name a pyproject.toml)",
                ));
            }
            ini = Some(name);
        }
    }
    Ok((
        ini.cloned().unwrap_or(default_ini),
        toml.cloned().unwrap_or(default_toml),
    ))
}

fn path_str<'a>(p: &'a Path, what: &str) -> Result<&'a str> {
    p.to_str()
        .ok_or_else(|| Error::config(format!("{what} {} is not valid UTF-8", p.display())))
}

/// Read `config_file` (relative to `opts.cwd`) and the `pyproject.toml`
/// fallback, and find the services.
///
/// The services are the sections `alembic -n NAME` can run (their
/// `script_location` is set in the section, in `[DEFAULT]` or in
/// `[tool.alembic]`) that are named in `[alembic] databases` or set
/// `script_location` or `version_locations` themselves, in file order;
/// logging sections and `post_write_hooks` never are. `[alembic]` itself is
/// the one service only when no other section is one. A service that cannot
/// be resolved (bad interpolation, unknown `path_separator`, missing script
/// directory, ...) is an error.
pub fn load_project(config_file: &Path, opts: &LoadOptions) -> Result<Project> {
    let cwd = path_str(&opts.cwd, "the working directory")?.to_owned();
    let given = path_str(config_file, "the config file name")?;
    let config_abs = pytext::absolute(&cwd, given);
    let here = if opts.alembic.folds_dot_dot() {
        // `os.path.abspath(os.path.dirname(config_file_name))`
        pytext::abspath(&cwd, &pytext::dirname(given))
    } else {
        pytext::parent(&config_abs)
    };
    let defaults = vec![("here".to_string(), here)];
    let ini_path = opts.cwd.join(config_file);
    let ini = match Ini::read_file(&ini_path, given, &defaults) {
        Ok(ini) => ini,
        Err(e) if e.kind == IniErrorKind::Io && opts.allow_missing_ini && !ini_path.exists() => {
            Ini::parse_with_defaults("", given, &defaults)?
        }
        Err(e) if e.kind == IniErrorKind::Io && !ini_path.exists() => {
            return Err(Error::config(format!(
                "config file {given} not found (looked in {cwd}); pass the right file with -c, or set \
                 ALEMBIC_CONFIG"
            )));
        }
        Err(e) => return Err(e.into()),
    };

    let toml_given = match &opts.toml_file {
        Some(p) => path_str(p, "the TOML file name")?.to_owned(),
        None => "pyproject.toml".to_owned(),
    };
    let toml_abs = pytext::absolute(&cwd, &toml_given);
    let toml = if opts.alembic.reads_pyproject() {
        TomlConfig::load(&opts.cwd.join(&toml_given), &toml_given, pytext::parent(&toml_abs))?
            .map(|t| t.for_alembic(opts.alembic))
    } else {
        None
    };

    let mut project = Project {
        config_file: PathBuf::from(config_abs),
        toml_file: toml.as_ref().map(|_| PathBuf::from(&toml_abs)),
        services: Vec::new(),
        warnings: Vec::new(),
        not_services: Vec::new(),
        cwd: opts.cwd.clone(),
        alembic: opts.alembic,
        ini,
        toml,
        resolver: opts.resolve_package.clone(),
        cwd_str: cwd,
    };
    if opts.find_services {
        project.find_services()?;
    }
    Ok(project)
}

impl Project {
    /// A service by name.
    pub fn service(&self, name: &str) -> Option<&Service> {
        self.services.iter().find(|s| s.name == name)
    }

    /// The ini file as read.
    pub fn ini(&self) -> &Ini {
        &self.ini
    }

    /// `[tool.alembic]`, when a `pyproject.toml` is in use.
    pub fn toml(&self) -> Option<&TomlConfig> {
        self.toml.as_ref()
    }

    /// The ini file's section names, in order (without `DEFAULT`).
    pub fn section_names(&self) -> Vec<&str> {
        self.ini.sections().collect()
    }

    /// Any section as `alembic -n NAME` sees it. A section the ini file does
    /// not have is an error, except the default `alembic`, which Alembic
    /// also reads from `[tool.alembic]` alone (from 1.16).
    pub fn section(&self, name: &str) -> Result<Service> {
        if !self.ini.has_section(name) && (name != DEFAULT_SECTION_NAME || !self.alembic.reads_pyproject()) {
            let names: Vec<String> = self.ini.sections().map(|s| format!("[{s}]")).collect();
            let what = if name == ini::DEFAULT_SECTION {
                "[DEFAULT] only holds defaults for the other sections and cannot be used with -n".to_string()
            } else {
                format!("it has no section [{name}]")
            };
            return Err(Error::config(format!(
                "{}: {what}; its sections are {}",
                self.ini.source(),
                if names.is_empty() {
                    "none".to_string()
                } else {
                    names.join(", ")
                }
            )));
        }
        self.resolve(name)
    }

    /// `Config.get_alembic_option(name)` for `-n section`: the section (or
    /// `[DEFAULT]`) first, then `[tool.alembic]`.
    pub fn alembic_option(&self, section: &str, name: &str) -> Result<Option<OptionValue>> {
        if self.ini.has_option(section, name) {
            return Ok(self.ini.get(section, name)?.map(OptionValue::Str));
        }
        match &self.toml {
            Some(t) => t.value(name),
            None => Ok(None),
        }
    }

    /// `Config.get_alembic_boolean_option(name)`: the ini value is true only
    /// when it is exactly `true`; a TOML value must be a boolean.
    pub fn alembic_boolean_option(&self, section: &str, name: &str) -> Result<bool> {
        if self.ini.has_option(section, name) {
            return Ok(self.ini.get(section, name)?.as_deref() == Some("true"));
        }
        if !self.alembic.toml_booleans() {
            // Before 1.16.4: `get_alembic_option(name) == "true"`.
            return Ok(matches!(self.alembic_option(section, name)?, Some(OptionValue::Str(s)) if s == "true"));
        }
        match &self.toml {
            Some(t) => t.boolean(name),
            None => Ok(false),
        }
    }

    fn err(&self, section: &str, msg: impl fmt::Display) -> Error {
        Error::config(format!("{}, section [{section}]: {msg}", self.ini.source()))
            .at_path(self.ini.source())
            .in_section(section, None)
    }

    /// An error about option `key` as section `section` reads it: names the
    /// line (and `[DEFAULT]`) or the `[tool.alembic]` key it comes from.
    fn opt_err(&self, section: &str, key: &str, msg: impl fmt::Display) -> Error {
        if self.ini.has_option(section, key) {
            if let Some(entry) = self.ini.get_raw(section, key)
                && entry.line > 0
            {
                let own = self.ini.section(section).is_some_and(|s| s.entry(key).is_some());
                let origin = if own { "" } else { " (from [DEFAULT])" };
                return Error::config(format!(
                    "{}, line {}, section [{section}]{origin}: {msg}",
                    self.ini.source(),
                    entry.line
                ))
                .at_path(self.ini.source())
                .at_line(entry.line)
                .in_section(section, Some(key));
            }
        } else if let Some(t) = &self.toml
            && t.contains(key)
        {
            return Error::config(format!(
                "{}, [tool.alembic] {key} (read for section [{section}]): {msg}",
                t.file
            ))
            .at_path(&t.file)
            .in_section("tool.alembic", Some(key))
            .for_service(section);
        }
        self.err(section, msg).in_section(section, Some(key))
    }

    fn find_services(&mut self) -> Result<()> {
        let mut warnings = Vec::new();
        let mut not_services = Vec::new();
        let databases: Vec<String> = match self.ini.get(DEFAULT_SECTION_NAME, "databases")? {
            Some(v) if self.ini.has_section(DEFAULT_SECTION_NAME) => v
                .split(|c: char| c == ',' || c.is_whitespace())
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
            _ => Vec::new(),
        };
        for db in &databases {
            if !self.ini.has_section(db) {
                let why = format!(
                    "{}: [alembic] databases names '{db}', but there is no section [{db}]",
                    self.ini.source()
                );
                not_services.push((db.clone(), why.clone()));
                warnings.push(why);
            }
        }
        let mut services = Vec::new();
        let candidates: Vec<String> = self
            .ini
            .sections()
            .filter(|&name| {
                name != DEFAULT_SECTION_NAME
                    && !is_reserved_section(name)
                    && (databases.iter().any(|d| d == name)
                        || self.ini.section(name).is_some_and(|s| {
                            s.entry("script_location").is_some() || s.entry("version_locations").is_some()
                        }))
            })
            .map(str::to_owned)
            .collect();
        for name in &candidates {
            if self.alembic_option(name, "script_location")?.is_none() {
                let sets_versions = self
                    .ini
                    .section(name)
                    .is_some_and(|s| s.entry("version_locations").is_some());
                if sets_versions {
                    let why = format!(
                        "{}, section [{name}]: it sets version_locations but no script_location is set there, in \
                         [DEFAULT] or in [tool.alembic], so it is not a service (`alembic -n {name}` fails); add \
                         script_location to the section",
                        self.ini.source()
                    );
                    not_services.push((name.clone(), why.clone()));
                    warnings.push(why);
                }
                continue;
            }
            services.push(self.resolve(name)?);
        }
        if services.is_empty() && self.alembic_option(DEFAULT_SECTION_NAME, "script_location")?.is_some() {
            services.push(self.resolve(DEFAULT_SECTION_NAME)?);
        }
        for s in &services {
            warnings.extend(s.warnings.iter().map(|w| format!("[{}] {w}", s.name)));
        }
        self.services = services;
        self.warnings = warnings;
        self.not_services = not_services;
        Ok(())
    }

    fn string_option(&self, section: &str, name: &str) -> Result<Option<String>> {
        match self.alembic_option(section, name)? {
            None => Ok(None),
            Some(OptionValue::Str(s)) => Ok(Some(s)),
            Some(_) => Err(self.opt_err(section, name, format!("{name} must be a string"))),
        }
    }

    fn list_option(&self, section: &str, name: &str, warnings: &mut Vec<String>) -> Result<Option<Vec<String>>> {
        let raw = self.ini.get(section, name)?;
        let Some(raw) = raw.filter(|s| !s.is_empty()) else {
            return match self.toml.as_ref().map(|t| t.value(name)).transpose()?.flatten() {
                None => Ok(None),
                Some(OptionValue::List(v)) => Ok(Some(v)),
                // Alembic treats any false value as "not set".
                Some(v) if v.is_falsy() => Ok(Some(Vec::new())),
                // A string or table would be iterated character by character or key by key.
                Some(_) => Err(self.opt_err(
                    section,
                    name,
                    format!("{name} must be a list of strings, such as [\"%(here)s/versions\"]"),
                )),
            };
        };
        if !self.alembic.has_path_separator() {
            return self.list_option_before_1_16(section, name, &raw).map(Some);
        }
        let names: &[&str] = if name == "version_locations" {
            &["path_separator", "version_path_separator"]
        } else {
            &["path_separator"]
        };
        match self.separator(section, names, warnings)? {
            Some(sep) => Ok(Some(
                raw.split(sep)
                    .filter(|x| !x.is_empty())
                    .map(|x| crate::pystr::strip(x).to_owned())
                    .collect(),
            )),
            None => {
                if name == "version_locations" {
                    warnings.push(
                        "No path_separator found in configuration; falling back to legacy splitting on \
                         spaces/commas for version_locations.  Consider adding path_separator=os to Alembic \
                         config."
                            .to_string(),
                    );
                    Ok(Some(legacy_split(&raw, false)))
                } else {
                    warnings.push(
                        "No path_separator found in configuration; falling back to legacy splitting on spaces, \
                         commas, and colons for prepend_sys_path.  Consider adding path_separator=os to Alembic \
                         config."
                            .to_string(),
                    );
                    Ok(Some(legacy_split(&raw, true)))
                }
            }
        }
    }

    /// Before 1.16 (`ScriptDirectory.from_config`): `version_locations` split
    /// by `version_path_separator` alone, `prepend_sys_path` always by spaces,
    /// commas and colons; no warnings.
    fn list_option_before_1_16(&self, section: &str, name: &str, raw: &str) -> Result<Vec<String>> {
        if name != "version_locations" {
            return Ok(legacy_split(raw, true));
        }
        let key = "version_path_separator";
        let newline = self.alembic.separator_newline_and_strip();
        let sep = match self.ini.get(section, key)? {
            None => return Ok(legacy_split(raw, false)),
            Some(value) => match value.as_str() {
                "space" => ' ',
                "newline" if newline => '\n',
                "os" | ":" => ':',
                ";" => ';',
                _ => {
                    let expected = if newline {
                        "'space', 'newline', 'os', ':', ';'"
                    } else {
                        "'space', 'os', ':', ';'"
                    };
                    return Err(self.opt_err(
                        section,
                        key,
                        format!("'{value}' is not a valid value for {key}; expected {expected}"),
                    ));
                }
            },
        };
        Ok(raw
            .split(sep)
            .filter(|x| !x.is_empty())
            .map(|x| if newline { crate::pystr::strip(x) } else { x }.to_owned())
            .collect())
    }

    /// `Config._get_file_separator_char(*names)`.
    fn separator(&self, section: &str, names: &[&str], warnings: &mut Vec<String>) -> Result<Option<char>> {
        for &name in names {
            let Some(value) = self.ini.get(section, name)? else {
                continue;
            };
            let sep = match value.as_str() {
                "space" => ' ',
                "newline" => '\n',
                "os" => ':',
                ":" => ':',
                ";" => ';',
                _ => {
                    return Err(self.opt_err(
                        section,
                        name,
                        format!(
                            "'{value}' is not a valid value for {name}; expected 'space', 'newline', 'os', ':', ';'"
                        ),
                    ));
                }
            };
            if name == "version_path_separator" {
                warnings.push(
                    "The version_path_separator configuration parameter is deprecated; please use path_separator"
                        .to_string(),
                );
            }
            return Ok(Some(sep));
        }
        Ok(None)
    }

    /// `util.coerce_resource_to_filename(location)` as a path string (not yet absolute).
    fn coerce(&self, section: &str, key: &str, location: &str) -> Result<String> {
        let what = if key == "script_location" {
            key
        } else {
            "version_locations item"
        };
        if !location.starts_with('/') && location.contains(':') {
            let Some(resolve) = &self.resolver else {
                return Err(self.opt_err(
                    section,
                    key,
                    format!(
                        "{what} '{location}' names a package resource (package:path), which only monomig's \
                         Python package can resolve"
                    ),
                ));
            };
            let path = resolve(location).map_err(|why| {
                self.opt_err(
                    section,
                    key,
                    format!("{what} '{location}' names a package resource (package:path) that cannot be found: {why}"),
                )
            })?;
            let s = path_str(&path, "the package resource path")?;
            return Ok(pytext::normalize(s));
        }
        Ok(pytext::normalize(location))
    }

    fn hooks(&self) -> Result<Vec<PostWriteHook>> {
        let mut hooks = Vec::new();
        if self.ini.has_section("post_write_hooks") {
            let items = self.ini.items("post_write_hooks")?;
            let names = items
                .iter()
                .find(|(k, _)| k == "hooks")
                .map(|(_, v)| legacy_split(v, false))
                .unwrap_or_default();
            for name in names.into_iter().filter(|n| !n.is_empty()) {
                let prefix = format!("{name}.");
                let options = items
                    .iter()
                    .filter(|(k, _)| k.starts_with(&prefix))
                    .map(|(k, v)| (k[prefix.len()..].to_owned(), v.clone()))
                    .collect();
                hooks.push(PostWriteHook { name, options });
            }
            return Ok(hooks);
        }
        let Some(toml) = &self.toml else {
            return Ok(hooks);
        };
        let bad = || {
            Error::config(format!(
                "{}, [tool.alembic] post_write_hooks: expected a list of tables ([[tool.alembic.post_write_hooks]]), \
                 each with a name",
                toml.file
            ))
        };
        match toml.value("post_write_hooks")? {
            None => {}
            Some(OptionValue::Tables(tables)) => {
                for mut options in tables {
                    let pos = options.iter().position(|(k, _)| k == "name").ok_or_else(bad)?;
                    let (_, name) = options.remove(pos);
                    hooks.push(PostWriteHook { name, options });
                }
            }
            Some(OptionValue::List(v)) if v.is_empty() => {}
            Some(OptionValue::Str(s)) if s.is_empty() => {}
            Some(OptionValue::Table(t)) if t.is_empty() => {}
            Some(_) => return Err(bad()),
        }
        Ok(hooks)
    }

    /// `ScriptDirectory.from_config(Config(file, ini_section=name, toml_file=...))`
    /// plus `Config.get_section(name)`, in Alembic's order of evaluation.
    fn resolve(&self, name: &str) -> Result<Service> {
        let mut warnings = Vec::new();
        let Some(script_location) = self.string_option(name, "script_location")? else {
            let toml = match &self.toml {
                Some(t) => format!(" nor [tool.alembic] of {}", t.file),
                None => String::new(),
            };
            return Err(self.err(
                name,
                format!(
                    "No 'script_location' key found in configuration (not in [{name}], [DEFAULT]{toml}); set \
                     script_location to the directory holding env.py"
                ),
            ));
        };
        let truncate_slug_length = match self.alembic_option(name, "truncate_slug_length")? {
            None => None,
            Some(OptionValue::Str(s)) => Some(crate::pystr::int(&s).map_err(|_| {
                self.opt_err(
                    name,
                    "truncate_slug_length",
                    format!(
                        "truncate_slug_length must be an integer: invalid literal for int() with base 10: {}",
                        ini::shown(&s)
                    ),
                )
            })?),
            Some(OptionValue::Int(i)) => Some(i),
            Some(OptionValue::Bool(b)) => Some(i64::from(b)),
            Some(_) => {
                return Err(self.opt_err(name, "truncate_slug_length", "truncate_slug_length must be an integer"));
            }
        };
        // Before 1.16 `from_config` splits version_locations first, so its errors come first.
        let early_version_locations = if self.alembic.has_path_separator() {
            None
        } else {
            Some(self.list_option(name, "version_locations", &mut warnings)?)
        };
        let prepend_sys_path = self
            .list_option(name, "prepend_sys_path", &mut warnings)?
            .unwrap_or_default();
        let recursive_version_locations = self.alembic_boolean_option(name, "recursive_version_locations")?;
        let dir = self.coerce(name, "script_location", &script_location)?;
        let file_template = self
            .string_option(name, "file_template")?
            .unwrap_or_else(|| DEFAULT_FILE_TEMPLATE.to_string());
        let sourceless = self.alembic_boolean_option(name, "sourceless")?;
        // Read for their errors only (an unsupported TOML type fails here in Alembic too).
        self.alembic_option(name, "output_encoding")?;
        let version_locations = match early_version_locations {
            Some(v) => v,
            None => self.list_option(name, "version_locations", &mut warnings)?,
        };
        self.alembic_option(name, "timezone")?;
        let post_write_hooks = self.hooks()?;

        // Before 1.16 `os.access(dir, os.F_OK)` on the location as written (an empty one fails).
        let missing = if self.alembic.folds_dot_dot() {
            let raw = if script_location.starts_with('/') || !script_location.contains(':') {
                script_location.as_str()
            } else {
                dir.as_str()
            };
            raw.is_empty() || std::fs::metadata(self.cwd.join(raw)).is_err()
        } else {
            std::fs::metadata(self.cwd.join(&dir)).is_err()
        };
        if missing {
            // Before 1.16 Alembic names the directory by its `repr(os.path.abspath(dir))`.
            let shown_dir = if self.alembic.folds_dot_dot() {
                crate::pystr::repr(&pytext::abspath(&self.cwd_str, &dir))
            } else {
                dir.clone()
            };
            return Err(self.opt_err(
                name,
                "script_location",
                format!(
                    "Path doesn't exist: {shown_dir}.  Please use the 'init' command to create a new scripts \
                     folder. (script_location = {script_location}; relative paths are relative to the working \
                     directory {}, not to the ini file; use %(here)s for the ini file's directory)",
                    self.cwd_str
                ),
            ));
        }
        // `os.path.abspath` before 1.16 (`..` folded), `Path.absolute()` from 1.16.
        let version_dir = |p: &str| {
            if self.alembic.folds_dot_dot() {
                pytext::abspath(&self.cwd_str, p)
            } else {
                pytext::absolute(&self.cwd_str, p)
            }
        };
        let version_locations: Vec<PathBuf> = match version_locations.filter(|v| !v.is_empty()) {
            Some(locs) => locs
                .iter()
                .map(|loc| {
                    let p = self.coerce(name, "version_locations", loc)?;
                    Ok(PathBuf::from(version_dir(&p)))
                })
                .collect::<Result<_>>()?,
            None => vec![PathBuf::from(version_dir(&pytext::join(&dir, "versions")))],
        };

        let in_ini = self.ini.has_section(name);
        let options = if in_ini { self.ini.items(name)? } else { Vec::new() };
        let main =
            |key: &str| -> Result<Option<String>> { if in_ini { Ok(self.ini.get(name, key)?) } else { Ok(None) } };
        let sqlalchemy_url = main("sqlalchemy.url")?;
        let version_table = main("version_table")?
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| DEFAULT_VERSION_TABLE.to_string());
        let version_table_schema = main("version_table_schema")?.filter(|s| !s.is_empty());

        Ok(Service {
            name: name.to_owned(),
            script_location: PathBuf::from(pytext::absolute(&self.cwd_str, &dir)),
            version_locations,
            recursive_version_locations,
            sourceless,
            prepend_sys_path,
            file_template,
            truncate_slug_length,
            sqlalchemy_url,
            version_table,
            version_table_schema,
            post_write_hooks,
            options,
            warnings,
        })
    }
}

/// Alembic's legacy list splitting, `re.split(r", *|(?: +)", s)`, and with
/// `colon` also on `:` (`prepend_sys_path`). Empty items are kept.
pub fn legacy_split(s: &str, colon: bool) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            ',' => {
                out.push(std::mem::take(&mut cur));
                while chars.peek() == Some(&' ') {
                    chars.next();
                }
            }
            ' ' => {
                out.push(std::mem::take(&mut cur));
                while chars.peek() == Some(&' ') {
                    chars.next();
                }
            }
            ':' if colon => out.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    out.push(cur);
    out
}

#[cfg(test)]
mod tests;
