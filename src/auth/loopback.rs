//! The loopback redirect listener of the installed-app flow (RFC 8252): one HTTP request on
//! 127.0.0.1 at a random port, answered with a short page.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::time::{Duration, Instant};

use super::AuthError;

pub struct Loopback {
    listener: TcpListener,
}

/// What the browser brought back.
pub struct Redirect {
    pub code: String,
    pub state: String,
}

const DONE: &str = "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>fitpipe</title></head><body style=\"font-family:sans-serif\"><h2>fitpipe is connected</h2><p>You can close this tab and go back to the terminal.</p></body></html>";
const FAILED: &str = "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>fitpipe</title></head><body style=\"font-family:sans-serif\"><h2>fitpipe was not connected</h2><p>See the terminal for what happened.</p></body></html>";

impl Loopback {
    pub fn bind() -> Result<Loopback, AuthError> {
        let listener = TcpListener::bind("127.0.0.1:0")
            .map_err(|e| AuthError::Login(format!("cannot listen on 127.0.0.1: {e}")))?;
        Ok(Loopback { listener })
    }

    pub fn redirect_uri(&self) -> String {
        let port = self.listener.local_addr().map(|a| a.port()).unwrap_or(0);
        format!("http://127.0.0.1:{port}/")
    }

    /// Waits for the redirect (ignoring other requests, such as a favicon) until `timeout`.
    pub fn wait(&self, timeout: Duration) -> Result<Redirect, AuthError> {
        self.listener
            .set_nonblocking(true)
            .map_err(|e| AuthError::Login(e.to_string()))?;
        let deadline = Instant::now() + timeout;
        loop {
            let (mut stream, _) = match self.listener.accept() {
                Ok(s) => s,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    if Instant::now() >= deadline {
                        return Err(AuthError::Login(format!(
                            "no answer from the browser within {} s; run `fitpipe auth login` again",
                            timeout.as_secs()
                        )));
                    }
                    std::thread::sleep(Duration::from_millis(50));
                    continue;
                }
                Err(e) => return Err(AuthError::Login(e.to_string())),
            };
            let _ = stream.set_nonblocking(false);
            let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
            let mut line = String::new();
            if BufReader::new(&stream).read_line(&mut line).is_err() {
                continue;
            }
            let target = line.split_whitespace().nth(1).unwrap_or("/");
            let Ok(url) = url::Url::parse(&format!("http://127.0.0.1{target}")) else {
                continue;
            };
            let q: std::collections::HashMap<String, String> =
                url.query_pairs().into_owned().collect();
            if url.path() != "/" || (q.is_empty()) {
                let _ = stream.write_all(
                    b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                );
                continue;
            }
            let (page, result) = match (q.get("code"), q.get("state"), q.get("error")) {
                (_, _, Some(err)) => (
                    FAILED,
                    Err(AuthError::Login(format!(
                        "Google answered {err:?} (consent refused?)"
                    ))),
                ),
                (Some(code), Some(state), None) => (
                    DONE,
                    Ok(Redirect {
                        code: code.clone(),
                        state: state.clone(),
                    }),
                ),
                _ => (
                    FAILED,
                    Err(AuthError::Login("the redirect carried no code".into())),
                ),
            };
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{page}",
                page.len()
            );
            return result;
        }
    }
}
