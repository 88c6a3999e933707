//! Which code of a revision file runs while Python imports it, and whether a
//! construct that can change module variables sits in that code.
//!
//! Alembic reads `revision`, `down_revision`, `branch_labels` and `depends_on`
//! right after importing the file; nothing of the file runs in between. Names
//! such as `globals`, `exec`, `setattr` or `sys.modules` can change those
//! variables only where they run during the import:
//! - at module level, in the bodies of module-level `if`/`for`/`try`/`with`/`match`
//!   statements, in class bodies, decorators, default values and annotations;
//! - inside a function that such code calls (or names at all: passing it to
//!   something that calls it counts), or that is decorated; inside a method of a
//!   class that such code names or that is decorated.
//!
//! They change nothing as a part of an import path (`from indico.modules.events
//! import X`), as the attribute of another object (`sa.modules`, `df.eval`), or in
//! a string. `.modules` counts only on `sys` (or a name `sys` is imported as).
//!
//! The statement reader feeds this module the scopes it opens and every name it
//! meets; [`Reach::verdict`] decides once the whole file is read, when the
//! imports (see [`super::imports`]) are known.

use super::error::Halt;
use super::imports::Import;
use super::lexer::Token;

/// Where a token is: in code that runs at import, or in the body of a function.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Ctx {
    /// Runs at import (module level, control-statement bodies).
    Exec,
    /// A class body: runs at import; its methods are reached through the class name.
    Class { key: u32 },
    /// The body of a function (or method), which runs only when called.
    Unit { unit: u32 },
}

impl Ctx {
    fn unit(self) -> Option<u32> {
        match self {
            Ctx::Unit { unit } => Some(unit),
            _ => None,
        }
    }
}

/// Flags of the code a scope holds, for imports.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Flow {
    /// Inside a module-level compound statement (it may not run).
    pub conditional: bool,
    /// Inside `if TYPE_CHECKING:` (it never runs).
    pub type_checking: bool,
}

/// What a candidate construct is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// A name through which code reaches module globals (`globals`, `exec`, ...).
    Name,
    /// `<base>.modules`, where `base` is the token before the dot.
    Modules { base: (u32, u32) },
    /// `global <watched>` inside a function.
    Global,
}

#[derive(Clone, Copy, Debug)]
struct Candidate {
    ctx: Ctx,
    line: u32,
    name: (u32, u32),
    kind: Kind,
}

/// A function body: its name (or its class's name for a method), and whether it is decorated.
#[derive(Clone, Copy, Debug)]
struct Unit {
    key: (u32, u32),
    decorated: bool,
}

/// What [`Reach`] gathers while the reader goes through a file.
#[derive(Default)]
pub(crate) struct Reach {
    /// Open blocks: the depth of the body, its context and flow.
    scopes: Vec<(usize, Ctx, Flow)>,
    units: Vec<Unit>,
    /// Class names (byte ranges), indexed by `Ctx::Class::key`.
    classes: Vec<(u32, u32)>,
    /// Bare names (not attributes, not in import statements) and where they are.
    refs: Vec<(Ctx, u32, u32)>,
    candidates: Vec<Candidate>,
}

fn range(t: &Token) -> (u32, u32) {
    (t.start, t.end)
}

fn text(src: &[u8], r: (u32, u32)) -> &[u8] {
    &src[r.0 as usize..r.1 as usize]
}

/// Names reaching module globals only when called by their own name: as an
/// attribute of another object (`df.eval`, `obj.setattr`) they are something else.
fn bare_only(name: &[u8]) -> bool {
    matches!(
        name,
        b"exec" | b"eval" | b"globals" | b"vars" | b"locals" | b"setattr" | b"delattr" | b"builtins" | b"modules"
    )
}

impl Reach {
    /// The context and flow of a logical line starting at `depth` (1 = module level).
    pub(crate) fn line_start(&mut self, depth: usize) -> (Ctx, Flow) {
        while self.scopes.last().is_some_and(|&(d, _, _)| d > depth) {
            self.scopes.pop();
        }
        self.scopes
            .last()
            .map_or((Ctx::Exec, Flow::default()), |&(_, c, f)| (c, f))
    }

    /// A `def` named `name` in `ctx`: the context of its body.
    pub(crate) fn open_def(&mut self, ctx: Ctx, name: &Token, decorated: bool) -> Ctx {
        let key = match ctx {
            Ctx::Unit { .. } => return ctx,
            Ctx::Exec => range(name),
            Ctx::Class { key } => self.classes[key as usize],
        };
        self.units.push(Unit { key, decorated });
        Ctx::Unit {
            unit: (self.units.len() - 1) as u32,
        }
    }

    /// A `class` named `name` in `ctx`: the context of its body.
    pub(crate) fn open_class(&mut self, ctx: Ctx, name: &Token, decorated: bool) -> Ctx {
        match ctx {
            Ctx::Unit { .. } | Ctx::Class { .. } => ctx,
            Ctx::Exec => {
                self.classes.push(range(name));
                if decorated {
                    // A decorator may call anything of the class.
                    self.refs.push((Ctx::Exec, name.start, name.end));
                }
                Ctx::Class {
                    key: (self.classes.len() - 1) as u32,
                }
            }
        }
    }

    /// A block whose body is at `depth`.
    pub(crate) fn push(&mut self, depth: usize, ctx: Ctx, flow: Flow) {
        self.scopes.push((depth, ctx, flow));
    }

    /// A bare name (not after a dot, not in an import statement).
    pub(crate) fn name(&mut self, ctx: Ctx, t: &Token) {
        self.refs.push((ctx, t.start, t.end));
    }

    /// A name of the lexer's `Banned` class; `before_dot` is the token before the
    /// dot when the name is an attribute.
    pub(crate) fn banned(&mut self, src: &[u8], ctx: Ctx, t: &Token, attribute_of: Option<&Token>) {
        let name = range(t);
        let kind = match attribute_of {
            None if text(src, name) == b"modules" => {
                // A plain name `modules`: only `from sys import modules` makes it special.
                self.name(ctx, t);
                return;
            }
            None => Kind::Name,
            Some(base) if text(src, name) == b"modules" => Kind::Modules { base: range(base) },
            Some(_) if bare_only(text(src, name)) => return,
            Some(_) => Kind::Name,
        };
        self.candidates.push(Candidate {
            ctx,
            line: t.line,
            name,
            kind,
        });
    }

    /// The name `t` just given to [`Reach::banned`] turned out to be an assignment
    /// target (`eval = ...`): binding a name calls nothing.
    pub(crate) fn assigned(&mut self, t: &Token) {
        if self.candidates.last().is_some_and(|c| c.name == range(t)) {
            self.candidates.pop();
        }
    }

    /// `global <watched>` in `ctx`.
    pub(crate) fn global(&mut self, ctx: Ctx, t: &Token) {
        self.candidates.push(Candidate {
            ctx,
            line: t.line,
            name: range(t),
            kind: Kind::Global,
        });
    }

    /// Whether any gathered construct runs at import: the reason for the first
    /// one that does, naming it and its line.
    pub(crate) fn verdict(mut self, src: &[u8], imports: &[Import]) -> Option<Halt> {
        // Names imports make special: `from sys import modules as m`, `import sys as s`,
        // `from builtins import exec as e`, `import builtins as b`.
        let mut tainted: Vec<&str> = Vec::new();
        let mut sys_names: Vec<&str> = vec!["sys"];
        for imp in imports {
            let Some(bound) = imp.bound.as_deref() else {
                continue;
            };
            match imp.name.as_deref() {
                None if imp.level == 0 && imp.module == "sys" => sys_names.push(bound),
                None if imp.level == 0 && imp.module == "builtins" => tainted.push(bound),
                None => {}
                Some("sys") => sys_names.push(bound),
                Some(n) => {
                    let special = if n == "modules" {
                        imp.module == "sys" && imp.level == 0
                    } else {
                        super::lexer::classify(n.as_bytes()) == super::lexer::NameClass::Banned
                    };
                    if special {
                        tainted.push(bound);
                    }
                }
            }
        }
        if !tainted.is_empty() {
            for &(ctx, s, e) in &self.refs {
                if let Ok(n) = std::str::from_utf8(text(src, (s, e)))
                    && tainted.contains(&n)
                {
                    let line = line_at(src, s as usize);
                    self.candidates.push(Candidate {
                        ctx,
                        line,
                        name: (s, e),
                        kind: Kind::Name,
                    });
                }
            }
        }
        let mut candidates: Vec<Candidate> = self
            .candidates
            .iter()
            .copied()
            .filter(|c| match c.kind {
                Kind::Modules { base } => std::str::from_utf8(text(src, base)).is_ok_and(|b| sys_names.contains(&b)),
                _ => true,
            })
            .collect();
        if candidates.is_empty() {
            return None;
        }
        candidates.sort_by_key(|c| (c.line, c.name.0));
        let reached = self.reached_units(src);
        let c = candidates
            .into_iter()
            .find(|c| c.ctx.unit().is_none_or(|u| reached[u as usize]))?;
        let name = String::from_utf8_lossy(text(src, c.name));
        let place = match c.ctx.unit() {
            None => "in code that runs at import".to_string(),
            Some(u) => format!(
                "inside `{}`, which runs at import (code that runs at import names it, or it is decorated)",
                String::from_utf8_lossy(text(src, self.units[u as usize].key))
            ),
        };
        Some(Halt::Import(match c.kind {
            Kind::Name => format!(
                "line {}: `{name}` {place}; through it code can change module variables",
                c.line
            ),
            Kind::Modules { base } => format!(
                "line {}: `{}.{name}` {place}; through it code can change module variables",
                c.line,
                String::from_utf8_lossy(text(src, base))
            ),
            Kind::Global => format!("line {}: `{name}` is declared global {place}", c.line),
        }))
    }

    /// Which function bodies run at import: named by code that runs at import, decorated,
    /// or named by a body that runs (to a fixed point).
    fn reached_units(&self, src: &[u8]) -> Vec<bool> {
        let mut reached = vec![false; self.units.len()];
        if self.units.is_empty() {
            return reached;
        }
        let mark = |key: &[u8], reached: &mut Vec<bool>| -> bool {
            let mut any = false;
            for (i, u) in self.units.iter().enumerate() {
                if !reached[i] && text(src, u.key) == key {
                    reached[i] = true;
                    any = true;
                }
            }
            any
        };
        for u in &self.units {
            if u.decorated {
                mark(text(src, u.key), &mut reached);
            }
        }
        for &(ctx, s, e) in &self.refs {
            if ctx.unit().is_none() {
                mark(text(src, (s, e)), &mut reached);
            }
        }
        loop {
            let mut changed = false;
            for &(ctx, s, e) in &self.refs {
                if let Some(u) = ctx.unit()
                    && reached[u as usize]
                {
                    changed |= mark(text(src, (s, e)), &mut reached);
                }
            }
            if !changed {
                return reached;
            }
        }
    }
}

fn line_at(src: &[u8], pos: usize) -> u32 {
    memchr::memchr_iter(b'\n', &src[..pos.min(src.len())]).count() as u32 + 1
}
