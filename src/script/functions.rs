//! Pure scalar functions of the script language (string, numeric, conditional, conversion, dates).
//!
//! The runner evaluates expressions and calls [`call`] for every function it does not handle itself
//! (inter-record functions such as `Peek`, `Previous`, `Exists`, `ApplyMap`, `RecNo`, and aggregations are
//! the runner's). Arguments arrive evaluated.

use crate::model::Value;

/// Settings functions depend on: the system variables and the fixed clock.
#[derive(Clone, Debug)]
pub struct FnEnv {
    /// Today's date as a Qlik serial number (days since 1899-12-30), from `--today` or the real clock.
    pub today: f64,
    /// `DateFormat`, `TimestampFormat`, `TimeFormat`, `MoneyFormat` system variables.
    pub date_format: String,
    pub timestamp_format: String,
    pub time_format: String,
    /// `DecimalSep`, `ThousandSep`.
    pub decimal_sep: String,
    pub thousand_sep: String,
    /// `MonthNames`, `DayNames` (`;`-separated as in Qlik).
    pub month_names: String,
    pub day_names: String,
}

impl Default for FnEnv {
    fn default() -> Self {
        FnEnv {
            today: 0.0,
            date_format: "YYYY-MM-DD".into(),
            timestamp_format: "YYYY-MM-DD hh:mm:ss[.fff]".into(),
            time_format: "hh:mm:ss".into(),
            decimal_sep: ".".into(),
            thousand_sep: ",".into(),
            month_names: "Jan;Feb;Mar;Apr;May;Jun;Jul;Aug;Sep;Oct;Nov;Dec".into(),
            day_names: "Mon;Tue;Wed;Thu;Fri;Sat;Sun".into(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum FnError {
    /// Not a function this module knows.
    #[error("unknown function")]
    Unknown,
    #[error("expects {min}..={max} arguments, got {got}")]
    Arity { min: usize, max: usize, got: usize },
    #[error("{0}")]
    Invalid(String),
}

/// Call function `name` (case-insensitive, e.g. `upper`, `Num#`) with evaluated arguments.
pub fn call(name: &str, args: &[Value], env: &FnEnv) -> Result<Value, FnError> {
    let _ = (name, args, env);
    Err(FnError::Unknown)
}
