//! `fitpipe query "SQL" [--format table|csv|json]`

use std::io::Write;

use clap::{Args, ValueEnum};

use super::output::io_err;
use crate::config::Settings;
use crate::error::Error;
use crate::store::{QueryResult, Store, Value};

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Format {
    Table,
    Csv,
    Json,
}

#[derive(Debug, Args)]
pub struct QueryArgs {
    /// One read-only SQL statement, e.g. "SELECT * FROM hourly_max LIMIT 5".
    pub sql: String,

    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
}

fn text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::Integer(i) => i.to_string(),
        Value::Real(f) => f.to_string(),
        Value::Text(t) => t.clone(),
        Value::Blob(b) => b.iter().map(|x| format!("{x:02x}")).collect(),
    }
}

fn json(v: &Value) -> serde_json::Value {
    match v {
        Value::Null => serde_json::Value::Null,
        Value::Integer(i) => (*i).into(),
        Value::Real(f) => {
            serde_json::Number::from_f64(*f).map_or(serde_json::Value::Null, Into::into)
        }
        Value::Text(t) => t.clone().into(),
        Value::Blob(_) => text(v).into(),
    }
}

/// Writes a result in `format`.
pub fn write_result(out: &mut impl Write, r: &QueryResult, format: Format) -> std::io::Result<()> {
    match format {
        Format::Table => {
            let mut t = comfy_table::Table::new();
            t.load_preset(comfy_table::presets::UTF8_FULL_CONDENSED)
                .set_content_arrangement(comfy_table::ContentArrangement::Dynamic)
                .set_header(&r.columns);
            for row in &r.rows {
                t.add_row(row.iter().map(text));
            }
            writeln!(out, "{t}")?;
            writeln!(
                out,
                "({} row{})",
                r.rows.len(),
                if r.rows.len() == 1 { "" } else { "s" }
            )
        }
        Format::Csv => {
            let mut w = crate::export::csv_writer(out);
            w.write_record(&r.columns)?;
            for row in &r.rows {
                w.write_record(row.iter().map(text))?;
            }
            w.flush()
        }
        Format::Json => {
            let rows: Vec<serde_json::Value> = r
                .rows
                .iter()
                .map(|row| {
                    serde_json::Value::Object(
                        r.columns
                            .iter()
                            .cloned()
                            .zip(row.iter().map(json))
                            .collect(),
                    )
                })
                .collect();
            serde_json::to_writer_pretty(&mut *out, &rows)?;
            writeln!(out)
        }
    }
}

pub fn run(settings: &Settings, args: QueryArgs) -> Result<(), Error> {
    let store = Store::open_read_only(&settings.db)?;
    let result = store.query(&args.sql)?;
    let mut out = std::io::stdout().lock();
    write_result(&mut out, &result, args.format).map_err(io_err)
}
