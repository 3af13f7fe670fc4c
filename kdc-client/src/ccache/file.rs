//! FILE cache I/O under POSIX record locks, as MIT's FILE cache (`cc_file.c` with
//! `krb5_lock_file`): readers hold a shared lock, writers an exclusive one on the cache file
//! itself, and a read-modify-write ([`update_locked`]) keeps its exclusive lock from the read
//! to the end of the write, so concurrent writers (ours or MIT's, which appends under the
//! same lock) lose no credential. Writes go in place (truncate, write, fsync), as MIT's do:
//! a rename would leave a waiting MIT writer appending to the unlinked old file.
//!
//! The lock is `fcntl(F_SETLKW)` with `F_WRLCK`/`F_RDLCK` over the whole file (`l_start` 0,
//! `l_len` 0), which is what `rustix::fs::fcntl_lock` issues (rustix 1.1 `fs/fcntl.rs`; its
//! `FlockOperation` argument only names the lock kind): MIT's own call, without `unsafe`.
//! POSIX record locks belong to the process, so threads of one process are serialised by a
//! process-wide mutex as well, and the locked file is read and written through the one
//! descriptor that holds the lock (closing any other descriptor of the file would drop it).

use std::fs::{File, OpenOptions};
use std::io::{Read as _, Seek as _, SeekFrom, Write as _};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use rustix::fs::{FlockOperation, fcntl_lock};
use zeroize::Zeroizing;

use super::{Ccache, CcacheError};
use crate::principal::Principal;

/// Serialises FILE cache access between threads of this process (record locks do not).
static IN_PROCESS: Mutex<()> = Mutex::new(());

fn in_process() -> MutexGuard<'static, ()> {
    // A thread that panicked while holding the guard left no partial state in it.
    IN_PROCESS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Read the whole file into a zeroizing buffer reserved at the file's size.
fn read_all(f: &mut File) -> std::io::Result<Zeroizing<Vec<u8>>> {
    let len = usize::try_from(f.metadata()?.len()).unwrap_or(usize::MAX);
    // Writers are locked out, so the size holds; the +1 detects a file that grew anyway
    // without a reallocation.
    let mut buf = Zeroizing::new(Vec::with_capacity(len.saturating_add(1)));
    f.seek(SeekFrom::Start(0))?;
    f.take(len as u64).read_to_end(&mut buf)?;
    Ok(buf)
}

fn lock(f: &File, op: FlockOperation) -> std::io::Result<()> {
    loop {
        match fcntl_lock(f, op) {
            Err(rustix::io::Errno::INTR) => continue,
            r => return r.map_err(Into::into),
        }
    }
}

/// Read a cache file under a shared lock.
pub(crate) fn read_locked(path: &Path) -> std::io::Result<Zeroizing<Vec<u8>>> {
    let _guard = in_process();
    let mut f = File::open(path)?;
    lock(&f, FlockOperation::LockShared)?;
    read_all(&mut f)
}

fn open_rw(path: &Path) -> std::io::Result<File> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        // Never truncated before the lock is held (another process may be reading).
        .truncate(false)
        .mode(0o600)
        .open(path)
}

fn rewrite(f: &mut File, bytes: &[u8]) -> std::io::Result<()> {
    f.set_len(0)?;
    f.seek(SeekFrom::Start(0))?;
    f.write_all(bytes)?;
    f.sync_all()
}

/// Replace the file's contents under an exclusive lock (created mode 0600 if missing).
pub(crate) fn replace_locked(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let _guard = in_process();
    let mut f = open_rw(path)?;
    lock(&f, FlockOperation::LockExclusive)?;
    rewrite(&mut f, bytes)
}

/// Read-modify-write under one exclusive lock: `change` gets the current contents (`None`
/// for a missing or empty file) and returns what to write.
pub(crate) fn update_locked<E: From<std::io::Error>>(
    path: &Path,
    change: impl FnOnce(Option<&[u8]>) -> Result<Zeroizing<Vec<u8>>, E>,
) -> Result<(), E> {
    let _guard = in_process();
    let mut f = open_rw(path)?;
    lock(&f, FlockOperation::LockExclusive)?;
    let current = read_all(&mut f)?;
    let new = change((!current.is_empty()).then_some(&current[..]))?;
    rewrite(&mut f, &new)?;
    Ok(())
}

/// `kdestroy`: refuse a symbolic link (`O_NOFOLLOW`: the zeros would land in the file it
/// points to), then under an exclusive lock overwrite the file with zeros and unlink it.
pub(crate) fn destroy_locked(path: &Path) -> std::io::Result<()> {
    let _guard = in_process();
    let nofollow = i32::try_from(rustix::fs::OFlags::NOFOLLOW.bits()).unwrap_or(0);
    let mut f = OpenOptions::new()
        .write(true)
        .custom_flags(nofollow)
        .open(path)
        .map_err(|e| {
            if e.raw_os_error() == Some(rustix::io::Errno::LOOP.raw_os_error()) {
                std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    "the credential cache is a symbolic link; not following it",
                )
            } else {
                e
            }
        })?;
    lock(&f, FlockOperation::LockExclusive)?;
    let len = f.metadata()?.len();
    std::io::copy(&mut std::io::repeat(0).take(len), &mut f)?;
    f.sync_all()?;
    std::fs::remove_file(path)
}

/// Read at most `max` bytes of a small file (e.g. a DIR collection's `primary`).
pub(crate) fn read_bounded(path: &Path, max: u64) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    File::open(path)?.take(max).read_to_end(&mut out)?;
    Ok(out)
}

/// Replace a small file atomically: write a temporary file beside it (mode 0600, never an
/// existing file) and rename it over `path`, so readers see the old or the new contents.
/// For files no MIT writer appends to under a lock (a DIR collection's `primary`); FILE
/// caches are rewritten in place instead ([`replace_locked`]).
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
    let suffix = random_suffix().map_err(std::io::Error::other)?;
    let tmp = path.with_file_name(format!("{}.{suffix}", name.as_deref().unwrap_or("tmp")));
    let written = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&tmp)
        .and_then(|mut f| f.write_all(bytes))
        .and_then(|()| std::fs::rename(&tmp, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

/// Six letters and digits, as `mkstemp` uses.
pub(crate) fn random_suffix() -> Result<String, CcacheError> {
    const ALPHABET: &[u8; 62] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut random = [0u8; 6];
    getrandom::fill(&mut random)
        .map_err(|_| CcacheError::Malformed("no randomness for a cache name"))?;
    // 256 = 4 * 62 + 8: the slight bias is irrelevant for a unique name.
    Ok(random
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(*b) % 62]))
        .collect())
}

impl Ccache {
    /// Read a FILE cache (under a shared `fcntl` lock, as MIT reads).
    pub fn read_file(path: &Path) -> Result<Self, CcacheError> {
        let bytes = read_locked(path).map_err(io_err(path))?;
        Self::parse(&bytes)
    }

    /// Write the cache in place under an exclusive `fcntl` lock (created mode 0600), as
    /// MIT's FILE cache does; readers that lock (ours, MIT's) never see a partial cache.
    pub fn write_file(&self, path: &Path) -> Result<(), CcacheError> {
        replace_locked(path, &self.to_bytes()?).map_err(io_err(path))
    }

    /// Read-modify-write of a FILE cache under one exclusive `fcntl` lock: `change` gets the
    /// cache as it is now (`None` when missing, empty or unreadable) and returns the cache
    /// to write.
    pub fn update_file(
        path: &Path,
        change: impl FnOnce(Option<Ccache>) -> Ccache,
    ) -> Result<(), CcacheError> {
        update_locked(path, |current| {
            let current = current.and_then(|b| Self::parse(b).ok());
            change(current).to_bytes()
        })
        .map_err(|e| match e {
            CcacheError::Io { source, .. } => io_err(path)(source),
            e => e,
        })
    }

    /// `kinit`'s initialisation: replace whatever is at `path` by an empty cache.
    pub fn init_file(path: &Path, default_principal: Principal) -> Result<Self, CcacheError> {
        let cache = Self::new(default_principal);
        cache.write_file(path)?;
        Ok(cache)
    }

    /// `kdestroy`: overwrite the file with zeros, then unlink it (as MIT's FILE cache does),
    /// under an exclusive lock; a symbolic link is refused, not followed.
    pub fn destroy_file(path: &Path) -> Result<(), CcacheError> {
        destroy_locked(path).map_err(io_err(path))
    }
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> CcacheError + '_ {
    move |source| CcacheError::Io {
        path: path.into(),
        source,
    }
}
