//! The store's thread of an import: it writes the batches the merging thread makes ready,
//! each in one committed transaction, and tallies what the store did with every reading.
//! Writing is an import's bottleneck (SQLite's insert and the hourly max), so the sorting
//! and merging of twins happen on the thread that hands the batches over, while the
//! previous batch is written (docs/PERFORMANCE.md).

use std::sync::mpsc::Receiver;

use super::{ImportError, ImportSummary, Reject, REJECTS_SHOWN};
use crate::model::Sample;
use crate::store::{AccountId, DayFile, HourRanges, InsertOutcome, Store, StoreError};

/// One write: samples in time order, the readings of one instant merged already, and the
/// day files read so far.
#[derive(Debug, Default)]
pub(super) struct Batch {
    pub(super) samples: Vec<Sample>,
    pub(super) days: Vec<DayFile>,
}

/// What the store did with an import's readings.
#[derive(Debug, Default)]
pub(super) struct Written {
    new: u64,
    enriched: u64,
    present: u64,
    removed: u64,
    rejected: u64,
    rejects: Vec<Reject>,
    hours: HourRanges,
}

impl Written {
    /// Adds these figures to `summary`, the rejects after those the readers found.
    pub(super) fn add_to(mut self, summary: &mut ImportSummary) {
        summary.hours_touched = self.hours.hour_count();
        summary.samples_new += self.new;
        summary.samples_enriched += self.enriched;
        summary.samples_present += self.present;
        summary.samples_removed += self.removed;
        summary.rejected += self.rejected;
        let room = REJECTS_SHOWN.saturating_sub(summary.rejects.len());
        summary.rejects.extend(self.rejects.into_iter().take(room));
    }
}

/// Writes every batch `rx` brings until its sender goes, for account `account` as import
/// `uid`. On an error it stops, and the sender finds the channel closed.
pub(super) fn write_all(
    store: &mut Store,
    (account, uid): (AccountId, &str),
    rx: Receiver<Batch>,
) -> Result<Written, ImportError> {
    let mut written = Written::default();
    for batch in rx {
        write(store, (account, uid), batch, &mut written)?;
    }
    Ok(written)
}

fn write(
    store: &mut Store,
    (account, uid): (AccountId, &str),
    batch: Batch,
    written: &mut Written,
) -> Result<(), ImportError> {
    let mut w = store.sample_writer(account)?;
    // What this import writes first is its own (crate::removals): marked with the samples.
    let mut marks = crate::removals::MarkBuilder::default();
    w.insert_many(&batch.samples, |s, outcome| {
        match outcome {
            Ok(InsertOutcome::New) => {
                written.new += 1;
                marks.add(s.ts, s.device.as_deref());
            }
            Ok(InsertOutcome::Enriched) => written.enriched += 1,
            Ok(InsertOutcome::Present) => written.present += 1,
            Ok(InsertOutcome::Removed) => written.removed += 1,
            Err(StoreError::TimeOutOfRange(ts)) => {
                written.rejected += 1;
                if written.rejects.len() < REJECTS_SHOWN {
                    written.rejects.push(Reject::new(
                        "(input)",
                        None,
                        format!("time stamp {ts} is before 1970 or too far in the future"),
                    ));
                }
            }
            Err(e) => return Err(e),
        }
        Ok(())
    })?;
    w.record_marks(uid, marks.take())?;
    for d in &batch.days {
        w.record_day_file(d)?;
    }
    written.hours.extend(w.commit()?);
    Ok(())
}

/// The store's thread has stopped: it failed, and says why when joined.
#[derive(Debug)]
pub(super) struct Gone;
