//! The syntax tree. Every node carries a byte [`Span`] into the text it was parsed from.
//!
//! Design for `$(…)` expansion (see also `syntax/mod.rs`): the parser never expands. A `$(…)` that appears
//! where an expression, name, path or text is expected is kept verbatim (as [`ExprKind::Expansion`], or
//! inside the raw text of a [`Name`], path or SET value). The script runner, before it executes a regular
//! statement whose text contains `$(`, expands the statement's source text (`&text[stmt.span]`) and parses
//! the result again with [`crate::syntax::parse_statements`]. Control statements are not re-parsed as a
//! whole; the runner expands and re-parses the expressions they hold (each has its own span) with
//! [`crate::syntax::parse_expr`].

use crate::diag::Span;

/// A parsed script: its top-level statements, with control blocks nested.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Script {
    pub statements: Vec<Stmt>,
    /// `///$tab Name` markers in order: the tab name and the span of the marker line.
    pub tabs: Vec<(String, Span)>,
}

/// How a name was written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Quote {
    /// `Name`, `My.Field`, `%Key`, `Amount$`
    None,
    /// `[A name]`
    Bracket,
    /// `"A name"`
    Double,
    /// `` `A name` ``
    Backtick,
    /// `'A name'`: accepted by Qlik after `AS` in a LOAD field list (`''` stands for `'`)
    Single,
}

/// A field, table, variable or sub name. `text` is the name without its quotes (`]]` inside brackets is
/// not special in Qlik; `""` inside double quotes stands for `"`). It may contain unexpanded `$(…)`.
#[derive(Clone, Debug, PartialEq)]
pub struct Name {
    pub text: String,
    pub quote: Quote,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Stmt {
    pub kind: StmtKind,
    /// The whole statement including its terminator (`;` or line end) when it has one.
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum StmtKind {
    /// `SET name = text;` The value is the raw text after `=` (trimmed), `None` for `SET x = ;`.
    Set { name: Name, value: Option<RawText> },
    /// `LET name = expr;` `None` for `LET x = ;` (which makes the variable empty).
    Let { name: Name, expr: Option<Expr> },
    /// `LET name = expr` whose text runs on to the next line (`name2 = …`) before its `;` (a real-script
    /// leniency, `QSA001` warning): what Qlik assigns is not known, so the runner makes `name` unknown.
    /// `tail_names`: the names the unread lines look like they assign (`b` of `b = …`).
    LetUnread { name: Name, tail_names: Vec<String> },
    /// `Section Access;` / `Section Application;`
    Section(SectionKind),
    /// A LOAD or SELECT statement, possibly with a label, prefixes and preceding loads.
    Load(Box<LoadStmt>),
    /// `DROP TABLE[S] a, b;` / `DROP FIELD[S] a, b [FROM t1, t2];`
    Drop {
        target: DropTarget,
        names: Vec<Name>,
        from: Vec<Name>,
    },
    /// `DROP VARIABLE[S] a, b;`: the variables no longer exist afterwards.
    DropVariables { names: Vec<Name> },
    /// `RENAME TABLE a TO b, c TO d;` / `RENAME FIELD[S] a TO b;` / `RENAME FIELDS USING map;`
    Rename {
        target: RenameTarget,
        pairs: Vec<(Name, Name)>,
        using: Option<Name>,
    },
    /// `STORE [fields FROM] table INTO path [(format)];`
    Store {
        fields: Vec<LoadField>,
        table: Name,
        path: RawText,
        format: Vec<FormatItem>,
    },
    /// `QUALIFY a, "b*";` / `UNQUALIFY *;` (names may be patterns)
    Qualify { unqualify: bool, names: Vec<Name> },
    /// `Star is *;` / `Star is;`
    Star { symbol: Option<RawText> },
    /// `BINARY [path];`
    Binary { path: RawText },
    /// `TRACE text;` (raw text to `;`)
    Trace { text: RawText },
    /// `[LIB|ODBC|OLEDB|CUSTOM] CONNECT [32|64] TO target;` Kept opaque.
    Connect { kind: ConnectKind, target: RawText },
    /// `DISCONNECT;`
    Disconnect,
    /// `DIRECTORY [path];`
    Directory { path: Option<RawText> },
    /// `ALIAS a AS b, c AS d;`
    Alias { pairs: Vec<(Name, Name)> },
    /// `TAG FIELD[S] f1, f2 WITH 'tag';` / `UNTAG …` / `TAG FIELDS USING map;`
    Tag {
        untag: bool,
        fields: Vec<Name>,
        tags: Vec<RawText>,
        using: Option<Name>,
    },
    /// `COMMENT TABLE[S]|FIELD[S] names WITH 'text';` / `… USING map;`
    Comment {
        target: CommentTarget,
        names: Vec<Name>,
        text: Option<RawText>,
        using: Option<Name>,
    },
    /// `SLEEP n;`
    Sleep { ms: Expr },
    /// `EXECUTE commandline;` (raw)
    Execute { command: RawText },
    /// `MAP field[, field] USING mapname;` / `UNMAP field;`
    Map {
        fields: Vec<Name>,
        using: Option<Name>,
    },
    /// `NullAsValue a, b;` / `NullAsNull a, b;`
    NullAs { as_value: bool, fields: Vec<Name> },
    /// `$(include=path);` / `$(must_include=path);` as a statement of its own.
    Include { must: bool, path: RawText },
    /// `CALL name[(args)]`. Arguments whose text contains `$(…)` are kept as `raw_args` (and `args` is
    /// empty): the runner expands that text, splits it at top-level commas and reads each part (S6),
    /// since `CALL s('$(a)', $(b) $(c))` may only form expressions after expansion.
    Call {
        name: Name,
        args: Vec<Expr>,
        raw_args: Option<RawText>,
    },
    /// `IF c THEN … ELSEIF c THEN … ELSE … END IF`
    If {
        branches: Vec<IfBranch>,
        otherwise: Option<Block>,
        /// The bodies of further `ELSE` clauses after the first (`… ELSE … ELSE … END IF`, a `QSA001`
        /// warning): Qlik runs such scripts without documenting them; qsa reads them as never run (the
        /// first ELSE takes every case left), and the runner records what they could change as unknown.
        extra_else: Vec<Block>,
    },
    /// `FOR var = from TO to [STEP step] … NEXT [var]`
    For {
        var: Name,
        from: Expr,
        to: Expr,
        step: Option<Expr>,
        body: Block,
    },
    /// `FOR EACH var IN item, item, … … NEXT [var]` (items may be `FileList(…)`, `DirList(…)`, …)
    ForEach {
        var: Name,
        items: Vec<Expr>,
        body: Block,
    },
    /// `DO [WHILE|UNTIL c] … LOOP [WHILE|UNTIL c]`
    Do {
        pre: Option<LoopCond>,
        body: Block,
        post: Option<LoopCond>,
    },
    /// `SUB name[(params)] … END SUB`
    Sub {
        name: Name,
        params: Vec<Name>,
        body: Block,
    },
    /// `SWITCH e CASE v[, v] … DEFAULT … END SWITCH`
    Switch {
        subject: Expr,
        cases: Vec<SwitchCase>,
        default: Option<Block>,
    },
    /// `WHEN c statement` / `UNLESS c statement`, the prefixes possibly repeated (`UNLESS a WHEN b DROP
    /// TABLE T;`): the regular statement (never a load: those keep `Prefix::When`) runs only when every
    /// condition allows it. `stmt.span` covers the statement after the prefixes.
    Conditional {
        conds: Vec<Condition>,
        stmt: Box<Stmt>,
    },
    /// `EXIT SCRIPT|FOR|DO|SUB [WHEN|UNLESS c]`; `EXIT ERROR message [WHEN|UNLESS c]` (Qlik Cloud: the
    /// reload fails with that message). `message` is also kept for `EXIT SCRIPT (message)`, a form Qlik
    /// does not document (the parser warns).
    Exit {
        what: ExitKind,
        message: Option<Expr>,
        cond: Option<Condition>,
    },
    /// A statement that qsa recognises by its keyword but does not model (e.g. `Search Include`,
    /// `Loosen Table`, `Semantic` loads, `Declare`, `Derive`). The runner decides: error when it may feed
    /// Section Access, warning elsewhere.
    Unsupported { keyword: String },
    /// A regular statement that contains `$(…)` and cannot be read before expansion (`$(vLoad);`,
    /// `LOAD $(vFields) …` forms the grammar cannot read unexpanded). `text` is the statement's source text
    /// without its `;`. The runner expands it and parses the result with
    /// [`crate::syntax::parse_statements`]; the parser reports a `codes::DEFERRED` info diagnostic.
    Deferred { text: RawText },
    /// A statement that did not parse. Its error diagnostic has already been reported; the runner refuses
    /// to claim anything it could have affected.
    Error,
}

impl StmtKind {
    /// The blocks a control statement holds, in source order: IF branches and ELSE bodies (further ELSEs
    /// included), FOR / FOR EACH / DO / SUB bodies, SWITCH cases and DEFAULT. None for other statements.
    pub fn blocks(&self) -> Vec<&Block> {
        match self {
            StmtKind::If {
                branches,
                otherwise,
                extra_else,
            } => branches
                .iter()
                .map(|b| &b.body)
                .chain(otherwise)
                .chain(extra_else)
                .collect(),
            StmtKind::For { body, .. }
            | StmtKind::ForEach { body, .. }
            | StmtKind::Do { body, .. }
            | StmtKind::Sub { body, .. } => vec![body],
            StmtKind::Switch { cases, default, .. } => {
                cases.iter().map(|c| &c.body).chain(default).collect()
            }
            _ => Vec::new(),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Block {
    pub statements: Vec<Stmt>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct IfBranch {
    pub cond: Expr,
    pub body: Block,
}

#[derive(Clone, Debug, PartialEq)]
pub struct SwitchCase {
    pub values: Vec<Expr>,
    pub body: Block,
}

#[derive(Clone, Debug, PartialEq)]
pub struct LoopCond {
    /// `true` for `UNTIL`, `false` for `WHILE`.
    pub until: bool,
    pub cond: Expr,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Condition {
    /// `true` for `UNLESS`, `false` for `WHEN`.
    pub unless: bool,
    pub cond: Expr,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitKind {
    Script,
    For,
    Do,
    Sub,
    /// `EXIT ERROR message`: ends the script and fails the reload.
    Error,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SectionKind {
    Access,
    Application,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DropTarget {
    Tables,
    Fields,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RenameTarget {
    Tables,
    Fields,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CommentTarget {
    Tables,
    Fields,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConnectKind {
    Lib,
    Odbc,
    OleDb,
    Custom,
    /// plain `CONNECT TO`
    Plain,
}

/// Text kept verbatim from the source (a SET value, a path, a TRACE message), with quotes removed where
/// the syntax has them (`'path'`, `[path]`). May contain unexpanded `$(…)`.
#[derive(Clone, Debug, PartialEq)]
pub struct RawText {
    pub text: String,
    pub span: Span,
}

/// A LOAD / SELECT statement: `[label:] [prefixes] part; [part; …]` where every part but the last is a
/// preceding load (a LOAD with no source of its own, reading from the part below it).
#[derive(Clone, Debug, PartialEq)]
pub struct LoadStmt {
    pub label: Option<Name>,
    pub prefixes: Vec<Prefix>,
    /// Top-most first. Non-empty. Only the last part has a source other than [`LoadSource::Preceding`].
    pub parts: Vec<LoadPart>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct LoadPart {
    pub span: Span,
    pub distinct: bool,
    /// Empty for `SQL SELECT` parts (their fields are inside the opaque SQL text).
    pub fields: Vec<LoadField>,
    pub source: LoadSource,
    pub where_: Option<Expr>,
    pub while_: Option<Expr>,
    pub group_by: Vec<Expr>,
    pub order_by: Vec<(Expr, bool)>, // (expr, descending)
}

#[derive(Clone, Debug, PartialEq)]
pub enum LoadField {
    /// `*`
    Star(Span),
    /// `expr [AS alias]`; without alias a field reference keeps its name, other expressions are named by
    /// their source text.
    Expr {
        expr: Expr,
        alias: Option<Name>,
        span: Span,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub enum LoadSource {
    /// No source: reads from the next part (preceding load).
    Preceding,
    /// `INLINE [data] [(format)]`; `data` is the raw text between the delimiters.
    Inline {
        data: RawText,
        format: Vec<FormatItem>,
    },
    /// `FROM path [(format)]`
    From {
        path: RawText,
        format: Vec<FormatItem>,
    },
    /// `RESIDENT table`
    Resident(Name),
    /// `AUTOGENERATE n`
    Autogenerate(Expr),
    /// `SQL SELECT …` / `SELECT …` (opaque to `;`)
    Sql(RawText),
    /// `FROM_FIELD (table, field)` and other sources kept opaque.
    Other(RawText),
}

/// One item of a file format specification `( … )`.
#[derive(Clone, Debug, PartialEq)]
pub enum FormatItem {
    /// `txt`, `qvd`, `qvx`, `parquet`, `ooxml`, `biff`, `html`, `xml`, `json`, `fix`, `dif`, `kml` (lower-case)
    FileType(String),
    /// `utf8`, `ansi`, `oem`, `mac`, `unicode`, `codepage is n` (lower-case text, or `codepage is 1252`)
    Codepage(String),
    EmbeddedLabels,
    ExplicitLabels,
    NoLabels,
    /// `delimiter is ','` (the string as written, unquoted; `'\t'` stays `\t`), or `delimiter is spaces`
    Delimiter(String),
    /// `msq`
    Msq,
    /// `no quotes`
    NoQuotes,
    /// `header is n lines`
    HeaderLines(u32),
    /// `header is n` (bytes) and other header forms
    HeaderOther(String),
    /// `record is n lines` / `record is line`
    RecordLines(u32),
    /// `table is name`
    Table(String),
    /// `comment is '…'`
    CommentIs(String),
    /// `no eof`
    NoEof,
    /// anything else, kept as written (e.g. `filters(…)`)
    Other(String),
}

#[derive(Clone, Debug, PartialEq)]
pub enum Prefix {
    Concatenate(Option<Name>),
    NoConcatenate,
    Mapping,
    /// `[Inner|Outer|Left|Right] Join [(table)]`
    Join {
        kind: JoinKind,
        table: Option<Name>,
    },
    /// `[Inner|Left|Right] Keep [(table)]`
    Keep {
        kind: JoinKind,
        table: Option<Name>,
    },
    /// `CrossTable(attribute, data [, n])`
    CrossTable {
        attribute: Name,
        data: Name,
        qualifiers: Option<u32>,
    },
    Generic,
    /// `Hierarchy(…)`, `HierarchyBelongsTo(…)`: arguments kept as names/expressions
    Hierarchy {
        belongs_to: bool,
        args: Vec<Expr>,
    },
    IntervalMatch {
        args: Vec<Name>,
    },
    /// `Buffer [(options)]`
    Buffer,
    /// `Add [Only]`
    Add {
        only: bool,
    },
    /// `Replace [Only]`
    Replace {
        only: bool,
    },
    /// `Merge [Only] [(…)] on …` (kept opaque)
    Merge,
    /// `First n`
    First(Expr),
    /// `Sample p`
    Sample(Expr),
    /// `When c` / `Unless c`
    When(Condition),
    Info,
    Semantic,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JoinKind {
    /// plain `Join` / `Keep` (an outer join; a plain `Keep` is not valid Qlik, parsed as Inner)
    Plain,
    Inner,
    Outer,
    Left,
    Right,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    /// A number literal with its source text (`1`, `2.50`, `1e3`).
    Num {
        value: f64,
        text: String,
    },
    /// `'text'` with `''` unescaped.
    Str(String),
    /// A field (or, where the runner allows, variable) reference.
    Field(Name),
    /// `$(…)` not yet expanded: the text between `$(` and the matching `)`.
    Expansion(String),
    Unary {
        op: UnaryOp,
        expr: Box<Expr>,
    },
    Binary {
        op: BinaryOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    /// `Name(args)`; `distinct` for `Count(DISTINCT x)`-style aggregation arguments.
    Call {
        name: Name,
        distinct: bool,
        args: Vec<Expr>,
    },
    /// A parenthesised expression (kept so printing round-trips).
    Paren(Box<Expr>),
    /// An argument left empty in a call (`WeekDay(Today(),)`, `f(a,,c)`): Qlik reads it as omitted.
    /// Its span is the empty place (before the `,` or `)` that follows it).
    Absent,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnaryOp {
    Neg,
    Plus,
    Not,
    BitNot,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinaryOp {
    Add,
    Sub,
    Mul,
    Div,
    /// `&`
    Concat,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Like,
    Precedes,
    Follows,
    And,
    Or,
    Xor,
    BitAnd,
    BitOr,
    BitXor,
    Shl,
    Shr,
}
