//! The local log folder: an append-only record file with durable (fsync) appends and group
//! commit, the log's own checkpoint key, its configuration and its latest signed checkpoint.
//!
//! Files in the folder: `log.json` (identity), `log-key.json` (the checkpoint key, mode 0600),
//! `entries.log` (records framed by `caravan_docsign::log::encode_record`), `checkpoint.json`
//! (latest signed checkpoint, replaced atomically) and `trust-list.json` (the authority's
//! entry with the log key, to merge into a trust list).

use std::fs::{self, File, OpenOptions};
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;

use anyhow::{Context as _, Result, bail};
use caravan_docsign::log::{self as dlog, Checkpoint, SignedCheckpoint};
use caravan_docsign::merkle::{self, CompactTree, Hash};
use caravan_docsign::sig::{KeyFile, PrivateKey};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// Identity of a local log, stored as `log.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct LogConfig {
    pub(crate) log_id: String,
    pub(crate) authority_id: String,
    pub(crate) authority_name: String,
    pub(crate) country: String,
    pub(crate) log_kid: String,
}

pub(crate) const ENTRIES: &str = "entries.log";
const CONFIG: &str = "log.json";
const KEY: &str = "log-key.json";
const CHECKPOINT: &str = "checkpoint.json";

/// Writes `bytes` to a new file readable and writable by the owner only (0600).
pub(crate) fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(path).with_context(|| {
        format!("creating {} (it must not exist yet: keys are never overwritten)", path.display())
    })?;
    file.write_all(bytes)?;
    file.sync_all()?;
    Ok(())
}

/// Reads a key file.
pub(crate) fn read_key(path: &Path) -> Result<PrivateKey> {
    let bytes = fs::read(path).with_context(|| format!("reading key file {}", path.display()))?;
    let file: KeyFile = serde_json::from_slice(&bytes)
        .with_context(|| format!("{} is not a key file made by `cert keygen`", path.display()))?;
    file.to_key().with_context(|| format!("key file {}", path.display()))
}

/// The key id of a public key: the first 16 hex digits of its SHA-256 (a fingerprint).
pub(crate) fn kid_of(public_key: &[u8]) -> String {
    use sha2::Digest as _;
    hex::encode(&sha2::Sha256::digest(public_key)[..8])
}

/// Replaces `path` atomically: write a temporary file, fsync it, rename, fsync the folder.
fn replace_file(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_extension("tmp");
    let mut file = File::create(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
    file.write_all(bytes)?;
    file.sync_all()?;
    fs::rename(&tmp, path).with_context(|| format!("replacing {}", path.display()))?;
    if let Some(parent) = path.parent() {
        File::open(parent)?.sync_all()?;
    }
    Ok(())
}

/// An open local log.
pub(crate) struct LocalLog {
    pub(crate) dir: PathBuf,
    pub(crate) config: LogConfig,
    file: File,
    pub(crate) leaves: Vec<Hash>,
    tree: CompactTree,
}

impl LocalLog {
    /// Creates a log folder with a fresh checkpoint key made from `seed`.
    pub(crate) fn init(dir: &Path, config: LogConfig, seed: &[u8; 32]) -> Result<()> {
        fs::create_dir_all(dir)
            .with_context(|| format!("creating log folder {}", dir.display()))?;
        if dir.join(CONFIG).exists() {
            bail!("{} already holds a log; choose an empty folder", dir.display());
        }
        let key =
            PrivateKey::from_secret_bytes(caravan_docsign::sig::Algorithm::Ed25519, seed, "")?;
        let mut config = config;
        config.log_kid = kid_of(&key.public_key());
        write_private(&dir.join(KEY), &serde_json::to_vec_pretty(&KeyFile::from_key(&key))?)?;
        replace_file(&dir.join(CONFIG), &serde_json::to_vec_pretty(&config)?)?;
        File::create(dir.join(ENTRIES))?.sync_all()?;
        let trust = serde_json::json!({"authorities": [{
            "id": config.authority_id, "name": config.authority_name, "country": config.country, "logId": config.log_id,
            "keys": [{"kid": config.log_kid, "alg": "ed25519", "publicKey": hex::encode(key.public_key()),
                      "signsCheckpoints": true, "validFrom": "2000-01-01T00:00:00Z"}]
        }]});
        replace_file(&dir.join("trust-list.json"), &serde_json::to_vec_pretty(&trust)?)?;
        File::open(dir)?.sync_all()?;
        Ok(())
    }

    /// Opens a log, recovering from a crash: a torn last record is cut off.
    pub(crate) fn open(dir: &Path) -> Result<Self> {
        let config_path = dir.join(CONFIG);
        let config: LogConfig =
            serde_json::from_slice(&fs::read(&config_path).with_context(|| {
                format!("reading {}; create the log with `caravan log init`", config_path.display())
            })?)
            .with_context(|| format!("{} is not a log configuration", config_path.display()))?;
        let path = dir.join(ENTRIES);
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .open(&path)
            .with_context(|| format!("opening {}", path.display()))?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)?;
        let records = dlog::decode_records(&bytes);
        if records.valid_len < bytes.len() {
            // Only a torn tail of never-acknowledged appends can be lost: acknowledged ones were fsynced.
            file.set_len(records.valid_len as u64)?;
            file.sync_all()?;
        }
        let mut tree = CompactTree::default();
        for leaf in &records.leaf_hashes {
            tree.push(*leaf);
        }
        Ok(Self { dir: dir.to_owned(), config, file, leaves: records.leaf_hashes, tree })
    }

    pub(crate) fn key(&self) -> Result<PrivateKey> {
        read_key(&self.dir.join(KEY))
    }

    pub(crate) fn key_id(&self) -> String {
        format!("{}#{}", self.config.authority_id, self.config.log_kid)
    }

    pub(crate) fn size(&self) -> u64 {
        self.tree.size()
    }

    /// Appends entries durably (one write, one fsync) and returns the index of the first.
    pub(crate) fn append(&mut self, entries: &[Vec<u8>]) -> Result<u64> {
        let first = self.size();
        let mut buf = Vec::new();
        for data in entries {
            let leaf = merkle::leaf_hash(data);
            dlog::encode_record_into(data, &leaf, &mut buf);
            self.leaves.push(leaf);
            self.tree.push(leaf);
        }
        self.file.write_all(&buf)?;
        self.file.sync_data()?;
        Ok(first)
    }

    /// Signs and stores a checkpoint of the current tree.
    pub(crate) fn checkpoint(&self, now: OffsetDateTime) -> Result<SignedCheckpoint> {
        let checkpoint = Checkpoint {
            log_id: self.config.log_id.clone(),
            size: self.size(),
            root: self.tree.root(),
            timestamp: now,
        }
        .sign(&self.key()?, &self.key_id());
        replace_file(
            &self.dir.join(CHECKPOINT),
            &serde_json::to_vec_pretty(&checkpoint.to_json())?,
        )?;
        Ok(checkpoint)
    }

    /// The latest stored checkpoint.
    pub(crate) fn latest_checkpoint(&self) -> Result<SignedCheckpoint> {
        let path = self.dir.join(CHECKPOINT);
        let value: serde_json::Value = serde_json::from_slice(
            &fs::read(&path).with_context(|| format!("reading {}", path.display()))?,
        )?;
        Ok(SignedCheckpoint::from_json(&value)?)
    }

    /// All entries' data.
    pub(crate) fn entries(&self) -> Result<Vec<Vec<u8>>> {
        let bytes = fs::read(self.dir.join(ENTRIES))?;
        let records = dlog::decode_records(&bytes);
        Ok(records.data_ranges.into_iter().map(|r| bytes[r].to_vec()).collect())
    }
}

/// Shared state of a group-commit writer.
#[derive(Default)]
struct Queue {
    buf: Vec<u8>,
    submitted: u64,
    durable: u64,
    closed: bool,
    error: Option<String>,
}

/// A log file written by one background thread that commits everything queued since its last
/// fsync with one write and one fsync (group commit): an append is acknowledged, by
/// [`GroupCommit::wait_durable`], only once it is on stable storage.
pub(crate) struct GroupCommit {
    shared: Arc<(Mutex<Queue>, Condvar)>,
    writer: Option<JoinHandle<()>>,
    base: u64,
}

impl GroupCommit {
    /// Starts a writer appending to `path` whose first new record gets index `base`.
    pub(crate) fn start(path: &Path, base: u64) -> Result<Self> {
        let mut file = OpenOptions::new()
            .append(true)
            .open(path)
            .with_context(|| format!("opening {}", path.display()))?;
        let shared = Arc::new((Mutex::new(Queue::default()), Condvar::new()));
        let worker = Arc::clone(&shared);
        let writer = std::thread::spawn(move || {
            let (lock, cvar) = &*worker;
            loop {
                let (batch, upto) = {
                    let mut queue = lock.lock().expect("writer lock poisoned");
                    while queue.buf.is_empty() && !queue.closed {
                        queue = cvar.wait(queue).expect("writer lock poisoned");
                    }
                    if queue.buf.is_empty() && queue.closed {
                        return;
                    }
                    (std::mem::take(&mut queue.buf), queue.submitted)
                };
                let res = file.write_all(&batch).and_then(|()| file.sync_data());
                let mut queue = lock.lock().expect("writer lock poisoned");
                match res {
                    Ok(()) => queue.durable = upto,
                    Err(err) => queue.error = Some(err.to_string()),
                }
                cvar.notify_all();
                if queue.error.is_some() {
                    return;
                }
            }
        });
        Ok(Self { shared, writer: Some(writer), base })
    }

    /// Queues one entry and returns its log index.
    pub(crate) fn submit(&self, data: &[u8]) -> u64 {
        let leaf = merkle::leaf_hash(data);
        let (lock, cvar) = &*self.shared;
        let mut queue = lock.lock().expect("writer lock poisoned");
        dlog::encode_record_into(data, &leaf, &mut queue.buf);
        queue.submitted += 1;
        let index = self.base + queue.submitted - 1;
        cvar.notify_all();
        index
    }

    /// Blocks until the entry at `index` is durable.
    pub(crate) fn wait_durable(&self, index: u64) -> Result<()> {
        let (lock, cvar) = &*self.shared;
        let mut queue = lock.lock().expect("writer lock poisoned");
        while self.base + queue.durable <= index {
            if let Some(err) = &queue.error {
                bail!("log write failed: {err}");
            }
            queue = cvar.wait(queue).expect("writer lock poisoned");
        }
        Ok(())
    }

    /// Flushes and stops the writer.
    pub(crate) fn close(mut self) -> Result<()> {
        {
            let (lock, cvar) = &*self.shared;
            lock.lock().expect("writer lock poisoned").closed = true;
            cvar.notify_all();
        }
        if let Some(writer) = self.writer.take() {
            writer.join().map_err(|_| anyhow::anyhow!("log writer thread panicked"))?;
        }
        let queue = self.shared.0.lock().expect("writer lock poisoned");
        if let Some(err) = &queue.error {
            bail!("log write failed: {err}");
        }
        Ok(())
    }
}
