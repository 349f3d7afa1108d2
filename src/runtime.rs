//! The async runtime, its clock and Ctrl-C: the one home of tokio. The network work
//! (the pull, the remote, logins, pings) is written as futures; the command line runs each
//! on a runtime built here, and the modules wait through [`sleep`], [`timeout`] and
//! [`blocking`] rather than naming tokio.

use std::future::Future;
use std::time::Duration;

/// The async runtime could not be started (threads, the OS's event queue).
#[derive(Debug, thiserror::Error)]
#[error("start the async runtime: {0}")]
pub struct StartError(#[source] pub std::io::Error);

/// Ctrl-C came before the work ended; the work was dropped where it waited.
#[derive(Debug, thiserror::Error)]
#[error("{0} interrupted (Ctrl-C)")]
pub struct Interrupted(pub String);

/// A future did not end within its time; it was dropped.
#[derive(Debug, thiserror::Error)]
#[error("no answer within {} s", .0.as_secs())]
pub struct TimedOut(pub Duration);

/// A runtime on the calling thread (fitpipe's network work is one request at a time).
pub struct Runtime(tokio::runtime::Runtime);

impl Runtime {
    pub fn new() -> Result<Self, StartError> {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map(Runtime)
            .map_err(StartError)
    }

    /// Runs `work` to its end.
    pub fn block_on<F: Future>(&self, work: F) -> F::Output {
        self.0.block_on(work)
    }

    /// Runs `work` to its end, unless Ctrl-C comes first: then `work` is dropped where it
    /// waits (an open transaction rolls back; commits are not await points) and `what` is
    /// reported as interrupted.
    pub fn interruptible<F: Future>(&self, what: &str, work: F) -> Result<F::Output, Interrupted> {
        self.0.block_on(async {
            tokio::select! {
                biased;
                r = work => Ok(r),
                Ok(()) = tokio::signal::ctrl_c() => Err(Interrupted(what.to_string())),
            }
        })
    }
}

/// Waits `d` without holding up the runtime.
pub async fn sleep(d: Duration) {
    tokio::time::sleep(d).await;
}

/// `work`, unless `d` passes first.
pub async fn timeout<F: Future>(d: Duration, work: F) -> Result<F::Output, TimedOut> {
    tokio::time::timeout(d, work).await.map_err(|_| TimedOut(d))
}

/// Runs the blocking `work` on a thread of its own and waits for it; a panic in it is
/// raised again here.
pub async fn blocking<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
    match tokio::task::spawn_blocking(work).await {
        Ok(v) => v,
        Err(e) => std::panic::resume_unwind(e.into_panic()),
    }
}
