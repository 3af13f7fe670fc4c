//! The cross-realm walker (sans-IO): from the home TGT to a service ticket in another realm.
//!
//! Three ways to reach the service realm, as MIT's `krb5_tkt_creds_step` does:
//!
//! - **Explicit realm** (`ServiceName::Principal`, or a host-based name whose host maps to a realm
//!   in `[domain_realm]`): ask for `krbtgt/TARGET@CURRENT`, walking the `[capaths]` route
//!   (krb5.conf(5)) or, when there is none, the hierarchical route of RFC 4120 §3.3.3.2 (MIT's
//!   `k5_client_realm_path`). A KDC may answer with a TGT for a nearer realm on the route (MIT's
//!   KDC does that per its own `[capaths]`); that TGT is accepted, one for a realm off the route is
//!   not. When the KDC refuses the farthest realm, the walker asks for the next nearer one.
//!   Then the target realm's KDC issues the service ticket.
//! - **Referrals** (RFC 6806 §8; a host-based name with no `[domain_realm]` match): ask the home
//!   KDC for `service/host@HOME` with `canonicalize`; a reply ticket `krbtgt/NEXT@CURRENT` is a
//!   referral, followed to NEXT's KDC with the request realm set to NEXT. When the home KDC
//!   answers KDC_ERR_S_PRINCIPAL_UNKNOWN without any referral, the walker falls back to the
//!   host's domain realm (MIT's `krb5_get_fallback_host_realm`: the uppercased domain part of
//!   the host) and walks there as for an explicit realm.
//! - **Bounds**: a visited-realm set and a hop limit ([`MAX_HOPS`], MIT's
//!   `KRB5_REFERRAL_MAXHOPS`). A loop, a realm without a known KDC, a ticket off the route or
//!   too many hops end the walk with an error that prints the path walked.
//!
//! The walker consumes already-validated [`Credentials`] (or the [`ExchangeError`] of a hop),
//! never bytes: the driver builds each [`TgsExchange`] from a [`TgsHop`], sends it, and feeds the
//! result of [`TgsExchange::step`] back. Tests inject scripted credentials directly.

use std::collections::BTreeSet;
use std::fmt;

use crate::ccache::Ccache;
use crate::config::krb5conf::Krb5Conf;
use crate::crypto::RandomSource;
use crate::error_code::KDC_ERR_S_PRINCIPAL_UNKNOWN;
use crate::exchange::{Credentials, ExchangeError, KdcRequest, TgsExchange, TgsOptions, Timestamp};
use crate::{NameType, Principal, PrincipalName, Realm, ServiceName};

/// Cross-realm hops followed at most (MIT's `KRB5_REFERRAL_MAXHOPS`).
pub const MAX_HOPS: usize = 10;

/// Realms in walk order, displayed as `A -> B -> C`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RealmPath(pub Vec<Realm>);

impl fmt::Display for RealmPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, r) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(" -> ")?;
            }
            write!(f, "{r}")?;
        }
        Ok(())
    }
}

/// Why a walk failed (boxed: errors stay one pointer wide). Displays the path walked.
#[derive(Debug)]
pub struct WalkError(Box<WalkErrorKind>);

impl WalkError {
    /// What went wrong.
    pub fn kind(&self) -> &WalkErrorKind {
        &self.0
    }

    /// The KDC error that ended the walk, if any.
    pub fn kdc_error(&self) -> Option<&crate::exchange::KdcError> {
        match self.kind() {
            WalkErrorKind::Exchange { source, .. } => source.kdc_error(),
            _ => None,
        }
    }
}

impl From<WalkErrorKind> for WalkError {
    fn from(kind: WalkErrorKind) -> Self {
        Self(Box::new(kind))
    }
}

impl fmt::Display for WalkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for WalkError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        std::error::Error::source(&*self.0)
    }
}

/// The kinds of [`WalkError`]; the variants about the route name the path walked.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WalkErrorKind {
    /// A realm came back a second time.
    #[error("referral loop: {path}")]
    Loop {
        /// The realms walked.
        path: RealmPath,
    },
    /// A referral to a realm without a known KDC.
    #[error("referral to realm {realm}, which has no known KDC (path walked: {path})")]
    NoKdc {
        /// The realm.
        realm: Realm,
        /// The realms walked.
        path: RealmPath,
    },
    /// A TGT for a realm off the planned route.
    #[error("realm {realm} of {ticket} is off the expected path {expected} (path walked: {path})")]
    OffPath {
        /// The realm.
        realm: Realm,
        /// The ticket's server.
        ticket: Principal,
        /// The planned route.
        expected: RealmPath,
        /// The realms walked.
        path: RealmPath,
    },
    /// More hops than [`MAX_HOPS`].
    #[error("more than {limit} cross-realm hops (path walked: {path})")]
    HopLimit {
        /// The limit.
        limit: usize,
        /// The realms walked.
        path: RealmPath,
    },
    /// A hop's TGS exchange failed.
    #[error("{source} (asking for {asked}; path walked: {path}{})", route_note(.route))]
    Exchange {
        /// The exchange's error.
        source: ExchangeError,
        /// The principal the failed request asked for.
        asked: Principal,
        /// The realms walked.
        path: RealmPath,
        /// The planned route when the target realm is known.
        route: Option<RealmPath>,
    },
    /// A ticket for another principal than asked.
    #[error("got a ticket for {got} but asked for {wanted} (path walked: {path})")]
    Unexpected {
        /// What the ticket is for.
        got: Principal,
        /// What was asked for.
        wanted: Principal,
        /// The realms walked.
        path: RealmPath,
    },
    /// A credential that is not a TGT where one was needed.
    #[error("{0} is not a ticket-granting ticket")]
    NotTgt(Principal),
    /// No route between the realms.
    #[error("no route from {from} to {to}")]
    NoRoute {
        /// The client's realm.
        from: Realm,
        /// The service's realm.
        to: Realm,
    },
    /// A service name that is not valid.
    #[error("invalid service name: {0}")]
    BadName(String),
    /// `step` called after the walk finished.
    #[error("the walk is already finished")]
    Finished,
}

fn route_note(route: &Option<RealmPath>) -> String {
    route
        .as_ref()
        .map(|r| format!("; route: {r}"))
        .unwrap_or_default()
}

/// One TGS request the driver must run: `server` asked with `tgt` of the current realm.
#[derive(Debug, Clone)]
pub struct TgsHop {
    /// The TGT to use.
    pub tgt: Credentials,
    /// The principal to ask for.
    pub server: Principal,
    /// Set `canonicalize` (referral requests, RFC 6806 §8).
    pub canonicalize: bool,
}

impl TgsHop {
    /// The realm whose KDC must get the request.
    pub fn realm(&self) -> Option<Realm> {
        self.tgt.tgt_realm()
    }

    /// Build the TGS exchange for this hop (`opts.canonicalize` is replaced by the hop's).
    pub fn exchange(
        &self,
        opts: &TgsOptions,
        now: Timestamp,
        rng: &mut dyn RandomSource,
    ) -> Result<(TgsExchange, KdcRequest), ExchangeError> {
        let opts = TgsOptions {
            canonicalize: self.canonicalize,
            renew: false,
            validate: false,
            ..opts.clone()
        };
        TgsExchange::new(&self.tgt, &self.server, &opts, now, rng)
    }
}

/// What the walk obtained.
#[derive(Debug, Clone)]
pub struct WalkResult {
    /// The service ticket.
    pub creds: Credentials,
    /// Cross-realm TGTs obtained on the way, in order (for the credential cache).
    pub tgts: Vec<Credentials>,
    /// The realms walked, the home realm (or a cached TGT's issuer) first.
    pub path: RealmPath,
    /// TGS exchanges run.
    pub exchanges: usize,
}

/// The walker's next instruction.
#[derive(Debug)]
#[non_exhaustive]
pub enum WalkStep {
    /// Run this TGS exchange and pass its result to [`ReferralWalker::step`].
    Tgs(Box<TgsHop>),
    /// The service ticket.
    Done(Box<WalkResult>),
}

#[derive(Debug, Clone)]
enum Mode {
    /// The target realm is known; `route` runs from the home realm to it.
    Direct { target: Realm, route: Vec<Realm> },
    /// Following referrals; `fallback` is the host-domain realm and its route.
    Referral {
        fallback: Realm,
        fallback_route: Vec<Realm>,
    },
}

#[derive(Debug, Clone, Copy)]
enum Pending {
    None,
    /// The service itself (in the target realm, or a referral request).
    Service,
    /// `krbtgt/route[index]@current`.
    Tgt {
        index: usize,
    },
    Finished,
}

/// The sans-IO cross-realm walker. See the module documentation.
#[derive(Debug)]
pub struct ReferralWalker {
    /// The service's name components and name type.
    name: PrincipalName,
    mode: Mode,
    tgt: Credentials,
    current: Realm,
    path: Vec<Realm>,
    visited: BTreeSet<Realm>,
    kdc_realms: Option<BTreeSet<String>>,
    tgts: Vec<Credentials>,
    exchanges: usize,
    hops: usize,
    max_hops: usize,
    pending: Pending,
    /// The server of the last request.
    asked: Principal,
}

impl ReferralWalker {
    /// A walker from `home_tgt` (`krbtgt/HOME@HOME`) to `service`, with the routes and realms
    /// of `conf`. Realms without a `kdc` in `[realms]` count as unreachable.
    pub fn new(
        home_tgt: Credentials,
        service: &ServiceName,
        conf: &Krb5Conf,
    ) -> Result<Self, WalkError> {
        let current = home_tgt
            .tgt_realm()
            .ok_or_else(|| WalkErrorKind::NotTgt(home_tgt.server.clone()))?;
        let home = home_tgt.client.realm.clone();
        let (name, mode) = match service {
            ServiceName::Principal(p) => (
                p.name.clone(),
                Mode::Direct {
                    target: p.realm.clone(),
                    route: route(conf, &home, &p.realm),
                },
            ),
            ServiceName::HostBased { service, host } => {
                let name =
                    PrincipalName::new(NameType::SrvHst, vec![service.clone(), host.clone()])
                        .map_err(|e| WalkErrorKind::BadName(e.to_string()))?;
                if service.is_empty() || host.is_empty() {
                    return Err(WalkErrorKind::BadName(format!("{service}/{host}")).into());
                }
                match conf.realm_for_host(host) {
                    Some(target) => (
                        name,
                        Mode::Direct {
                            target: target.clone(),
                            route: route(conf, &home, target),
                        },
                    ),
                    None => {
                        let fallback = fallback_realm(host, conf, &home);
                        let fallback_route = route(conf, &home, &fallback);
                        (
                            name,
                            Mode::Referral {
                                fallback,
                                fallback_route,
                            },
                        )
                    }
                }
            }
        };
        let kdc_realms = Some(
            conf.realms
                .iter()
                .filter(|(_, r)| !r.kdc.is_empty())
                .map(|(n, _)| n.clone())
                .collect(),
        );
        let tgt_name = home_tgt.server.clone();
        let mut path = vec![home_tgt.server.realm.clone()];
        if current != home_tgt.server.realm {
            path.push(current.clone());
        }
        Ok(Self {
            visited: path.iter().cloned().collect(),
            name,
            mode,
            tgt: home_tgt,
            current,
            path,
            kdc_realms,
            tgts: Vec::new(),
            exchanges: 0,
            hops: 0,
            max_hops: MAX_HOPS,
            pending: Pending::None,
            asked: tgt_name,
        })
    }

    /// Replace the hop limit (default [`MAX_HOPS`]).
    pub fn with_max_hops(mut self, max_hops: usize) -> Self {
        self.max_hops = max_hops;
        self
    }

    /// Replace the fallback realm of a host-based name that `[domain_realm]` does not map, the
    /// realm asked directly when referrals end (MIT's `krb5_get_fallback_host_realm`): e.g.
    /// the realm of the host's `_kerberos` TXT record with `dns_lookup_realm`. Its route comes
    /// from `conf`. No effect when the target realm is known.
    pub fn with_fallback_realm(mut self, realm: Realm, conf: &Krb5Conf) -> Self {
        if let Mode::Referral {
            fallback,
            fallback_route,
        } = &mut self.mode
        {
            *fallback_route = route(conf, &self.tgt.client.realm, &realm);
            *fallback = realm;
        }
        self
    }

    /// Replace the set of realms with a known KDC (`None`: every realm, e.g. with DNS lookup).
    pub fn with_kdc_realms(mut self, realms: Option<BTreeSet<String>>) -> Self {
        self.kdc_realms = realms;
        self
    }

    /// The route to the target realm when it is known (explicit realm or `[domain_realm]`),
    /// home realm first: the realms whose cached cross-realm TGTs can shorten the walk.
    pub fn route(&self) -> Option<&[Realm]> {
        match &self.mode {
            Mode::Direct { route, .. } => Some(route),
            Mode::Referral { .. } => None,
        }
    }

    /// The service principal asked for in the target realm, when that realm is known.
    pub fn target(&self) -> Option<Principal> {
        match &self.mode {
            Mode::Direct { target, .. } => Some(Principal::new(self.name.clone(), target.clone())),
            Mode::Referral { .. } => None,
        }
    }

    /// Start from a cached cross-realm TGT `krbtgt/X@Y` instead of the home TGT, before
    /// [`start`](Self::start). Both X and Y must be on the route, X after Y.
    pub fn start_from_cached(&mut self, tgt: Credentials) -> Result<(), WalkError> {
        if !matches!(self.pending, Pending::None) {
            return Err(WalkErrorKind::Finished.into());
        }
        let x = tgt
            .tgt_realm()
            .ok_or_else(|| WalkErrorKind::NotTgt(tgt.server.clone()))?;
        let route = self.route().unwrap_or(&[]);
        let pos = |r: &Realm| route.iter().position(|v| v == r);
        match (pos(&tgt.server.realm), pos(&x)) {
            (Some(i), Some(j)) if i < j => {}
            _ => {
                return Err(WalkErrorKind::OffPath {
                    realm: x,
                    ticket: tgt.server.clone(),
                    expected: RealmPath(route.to_vec()),
                    path: RealmPath(self.path.clone()),
                }
                .into());
            }
        }
        tracing::debug!(tgt = %tgt.server, "Starting from a cached cross-realm TGT");
        self.path = vec![tgt.server.realm.clone(), x.clone()];
        self.visited = self.path.iter().cloned().collect();
        self.current = x;
        self.tgt = tgt;
        Ok(())
    }

    /// The realms walked so far.
    pub fn path(&self) -> RealmPath {
        RealmPath(self.path.clone())
    }

    /// The first request.
    pub fn start(&mut self) -> Result<WalkStep, WalkError> {
        if !matches!(self.pending, Pending::None) {
            return Err(WalkErrorKind::Finished.into());
        }
        self.next_request()
    }

    /// Feed the result of the last hop's exchange; get the next request or the service ticket.
    pub fn step(
        &mut self,
        reply: Result<Credentials, ExchangeError>,
    ) -> Result<WalkStep, WalkError> {
        let pending = std::mem::replace(&mut self.pending, Pending::Finished);
        let outcome = match pending {
            Pending::None | Pending::Finished => return Err(WalkErrorKind::Finished.into()),
            Pending::Service => self.on_service(reply),
            Pending::Tgt { index } => self.on_tgt(index, reply),
        };
        if outcome.is_err() {
            self.pending = Pending::Finished;
        }
        outcome
    }

    fn on_service(
        &mut self,
        reply: Result<Credentials, ExchangeError>,
    ) -> Result<WalkStep, WalkError> {
        let referral_mode = matches!(self.mode, Mode::Referral { .. });
        let creds = match reply {
            Ok(c) => c,
            Err(e) => {
                let unknown = e
                    .kdc_error()
                    .is_some_and(|k| k.code == KDC_ERR_S_PRINCIPAL_UNKNOWN);
                if let (
                    Mode::Referral {
                        fallback,
                        fallback_route,
                    },
                    true,
                ) = (&self.mode, unknown)
                    && self.hops == 0
                    && *fallback != self.current
                {
                    // RFC 6806 §8 leaves the fallback to the client; MIT uses the host's domain.
                    tracing::debug!(
                        realm = %self.current,
                        fallback = %fallback,
                        "No referral from the KDC; falling back to the host's domain realm"
                    );
                    self.mode = Mode::Direct {
                        target: fallback.clone(),
                        route: fallback_route.clone(),
                    };
                    return self.next_request();
                }
                return Err(self.exchange_error(e));
            }
        };
        if creds.server.realm != self.current {
            return Err(WalkErrorKind::OffPath {
                realm: creds.server.realm.clone(),
                ticket: creds.server.clone(),
                expected: RealmPath(vec![self.current.clone()]),
                path: self.path(),
            }
            .into());
        }
        if creds.is_tgt() && !self.name.is_krbtgt() {
            // A referral: krbtgt/NEXT@CURRENT (RFC 6806 §8).
            let next = creds
                .tgt_realm()
                .ok_or_else(|| WalkErrorKind::NotTgt(creds.server.clone()))?;
            if !referral_mode {
                return Err(self.off_path(&next, &creds));
            }
            tracing::debug!(
                from = %self.current,
                to = %next,
                ticket = %creds.server,
                "Referral: following to the next realm"
            );
            self.advance(next, creds)?;
            return self.next_request();
        }
        if creds.server.name.components() != self.name.components() {
            return Err(WalkErrorKind::Unexpected {
                got: creds.server.clone(),
                wanted: Principal::new(self.name.clone(), self.current.clone()),
                path: self.path(),
            }
            .into());
        }
        tracing::debug!(
            realm = %self.current,
            server = %creds.server,
            path = %self.path(),
            exchanges = self.exchanges,
            "Service ticket obtained"
        );
        self.pending = Pending::Finished;
        Ok(WalkStep::Done(Box::new(WalkResult {
            creds,
            tgts: std::mem::take(&mut self.tgts),
            path: self.path(),
            exchanges: self.exchanges,
        })))
    }

    fn on_tgt(
        &mut self,
        index: usize,
        reply: Result<Credentials, ExchangeError>,
    ) -> Result<WalkStep, WalkError> {
        let route = match &self.mode {
            Mode::Direct { route, .. } => route.clone(),
            Mode::Referral { .. } => return Err(WalkErrorKind::Finished.into()),
        };
        let here = route.iter().position(|r| *r == self.current).unwrap_or(0);
        let creds = match reply {
            Ok(c) => c,
            Err(e) if index > here + 1 => {
                // MIT asks for a nearer realm of the route when the farthest is refused.
                tracing::debug!(
                    realm = %self.current,
                    refused = ?route.get(index),
                    error = %e,
                    "Asking for a nearer realm of the route"
                );
                return self.request_tgt(index - 1);
            }
            Err(e) => {
                return Err(self.exchange_error(e));
            }
        };
        let next = match creds.tgt_realm() {
            Some(n) if creds.server.realm == self.current => n,
            _ => return Err(self.off_path(&creds.server.realm, &creds)),
        };
        match route.iter().position(|r| *r == next) {
            Some(j) if j > here => {}
            _ => return Err(self.off_path(&next, &creds)),
        }
        tracing::debug!(
            from = %self.current,
            to = %next,
            ticket = %creds.server,
            "Cross-realm TGT obtained"
        );
        self.advance(next, creds)?;
        self.next_request()
    }

    fn exchange_error(&self, source: ExchangeError) -> WalkError {
        WalkError::from(WalkErrorKind::Exchange {
            source,
            asked: self.asked.clone(),
            path: self.path(),
            route: self.route().map(|r| RealmPath(r.to_vec())),
        })
    }

    fn off_path(&self, realm: &Realm, creds: &Credentials) -> WalkError {
        let expected = match &self.mode {
            Mode::Direct { route, .. } => route.clone(),
            Mode::Referral { .. } => vec![self.current.clone()],
        };
        WalkError::from(WalkErrorKind::OffPath {
            realm: realm.clone(),
            ticket: creds.server.clone(),
            expected: RealmPath(expected),
            path: self.path(),
        })
    }

    /// Move to `next` with its TGT, checking the bounds.
    fn advance(&mut self, next: Realm, tgt: Credentials) -> Result<(), WalkError> {
        let mut walked = self.path.clone();
        walked.push(next.clone());
        if self.visited.contains(&next) {
            return Err(WalkErrorKind::Loop {
                path: RealmPath(walked),
            }
            .into());
        }
        if self.hops >= self.max_hops {
            return Err(WalkErrorKind::HopLimit {
                limit: self.max_hops,
                path: RealmPath(walked),
            }
            .into());
        }
        if let Some(known) = &self.kdc_realms
            && !known.contains(next.as_str())
        {
            return Err(WalkErrorKind::NoKdc {
                realm: next,
                path: RealmPath(walked),
            }
            .into());
        }
        self.hops += 1;
        self.visited.insert(next.clone());
        self.path = walked;
        self.current = next;
        self.tgts.push(tgt.clone());
        self.tgt = tgt;
        Ok(())
    }

    fn next_request(&mut self) -> Result<WalkStep, WalkError> {
        match &self.mode {
            Mode::Referral { .. } => {
                let server = Principal::new(self.name.clone(), self.current.clone());
                self.request(server, true, Pending::Service)
            }
            Mode::Direct { target, route } => {
                if *target == self.current {
                    let server = Principal::new(self.name.clone(), target.clone());
                    return self.request(server, false, Pending::Service);
                }
                let here = route.iter().position(|r| *r == self.current);
                match here {
                    Some(i) if i + 1 < route.len() => self.request_tgt(route.len() - 1),
                    _ => Err(WalkErrorKind::NoRoute {
                        from: self.current.clone(),
                        to: target.clone(),
                    }
                    .into()),
                }
            }
        }
    }

    fn request_tgt(&mut self, index: usize) -> Result<WalkStep, WalkError> {
        let realm = match &self.mode {
            Mode::Direct { route, .. } => route.get(index).cloned(),
            Mode::Referral { .. } => None,
        }
        .ok_or(WalkErrorKind::Finished)?;
        let server = Principal::new(PrincipalName::krbtgt(&realm), self.current.clone());
        self.request(server, false, Pending::Tgt { index })
    }

    fn request(
        &mut self,
        server: Principal,
        canonicalize: bool,
        pending: Pending,
    ) -> Result<WalkStep, WalkError> {
        // Each request is a hop's worth of work; bound them too (back-offs included).
        if self.exchanges >= self.max_hops.saturating_mul(3) {
            return Err(WalkErrorKind::HopLimit {
                limit: self.max_hops,
                path: self.path(),
            }
            .into());
        }
        self.exchanges += 1;
        self.pending = pending;
        self.asked = server.clone();
        tracing::debug!(
            realm = %self.current,
            server = %server,
            tgt = %self.tgt.server,
            canonicalize,
            "TGS hop"
        );
        Ok(WalkStep::Tgs(Box::new(TgsHop {
            tgt: self.tgt.clone(),
            server,
            canonicalize,
        })))
    }
}

/// A credential of `client` for `server` in `ccache` that is still valid at `now` (KDC time).
pub fn cached_creds(
    ccache: &Ccache,
    client: &Principal,
    server: &Principal,
    now: i64,
) -> Option<Credentials> {
    ccache
        .credentials
        .iter()
        .filter(|c| !c.is_config() && c.client.matches(client) && c.server.matches(server))
        .filter_map(Credentials::from_ccache)
        .find(|c| c.endtime > now)
}

/// The cached cross-realm TGT that gets farthest along `route` (home realm first): the valid
/// `krbtgt/route[j]@route[i]` (i < j) with the largest j, then the largest i. MIT stores the
/// last TGT of a capaths walk (`krbtgt/APPS.LOCAL@HUB.LOCAL`), which this finds.
pub fn find_cached_tgt(
    ccache: &Ccache,
    client: &Principal,
    route: &[Realm],
    now: i64,
) -> Option<Credentials> {
    (1..route.len()).rev().find_map(|j| {
        (0..j).rev().find_map(|i| {
            let server = Principal::new(PrincipalName::krbtgt(&route[j]), route[i].clone());
            cached_creds(ccache, client, &server, now)
        })
    })
}

/// The route from `home` to `target`: `[capaths]` when configured, else hierarchical.
fn route(conf: &Krb5Conf, home: &Realm, target: &Realm) -> Vec<Realm> {
    let capath = conf.capath(home.as_str(), target.as_str()).map(|hops| {
        hops.into_iter()
            .filter_map(|h| Realm::new(h).ok())
            .collect::<Vec<_>>()
    });
    route_from(home, target, capath)
}

fn route_from(home: &Realm, target: &Realm, capath: Option<Vec<Realm>>) -> Vec<Realm> {
    if home == target {
        return vec![home.clone()];
    }
    let middle = capath.unwrap_or_else(|| hierarchical(home, target));
    let mut out = vec![home.clone()];
    for r in middle {
        if r != *home && r != *target && !out.contains(&r) {
            out.push(r);
        }
    }
    out.push(target.clone());
    out
}

/// The intermediate realms of the hierarchical route (RFC 4120 §3.3.3.2, MIT's
/// `rtree_hier_realms`): up from the client realm to the common suffix of whole components, then
/// down to the server realm. Without a common suffix the route climbs to the client's top
/// component and descends from the server's.
pub fn hierarchical(client: &Realm, server: &Realm) -> Vec<Realm> {
    let c: Vec<&str> = client.as_str().split('.').collect();
    let s: Vec<&str> = server.as_str().split('.').collect();
    let common = c
        .iter()
        .rev()
        .zip(s.iter().rev())
        .take_while(|(a, b)| a == b)
        .count();
    let suffix = |parts: &[&str], from: usize| parts[from..].join(".");
    let mut out = Vec::new();
    // Client side: its parents down to and including the common suffix (if any).
    let c_last = if common > 0 {
        c.len() - common
    } else {
        c.len() - 1
    };
    for i in 1..=c_last.min(c.len() - 1) {
        out.push(suffix(&c, i));
    }
    // Server side: from the top (exclusive of the common suffix) down to the server's parent.
    let s_first = if common > 0 {
        s.len() - common
    } else {
        s.len()
    };
    for i in (1..s_first).rev() {
        out.push(suffix(&s, i));
    }
    out.into_iter()
        .filter(|r| !r.is_empty())
        .filter_map(|r| Realm::new(r).ok())
        .collect()
}

/// MIT's fallback realm for a host: `[domain_realm]`, else its domain part uppercased, else
/// the default realm, else `home`.
fn fallback_realm(host: &str, conf: &Krb5Conf, home: &Realm) -> Realm {
    if let Some(r) = conf.realm_for_host(host) {
        return r.clone();
    }
    host.split_once('.')
        .map(|(_, d)| d.trim_end_matches('.').to_ascii_uppercase())
        .filter(|d| !d.is_empty())
        .and_then(|d| Realm::new(d).ok())
        .or_else(|| conf.default_realm.clone())
        .unwrap_or_else(|| home.clone())
}

#[cfg(test)]
mod tests;
