//! A Kerberos V5 client engine in Rust, without any C library: krb5.conf, credential caches
//! and keytabs as MIT reads them, the AS and TGS exchanges (pre-authentication, FAST, client
//! and server referrals), cross-realm walks, password changes, and a KDC transport over UDP,
//! TCP, DNS-discovered KDCs and HTTPS proxies.
//!
//! # Start here
//!
//! A [`Session`] is the one type most programs need: a [`client::Client`] (krb5.conf and the
//! KDC transport) bound to a credential cache, built from the environment as MIT's tools are
//! (`KRB5_CONFIG`, `KRB5CCNAME`). It gets TGTs from a password or a keytab, and service
//! tickets (across trusts) from the cache or the KDCs, and keeps the cache up to date.
//!
//! ```no_run
//! # async fn f() -> Result<(), kdc_client::SessionError> {
//! use kdc_client::{Principal, ServiceName, Session};
//!
//! let session = Session::from_env()?;
//! let user = Principal::parse("joedoe@ONPREM.LOCAL", None)?;
//! session
//!     .login_with_password(&user, zeroize::Zeroizing::new("Passw0rd".to_owned()))
//!     .await?;
//! let ticket = session
//!     .service_ticket(&ServiceName::host_based("HTTP", "www.onprem.local"))
//!     .await?;
//! println!("{} until {}", ticket.server, ticket.endtime);
//! # Ok(()) }
//! ```
//!
//! Requests start from the configuration and change what they need; lifetimes are
//! [`Duration`](std::time::Duration)s:
//!
//! ```
//! use std::time::Duration;
//!
//! use kdc_client::config::{Krb5Conf, MemSource, Profile};
//! use kdc_client::exchange::{AsOptions, TicketStart};
//! use kdc_client::Principal;
//!
//! let text = "[libdefaults]\n default_realm = ONPREM.LOCAL\n ticket_lifetime = 10h\n";
//! let profile = Profile::parse(text, "krb5.conf", &MemSource::default())?;
//! let conf = Krb5Conf::from_profile(&profile)?;
//! let user = Principal::parse("joedoe", conf.default_realm.as_ref())?;
//!
//! let opts = AsOptions::from_config(user, &conf)
//!     .with_renew_lifetime(Duration::from_secs(7 * 86400))
//!     .with_start(TicketStart::In(Duration::from_secs(600))); // postdated, as `kinit -s 10m`
//! assert_eq!(opts.lifetime, Duration::from_secs(10 * 3600)); // from the configuration
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Layers
//!
//! - [`Principal`], [`Realm`], [`ServiceName`]: names, in MIT's string form.
//! - [`config`]: krb5.conf. [`ccache`]: FILE, DIR, KEYRING and KCM credential caches.
//!   [`keytab`]: keytab files.
//! - [`exchange`]: the AS, TGS and password-change exchanges as sans-IO state machines
//!   (give them the time and randomness, send the bytes they ask for, feed back the reply);
//!   [`referral`]: the cross-realm walker, also sans-IO.
//! - [`client`], [`session`], [`transport`] (feature `transport`, on by default): the tokio
//!   driver and the KDC transport. `ccache`, `keytab` and `config` do blocking file I/O (and
//!   KCM caches blocking Unix-socket I/O); [`Session`] runs it on tokio's blocking threads,
//!   never on an async worker.
//! - [`crypto`]: the RFC 3961 enctypes (aes-sha1, aes-sha2; rc4-hmac with `legacy-rc4`).
//!
//! Features only add: `transport` (default), `dns` (SRV discovery of KDCs), `https`
//! (MS-KKDCP proxies), `legacy-rc4`, `keyring` (Linux kernel keyring caches), `kcm`.
//!
//! The ASN.1 schema and codecs under `kdc_client::unstable` are hidden from this
//! documentation and carry no semver guarantee: they are public only for this workspace's own
//! crates, fuzz targets and test vectors.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod ccache;
#[cfg(feature = "transport")]
pub mod client;
pub mod config;
pub mod crypto;
pub mod dns;
pub mod error_code;
pub mod exchange;
pub mod keytab;
pub mod peer_text;
pub mod principal;
pub mod referral;
#[cfg(feature = "transport")]
pub mod session;
#[cfg(feature = "transport")]
pub mod transport;
#[doc(hidden)]
pub mod unstable;
mod wire;

pub(crate) use unstable::asn1;

pub use peer_text::escape_peer_text;
pub use principal::{NameType, Principal, PrincipalError, PrincipalName, Realm, ServiceName};
#[cfg(feature = "transport")]
pub use session::{Session, SessionError};
pub use unstable::asn1::{Asn1Error, DerError};

/// The README's Rust blocks, compiled as doctests so the front page cannot drift from the API.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;
