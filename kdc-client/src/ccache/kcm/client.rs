//! The socket side of KCM caches: one connection per operation, blocking I/O with timeouts.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

use zeroize::Zeroizing;

use super::{
    KcmError, KcmName, Opcode, decode_cred_list, decode_credential, decode_name, decode_offset,
    decode_principal, decode_reply_body, decode_reply_header, decode_uuid_list,
    encode_replace_args, encode_request, status,
};
use crate::Principal;
use crate::ccache::{Ccache, CcacheError, KdcOffset, encode_principal_v4};

/// How long one request may wait on the daemon (connect, write, read).
const TIMEOUT: Duration = Duration::from_secs(15);

/// One cache of a KCM daemon, by the daemon's name for it.
#[derive(Debug, Clone)]
pub struct KcmCache {
    socket: PathBuf,
    /// The daemon's cache name (the residual after `KCM:`), never empty.
    cache: String,
    /// Opened by a cache name rather than `KCM:`: its "collection" is that one cache, as MIT's
    /// subsidiary cursor.
    single: bool,
}

/// A connection to the daemon.
struct Conn {
    stream: UnixStream,
    socket: PathBuf,
}

impl Conn {
    fn open(socket: &Path) -> Result<Self, KcmError> {
        if socket.as_os_str() == "-" {
            return Err(KcmError::NoServer);
        }
        let io = |source: std::io::Error| KcmError::Io {
            path: socket.display().to_string(),
            source,
        };
        let stream = UnixStream::connect(socket).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => KcmError::NoServer,
            _ => io(e),
        })?;
        stream.set_read_timeout(Some(TIMEOUT)).map_err(io)?;
        stream.set_write_timeout(Some(TIMEOUT)).map_err(io)?;
        Ok(Self {
            stream,
            socket: socket.to_owned(),
        })
    }

    fn io(&self, source: std::io::Error) -> KcmError {
        KcmError::Io {
            path: self.socket.display().to_string(),
            source,
        }
    }

    /// Send one request and return the payload of a successful reply (zeroized: it may hold
    /// credentials).
    fn call(
        &mut self,
        op: Opcode,
        name: Option<&str>,
        args: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, KcmError> {
        let request = encode_request(op, name, args)?;
        tracing::debug!("KCM request {op:?} for cache {}", name.unwrap_or("(none)"));
        self.stream.write_all(&request).map_err(|e| self.io(e))?;
        let mut header = [0u8; 8];
        self.stream
            .read_exact(&mut header)
            .map_err(|e| self.io(e))?;
        let len = decode_reply_header(header)
            .inspect_err(|e| tracing::debug!("KCM reply to {op:?}: {e}"))?;
        let mut body = Zeroizing::new(vec![0u8; len]);
        self.stream.read_exact(&mut body).map_err(|e| self.io(e))?;
        let payload = decode_reply_body(&body)
            .inspect_err(|e| tracing::debug!("KCM reply to {op:?}: {e}"))?;
        Ok(Zeroizing::new(payload.to_vec()))
    }
}

impl KcmCache {
    /// Resolve `name` with the daemon at `socket`: `KCM:` asks for the default cache's name.
    pub fn open(name: &KcmName, socket: &Path) -> Result<Self, CcacheError> {
        let (cache, single) = match &name.cache {
            Some(c) => (c.clone(), true),
            None => {
                let mut conn = Conn::open(socket)?;
                (default_name(&mut conn)?, false)
            }
        };
        Ok(Self {
            socket: socket.to_owned(),
            cache,
            single,
        })
    }

    /// The full name, `KCM:<daemon's name>`.
    pub fn name(&self) -> KcmName {
        KcmName {
            cache: Some(self.cache.clone()),
        }
    }

    fn at(&self, cache: String) -> Self {
        Self {
            socket: self.socket.clone(),
            cache,
            single: false,
        }
    }

    fn connect(&self) -> Result<Conn, KcmError> {
        Conn::open(&self.socket)
    }

    fn not_found(&self) -> KcmError {
        KcmError::NotFound(self.cache.clone())
    }

    fn principal_on(&self, conn: &mut Conn) -> Result<Principal, KcmError> {
        match conn.call(Opcode::GetPrincipal, Some(&self.cache), &[]) {
            Ok(payload) => decode_principal(&payload)?.ok_or_else(|| self.not_found()),
            Err(KcmError::Status(status::KRB5_FCC_NOFILE)) => Err(self.not_found()),
            Err(e) => Err(e),
        }
    }

    /// The default principal, without reading the credentials.
    pub fn principal(&self) -> Result<Principal, CcacheError> {
        Ok(self.principal_on(&mut self.connect()?)?)
    }

    /// Read the cache: MIT's GET_CRED_LIST, or for daemons without it (Heimdal) the UUID list
    /// and one GET_CRED_BY_UUID per credential. Credentials come in the daemon's order.
    pub fn load(&self) -> Result<Ccache, CcacheError> {
        let mut conn = self.connect()?;
        let default_principal = self.principal_on(&mut conn)?;
        let kdc_offset = conn
            .call(Opcode::GetKdcOffset, Some(&self.cache), &[])
            .ok()
            .and_then(|p| decode_offset(&p).ok())
            .map(|seconds| KdcOffset {
                seconds,
                microseconds: 0,
            });
        let credentials = match conn.call(Opcode::GetCredList, Some(&self.cache), &[]) {
            Ok(payload) => decode_cred_list(&payload)?,
            Err(KcmError::Status(c)) if status::is_unsupported(c) => {
                let uuids = conn.call(Opcode::GetCredUuidList, Some(&self.cache), &[])?;
                let mut creds = Vec::new();
                for uuid in decode_uuid_list(&uuids)? {
                    match conn.call(Opcode::GetCredByUuid, Some(&self.cache), &uuid) {
                        Ok(payload) => creds.push(decode_credential(&payload)?),
                        // Removed since the listing.
                        Err(KcmError::Status(status::KRB5_CC_END)) => {}
                        Err(e) => return Err(e.into()),
                    }
                }
                creds
            }
            Err(KcmError::Status(status::KRB5_FCC_NOFILE)) => return Err(self.not_found().into()),
            Err(e) => return Err(e.into()),
        };
        Ok(Ccache {
            kdc_offset,
            default_principal,
            credentials,
        })
    }

    /// Make the cache hold exactly `cache`: MIT's atomic REPLACE where the daemon has it
    /// (sssd), else as MIT falls back: INITIALIZE, SET_KDC_OFFSET, then STORE each credential.
    ///
    /// The offset is always set, 0 when there is none: INITIALIZE keeps an existing cache's
    /// offset, and Heimdal's kcm 7.8 leaves a new cache's uninitialised (MIT's kinit, syncing
    /// with the KDC's time, always sets it), so a cache without one could read back anything.
    pub fn save(&self, cache: &Ccache) -> Result<(), CcacheError> {
        let mut conn = self.connect()?;
        let args = encode_replace_args(cache)?;
        match conn.call(Opcode::Replace, Some(&self.cache), &args) {
            Ok(_) => return Ok(()),
            Err(KcmError::Status(c)) if status::is_unsupported(c) => {}
            Err(e) => return Err(e.into()),
        }
        let principal = encode_principal_v4(&cache.default_principal)?;
        conn.call(Opcode::Initialize, Some(&self.cache), &principal)?;
        let offset = cache.kdc_offset.map_or(0, |o| o.seconds);
        // Best effort, as MIT (`call` traces a failure); a daemon without the operation has
        // no offsets to go stale.
        let _ = conn.call(
            Opcode::SetKdcOffset,
            Some(&self.cache),
            &offset.to_be_bytes(),
        );
        for c in &cache.credentials {
            conn.call(Opcode::Store, Some(&self.cache), &c.encode_v4()?)?;
        }
        Ok(())
    }

    /// Store the changes from `before` to `after`, keeping what others stored meanwhile. New
    /// credentials for servers not yet in the cache are STOREd one by one (as MIT stores);
    /// anything else (a removal, a replaced credential, another principal) rewrites the cache
    /// as it is now with the changes applied.
    pub fn update(&self, before: &Ccache, after: &Ccache) -> Result<(), CcacheError> {
        let current = match self.load() {
            Ok(c) => c,
            Err(e) if e.is_not_found() => return self.save(after),
            Err(e) => return Err(e),
        };
        if current.default_principal != after.default_principal
            || before.default_principal != after.default_principal
        {
            return self.save(after);
        }
        let changes = Ccache::changes(before, after);
        let only_new = changes.removed.is_empty()
            && changes.added.iter().all(|a| {
                !current
                    .credentials
                    .iter()
                    .any(|c| c.server.matches(&a.server))
            });
        if only_new {
            let mut conn = self.connect()?;
            for c in changes.added {
                conn.call(Opcode::Store, Some(&self.cache), &c.encode_v4()?)?;
            }
            return Ok(());
        }
        let mut merged = current;
        merged.apply_changes(before, after);
        self.save(&merged)
    }

    /// `kdestroy`. A cache that does not exist is a not-found error (MIT's kdestroy reports
    /// the daemon's KRB5_FCC_NOFILE and exits 0).
    pub fn destroy(&self) -> Result<(), CcacheError> {
        match self
            .connect()?
            .call(Opcode::Destroy, Some(&self.cache), &[])
        {
            Ok(_) => Ok(()),
            Err(KcmError::Status(status::KRB5_FCC_NOFILE)) => Err(self.not_found().into()),
            Err(e) => Err(e.into()),
        }
    }

    /// Make this cache the daemon's default (`kswitch`).
    pub fn switch_to(&self) -> Result<(), CcacheError> {
        self.connect()?
            .call(Opcode::SetDefaultCache, Some(&self.cache), &[])?;
        Ok(())
    }

    /// The caches that exist: the default first, then the daemon's others in its order. A
    /// cache opened by name is a collection of itself (MIT's subsidiary cursor).
    pub fn collection(&self) -> Result<Vec<KcmCache>, CcacheError> {
        let mut conn = self.connect()?;
        let exists = |conn: &mut Conn, c: &KcmCache| match c.principal_on(conn) {
            Ok(_) => Ok(true),
            Err(KcmError::NotFound(_)) => Ok(false),
            Err(e) => Err(e),
        };
        if self.single {
            return Ok(if exists(&mut conn, self)? {
                vec![self.clone()]
            } else {
                Vec::new()
            });
        }
        let uuids = match conn.call(Opcode::GetCacheUuidList, None, &[]) {
            Ok(p) => decode_uuid_list(&p)?,
            Err(KcmError::Status(status::KRB5_FCC_NOFILE)) => return Ok(Vec::new()),
            Err(e) => return Err(e.into()),
        };
        let primary = self.at(default_name(&mut conn)?);
        let mut out = Vec::new();
        if exists(&mut conn, &primary)? {
            out.push(primary.clone());
        }
        for uuid in uuids {
            let name = match conn.call(Opcode::GetCacheByUuid, None, &uuid) {
                Ok(p) => decode_name(&p)?,
                Err(KcmError::Status(status::KRB5_CC_END | status::KRB5_FCC_NOFILE)) => continue,
                Err(e) => return Err(e.into()),
            };
            if name != primary.cache {
                out.push(self.at(name));
            }
        }
        Ok(out)
    }

    /// A new cache named by the daemon (GEN_NEW); it exists once initialised by a save.
    pub fn new_unique(&self) -> Result<KcmCache, CcacheError> {
        let payload = self.connect()?.call(Opcode::GenNew, None, &[])?;
        Ok(self.at(decode_name(&payload)?))
    }
}

fn default_name(conn: &mut Conn) -> Result<String, KcmError> {
    decode_name(&conn.call(Opcode::GetDefaultCache, None, &[])?)
}
