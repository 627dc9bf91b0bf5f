//! Faithfulness: what the run could not do the way Qlik's reload would, and what that can reach.
//!
//! # The invariant (fail closed, by construction)
//!
//! The runner is an abstract interpreter over two kinds of value: *known* (computed faithfully) and
//! *unknown, because …* (an [`Incomplete`]: a located reason). Every step that is not run faithfully is
//! recorded, through [`Runner::unfaithful`], with its [`Reach`], the part of the run it can change:
//!
//! - a **variable** ([`Reach::Var`]): a `LET` that does not evaluate, reads a table qsa could not load, or
//!   expands a variable that is unknown; a variable the script uses but never sets (an app can define
//!   variables outside its script; `--var NAME=VALUE` supplies one); a variable assigned where control
//!   flow is unknown;
//! - a **table** (its `incomplete` reasons): a source not read, a prefix or function not modelled, a
//!   statement expanded from an unknown variable; `RESIDENT`, joins, concatenation, mappings
//!   (`ApplyMap`, `MAP … USING`), `Peek`/`Lookup`/`Exists` and `STORE`d copies pass the reasons on;
//! - a **load whose fields are unknown** ([`Reach::Load`]): it may hold any field, so any reduction
//!   field;
//! - the **security model itself** ([`Reach::Access`]): a step of unknown effect in access mode, a section
//!   that depends on a condition qsa cannot evaluate, an include qsa could not read, an unknown
//!   `EXIT SCRIPT` or `EXIT ERROR`, a `CALL $(vSub)` of an unknown SUB, an undocumented
//!   `EXIT SCRIPT (message)` that runs: afterwards qsa cannot even say which tables Section Access holds,
//!   or whether it has any.
//!
//! Control flow is where unknowns spread: an `IF`, `SWITCH`, `DO`, `FOR`, `FOR EACH` or `WHEN`/`UNLESS`
//! statement whose condition or bounds read something unknown runs none of its branches; instead
//! [`Runner::unknown_blocks`] walks every branch it could have run and records what each statement there
//! could have changed (variables, loads in the section current at that point, `Section` switches, calls,
//! includes). The body of a further `ELSE` in an IF (undocumented; qsa never runs it) is walked the same
//! way ([`Runner::maybe_run_blocks`]). `EXECUTE` makes every file read
//! after it unknown (the program may have written it).
//!
//! At the end of the run ([`Runner::fail_closed`](super::runner)), each record becomes an **error**
//! when it can reach an answer, and a warning otherwise:
//! - anything that reaches the security tables (S2–S5) or [`Reach::Access`];
//! - the `QlikCloudGroupMode` variable (S7) being unknown;
//! - an app table that holds a reduction field or is linked to one (A2, R4), or a load whose fields are
//!   unknown while the script has Section Access.
//!
//! Any run error makes `reduce::prepare` refuse (exit 2), so no user is evaluated from an unknown. "No
//! Section Access" is an answer too: it is only given when nothing of [`Reach::Access`] was recorded and
//! no security table is incomplete. The property test `tests/failclosed.rs` breaks each step of every
//! fixture with Section Access in turn (mutation operators kept as data) and asserts a refusal or the
//! unchanged answer, never a different one.

use super::runner::{var_reach, Cx, Runner};
use crate::diag::codes::DEFERRED;
use crate::diag::Span;
use crate::model::Incomplete;
use crate::syntax::{self, Block, SectionKind, Stmt, StmtKind};
use std::collections::HashSet;

/// What an unfaithful step can change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Reach {
    /// A load (in access mode when `true`) whose table name and fields are unknown.
    Load { access: bool },
    /// A variable's value.
    Var(String),
    /// The security model: which tables Section Access holds, and whether it has any.
    Access,
}

/// The section the loader may be in at a point of an unknown branch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Section {
    Known(bool),
    Unknown,
}

impl Section {
    fn may_be_access(self) -> bool {
        !matches!(self, Section::Known(false))
    }
    fn join(self, other: Section) -> Section {
        if self == other {
            self
        } else {
            Section::Unknown
        }
    }
}

/// Does a statement of this kind load, drop, rename or reshape tables or fields (of the current section)?
pub(crate) fn changes_tables(kind: &StmtKind) -> bool {
    matches!(
        kind,
        StmtKind::Load(_)
            | StmtKind::Drop { .. }
            | StmtKind::Rename { .. }
            | StmtKind::Qualify { .. }
            | StmtKind::Alias { .. }
            | StmtKind::Map { .. }
            | StmtKind::NullAs { .. }
            | StmtKind::Unsupported { .. }
    )
}

impl Runner {
    /// Record a step that did not run faithfully, with what it can change.
    pub(crate) fn unfaithful(&mut self, reach: Reach, inc: Incomplete) {
        match reach {
            Reach::Load { access } => {
                if !self
                    .st
                    .unknown_fields
                    .iter()
                    .any(|(a, i)| *a == access && i == &inc)
                {
                    self.st.unknown_fields.push((access, inc));
                }
            }
            Reach::Var(name) => {
                if super::runner::is_format_variable(&name) {
                    self.st.env_unknown.get_or_insert(inc.clone());
                }
                self.st.unset.remove(&name);
                self.st.tainted.entry(name).or_insert(inc);
            }
            Reach::Access => {
                if !self.st.access_unknown.contains(&inc) {
                    self.st.access_unknown.push(inc);
                }
            }
        }
    }

    /// A step at `span` whose effect on the security model is unknown ([`Reach::Access`]), and why.
    pub(crate) fn access_unknown(&mut self, reason: String, cx: &Cx, span: Span) {
        self.unfaithful(
            Reach::Access,
            Incomplete {
                reason,
                at: Some((cx.src, span)),
            },
        );
    }

    /// The blocks of a control statement whose condition or bounds are unknown (`inc` says why): none of
    /// them is run; everything any of them could change is recorded as unknown. `repeat`: the blocks form
    /// a loop body (run 0…n times).
    pub(crate) fn unknown_blocks(&mut self, blocks: &[&Block], inc: &Incomplete, cx: &Cx) {
        self.maybe_run_blocks(
            blocks,
            inc,
            "the condition that decides it reads something unknown",
            cx,
        );
    }

    /// Blocks that may or may not run, `why` (a phrase) and `inc` say why: none of them is run; everything
    /// any of them could change is recorded as unknown.
    pub(crate) fn maybe_run_blocks(
        &mut self,
        blocks: &[&Block],
        inc: &Incomplete,
        why: &str,
        cx: &Cx,
    ) {
        let entry = Section::Known(self.st.access);
        let mut exit = entry;
        let mut calls = HashSet::new();
        let each = Incomplete {
            reason: format!("{why} ({})", inc.reason),
            at: inc.at,
        };
        for b in blocks {
            let end = self.effects(&b.statements, entry, &each, cx, &mut calls);
            exit = exit.join(end);
        }
        if exit == Section::Unknown {
            self.unfaithful(
                Reach::Access,
                Incomplete {
                    reason: format!(
                        "whether the script is in Section Access or Section Application after this point depends on {}",
                        inc.reason
                    ),
                    at: inc.at,
                },
            );
        }
    }

    /// Record what `stmts` could change if run from section `sec`; the section they may end in.
    fn effects(
        &mut self,
        stmts: &[Stmt],
        mut sec: Section,
        inc: &Incomplete,
        cx: &Cx,
        calls: &mut HashSet<String>,
    ) -> Section {
        for s in stmts {
            sec = self.stmt_effects(s, sec, inc, cx, calls);
        }
        sec
    }

    fn stmt_effects(
        &mut self,
        s: &Stmt,
        sec: Section,
        inc: &Incomplete,
        cx: &Cx,
        calls: &mut HashSet<String>,
    ) -> Section {
        let because = |what: &str| Incomplete {
            reason: format!("{what} may or may not run: {}", inc.reason),
            at: Some((cx.src, s.span)),
        };
        let load_in = |sec: Section| {
            if sec.may_be_access() {
                Reach::Access
            } else {
                Reach::Load { access: false }
            }
        };
        match &s.kind {
            StmtKind::Section(k) => return Section::Known(*k == SectionKind::Access),
            StmtKind::Set { name, .. }
            | StmtKind::Let { name, .. }
            | StmtKind::LetUnread { name, .. } => {
                self.unfaithful(var_reach(&name.text), because("this assignment"));
            }
            StmtKind::DropVariables { names } => {
                for n in names {
                    self.unfaithful(var_reach(&n.text), because("this DROP VARIABLE"));
                }
            }
            k if changes_tables(k) => {
                self.unfaithful(load_in(sec), because("this statement"));
            }
            StmtKind::Binary { .. } | StmtKind::Include { .. } => {
                self.unfaithful(Reach::Access, because("this statement"));
            }
            StmtKind::Directory { .. } | StmtKind::Execute { .. } => {
                let why = because("this statement");
                let why = Incomplete {
                    reason: format!("files read after it may differ: {}", why.reason),
                    at: why.at,
                };
                self.st.fs_unknown.get_or_insert(why);
            }
            // Whether its conditions hold or not, the statement is one that could run here.
            StmtKind::Conditional { stmt, .. } => {
                return self.stmt_effects(stmt, sec, inc, cx, calls);
            }
            StmtKind::Exit { what, .. } => match what {
                syntax::ExitKind::Script => {
                    self.unfaithful(Reach::Access, because("this EXIT SCRIPT"));
                }
                syntax::ExitKind::Error => {
                    self.unfaithful(
                        Reach::Access,
                        because("this EXIT ERROR (the reload fails if it runs)"),
                    );
                }
                syntax::ExitKind::For | syntax::ExitKind::Do | syntax::ExitKind::Sub => {}
            },
            // Any branch may run (or none): the section after it is any of theirs, or the one before.
            StmtKind::If { .. } | StmtKind::Switch { .. } => {
                let mut out = sec;
                for b in s.kind.blocks() {
                    out = out.join(self.effects(&b.statements, sec, inc, cx, calls));
                }
                return out;
            }
            StmtKind::For { var, body, .. } | StmtKind::ForEach { var, body, .. } => {
                self.unfaithful(Reach::Var(var.text.clone()), because("this loop"));
                let end = self.effects(&body.statements, sec, inc, cx, calls);
                return sec.join(end);
            }
            StmtKind::Do { body, .. } => {
                let end = self.effects(&body.statements, sec, inc, cx, calls);
                return sec.join(end);
            }
            StmtKind::Sub { .. } => {}
            StmtKind::Call { name, .. } => {
                // `CALL $(vSub)`: which SUB, read with today's variables (unknown: recorded there)
                let Some(called) = self.call_name(name, s.span, cx, false) else {
                    return sec;
                };
                let key = called.to_ascii_lowercase();
                match self.sub(&key) {
                    Some(sub) if calls.insert(key.clone()) => {
                        for p in &sub.params {
                            self.unfaithful(Reach::Var(p.text.clone()), because("this CALL"));
                        }
                        let end = self.effects(&sub.body.statements, sec, inc, &sub.cx, calls);
                        calls.remove(&key);
                        return end;
                    }
                    Some(_) => {}
                    None => {
                        self.unfaithful(
                            Reach::Access,
                            because("this CALL of a SUB not defined yet"),
                        );
                    }
                }
            }
            StmtKind::Deferred { .. } => {
                // Its text only exists after expansion: read it with today's variables when that
                // parses cleanly, else assume the worst.
                let stmts = self.expand_for_effects(s, cx);
                match stmts {
                    Some((sub_cx, stmts)) => {
                        return self.effects(&stmts, sec, inc, &sub_cx, calls);
                    }
                    None => self.unfaithful(Reach::Access, because("this statement")),
                }
            }
            // (Matched above by `changes_tables`; listed so that a new statement kind must be decided.)
            StmtKind::Load(_)
            | StmtKind::Drop { .. }
            | StmtKind::Rename { .. }
            | StmtKind::Qualify { .. }
            | StmtKind::Alias { .. }
            | StmtKind::Map { .. }
            | StmtKind::NullAs { .. }
            | StmtKind::Unsupported { .. } => {}
            StmtKind::Store { .. }
            | StmtKind::Star { .. }
            | StmtKind::Trace { .. }
            | StmtKind::Connect { .. }
            | StmtKind::Disconnect
            | StmtKind::Tag { .. }
            | StmtKind::Comment { .. }
            | StmtKind::Sleep { .. } => {}
            StmtKind::Error => {
                if self.maybe_error_statement(cx, s.span) {
                    self.unfaithful(
                        Reach::Access,
                        because(
                            "this statement, which does not parse (the reload fails if it runs),",
                        ),
                    );
                }
            }
        }
        sec
    }

    /// A statement's text expanded with the current variables and parsed, when that gives statements
    /// without errors.
    fn expand_for_effects(&mut self, s: &Stmt, cx: &Cx) -> Option<(Cx, Vec<Stmt>)> {
        let raw = cx.slice(s.span).to_string();
        let exp = super::expand::expand_text(&self.st, &raw, 0);
        if !exp.errors.is_empty() || !exp.tainted.is_empty() || !exp.undefined.is_empty() {
            return None;
        }
        let mut file = crate::diag::SourceFile::new("<expansion>", None, exp.text.as_str());
        file.expanded_from = Some((cx.src, s.span));
        let id = self.sources.add(file);
        let parsed = syntax::parse_statements(id, &exp.text);
        // A statement that still needs expansion is not expanded again (the runner does not either):
        // reading it again here would never end when the expansion leaves the text as it was.
        if parsed.has_errors() || parsed.diagnostics.iter().any(|d| d.code == DEFERRED) {
            return None;
        }
        let sub = Cx {
            src: id,
            text: std::sync::Arc::from(exp.text.as_str()),
            dir: cx.dir.clone(),
        };
        let stmts = parsed.script.statements;
        Some((sub, stmts))
    }
}
