//! Syncing the local store with a remote: the raw-sample lake and the master table.
//!
//! Plan apart from apply: [`plan`] decides, with no I/O, which parts to read and which
//! [`plan::Operation`]s follow from what was read; [`run`] reads the remote, records each
//! operation in the report and performs it in `apply`, where a dry run stops; only the
//! conditional write of the master table is performed by its own loop, because a refused
//! write (412) sends it back to read and merge again. The
//! remote is the truth for replication state: after a failed upload fitpipe forgets which
//! remote parts it had merged, and the next run recomputes that from a listing.
//! Sync deletes two kinds of remote object only: a folder remote's own lock object, and
//! the parts of a day it has just compacted into one part that it wrote, read back and
//! proved to hold every one of their samples.

pub mod choices;
pub mod inspect;
pub mod layout;
pub mod master;
pub mod parts;
pub mod plan;
mod reconcile;
pub mod remote;
pub mod removals;

use std::collections::{BTreeMap, BTreeSet, HashSet};

pub use remote::{Concurrency, ObjectVersion, Remote};

use crate::model::{validate_account_name, Sample};
use crate::store::{AccountId, Store, StoreError};

/// Why the remote refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RemoteFailure {
    Permission,
    Credentials,
    Missing,
    Other,
}

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("could not {op} {object}: {source}")]
    Remote {
        op: String,
        object: String,
        kind: RemoteFailure,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    #[error("remote object {object} is not valid: {message}")]
    Corrupt { object: String, message: String },
    #[error(
        "the remote master table kept changing while merging ({attempts} attempts); try again"
    )]
    Contention { attempts: u32 },
    #[error("the remote's lock {object} is held by {holder} (written {minutes} min ago)")]
    LockHeld {
        object: String,
        holder: String,
        minutes: i64,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What a sync is allowed to do.
#[derive(Debug, Clone)]
pub struct SyncOptions {
    /// Upload (false for `restore`: read the remote into the local store only).
    pub push: bool,
    /// Change nothing, local or remote; report the plan.
    pub dry_run: bool,
    /// Written into a folder remote's lock object (`service::Holder::to_text`).
    pub holder: String,
    /// Wait for a lock another live process holds, instead of failing.
    pub wait: bool,
    /// Days that ended at or before this instant (epoch seconds) are closed: older than
    /// the late window, so no more samples are expected for them, and their parts are
    /// compacted into one. `i64::MIN` closes none.
    pub closed_before: i64,
    /// The accounts to sync (a laptop of a cohort that shares a bucket); `None`: every
    /// account of the store and of the remote.
    pub accounts: Option<BTreeSet<String>>,
    /// List every part of the remote, whenever the last such listing was.
    pub verify: bool,
}

/// What a sync did (or, dry, would do).
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct SyncReport {
    pub accounts: Vec<String>,
    pub parts_read: usize,
    pub parts_uploaded: Vec<String>,
    pub samples_uploaded: usize,
    pub samples_from_remote: u64,
    pub hours_merged_locally: usize,
    pub master_hours: usize,
    pub master_written: bool,
    pub master_attempts: u32,
    /// Whether the merged source choices were written to the remote.
    pub choices_written: bool,
    /// Accounts whose hours were computed again under source choices taken from the remote.
    pub accounts_recomputed: usize,
    /// Removals taken from the remote and applied here.
    pub removals_applied: usize,
    /// Whether the merged removals were written to the remote.
    pub removals_written: bool,
    /// Readings of removed imports left out of the parts read from the lake.
    pub samples_left_out: u64,
    /// Days whose parts were compacted into one.
    pub days_compacted: usize,
    /// Accounts of the store that `remote.accounts` leaves out: not synced.
    pub accounts_left_out: Vec<String>,
    /// Whether every part of the remote was listed (else the recent days').
    pub full_listing: bool,
    /// Parts deleted after their samples were proven held by a compacted part.
    pub parts_removed: usize,
    /// Compacted parts the remote refused to delete (their samples are held twice).
    pub parts_not_removed: usize,
    /// One line per operation, for --dry-run (the operations themselves, which may hold a
    /// part's bytes, are dropped once performed).
    pub plan: Vec<String>,
}

/// Takes a folder remote's lock object. A lock left by a process of this machine that no
/// longer runs is broken at once, one older than [`STALE_LOCK_MINUTES`] too (its writer, on
/// whatever machine, crashed); a live one fails the sync, or with `wait` is waited for.
async fn take_lock(remote: &Remote, opts: &SyncOptions) -> Result<(), SyncError> {
    // How often the lock may be found gone between a refused create and the read; past
    // that, something other than a lock holds its name.
    let mut vanished = 0;
    loop {
        if remote.try_lock(&opts.holder).await? {
            return Ok(());
        }
        let Some((text, age)) = remote.read_lock().await? else {
            // Released in between: try again.
            vanished += 1;
            if vanished > 20 {
                return Err(SyncError::LockHeld {
                    object: remote.name(remote::LOCK),
                    holder: "something that is not a lock file".into(),
                    minutes: 0,
                });
            }
            continue;
        };
        let holder = crate::service::Holder::parse(&text);
        let minutes = age.num_minutes();
        if holder.as_ref().is_some_and(|h| h.is_dead_here()) || minutes >= STALE_LOCK_MINUTES {
            tracing::warn!(
                minutes,
                holder = %text.trim(),
                "breaking a lock on the remote that its writer left behind"
            );
            remote.unlock().await?;
            continue;
        }
        if !opts.wait {
            return Err(SyncError::LockHeld {
                object: remote.name(remote::LOCK),
                holder: holder.map_or_else(|| text.trim().to_string(), |h| h.to_string()),
                minutes,
            });
        }
        crate::runtime::sleep(LOCK_POLL).await;
    }
}

/// Attempts at a conditional master write before giving up.
const MAX_ATTEMPTS: u32 = 8;
/// A folder remote's lock older than this is left by a crashed run and may be broken.
const STALE_LOCK_MINUTES: i64 = 10;
/// How often a sync that waits for a folder remote's lock looks again.
const LOCK_POLL: std::time::Duration = std::time::Duration::from_secs(2);

/// The local master table in the remote's shape.
pub fn local_master(store: &Store) -> Result<master::Master, StoreError> {
    local_hours(store, None, i64::MIN..i64::MAX)
}

/// The local hours of `account` (every account with `None`) that start in `range`, in the
/// remote's shape.
pub fn local_hours(
    store: &Store,
    account: Option<&str>,
    range: std::ops::Range<i64>,
) -> Result<master::Master, StoreError> {
    let mut m = master::Master::new();
    store
        .for_each_hour_in(account, range, |account, h| {
            m.insert((account.to_string(), h.hour), *h);
            Ok::<_, std::convert::Infallible>(())
        })?
        .unwrap_or_else(|never| match never {});
    Ok(m)
}

/// Syncs every account of `store` (and every account the remote has) with `remote`.
///
/// Which parts are listed: every part of the remote on the first sync, on a restore, and
/// once every [`FULL_LISTING_EVERY`] seconds (the remote is the truth for what it holds:
/// a day whose parts were deleted, a part another machine wrote for an old day); between
/// those, only the parts of the days where new parts are expected (not closed yet, and the
/// one closed last), unless the account's master objects changed on the remote (another
/// machine added hours, perhaps to old days) or this store has an old day to upload, which
/// list the account's every part.
pub async fn run(
    store: &mut Store,
    remote: &Remote,
    opts: &SyncOptions,
    now: &str,
) -> Result<SyncReport, SyncError> {
    let mut report = SyncReport::default();
    let now_ts = crate::clock::now().timestamp();
    let today = now_ts.div_euclid(crate::model::DAY);
    // Days marked clean were clean for the remote of the last sync; another remote is
    // checked for every day once (and listed whole).
    let switched = match (opts.push, opts.dry_run) {
        (true, false) => store.switch_lake_remote(remote.display())?,
        // A dry run changes nothing, but plans as the sync would.
        (true, true) => store.lake_remote()?.is_some_and(|r| r != remote.display()),
        (false, _) => false,
    };
    if switched {
        tracing::info!(remote = %remote.display(), "a remote other than the last one: every day is checked against it once");
    }
    let recent_from = opts.closed_before.div_euclid(crate::model::DAY) - 1;
    let ctx = Ctx {
        remote,
        opts,
        now,
        recheck: switched && opts.dry_run,
    };
    // Removals first: the parts read from the lake leave out what they name.
    reconcile_removals(store, &ctx, &mut report).await?;
    let full = !opts.push
        || opts.verify
        || switched
        || today - recent_from > MAX_RECENT_DAYS
        || store
            .full_listing_at(remote.display())?
            .is_none_or(|at| now_ts - at >= FULL_LISTING_EVERY || at > now_ts);
    report.full_listing = full;

    // The parts listed: account -> day -> names; the master objects listed ahead of the
    // reconcile when they decide the parts' listing.
    let mut listing: BTreeMap<String, parts::ByDay> = BTreeMap::new();
    let mut masters = reconcile::Listings::new();
    let mut accounts: BTreeSet<String> = match &opts.accounts {
        Some(only) => {
            report.accounts_left_out = store
                .account_names()?
                .into_iter()
                .filter(|a| !only.contains(a))
                .collect();
            only.clone()
        }
        None => store.account_names()?.into_iter().collect(),
    };
    // The day each account's listing starts at (`None`: all of them).
    let mut listed_from: BTreeMap<String, i64> = BTreeMap::new();
    let group = |listing: &mut BTreeMap<String, parts::ByDay>, names: Vec<String>| {
        for name in names {
            if let Some((account, date)) = layout::parse_part(&name) {
                listing
                    .entry(account)
                    .or_default()
                    .entry(parts::day_of(date))
                    .or_default()
                    .push(name);
            }
        }
    };
    if let (true, Some(_)) = (full, &opts.accounts) {
        for account in &accounts {
            group(
                &mut listing,
                remote.list(&layout::account_dir(account)).await?,
            );
        }
    } else if full {
        group(&mut listing, remote.list("samples/").await?);
        accounts.extend(listing.keys().cloned());
        accounts.extend(remote.master_accounts().await?);
    } else {
        if opts.accounts.is_none() {
            accounts.extend(remote.master_accounts().await?);
        }
        for account in &accounts {
            let listed = reconcile::list(remote, account).await?;
            let id = store.account(account)?;
            let old_dirty = match id {
                Some(id) => store
                    .dirty_days(id)?
                    .first()
                    .is_some_and(|d| *d < recent_from),
                None => true,
            };
            let whole = old_dirty
                || reconcile::changed_remotely(store, remote, account, &listed)?
                || !canary_holds(store, remote, account, id, recent_from).await?;
            masters.insert(account.clone(), listed);
            let names = if whole {
                remote.list(&layout::account_dir(account)).await?
            } else {
                listed_from.insert(account.clone(), recent_from);
                remote.list_parts_from(account, recent_from, today).await?
            };
            group(&mut listing, names);
        }
    }
    let none = parts::ByDay::new();
    for account in &accounts {
        let parts = listing.get(account).unwrap_or(&none);
        let id = match store.account(account)? {
            Some(id) => Some(id),
            None if opts.dry_run => None,
            None => Some(store.ensure_account(account, now)?),
        };
        let from = listed_from.get(account).copied();
        if let Err(e) = sync_lake(store, &ctx, account, id, parts, from, &mut report).await {
            if let (Some(id), false) = (id, opts.dry_run) {
                store.forget_parts(id)?;
            }
            return Err(e);
        }
    }
    report.accounts = accounts.into_iter().collect();
    reconcile_master(store, &ctx, &mut report, masters).await?;
    if full && !opts.dry_run {
        store.set_full_listing_at(remote.display(), now_ts)?;
    }
    Ok(report)
}

/// Whether the oldest part this store knows of `account` (one before the recent days) is
/// still on the remote: one HEAD request that finds an emptied lake (a bucket cleared by
/// hand, another bucket under the same URL) without listing it.
async fn canary_holds(
    store: &Store,
    remote: &Remote,
    account: &str,
    id: Option<AccountId>,
    recent_from: i64,
) -> Result<bool, SyncError> {
    let Some(id) = id else {
        return Ok(true);
    };
    let canary = store.first_known_part(id, &layout::part_prefix(account, recent_from))?;
    match canary {
        Some(p) => remote.exists(&p).await,
        None => Ok(true),
    }
}

/// How often (seconds) a sync lists every part of the remote, rather than the recent days.
pub const FULL_LISTING_EVERY: i64 = 24 * 3600;
/// A late window longer than this (days) lists every part every time.
const MAX_RECENT_DAYS: i64 = 62;

async fn sync_lake(
    store: &mut Store,
    ctx: &Ctx<'_>,
    account: &str,
    id: Option<AccountId>,
    listing: &parts::ByDay,
    // The first day the listing covers (`None`: every day).
    listed_from: Option<i64>,
    report: &mut SyncReport,
) -> Result<(), SyncError> {
    let (known, mut dirty) = match id {
        Some(id) => {
            // The parts of the days listed are the only ones asked about.
            let from = layout::part_prefix(account, listed_from.unwrap_or(i64::MIN));
            (store.known_parts(id, &from)?, store.dirty_days(id)?)
        }
        None => Default::default(),
    };
    if let (Some(id), true) = (id, ctx.recheck) {
        dirty.extend(store.days_with_hours(id, 0)?);
        dirty.sort_unstable();
        dirty.dedup();
    }
    // What the remote lacks entirely is dirty, whatever this store remembers uploading.
    if let (Some(id), true) = (id, ctx.opts.push) {
        let unlisted = plan::unlisted_days(
            &store.days_with_hours(id, listed_from.unwrap_or(0))?,
            listing,
        );
        if !unlisted.is_empty() {
            if !ctx.opts.dry_run {
                store.mark_days_dirty(id, &unlisted)?;
            }
            dirty.extend(unlisted);
            dirty.sort_unstable();
            dirty.dedup();
        }
    }
    let compact: BTreeSet<i64> = if ctx.opts.push {
        plan::days_to_compact(listing, ctx.opts.closed_before)
            .into_iter()
            .collect()
    } else {
        BTreeSet::new()
    };
    let read_days: Vec<i64> = dirty.iter().chain(&compact).copied().collect();
    let fetch = plan::parts_to_fetch(listing, &known, &read_days);
    let days: BTreeSet<i64> = fetch
        .keys()
        .chain(&dirty)
        .chain(&compact)
        .copied()
        .collect();
    // One day at a time, so a sync holds one day's samples, however long the history.
    // The merges of the days' new parts are listed as one line, where the account's
    // lines begin.
    let (plan_at, mut merged) = (report.plan.len(), plan::MergeTotal::default());
    for day in days {
        let mut fetched: BTreeMap<String, Vec<Sample>> = BTreeMap::new();
        // A part listed but gone when read: another machine compacted its day in between.
        // The day's parts are read again by the next sync; it is not compacted now.
        let mut vanished = false;
        // A part that held readings of a removed import is written again without them.
        let mut rewrite = false;
        for name in fetch.get(&day).into_iter().flatten() {
            let Some(bytes) = ctx.remote.get_if_exists(name).await? else {
                vanished = true;
                continue;
            };
            let mut samples =
                parts::parse_part(name, &bytes).map_err(|message| SyncError::Corrupt {
                    object: ctx.remote.name(name),
                    message,
                })?;
            if let Some(id) = id {
                let left = leave_out_removed(store, id, day, &mut samples)?;
                if left > 0 {
                    report.samples_left_out += left;
                    rewrite = true;
                }
            }
            fetched.insert(name.clone(), samples);
        }
        report.parts_read += fetched.len();

        // Parts from other machines (or an earlier life of this one) go into the local store.
        if let Some(op) = plan::merge_parts(account, &known, &fetched) {
            merged.add(&op);
            apply(store, ctx, id, op, &fetched, report).await?;
        }
        let Some(id) = id else {
            continue;
        };
        let mut day_parts: Vec<String> = fetched.keys().cloned().collect();
        if dirty.binary_search(&day).is_ok() {
            let remote_samples: Vec<Sample> =
                fetched.values().flat_map(|p| p.iter().cloned()).collect();
            let local = store.day_samples(id, day)?;
            if let Some(op) = plan::day(account, day, &local, &remote_samples, ctx.opts.push) {
                let uploaded = match &op {
                    plan::Operation::Upload { object, bytes, .. } => Some((
                        object.clone(),
                        parts::parse_part(object, bytes).expect("a part just written reads"),
                    )),
                    _ => None,
                };
                record(ctx, &op, report);
                apply(store, ctx, Some(id), op, &fetched, report).await?;
                if let Some((object, samples)) = uploaded {
                    fetched.insert(object.clone(), samples);
                    day_parts.push(object);
                }
            }
        }
        let closed = (day + 1) * crate::model::DAY <= ctx.opts.closed_before;
        if !ctx.opts.push || vanished || !(rewrite || plan::needs_compaction(&day_parts, closed)) {
            continue;
        }
        let of_day: BTreeMap<&str, &[Sample]> = fetched
            .iter()
            .map(|(p, s)| (p.as_str(), s.as_slice()))
            .collect();
        if let Some(op) = plan::compact(account, day, &of_day) {
            record(ctx, &op, report);
            apply(store, ctx, Some(id), op, &fetched, report).await?;
        }
    }
    if let Some(op) = merged.operation(account) {
        if let Some(line) = op.describe(|o| ctx.remote.name(o)) {
            report.plan.insert(plan_at, line);
        }
    }
    Ok(())
}

/// What every operation of one sync shares.
struct Ctx<'a> {
    remote: &'a Remote,
    opts: &'a SyncOptions,
    now: &'a str,
    /// A dry run against a remote other than the last one: every day is planned as dirty,
    /// as the sync would mark it.
    recheck: bool,
}

/// Lists `op` in the report's plan and counts what it uploads.
fn record(ctx: &Ctx<'_>, op: &plan::Operation, report: &mut SyncReport) {
    if let Some(line) = op.describe(|o| ctx.remote.name(o)) {
        report.plan.push(line);
    }
    if let plan::Operation::Upload {
        object, samples, ..
    } = op
    {
        report.parts_uploaded.push(object.clone());
        report.samples_uploaded += samples;
    }
}

/// Performs `op`, unless this is a dry run (the master's conditional write excepted, which
/// its own loop performs). `id` is the
/// account's id when the store has the account; `fetched` holds the parts read.
async fn apply(
    store: &mut Store,
    ctx: &Ctx<'_>,
    id: Option<AccountId>,
    op: plan::Operation,
    fetched: &BTreeMap<String, Vec<Sample>>,
    report: &mut SyncReport,
) -> Result<(), SyncError> {
    use plan::Operation;
    if ctx.opts.dry_run {
        return Ok(());
    }
    match &op {
        Operation::MergeParts { parts, .. } => {
            let id = id.expect("a store that applies has the account");
            let mut w = store.sample_writer_from_remote(id)?;
            for p in parts {
                w.insert_many(&fetched[p], |_, o| {
                    if o? == crate::store::InsertOutcome::New {
                        report.samples_from_remote += 1;
                    }
                    Ok(())
                })?;
            }
            w.commit()?;
            store.record_parts(id, parts)?;
        }
        Operation::Upload {
            object, day, bytes, ..
        } => {
            let id = id.expect("a store that applies has the account");
            ctx.remote.put_new(object, bytes.clone()).await?;
            store.record_parts(id, std::slice::from_ref(object))?;
            store.mark_day_clean(id, *day)?;
        }
        Operation::MarkClean { day, .. } => {
            store.mark_day_clean(id.expect("a store that applies has the account"), *day)?
        }
        Operation::MergeChoices { choices } => {
            for (account, policy) in choices {
                if validate_account_name(account).is_err() {
                    continue;
                }
                let id = store.ensure_account(account, ctx.now)?;
                if store.merge_source_policy(id, policy)? {
                    report.accounts_recomputed += 1;
                }
            }
        }
        Operation::MergeHours { hours } => {
            for (account, hours) in hours {
                if validate_account_name(account).is_err() {
                    continue;
                }
                let id = store.ensure_account(account, ctx.now)?;
                report.hours_merged_locally += store.merge_master_hours(id, hours)?;
            }
        }
        Operation::Compact {
            account: _,
            day: _,
            object,
            samples: _,
            replaces,
            bytes,
        } => {
            let id = id.expect("a store that applies has the account");
            if let Some(bytes) = bytes {
                ctx.remote.put_new(object, bytes.clone()).await?;
            }
            // Read back: every sample of every part replaced must be in the part written.
            let back = ctx.remote.get(object).await?;
            let held: HashSet<Sample> = parts::parse_part(object, &back)
                .map_err(|message| SyncError::Corrupt {
                    object: ctx.remote.name(object),
                    message,
                })?
                .into_iter()
                .collect();
            if let Some(p) = replaces
                .iter()
                .find(|p| !fetched[*p].iter().all(|s| held.contains(s)))
            {
                return Err(SyncError::Corrupt {
                    object: ctx.remote.name(object),
                    message: format!(
                        "read back, it lacks samples of {}, which it was written to hold; nothing was deleted",
                        ctx.remote.name(p)
                    ),
                });
            }
            store.record_parts(id, std::slice::from_ref(object))?;
            report.days_compacted += 1;
            // A bucket that lets fitpipe write but not delete keeps both: every sample is
            // still held, twice; say so and go on.
            delete_parts(
                store,
                ctx,
                id,
                replaces,
                "the remote refused to delete a compacted part; it stays, with its samples held twice",
                report,
            )
            .await?;
        }
        Operation::DropParts { parts, .. } => {
            let id = id.expect("a store that applies has the account");
            delete_parts(
                store,
                ctx,
                id,
                parts,
                "the remote refused to delete a part whose readings were all removed; it stays (fitpipe leaves its readings out when it reads it)",
                report,
            )
            .await?;
        }
        // The conditional write needs the copy read, so the master's loop performs it.
        Operation::WriteMaster { .. }
        | Operation::MasterUpToDate { .. }
        | Operation::WriteChoices { .. }
        | Operation::WriteSources { .. } => {}
    }
    Ok(())
}

async fn reconcile_master(
    store: &mut Store,
    ctx: &Ctx<'_>,
    report: &mut SyncReport,
    masters: reconcile::Listings,
) -> Result<(), SyncError> {
    let (remote, opts) = (ctx.remote, ctx.opts);
    let locked = opts.push && !opts.dry_run && remote.concurrency() == Concurrency::LockObject;
    if locked {
        take_lock(remote, opts).await?;
    }
    let result = reconcile_master_locked(store, ctx, report, masters).await;
    if locked {
        remote.unlock().await?;
    }
    result
}

async fn reconcile_master_locked(
    store: &mut Store,
    ctx: &Ctx<'_>,
    report: &mut SyncReport,
    masters: reconcile::Listings,
) -> Result<(), SyncError> {
    let current = reconcile_choices(store, ctx, report).await?;
    let accounts = report.accounts.clone();
    reconcile::master(store, ctx, report, &current, &accounts, masters).await?;
    if ctx.opts.push {
        reconcile::counted_sources(store, ctx, report, &accounts).await?;
    }
    Ok(())
}

/// Deletes `parts` of account `id` from the remote and forgets them; a remote that refuses
/// (permission) keeps one, which is logged with `refused` and counted.
async fn delete_parts(
    store: &mut Store,
    ctx: &Ctx<'_>,
    id: AccountId,
    parts: &[String],
    refused: &str,
    report: &mut SyncReport,
) -> Result<(), SyncError> {
    for p in parts {
        match ctx.remote.delete(p).await {
            Ok(()) => report.parts_removed += 1,
            Err(SyncError::Remote {
                kind: RemoteFailure::Permission,
                ..
            }) => {
                tracing::warn!(part = %ctx.remote.name(p), "{refused}");
                report.parts_not_removed += 1;
            }
            Err(e) => return Err(e),
        }
    }
    store.forget_part_names(id, parts)?;
    Ok(())
}

/// The readings of `samples` (a part of `account`'s UTC day `day`) that a removal applied
/// here names, taken out; returns how many.
fn leave_out_removed(
    store: &Store,
    account: AccountId,
    day: i64,
    samples: &mut Vec<Sample>,
) -> Result<u64, SyncError> {
    let marks = store.removal_marks_of_day(account, day)?;
    if marks.is_empty() {
        return Ok(0);
    }
    let before = samples.len();
    samples.retain(|s| !crate::removals::names(&marks, s));
    Ok((before - samples.len()) as u64)
}

/// The removals: the remote's that this store lacks are applied here, and the merged set
/// written back (unless this is a restore or a dry run), before any part is read. The
/// object is read only when it changed since this store last read or wrote it (an
/// `If-None-Match` on the ETag remembered); a removal made here forgets what was remembered,
/// so the next sync reads, merges and writes it.
async fn reconcile_removals(
    store: &mut Store,
    ctx: &Ctx<'_>,
    report: &mut SyncReport,
) -> Result<(), SyncError> {
    let remote = ctx.remote;
    // A laptop of a cohort applies some accounts' removals only: it reads the copy whole
    // each time and remembers nothing, so that a later sync of other accounts reads it too.
    let cohort = ctx.opts.accounts.is_some();
    let mut known = if cohort {
        if !ctx.opts.dry_run {
            store.forget_remote_object(remote.display(), layout::REMOVALS)?;
        }
        None
    } else {
        store.remote_object(remote.display(), layout::REMOVALS)?
    };
    for attempt in 1..=MAX_ATTEMPTS {
        let known_version = known.as_ref().map(remote::ObjectVersion::from);
        let (theirs, copy_version) = match remote
            .get_if_changed(layout::REMOVALS, known_version.as_ref())
            .await?
        {
            remote::Read::Unchanged => return Ok(()),
            remote::Read::Missing => {
                if store.removal_count()? == 0 {
                    return Ok(());
                }
                (removals::Removals::new(), None)
            }
            remote::Read::Copy(c) => {
                let theirs = removals::parse(&c.bytes).map_err(|message| SyncError::Corrupt {
                    object: remote.name(layout::REMOVALS),
                    message,
                })?;
                (theirs, Some(c.version()))
            }
        };
        let ours: removals::Removals = store
            .removals()?
            .into_iter()
            .map(|r| ((r.account.clone(), r.id.clone()), r))
            .collect();
        let merged = removals::merge(&ours, &theirs);
        for (key, r) in &merged {
            // A laptop of a cohort applies the removals of its own accounts only.
            let left_out = ctx
                .opts
                .accounts
                .as_ref()
                .is_some_and(|only| !only.contains(&r.account));
            if ours.contains_key(key) || left_out || validate_account_name(&r.account).is_err() {
                continue;
            }
            if attempt == 1 {
                report.plan.push(format!(
                    "remove import {} from account {} ({} readings; removed on another machine at {})",
                    r.id,
                    r.account,
                    r.readings(),
                    r.removed_at
                ));
            }
            if ctx.opts.dry_run {
                continue;
            }
            let id = store.ensure_account(&r.account, ctx.now)?;
            store.apply_removal(id, r, false)?;
            report.removals_applied += 1;
        }
        let up_to_date = merged.len() == theirs.len() && merged == theirs;
        if ctx.opts.dry_run && merged.len() > ours.len() {
            report.plan.push(
                "(a dry run applies no removal: the lines below are planned without the removals above)"
                    .to_string(),
            );
        }
        if ctx.opts.dry_run {
            if !up_to_date && ctx.opts.push {
                report.plan.push(format!(
                    "write {} ({} removals)",
                    remote.name(layout::REMOVALS),
                    merged.len()
                ));
            }
            return Ok(());
        }
        if up_to_date || !ctx.opts.push {
            if let (Some(v), false) = (copy_version, cohort) {
                reconcile::remember(store, ctx, layout::REMOVALS, v, 0, merged.len())?;
            }
            return Ok(());
        }
        let written = remote
            .put_if_version(
                layout::REMOVALS,
                removals::write(&merged),
                copy_version.as_ref(),
            )
            .await?;
        match written {
            Some(v) => {
                if attempt == 1 {
                    report.plan.push(format!(
                        "write {} ({} removals)",
                        remote.name(layout::REMOVALS),
                        merged.len()
                    ));
                }
                report.removals_written = true;
                if !cohort {
                    reconcile::remember(store, ctx, layout::REMOVALS, v, 0, merged.len())?;
                }
                return Ok(());
            }
            None => {
                tracing::info!(
                    attempt,
                    "the remote's removals changed underneath; merging again"
                );
                // Read it whole next time round.
                known = None;
            }
        }
    }
    Err(SyncError::Contention {
        attempts: MAX_ATTEMPTS,
    })
}

/// The source choices, first: the merged policy decides which copy of an hour is current.
/// Returns each account's current policy version.
async fn reconcile_choices(
    store: &mut Store,
    ctx: &Ctx<'_>,
    report: &mut SyncReport,
) -> Result<master::Policies, SyncError> {
    let remote = ctx.remote;
    for attempt in 1..=MAX_ATTEMPTS {
        let choices_copy = remote.get_versioned(layout::CHOICES).await?;
        let theirs_choices = match &choices_copy {
            Some(c) => choices::parse(&c.bytes).map_err(|message| SyncError::Corrupt {
                object: remote.name(layout::CHOICES),
                message,
            })?,
            None => choices::Choices::new(),
        };
        let mut ours_choices = store.source_policies()?;
        ours_choices.retain(|_, p| !p.choices.is_empty());
        let (choice_ops, merged_choices) = plan::choices(
            &ours_choices,
            &theirs_choices,
            choices_copy.as_ref().map(|c| c.bytes.as_ref()),
            ctx.opts.push,
        );
        let mut write_choices = None;
        for op in choice_ops {
            if let plan::Operation::WriteChoices { bytes, .. } = &op {
                write_choices = Some(bytes.clone());
            }
            if attempt == 1 || write_choices.is_some() {
                record(ctx, &op, report);
            }
            apply(store, ctx, None, op, &BTreeMap::new(), report).await?;
        }
        if let (Some(bytes), false) = (write_choices, ctx.opts.dry_run) {
            if remote
                .put_versioned(layout::CHOICES, bytes, choices_copy.as_ref())
                .await?
                .is_none()
            {
                tracing::info!(
                    attempt,
                    "the remote's source choices changed underneath; merging again"
                );
                continue;
            }
            report.choices_written = true;
        }
        // Each account's policy: its merged choices and its removals.
        let stored = store.source_policies()?;
        let mut current: master::Policies = stored
            .iter()
            .map(|(a, p)| (a.clone(), p.version()))
            .collect();
        for (account, p) in &merged_choices {
            let mut p = p.clone();
            if let Some(s) = stored.get(account) {
                p.removed = s.removed.clone();
            }
            current.insert(account.clone(), p.version());
        }
        return Ok(current);
    }
    Err(SyncError::Contention {
        attempts: MAX_ATTEMPTS,
    })
}
