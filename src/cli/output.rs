//! Small printing helpers shared by the subcommands.

use std::io;

use crate::error::Error;

/// An error writing to stdout or stderr.
pub fn io_err(e: io::Error) -> Error {
    Error::output("write output", e)
}

/// A reader that went away (`fitpipe query ... | head`) is not a failure.
pub fn ignore_broken_pipe(r: Result<(), Error>) -> Result<(), Error> {
    match r {
        Err(e) if e.is_broken_pipe() => Ok(()),
        other => other,
    }
}

/// `1234567` as `1,234,567`.
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Prints a value as pretty JSON with a final newline: every `--json` output.
pub fn print_json(
    out: &mut impl std::io::Write,
    value: &impl serde::Serialize,
) -> Result<(), Error> {
    serde_json::to_writer_pretty(&mut *out, value).map_err(|e| io_err(e.into()))?;
    writeln!(out).map_err(io_err)
}

#[cfg(test)]
mod tests {
    #[test]
    fn thousands_groups_digits() {
        assert_eq!(super::thousands(0), "0");
        assert_eq!(super::thousands(999), "999");
        assert_eq!(super::thousands(1000), "1,000");
        assert_eq!(super::thousands(6_307_200), "6,307,200");
    }
}
