//! Ad-hoc SQL for `fitpipe query`: one statement, on a connection that cannot write.

use super::{Result, Store, StoreError};

/// A cell of a query result.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Integer(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
}

/// Column names and rows of a query.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryResult {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Value>>,
}

impl Store {
    /// Runs one read-only statement. A statement that would write is refused before it runs;
    /// the connection itself is opened read-only as well.
    pub fn query(&self, sql: &str) -> Result<QueryResult> {
        let mut stmt = self.conn.prepare(sql).map_err(|e| match e {
            rusqlite::Error::MultipleStatement => {
                StoreError::Query("give one SQL statement at a time".into())
            }
            other => StoreError::Query(other.to_string()),
        })?;
        if !stmt.readonly() {
            return Err(StoreError::Query(
                "only read-only statements are allowed (SELECT, WITH, read-only PRAGMA)".into(),
            ));
        }
        let columns: Vec<String> = stmt.column_names().map(|c| c.to_string()).collect();
        let n = columns.len();
        let mut rows = Vec::new();
        let mut q = stmt
            .query([])
            .map_err(|e| StoreError::Query(e.to_string()))?;
        while let Some(r) = q.next().map_err(|e| StoreError::Query(e.to_string()))? {
            let mut row = Vec::with_capacity(n);
            for i in 0..n {
                use rusqlite::types::ValueRef;
                row.push(match r.get_ref(i)? {
                    ValueRef::Null => Value::Null,
                    ValueRef::Integer(v) => Value::Integer(v),
                    ValueRef::Real(v) => Value::Real(v),
                    ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
                    ValueRef::Blob(b) => Value::Blob(b.to_vec()),
                });
            }
            rows.push(row);
        }
        Ok(QueryResult { columns, rows })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
            assert!(matches!(s.query(sql), Err(StoreError::Query(_))), "{sql}");
        }
        let r = s.query("SELECT name FROM account").unwrap();
        assert_eq!(r.rows, vec![vec![Value::Text("default".into())]]);
    }
}
