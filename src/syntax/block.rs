//! The statement driver: splits the text into statements, nests control blocks, recovers from errors.
//!
//! Regular statements end at a `;` outside quotes, brackets, comments and INLINE data (found by a linear
//! byte scan, [`scan_end`]), and their text is then parsed by [`stmt::regular`]. Control statements
//! (`IF … THEN`, `ELSE`, `END IF`, `FOR …`, `NEXT`, `DO …`, `LOOP …`, `SUB …`, `END SUB`, `SWITCH …`,
//! `CASE …`, `DEFAULT`, `END SWITCH`, `CALL …`, `EXIT …`) end at the line end or a `;`; after `THEN` and
//! `ELSE` further statements may follow on the same line.

use crate::diag::{codes, Diagnostic, Span};
use crate::syntax::ast::*;
use crate::syntax::expr::{expr, expr_list, keyword_reads_as_name, paren_args};
use crate::syntax::lex::{
    dollar_group, kw, name, punct, scan_end, word_at, ws, ws_line, Ctx, PResult, Stop, Unterminated,
};
use crate::syntax::stmt::{self, first_word, Parsed};

/// Maximum nesting of control blocks.
pub const MAX_BLOCK_DEPTH: usize = 64;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum BlockKind {
    If,
    For,
    Do,
    Sub,
    Switch,
}

impl BlockKind {
    fn opener(self) -> &'static str {
        match self {
            BlockKind::If => "IF",
            BlockKind::For => "FOR",
            BlockKind::Do => "DO",
            BlockKind::Sub => "SUB",
            BlockKind::Switch => "SWITCH",
        }
    }
    fn closer(self) -> &'static str {
        match self {
            BlockKind::If => "END IF",
            BlockKind::For => "NEXT",
            BlockKind::Do => "LOOP",
            BlockKind::Sub => "END SUB",
            BlockKind::Switch => "END SWITCH",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Term {
    ElseIf,
    Else,
    EndIf,
    Next,
    Loop,
    EndSub,
    Case,
    Default,
    EndSwitch,
}

impl Term {
    fn owner(self) -> BlockKind {
        match self {
            Term::ElseIf | Term::Else | Term::EndIf => BlockKind::If,
            Term::Next => BlockKind::For,
            Term::Loop => BlockKind::Do,
            Term::EndSub => BlockKind::Sub,
            Term::Case | Term::Default | Term::EndSwitch => BlockKind::Switch,
        }
    }
    fn text(self) -> &'static str {
        match self {
            Term::ElseIf => "ELSEIF",
            Term::Else => "ELSE",
            Term::EndIf => "END IF",
            Term::Next => "NEXT",
            Term::Loop => "LOOP",
            Term::EndSub => "END SUB",
            Term::Case => "CASE",
            Term::Default => "DEFAULT",
            Term::EndSwitch => "END SWITCH",
        }
    }
}

/// An open block: its kind and the span of its opening keyword.
type Open = (BlockKind, Span);

pub struct Driver<'a> {
    ctx: Ctx<'a>,
    text: &'a str,
    pos: usize,
    pub diags: Vec<Diagnostic>,
    pub tabs: Vec<(String, Span)>,
    /// Set after a fatal problem (nesting too deep): the rest of the text is skipped without more reports.
    aborted: bool,
}

/// Statement keywords used to guess a missing `;` (an error token at the start of a line).
const STATEMENT_WORDS: &[&str] = &[
    "LOAD",
    "SELECT",
    "SQL",
    "SET",
    "LET",
    "DROP",
    "STORE",
    "IF",
    "FOR",
    "NEXT",
    "END",
    "ENDIF",
    "ELSE",
    "ELSEIF",
    "DO",
    "LOOP",
    "SUB",
    "CALL",
    "SWITCH",
    "CASE",
    "DEFAULT",
    "EXIT",
    "TRACE",
    "RENAME",
    "QUALIFY",
    "UNQUALIFY",
    "CONCATENATE",
    "NOCONCATENATE",
    "MAPPING",
    "JOIN",
    "KEEP",
    "LEFT",
    "RIGHT",
    "INNER",
    "OUTER",
    "SECTION",
    "DIRECTORY",
    "BINARY",
    "SLEEP",
    "EXECUTE",
];

impl<'a> Driver<'a> {
    pub fn new(ctx: Ctx<'a>) -> Self {
        let text = ctx.src;
        Driver {
            ctx,
            text,
            pos: 0,
            diags: Vec::new(),
            tabs: Vec::new(),
            aborted: false,
        }
    }

    fn rest(&self) -> &'a str {
        &self.text[self.pos.min(self.text.len())..]
    }

    fn off(&self, s: &str) -> usize {
        self.ctx.off(s)
    }

    /// Run over the whole text.
    pub fn script(&mut self) -> Vec<Stmt> {
        let mut stack = Vec::new();
        let mut out = Vec::new();
        loop {
            let (mut stmts, term) = self.block(&mut stack);
            out.append(&mut stmts);
            match term {
                None => return out,
                Some((t, span)) => {
                    // A block end with no open block.
                    self.diags.push(
                        Diagnostic::error(
                            codes::UNBALANCED_BLOCK,
                            format!("`{}` without `{}`", t.text(), t.owner().opener()),
                        )
                        .at(
                            self.ctx.source,
                            span,
                            format!("no open `{}` block here", t.owner().opener()),
                        )
                        .with_help(format!(
                            "remove this `{}`, or add the `{}` it belongs to",
                            t.text(),
                            t.owner().opener()
                        )),
                    );
                    let end = self.finish_segment(span.end);
                    out.push(Stmt {
                        kind: StmtKind::Error,
                        span: Span::new(span.start, end),
                    });
                }
            }
        }
    }

    /// Skip white space, comments, `REM …;`, empty statements; record `///$tab` markers.
    fn trivia(&mut self) {
        loop {
            let r = self.rest();
            let t = r.trim_start_matches([' ', '\t', '\r', '\n', '\u{feff}', '\u{a0}']);
            self.pos = self.off(t);
            if let Some(c) = t.strip_prefix("//") {
                let line_end = c.find('\n').map(|n| n + 2).unwrap_or(t.len());
                let line = &t[..line_end];
                if let Some(tab) = line.strip_prefix("///$tab") {
                    let sp = Span::new(self.pos, self.pos + line.trim_end().len());
                    self.tabs.push((tab.trim().to_string(), sp));
                }
                self.pos += line_end;
            } else if let Some(c) = t.strip_prefix("/*") {
                match c.find("*/") {
                    Some(n) => self.pos += n + 4,
                    None => {
                        // Between statements, an unclosed `/*` comments out the rest of the script
                        // (a common way to stop a script): a warning, since nothing below runs.
                        let rest_lines = t.lines().count().saturating_sub(1);
                        // Qlik ignores the unclosed comment (a faithful "no Section Access" follows), but
                        // when it hides a Section Access the warning says so: it is the over-grant to see.
                        let msg = if hides_section_access(c) {
                            "comment never closed: the rest of the script, with its Section Access, is a comment (the app has no Section Access)"
                        } else {
                            "comment never closed: the rest of the script is a comment"
                        };
                        let diag = Diagnostic::warning(codes::UNTERMINATED, msg);
                        self.diags.push(
                            diag
                            .at(
                                self.ctx.source,
                                Span::new(self.pos, (self.pos + 2).min(self.text.len())),
                                format!("opened here; the {rest_lines} line(s) below never run"),
                            )
                            .with_help("add `*/` where the comment should end if statements below it must run"),
                        );
                        self.pos = self.text.len();
                    }
                }
            } else if t.starts_with(';') {
                self.pos += 1;
            } else if word_at(t).eq_ignore_ascii_case("rem") {
                match scan_end(self.text, self.pos, false, true) {
                    Ok(Stop::Semi(n)) => self.pos = n + 1,
                    _ => self.pos = self.text.len(),
                }
            } else {
                return;
            }
        }
    }

    fn unterminated(&mut self, u: Unterminated) {
        let what = u.what;
        self.diags.push(
            Diagnostic::error(codes::UNTERMINATED, format!("unterminated {what}"))
                .at(
                    self.ctx.source,
                    Span::new(u.at, (u.at + 1).min(self.text.len())),
                    format!("this {what} is never closed"),
                )
                .with_help(format!("add the closing `{}`", u.closer)),
        );
    }

    /// Which block end (if any) starts at the current position, and its keyword span.
    fn peek_term(&self) -> Option<(Term, Span)> {
        let t = self.rest();
        let w = word_at(t).to_ascii_uppercase();
        if followed_by_colon(t, w.len()) {
            return None;
        }
        let one = |term| Some((term, Span::new(self.pos, self.pos + w.len())));
        match w.as_str() {
            "ELSEIF" => one(Term::ElseIf),
            "ELSE" => one(Term::Else),
            "ENDIF" => one(Term::EndIf),
            "ENDSUB" => one(Term::EndSub),
            "ENDSWITCH" => one(Term::EndSwitch),
            "NEXT" => one(Term::Next),
            "LOOP" => one(Term::Loop),
            "CASE" => one(Term::Case),
            "DEFAULT" => one(Term::Default),
            "END" => {
                let after = ws_line(&t[3..]);
                let w2 = word_at(after).to_ascii_uppercase();
                let term = match w2.as_str() {
                    "IF" => Term::EndIf,
                    "SUB" => Term::EndSub,
                    "SWITCH" => Term::EndSwitch,
                    _ => return None,
                };
                let end = self.off(after) + w2.len();
                Some((term, Span::new(self.pos, end)))
            }
            _ => None,
        }
    }

    /// Parse statements until EOF or a block end; the block end is not consumed.
    fn block(&mut self, stack: &mut Vec<Open>) -> (Vec<Stmt>, Option<(Term, Span)>) {
        let mut out = Vec::new();
        loop {
            self.trivia();
            if self.pos >= self.text.len() {
                return (out, None);
            }
            if let Some((term, span)) = self.peek_term() {
                if stack.iter().any(|(k, _)| *k == term.owner()) {
                    return (out, Some((term, span)));
                }
                if stack.is_empty() {
                    return (out, Some((term, span)));
                }
                // a stray end inside an unrelated block
                self.diags.push(
                    Diagnostic::error(
                        codes::UNBALANCED_BLOCK,
                        format!("`{}` without `{}`", term.text(), term.owner().opener()),
                    )
                    .at(
                        self.ctx.source,
                        span,
                        format!("no open `{}` block here", term.owner().opener()),
                    )
                    .with_help(format!(
                        "remove this `{}`, or add the `{}` it belongs to",
                        term.text(),
                        term.owner().opener()
                    )),
                );
                let end = self.finish_segment(span.end);
                out.push(Stmt {
                    kind: StmtKind::Error,
                    span: Span::new(span.start, end),
                });
                continue;
            }
            let before = self.pos;
            let s = self.statement(stack);
            out.push(s);
            if self.pos <= before {
                // never loop without consuming input
                self.pos = before
                    + self
                        .rest()
                        .chars()
                        .next()
                        .map(|c| c.len_utf8())
                        .unwrap_or(1);
            }
        }
    }

    /// One statement at the current position (not a block end).
    fn statement(&mut self, stack: &mut Vec<Open>) -> Stmt {
        let t = self.rest();
        let mut w = first_word(t);
        if followed_by_colon(t, w.len()) {
            // `Next:` / `If:` … a table label, not a keyword
            w.clear();
        }
        match w.as_str() {
            "IF" | "FOR" | "DO" | "SUB" | "SWITCH" => {
                if stack.len() >= MAX_BLOCK_DEPTH {
                    let start = self.pos;
                    self.diags.push(
                        Diagnostic::error(
                            codes::TOO_DEEP,
                            format!("control blocks nested deeper than {MAX_BLOCK_DEPTH} levels"),
                        )
                        .at(
                            self.ctx.source,
                            Span::new(start, start + w.len()),
                            "too deep",
                        )
                        .with_help(format!("qsa reads at most {MAX_BLOCK_DEPTH} nested control blocks, a fixed limit that keeps its stack safe (no flag raises it): split the script into subroutines")),
                    );
                    self.pos = self.text.len();
                    self.aborted = true;
                    return Stmt {
                        kind: StmtKind::Error,
                        span: Span::new(start, self.text.len()),
                    };
                }
                match w.as_str() {
                    "IF" => self.if_stmt(stack),
                    "FOR" => self.for_stmt(stack),
                    "DO" => self.do_stmt(stack),
                    "SUB" => self.sub_stmt(stack),
                    _ => self.switch_stmt(stack),
                }
            }
            "CALL" => self.simple_control(|ctx, s| {
                let (r, _) = kw(ctx, "call", s)?;
                let (r, n) = name(ctx, r)?;
                if !ws(r).starts_with('(') {
                    return Ok((
                        r,
                        StmtKind::Call {
                            name: n,
                            args: Vec::new(),
                            raw_args: None,
                        },
                    ));
                }
                // S6: arguments with `$(…)` are read after expansion, all together
                let (after, body) = stmt::paren_body(ctx, r)?;
                if body.contains("$(") {
                    return Ok((
                        after,
                        StmtKind::Call {
                            name: n,
                            args: Vec::new(),
                            raw_args: Some(stmt_raw(ctx, body)),
                        },
                    ));
                }
                let (r, args) = paren_args(ctx, r)?;
                Ok((
                    r,
                    StmtKind::Call {
                        name: n,
                        args,
                        raw_args: None,
                    },
                ))
            }),
            "EXIT" => self.exit_stmt(),
            _ => {
                if t.starts_with("$(") {
                    if let Some(s) = self.include() {
                        return s;
                    }
                }
                if stmt::starts_assignment(t) {
                    return self.assignment();
                }
                self.regular()
            }
        }
    }

    /// `EXIT …` (kept out of [`Driver::statement`], whose stack frame every nesting level repeats).
    #[inline(never)]
    fn exit_stmt(&mut self) -> Stmt {
        let s = self.simple_control(|ctx, s| {
            let (r, _) = kw(ctx, "exit", s)?;
            let t = ws(r);
            let what = match word_at(t).to_ascii_uppercase().as_str() {
                "SCRIPT" => ExitKind::Script,
                "FOR" => ExitKind::For,
                "DO" => ExitKind::Do,
                "SUB" => ExitKind::Sub,
                "ERROR" => ExitKind::Error,
                _ => return ctx.fail(t, "`SCRIPT`, `FOR`, `DO`, `SUB` or `ERROR`"),
            };
            let r = &t[word_at(t).len()..];
            // `Exit Error expression [(when | unless) condition]`, Qlik Cloud:
            // https://help.qlik.com/en-US/cloud-services/Subsystems/Hub/Content/Sense_Hub/ChartLevelScripting/ControlStatements/exit-error.htm
            // `Exit Script ("message")` is not documented (`Exit Script [(when | unless)
            // condition]`, https://help.qlik.com/en-US/cloud-services/Subsystems/Hub/Content/Sense_Hub/ChartLevelScripting/ControlStatements/exit-script.htm):
            // read, with a warning below.
            let (r, message) = match what {
                ExitKind::Error => expr(ctx, r).map(|(r, e)| (r, Some(e)))?,
                ExitKind::Script if ws_line(r).starts_with('(') => {
                    expr(ctx, r).map(|(r, e)| (r, Some(e)))?
                }
                _ => (r, None),
            };
            let (r, cond) = opt_cond(ctx, r)?;
            Ok((
                r,
                StmtKind::Exit {
                    what,
                    message,
                    cond,
                },
            ))
        });
        if let StmtKind::Exit {
            what: ExitKind::Script,
            message: Some(m),
            ..
        } = &s.kind
        {
            self.diags.push(
                Diagnostic::warning(
                    codes::SYNTAX,
                    "`EXIT SCRIPT` followed by a message is not documented by Qlik",
                )
                .at(self.ctx.source, m.span, "read as EXIT SCRIPT; the message is ignored")
                .with_help("Qlik documents `Exit Script [when|unless condition]`; where this statement runs, qsa cannot tell whether the reload ends normally or fails, and refuses to answer (fail closed); to fail a reload with a message, Qlik Cloud has `Exit Error 'message'`"),
            );
        }
        s
    }

    /// `$(include=…)` / `$(must_include=…)` as a statement.
    fn include(&mut self) -> Option<Stmt> {
        let t = self.rest();
        let start = self.pos;
        let inner_start = t.get(2..)?.trim_start();
        let lower: String = inner_start
            .chars()
            .take(13)
            .collect::<String>()
            .to_ascii_lowercase();
        let must = lower.starts_with("must_include");
        if !must && !lower.starts_with("include") {
            return None;
        }
        let Some((rest, inner)) = dollar_group(t) else {
            self.unterminated(Unterminated {
                what: "`$(` expansion",
                closer: ")",
                at: start,
            });
            self.pos = match scan_end(self.text, start, true, true) {
                Ok(s) => crate::syntax::lex::stop_at(s, self.text.len()),
                Err(_) => self.text.len(),
            };
            return Some(Stmt {
                kind: StmtKind::Error,
                span: Span::new(start, self.pos),
            });
        };
        let eq = inner.find('=');
        let eq = eq?;
        let p = &inner[eq + 1..];
        let trimmed = p.trim();
        let unq = if trimmed.len() >= 2
            && ((trimmed.starts_with('[') && trimmed.ends_with(']'))
                || (trimmed.starts_with('\'') && trimmed.ends_with('\''))
                || (trimmed.starts_with('"') && trimmed.ends_with('"')))
        {
            &trimmed[1..trimmed.len() - 1]
        } else {
            trimmed
        };
        let pstart = self.off(unq);
        let path = RawText {
            text: unq.to_string(),
            span: Span::new(pstart, pstart + unq.len()),
        };
        let mut end = self.off(rest);
        let after = ws_line(rest);
        if after.starts_with(';') {
            end = self.off(after) + 1;
        }
        self.pos = end;
        if path.text.is_empty() {
            self.diags.push(
                Diagnostic::error(codes::SYNTAX, "include without a file path")
                    .at(
                        self.ctx.source,
                        Span::new(start, self.off(rest)),
                        "no path after `=`",
                    )
                    .with_help("write `$(Must_Include=lib://Folder/file.qvs);`"),
            );
            return Some(Stmt {
                kind: StmtKind::Error,
                span: Span::new(start, end),
            });
        }
        Some(Stmt {
            kind: StmtKind::Include { must, path },
            span: Span::new(start, end),
        })
    }

    /// `name = expression` without LET: one script row, ended by `;` or the line end (S1, S6; see
    /// [`stmt::starts_assignment`]). One that only reads after `$(…)` expansion is deferred.
    fn assignment(&mut self) -> Stmt {
        let start = self.pos;
        let Some((seg_end, stmt_end)) = self.scan(start, true, false) else {
            return Stmt {
                kind: StmtKind::Error,
                span: Span::new(start, self.text.len()),
            };
        };
        let seg = &self.text[start..seg_end];
        self.ctx.reset_errors();
        let parsed = stmt::assignment(&self.ctx, seg);
        self.pos = stmt_end;
        match parsed {
            Ok((rest, kind)) if ws(rest).is_empty() => Stmt {
                kind,
                span: Span::new(start, stmt_end),
            },
            other => {
                if let Ok((rest, _)) = other {
                    let _ = self.ctx.fail::<()>(ws(rest), "`;` or the end of the line");
                }
                if seg.contains("$(") && !self.ctx.too_deep.get() {
                    return self.deferred(start, seg_end, stmt_end);
                }
                let (off, _) = self.ctx.furthest();
                self.syntax_error(seg, off);
                if let Some(d) = self.diags.last_mut() {
                    d.help = Some("a LET without its keyword is one script row, `name = expression`, ended by `;` or the line end; write `LET name = …;` for an expression over several lines".into());
                    d.rules.push("S1");
                }
                Stmt {
                    kind: StmtKind::Error,
                    span: Span::new(start, stmt_end),
                }
            }
        }
    }

    /// A `;`-terminated statement (loads with their preceding-load chain included).
    fn regular(&mut self) -> Stmt {
        let start = self.pos;
        let raw = first_word(self.rest()) == "TRACE";
        let (body_end, stmt_end) = match self.scan(start, false, raw) {
            Some(x) => x,
            None => {
                return Stmt {
                    kind: StmtKind::Error,
                    span: Span::new(start, self.text.len()),
                }
            }
        };
        let slice = &self.text[start..body_end];
        self.ctx.reset_errors();
        let parsed = stmt::regular(&self.ctx, slice);
        let result = match parsed {
            Ok((rest, p)) if ws(rest).is_empty() => Ok(p),
            Ok((rest, _)) => {
                let _ = self.ctx.fail::<()>(ws(rest), "`;`");
                Err(())
            }
            Err(_) => Err(()),
        };
        match result {
            Ok(Parsed::Kind(StmtKind::Load(mut ls))) => {
                self.pos = stmt_end;
                let mut end = stmt_end;
                while ls
                    .parts
                    .last()
                    .is_some_and(|p| p.source == LoadSource::Preceding)
                {
                    match self.next_part() {
                        Ok((part, e)) => {
                            ls.parts.push(part);
                            end = e;
                        }
                        Err(Some(PART_DEFERRED)) => {
                            // A later part of the chain needs `$(…)` expansion: the whole chain is
                            // read after expansion, as one statement.
                            let deferred_end = self.pos;
                            let part_start = ls.parts.last().map(|p| p.span.end).unwrap_or(start);
                            let ((mut body, end), mut complete) =
                                self.absorb_chain_complete(deferred_end);
                            if end == deferred_end {
                                // nothing absorbed: the deferred part is the last one
                                body = if self.text[..end].ends_with(';') {
                                    end - 1
                                } else {
                                    end
                                };
                                let part = self.text.get(part_start.min(body)..body).unwrap_or("");
                                complete = !is_sourceless_load(part);
                            }
                            if !complete && self.control_word_follows() {
                                return self.pending_preceding(start, Span::new(start, body), end);
                            }
                            return self.deferred(start, body, end);
                        }
                        Err(Some(e)) => {
                            return Stmt {
                                kind: StmtKind::Error,
                                span: Span::new(start, e),
                            };
                        }
                        Err(None) if self.control_word_follows() => {
                            // `IF c THEN LOAD *, x; ENDIF SQL SELECT …`: Qlik keeps the LOAD pending
                            // and applies it to whichever LOAD or SELECT runs next.
                            let part = ls
                                .parts
                                .last()
                                .map(|p| p.span)
                                .unwrap_or(Span::new(start, body_end));
                            return self.pending_preceding(start, part, end);
                        }
                        Err(None) if self.text[start..end].contains("$(") => {
                            // `LOAD $(vFields);`: the expansion may bring the source.
                            let body = if self.text[..end].ends_with(';') {
                                end - 1
                            } else {
                                end
                            };
                            return self.deferred(start, body.max(start), end);
                        }
                        Err(None) => {
                            let first = ls
                                .parts
                                .last()
                                .map(|p| p.span)
                                .unwrap_or(Span::new(start, body_end));
                            self.diags.push(
                                Diagnostic::error(codes::SYNTAX, "LOAD without a source")
                                    .at(self.ctx.source, first, "no FROM, INLINE, RESIDENT or AUTOGENERATE, and no LOAD or SELECT follows")
                                    .with_help("add a source (`FROM file`, `RESIDENT table`, `INLINE [...]`, `AUTOGENERATE n`), or follow this preceding LOAD with the LOAD or SELECT it reads from"),
                            );
                            return Stmt {
                                kind: StmtKind::Error,
                                span: Span::new(start, end),
                            };
                        }
                    }
                }
                Stmt {
                    kind: StmtKind::Load(ls),
                    span: Span::new(start, end),
                }
            }
            Ok(Parsed::Kind(k)) => {
                self.pos = stmt_end;
                Stmt {
                    kind: k,
                    span: Span::new(start, stmt_end),
                }
            }
            Ok(Parsed::LetUnreadTail(k, tail)) => {
                self.pos = stmt_end;
                let unread = match &k {
                    StmtKind::Conditional { stmt, .. } => &stmt.kind,
                    k => k,
                };
                let name = match unread {
                    StmtKind::LetUnread { name, .. } => name.text.clone(),
                    _ => String::new(),
                };
                self.diags.push(
                    Diagnostic::warning(
                        codes::SYNTAX,
                        format!("`{name}` is unknown: its LET continues on the next line without a `;`"),
                    )
                    .at(self.ctx.source, tail, "read as part of the LET above, never evaluated")
                    .with_help("Qlik reads `expression more-text` as one expression; qsa does not guess what it assigns and treats the variable as unknown (fail closed); end the LET with `;` if this line is a statement of its own"),
                );
                Stmt {
                    kind: k,
                    span: Span::new(start, stmt_end),
                }
            }
            Ok(Parsed::Unsupported(keyword, kstart)) => {
                self.pos = stmt_end;
                // the label covers the part before ` … ` (`WHEN` of `WHEN … SET`)
                let klen = keyword.split(" … ").next().map(str::len).unwrap_or(0);

                self.diags.push(
                    Diagnostic::warning(codes::UNSUPPORTED_STATEMENT, format!("`{keyword}` is not supported by qsa"))
                        .at(self.ctx.source, Span::new(kstart, kstart + klen), "skipped")
                        .with_help("qsa does not model this statement; results that depend on it cannot be trusted"),
                );
                Stmt {
                    kind: StmtKind::Unsupported { keyword },
                    span: Span::new(start, stmt_end),
                }
            }
            Err(()) => {
                if slice.contains("$(") && !self.ctx.too_deep.get() {
                    self.pos = stmt_end;
                    let (mut body, mut end) = (body_end, stmt_end);
                    if is_sourceless_load(slice) {
                        // Possibly the head of a preceding-load chain: the parts below belong to the
                        // same statement (if they do not, parsing the expanded text splits them again).
                        let complete;
                        ((body, end), complete) = self.absorb_chain_complete(stmt_end);
                        if end == stmt_end {
                            body = body_end;
                        }
                        if !complete && self.control_word_follows() {
                            return self.pending_preceding(start, Span::new(start, body), end);
                        }
                    }
                    return self.deferred(start, body, end);
                }
                let (off, _) = self.ctx.furthest();
                let end = self.syntax_error(slice, off);
                match end {
                    Some(e) => {
                        self.pos = e;
                        Stmt {
                            kind: StmtKind::Error,
                            span: Span::new(start, e),
                        }
                    }
                    None => {
                        self.pos = stmt_end;
                        Stmt {
                            kind: StmtKind::Error,
                            span: Span::new(start, stmt_end),
                        }
                    }
                }
            }
        }
    }

    /// A preceding LOAD (`part`) with a control statement after it: QSA004, kept as `Unsupported`.
    fn pending_preceding(&mut self, start: usize, part: Span, end: usize) -> Stmt {
        let next = self.word_after_trivia();
        self.diags.push(
            Diagnostic::warning(
                codes::UNSUPPORTED_STATEMENT,
                format!("a preceding LOAD followed by `{next}` is not supported by qsa"),
            )
            .at(self.ctx.source, part, "skipped: its source would be the next LOAD or SELECT that runs")
            .with_help("qsa does not carry a pending preceding LOAD across control statements; results that depend on it cannot be trusted"),
        );
        Stmt {
            kind: StmtKind::Unsupported {
                keyword: "LOAD".into(),
            },
            span: Span::new(start, end),
        }
    }

    /// The first word after white space and comments, without consuming anything (tab markers and
    /// diagnostics met on the way are not recorded).
    fn word_after_trivia(&mut self) -> String {
        let (pos, tabs, diags) = (self.pos, self.tabs.len(), self.diags.len());
        self.trivia();
        let w = first_word(self.rest());
        self.pos = pos;
        self.tabs.truncate(tabs);
        self.diags.truncate(diags);
        w
    }

    /// Does a control statement keyword (`ENDIF`, `ELSE`, `NEXT`, `LOOP`, …) come next (after trivia)?
    fn control_word_follows(&mut self) -> bool {
        let w = self.word_after_trivia();
        matches!(
            w.as_str(),
            "END"
                | "ENDIF"
                | "ELSE"
                | "ELSEIF"
                | "NEXT"
                | "LOOP"
                | "CASE"
                | "DEFAULT"
                | "IF"
                | "FOR"
                | "DO"
                | "SUB"
                | "ENDSUB"
                | "CALL"
                | "SWITCH"
                | "EXIT"
        )
    }

    /// A [`StmtKind::Deferred`] statement for `start..end` (its text ends at `body_end`), with its info.
    fn deferred(&mut self, start: usize, body_end: usize, end: usize) -> Stmt {
        let text = stmt_raw(&self.ctx, &self.text[start..body_end.max(start)]);
        self.diags.push(
            Diagnostic::info(codes::DEFERRED, "statement can only be read after `$(…)` expansion")
                .at(self.ctx.source, text.span, "parsed when the script runs")
                .with_help("qsa reads this statement after expanding its variables; `--syntax-only` cannot check it"),
        );
        Stmt {
            kind: StmtKind::Deferred { text },
            span: Span::new(start, end),
        }
    }

    /// Consume the rest of a preceding-load chain whose earlier part could not be read before
    /// expansion: the `LOAD`/`SELECT`/`SQL` parts that follow `from`, up to and including the first one
    /// with a source. Returns ((end of the last part's text, end including its `;`), whether the last
    /// part has a source); `(from, from)` when no part follows.
    fn absorb_chain_complete(&mut self, from: usize) -> ((usize, usize), bool) {
        self.pos = from;
        let (mut body, mut end) = (from, from);
        loop {
            let w = self.word_after_trivia();
            if !matches!(w.as_str(), "LOAD" | "SELECT" | "SQL") {
                return ((body, end), false);
            }
            self.trivia();
            let part_start = self.pos;
            let Some((b, e)) = self.scan(part_start, false, false) else {
                return ((self.text.len(), self.text.len()), true);
            };
            self.pos = e;
            body = b;
            end = e;
            if !is_sourceless_load(&self.text[part_start..b]) {
                return ((body, end), true);
            }
        }
    }

    /// Scan the statement starting at `start`: (end of its text, end including the `;`).
    fn scan(&mut self, start: usize, line: bool, raw: bool) -> Option<(usize, usize)> {
        match scan_end(self.text, start, line, raw) {
            Ok(Stop::Semi(n)) => Some((n, n + 1)),
            Ok(Stop::Newline(n)) => Some((n, n)),
            Ok(Stop::Eof) => Some((self.text.len(), self.text.len())),
            Err(u) => {
                self.unterminated(u);
                self.pos = self.text.len();
                None
            }
        }
    }

    /// The next part of a preceding-load chain. `Err(None)`: no LOAD/SELECT follows (nothing consumed);
    /// `Err(Some(end))`: it did not parse (reported; consumed to `end`).
    fn next_part(&mut self) -> Result<(LoadPart, usize), Option<usize>> {
        let save = self.pos;
        self.trivia();
        let w = first_word(self.rest());
        if !matches!(w.as_str(), "LOAD" | "SELECT" | "SQL") {
            self.pos = save.max(self.pos);
            return Err(None);
        }
        let start = self.pos;
        let Some((body_end, stmt_end)) = self.scan(start, false, false) else {
            return Err(Some(self.text.len()));
        };
        let slice = &self.text[start..body_end];
        self.ctx.reset_errors();
        match stmt::load_part(&self.ctx, slice) {
            Ok((rest, part)) if ws(rest).is_empty() => {
                self.pos = stmt_end;
                Ok((part, stmt_end))
            }
            _ if slice.contains("$(") && !self.ctx.too_deep.get() => {
                self.pos = stmt_end;
                Err(Some(PART_DEFERRED))
            }
            r => {
                if let Ok((rest, _)) = r {
                    let _ = self.ctx.fail::<()>(ws(rest), "`;`");
                }
                let (off, _) = self.ctx.furthest();
                let end = self.syntax_error(slice, off).unwrap_or(stmt_end);
                self.pos = end;
                Err(Some(end))
            }
        }
    }

    /// Report a syntax error in `slice` at offset `off`. Returns a shorter end for the statement when the
    /// error token starts a new line with a statement keyword (a missing `;`).
    fn syntax_error(&mut self, slice: &str, off: usize) -> Option<usize> {
        let (_, expected) = self.ctx.furthest();
        let start = self.off(slice);
        let off = off.clamp(start, start + slice.len());
        let at = &self.text[off..];
        if self.ctx.too_deep.get() {
            self.diags.push(
                Diagnostic::error(codes::TOO_DEEP, self.ctx.too_deep_message().0)
                    .at(
                        self.ctx.source,
                        Span::new(off, (off + 1).min(self.text.len())),
                        "too deep",
                    )
                    .with_help(self.ctx.too_deep_message().1),
            );
            return None;
        }
        let tok = token_at(at, start + slice.len() - off);
        let found = if tok.is_empty() {
            "the end of the statement".to_string()
        } else {
            format!("`{tok}`")
        };
        let expected = if expected.is_empty() {
            "a statement"
        } else {
            expected
        };
        let line_start = self.text[..off].rfind('\n').map(|n| n + 1).unwrap_or(0);
        let at_line_start = off > start && self.text[line_start..off].trim().is_empty();
        let tok_word = word_at(at).to_ascii_uppercase();
        let looks_like_label = {
            let w = word_at(at);
            if !w.is_empty() {
                followed_by_colon(at, w.len())
            } else if at.starts_with('[') {
                at.find(']')
                    .is_some_and(|n| at[..n].find('\n').is_none() && followed_by_colon(at, n + 1))
            } else {
                false
            }
        };
        let missing_semi =
            at_line_start && (STATEMENT_WORDS.contains(&tok_word.as_str()) || looks_like_label);
        let expected_owned;
        let expected = if expected
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b == b'_' || b.is_ascii_digit())
        {
            expected_owned = format!("`{}`", expected.to_ascii_uppercase());
            expected_owned.as_str()
        } else {
            expected
        };
        let kind_word = {
            let saved = self.ctx.save();
            let w = match stmt::label(&self.ctx, slice) {
                Some((rest, _)) => first_word(rest),
                None => first_word(slice),
            };
            self.ctx.restore(saved);
            w
        };
        let help = if missing_semi {
            "a statement ends with `;`: is one missing at the end of the previous line?".to_string()
        } else {
            statement_help(&kind_word)
        };
        let message = if off == start && !kind_word.is_empty() && !expected.starts_with('`') {
            format!("unknown statement `{}`", word_at(ws(slice)))
        } else {
            format!("expected {expected}, found {found}")
        };
        self.diags.push(
            Diagnostic::error(codes::SYNTAX, message)
                .at(
                    self.ctx.source,
                    Span::new(off, off + tok.len()),
                    format!("expected {expected}"),
                )
                .with_help(help),
        );
        if missing_semi {
            Some(off)
        } else {
            None
        }
    }

    /// Consume the rest of a control line after offset `from` (which must hold only trivia) and its
    /// terminator; returns the statement end (including a `;`).
    fn finish_segment(&mut self, from: usize) -> usize {
        let r = ws_line(&self.text[from.min(self.text.len())..]);
        let at = self.off(r);
        if let Some(x) = r.strip_prefix(';') {
            self.pos = self.off(x);
            return at + 1;
        }
        if r.is_empty() || r.starts_with('\n') {
            self.pos = at;
            return at;
        }
        // something else follows on the same line: the next statement starts there
        self.pos = at;
        from
    }

    /// A control head on its own line segment, parsed by `f`. Returns the kind (or `None`, reported) and
    /// the statement end; the position moves past the segment.
    fn head<T>(
        &mut self,
        f: impl FnOnce(&Ctx<'a>, &'a str) -> PResult<'a, T>,
        allow_more: bool,
    ) -> (Option<T>, usize) {
        let start = self.pos;
        let Some((seg_end, _)) = self.scan(start, true, false) else {
            return (None, self.text.len());
        };
        let seg = &self.text[start..seg_end];
        self.ctx.reset_errors();
        match f(&self.ctx, seg) {
            Ok((rest, v)) => {
                let after = self.off(rest);
                let r = ws_line(rest);
                if r.is_empty() {
                    let end = self.finish_segment(after);
                    (Some(v), end)
                } else if allow_more {
                    self.pos = self.off(r);
                    (Some(v), after)
                } else {
                    let _ = self.ctx.fail::<()>(r, "the end of the line or `;`");
                    let (off, _) = self.ctx.furthest();
                    self.syntax_error(seg, off);
                    let end = self.finish_segment(seg_end);
                    (None, end)
                }
            }
            Err(_) => {
                let (off, _) = self.ctx.furthest();
                self.syntax_error(seg, off);
                let end = self.finish_segment(seg_end);
                (None, end)
            }
        }
    }

    fn simple_control(
        &mut self,
        f: impl FnOnce(&Ctx<'a>, &'a str) -> PResult<'a, StmtKind>,
    ) -> Stmt {
        let start = self.pos;
        let (k, end) = self.head(f, false);
        Stmt {
            kind: k.unwrap_or(StmtKind::Error),
            span: Span::new(start, end),
        }
    }

    fn opener_span(&self, kw_len: usize) -> Span {
        Span::new(self.pos, self.pos + kw_len)
    }

    /// Report a block that ended at `term` (or EOF) without its closer.
    fn unclosed(&mut self, open: Open, term: Option<(Term, Span)>) {
        if self.aborted {
            return;
        }
        let (primary, msg) = match term {
            Some((t, sp)) => (
                sp,
                format!("expected `{}` before `{}`", open.0.closer(), t.text()),
            ),
            None => {
                // the last character of the text that is not white space
                let end = self.text.trim_end().len();
                let start = self.text[..end]
                    .char_indices()
                    .last()
                    .map(|(i, _)| i)
                    .unwrap_or(end);
                (
                    Span::new(start, end),
                    format!("the script ends here, without `{}`", open.0.closer()),
                )
            }
        };
        self.diags.push(
            Diagnostic::error(
                codes::UNBALANCED_BLOCK,
                format!("`{}` without `{}`", open.0.opener(), open.0.closer()),
            )
            .at(self.ctx.source, primary, msg)
            .with_secondary(
                self.ctx.source,
                open.1,
                format!("this `{}` is never closed", open.0.opener()),
            )
            .with_help(format!("add `{}` at the end of the block", open.0.closer())),
        );
    }

    /// Parse a body; on the expected terminators return it, else report and return `None`.
    fn body(
        &mut self,
        stack: &mut Vec<Open>,
        open: Open,
        accept: &[Term],
    ) -> (Block, Option<(Term, Span)>) {
        let bstart = self.pos;
        stack.push(open);
        let (stmts, term) = self.block(stack);
        stack.pop();
        let bend = term.map(|(_, s)| s.start).unwrap_or(self.text.len());
        let block = Block {
            statements: stmts,
            span: Span::new(bstart, bend.max(bstart)),
        };
        match term {
            Some((t, sp)) if accept.contains(&t) => (block, Some((t, sp))),
            other => {
                self.unclosed(open, other);
                (block, None)
            }
        }
    }

    fn if_stmt(&mut self, stack: &mut Vec<Open>) -> Stmt {
        let start = self.pos;
        let open = (BlockKind::If, self.opener_span(2));
        let mut ok = true;
        let (cond, _) = self.head(|ctx, s| if_head(ctx, s, "if"), true);
        ok &= cond.is_some();
        let mut branches = Vec::new();
        let mut otherwise = None;
        let mut extra_else = Vec::new();
        let mut cond = cond;
        let mut end;
        loop {
            let (body, term) = self.body(stack, open, &[Term::ElseIf, Term::Else, Term::EndIf]);
            end = body.span.end;
            if let Some(c) = cond.take() {
                branches.push(IfBranch { cond: c, body });
            }
            match term {
                Some((Term::ElseIf, _)) => {
                    let (c, _) = self.head(|ctx, s| if_head(ctx, s, "elseif"), true);
                    ok &= c.is_some();
                    cond = c;
                }
                Some((Term::Else, sp)) => {
                    end = self.finish_segment(sp.end);
                    let (body, mut term) = self.body(stack, open, &[Term::Else, Term::EndIf]);
                    end = end.max(body.span.end);
                    otherwise = Some(body);
                    // `ELSE … ELSE … END IF`: Qlik runs such scripts (the Qlik Deployment Framework's
                    // LoadContainerGlobalVariables has one); its syntax shows one optional ELSE
                    // (https://help.qlik.com/en-US/cloud-services/Subsystems/Hub/Content/Sense_Hub/Scripting/ScriptControlStatements/If.htm).
                    while let Some((Term::Else, sp)) = term {
                        self.dead_else(sp);
                        end = self.finish_segment(sp.end);
                        let (body, t) = self.body(stack, open, &[Term::Else, Term::EndIf]);
                        end = end.max(body.span.end);
                        extra_else.push(body);
                        term = t;
                    }
                    if let Some((_, sp)) = term {
                        end = self.finish_segment(sp.end);
                    } else {
                        ok = false;
                    }
                    break;
                }
                Some((_, sp)) => {
                    end = self.finish_segment(sp.end);
                    break;
                }
                None => {
                    ok = false;
                    break;
                }
            }
        }
        let kind = if ok {
            StmtKind::If {
                branches,
                otherwise,
                extra_else,
            }
        } else {
            StmtKind::Error
        };
        Stmt {
            kind,
            span: Span::new(start, end.max(start)),
        }
    }

    /// The warning for a second `ELSE` (at `sp`) in one IF.
    #[inline(never)]
    fn dead_else(&mut self, sp: Span) {
        self.diags.push(
            Diagnostic::warning(codes::SYNTAX, "a further `ELSE` in one IF: its statements never run")
                .at(self.ctx.source, sp, "an ELSE above already takes every case left; qsa never runs this branch")
                .with_help("Qlik runs such scripts but does not document them: qsa reads this branch as dead and refuses where what it would change matters; remove this ELSE, or move its statements into the first one"),
        );
    }

    fn for_stmt(&mut self, stack: &mut Vec<Open>) -> Stmt {
        let start = self.pos;
        let open = (BlockKind::For, self.opener_span(3));
        let (head, _) = self.head(for_head, false);
        let (body, term) = self.body(stack, open, &[Term::Next]);
        let mut end = body.span.end;
        let mut ok = head.is_some();
        if let Some((_, sp)) = term {
            // NEXT [var]
            let after = ws_line(&self.text[sp.end..]);
            let mut e = sp.end;
            if !after.is_empty() && !after.starts_with(';') && !after.starts_with('\n') {
                if let Ok((r, _)) = name(&self.ctx, after) {
                    e = self.off(r);
                }
            }
            end = self.finish_segment(e);
        } else {
            ok = false;
        }
        let kind = match (head, ok) {
            (
                Some(ForHead::Range {
                    var,
                    from,
                    to,
                    step,
                }),
                true,
            ) => StmtKind::For {
                var,
                from,
                to,
                step,
                body,
            },
            (Some(ForHead::Each { var, items }), true) => StmtKind::ForEach { var, items, body },
            _ => StmtKind::Error,
        };
        Stmt {
            kind,
            span: Span::new(start, end.max(start)),
        }
    }

    fn do_stmt(&mut self, stack: &mut Vec<Open>) -> Stmt {
        let start = self.pos;
        let open = (BlockKind::Do, self.opener_span(2));
        let (pre, _) = self.head(
            |ctx, s| {
                let (r, _) = kw(ctx, "do", s)?;
                loop_cond(ctx, r)
            },
            false,
        );
        let (body, term) = self.body(stack, open, &[Term::Loop]);
        let mut end = body.span.end;
        let mut post = None;
        let mut ok = pre.is_some();
        if term.is_some() {
            let (p, e) = self.head(
                |ctx, s| {
                    let (r, _) = kw(ctx, "loop", s)?;
                    loop_cond(ctx, r)
                },
                false,
            );
            end = e;
            ok &= p.is_some();
            post = p.flatten();
        } else {
            ok = false;
        }
        let kind = match (pre, ok) {
            (Some(pre), true) => StmtKind::Do { pre, body, post },
            _ => StmtKind::Error,
        };
        Stmt {
            kind,
            span: Span::new(start, end.max(start)),
        }
    }

    fn sub_stmt(&mut self, stack: &mut Vec<Open>) -> Stmt {
        let start = self.pos;
        let open = (BlockKind::Sub, self.opener_span(3));
        let (head, _) = self.head(
            |ctx, s| {
                let (r, _) = kw(ctx, "sub", s)?;
                let (r, n) = name(ctx, r)?;
                let mut params = Vec::new();
                let mut r = r;
                if let Ok((r2, _)) = punct(ctx, "(", r) {
                    r = r2;
                    if let Ok((r3, _)) = punct(ctx, ")", r) {
                        r = r3;
                    } else {
                        loop {
                            let (r3, p) = name(ctx, r)?;
                            params.push(p);
                            r = r3;
                            if let Ok((r3, _)) = punct(ctx, ",", r) {
                                r = r3;
                                continue;
                            }
                            r = punct(ctx, ")", r)?.0;
                            break;
                        }
                    }
                }
                Ok((r, (n, params)))
            },
            false,
        );
        let (body, term) = self.body(stack, open, &[Term::EndSub]);
        let mut end = body.span.end;
        let mut ok = head.is_some();
        if let Some((_, sp)) = term {
            end = self.finish_segment(sp.end);
        } else {
            ok = false;
        }
        let kind = match (head, ok) {
            (Some((name, params)), true) => StmtKind::Sub { name, params, body },
            _ => StmtKind::Error,
        };
        Stmt {
            kind,
            span: Span::new(start, end.max(start)),
        }
    }

    fn switch_stmt(&mut self, stack: &mut Vec<Open>) -> Stmt {
        let start = self.pos;
        let open = (BlockKind::Switch, self.opener_span(6));
        let (subject, _) = self.head(
            |ctx, s| {
                let (r, _) = kw(ctx, "switch", s)?;
                expr(ctx, r)
            },
            false,
        );
        let mut ok = subject.is_some();
        let (pre, mut term) = self.body(stack, open, &[Term::Case, Term::Default, Term::EndSwitch]);
        if let Some(s) = pre.statements.first() {
            ok = false;
            self.diags.push(
                Diagnostic::error(codes::SYNTAX, "statement before the first `CASE`")
                    .at(self.ctx.source, s.span, "not inside a CASE")
                    .with_help("move it into a `CASE` or `DEFAULT` branch"),
            );
        }
        let mut cases = Vec::new();
        let mut default = None;
        let mut end = pre.span.end;
        loop {
            match term {
                Some((Term::Case, _)) => {
                    let (vals, _) = self.head(
                        |ctx, s| {
                            let (r, _) = kw(ctx, "case", s)?;
                            expr_list(ctx, r)
                        },
                        false,
                    );
                    ok &= vals.is_some();
                    let (body, t) =
                        self.body(stack, open, &[Term::Case, Term::Default, Term::EndSwitch]);
                    end = body.span.end;
                    cases.push(SwitchCase {
                        values: vals.unwrap_or_default(),
                        body,
                    });
                    term = t;
                }
                Some((Term::Default, sp)) => {
                    self.finish_segment(sp.end);
                    let (body, t) = self.body(stack, open, &[Term::EndSwitch]);
                    end = body.span.end;
                    default = Some(body);
                    term = t;
                }
                Some((Term::EndSwitch, sp)) => {
                    end = self.finish_segment(sp.end);
                    break;
                }
                _ => {
                    ok = false;
                    break;
                }
            }
        }
        let kind = match (subject, ok) {
            (Some(subject), true) => StmtKind::Switch {
                subject,
                cases,
                default,
            },
            _ => StmtKind::Error,
        };
        Stmt {
            kind,
            span: Span::new(start, end.max(start)),
        }
    }
}

#[allow(clippy::large_enum_variant)] // a short-lived value
enum ForHead {
    Range {
        var: Name,
        from: Expr,
        to: Expr,
        step: Option<Expr>,
    },
    Each {
        var: Name,
        items: Vec<Expr>,
    },
}

fn if_head<'a>(ctx: &Ctx<'a>, s: &'a str, k: &'static str) -> PResult<'a, Expr> {
    let (r, _) = kw(ctx, k, s)?;
    let (r, c) = expr(ctx, r)?;
    let (r, _) = kw(ctx, "then", r)?;
    Ok((r, c))
}

fn for_head<'a>(ctx: &Ctx<'a>, s: &'a str) -> PResult<'a, ForHead> {
    let (r, _) = kw(ctx, "for", s)?;
    if let Ok((r, _)) = kw(ctx, "each", r) {
        let (r, var) = name(ctx, r)?;
        let (r, _) = kw(ctx, "in", r)?;
        let (r, items) = expr_list(ctx, r)?;
        return Ok((r, ForHead::Each { var, items }));
    }
    let (r, var) = name(ctx, r)?;
    let (r, _) = punct(ctx, "=", r)?;
    let (r, from) = expr(ctx, r)?;
    let (r, _) = kw(ctx, "to", r)?;
    let (r, to) = expr(ctx, r)?;
    let (r, step) = match kw(ctx, "step", r) {
        Ok((r, _)) => {
            let (r, e) = expr(ctx, r)?;
            (r, Some(e))
        }
        Err(_) => (r, None),
    };
    Ok((
        r,
        ForHead::Range {
            var,
            from,
            to,
            step,
        },
    ))
}

fn loop_cond<'a>(ctx: &Ctx<'a>, r: &'a str) -> PResult<'a, Option<LoopCond>> {
    let t = ws(r);
    let w = word_at(t).to_ascii_uppercase();
    let until = match w.as_str() {
        "WHILE" => false,
        "UNTIL" => true,
        _ => return Ok((r, None)),
    };
    let (r, cond) = expr(ctx, &t[w.len()..])?;
    Ok((r, Some(LoopCond { until, cond })))
}

fn opt_cond<'a>(ctx: &Ctx<'a>, r: &'a str) -> PResult<'a, Option<Condition>> {
    let t = ws(r);
    let w = word_at(t).to_ascii_uppercase();
    let unless = match w.as_str() {
        "WHEN" => false,
        "UNLESS" => true,
        _ => return Ok((r, None)),
    };
    let (r, cond) = expr(ctx, &t[w.len()..])?;
    Ok((r, Some(Condition { unless, cond })))
}

/// Is the word of length `len` at the start of `t` a label (`Word:`)?
fn followed_by_colon(t: &str, len: usize) -> bool {
    t.get(len..)
        .map(ws_line)
        .is_some_and(|r| r.starts_with(':') && !r.starts_with(":="))
}

/// The token at the start of `at` (a word, or one character), limited to `max` bytes.
fn token_at(at: &str, max: usize) -> &str {
    let w = word_at(at);
    let tok = if !w.is_empty() {
        w
    } else {
        match at.chars().next() {
            Some(c) if c != '\n' && c != '\r' => &at[..c.len_utf8()],
            _ => "",
        }
    };
    if tok.len() > max {
        ""
    } else {
        tok
    }
}

/// `next_part` result: the part needs `$(…)` expansion (nothing reported; consumed to its `;`).
const PART_DEFERRED: usize = usize::MAX;

/// Does this statement text (not yet expanded) look like a LOAD without a source, i.e. a preceding
/// LOAD? True when `LOAD` is one of its top-level words and none of `FROM`, `RESIDENT`, `INLINE`,
/// `AUTOGENERATE`, `FROM_FIELD`, `EXTENSION`, `SQL` or `SELECT` is (words inside quotes, brackets,
/// parentheses, `$(…)` and comments do not count).
fn is_sourceless_load(s: &str) -> bool {
    let b = s.as_bytes();
    let (mut i, mut depth) = (0usize, 0usize);
    let mut has_load = false;
    while i < b.len() {
        let c = b[i];
        let close = match c {
            b'\'' => Some(b'\''),
            b'"' => Some(b'"'),
            b'`' => Some(b'`'),
            b'[' => Some(b']'),
            _ => None,
        };
        if let Some(q) = close {
            i += 1;
            while i < b.len() && b[i] != q {
                i += 1;
            }
            i += 1;
            continue;
        }
        if c == b'/' && b.get(i + 1) == Some(&b'/') && (i == 0 || b[i - 1] != b':') {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
            continue;
        }
        if c == b'/' && b.get(i + 1) == Some(&b'*') {
            i += 2;
            while i + 1 < b.len() && !(b[i] == b'*' && b[i + 1] == b'/') {
                i += 1;
            }
            i += 2;
            continue;
        }
        if c == b'(' {
            depth += 1;
            i += 1;
            continue;
        }
        if c == b')' {
            depth = depth.saturating_sub(1);
            i += 1;
            continue;
        }
        if c.is_ascii_alphabetic() || c == b'_' {
            let st = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'.') {
                i += 1;
            }
            if depth == 0 {
                let w = s.get(st..i).unwrap_or("").to_ascii_uppercase();
                match w.as_str() {
                    "LOAD" => has_load = true,
                    // a source keyword, unless it is a field called so (`LOAD Name, Extension;`)
                    "FROM" | "RESIDENT" | "INLINE" | "AUTOGENERATE" | "FROM_FIELD"
                    | "EXTENSION" | "SQL" | "SELECT"
                        if !keyword_reads_as_name(&s[i..]) =>
                    {
                        return false
                    }
                    _ => {}
                }
            }
            continue;
        }
        i += 1;
    }
    has_load
}

fn stmt_raw(ctx: &Ctx<'_>, s: &str) -> RawText {
    let t = s.trim();
    let start = ctx.off(s) + (s.len() - s.trim_start().len());
    RawText {
        text: t.to_string(),
        span: Span::new(start, start + t.len()),
    }
}

/// A hint for a statement that did not parse, by its first word.
fn statement_help(w: &str) -> String {
    match w {
        "LOAD" => "a LOAD is `LOAD field, expr AS name, … FROM file (format) | RESIDENT table | INLINE [...] | AUTOGENERATE n [WHERE …];`".into(),
        "SET" => "write `SET name = text;`".into(),
        "LET" => "write `LET name = expression;`".into(),
        "DROP" => "write `DROP TABLE name[, name];` or `DROP FIELD name[, name] [FROM table];`".into(),
        "RENAME" => "write `RENAME TABLE old TO new;` or `RENAME FIELD old TO new;`".into(),
        "STORE" => "write `STORE table INTO path (qvd);`".into(),
        "IF" | "ELSEIF" => "write `IF condition THEN` (the condition and THEN on one line)".into(),
        "FOR" => "write `FOR i = 1 TO n [STEP s]` or `FOR EACH x IN a, b, c`".into(),
        "DO" | "LOOP" => "write `DO [WHILE|UNTIL condition]` … `LOOP [WHILE|UNTIL condition]`".into(),
        "SUB" => "write `SUB name(param, …)` … `END SUB`".into(),
        "CALL" => "write `CALL name(argument, …)`".into(),
        "EXIT" => "write `EXIT SCRIPT`, `EXIT FOR`, `EXIT DO`, `EXIT SUB` or `EXIT ERROR message`, optionally with `WHEN condition`".into(),
        "SWITCH" | "CASE" => "write `SWITCH expression`, then `CASE value` branches and `END SWITCH`".into(),
        _ => "qsa reads Qlik load-script statements (LOAD, SELECT, SET, LET, DROP, …); every statement ends with `;`".into(),
    }
}

/// Does commented-out text hold a `Section Access` statement (words separated by blanks, any case)?
fn hides_section_access(text: &str) -> bool {
    let mut words = text
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty());
    let mut prev_section = false;
    words.any(|w| {
        let hit = prev_section && w.eq_ignore_ascii_case("access");
        prev_section = w.eq_ignore_ascii_case("section");
        hit
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::SourceId;

    /// An unclosed `/*` between statements is a warning (Qlik ignores it); when it hides a Section
    /// Access, the warning says so.
    #[test]
    fn unclosed_comment_hiding_section_access_says_so() {
        let hides = crate::syntax::parse_script(
            SourceId(0),
            "/* off\nSECTION ACCESS;\nX: LOAD 1 AS A AUTOGENERATE 1;\n",
        );
        assert!(!hides.has_errors());
        assert!(hides.diagnostics[0]
            .message
            .contains("with its Section Access"));
        let stops = crate::syntax::parse_script(
            SourceId(0),
            "X: LOAD 1 AS A AUTOGENERATE 1;\n/* the end\nY: LOAD 2 AS B AUTOGENERATE 1;\n",
        );
        assert!(!stops.has_errors());
        assert_eq!(stops.diagnostics.len(), 1);
        assert!(!stops.diagnostics[0].message.contains("Section Access"));
        assert!(hides_section_access("x\n  section\taccess;"));
        assert!(!hides_section_access("sections access; access section"));
    }
}
