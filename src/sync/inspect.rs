//! What a remote holds, for `fitpipe doctor`: its accounts, parts and master objects, the
//! closed days whose parts wait for compaction, the newest master write, and the objects
//! fitpipe does not know. One listing of everything below the prefix; nothing is read.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::{layout, parts, Remote, SyncError};
use crate::model::DAY;

/// The state of a remote.
#[derive(Debug, Default, Clone, Serialize)]
pub struct BucketState {
    pub accounts: usize,
    pub parts: usize,
    /// Parts in the CSV form of earlier fitpipes (the next sync rewrites their days).
    pub csv_parts: usize,
    pub master_objects: usize,
    /// Closed days (older than the late window) that still have several parts, as
    /// `account date (n parts)`; the next sync compacts them.
    pub waiting_for_compaction: Vec<String>,
    /// The newest write of a master object: the object and when.
    pub last_master_write: Option<(String, String)>,
    /// Whether the single master object of earlier fitpipes is still there.
    pub legacy_master: bool,
    /// Objects below the prefix that are none of fitpipe's.
    pub unknown: Vec<String>,
}

/// Lists everything below the remote's prefix and sorts it out. `closed_before` as in
/// `SyncOptions`.
pub async fn inspect(remote: &Remote, closed_before: i64) -> Result<BucketState, SyncError> {
    let mut state = BucketState::default();
    let mut accounts = BTreeSet::new();
    let mut days: BTreeMap<(String, i64), usize> = BTreeMap::new();
    let mut newest: Option<(chrono::DateTime<chrono::Utc>, String)> = None;
    for (name, modified) in remote.list_modified("").await? {
        if let Some((account, date)) = layout::parse_part(&name) {
            state.parts += 1;
            if layout::part_format(&name) == Some(layout::PartFormat::Csv) {
                state.csv_parts += 1;
            }
            *days
                .entry((account.clone(), parts::day_of(date)))
                .or_default() += 1;
            accounts.insert(account);
        } else if let Some((account, _)) = layout::parse_master_object(&name) {
            state.master_objects += 1;
            accounts.insert(account);
            if newest.as_ref().is_none_or(|(t, _)| modified > *t) {
                newest = Some((modified, name));
            }
        } else if name == layout::LEGACY_MASTER {
            state.legacy_master = true;
        } else if !(name == layout::CHOICES
            || name == layout::REMOVALS
            || name == super::remote::LOCK
            || (name.starts_with(layout::SOURCES_DIR) && name.ends_with(".csv")))
        {
            state.unknown.push(name);
        }
    }
    state.accounts = accounts.len();
    state.waiting_for_compaction = days
        .into_iter()
        .filter(|((_, day), n)| *n > 1 && (day + 1) * DAY <= closed_before)
        .map(|((account, day), n)| format!("{account} {} ({n} parts)", parts::date_of(day)))
        .collect();
    state.last_master_write =
        newest.map(|(t, name)| (remote.name(&name), crate::model::format_utc(t.timestamp())));
    Ok(state)
}
