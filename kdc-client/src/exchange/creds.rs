//! Credentials: a ticket, kept verbatim, and what the client knows about it.

use crate::asn1::{EncKdcRepPart, Raw, Ticket};
use crate::ccache::{CacheEntry, Keyblock, Typed};
use crate::crypto::{EncryptionKey, Enctype};
use crate::{Principal, Realm};

use super::ExchangeError;
use super::ticket::{EncodedTicket, HostAddress, TicketFlags};

/// A ticket with its session key (RFC 4120 §3.1.5), checked and ready to use: what the
/// exchanges return and take. The ticket bytes are never re-encoded. Stored in a cache as a
/// [`crate::ccache::CacheEntry`] ([`Credentials::to_ccache`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The client principal (as the KDC named it).
    pub client: Principal,
    /// The server principal.
    pub server: Principal,
    /// The session key.
    pub session_key: EncryptionKey,
    /// The ticket flags (RFC 4120 §5.3).
    pub flags: TicketFlags,
    /// When the initial ticket was issued (Unix seconds).
    pub authtime: i64,
    /// When the ticket becomes valid, if not the authtime.
    pub starttime: Option<i64>,
    /// When the ticket expires.
    pub endtime: i64,
    /// Until when it can be renewed, for a renewable ticket.
    pub renew_till: Option<i64>,
    /// The ticket's client addresses (`caddr`, RFC 4120 §5.3); empty for the usual
    /// address-less tickets. Sent again in TGS requests made with this ticket, as MIT does.
    pub addresses: Vec<HostAddress>,
    /// The ticket, as received.
    pub ticket: EncodedTicket,
}

impl Credentials {
    pub(crate) fn from_rep_part(
        client: Principal,
        part: &EncKdcRepPart,
        ticket: Raw<Ticket>,
        realm: &Realm,
    ) -> Result<Self, ExchangeError> {
        let decode = |source| ExchangeError::Decode {
            realm: realm.clone(),
            what: "EncKDCRepPart",
            source,
        };
        let enctype = Enctype::from_i32(part.key.keytype).ok_or_else(|| {
            ExchangeError::Mismatch(format!(
                "session key of unknown enctype {}",
                part.key.keytype
            ))
        })?;
        let session_key = EncryptionKey::new(enctype, part.key.keyvalue.as_bytes())
            .map_err(|e| ExchangeError::Crypto(e.into()))?;
        Ok(Self {
            client,
            server: part.sname.to_principal(&part.srealm).map_err(decode)?,
            session_key,
            flags: part.flags.into(),
            authtime: part.authtime.unix(),
            starttime: part.starttime.map(|t| t.unix()),
            endtime: part.endtime.unix(),
            renew_till: part.renew_till.map(|t| t.unix()),
            addresses: part
                .caddr
                .iter()
                .flatten()
                .map(HostAddress::from_asn1)
                .collect(),
            ticket: ticket.into(),
        })
    }

    /// True when the ticket is a ticket-granting ticket (`krbtgt/...`).
    pub fn is_tgt(&self) -> bool {
        self.server.name.is_krbtgt()
    }

    /// The realm a TGT is for: `X` of `krbtgt/X@Y`.
    pub fn tgt_realm(&self) -> Option<Realm> {
        match self.server.name.components() {
            [k, realm] if k == "krbtgt" => Realm::new(realm.as_str()).ok(),
            _ => None,
        }
    }

    /// True when the ticket is renewable and its renewal time has not passed.
    pub fn renewable_at(&self, now: i64) -> bool {
        self.flags.renewable() && self.renew_till.is_some_and(|t| t > now)
    }

    /// The credential-cache form (MIT FILE ccache).
    pub fn to_ccache(&self) -> CacheEntry {
        let t = |v: i64| u32::try_from(v).unwrap_or(if v < 0 { 0 } else { u32::MAX });
        CacheEntry {
            client: self.client.clone(),
            server: self.server.clone(),
            key: Keyblock {
                enctype: self.session_key.enctype().to_i32(),
                bytes: zeroize::Zeroizing::new(self.session_key.as_bytes().to_vec()),
            },
            authtime: t(self.authtime),
            starttime: self.starttime.map_or(0, t),
            endtime: t(self.endtime),
            renew_till: self.renew_till.map_or(0, t),
            is_skey: false,
            ticket_flags: self.flags.bits(),
            // Address types are 16-bit in the ccache format; no defined type is larger.
            addresses: self
                .addresses
                .iter()
                .filter_map(|a| {
                    Some(Typed {
                        kind: u16::try_from(a.addr_type).ok()?,
                        data: a.address.clone(),
                    })
                })
                .collect(),
            authdata: Vec::new(),
            ticket: self.ticket.as_bytes().to_vec(),
            second_ticket: Vec::new(),
        }
    }

    /// Credentials from a ccache entry; `None` for configuration entries or keys of enctypes
    /// this build does not implement.
    pub fn from_ccache(c: &CacheEntry) -> Option<Self> {
        if c.is_config() || c.ticket.is_empty() {
            return None;
        }
        let opt = |v: u32| (v != 0).then_some(i64::from(v));
        Some(Self {
            client: c.client.clone(),
            server: c.server.clone(),
            session_key: c.key.encryption_key()?,
            flags: TicketFlags::from_bits(c.ticket_flags),
            authtime: i64::from(c.authtime),
            starttime: opt(c.starttime),
            endtime: i64::from(c.endtime),
            renew_till: opt(c.renew_till),
            addresses: c
                .addresses
                .iter()
                .map(|a| HostAddress {
                    addr_type: i32::from(a.kind),
                    address: a.data.clone(),
                })
                .collect(),
            ticket: EncodedTicket::from_der(c.ticket.clone()),
        })
    }
}
