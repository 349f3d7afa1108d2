//! Ad-hoc SQL for `fitpipe query`: one statement, on a connection that cannot write, its rows
//! handed out one at a time as SQLite produces them, so no result is ever held whole.

use std::borrow::Cow;

use super::{Result, Store, StoreError};

/// A cell of a query result, borrowed from SQLite's row: valid while the row is.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell<'a> {
    Null,
    Integer(i64),
    Real(f64),
    /// Text as UTF-8 (invalid bytes replaced).
    Text(Cow<'a, str>),
    Blob(&'a [u8]),
}

/// One row of a query result, valid while `row` runs.
pub struct Row<'r> {
    row: &'r rusqlite::Row<'r>,
    len: usize,
}

impl Row<'_> {
    /// The number of cells.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the row has no cells (a statement with no result columns).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Cell `i` (`i < len()`).
    pub fn cell(&self, i: usize) -> Cell<'_> {
        use rusqlite::types::ValueRef;
        match self.row.get_ref(i).expect("a column of the statement") {
            ValueRef::Null => Cell::Null,
            ValueRef::Integer(v) => Cell::Integer(v),
            ValueRef::Real(v) => Cell::Real(v),
            ValueRef::Text(t) => Cell::Text(String::from_utf8_lossy(t)),
            ValueRef::Blob(b) => Cell::Blob(b),
        }
    }
}

/// A prepared read-only statement: its column names, then its rows.
pub struct Rows<'s> {
    stmt: rusqlite::Statement<'s>,
    columns: Vec<String>,
}

impl Store {
    /// Prepares one read-only statement. A statement that would write is refused before it
    /// runs; the connection itself is opened read-only as well.
    pub fn prepare_query(&self, sql: &str) -> Result<Rows<'_>> {
        let stmt = self.conn.prepare(sql).map_err(|e| match e {
            rusqlite::Error::MultipleStatement => {
                StoreError::Query("give one SQL statement at a time".into())
            }
            other => StoreError::query(other),
        })?;
        if !stmt.readonly() {
            return Err(StoreError::Query(
                "only read-only statements are allowed (SELECT, WITH, read-only PRAGMA)".into(),
            ));
        }
        let columns = stmt.column_names().map(|c| c.to_string()).collect();
        Ok(Rows { stmt, columns })
    }
}

impl Rows<'_> {
    /// The result's column names.
    pub fn columns(&self) -> &[String] {
        &self.columns
    }

    /// Runs the statement and hands `row` each row in turn, as SQLite produces it. An error
    /// of `row` stops the statement and is returned inside the `Ok`.
    pub fn for_each<E>(
        &mut self,
        mut row: impl FnMut(&Row<'_>) -> std::result::Result<(), E>,
    ) -> Result<std::result::Result<(), E>> {
        let len = self.columns.len();
        let mut q = self.stmt.query([]).map_err(StoreError::query)?;
        while let Some(r) = q.next().map_err(StoreError::query)? {
            if let Err(e) = row(&Row { row: r, len }) {
                return Ok(Err(e));
            }
        }
        Ok(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every row, as owned text, for comparing.
    fn all(s: &Store, sql: &str) -> Result<Vec<Vec<String>>> {
        let mut out = Vec::new();
        s.prepare_query(sql)?
            .for_each(|r| {
                out.push((0..r.len()).map(|i| format!("{:?}", r.cell(i))).collect());
                Ok::<_, ()>(())
            })?
            .unwrap();
        Ok(out)
    }

    #[test]
    fn writes_are_refused_even_on_a_writable_connection() {
        let mut s = Store::open_in_memory().unwrap();
        s.ensure_account("default", "t").unwrap();
        for sql in [
            "DELETE FROM account",
            "DROP TABLE sample",
            "UPDATE account SET name = 'x'",
            "INSERT INTO device (name) VALUES ('x')",
            "SELECT 1; DELETE FROM account",
        ] {
            assert!(matches!(all(&s, sql), Err(StoreError::Query(_))), "{sql}");
        }
        assert_eq!(
            all(&s, "SELECT name FROM account").unwrap(),
            vec![vec![format!("{:?}", Cell::Text("default".into()))]]
        );
    }

    #[test]
    fn cells_keep_their_sqlite_types_and_a_callback_error_stops_the_rows() {
        let s = Store::open_in_memory().unwrap();
        let sql = "SELECT 1, 2.5, 'x', NULL, x'ff00' UNION ALL SELECT 2, 3.5, 'y', NULL, x''";
        let mut seen = Vec::new();
        let mut rows = s.prepare_query(sql).unwrap();
        assert_eq!(rows.columns().len(), 5);
        let r = rows
            .for_each(|r| {
                let cells: Vec<Cell<'_>> = (0..r.len()).map(|i| r.cell(i)).collect();
                seen.push(format!("{cells:?}"));
                Err("stop")
            })
            .unwrap();
        assert_eq!(r, Err("stop"));
        assert_eq!(
            seen,
            vec![format!(
                "{:?}",
                [
                    Cell::Integer(1),
                    Cell::Real(2.5),
                    Cell::Text("x".into()),
                    Cell::Null,
                    Cell::Blob(&[0xff, 0])
                ]
            )]
        );
    }
}
