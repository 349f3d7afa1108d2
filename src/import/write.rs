//! The store's thread of an import: it writes the parts of each write the merging thread
//! makes ready, a write in one committed transaction, and tallies what the store did with
//! every reading. Writing is an import's bottleneck (SQLite's insert and the hourly max),
//! so the sorting and merging of twins happen on the thread that hands the parts over,
//! while the store writes the part before (docs/PERFORMANCE.md).

use std::sync::mpsc::{self, Receiver, Sender, SyncSender};

use super::{ImportError, ImportSummary, Reject, REJECTS_SHOWN};
use crate::model::Sample;
use crate::removals::MarkBuilder;
use crate::store::{
    AccountId, DayFile, HourRanges, InsertOutcome, SampleWriter, Store, StoreError,
};

/// A part of one write (one transaction): samples in time order, the readings of one
/// instant merged already, after those of the parts before; the day files read so far;
/// whether the write ends with it.
#[derive(Debug, Default)]
pub(super) struct Part {
    pub(super) samples: Vec<Sample>,
    pub(super) days: Vec<DayFile>,
    pub(super) last: bool,
}

/// The merging thread's end of the way to the store's thread: parts go, and the vectors of
/// the parts written come back, to be emptied and filled again there (dropping a part's
/// readings, each source a shared count, was 1.5 % of the store's thread).
pub(super) struct ToStore {
    parts: SyncSender<Part>,
    spent: Receiver<Vec<Sample>>,
}

impl ToStore {
    /// Hands `part` over, waiting while the store's thread has no room for it.
    pub(super) fn send(&self, part: Part) -> Result<(), Gone> {
        self.parts.send(part).map_err(|_| Gone)
    }

    /// An empty vector with room for `room` samples: one the store's thread gave back,
    /// when there is one.
    pub(super) fn vec(&self, room: usize) -> Vec<Sample> {
        match self.spent.try_recv() {
            Ok(mut v) => {
                v.clear();
                v.reserve(room);
                v
            }
            Err(_) => Vec::with_capacity(room),
        }
    }
}

/// The way to the store's thread, with room for `room` parts waiting: the merging thread's
/// end, and the store's thread's two ([`write_all`]).
pub(super) fn channel(room: usize) -> (ToStore, Receiver<Part>, Sender<Vec<Sample>>) {
    let (parts, rx) = mpsc::sync_channel(room);
    let (give_back, spent) = mpsc::channel();
    (ToStore { parts, spent }, rx, give_back)
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
    /// Adds the figures of a write that committed.
    fn absorb(&mut self, other: Written) {
        self.new += other.new;
        self.enriched += other.enriched;
        self.present += other.present;
        self.removed += other.removed;
        self.rejected += other.rejected;
        let room = REJECTS_SHOWN.saturating_sub(self.rejects.len());
        self.rejects.extend(other.rejects.into_iter().take(room));
        self.hours.extend(other.hours);
    }

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

/// Writes every part `rx` brings until its sender goes, for account `account` as import
/// `uid`, committing at each write's last part. A write cut short (its sender gone before
/// the last part) is rolled back and not counted. On an error it stops, and the sender
/// finds the channel closed.
pub(super) fn write_all(
    store: &mut Store,
    (account, uid): (AccountId, &str),
    rx: Receiver<Part>,
    give_back: Sender<Vec<Sample>>,
) -> Result<Written, ImportError> {
    let mut written = Written::default();
    let mut parts = rx.iter();
    while let Some(mut part) = parts.next() {
        let mut w = store.sample_writer(account)?;
        // What this import writes first is its own (crate::removals): marked with it.
        let mut marks = MarkBuilder::default();
        // This write's figures, counted once it commits.
        let mut this = Written::default();
        loop {
            insert(&mut w, &mut marks, &part.samples, &mut this)?;
            for d in &part.days {
                w.record_day_file(d)?;
            }
            // Emptied where it came from (a merging thread gone has no use for it).
            let _ = give_back.send(std::mem::take(&mut part.samples));
            if part.last {
                break;
            }
            match parts.next() {
                Some(next) => part = next,
                None => return Ok(written),
            }
        }
        w.record_marks(uid, marks.take())?;
        this.hours = w.commit()?;
        written.absorb(this);
    }
    Ok(written)
}

/// Inserts `samples`, counting what the store did with each in `written`, and marking the
/// new ones as this import's.
fn insert(
    w: &mut SampleWriter<'_>,
    marks: &mut MarkBuilder,
    samples: &[Sample],
    written: &mut Written,
) -> Result<(), ImportError> {
    w.insert_runs(samples, |run, outcome| {
        match outcome {
            Ok(InsertOutcome::New) => {
                written.new += run.len() as u64;
                marks.add_run(run.iter().map(|s| (s.ts, s.device.as_deref())));
            }
            Ok(InsertOutcome::Enriched) => written.enriched += run.len() as u64,
            Ok(InsertOutcome::Present) => written.present += run.len() as u64,
            Ok(InsertOutcome::Removed) => written.removed += run.len() as u64,
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
    Ok(())
}

/// The store's thread has stopped: it failed, and says why when joined.
#[derive(Debug)]
pub(super) struct Gone;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_write_cut_short_is_neither_stored_nor_counted() {
        let mut store = Store::open_in_memory().unwrap();
        let acct = store.ensure_account("default", "t").unwrap();
        let part = |from: i64, last: bool| Part {
            samples: (0..300).map(|i| Sample::new(from + 5 * i, 70)).collect(),
            days: Vec::new(),
            last,
        };
        let (tx, rx) = std::sync::mpsc::sync_channel(4);
        // One whole write of two parts, then the first part of another, and the sender goes.
        tx.send(part(1_700_000_000, false)).unwrap();
        tx.send(part(1_700_010_000, true)).unwrap();
        tx.send(part(1_700_100_000, false)).unwrap();
        drop(tx);
        let written = write_all(&mut store, (acct, "u"), rx, mpsc::channel().0).unwrap();
        assert_eq!((written.new, written.rejected), (600, 0));
        let mut summary = ImportSummary::default();
        written.add_to(&mut summary);
        assert_eq!(summary.samples_new, 600);
        let hours = store.hours("default", None, None).unwrap();
        assert_eq!(hours.iter().map(|h| h.sample_count).sum::<i64>(), 600);
        assert!(hours.iter().all(|h| h.hour < 1_700_100_000));
    }
}
