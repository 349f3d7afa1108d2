//! The async runtime the commands that talk to the network run on, and Ctrl-C: tokio is
//! started here, in `cli`, and nowhere else.

use crate::error::Error;

/// A current-thread runtime (fitpipe's network work is one request at a time).
pub(crate) fn runtime() -> Result<tokio::runtime::Runtime, Error> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Internal(format!("start the async runtime: {e}")))
}

/// Runs `work` to its end, unless Ctrl-C comes first: then `work` is dropped where it
/// waits (an open transaction rolls back; commits are not await points) and `what` is
/// reported as interrupted.
pub(crate) fn interruptible<F: std::future::Future>(
    rt: &tokio::runtime::Runtime,
    what: &str,
    work: F,
) -> Result<F::Output, Error> {
    rt.block_on(async {
        tokio::select! {
            biased;
            r = work => Ok(r),
            Ok(()) = tokio::signal::ctrl_c() => Err(Error::Interrupted(format!("{what} interrupted (Ctrl-C)"))),
        }
    })
}
