//! `qsa preview`: one user: access and reason, the security rows that applied (with script lines), rows
//! kept per table, omitted fields, sample rows, the [dec] rules the result depends on; `--export DIR`
//! writes the user's reduced tables (CSV or Parquet, omitted fields removed).

use super::report_cmd::{eprint_diagnostics, load};
use super::{Exit, ExportFormat, PreviewArgs, TableFormat};
use crate::access::Target;
use crate::diag::{codes, Diagnostic};
use crate::model::engine::Kept;
use crate::model::DataModel;
use crate::reduce::{self, UserResult};
use crate::report::users;
use polars::prelude::*;
use std::path::Path;

pub fn run(args: PreviewArgs) -> Exit {
    let Some(who) = args.user.user.clone() else {
        errln!("qsa: preview needs --user ID");
        return Exit::CouldNotRun;
    };
    let with_dir = !args.directory.directory.is_empty();
    let (run, dir, _catalog, dir_diags) = match load(
        &args.script,
        &args.run,
        &args.directory,
        &args.user,
        !with_dir,
    ) {
        Ok(x) => x,
        Err(e) => return e,
    };
    let user = if with_dir {
        match dir.find(&who) {
            Some(u) => u.clone(),
            None => {
                let d = Diagnostic::error(
                    codes::USER_NOT_FOUND,
                    format!("user `{who}` is not in the directory (looked up by subject, e-mail and id)"),
                );
                eprint_diagnostics(&[d], &run.sources);
                return Exit::CouldNotRun;
            }
        }
    } else {
        match args.user.to_user() {
            Some(u) => u,
            None => return Exit::CouldNotRun,
        }
    };
    let target: Target = args.run.target.into();
    let prepared = match reduce::prepare(&run, target) {
        Ok(p) => p,
        Err(diags) => {
            errln!("qsa: the Section Access cannot be evaluated faithfully; refusing to preview");
            eprint_diagnostics(&diags, &run.sources);
            return Exit::CouldNotRun;
        }
    };
    let results = prepared.evaluate(std::slice::from_ref(&user), true);
    let Some(result) = results.first() else {
        return Exit::CouldNotRun;
    };
    let origin = |o: Option<&crate::model::RowOrigin>| reduce::origin_text(&run, o);
    match args.format {
        TableFormat::Json => super::out(&users::render_preview_json(result, &origin)),
        _ => super::out(&users::render_preview(result, &run.app, args.rows, &origin)),
    }
    let mut diags = prepared.diagnostics.clone();
    diags.extend(dir_diags);
    diags.extend(result.diagnostics.iter().cloned());
    for r in &result.rules {
        diags.push(
            Diagnostic::warning(
                codes::USER_DEPENDS_ON_DEC,
                format!(
                    "this result depends on rule {r} [dec]: {}",
                    users::rule_text(r)
                ),
            )
            .with_rule(r),
        );
    }
    eprint_diagnostics(&diags, &run.sources);
    if let Some(dir) = &args.export {
        if let Err(e) = export(result, &run.app, dir, args.export_format) {
            errln!("qsa: cannot export to `{}`: {e}", dir.display());
            return Exit::CouldNotRun;
        }
    }
    Exit::Ok
}

fn file_name(table: &str) -> String {
    let s: String = table
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | ' ') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if s.trim().is_empty() || s.starts_with('.') {
        format!("table_{s}")
    } else {
        s
    }
}

/// The user's reduced table as a DataFrame of texts (omitted fields removed).
pub fn reduced_frame(
    table: &crate::model::Table,
    kept: Option<&Kept>,
    omitted: &[String],
) -> PolarsResult<DataFrame> {
    let rows: Vec<usize> = (0..table.row_count())
        .filter(|&r| kept.map(|k| k.contains(r)).unwrap_or(true))
        .collect();
    let cols: Vec<Column> = table
        .fields
        .iter()
        .zip(&table.columns)
        .filter(|(f, _)| !omitted.contains(f))
        .map(|(f, c)| crate::reduce::reference::text_column(f, c, Some(&rows)))
        .collect();
    DataFrame::new(rows.len(), cols)
}

fn export(u: &UserResult, app: &DataModel, dir: &Path, format: ExportFormat) -> Result<(), String> {
    if u.access == reduce::Access::Denied {
        return Err(format!("user `{}` is denied; nothing to export", u.id));
    }
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    for (ti, t) in app.tables.iter().enumerate() {
        let kept = u.kept.as_ref().and_then(|k| k.get(ti));
        let mut df = reduced_frame(t, kept, &u.omitted_fields).map_err(|e| e.to_string())?;
        let ext = match format {
            ExportFormat::Csv => "csv",
            ExportFormat::Parquet => "parquet",
        };
        let path = dir.join(format!("{}.{ext}", file_name(&t.name)));
        let mut f = std::fs::File::create(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        match format {
            ExportFormat::Csv => CsvWriter::new(&mut f)
                .finish(&mut df)
                .map_err(|e| e.to_string())?,
            ExportFormat::Parquet => {
                ParquetWriter::new(&mut f)
                    .finish(&mut df)
                    .map_err(|e| e.to_string())?;
            }
        }
    }
    Ok(())
}
