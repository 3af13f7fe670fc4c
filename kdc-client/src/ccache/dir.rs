//! MIT's DIR credential cache collections (`src/lib/krb5/ccache/cc_dir.c`): a directory of
//! FILE caches whose names begin with `tkt`, and a file `primary` holding one line, the name
//! of the primary cache.
//!
//! ```text
//! DIR:/run/user/1000/krb5cc          the collection: its primary cache (created: tkt)
//! DIR::/run/user/1000/krb5cc/tkt5Xa  one cache of it
//! ```
//! Resolving a collection creates the directory (mode 0700) and the `primary` file when they
//! are missing, as MIT does.

use std::fmt;
use std::path::{Path, PathBuf};

use super::CcacheError;

/// MIT's `KRB5_CC_BADNAME`.
const BADNAME: &str = "Credential cache name malformed";
/// MIT's `KRB5_CC_FORMAT`.
const FORMAT: &str = "Bad format in credentials cache";
/// MIT's `KRB5_FCC_NOFILE`.
const NOFILE: &str = "No credentials cache found";
/// MIT's `KRB5_DCC_CANNOT_CREATE`.
const CANNOT_CREATE: &str = "Can't create new subsidiary cache";

fn bad(generic: &'static str, message: String) -> CcacheError {
    CcacheError::BadName { generic, message }
}

/// The file naming the primary cache.
const PRIMARY: &str = "primary";
/// MIT reads the primary file's first line into 64 bytes.
const PRIMARY_LINE_MAX: usize = 63;

/// A DIR residual.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DirName {
    /// `DIR:dirname`: the collection (resolves to its primary cache).
    Collection(PathBuf),
    /// A cache file in a collection directory (`DIR::/dir/tktXXX`).
    Subsidiary {
        /// The collection directory.
        dir: PathBuf,
        /// The cache file's name in it.
        file: String,
    },
}

impl DirName {
    /// Parse what follows `DIR:`.
    pub fn parse(residual: &str) -> Result<Self, CcacheError> {
        let Some(path) = residual.strip_prefix(':') else {
            return Ok(Self::Collection(PathBuf::from(residual)));
        };
        let (dir, file) = match path.rsplit_once('/') {
            Some((dir, file)) if !dir.is_empty() => (dir, file),
            Some(("", file)) => ("/", file),
            _ => {
                return Err(bad(
                    BADNAME,
                    format!("Subsidiary cache path {path} has no parent directory"),
                ));
            }
        };
        if !file.starts_with("tkt") {
            return Err(bad(
                BADNAME,
                format!("Subsidiary cache path {path} filename does not begin with \"tkt\""),
            ));
        }
        Ok(Self::Subsidiary {
            dir: PathBuf::from(dir),
            file: file.to_owned(),
        })
    }
}

impl fmt::Display for DirName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Collection(dir) => write!(f, "{}", dir.display()),
            Self::Subsidiary { dir, file } => write!(f, ":{}", dir.join(file).display()),
        }
    }
}

/// One cache of a DIR collection, resolved.
#[derive(Debug, Clone)]
pub struct DirCache {
    dir: PathBuf,
    file: String,
    /// Opened by a subsidiary name: its collection is that one cache (MIT's cursor).
    single: bool,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> CcacheError + '_ {
    move |source| CcacheError::Io {
        path: path.into(),
        source,
    }
}

/// MIT's `verify_dir`: the directory, created (0700) if missing.
fn verify_dir(dir: &Path) -> Result<(), CcacheError> {
    use std::os::unix::fs::DirBuilderExt;
    match std::fs::metadata(dir) {
        Ok(m) if m.is_dir() => Ok(()),
        Ok(_) => Err(bad(
            FORMAT,
            format!(
                "Credential cache directory {} exists but is not a directory",
                dir.display()
            ),
        )),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => std::fs::DirBuilder::new()
            .mode(0o700)
            .create(dir)
            .map_err(|_| {
                bad(
                    NOFILE,
                    format!(
                        "Credential cache directory {} does not exist",
                        dir.display()
                    ),
                )
            }),
        Err(e) => Err(io(dir)(e)),
    }
}

/// The primary file's cache name; `None` when there is no primary file.
fn read_primary(dir: &Path) -> Result<Option<String>, CcacheError> {
    let path = dir.join(PRIMARY);
    // Only the first line matters (at most PRIMARY_LINE_MAX bytes): read no more than that.
    match super::file::read_bounded(&path, PRIMARY_LINE_MAX as u64 + 1) {
        Ok(text) => parse_primary(&text).map(Some).ok_or_else(|| {
            bad(
                FORMAT,
                format!("{} contains invalid filename", path.display()),
            )
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io(&path)(e)),
    }
}

/// The contents of a `primary` file: its first line, which must end with a newline, fit
/// MIT's 64-byte buffer, begin with `tkt` and name a file in the directory.
pub fn parse_primary(text: &[u8]) -> Option<String> {
    let line_end = text.iter().position(|&b| b == b'\n')?;
    let line = std::str::from_utf8(&text[..line_end]).ok()?;
    let valid = line_end <= PRIMARY_LINE_MAX
        && line.starts_with("tkt")
        && !line.contains(['/', '\\', '\0']);
    valid.then(|| line.to_owned())
}

/// Replace the primary file atomically (temporary file, mode 0600, rename).
fn write_primary(dir: &Path, file: &str) -> Result<(), CcacheError> {
    let path = dir.join(PRIMARY);
    super::file::write_atomic(&path, format!("{file}\n").as_bytes()).map_err(io(&path))
}

impl DirCache {
    /// Resolve `name` as MIT's `dcc_resolve`.
    pub fn open(name: &DirName) -> Result<Self, CcacheError> {
        match name {
            DirName::Subsidiary { dir, file } => {
                verify_dir(dir)?;
                Ok(Self {
                    dir: dir.clone(),
                    file: file.clone(),
                    single: true,
                })
            }
            DirName::Collection(dir) => {
                verify_dir(dir)?;
                let file = match read_primary(dir)? {
                    Some(f) => f,
                    None => {
                        write_primary(dir, "tkt")?;
                        "tkt".to_owned()
                    }
                };
                Ok(Self {
                    dir: dir.clone(),
                    file,
                    single: false,
                })
            }
        }
    }

    /// The cache's own name, `DIR::dir/file`.
    pub fn name(&self) -> DirName {
        DirName::Subsidiary {
            dir: self.dir.clone(),
            file: self.file.clone(),
        }
    }

    /// The FILE cache holding the credentials.
    pub fn path(&self) -> PathBuf {
        self.dir.join(&self.file)
    }

    fn at(&self, file: &str) -> Self {
        Self {
            dir: self.dir.clone(),
            file: file.to_owned(),
            single: false,
        }
    }

    /// Make this cache the directory's primary.
    pub fn switch_to(&self) -> Result<(), CcacheError> {
        write_primary(&self.dir, &self.file)
    }

    /// The caches of the collection that exist: the primary first, then the directory's
    /// other `tkt*` files in directory order. Opened by a subsidiary name: that cache.
    pub fn collection(&self) -> Result<Vec<Self>, CcacheError> {
        if self.single {
            return Ok(if self.path().exists() {
                vec![self.clone()]
            } else {
                Vec::new()
            });
        }
        // MIT lists the directory even when the primary file cannot be read.
        let primary = read_primary(&self.dir).ok().flatten();
        let mut out = Vec::new();
        if let Some(p) = &primary
            && self.dir.join(p).exists()
        {
            out.push(self.at(p));
        }
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(e) => e,
            Err(_) => return Ok(out),
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            if name.starts_with("tkt") && primary.as_deref() != Some(name) {
                out.push(self.at(name));
            }
        }
        Ok(out)
    }

    /// A fresh `tktXXXXXX` name in the directory, not yet in use (MIT's `gen_new`); the file
    /// is created by the first save.
    pub fn new_unique(&self) -> Result<Self, CcacheError> {
        if self.single {
            return Err(bad(
                CANNOT_CREATE,
                "Can't create new subsidiary cache because default cache is not a directory \
                 collection"
                    .to_owned(),
            ));
        }
        for _ in 0..100 {
            let candidate = self.at(&format!("tkt{}", super::file::random_suffix()?));
            if !candidate.path().exists() {
                return Ok(candidate);
            }
        }
        Err(CcacheError::Malformed("no unused cache file name found"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("ccache-dir-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    #[test]
    fn names_parse_like_mit() {
        assert_eq!(
            DirName::parse("/run/cc").unwrap(),
            DirName::Collection(PathBuf::from("/run/cc"))
        );
        let sub = DirName::parse(":/run/cc/tktAb12").unwrap();
        assert_eq!(sub.to_string(), ":/run/cc/tktAb12");
        let e = DirName::parse(":tkt").unwrap_err().to_string();
        assert_eq!(e, "Subsidiary cache path tkt has no parent directory");
        let e = DirName::parse(":/run/cc/x").unwrap_err().to_string();
        assert_eq!(
            e,
            "Subsidiary cache path /run/cc/x filename does not begin with \"tkt\""
        );
    }

    #[test]
    fn collection_primary_switch_and_listing() {
        let d = temp_dir("col");
        let col = DirCache::open(&DirName::Collection(d.clone())).unwrap();
        // Created as MIT does: the directory (0700) and `primary` naming tkt.
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&d).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700);
        assert_eq!(std::fs::read_to_string(d.join("primary")).unwrap(), "tkt\n");
        assert_eq!(col.name().to_string(), format!(":{}/tkt", d.display()));
        assert!(col.collection().unwrap().is_empty());

        std::fs::write(col.path(), b"x").unwrap();
        let other = col.new_unique().unwrap();
        assert!(other.file.starts_with("tkt") && other.file.len() == 9);
        std::fs::write(other.path(), b"y").unwrap();
        std::fs::write(d.join("notacache"), b"z").unwrap();
        let names = |c: &DirCache| -> Vec<String> {
            c.collection()
                .unwrap()
                .iter()
                .map(|c| c.file.clone())
                .collect()
        };
        assert_eq!(names(&col), vec!["tkt".to_owned(), other.file.clone()]);
        other.switch_to().unwrap();
        assert_eq!(names(&col), vec![other.file.clone(), "tkt".to_owned()]);
        let reopened = DirCache::open(&DirName::Collection(d.clone())).unwrap();
        assert_eq!(reopened.file, other.file);
        // A subsidiary name is a collection of itself and cannot make new caches.
        let single = DirCache::open(&reopened.name()).unwrap();
        assert_eq!(names(&single), vec![other.file.clone()]);
        assert!(single.new_unique().is_err());
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn bad_primary_files_are_errors() {
        let d = temp_dir("bad");
        std::fs::create_dir_all(&d).unwrap();
        for bad in [
            &b"tkt"[..],
            b"x\n",
            b"tkt/../x\n",
            b"",
            &[b't'; 80],
            b"tkt\xff\n",
        ] {
            std::fs::write(d.join("primary"), bad).unwrap();
            let e = DirCache::open(&DirName::Collection(d.clone())).unwrap_err();
            assert!(e.to_string().ends_with("contains invalid filename"), "{e}");
        }
        std::fs::write(d.join("primary"), b"tktA\nignored").unwrap();
        assert_eq!(
            DirCache::open(&DirName::Collection(d.clone()))
                .unwrap()
                .file,
            "tktA"
        );
        // A file where the directory should be.
        let f = d.join("file");
        std::fs::write(&f, b"").unwrap();
        let e = DirCache::open(&DirName::Collection(f)).unwrap_err();
        assert!(
            e.to_string().contains("exists but is not a directory"),
            "{e}"
        );
        let _ = std::fs::remove_dir_all(&d);
    }
}
