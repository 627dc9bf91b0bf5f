//! `qsa preview`: one user: access and reason, the security rows that applied (with script lines), rows
//! kept per table, omitted fields, sample rows, the [dec] rules the result depends on; `--export DIR`
//! writes the user's reduced tables (CSV or Parquet, omitted fields removed).

use super::report_cmd::{eprint_diagnostics, load_one_user, prepare_or_refuse};
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
    let one = match super::tenant_one::load_one(
        &args.script,
        &args.run,
        &args.tenant,
        &args.directory,
        &args.user,
        "preview",
    ) {
        Ok(x) => x,
        Err(e) => return e,
    };
    let (run, user, dir_diags, tenant) = match one {
        Some(o) => (o.run, o.user, o.diagnostics, Some((o.summary, o.tenant))),
        None => match load_one_user(
            &args.script,
            &args.run,
            &args.directory,
            &args.user,
            "preview",
        ) {
            Ok((run, user, diags)) => (run, user, diags, None),
            Err(e) => return e,
        },
    };
    let target: Target = args.run.target.into();
    let prepared = match prepare_or_refuse(&run, target, "preview") {
        Ok(p) => p,
        Err(e) => return e,
    };
    let mut results = prepared.evaluate(std::slice::from_ref(&user), true);
    // T15: the tenant tier first; a user it denies is DENIED whatever Section Access says.
    let tenant = match tenant {
        None => None,
        Some((summary, t)) => {
            match reduce::tenant::join(&mut results, &[user.key.as_str()], vec![t]) {
                Ok(mut joined) => match joined.pop().flatten() {
                    Some(t) => Some((summary, t)),
                    None => return refuse_unjoined(&user.key),
                },
                Err(_) => return refuse_unjoined(&user.key),
            }
        }
    };
    let Some(result) = results.first() else {
        return Exit::CouldNotRun;
    };
    let origin = |o: Option<&crate::model::RowOrigin>| reduce::origin_text(&run, o);
    let tier = tenant.as_ref().map(|(s, t)| (s, t));
    match (args.format, tier) {
        (TableFormat::Json, _) => super::out(&users::render_preview_json(result, &origin, tier)),
        (_, Some((summary, t))) => super::out(&users::render_preview_with_tenant(
            result, &run.app, args.rows, &origin, summary, t,
        )),
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

/// The tenant tier could not be joined with the user's Section Access result: exit 2.
fn refuse_unjoined(key: &str) -> Exit {
    errln!("qsa: user `{key}` has no tenant tier to join with Section Access; refusing to preview");
    Exit::CouldNotRun
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
