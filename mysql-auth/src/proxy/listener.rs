//! [`LocalProxy`]: the Unix-socket listener and the per-session relay (feature `proxy`).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::watch;
use tokio::task::JoinSet;

use super::credentials::SharedCredentials;
use super::local::{self, LocalLogin, err_packet, local_greeting};
use super::relay::relay;
use crate::connector::{ConnectOptions, Connection, Error, Stream};
use crate::error::AuthError;
use crate::messages::ErrPacket;
use crate::packet::{Packet, PacketDecoder};
use kdc_client::escape_peer_text;

/// Proxy settings.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ProxyConfig {
    /// The upstream server: host, port, TLS mode and CA, plugin, timeouts. The account,
    /// database, character set, capabilities and attributes come from each local client.
    pub upstream: ConnectOptions,
    /// How long open sessions may go on after shutdown begins.
    pub shutdown_grace: Duration,
    /// Bound on open sessions; a client over it gets ERR 1040.
    pub max_sessions: usize,
}

impl ProxyConfig {
    /// Defaults around `upstream` (whose [`ConnectOptions::spn_policy`] the proxy applies to
    /// every login): 10 s shutdown grace, 1024 sessions.
    pub fn new(upstream: ConnectOptions) -> Self {
        Self {
            upstream,
            shutdown_grace: Duration::from_secs(10),
            max_sessions: 1024,
        }
    }

    /// Sets [`ProxyConfig::shutdown_grace`], how long open sessions may go on after shutdown begins.
    pub fn with_shutdown_grace(mut self, grace: Duration) -> Self {
        self.shutdown_grace = grace;
        self
    }

    /// Sets [`ProxyConfig::max_sessions`], the bound on open sessions.
    pub fn with_max_sessions(mut self, max: usize) -> Self {
        self.max_sessions = max;
        self
    }
}

/// A running proxy on a Unix socket. Hand [`LocalProxy::path`] to a MySQL driver (its
/// `unix_socket`/`socket` option); any password it sends is ignored. Stop it with
/// [`LocalProxy::shutdown`]; dropping it also stops accepting, but leaves the socket file.
#[derive(Debug)]
pub struct LocalProxy {
    path: PathBuf,
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

/// How often the shared credentials are looked after.
const REFRESH_EVERY: Duration = Duration::from_secs(60);

impl LocalProxy {
    /// Bind `path` (mode 0600; a stale socket nobody accepts on is replaced) and start
    /// serving on the current tokio runtime. Ready when this returns.
    pub async fn start(
        path: impl Into<PathBuf>,
        config: ProxyConfig,
        creds: Arc<SharedCredentials>,
    ) -> std::io::Result<Self> {
        let path = path.into();
        // One TLS configuration (and one read of the CA file, off the async workers) for
        // every session's login.
        let mut config = config;
        let upstream = config.upstream.clone();
        config.upstream = tokio::task::spawn_blocking(move || {
            let mut upstream = upstream;
            upstream.prepare_tls().map(|()| upstream)
        })
        .await
        .map_err(std::io::Error::other)?
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e.to_string()))?;
        if tokio::fs::symlink_metadata(&path).await.is_ok() {
            if UnixStream::connect(&path).await.is_ok() {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::AddrInUse,
                    format!("{} is in use by another process", path.display()),
                ));
            }
            let md = tokio::fs::symlink_metadata(&path).await?;
            use std::os::unix::fs::FileTypeExt;
            if !md.file_type().is_socket() {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::AlreadyExists,
                    format!("{} exists and is not a socket", path.display()),
                ));
            }
            tokio::fs::remove_file(&path).await?;
        }
        let listener = UnixListener::bind(&path)?;
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        tokio::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).await?;
        let own_uid = tokio::fs::metadata("/proc/self").await?.uid();
        let (stop, stop_rx) = watch::channel(false);
        tokio::spawn(refresh(creds.clone(), stop_rx.clone()));
        let task = tokio::spawn(serve(listener, own_uid, Arc::new(config), creds, stop_rx));
        Ok(Self { path, stop, task })
    }

    /// The socket path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Stop accepting, let open sessions finish (bounded by the grace period), remove the
    /// socket.
    pub async fn shutdown(self) -> std::io::Result<()> {
        let _ = self.stop.send(true);
        let _ = self.task.await;
        match tokio::fs::remove_file(&self.path).await {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }
}

/// Look after the shared credentials every [`REFRESH_EVERY`] until the proxy stops.
async fn refresh(creds: Arc<SharedCredentials>, mut stop: watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(REFRESH_EVERY);
    tick.tick().await; // the first tick is immediate
    loop {
        tokio::select! {
            _ = stop.changed() => return,
            _ = tick.tick() => {
                if let Err(e) = creds.refresh().await {
                    tracing::warn!("Could not refresh the Kerberos credentials: {e}");
                }
            }
        }
    }
}

async fn serve(
    listener: UnixListener,
    own_uid: u32,
    config: Arc<ProxyConfig>,
    creds: Arc<SharedCredentials>,
    mut stop: watch::Receiver<bool>,
) {
    let mut sessions = JoinSet::new();
    loop {
        while sessions.try_join_next().is_some() {}
        tokio::select! {
            _ = stop.changed() => break,
            r = listener.accept() => match r {
                Ok((stream, _)) => {
                    let peer = stream.peer_cred().map(|c| c.uid());
                    let allowed = matches!(&peer, Ok(p) if *p == own_uid);
                    if !allowed || sessions.len() >= config.max_sessions {
                        sessions.spawn(refuse(stream, peer.ok(), allowed));
                        continue;
                    }
                    sessions.spawn(session(stream, config.clone(), creds.clone()));
                }
                Err(e) => {
                    tracing::warn!("kerb proxy: accept failed: {e}");
                    // e.g. EMFILE: back off briefly instead of spinning.
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
    }
    drop(listener);
    let drain = async { while sessions.join_next().await.is_some() {} };
    if tokio::time::timeout(config.shutdown_grace, drain)
        .await
        .is_err()
    {
        tracing::info!(
            "kerb proxy: shutdown grace over: closing {} open sessions",
            sessions.len()
        );
        sessions.abort_all();
        while sessions.join_next().await.is_some() {}
    }
}

async fn refuse(stream: UnixStream, uid: Option<u32>, uid_ok: bool) {
    let msg = if uid_ok {
        "kerb proxy: too many sessions; try again later".to_owned()
    } else {
        format!(
            "kerb proxy: access denied for uid {}: only the proxy's own uid may use this socket",
            uid.map_or_else(|| "unknown".to_owned(), |u| u.to_string())
        )
    };
    let (code, state) = if uid_ok {
        (1040, "08004")
    } else {
        (1045, "28000")
    };
    tracing::info!("{msg}");
    let mut local = LocalIo::new(stream);
    let _ = local.refuse(code, state, &msg).await;
}

/// The code of the proxy's ERR when the server cannot be reached: the server-side
/// ER_CONNECT_TO_FOREIGN_DATA_SOURCE. (The client-side 2003, CR_CONN_HOST_ERROR, in an ERR
/// packet makes libmariadb's CLI report "malformed packet" instead of the message.)
const UPSTREAM_DOWN: u16 = 1429;

/// The local client's answer to an upstream failure: the server's ERR unchanged, else an
/// ERR from the proxy that says what failed.
fn upstream_err(e: &Error, login: &LocalLogin, cfg: &ConnectOptions) -> ErrPacket {
    let upstream = format!("{}:{}", cfg.host, cfg.port);
    let (code, sql_state, message) = match e {
        Error::Server(p) => return p.clone(),
        Error::Io(_) | Error::Timeout(_) => (
            UPSTREAM_DOWN,
            "HY000",
            format!("kerb proxy: cannot reach the server {upstream}: {e}"),
        ),
        Error::Auth(AuthError::Gss(g)) => (
            1045,
            "28000",
            format!(
                "kerb proxy: Kerberos login as '{}' to {upstream} failed: {g}",
                escape_peer_text(&login.user, 64)
            ),
        ),
        e => (
            1045,
            "28000",
            format!(
                "kerb proxy: login as '{}' to {upstream} failed: {e}",
                escape_peer_text(&login.user, 64)
            ),
        ),
    };
    ErrPacket {
        code,
        sql_state: sql_state.to_owned(),
        message,
    }
}

struct SessionLog {
    start: Instant,
    user: String,
    plugin: String,
    tls: bool,
}

async fn session(local: UnixStream, config: Arc<ProxyConfig>, creds: Arc<SharedCredentials>) {
    let mut log = SessionLog {
        start: Instant::now(),
        user: String::new(),
        plugin: String::new(),
        tls: false,
    };
    let upstream = format!("{}:{}", config.upstream.host, config.upstream.port);
    let result = run_session(local, &config, &creds, &mut log).await;
    let ms = log.start.elapsed().as_millis();
    let result = match &result {
        Ok(()) => "ok".to_owned(),
        Err(why) => escape_peer_text(why, 512),
    };
    tracing::info!(
        "proxy session: account '{}' upstream {upstream} plugin {} tls {} result {result} \
         duration {ms} ms",
        escape_peer_text(&log.user, 64),
        if log.plugin.is_empty() {
            "-"
        } else {
            &log.plugin
        },
        if log.tls { "yes" } else { "no" },
    );
}

/// The local stream with its decoder (bounded: [`local::MAX_LOCAL_RESPONSE`]).
struct LocalIo {
    stream: UnixStream,
    decoder: PacketDecoder,
}

/// How long a local client may take to answer the greeting.
const LOCAL_ANSWER_TIMEOUT: Duration = Duration::from_secs(10);

fn random_scramble() -> Result<[u8; 20], String> {
    let mut scramble = [0u8; 20];
    getrandom::fill(&mut scramble).map_err(|e| format!("no randomness: {e}"))?;
    // Printable bytes, as servers send (some clients treat the scramble as a C string).
    for b in &mut scramble {
        *b = b'!' + (*b % 90);
    }
    Ok(scramble)
}

impl LocalIo {
    fn new(stream: UnixStream) -> Self {
        Self {
            stream,
            decoder: PacketDecoder::new(local::MAX_LOCAL_RESPONSE),
        }
    }

    /// Refuse a session before any upstream login: greet, read the client's response
    /// (bounded in size and time), answer ERR.
    async fn refuse(&mut self, code: u16, state: &str, msg: &str) -> Result<(), String> {
        let greeting = local::refusal_greeting(&random_scramble()?);
        self.write(&Packet::new(0, greeting.payload)).await?;
        let resp = tokio::time::timeout(LOCAL_ANSWER_TIMEOUT, self.read_packet())
            .await
            .map_err(|_| "the client did not answer the greeting in time".to_owned())??;
        self.write(&err_packet(resp.seq.wrapping_add(1), code, state, msg))
            .await?;
        let _ = self.stream.shutdown().await;
        Ok(())
    }

    /// Read the client's response to the greeting. A packet that breaks the framing (over
    /// [`local::MAX_LOCAL_RESPONSE`], or split with bad sequence ids) is answered with
    /// ERR 1043 before the session ends.
    async fn read_packet(&mut self) -> Result<Packet, String> {
        let mut buf = [0u8; 4096];
        loop {
            match self.decoder.next_packet() {
                Ok(Some(p)) => return Ok(p),
                Ok(None) => {}
                Err(e) => {
                    let msg = format!("Bad handshake: {e}");
                    self.write(&err_packet(2, 1043, "08S01", &msg)).await?;
                    return Err(msg);
                }
            }
            let n = self
                .stream
                .read(&mut buf)
                .await
                .map_err(|e| e.to_string())?;
            if n == 0 {
                return Err("client closed the connection".into());
            }
            self.decoder.extend(&buf[..n]); // n <= buf.len()
        }
    }

    async fn write(&mut self, p: &Packet) -> Result<(), String> {
        self.stream
            .write_all(&p.encode())
            .await
            .map_err(|e| format!("writing to the client: {e}"))
    }
}

/// A session past its login: what the relay needs, and nothing else.
struct Relay {
    local: UnixStream,
    upstream: Stream,
    local_pending: Vec<u8>,
    upstream_pending: Vec<u8>,
}

async fn run_session(
    stream: UnixStream,
    config: &ProxyConfig,
    creds: &SharedCredentials,
    log: &mut SessionLog,
) -> Result<(), String> {
    // The login's state (Kerberos, the handshake, its buffers) is large; boxed, it is freed
    // when the login ends instead of sizing the session's task for the whole command phase.
    let r = Box::pin(login(stream, config, creds, log)).await?;
    relay(r.local, r.upstream, r.local_pending, r.upstream_pending).await
}

/// Greet the local client, read its HandshakeResponse, log in upstream as its account, and
/// answer it with the server's OK (or ERR).
async fn login(
    stream: UnixStream,
    config: &ProxyConfig,
    creds: &SharedCredentials,
    log: &mut SessionLog,
) -> Result<Relay, String> {
    let mut local = LocalIo::new(stream);
    let cfg = &config.upstream;
    let greeted = match Connection::open(cfg).await {
        Ok(g) => g,
        Err(e) => {
            let msg = format!(
                "kerb proxy: cannot reach the server {}:{}: {e}",
                cfg.host, cfg.port
            );
            local.refuse(UPSTREAM_DOWN, "HY000", &msg).await?;
            return Err(msg);
        }
    };
    let server = match greeted.packet().payload.first() {
        Some(0xFF) => {
            // The server refused at once (e.g. too many connections): pass its ERR on.
            let p = Packet::new(0, greeted.packet().payload.clone());
            local.write(&p).await?;
            return Err("the server refused the connection".into());
        }
        _ => match crate::messages::Handshake::parse(&greeted.packet().payload) {
            Ok(h) => h,
            Err(e) => {
                let msg = format!("kerb proxy: bad greeting from the server: {e}");
                local.refuse(2027, "HY000", &msg).await?;
                return Err(msg);
            }
        },
    };
    let greeting = local_greeting(&server, &random_scramble()?);
    local.write(&Packet::new(0, greeting.payload)).await?;
    let resp = tokio::time::timeout(LOCAL_ANSWER_TIMEOUT, local.read_packet())
        .await
        .map_err(|_| "the client did not answer the greeting in time".to_owned())??;
    let reply_seq = resp.seq.wrapping_add(1);
    if resp.seq != 1 {
        local
            .write(&err_packet(reply_seq, 1043, "08S01", "Bad handshake"))
            .await?;
        return Err(format!("client response with sequence id {}", resp.seq));
    }
    let login = match LocalLogin::parse(&resp.payload, greeting.capabilities) {
        Ok(l) => l,
        Err(e) => {
            let msg = format!("Bad handshake: {e}");
            local
                .write(&err_packet(reply_seq, 1043, "08S01", &msg))
                .await?;
            return Err(msg);
        }
    };
    log.user = login.user.clone();
    let mut opts = cfg.clone();
    opts.user = login.user.clone();
    opts.database = login.database.clone();
    opts.charset = login.charset;
    opts.capabilities = Some(login.capabilities);
    opts.connect_attrs = login.attrs.clone();
    opts.probe_other_plugins = true;

    let before = creds.snapshot();
    let mut init = creds.initiator(before.clone());
    let mut result = Connection::login(greeted, &opts, &mut init).await;
    if let Err(e) = &result
        && e.may_need_fresh_ticket()
        && init.ticket_from_cache()
    {
        tracing::debug!(
            "Login failed with a cached service ticket ({e}): retrying with a fresh one"
        );
        let _ = init.forget_service_ticket();
        result = Connection::connect(&opts, &mut init).await;
    }
    creds.merge(&before, init.working_cache());
    let conn = match result {
        Ok(c) => c,
        Err(e) => {
            let err = upstream_err(&e, &login, cfg);
            local.write(&Packet::new(reply_seq, err.encode())).await?;
            return Err(format!("ERROR {} ({})", err.code, err.sql_state));
        }
    };
    log.plugin = conn.authenticated().plugin.clone();
    log.tls = conn.is_tls();
    let ok = Packet::new(reply_seq, conn.authenticated().ok_payload.clone());
    let (upstream, rest) = conn.into_stream();
    local.write(&ok).await?;
    let leftover = local.decoder.take_buffered();
    Ok(Relay {
        local: local.stream,
        upstream,
        local_pending: leftover,
        upstream_pending: rest,
    })
}
