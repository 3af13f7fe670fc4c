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
///     .with_renewable_lifetime(Duration::from_secs(7 * 86400))
///     .with_forwardable(true);
/// assert_ne!(opts, LoginOptions::default());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct LoginOptions {
    lifetime: Option<Duration>,
    renewable_lifetime: Option<Duration>,
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
    pub fn with_renewable_lifetime(mut self, life: Duration) -> Self {
        self.renewable_lifetime = Some(life);
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
        if let Some(r) = self.renewable_lifetime {
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
            Self::Refused(r) => write!(
                f,
                "{}: {}.  Please try again.\n",
                r.code.description(),
                r.message()
            ),
        }
    }
}

/// The user's side of a password login: the session asks it for passwords and tells it
/// what happened. Its calls are synchronous, on the task running the login: a prompter that
/// blocks (a terminal read, as `kerb kinit` does) belongs on a current-thread runtime or a
/// blocking thread, not on a busy async worker.
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
        let pw = self.prompter.secret(Prompt::Password(user))?;
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
            let realm = &init.creds.client.realm;
            let tgs = Principal::new(PrincipalName::krbtgt(realm), realm.clone());
            cache.set_config(crate::client::FAST_AVAIL, Some(&tgs), b"yes");
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
                prompter.notice(&n);
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

/// The new password, typed twice.
fn read_new_password(prompter: &dyn Prompter) -> Result<Zeroizing<String>, SessionError> {
    let first = prompter
        .secret(Prompt::NewPassword)
        .map_err(SessionError::Prompt)?;
    let again = prompter
        .secret(Prompt::NewPasswordAgain)
        .map_err(SessionError::Prompt)?;
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
