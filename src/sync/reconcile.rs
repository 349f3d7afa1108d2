//! The master table's reconcile with the remote, one object per account and UTC year
//! (`layout::master_object`), so that an hourly sync touches the year it changed and a
//! cohort's laptops never touch each other's hours.
//!
//! For each object this store remembers the version it last wrote, or read and merged, and
//! the local change counter of that account's year at that moment (`remote_object`,
//! `master_change`). With one listing of the account's objects:
//! - the remote's version is the remembered one and the local year did not change: nothing;
//! - the remote's is the remembered one, the local year changed: the local hours are
//!   written, conditional on the remembered generation, without reading (the remote copy
//!   is what the local table already holds);
//! - otherwise (another machine wrote, a new or emptied bucket, nothing remembered) the
//!   object is read (`If-None-Match` on the remembered ETag), merged, and written back
//!   conditionally if the merge changed it. A refused write (412) forgets what was
//!   remembered and reads again, at most `MAX_ATTEMPTS` times.
//!
//! The single `hourly_max.csv` of earlier fitpipes is read (when it changed since last
//! seen) and merged into the local table, never written: its hours reach the per-year
//! objects through the local table.

use std::collections::{BTreeMap, BTreeSet};

use super::remote::{ObjectVersion, Read};
use super::{layout, master, plan, record, Ctx, SyncError, SyncReport, MAX_ATTEMPTS};
use crate::store::{AccountId, RemoteObjectState, Store, StoreError};

/// One account's master objects as listed: UTC year -> ETag.
pub(super) type Listing = BTreeMap<i32, Option<String>>;
/// Listings by account.
pub(super) type Listings = BTreeMap<String, Listing>;

/// Lists the master objects of `account`.
pub(super) async fn list(remote: &super::Remote, account: &str) -> Result<Listing, SyncError> {
    Ok(remote
        .list_meta(&layout::master_dir(account))
        .await?
        .into_iter()
        .filter_map(|(name, e_tag)| {
            layout::parse_master_object(&name).map(|(_, year)| (year, e_tag))
        })
        .collect())
}

/// Whether a master object of `account` is listed in a version this store does not
/// remember (another machine wrote it, or it is new to this store).
pub(super) fn changed_remotely(
    store: &Store,
    remote: &super::Remote,
    account: &str,
    listed: &Listing,
) -> Result<bool, StoreError> {
    for (year, e_tag) in listed {
        let known =
            store.remote_object(remote.display(), &layout::master_object(account, *year))?;
        if e_tag.is_none() || known.and_then(|k| k.e_tag) != *e_tag {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Reconciles the master objects of `accounts` (and reads the legacy master), under the
/// accounts' `current` policies; `listed` holds the listings already made.
pub(super) async fn master(
    store: &mut Store,
    ctx: &Ctx<'_>,
    report: &mut SyncReport,
    current: &master::Policies,
    accounts: &[String],
    mut listed: Listings,
) -> Result<(), SyncError> {
    legacy(store, ctx, report, current).await?;
    let mut hours = 0;
    for account in accounts {
        let id = store.account(account)?;
        let listed = match listed.remove(account) {
            Some(l) => l,
            None => list(ctx.remote, account).await?,
        };
        let local: BTreeMap<i32, i64> = match id {
            Some(id) => store.master_years(id)?.into_iter().collect(),
            None => BTreeMap::new(),
        };
        let years: BTreeSet<i32> = listed.keys().chain(local.keys()).copied().collect();
        for year in years {
            let listed = listed.get(&year).map(|e| e.as_deref());
            hours += year_object(store, ctx, report, current, account, id, year, listed).await?;
        }
    }
    report.master_hours = hours;
    Ok(())
}

/// One account's hours of one year: returns how many the merged object holds.
#[allow(clippy::too_many_arguments)]
async fn year_object(
    store: &mut Store,
    ctx: &Ctx<'_>,
    report: &mut SyncReport,
    current: &master::Policies,
    account: &str,
    id: Option<AccountId>,
    year: i32,
    // The listing's ETag of the object: `None` when it is not listed, `Some(None)` when
    // listed without one.
    listed: Option<Option<&str>>,
) -> Result<usize, SyncError> {
    let remote = ctx.remote;
    let object = layout::master_object(account, year);
    let range = layout::year_range(year);
    let mut known = store.remote_object(remote.display(), &object)?;
    for attempt in 1..=MAX_ATTEMPTS {
        report.master_attempts = report.master_attempts.max(attempt);
        let seq = match id {
            Some(id) => store.master_year_seq(id, year)?,
            None => 0,
        };
        let known_version = known.as_ref().map(ObjectVersion::from);
        let as_remembered = attempt == 1
            && matches!((listed, &known), (Some(Some(e)), Some(k)) if k.e_tag.as_deref() == Some(e));
        let read = if as_remembered {
            Read::Unchanged
        } else if listed.is_none() && attempt == 1 {
            Read::Missing
        } else {
            remote
                .get_if_changed(&object, known_version.as_ref())
                .await?
        };
        let copy = match read {
            Read::Copy(c) => Some(c),
            Read::Missing => None,
            Read::Unchanged => {
                // Nobody wrote it since this store did, or read and merged it: the local
                // table holds every hour of it.
                if let Some(k) = known.as_ref().filter(|k| k.seq == seq) {
                    let hours = k.hours;
                    if attempt == 1 {
                        record(
                            ctx,
                            &plan::Operation::MasterUpToDate { object, hours },
                            report,
                        );
                    }
                    return Ok(hours);
                }
                let hours = match id {
                    Some(id) => store.hour_count_in(id, range.clone())?,
                    None => 0,
                };
                if !ctx.opts.push {
                    return Ok(hours);
                }
                let op = plan::Operation::WriteMaster {
                    object: object.clone(),
                    hours,
                    bytes: master::write(&super::local_hours(store, Some(account), range.clone())?),
                };
                record(ctx, &op, report);
                let (plan::Operation::WriteMaster { bytes, .. }, false) = (op, ctx.opts.dry_run)
                else {
                    return Ok(hours);
                };
                match remote
                    .put_if_version(&object, bytes, known_version.as_ref())
                    .await?
                {
                    Some(v) => {
                        remember(store, ctx, &object, v, seq, hours)?;
                        report.master_written = true;
                        return Ok(hours);
                    }
                    None => {
                        tracing::info!(attempt, %object, "the remote master object changed underneath; merging again");
                        known = None;
                        continue;
                    }
                }
            }
        };
        let theirs = match &copy {
            Some(c) => master::parse(&c.bytes).map_err(|message| SyncError::Corrupt {
                object: remote.name(&object),
                message,
            })?,
            None => master::Master::new(),
        };
        if let Some(bad) = theirs
            .keys()
            .find(|(a, hour)| a != account || !range.contains(hour))
        {
            return Err(SyncError::Corrupt {
                object: remote.name(&object),
                message: format!(
                    "it holds hour {} of account {}, which belongs in another object",
                    crate::model::format_utc(bad.1),
                    bad.0
                ),
            });
        }
        let ours = super::local_hours(store, Some(account), range.clone())?;
        let ops = plan::master(
            &object,
            &ours,
            &theirs,
            current,
            copy.as_ref().map(|c| c.bytes.as_ref()),
            ctx.opts.push,
        );
        let hours = master::merge(&ours, &theirs, current).len();
        let mut write = None;
        for op in ops {
            // A retry after a concurrent write lists only what it writes.
            if let plan::Operation::WriteMaster { bytes, .. } = &op {
                write = Some(bytes.clone());
                record(ctx, &op, report);
            } else if attempt == 1 {
                record(ctx, &op, report);
            }
            super::apply(store, ctx, None, op, &BTreeMap::new(), report).await?;
        }
        if ctx.opts.dry_run {
            return Ok(hours);
        }
        // The merged hours are local now: the counter after them is what the copy holds.
        let seq = match store.account(account)? {
            Some(id) => store.master_year_seq(id, year)?,
            None => 0,
        };
        let Some(bytes) = write else {
            if let Some(c) = &copy {
                remember(store, ctx, &object, c.version(), seq, hours)?;
            }
            return Ok(hours);
        };
        if let Some(v) = remote.put_versioned(&object, bytes, copy.as_ref()).await? {
            remember(store, ctx, &object, v, seq, hours)?;
            report.master_written = true;
            return Ok(hours);
        }
        known = None;
        tracing::info!(attempt, %object, "the remote master object changed underneath; merging again");
    }
    Err(SyncError::Contention {
        attempts: MAX_ATTEMPTS,
    })
}

/// Reads the master of earlier fitpipes, when it changed since last seen, into the local
/// table (never writing it).
async fn legacy(
    store: &mut Store,
    ctx: &Ctx<'_>,
    report: &mut SyncReport,
    current: &master::Policies,
) -> Result<(), SyncError> {
    let remote = ctx.remote;
    let object = layout::LEGACY_MASTER;
    let known = store.remote_object(remote.display(), object)?;
    let known_version = known.as_ref().map(ObjectVersion::from);
    let copy = match remote
        .get_if_changed(object, known_version.as_ref())
        .await?
    {
        Read::Unchanged => return Ok(()),
        Read::Missing => {
            if known.is_some() && !ctx.opts.dry_run {
                store.forget_remote_object(remote.display(), object)?;
            }
            return Ok(());
        }
        Read::Copy(c) => c,
    };
    let theirs = master::parse(&copy.bytes).map_err(|message| SyncError::Corrupt {
        object: remote.name(object),
        message,
    })?;
    let ours = super::local_master(store)?;
    for op in plan::master(object, &ours, &theirs, current, None, false) {
        record(ctx, &op, report);
        super::apply(store, ctx, None, op, &BTreeMap::new(), report).await?;
    }
    if !ctx.opts.dry_run {
        remember(store, ctx, object, copy.version(), 0, theirs.len())?;
    }
    Ok(())
}

/// Writes each account's sources and whether each is counted (`sources/NAME.csv`) where the
/// remote's copy differs: one conditional read per account (`If-None-Match`), a write only
/// when the store's sources changed. The object is derived from the merged policy and the
/// sources every machine's parts bring, so machines converge on it; a refused write (another
/// machine wrote at the same time) is left for the next sync.
pub(super) async fn counted_sources(
    store: &mut Store,
    ctx: &Ctx<'_>,
    report: &mut SyncReport,
    accounts: &[String],
) -> Result<(), SyncError> {
    use std::hash::{Hash, Hasher};
    let remote = ctx.remote;
    for account in accounts {
        let Some(id) = store.account(account)? else {
            continue;
        };
        let sources = store.counted_sources(id)?;
        if sources.is_empty() {
            // Samples that name no source all count: nothing for an engine to leave out.
            continue;
        }
        let bytes = super::choices::write_counted(account, &sources);
        let mut h = std::hash::DefaultHasher::new();
        bytes.hash(&mut h);
        let digest = (h.finish() >> 1) as i64;
        let object = layout::sources_object(account);
        let known = store.remote_object(remote.display(), &object)?;
        let known_version = known.as_ref().map(ObjectVersion::from);
        let copy = match remote
            .get_if_changed(&object, known_version.as_ref())
            .await?
        {
            Read::Unchanged if known.as_ref().is_some_and(|k| k.seq == digest) => continue,
            Read::Copy(c) if c.bytes.as_ref() == bytes.as_slice() => {
                if !ctx.opts.dry_run {
                    remember(store, ctx, &object, c.version(), digest, sources.len())?;
                }
                continue;
            }
            Read::Unchanged => Err(known_version),
            Read::Missing => Ok(None),
            Read::Copy(c) => {
                super::choices::check_counted(account, &c.bytes).map_err(|message| {
                    SyncError::Corrupt {
                        object: remote.name(&object),
                        message,
                    }
                })?;
                Ok(Some(c))
            }
        };
        let op = plan::Operation::WriteSources {
            object: object.clone(),
            sources: sources.len(),
            bytes,
        };
        record(ctx, &op, report);
        let (plan::Operation::WriteSources { bytes, .. }, false) = (op, ctx.opts.dry_run) else {
            continue;
        };
        let written = match &copy {
            Ok(c) => remote.put_versioned(&object, bytes, c.as_ref()).await?,
            Err(v) => remote.put_if_version(&object, bytes, v.as_ref()).await?,
        };
        match written {
            Some(v) => remember(store, ctx, &object, v, digest, sources.len())?,
            None => store.forget_remote_object(remote.display(), &object)?,
        }
    }
    Ok(())
}

/// Remembers that `object` is version `v` on this remote, holding `hours` hours, the local
/// ones as of change counter `seq`. A version with no ETag cannot be asked about: nothing
/// is kept.
pub(super) fn remember(
    store: &mut Store,
    ctx: &Ctx<'_>,
    object: &str,
    v: ObjectVersion,
    seq: i64,
    hours: usize,
) -> Result<(), StoreError> {
    let remote = ctx.remote.display();
    if v.e_tag.is_none() {
        return store.forget_remote_object(remote, object);
    }
    store.set_remote_object(
        remote,
        object,
        &RemoteObjectState {
            e_tag: v.e_tag,
            version: v.version,
            seq,
            hours,
        },
    )
}
