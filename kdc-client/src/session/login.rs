//! Logins as MIT's `kinit` makes them: the request options ([`LoginOptions`], its flags),
//! where the client's key comes from ([`KeySource`]), the password asked for only when the
//! KDC's reply needs it ([`Prompter`]), and an expired password changed on the way
//! (KDC_ERR_KEY_EXPIRED, then RFC 3244), as `krb5_get_init_creds_password` does.

use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

use zeroize::Zeroizing;

use super::{Session, SessionError, blocking};
use crate::error_code::KDC_ERR_KEY_EXPIRED;
use crate::exchange::kpasswd::changepw_service;
use crate::exchange::{
    AsOptions, ChangeResult, Credentials, HostAddress, InitialCreds, PasswordExpiry, ResultCode,
    Secret, TicketStart,
};
use crate::keytab::Keytab;
use crate::{Principal, PrincipalName};

/// What a login asks the KDC for beyond krb5.conf's `[libdefaults]`. The default asks for
/// exactly those defaults, as a bare `kinit` does; each `with_*` method is one of MIT
/// kinit's flags.
///
/// ```
/// use std::time::Duration;
/// use kdc_client::session::LoginOptions;
///
/// // kinit -l 10h -r 7d -f
/// let opts = LoginOptions::default()
///     .with_lifetime(Duration::from_secs(10 * 3600))
///     .with_renew_lifetime(Duration::from_secs(7 * 86400))
///     .with_forwardable(true);
/// assert_ne!(opts, LoginOptions::default());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct LoginOptions {
    lifetime: Option<Duration>,
    renew_lifetime: Option<Duration>,
    forwardable: Option<bool>,
    proxiable: Option<bool>,
    canonicalize: bool,
    start: TicketStart,
    service: Option<PrincipalName>,
    addresses: Vec<HostAddress>,
}

impl LoginOptions {
    /// `kinit -l`: the ticket lifetime, counted from its start (else `ticket_lifetime`).
    pub fn with_lifetime(mut self, lifetime: Duration) -> Self {
        self.lifetime = Some(lifetime);
        self
    }

    /// `kinit -r`: the renewable lifetime (else `renew_lifetime`); zero asks for a ticket
    /// that is not renewable.
    pub fn with_renew_lifetime(mut self, life: Duration) -> Self {
        self.renew_lifetime = Some(life);
        self
    }

    /// `kinit -f` (`true`) or `-F` (`false`): a forwardable ticket or not (else
    /// `forwardable`).
    pub fn with_forwardable(mut self, forwardable: bool) -> Self {
        self.forwardable = Some(forwardable);
        self
    }

    /// `kinit -p` (`true`) or `-P` (`false`): a proxiable ticket or not (else `proxiable`).
    pub fn with_proxiable(mut self, proxiable: bool) -> Self {
        self.proxiable = Some(proxiable);
        self
    }

    /// `kinit -C` (and `-E`): ask the KDC to canonicalize the client name (RFC 6806 §3).
    /// `false` leaves krb5.conf's `canonicalize`; an NT-ENTERPRISE client always asks.
    pub fn with_canonicalize(mut self, canonicalize: bool) -> Self {
        self.canonicalize = canonicalize;
        self
    }

    /// `kinit -s`: when the ticket starts ([`TicketStart::In`] asks for a postdated one).
    pub fn with_start(mut self, start: TicketStart) -> Self {
        self.start = start;
        self
    }

    /// `kinit -S`: the service of the initial ticket, in the client's realm, instead of
    /// `krbtgt/REALM` (e.g. `kadmin/admin`). No expired-password change is made for a
    /// `kadmin/changepw` ticket, as MIT makes none.
    pub fn with_service(mut self, service: PrincipalName) -> Self {
        self.service = Some(service);
        self
    }

    /// `kinit -a`: the client addresses to put in the ticket (RFC 4120 §5.4.1); none by
    /// default (`kinit -A`, MIT's `noaddresses`).
    pub fn with_addresses(mut self, addresses: Vec<HostAddress>) -> Self {
        self.addresses = addresses;
        self
    }

    /// These options over `opts` (from [`crate::client::Client::initial_options`]).
    fn apply(&self, opts: &mut AsOptions) {
        if let Some(l) = self.lifetime {
            opts.lifetime = l;
        }
        if let Some(r) = self.renew_lifetime {
            opts.renew_lifetime = r;
        }
        if let Some(f) = self.forwardable {
            opts.forwardable = f;
        }
        if let Some(p) = self.proxiable {
            opts.proxiable = p;
        }
        opts.canonicalize |= self.canonicalize;
        opts.start = self.start;
        opts.service.clone_from(&self.service);
        opts.addresses.clone_from(&self.addresses);
    }

    fn is_changepw(&self) -> bool {
        self.service.as_ref() == Some(&changepw_service())
    }
}

/// Where a login's client key comes from.
#[derive(Clone, Copy)]
#[non_exhaustive]
pub enum KeySource<'a> {
    /// The user's password, asked of the prompter only when the KDC's reply needs it; an
    /// expired one is changed through the prompter ([`Session::login`]).
    Password(&'a dyn Prompter),
    /// The newest key of each enctype this keytab file holds for the user (`kinit -k -t`).
    Keytab(&'a Path),
}

impl std::fmt::Debug for KeySource<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Password(_) => f.write_str("KeySource::Password(..)"),
            Self::Keytab(p) => f.debug_tuple("KeySource::Keytab").field(p).finish(),
        }
    }
}

/// Why a prompter gave no answer (a closed terminal, an interrupted read).
pub type PromptError = Box<dyn std::error::Error + Send + Sync>;

/// What a [`Prompter`] is asked for; its `Display` is MIT's prompt (without the `": "`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Prompt<'a> {
    /// The current password of this principal (`Password for joe@EXAMPLE.COM`).
    Password(&'a Principal),
    /// A new password (`Enter new password`).
    NewPassword,
    /// The new password again, to catch a typo (`Enter it again`).
    NewPasswordAgain,
}

impl std::fmt::Display for Prompt<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Password(p) => write!(f, "Password for {p}"),
            Self::NewPassword => f.write_str("Enter new password"),
            Self::NewPasswordAgain => f.write_str("Enter it again"),
        }
    }
}

/// What happened while changing an expired password; its `Display` is MIT kinit's banner,
/// to be printed on a line of its own before the next prompt.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Notice {
    /// The KDC said the password has expired: a new one is asked for next.
    PasswordExpired,
    /// The two entries of the new password differed; it is asked for again.
    Mismatch,
    /// The new password was empty; it is asked for again.
    EmptyPassword,
    /// The password server refused the new password as too weak (RFC 3244's soft error,
    /// its reason shown with control characters escaped); another is asked for.
    Refused(ChangeResult),
}

impl std::fmt::Display for Notice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::PasswordExpired => f.write_str("Password expired.  You must change it now."),
            Self::Mismatch => write!(f, "{}.  Please try again.", NotChanged::Mismatch),
            Self::EmptyPassword => write!(f, "{}.  Please try again.", NotChanged::Empty),
            // MIT's banner ends with its own newline, so a blank line follows it.
            Self::Refused(r) => writeln!(
                f,
                "{}: {}.  Please try again.",
                r.code.description(),
                r.message()
            ),
        }
    }
}

/// The user's side of a password login: the session asks it for passwords and tells it
/// what happened. Its calls may block (a terminal read, as `kerb kinit` does): on a
/// multi-thread runtime they run in `tokio::task::block_in_place`, so the worker's other
/// tasks move to another thread meanwhile; on a current-thread runtime they block that
/// runtime's one thread, so run a login there only where nothing else waits on it.
pub trait Prompter: Sync {
    /// The answer to `prompt`. The current password is asked for at most once per login
    /// (and once for the `kadmin/changepw` ticket of an expired password), and not at all
    /// when the KDC refuses before needing it (an unknown principal, a disabled account).
    fn secret(&self, prompt: Prompt<'_>) -> Result<Zeroizing<String>, PromptError>;

    /// Shown to the user during an expired-password change. The default ignores it.
    fn notice(&self, notice: &Notice) {
        let _ = notice;
    }

    /// Whether the user can choose a new password when the current one has expired. `false`
    /// (a program holding a fixed password) makes KDC_ERR_KEY_EXPIRED the login's error.
    fn can_change_expired(&self) -> bool {
        true
    }
}

/// A prompter with one known password ([`Session::login_with_password`]).
struct FixedPassword(Zeroizing<String>);

impl Prompter for FixedPassword {
    fn secret(&self, prompt: Prompt<'_>) -> Result<Zeroizing<String>, PromptError> {
        match prompt {
            Prompt::Password(_) => Ok(self.0.clone()),
            _ => Err("no new password can be asked for".into()),
        }
    }

    fn can_change_expired(&self) -> bool {
        false
    }
}

/// Why an expired password was not changed, or why [`Session::change_password`] read no
/// new password; `Display` is MIT's message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NotChanged {
    /// The two entries of the new password differed (the last try, for an expired one).
    #[error("Password mismatch")]
    Mismatch,
    /// The new password was empty (the last try).
    #[error("New password cannot be zero length")]
    Empty,
    /// The password server refused it as too weak three times; the last refusal.
    #[error("Password change failed")]
    Refused(ChangeResult),
    /// The password server refused it for another reason (no retry).
    #[error("Password change failed: {0}")]
    Failed(ChangeResult),
}

/// What a [`Session::login`] got. The TGT is in the session's cache too.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Login {
    /// The TGT (or the `kinit -S` service's ticket), with the client name as the KDC
    /// returned it (canonicalized, for an enterprise name).
    pub tgt: Credentials,
    /// When the password expires, for a password login other than a `kadmin/changepw`
    /// ticket, if the KDC said: MIT's kinit warns with it (`warn_pw_expiry`) whenever it
    /// came as a last-req entry, for `key-expiration` only within a week.
    pub password_expiry: Option<PasswordExpiry>,
}

/// How many new passwords an expired-password change tries (MIT's `krb5_get_init_creds_password`).
const NEW_PASSWORD_TRIES: usize = 3;

/// The current password, asked for once and kept (zeroized) for the exchanges that need
/// it, as MIT's `gak_data` keeps it.
struct CurrentPassword<'a> {
    prompter: &'a dyn Prompter,
    typed: Mutex<Option<Zeroizing<String>>>,
}

impl<'a> CurrentPassword<'a> {
    fn new(prompter: &'a dyn Prompter) -> Self {
        Self {
            prompter,
            typed: Mutex::new(None),
        }
    }

    fn get(&self, user: &Principal) -> Result<Secret, PromptError> {
        // A poisoned lock only means a prompter panicked earlier; the value is still whole.
        let mut typed = self.typed.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(pw) = typed.as_ref() {
            return Ok(Secret::Password(pw.clone()));
        }
        let pw = off_worker(|| self.prompter.secret(Prompt::Password(user)))?;
        *typed = Some(pw.clone());
        Ok(Secret::Password(pw))
    }
}

impl Session {
    /// `kinit`: an AS exchange for `user` with `key` and `opts` (over krb5.conf's defaults),
    /// armored if the session has [`super::Armor`]; then the cache is initialised with the
    /// ticket (the KDC's clock offset and, armored, MIT's `fast_avail` included).
    ///
    /// With [`KeySource::Password`], the password is asked for only when the KDC's reply
    /// needs it. When the KDC answers KDC_ERR_KEY_EXPIRED (and `opts` is not for
    /// `kadmin/changepw`), the expired password is changed as MIT's kinit does: a
    /// `kadmin/changepw` ticket with the current password (armored alike), then up to three
    /// new passwords, each typed twice, an empty one, a mismatch or a server's soft refusal
    /// told to the prompter ([`Notice`]) and asked again; the login is then made with the
    /// new password. [`SessionError::NotChanged`] when all three tries failed.
    pub async fn login(
        &self,
        user: &Principal,
        key: KeySource<'_>,
        opts: &LoginOptions,
    ) -> Result<Login, SessionError> {
        let (init, armored) = match key {
            KeySource::Keytab(path) => {
                // The keytab first: a missing key fails before any exchange.
                let keys = self.keytab_keys(user, path).await?;
                let as_opts = self.as_options(user, opts).await?;
                let armored = as_opts.armor.is_some();
                let secret = Secret::Keys(keys);
                (
                    self.client.get_initial_creds(as_opts, secret).await?,
                    armored,
                )
            }
            KeySource::Password(prompter) => {
                let as_opts = self.as_options(user, opts).await?;
                let armored = as_opts.armor.is_some();
                let mut init = self.password_login(user, prompter, as_opts, opts).await?;
                if opts.is_changepw() {
                    init.password_expiry = None;
                }
                (init, armored)
            }
        };
        let mut cache = init.to_ccache();
        if armored {
            cache.set_takes_fast(&init.creds.client.realm);
        }
        self.save(cache).await?;
        let password_expiry = match key {
            KeySource::Password(_) => init.password_expiry,
            KeySource::Keytab(_) => None,
        };
        Ok(Login {
            tgt: init.creds,
            password_expiry,
        })
    }

    /// The AS options of a login: krb5.conf's, `opts` over them, the session's armor.
    async fn as_options(
        &self,
        user: &Principal,
        opts: &LoginOptions,
    ) -> Result<AsOptions, SessionError> {
        let mut as_opts = self.client.initial_options(user.clone());
        opts.apply(&mut as_opts);
        as_opts.armor = self.armor_tgt(&user.realm).await?;
        Ok(as_opts)
    }

    /// The AS exchange with the password asked for lazily, an expired one changed first.
    async fn password_login(
        &self,
        user: &Principal,
        prompter: &dyn Prompter,
        as_opts: AsOptions,
        opts: &LoginOptions,
    ) -> Result<InitialCreds, SessionError> {
        let current = CurrentPassword::new(prompter);
        let ask = || current.get(user);
        let first = self
            .client
            .get_initial_creds_asking(as_opts.clone(), ask)
            .await;
        match first {
            Err(e)
                if e.kdc_error_code() == Some(KDC_ERR_KEY_EXPIRED)
                    && !opts.is_changepw()
                    && prompter.can_change_expired() =>
            {
                let new = self
                    .change_expired(user, &current, as_opts.armor.as_ref())
                    .await?;
                drop(current);
                let secret = Secret::Password(new);
                Ok(self.client.get_initial_creds(as_opts, secret).await?)
            }
            other => Ok(other?),
        }
    }

    /// `kpasswd user`: a `kadmin/changepw` ticket with the current password (asked for only
    /// when the KDC's reply needs it; armored if the session has [`super::Armor`]), then
    /// the new password, typed twice, sent to the realm's password server (RFC 3244). The
    /// server's refusal is the [`ChangeResult`], not an error; differing entries are
    /// [`NotChanged::Mismatch`], a failed exchange [`SessionError::Kpasswd`]. The cache is
    /// not touched.
    pub async fn change_password(
        &self,
        user: &Principal,
        prompter: &dyn Prompter,
    ) -> Result<ChangeResult, SessionError> {
        let armor = self.armor_tgt(&user.realm).await?;
        let current = CurrentPassword::new(prompter);
        let ticket = self.changepw_ticket(user, &current, armor.as_ref()).await?;
        drop(current);
        let new = read_new_password(prompter)?;
        self.client
            .change_password(&ticket, &new)
            .await
            .map_err(SessionError::Kpasswd)
    }

    /// A `kadmin/changepw` ticket for `user` with the current password.
    async fn changepw_ticket(
        &self,
        user: &Principal,
        current: &CurrentPassword<'_>,
        armor: Option<&Credentials>,
    ) -> Result<Credentials, SessionError> {
        let mut opts = self.client.changepw_options(user.clone());
        opts.armor = armor.cloned();
        let ask = || current.get(user);
        Ok(self.client.get_initial_creds_asking(opts, ask).await?.creds)
    }

    /// MIT's `krb5_get_init_creds_password` on KDC_ERR_KEY_EXPIRED: the new password once
    /// the server took it.
    async fn change_expired(
        &self,
        user: &Principal,
        current: &CurrentPassword<'_>,
        armor: Option<&Credentials>,
    ) -> Result<Zeroizing<String>, SessionError> {
        let ticket = self.changepw_ticket(user, current, armor).await?;
        tracing::debug!("Password expired for {user}; changing it");
        let prompter = current.prompter;
        let mut notice = Some(Notice::PasswordExpired);
        let mut last = NotChanged::Mismatch;
        for _ in 0..NEW_PASSWORD_TRIES {
            if let Some(n) = notice.take() {
                off_worker(|| prompter.notice(&n));
            }
            let new = match read_new_password(prompter) {
                Ok(pw) if pw.is_empty() => {
                    (last, notice) = (NotChanged::Empty, Some(Notice::EmptyPassword));
                    continue;
                }
                Ok(pw) => pw,
                Err(SessionError::NotChanged(NotChanged::Mismatch)) => {
                    (last, notice) = (NotChanged::Mismatch, Some(Notice::Mismatch));
                    continue;
                }
                Err(e) => return Err(e),
            };
            let result = self
                .client
                .change_password(&ticket, &new)
                .await
                .map_err(SessionError::Kpasswd)?;
            if result.is_success() {
                return Ok(new);
            }
            if result.code != ResultCode::SoftError {
                return Err(NotChanged::Failed(result).into());
            }
            notice = Some(Notice::Refused(result.clone()));
            last = NotChanged::Refused(result);
        }
        Err(last.into())
    }

    /// The keys `keytab` holds for `user` (read on a blocking thread).
    pub(super) async fn keytab_keys(
        &self,
        user: &Principal,
        keytab: &Path,
    ) -> Result<Vec<crate::crypto::EncryptionKey>, SessionError> {
        let path = keytab.to_path_buf();
        let kt = blocking(move || Keytab::read_file(&path)).await??;
        let keys = kt.client_keys(user);
        if keys.is_empty() {
            return Err(SessionError::NoKeytabKey {
                keytab: keytab.to_path_buf(),
                principal: user.clone(),
            });
        }
        Ok(keys)
    }
}

/// Run a [`Prompter`] call, which may block (a terminal read), without stalling an async
/// worker: on a multi-thread runtime the worker hands its other tasks to another thread
/// while it blocks (`block_in_place`); on a current-thread runtime (as `kerb` runs a
/// login) there is no other worker to hand them to, so the call blocks that thread.
fn off_worker<T>(f: impl FnOnce() -> T) -> T {
    use tokio::runtime::{Handle, RuntimeFlavor};
    match Handle::try_current().map(|h| h.runtime_flavor()) {
        Ok(RuntimeFlavor::MultiThread) => tokio::task::block_in_place(f),
        _ => f(),
    }
}

/// The new password, typed twice.
fn read_new_password(prompter: &dyn Prompter) -> Result<Zeroizing<String>, SessionError> {
    let ask = |prompt| off_worker(|| prompter.secret(prompt)).map_err(SessionError::Prompt);
    let first = ask(Prompt::NewPassword)?;
    let again = ask(Prompt::NewPasswordAgain)?;
    if first.as_str() != again.as_str() {
        return Err(NotChanged::Mismatch.into());
    }
    Ok(first)
}

impl Session {
    /// `kinit user` with a known password: [`Session::login`] with krb5.conf's defaults.
    /// An expired password is not changed (KDC_ERR_KEY_EXPIRED is the error). Returns the
    /// TGT.
    pub async fn login_with_password(
        &self,
        user: &Principal,
        password: Zeroizing<String>,
    ) -> Result<Credentials, SessionError> {
        let prompter = FixedPassword(password);
        let key = KeySource::Password(&prompter);
        Ok(self.login(user, key, &LoginOptions::default()).await?.tgt)
    }

    /// `kinit -k -t keytab user`: [`Session::login`] with krb5.conf's defaults and the
    /// newest key of each enctype the keytab holds for `user`. Returns the TGT.
    pub async fn login_with_keytab(
        &self,
        user: &Principal,
        keytab: &Path,
    ) -> Result<Credentials, SessionError> {
        let key = KeySource::Keytab(keytab);
        Ok(self.login(user, key, &LoginOptions::default()).await?.tgt)
    }
}

impl From<NotChanged> for SessionError {
    fn from(e: NotChanged) -> Self {
        Self::NotChanged(e)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;
    use std::path::PathBuf;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

    use super::*;
    use crate::asn1::{AsReq, pa_type};

    /// A prompter that blocks until another task of the runtime answers: with one worker,
    /// that task runs only if the blocked worker handed it on.
    #[test]
    fn a_blocking_prompter_leaves_the_runtimes_other_tasks_running() {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .build()
            .unwrap();
        rt.block_on(async {
            let (tx, rx) = std::sync::mpsc::channel::<()>();
            let prompt = tokio::spawn(async move {
                // A bound, not a synchronisation sleep: it only ends a broken run.
                off_worker(|| rx.recv_timeout(Duration::from_secs(60)))
            });
            let other = tokio::spawn(async move { tx.send(()) });
            assert_eq!(prompt.await.unwrap(), Ok(()));
            other.await.unwrap().unwrap();
        });
    }
    use crate::ccache::CcacheHandle;
    use crate::client::Client;
    use crate::config::MemSource;
    use crate::config::krb5conf::Krb5Conf;
    use crate::crypto::{EncryptionKey, Enctype};
    use crate::error_code as ec;
    use crate::exchange::as_req_tests::{NOW, as_rep, krb_error, padata_of, preauth_required};
    use crate::exchange::kpasswd_tests;
    use crate::session::Armor;

    const PASSWORD: &str = "Passw0rd-joedoe";

    fn user() -> Principal {
        Principal::parse("joedoe@ONPREM.LOCAL", None).unwrap()
    }

    /// A prompter answering from a script, recording what it was asked and told.
    #[derive(Default)]
    struct Scripted {
        answers: Mutex<VecDeque<&'static str>>,
        asked: Mutex<Vec<String>>,
        notices: Mutex<Vec<Notice>>,
    }

    impl Scripted {
        fn new(answers: &[&'static str]) -> Self {
            Self {
                answers: Mutex::new(answers.iter().copied().collect()),
                ..Self::default()
            }
        }
        fn asked(&self) -> Vec<String> {
            self.asked.lock().unwrap().clone()
        }
        fn notices(&self) -> Vec<Notice> {
            self.notices.lock().unwrap().clone()
        }
    }

    impl Prompter for Scripted {
        fn secret(&self, prompt: Prompt<'_>) -> Result<Zeroizing<String>, PromptError> {
            self.asked.lock().unwrap().push(prompt.to_string());
            let answer = self.answers.lock().unwrap().pop_front();
            answer
                .map(|a| Zeroizing::new(a.to_owned()))
                .ok_or_else(|| "Cannot read password".into())
        }
        fn notice(&self, notice: &Notice) {
            self.notices.lock().unwrap().push(notice.clone());
        }
    }

    /// The service an AS-REQ asks for, as `a/b`.
    fn sname(req: &[u8]) -> String {
        let body = AsReq::decode(req).unwrap().0.req_body.decode().unwrap();
        let name = PrincipalName::try_from(&body.sname.unwrap()).unwrap();
        name.components().join("/")
    }

    /// A scripted UDP server on loopback answering each request with `answer(request)`.
    async fn udp_server(
        answer: impl Fn(&[u8]) -> Vec<u8> + Send + 'static,
    ) -> (u16, tokio::task::JoinHandle<()>) {
        let sock = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let port = sock.local_addr().unwrap().port();
        let task = tokio::spawn(async move {
            let mut buf = vec![0u8; 65536];
            while let Ok((n, from)) = sock.recv_from(&mut buf).await {
                let _ = sock.send_to(&answer(&buf[..n]), from).await;
            }
        });
        (port, task)
    }

    /// An MIT-like KDC whose user's password has expired until `changed`: PREAUTH_REQUIRED,
    /// then KDC_ERR_KEY_EXPIRED for any ticket but `kadmin/changepw`. Counts AS-REQs.
    async fn expiring_kdc(
        changed: Arc<AtomicBool>,
    ) -> (u16, Arc<AtomicUsize>, tokio::task::JoinHandle<()>) {
        let count = Arc::new(AtomicUsize::new(0));
        let seen = count.clone();
        let (port, task) = udp_server(move |req| {
            seen.fetch_add(1, Ordering::Relaxed);
            if padata_of(req, pa_type::ENC_TIMESTAMP).is_none() {
                preauth_required()
            } else if sname(req) == "kadmin/changepw" || changed.load(Ordering::Relaxed) {
                as_rep(req, 0)
            } else {
                krb_error(ec::KDC_ERR_KEY_EXPIRED, NOW.secs, None, None)
            }
        })
        .await;
        (port, count, task)
    }

    /// A password server answering with `results` in turn (code, text), recording the new
    /// passwords; a success sets `changed`. The ticket's session key is the scripted AS-REP's.
    async fn kpasswd_server(
        results: Vec<(u16, &'static str)>,
        changed: Arc<AtomicBool>,
    ) -> (u16, Arc<Mutex<Vec<String>>>, tokio::task::JoinHandle<()>) {
        let session = EncryptionKey::new(Enctype::Aes256CtsHmacSha196, &[9; 32]).unwrap();
        let results = Mutex::new(VecDeque::from(results));
        let passwords = Arc::new(Mutex::new(Vec::new()));
        let log = passwords.clone();
        let (port, task) = udp_server(move |req| {
            let opened = kpasswd_tests::open(req, &session);
            let pw = String::from_utf8(opened.part.user_data.to_vec()).unwrap();
            log.lock().unwrap().push(pw);
            let (code, text) = results.lock().unwrap().pop_front().unwrap_or((2, "none"));
            if code == 0 {
                changed.store(true, Ordering::Relaxed);
            }
            kpasswd_tests::answer(&opened, &session, code, text.as_bytes())
        })
        .await;
        (port, passwords, task)
    }

    fn session(kdc: u16, kpasswd: Option<u16>, name: &str) -> (Session, PathBuf) {
        let kpasswd = kpasswd.map_or(String::new(), |p| {
            format!("  kpasswd_server = udp/127.0.0.1:{p}\n")
        });
        let text = format!(
            "[libdefaults]\n dns_lookup_kdc = false\n\
             [realms]\n ONPREM.LOCAL = {{\n  kdc = udp/127.0.0.1:{kdc}\n{kpasswd} }}\n"
        );
        let mut m = std::collections::BTreeMap::new();
        m.insert(PathBuf::from("/k"), text);
        let conf = Krb5Conf::load_from(&["/k".into()], &MemSource(m)).unwrap();
        let client = Client::new(conf).with_clock(Arc::new(|| NOW));
        let dir = std::env::temp_dir().join(format!("kdc-login-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let cc = dir.join("cc");
        (Session::new(client, CcacheHandle::file(&cc)), cc)
    }

    #[test]
    fn options_change_only_what_they_set() {
        let conf = Krb5Conf::load_from(&[], &MemSource::default()).unwrap();
        let base = AsOptions::from_config(user(), &conf);
        let mut opts = base.clone();
        LoginOptions::default().apply(&mut opts);
        assert_eq!(format!("{opts:?}"), format!("{base:?}"));

        let addr = HostAddress {
            addr_type: crate::asn1::addr_type::IPV4,
            address: vec![127, 0, 0, 1],
        };
        let login = LoginOptions::default()
            .with_lifetime(Duration::from_secs(600))
            .with_renew_lifetime(Duration::ZERO)
            .with_forwardable(!base.forwardable)
            .with_proxiable(!base.proxiable)
            .with_canonicalize(true)
            .with_start(TicketStart::In(Duration::from_secs(300)))
            .with_service(changepw_service())
            .with_addresses(vec![addr.clone()]);
        let mut opts = base.clone();
        login.apply(&mut opts);
        assert_eq!(opts.lifetime, Duration::from_secs(600));
        assert_eq!(opts.renew_lifetime, Duration::ZERO);
        assert_eq!(opts.forwardable, !base.forwardable);
        assert_eq!(opts.proxiable, !base.proxiable);
        assert!(opts.canonicalize);
        assert_eq!(opts.start, TicketStart::In(Duration::from_secs(300)));
        assert_eq!(opts.service, Some(changepw_service()));
        assert_eq!(opts.addresses, [addr]);
        assert!(login.is_changepw() && !LoginOptions::default().is_changepw());
        // `with_canonicalize(false)` leaves krb5.conf's `canonicalize = true`.
        let mut opts = base;
        opts.canonicalize = true;
        LoginOptions::default()
            .with_canonicalize(false)
            .apply(&mut opts);
        assert!(opts.canonicalize);
    }

    #[test]
    fn prompts_and_notices_are_mits_lines() {
        let u = user();
        assert_eq!(
            Prompt::Password(&u).to_string(),
            "Password for joedoe@ONPREM.LOCAL"
        );
        assert_eq!(Prompt::NewPassword.to_string(), "Enter new password");
        assert_eq!(Prompt::NewPasswordAgain.to_string(), "Enter it again");
        assert_eq!(
            Notice::PasswordExpired.to_string(),
            "Password expired.  You must change it now."
        );
        assert_eq!(
            Notice::Mismatch.to_string(),
            "Password mismatch.  Please try again."
        );
        assert_eq!(
            Notice::EmptyPassword.to_string(),
            "New password cannot be zero length.  Please try again."
        );
        let soft = ChangeResult {
            code: ResultCode::SoftError,
            string: b"too\x1bshort".to_vec(),
        };
        assert_eq!(
            Notice::Refused(soft.clone()).to_string(),
            "Password change rejected: too\\x1bshort.  Please try again.\n"
        );
        assert_eq!(
            NotChanged::Refused(soft).to_string(),
            "Password change failed"
        );
        let hard = ChangeResult {
            code: ResultCode::AccessDenied,
            string: b"no".to_vec(),
        };
        assert_eq!(
            NotChanged::Failed(hard).to_string(),
            "Password change failed: Access denied: no"
        );
        // No secret in Debug.
        let p = FixedPassword(Zeroizing::new(PASSWORD.into()));
        let dbg = format!("{:?}", KeySource::Password(&p));
        assert!(!dbg.contains(PASSWORD), "{dbg}");
    }

    /// The password is asked for once, after the KDC asked for pre-authentication; the TGT
    /// lands in the cache; the keytab path never prompts (it has no prompter), and a refusal
    /// before pre-authentication asks nothing.
    #[tokio::test]
    async fn the_password_is_asked_only_when_the_kdc_needs_it() {
        let (port, count, task) = expiring_kdc(Arc::new(AtomicBool::new(true))).await;
        let (s, cc) = session(port, None, "lazy");
        let prompter = Scripted::new(&[PASSWORD]);
        let login = s
            .login(
                &user(),
                KeySource::Password(&prompter),
                &LoginOptions::default(),
            )
            .await
            .unwrap();
        assert_eq!(login.tgt.client, user());
        assert_eq!(prompter.asked(), ["Password for joedoe@ONPREM.LOCAL"]);
        assert!(prompter.notices().is_empty());
        assert_eq!(count.load(Ordering::Relaxed), 2);
        assert_eq!(
            CcacheHandle::file(&cc).principal().unwrap(),
            user(),
            "the cache holds the TGT"
        );
        task.abort();

        let (port, task) =
            udp_server(|_| krb_error(ec::KDC_ERR_C_PRINCIPAL_UNKNOWN, NOW.secs, None, None)).await;
        let (s, _) = session(port, None, "unknown");
        let prompter = Scripted::new(&[PASSWORD]);
        let e = s
            .login(
                &user(),
                KeySource::Password(&prompter),
                &LoginOptions::default(),
            )
            .await
            .unwrap_err();
        task.abort();
        assert!(
            e.to_string().contains("not found in Kerberos database"),
            "{e}"
        );
        assert!(prompter.asked().is_empty());
    }

    /// A session armored from a missing cache or a keytab without the key fails before any
    /// exchange and before any prompt (MIT's kinit -T), with the armor's error inside.
    #[tokio::test]
    async fn a_login_without_its_armor_asks_nothing_and_sends_nothing() {
        let (port, count, task) = expiring_kdc(Arc::new(AtomicBool::new(true))).await;
        let (s, cc) = session(port, None, "armor");
        let dir = cc.parent().unwrap().to_path_buf();
        std::fs::write(dir.join("kt"), [0x05, 0x02]).unwrap();
        let host = Principal::parse("host/a.onprem.local@ONPREM.LOCAL", None).unwrap();
        for armor in [
            Armor::Cache(CcacheHandle::file(dir.join("no-such-cache"))),
            Armor::Keytab {
                principal: host,
                keytab: dir.join("kt"),
            },
        ] {
            let s = s.clone().with_armor(armor);
            let prompter = Scripted::new(&[PASSWORD]);
            let e = s
                .login(
                    &user(),
                    KeySource::Password(&prompter),
                    &LoginOptions::default(),
                )
                .await
                .unwrap_err();
            let SessionError::Armor(inner) = &e else {
                panic!("not an armor error: {e}")
            };
            assert!(
                matches!(**inner, SessionError::Cache(ref c) if c.is_not_found())
                    || matches!(**inner, SessionError::NoKeytabKey { .. }),
                "{e}"
            );
            assert!(e.to_string().starts_with("no FAST armor TGT: "), "{e}");
            assert!(prompter.asked().is_empty());
        }
        task.abort();
        assert_eq!(count.load(Ordering::Relaxed), 0);
        assert!(!cc.exists());
    }

    /// MIT's expired-password flow: a `kadmin/changepw` ticket with the password typed once,
    /// a mismatch and a soft refusal told and retried, then the login with the new password.
    #[tokio::test]
    async fn an_expired_password_is_changed_then_used() {
        let changed = Arc::new(AtomicBool::new(false));
        let (kdc, count, kdc_task) = expiring_kdc(changed.clone()).await;
        let (kpw, sent, kpw_task) =
            kpasswd_server(vec![(4, "too short"), (0, "")], changed.clone()).await;
        let (s, _) = session(kdc, Some(kpw), "expired");
        // The scripted KDC's reply key is the old password's: the "new" one is the same.
        let prompter = Scripted::new(&[PASSWORD, "a", "b", "short", "short", PASSWORD, PASSWORD]);
        let login = s
            .login(
                &user(),
                KeySource::Password(&prompter),
                &LoginOptions::default(),
            )
            .await;
        kdc_task.abort();
        kpw_task.abort();
        let login = login.unwrap();
        assert_eq!(login.tgt.server.name, PrincipalName::krbtgt(&user().realm));
        assert_eq!(
            prompter.asked(),
            [
                "Password for joedoe@ONPREM.LOCAL",
                "Enter new password",
                "Enter it again",
                "Enter new password",
                "Enter it again",
                "Enter new password",
                "Enter it again",
            ]
        );
        let soft = ChangeResult {
            code: ResultCode::SoftError,
            string: b"too short".to_vec(),
        };
        assert_eq!(
            prompter.notices(),
            [
                Notice::PasswordExpired,
                Notice::Mismatch,
                Notice::Refused(soft)
            ]
        );
        assert_eq!(*sent.lock().unwrap(), ["short", PASSWORD]);
        // Expired (2), changepw ticket (2), the new login (2: PREAUTH_REQUIRED again).
        assert_eq!(count.load(Ordering::Relaxed), 6);
    }

    /// Three failed tries end with the last one's reason (its banner is not shown); a
    /// prompter that cannot choose a new password gets the KDC's error; a `kadmin/changepw`
    /// login is not changed either.
    #[tokio::test]
    async fn an_expired_password_gives_up_like_mit() {
        let changed = Arc::new(AtomicBool::new(false));
        let (kdc, count, kdc_task) = expiring_kdc(changed.clone()).await;
        let (kpw, sent, kpw_task) = kpasswd_server(vec![], changed).await;
        let (s, _) = session(kdc, Some(kpw), "giveup");
        let prompter = Scripted::new(&[PASSWORD, "a", "b", "", "", "c", "d"]);
        let e = s
            .login(
                &user(),
                KeySource::Password(&prompter),
                &LoginOptions::default(),
            )
            .await
            .unwrap_err();
        assert!(
            matches!(e, SessionError::NotChanged(NotChanged::Mismatch)),
            "{e}"
        );
        assert_eq!(e.to_string(), "Password mismatch");
        assert_eq!(
            prompter.notices(),
            [
                Notice::PasswordExpired,
                Notice::Mismatch,
                Notice::EmptyPassword
            ]
        );
        assert!(sent.lock().unwrap().is_empty());

        count.store(0, Ordering::Relaxed);
        let e = s
            .login_with_password(&user(), Zeroizing::new(PASSWORD.into()))
            .await
            .unwrap_err();
        assert!(e.to_string().contains("Password has expired"), "{e}");
        assert_eq!(count.load(Ordering::Relaxed), 2, "no changepw ticket");

        count.store(0, Ordering::Relaxed);
        let prompter = Scripted::new(&[PASSWORD]);
        let opts = LoginOptions::default().with_service(changepw_service());
        let login = s
            .login(&user(), KeySource::Password(&prompter), &opts)
            .await
            .unwrap();
        assert_eq!(login.tgt.server.name, changepw_service());
        assert_eq!(login.password_expiry, None);
        assert!(prompter.notices().is_empty());
        kdc_task.abort();
        kpw_task.abort();
    }

    /// `kpasswd`: the current password once, the new one twice; the server's refusal is a
    /// result; a mismatch is refused before anything is sent.
    #[tokio::test]
    async fn change_password_like_kpasswd() {
        let changed = Arc::new(AtomicBool::new(false));
        let (kdc, _, kdc_task) = expiring_kdc(changed.clone()).await;
        let (kpw, sent, kpw_task) = kpasswd_server(vec![(4, "weak"), (0, "")], changed).await;
        let (s, cc) = session(kdc, Some(kpw), "kpasswd");
        let prompter = Scripted::new(&[PASSWORD, "new1", "new1"]);
        let r = s.change_password(&user(), &prompter).await.unwrap();
        assert_eq!(r.code, ResultCode::SoftError);
        let prompter = Scripted::new(&[PASSWORD, "new2", "new2"]);
        let r = s.change_password(&user(), &prompter).await.unwrap();
        assert!(r.is_success());
        assert_eq!(prompter.asked().len(), 3);
        let prompter = Scripted::new(&[PASSWORD, "x", "y"]);
        let e = s.change_password(&user(), &prompter).await.unwrap_err();
        assert!(matches!(e, SessionError::NotChanged(NotChanged::Mismatch)));
        let prompter = Scripted::new(&[PASSWORD, "x"]);
        let e = s.change_password(&user(), &prompter).await.unwrap_err();
        assert!(matches!(e, SessionError::Prompt(_)), "{e}");
        kdc_task.abort();
        kpw_task.abort();
        assert_eq!(*sent.lock().unwrap(), ["new1", "new2"]);
        assert!(!cc.exists(), "the cache is not touched");
    }
}
