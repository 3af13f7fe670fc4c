//! `kinit -a`: the host's addresses, as MIT's `krb5_os_localaddr` lists them for the AS
//! request (RFC 4120 §5.4.1 `addresses`).
//!
//! MIT walks `getifaddrs()`: interfaces that are up, without 127.0.0.1 and ::1, without IPv6
//! link-local (fe80::/10) addresses, duplicates once; IPv4 before IPv6. `getifaddrs` needs libc
//! (and `unsafe`), which this crate forbids, so the same list is read from Linux's procfs:
//! IPv4 addresses are the `/32 host LOCAL` entries of `/proc/net/fib_trie` (the kernel keeps a
//! local route for each address of an interface that is up), IPv6 addresses the lines of
//! `/proc/net/if_inet6` whose interface is up (`/sys/class/net/IF/flags`). Where procfs is
//! missing (not Linux), `-a` fails with a message saying so rather than sending fewer addresses.
//! krb5.conf's `extra_addresses` is not read.
//!
//! A ticket with addresses is only usable from them: the KDC refuses a TGS request from any
//! other source address (`KRB_AP_ERR_BADADDR`, "Incorrect net address"), so on a loopback-only
//! setup, where the KDC sees 127.0.0.1 which MIT never lists, both MIT's and this kinit `-a`
//! give a TGT that kvno cannot use.

use std::net::{Ipv4Addr, Ipv6Addr};

use kdc_client::exchange::HostAddress;

const FIB_TRIE: &str = "/proc/net/fib_trie";
const IF_INET6: &str = "/proc/net/if_inet6";
/// `IFF_UP` in `/sys/class/net/IF/flags`.
const IFF_UP: u32 = 0x1;

/// The host's addresses for `kinit -a`. An error names the file that could not be read.
pub fn local_addresses() -> Result<Vec<HostAddress>, String> {
    let fib = std::fs::read_to_string(FIB_TRIE)
        .map_err(|e| format!("Cannot list the host's IPv4 addresses ({FIB_TRIE}: {e})"))?;
    // A host without IPv6 has no if_inet6.
    let inet6 = match std::fs::read_to_string(IF_INET6) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => {
            return Err(format!(
                "Cannot list the host's IPv6 addresses ({IF_INET6}: {e})"
            ));
        }
    };
    let is_up = |ifname: &str| {
        std::fs::read_to_string(format!("/sys/class/net/{ifname}/flags"))
            .ok()
            .and_then(|f| u32::from_str_radix(f.trim().trim_start_matches("0x"), 16).ok())
            .is_none_or(|flags| flags & IFF_UP != 0)
    };
    Ok(host_addresses(
        &ipv4_from_fib_trie(&fib),
        &ipv6_from_if_inet6(&inet6, is_up),
    ))
}

/// MIT's selection and encoding: no 127.0.0.1, ::1 or fe80::/10; each address once.
pub fn host_addresses(v4: &[Ipv4Addr], v6: &[Ipv6Addr]) -> Vec<HostAddress> {
    let mut out: Vec<HostAddress> = Vec::new();
    let v4 = v4
        .iter()
        .filter(|a| **a != Ipv4Addr::LOCALHOST)
        .map(|a| HostAddress::from(std::net::IpAddr::V4(*a)));
    let v6 = v6
        .iter()
        .filter(|a| **a != Ipv6Addr::LOCALHOST && a.segments()[0] & 0xffc0 != 0xfe80)
        .map(|a| HostAddress::from(std::net::IpAddr::V6(*a)));
    for a in v4.chain(v6) {
        if !out.contains(&a) {
            out.push(a);
        }
    }
    out
}

/// The addresses of `/proc/net/fib_trie` leaves that carry a `/32 host LOCAL` entry, in order
/// of appearance. Prefix routes of type local (`127.0.0.0 /8 host LOCAL`) are not addresses.
pub fn ipv4_from_fib_trie(text: &str) -> Vec<Ipv4Addr> {
    let mut out = Vec::new();
    let mut leaf: Option<Ipv4Addr> = None;
    for line in text.lines() {
        let t = line.trim();
        if let Some(addr) = t.strip_prefix("|-- ") {
            leaf = addr.trim().parse().ok();
        } else if t.starts_with("+-- ") || t.ends_with(':') {
            leaf = None;
        } else if t.split_whitespace().collect::<Vec<_>>() == ["/32", "host", "LOCAL"]
            && let Some(a) = leaf
            && !out.contains(&a)
        {
            out.push(a);
        }
    }
    out
}

/// The addresses of `/proc/net/if_inet6` lines (`address ifindex prefixlen scope flags name`,
/// the address as 32 hex digits) whose interface `is_up`.
pub fn ipv6_from_if_inet6(text: &str, is_up: impl Fn(&str) -> bool) -> Vec<Ipv6Addr> {
    text.lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let [hex, _, _, _, _, name] = fields[..] else {
                return None;
            };
            if hex.len() != 32 || !is_up(name) {
                return None;
            }
            u128::from_str_radix(hex, 16).ok().map(Ipv6Addr::from)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// This machine's files while MIT's `kinit -a` listed `192.0.2.2, fd00::2`
    /// (interfaces lo 127.0.0.1/8 ::1, eth0 192.0.2.2/24 fd00::2/64 fe80::fc:ff:fe00:1/64).
    const FIB_TRIE_TEXT: &str = "\
Main:
  +-- 0.0.0.0/0 3 0 5
     |-- 0.0.0.0
        /0 universe UNICAST
     +-- 127.0.0.0/8 2 0 2
        +-- 127.0.0.0/31 1 0 0
           |-- 127.0.0.0
              /8 host LOCAL
           |-- 127.0.0.1
              /32 host LOCAL
        |-- 127.255.255.255
           /32 link BROADCAST
     +-- 192.0.2.0/24 2 0 2
        +-- 192.0.2.0/30 2 0 2
           |-- 192.0.2.0
              /24 link UNICAST
           |-- 192.0.2.2
              /32 host LOCAL
        |-- 192.0.2.255
           /32 link BROADCAST
Local:
  +-- 0.0.0.0/0 3 0 5
     |-- 0.0.0.0
        /0 universe UNICAST
     +-- 127.0.0.0/8 2 0 2
        +-- 127.0.0.0/31 1 0 0
           |-- 127.0.0.0
              /8 host LOCAL
           |-- 127.0.0.1
              /32 host LOCAL
     +-- 192.0.2.0/24 2 0 2
           |-- 192.0.2.2
              /32 host LOCAL
";

    const IF_INET6_TEXT: &str = "\
00000000000000000000000000000001 01 80 10 80       lo
fd000000000000000000000000000002 02 40 00 80     eth0
fe8000000000000000fc00fffe000001 02 40 20 80     eth0
20010db8000000000000000000000009 03 40 00 80     eth1
";

    #[test]
    fn parses_procfs_like_getifaddrs() {
        let v4 = ipv4_from_fib_trie(FIB_TRIE_TEXT);
        assert_eq!(v4, [Ipv4Addr::LOCALHOST, Ipv4Addr::new(192, 0, 2, 2)]);
        let v6 = ipv6_from_if_inet6(IF_INET6_TEXT, |name| name != "eth1");
        assert_eq!(v6.len(), 3);
        assert_eq!(v6[1], "fd00::2".parse::<Ipv6Addr>().unwrap());
    }

    #[test]
    fn selects_like_mit() {
        let v4 = ipv4_from_fib_trie(FIB_TRIE_TEXT);
        let v6 = ipv6_from_if_inet6(IF_INET6_TEXT, |name| name != "eth1");
        let got = host_addresses(&v4, &v6);
        assert_eq!(
            got,
            [
                HostAddress {
                    addr_type: 2,
                    address: vec![192, 0, 2, 2]
                },
                HostAddress {
                    addr_type: 24,
                    address: "fd00::2".parse::<Ipv6Addr>().unwrap().octets().to_vec()
                },
            ]
        );
        // Other loopback-range addresses are kept, as MIT only drops 127.0.0.1.
        let got = host_addresses(&[Ipv4Addr::new(127, 0, 0, 53), Ipv4Addr::LOCALHOST], &[]);
        assert_eq!(got.len(), 1);
    }

    #[test]
    fn garbage_is_ignored() {
        assert!(ipv4_from_fib_trie("|-- nonsense\n /32 host LOCAL\n/32 host LOCAL\n").is_empty());
        assert!(ipv6_from_if_inet6("zz 1 2 3 4 eth0\n\n1 2\n", |_| true).is_empty());
    }
}
