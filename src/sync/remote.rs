//! The one seam to object storage: a bucket (GCS, or anything with GCS's conditional
//! writes, such as object_store's `InMemory`) or a local folder. object_store lives here
//! and nowhere else.

use std::sync::Arc;

use bytes::Bytes;
use futures::TryStreamExt;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload, UpdateVersion};

use super::layout;
use super::{RemoteFailure, SyncError};
use crate::config::{RemoteSettings, RemoteUrl};

/// How the master table is updated without losing a concurrent writer's hours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Concurrency {
    /// Conditional writes on the object's generation (GCS, `InMemory`).
    Generation,
    /// A lock object created with "must not exist" around read-merge-write; for folders,
    /// where conditional updates are not available.
    LockObject,
}

/// A remote and the prefix fitpipe owns in it.
#[derive(Clone)]
pub struct Remote {
    store: Arc<dyn ObjectStore>,
    prefix: String,
    concurrency: Concurrency,
    display: String,
}

/// An object that is replaced in place (the master table, the source choices) as read: its
/// bytes and the version to make the next write conditional on.
pub struct MasterCopy {
    pub bytes: Bytes,
    version: UpdateVersion,
}

impl MasterCopy {
    /// The version read, to remember.
    pub fn version(&self) -> ObjectVersion {
        ObjectVersion::from(&self.version)
    }
}

/// An object's version as fitpipe remembers it: the ETag, and the generation where the
/// remote has one (GCS).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectVersion {
    pub e_tag: Option<String>,
    pub version: Option<String>,
}

impl From<&crate::store::RemoteObjectState> for ObjectVersion {
    fn from(k: &crate::store::RemoteObjectState) -> Self {
        ObjectVersion {
            e_tag: k.e_tag.clone(),
            version: k.version.clone(),
        }
    }
}

impl From<&UpdateVersion> for ObjectVersion {
    fn from(v: &UpdateVersion) -> Self {
        ObjectVersion {
            e_tag: v.e_tag.clone(),
            version: v.version.clone(),
        }
    }
}

/// What a conditional read found.
pub enum Read {
    /// The object is still the version named.
    Unchanged,
    /// There is no such object.
    Missing,
    /// The object as it is now.
    Copy(MasterCopy),
}

fn remote_err(op: &str, what: &str, e: object_store::Error) -> SyncError {
    SyncError::Remote {
        op: op.to_string(),
        object: what.to_string(),
        kind: failure_of(&e),
        source: Box::new(e),
    }
}

/// Why object_store failed, from its error kinds.
fn failure_of(e: &object_store::Error) -> RemoteFailure {
    match e {
        object_store::Error::PermissionDenied { .. } => RemoteFailure::Permission,
        object_store::Error::Unauthenticated { .. } => RemoteFailure::Credentials,
        object_store::Error::NotFound { .. } => RemoteFailure::Missing,
        object_store::Error::Generic { source, .. } => generic_failure(source.as_ref()),
        _ => RemoteFailure::Other,
    }
}

/// object_store gives its kinds to the answers of get requests only: a list or put request
/// that GCS refuses, and a credential that cannot be loaded, arrive as `Generic`, with the
/// HTTP status only in the text of the cause (object_store's retry error is not public).
/// That text is read here, and nowhere else.
fn generic_failure(source: &(dyn std::error::Error + Send + Sync + 'static)) -> RemoteFailure {
    let m = source.to_string();
    // The status as object_store states it ("... status code: 403 Forbidden: ..."); a bare
    // "403" could be part of a duration or an address in the same text.
    let status = |code: &str| m.contains(&format!("status code: {code}"));
    if status("403") {
        RemoteFailure::Permission
    } else if status("401") || m.to_lowercase().contains("credential") {
        RemoteFailure::Credentials
    } else if status("404") || m.contains("NoSuchBucket") || m.contains("no bucket named") {
        RemoteFailure::Missing
    } else {
        RemoteFailure::Other
    }
}

/// A service-account key that turns authentication off, for GCS emulators.
const NO_AUTH_KEY: &str =
    r#"{"private_key": "", "private_key_id": "", "client_email": "", "disable_oauth": true}"#;

impl Remote {
    /// Wraps any store.
    pub fn new(
        store: Arc<dyn ObjectStore>,
        prefix: &str,
        concurrency: Concurrency,
        display: &str,
    ) -> Remote {
        Remote {
            store,
            prefix: prefix.trim_matches('/').to_string(),
            concurrency,
            display: display.to_string(),
        }
    }

    /// Builds the remote the settings name.
    pub fn open(s: &RemoteSettings) -> Result<Remote, SyncError> {
        match &s.url {
            RemoteUrl::File { root } => {
                std::fs::create_dir_all(root).map_err(|e| SyncError::Remote {
                    op: "create".into(),
                    object: root.display().to_string(),
                    kind: RemoteFailure::Permission,
                    source: Box::new(e),
                })?;
                let fs = object_store::local::LocalFileSystem::new_with_prefix(root)
                    .map_err(|e| remote_err("open", &root.display().to_string(), e))?;
                Ok(Remote::new(
                    Arc::new(fs),
                    "",
                    Concurrency::LockObject,
                    &s.url.to_string(),
                ))
            }
            RemoteUrl::Gcs { bucket, prefix } => {
                use object_store::gcp::GoogleCloudStorageBuilder;
                let mut b = GoogleCloudStorageBuilder::new().with_bucket_name(bucket);
                if let Some(url) = &s.gcs_base_url {
                    b = b
                        .with_config(object_store::gcp::GoogleConfigKey::BaseUrl, url)
                        .with_client_options(
                            object_store::ClientOptions::new().with_allow_http(true),
                        );
                }
                b = match (&s.service_account_key, &s.application_credentials) {
                    (Some(key), _) => b.with_service_account_path(key.display().to_string()),
                    (None, _) if s.emulator => b.with_service_account_key(NO_AUTH_KEY),
                    (None, Some(creds)) => b.with_application_credentials(creds.display().to_string()),
                    // A laptop has no metadata server to ask: say what is missing instead.
                    (None, None) => {
                        return Err(SyncError::Remote {
                            op: "connect to".into(),
                            object: s.url.to_string(),
                            kind: RemoteFailure::Credentials,
                            source: "no Google credentials found (remote.service_account_key, GOOGLE_APPLICATION_CREDENTIALS, application-default credentials)".into(),
                        })
                    }
                };
                let gcs = b.build().map_err(|e| SyncError::Remote {
                    op: "connect to".into(),
                    object: s.url.to_string(),
                    kind: RemoteFailure::Credentials,
                    source: Box::new(e),
                })?;
                Ok(Remote::new(
                    Arc::new(gcs),
                    prefix,
                    Concurrency::Generation,
                    &s.url.to_string(),
                ))
            }
        }
    }

    pub fn display(&self) -> &str {
        &self.display
    }

    pub fn concurrency(&self) -> Concurrency {
        self.concurrency
    }

    fn path(&self, rel: &str) -> Result<Path, SyncError> {
        let full = layout::join(&self.prefix, rel);
        Path::parse(&full).map_err(|e| SyncError::Corrupt {
            object: full.clone(),
            message: format!("not a valid object name: {e}"),
        })
    }

    /// An object's name relative to the prefix.
    fn relative(&self, location: &Path) -> String {
        let full = location.as_ref();
        if self.prefix.is_empty() {
            full.to_string()
        } else {
            full[self.prefix.len() + 1..].to_string()
        }
    }

    /// Full name of a relative object, for messages.
    pub fn name(&self, rel: &str) -> String {
        format!("{}/{}", self.display.trim_end_matches('/'), rel)
    }

    /// Reads the object `rel` (relative to the prefix) with its version, when there is one.
    pub async fn get_versioned(&self, rel: &str) -> Result<Option<MasterCopy>, SyncError> {
        match self.get_if_changed(rel, None).await? {
            Read::Copy(c) => Ok(Some(c)),
            // Without a version to compare, nothing is "unchanged".
            Read::Missing | Read::Unchanged => Ok(None),
        }
    }

    /// Reads the object `rel` unless it is still `known` (an `If-None-Match` on its ETag,
    /// which costs the remote no transfer when nothing changed).
    pub async fn get_if_changed(
        &self,
        rel: &str,
        known: Option<&ObjectVersion>,
    ) -> Result<Read, SyncError> {
        let path = self.path(rel)?;
        let opts = object_store::GetOptions {
            if_none_match: known.and_then(|k| k.e_tag.clone()),
            ..Default::default()
        };
        match self.store.get_opts(&path, opts).await {
            Ok(r) => {
                let version = UpdateVersion {
                    e_tag: r.meta.e_tag.clone(),
                    version: r.meta.version.clone(),
                };
                let bytes = r
                    .bytes()
                    .await
                    .map_err(|e| remote_err("read", &self.name(rel), e))?;
                Ok(Read::Copy(MasterCopy { bytes, version }))
            }
            Err(object_store::Error::NotModified { .. }) => Ok(Read::Unchanged),
            Err(object_store::Error::NotFound { .. }) => Ok(Read::Missing),
            Err(e) => Err(remote_err("read", &self.name(rel), e)),
        }
    }

    /// Writes the object `rel` if nobody changed it since `read` (or, with `None`, if there
    /// still is none). `Ok(None)`: somebody did; read again and merge. `Ok(Some(v))`:
    /// written, as version `v`.
    pub async fn put_versioned(
        &self,
        rel: &str,
        bytes: Vec<u8>,
        read: Option<&MasterCopy>,
    ) -> Result<Option<ObjectVersion>, SyncError> {
        self.put_if_version(rel, bytes, read.map(|r| r.version()).as_ref())
            .await
    }

    /// [`Remote::put_versioned`] on a remembered version rather than a copy just read.
    pub async fn put_if_version(
        &self,
        rel: &str,
        bytes: Vec<u8>,
        read: Option<&ObjectVersion>,
    ) -> Result<Option<ObjectVersion>, SyncError> {
        let path = self.path(rel)?;
        let mode = match (self.concurrency, read) {
            (Concurrency::Generation, Some(r)) => PutMode::Update(UpdateVersion {
                e_tag: r.e_tag.clone(),
                version: r.version.clone(),
            }),
            (Concurrency::Generation, None) => PutMode::Create,
            // Under the lock object; LocalFileSystem renames a finished temporary file into place.
            (Concurrency::LockObject, _) => PutMode::Overwrite,
        };
        let opts = PutOptions {
            mode,
            ..PutOptions::default()
        };
        match self
            .store
            .put_opts(&path, PutPayload::from(bytes), opts)
            .await
        {
            Ok(r) => Ok(Some(ObjectVersion {
                e_tag: r.e_tag,
                version: r.version,
            })),
            Err(
                object_store::Error::Precondition { .. }
                | object_store::Error::AlreadyExists { .. },
            ) => Ok(None),
            Err(e) => Err(remote_err("write", &self.name(rel), e)),
        }
    }

    /// Takes the lock object of a folder remote; `Ok(false)` when another writer holds it.
    pub async fn try_lock(&self, holder: &str) -> Result<bool, SyncError> {
        let path = self.path(LOCK)?;
        let opts = PutOptions {
            mode: PutMode::Create,
            ..PutOptions::default()
        };
        match self
            .store
            .put_opts(&path, PutPayload::from(holder.to_string()), opts)
            .await
        {
            Ok(_) => Ok(true),
            Err(object_store::Error::AlreadyExists { .. }) => Ok(false),
            Err(e) => Err(remote_err("lock", &self.name(LOCK), e)),
        }
    }

    /// The lock object's text and how long ago it was written, if it exists.
    pub async fn read_lock(&self) -> Result<Option<(String, chrono::Duration)>, SyncError> {
        let read = |e| remote_err("read", &self.name(LOCK), e);
        match self.store.get(&self.path(LOCK)?).await {
            Ok(r) => {
                let age = crate::clock::now() - r.meta.last_modified;
                let bytes = r.bytes().await.map_err(read)?;
                Ok(Some((String::from_utf8_lossy(&bytes).into_owned(), age)))
            }
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(read(e)),
        }
    }

    /// Releases the lock object.
    pub async fn unlock(&self) -> Result<(), SyncError> {
        self.delete(LOCK).await
    }

    /// The names (relative to the prefix) of the parts of `account` from day number
    /// `from_day` on, sorted: a bucket is asked for the names after the day's (one listing
    /// from an offset), a folder for each day's folder up to the day after `today`.
    pub async fn list_parts_from(
        &self,
        account: &str,
        from_day: i64,
        today: i64,
    ) -> Result<Vec<String>, SyncError> {
        let dir = layout::account_dir(account);
        let date = |d: i64| super::parts::date_of(d).to_string();
        let mut names = Vec::new();
        match self.concurrency {
            Concurrency::Generation => {
                let prefix = self.path(dir.trim_end_matches('/'))?;
                let offset = self.path(&layout::part_prefix(account, from_day))?;
                let metas: Vec<object_store::ObjectMeta> = self
                    .store
                    .list_with_offset(Some(&prefix), &offset)
                    .try_collect()
                    .await
                    .map_err(|e| remote_err("list", &self.name(&dir), e))?;
                names.extend(metas.into_iter().map(|m| self.relative(&m.location)));
            }
            Concurrency::LockObject => {
                for day in from_day..=today + 1 {
                    names.extend(self.list(&format!("{dir}date={}/", date(day))).await?);
                }
            }
        }
        names.sort();
        Ok(names)
    }

    /// The accounts that have master objects (`hourly_max/NAME/`), from one listing by
    /// delimiter.
    pub async fn master_accounts(&self) -> Result<Vec<String>, SyncError> {
        let dir = self.path(layout::MASTER_DIR.trim_end_matches('/'))?;
        let r = self
            .store
            .list_with_delimiter(Some(&dir))
            .await
            .map_err(|e| remote_err("list", &self.name(layout::MASTER_DIR), e))?;
        let mut out: Vec<String> = r
            .common_prefixes
            .iter()
            .filter_map(|p| p.filename().map(str::to_string))
            .filter(|a| crate::model::validate_account_name(a).is_ok())
            .collect();
        out.sort();
        Ok(out)
    }

    /// Names (relative to the prefix) of every object below `rel_dir`, sorted.
    pub async fn list(&self, rel_dir: &str) -> Result<Vec<String>, SyncError> {
        Ok(self
            .list_meta(rel_dir)
            .await?
            .into_iter()
            .map(|(n, _)| n)
            .collect())
    }

    /// Every object below `rel_dir` ("" for everything below the prefix), by name
    /// relative to the prefix, sorted.
    async fn list_objects(
        &self,
        rel_dir: &str,
    ) -> Result<Vec<(String, object_store::ObjectMeta)>, SyncError> {
        let dir = match rel_dir.trim_end_matches('/') {
            "" if self.prefix.is_empty() => None,
            "" => Some(Path::parse(&self.prefix).map_err(|e| SyncError::Corrupt {
                object: self.prefix.clone(),
                message: format!("not a valid object name: {e}"),
            })?),
            d => Some(self.path(d)?),
        };
        let metas: Vec<object_store::ObjectMeta> = self
            .store
            .list(dir.as_ref())
            .try_collect()
            .await
            .map_err(|e| remote_err("list", &self.name(rel_dir), e))?;
        let mut out: Vec<(String, object_store::ObjectMeta)> = metas
            .into_iter()
            .map(|m| (self.relative(&m.location), m))
            .collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(out)
    }

    /// Names (relative to the prefix) and last-modified times of every object below
    /// `rel_dir` ("" for everything below the prefix).
    pub async fn list_modified(
        &self,
        rel_dir: &str,
    ) -> Result<Vec<(String, chrono::DateTime<chrono::Utc>)>, SyncError> {
        Ok(self
            .list_objects(rel_dir)
            .await?
            .into_iter()
            .map(|(n, m)| (n, m.last_modified))
            .collect())
    }

    /// Names (relative to the prefix) and ETags of every object below `rel_dir`.
    pub async fn list_meta(
        &self,
        rel_dir: &str,
    ) -> Result<Vec<(String, Option<String>)>, SyncError> {
        Ok(self
            .list_objects(rel_dir)
            .await?
            .into_iter()
            .map(|(n, m)| (n, m.e_tag))
            .collect())
    }

    /// Reads an object.
    pub async fn get(&self, rel: &str) -> Result<Bytes, SyncError> {
        let r = self
            .store
            .get(&self.path(rel)?)
            .await
            .map_err(|e| remote_err("read", &self.name(rel), e))?;
        r.bytes()
            .await
            .map_err(|e| remote_err("read", &self.name(rel), e))
    }

    /// Whether object `rel` exists (a HEAD request).
    pub async fn exists(&self, rel: &str) -> Result<bool, SyncError> {
        match self.store.head(&self.path(rel)?).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(remote_err("read", &self.name(rel), e)),
        }
    }

    /// Reads an object, or `None` when it is not there (any more).
    pub async fn get_if_exists(&self, rel: &str) -> Result<Option<Bytes>, SyncError> {
        Ok(self.get_versioned(rel).await?.map(|c| c.bytes))
    }

    /// Deletes an object (one already gone is fine): only parts a compaction proved held
    /// by the part replacing them, and the lock object.
    pub async fn delete(&self, rel: &str) -> Result<(), SyncError> {
        match self.store.delete(&self.path(rel)?).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(remote_err("delete", &self.name(rel), e)),
        }
    }

    /// Writes an object that must not exist yet; one that does is the same content (parts
    /// are named by their hash), so that is fine.
    pub async fn put_new(&self, rel: &str, bytes: Vec<u8>) -> Result<(), SyncError> {
        let opts = PutOptions {
            mode: PutMode::Create,
            ..PutOptions::default()
        };
        match self
            .store
            .put_opts(&self.path(rel)?, PutPayload::from(bytes), opts)
            .await
        {
            Ok(_) | Err(object_store::Error::AlreadyExists { .. }) => Ok(()),
            Err(e) => Err(remote_err("write", &self.name(rel), e)),
        }
    }
}

/// The lock object of folder remotes.
pub const LOCK: &str = ".fitpipe.lock";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_are_read_from_where_object_store_states_them() {
        let kind = |m: &str| generic_failure(&std::io::Error::other(m.to_string()));
        let cases = [
            ("Error performing GET http://h/b in 1.2s, after 0 retries - Server returned non-2xx status code: 403 Forbidden: denied", RemoteFailure::Permission),
            ("Server returned non-2xx status code: 401 Unauthorized: ", RemoteFailure::Credentials),
            ("Server returned non-2xx status code: 404 Not Found: <Code>NoSuchBucket</Code>", RemoteFailure::Missing),
            // A duration that happens to hold 403 is not a status.
            ("Error performing GET http://127.0.0.1:44067/x in 2.840374244s, after 10 retries - Server returned non-2xx status code: 500 Internal Server Error: no bucket named x", RemoteFailure::Missing),
            ("Error performing GET http://127.0.0.1:4403/x in 1.403s - Server returned non-2xx status code: 503 Service Unavailable", RemoteFailure::Other),
        ];
        for (m, want) in cases {
            assert_eq!(kind(m), want, "{m}");
        }
    }
}
