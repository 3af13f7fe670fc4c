//! What [`super::Credentials`] says about its ticket, in types of this crate: the flags
//! (RFC 4120 §5.3), the client addresses (§5.2.5) and the ticket's DER bytes. The exchanges
//! convert to and from the ASN.1 schema at their boundary.

use std::fmt;
use std::net::IpAddr;

use crate::asn1::{self, KerberosFlags, Raw, Ticket};

/// TicketFlags (RFC 4120 §5.3): the first 32 bits of the BIT STRING, bit 0 (`reserved`) being
/// the most significant bit, as in the RFC and in MIT's ccache `ticket_flags`.
///
/// `Display` gives MIT `klist -f`'s letters (`F` forwardable, `R` renewable, `I` initial,
/// `A` pre-authenticated, `O` ok-as-delegate, ...), in MIT's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct TicketFlags(u32);

impl TicketFlags {
    const fn bit(n: u32) -> Self {
        Self(0x8000_0000 >> n)
    }

    /// `forwardable` (bit 1): a TGT that may be exchanged for a forwarded one.
    pub const FORWARDABLE: Self = Self::bit(1);
    /// `forwarded` (bit 2).
    pub const FORWARDED: Self = Self::bit(2);
    /// `proxiable` (bit 3).
    pub const PROXIABLE: Self = Self::bit(3);
    /// `proxy` (bit 4).
    pub const PROXY: Self = Self::bit(4);
    /// `may-postdate` (bit 5).
    pub const MAY_POSTDATE: Self = Self::bit(5);
    /// `postdated` (bit 6).
    pub const POSTDATED: Self = Self::bit(6);
    /// `invalid` (bit 7): must be validated by the KDC before use.
    pub const INVALID: Self = Self::bit(7);
    /// `renewable` (bit 8).
    pub const RENEWABLE: Self = Self::bit(8);
    /// `initial` (bit 9): issued by the AS exchange, not from a TGT.
    pub const INITIAL: Self = Self::bit(9);
    /// `pre-authent` (bit 10): the client was pre-authenticated.
    pub const PRE_AUTHENT: Self = Self::bit(10);
    /// `hw-authent` (bit 11).
    pub const HW_AUTHENT: Self = Self::bit(11);
    /// `transited-policy-checked` (bit 12).
    pub const TRANSITED_POLICY_CHECKED: Self = Self::bit(12);
    /// `ok-as-delegate` (bit 13): the realm trusts the server with delegated credentials.
    pub const OK_AS_DELEGATE: Self = Self::bit(13);
    /// `enc-pa-rep` (bit 15, RFC 6806 §11).
    pub const ENC_PA_REP: Self = Self::bit(15);
    /// `anonymous` (bit 16, RFC 8062 §3).
    pub const ANONYMOUS: Self = Self::bit(16);

    /// The flags of the 32-bit number (bit 0 the most significant).
    pub const fn from_bits(bits: u32) -> Self {
        Self(bits)
    }

    /// The 32-bit number (bit 0 the most significant).
    pub const fn bits(self) -> u32 {
        self.0
    }

    /// Whether every flag of `other` is set.
    pub const fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }

    /// `self` with the flags of `other` set as well.
    #[must_use]
    pub const fn union(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }

    /// Whether the ticket is forwardable.
    pub const fn forwardable(self) -> bool {
        self.contains(Self::FORWARDABLE)
    }

    /// Whether the ticket is renewable.
    pub const fn renewable(self) -> bool {
        self.contains(Self::RENEWABLE)
    }

    /// Whether the ticket came from the AS exchange.
    pub const fn initial(self) -> bool {
        self.contains(Self::INITIAL)
    }

    /// Whether the client was pre-authenticated.
    pub const fn pre_authent(self) -> bool {
        self.contains(Self::PRE_AUTHENT)
    }

    /// Whether the server is trusted for delegation (`ok-as-delegate`).
    pub const fn ok_as_delegate(self) -> bool {
        self.contains(Self::OK_AS_DELEGATE)
    }

    /// Whether the ticket must be validated before use.
    pub const fn invalid(self) -> bool {
        self.contains(Self::INVALID)
    }

    /// MIT `klist -f`'s letter of each flag, in the order klist prints them.
    const LETTERS: [(Self, char); 14] = [
        (Self::FORWARDABLE, 'F'),
        (Self::FORWARDED, 'f'),
        (Self::PROXIABLE, 'P'),
        (Self::PROXY, 'p'),
        (Self::MAY_POSTDATE, 'D'),
        (Self::POSTDATED, 'd'),
        (Self::INVALID, 'i'),
        (Self::RENEWABLE, 'R'),
        (Self::INITIAL, 'I'),
        (Self::HW_AUTHENT, 'H'),
        (Self::PRE_AUTHENT, 'A'),
        (Self::TRANSITED_POLICY_CHECKED, 'T'),
        (Self::OK_AS_DELEGATE, 'O'),
        (Self::ANONYMOUS, 'a'),
    ];
}

impl fmt::Display for TicketFlags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Self::LETTERS
            .iter()
            .filter(|(flag, _)| self.contains(*flag))
            .try_for_each(|(_, c)| fmt::Write::write_char(f, *c))
    }
}

impl From<KerberosFlags> for TicketFlags {
    fn from(f: KerberosFlags) -> Self {
        Self(f.0)
    }
}

/// `HostAddress` (RFC 4120 §5.2.5): an address of a type of §7.5.3.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct HostAddress {
    /// The address type (`addr-type`), e.g. [`HostAddress::IPV4`].
    pub addr_type: i32,
    /// The address in the type's encoding (4 octets for IPv4, 16 for IPv6).
    pub address: Vec<u8>,
}

impl HostAddress {
    /// `addr-type` of an IPv4 address (RFC 4120 §7.5.3).
    pub const IPV4: i32 = asn1::addr_type::IPV4;
    /// `addr-type` of an IPv6 address (RFC 4120 §7.5.3).
    pub const IPV6: i32 = asn1::addr_type::IPV6;

    /// The IP address, for the IPv4 and IPv6 types with an address of the right length.
    pub fn ip(&self) -> Option<IpAddr> {
        match self.addr_type {
            Self::IPV4 => <[u8; 4]>::try_from(self.address.as_slice())
                .ok()
                .map(IpAddr::from),
            Self::IPV6 => <[u8; 16]>::try_from(self.address.as_slice())
                .ok()
                .map(IpAddr::from),
            _ => None,
        }
    }

    pub(crate) fn from_asn1(a: &asn1::HostAddress) -> Self {
        Self {
            addr_type: a.addr_type,
            address: a.address.to_vec(),
        }
    }

    pub(crate) fn to_asn1(&self) -> asn1::HostAddress {
        asn1::HostAddress {
            addr_type: self.addr_type,
            address: self.address.clone().into(),
        }
    }
}

/// An IPv4 or IPv6 address, as RFC 4120 §7.5.3 encodes it.
impl From<IpAddr> for HostAddress {
    fn from(ip: IpAddr) -> Self {
        match ip {
            IpAddr::V4(v4) => Self {
                addr_type: Self::IPV4,
                address: v4.octets().to_vec(),
            },
            IpAddr::V6(v6) => Self {
                addr_type: Self::IPV6,
                address: v6.octets().to_vec(),
            },
        }
    }
}

/// A ticket (RFC 4120 §5.3) as the KDC sent it: its DER bytes, never re-encoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedTicket(Raw<Ticket>);

impl EncodedTicket {
    /// Wrap bytes that should be a DER `Ticket` (from a credential cache, say); they are
    /// decoded, and rejected if malformed, only when the ticket is used.
    pub fn from_der(der: Vec<u8>) -> Self {
        Self(Raw::from_der_unchecked(der))
    }

    /// The DER bytes.
    pub fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }

    pub(crate) fn raw(&self) -> &Raw<Ticket> {
        &self.0
    }
}

impl From<Raw<Ticket>> for EncodedTicket {
    fn from(raw: Raw<Ticket>) -> Self {
        Self(raw)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::asn1::ticket_flags;

    #[test]
    fn flags_match_the_asn1_bit_numbers() {
        let pairs = [
            (TicketFlags::FORWARDABLE, ticket_flags::FORWARDABLE),
            (TicketFlags::RENEWABLE, ticket_flags::RENEWABLE),
            (TicketFlags::PRE_AUTHENT, ticket_flags::PRE_AUTHENT),
            (TicketFlags::OK_AS_DELEGATE, ticket_flags::OK_AS_DELEGATE),
            (TicketFlags::ENC_PA_REP, ticket_flags::ENC_PA_REP),
            (TicketFlags::ANONYMOUS, ticket_flags::ANONYMOUS),
        ];
        for (flag, n) in pairs {
            assert_eq!(flag, TicketFlags::from(KerberosFlags::from_bits(&[n])));
        }
    }

    #[test]
    fn klist_letters_in_mit_order() {
        assert_eq!(TicketFlags::from_bits(0x40e0_0000).to_string(), "FRIA");
        assert_eq!(TicketFlags::from_bits(0x40a8_0000).to_string(), "FRAT");
        assert_eq!(TicketFlags::default().to_string(), "");
        let f = TicketFlags::FORWARDABLE.union(TicketFlags::OK_AS_DELEGATE);
        assert!(f.forwardable() && f.ok_as_delegate() && !f.renewable());
    }

    #[test]
    fn host_address_of_ip() {
        let a = HostAddress::from(IpAddr::from([192, 0, 2, 2]));
        assert_eq!(
            (a.addr_type, a.address.as_slice()),
            (2, &[192, 0, 2, 2][..])
        );
        assert_eq!(a.ip(), Some(IpAddr::from([192, 0, 2, 2])));
        let b = HostAddress {
            addr_type: HostAddress::IPV6,
            address: vec![1; 3],
        };
        assert_eq!(b.ip(), None);
        assert_eq!(HostAddress::from_asn1(&a.to_asn1()), a);
    }
}
