//! `kerb klist`: MIT klist's output for FILE and KEYRING caches (and their collections)
//! and keytabs.

use std::ffi::OsString;
use std::fmt::Write as _;
use std::process::ExitCode;

use kdc_client::ccache::{CacheEntry, Ccache, CcacheError, CcacheHandle, CcacheName, Typed};
use kdc_client::exchange::TicketFlags;
use kdc_client::keytab::{Keytab, KeytabError};
use kdc_client::unstable::asn1::Ticket;
use kdc_client::{Principal, PrincipalName};

use crate::common;
use crate::timefmt::{LocalZone, WIDTH};

const PROG: &str = "klist";

const USAGE: &str = "\
Usage: klist [-e] [-V] [[-c] [-l] [-A] [-d] [-f] [-s] [-a [-n]]] [-k [-i] [-t] [-K]] [-C] [name]
\t-c specifies credentials cache
\t-k specifies keytab
\t   (Default is credentials cache)
\t-i uses default client keytab if no name given
\t-l lists credential caches in collection
\t-A shows content of all credential caches
\t-e shows the encryption type
\t-V shows the Kerberos version and exits
\toptions for credential caches:
\t\t-d shows the submitted authorization data types
\t\t-f shows credentials flags
\t\t-s sets exit status based on valid tgt existence
\t\t-a displays the address list
\t\t\t-n do not reverse-resolve
\toptions for keytabs:
\t\t-t shows keytab entry timestamps
\t\t-K shows keytab entry keys
\t\t-C includes configuration data entries
";

/// Parsed `klist` options.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct KlistArgs {
    pub name: Option<String>,
    pub keytab: bool,
    pub client_keytab: bool,
    pub etype: bool,
    pub flags: bool,
    pub status_only: bool,
    pub addresses: bool,
    pub no_resolve: bool,
    pub config: bool,
    pub timestamps: bool,
    pub keys: bool,
    pub adtype: bool,
    pub all: bool,
    pub list: bool,
    pub version: bool,
}

/// Parse the arguments after `klist`; `Err` is the message for stderr.
pub fn parse_args(args: Vec<OsString>) -> Result<KlistArgs, String> {
    use lexopt::Arg::{Short, Value};
    let mut p = common::parser(args);
    let mut a = KlistArgs::default();
    let mut cache_opt = false;
    while let Some(arg) = common::next_arg(PROG, &mut p)? {
        match arg {
            Short('c') => cache_opt = true,
            Short('k') => a.keytab = true,
            Short('i') => a.client_keytab = true,
            Short('e') => a.etype = true,
            Short('f') => a.flags = true,
            Short('s') => a.status_only = true,
            Short('a') => a.addresses = true,
            Short('n') => a.no_resolve = true,
            Short('C') => a.config = true,
            Short('t') => a.timestamps = true,
            Short('K') => a.keys = true,
            Short('d') => a.adtype = true,
            Short('A') => a.all = true,
            Short('l') => a.list = true,
            Short('V') => a.version = true,
            Value(v) if a.name.is_none() => {
                a.name = Some(v.into_string().map_err(|_| format!("{PROG}: bad name"))?)
            }
            other => {
                return Err(format!(
                    "{PROG}: invalid option -- '{}'",
                    common::opt_name(&other)
                ));
            }
        }
    }
    if cache_opt && a.keytab {
        return Err(USAGE.trim_end().into());
    }
    if a.keytab && (a.flags || a.status_only || a.addresses || a.adtype) {
        return Err(USAGE.trim_end().into());
    }
    if !a.keytab && (a.timestamps || a.keys) {
        return Err(USAGE.trim_end().into());
    }
    Ok(a)
}

/// `kerb klist`.
pub fn run(args: Vec<OsString>) -> ExitCode {
    let a = match parse_args(args) {
        Ok(a) => a,
        Err(m) => {
            eprintln!("{m}");
            if !m.contains("Usage:") {
                eprint!("{USAGE}");
            }
            return ExitCode::from(1);
        }
    };
    if a.version {
        println!("kerb {} (klist)", env!("CARGO_PKG_VERSION"));
        return ExitCode::SUCCESS;
    }
    let conf = common::load_config().ok();
    let zone = LocalZone::load();
    let (text, status) = if a.keytab {
        match list_keytab(&a, conf.as_ref(), &zone) {
            Ok(t) => (t, Ok(())),
            Err(e) => (String::new(), Err(e)),
        }
    } else {
        list_ccache(&a, conf.as_ref(), &zone)
    };
    print!("{text}");
    match status {
        Ok(()) => ExitCode::SUCCESS,
        Err(Some(msg)) => common::fail(PROG, msg),
        Err(None) => ExitCode::from(1),
    }
}

/// Standard output, then the outcome: an error message for stderr, or `None` for a silent
/// exit status 1.
type Listing = (String, Result<(), Option<String>>);

fn list_keytab(
    a: &KlistArgs,
    conf: Option<&kdc_client::config::Krb5Conf>,
    zone: &LocalZone,
) -> Result<String, Option<String>> {
    let name = match (&a.name, a.client_keytab) {
        (Some(n), _) => n.clone(),
        (None, true) => common::client_keytab_name(None, conf),
        (None, false) => common::keytab_name(None, conf),
    };
    let path = kdc_client::keytab::resolve_name(&name).map_err(|e| Some(e.to_string()))?;
    // MIT prints the name before it opens the keytab.
    println!("Keytab name: {}", common::keytab_display(&name));
    let kt = match Keytab::read_file(&path) {
        Ok(kt) => kt,
        Err(KeytabError::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
            return Err(Some(format!(
                "Key table file '{}' not found while starting keytab scan",
                path.display()
            )));
        }
        // MIT's wording for files that are not keytabs of version 0x0502.
        Err(KeytabError::BadMagic(_) | KeytabError::UnsupportedVersion(_)) => {
            return Err(Some(
                "Unsupported key table format version number while starting keytab scan".into(),
            ));
        }
        // Shorter than the version number: MIT says the same. A truncated entry after a
        // good header is listed up to the damage by MIT; this engine refuses the file.
        Err(KeytabError::Truncated) if std::fs::metadata(&path).is_ok_and(|m| m.len() < 2) => {
            return Err(Some(
                "Unsupported key table format version number while starting keytab scan".into(),
            ));
        }
        Err(e) => return Err(Some(format!("{e} while starting keytab scan"))),
    };
    Ok(format_keytab("", &kt, a, zone))
}

/// The keytab listing, byte for byte as MIT's `klist -k` (the `Keytab name:` line only
/// when `display` is not empty).
pub fn format_keytab(display: &str, kt: &Keytab, a: &KlistArgs, zone: &LocalZone) -> String {
    let mut s = String::new();
    if !display.is_empty() {
        let _ = writeln!(s, "Keytab name: {display}");
    }
    if a.timestamps {
        let _ = writeln!(s, "KVNO {:<WIDTH$} Principal", "Timestamp");
        let _ = writeln!(
            s,
            "---- {} {}",
            "-".repeat(WIDTH),
            "-".repeat(74 - WIDTH - 1)
        );
    } else {
        s.push_str("KVNO Principal\n");
        let _ = writeln!(s, "---- {}", "-".repeat(74));
    }
    for e in &kt.entries {
        let _ = write!(s, "{:4} ", e.kvno);
        if a.timestamps {
            let _ = write!(s, "{} ", zone.format(i64::from(e.timestamp)));
        }
        s.push_str(&e.principal.to_string());
        if a.etype {
            let _ = write!(s, " ({}) ", common::etype_string(e.enctype));
        }
        if a.keys {
            s.push_str(" (0x");
            for b in e.key.iter() {
                let _ = write!(s, "{b:02x}");
            }
            s.push(')');
        }
        s.push('\n');
    }
    s
}

/// MIT's `do_ccache`, `list_all_ccaches` (`-l`) and `show_all_ccaches` (`-A`).
fn list_ccache(
    a: &KlistArgs,
    conf: Option<&kdc_client::config::Krb5Conf>,
    zone: &LocalZone,
) -> Listing {
    let opened = common::open_ccache(a.name.as_deref(), conf);
    if !(a.list || a.all) {
        return match opened {
            Ok(handle) => show_ccache(&handle, a, zone),
            Err(e) => {
                let msg = (!a.status_only).then(|| format!("{e} while resolving ccache"));
                (String::new(), Err(msg))
            }
        };
    }
    let caches = match opened.and_then(|h| h.collection()) {
        Ok(c) => c,
        Err(e) => {
            let msg = (!a.status_only).then(|| format!("{e} while listing ccache collection"));
            return (String::new(), Err(msg));
        }
    };
    let mut out = String::new();
    let mut any = false;
    if a.list {
        let _ = writeln!(out, "{:<30} Cache name", "Principal name");
        let _ = writeln!(out, "{:<30} ----------", "--------------");
        for cache in &caches {
            // Uninitialised caches are left out, as MIT does.
            let Ok(c) = cache.load() else { continue };
            let p: String = c.default_principal.to_string().chars().take(30).collect();
            let _ = write!(out, "{p:<30} {}", cache.name());
            if !has_valid_tgt(&c, crate::timefmt::now()) {
                out.push_str(" (Expired)");
            }
            out.push('\n');
            any = true;
        }
    } else {
        for cache in &caches {
            if !a.status_only && !out.is_empty() {
                out.push('\n');
            }
            let (text, status) = show_ccache(cache, a, zone);
            out.push_str(&text);
            match status {
                Ok(()) => any = true,
                Err(Some(msg)) => eprintln!("{PROG}: {msg}"),
                Err(None) => {}
            }
        }
    }
    (out, if any { Ok(()) } else { Err(None) })
}

/// MIT's `show_ccache` (or `check_ccache` with `-s`) of one cache.
fn show_ccache(handle: &CcacheHandle, a: &KlistArgs, zone: &LocalZone) -> Listing {
    let name = handle.name();
    let cache = match handle.load() {
        Ok(c) => c,
        Err(_) if a.status_only => return (String::new(), Err(None)),
        Err(e) if e.is_not_found() => {
            return (String::new(), Err(Some(common::ccache_not_found(&name))));
        }
        Err(e) => return (String::new(), Err(Some(ccache_error(&e, &name)))),
    };
    if a.status_only {
        let ok = has_valid_tgt(&cache, crate::timefmt::now());
        return (String::new(), if ok { Ok(()) } else { Err(None) });
    }
    (format_ccache(&name.to_string(), &cache, a, zone), Ok(()))
}

/// MIT's messages for unreadable caches.
fn ccache_error(e: &CcacheError, name: &CcacheName) -> String {
    let Some(path) = name.file_path() else {
        return format!("{e} while retrieving principal name");
    };
    let p = path.display();
    match e {
        CcacheError::BadMagic(_) | CcacheError::UnsupportedVersion(_) => {
            format!("Unsupported credentials cache format version number (filename: {p})")
        }
        CcacheError::Truncated | CcacheError::Malformed(_) => {
            format!("Bad format in credentials cache (filename: {p})")
        }
        CcacheError::Io { source, .. } if source.kind() == std::io::ErrorKind::PermissionDenied => {
            format!("Credentials cache permissions incorrect (filename: {p})")
        }
        e => format!("{e} while retrieving principal name"),
    }
}

/// MIT's `check_ccache`: a current local TGT, or no TGT at all but some current credential.
pub fn has_valid_tgt(cache: &Ccache, now: i64) -> bool {
    let realm = &cache.default_principal.realm;
    let (mut tgt, mut current_tgt, mut current_cred) = (false, false, false);
    for c in &cache.credentials {
        let current = i64::from(c.endtime) > now;
        let comps = c.server.name.components();
        if comps.len() == 2 && comps[0] == "krbtgt" && comps[1] == realm.as_str() {
            tgt = true;
            current_tgt |= current;
        } else if !c.is_config() && current {
            current_cred = true;
        }
    }
    current_tgt || (!tgt && current_cred)
}

/// The cache listing, byte for byte as MIT's `klist`.
pub fn format_ccache(display: &str, cache: &Ccache, a: &KlistArgs, zone: &LocalZone) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "Ticket cache: {display}");
    let _ = writeln!(s, "Default principal: {}\n", cache.default_principal);
    let _ = writeln!(
        s,
        "{:<WIDTH$}  {:<WIDTH$}  Service principal",
        "Valid starting", "Expires"
    );
    for c in &cache.credentials {
        if c.is_config() && !a.config {
            continue;
        }
        show_credential(&mut s, c, &cache.default_principal, a, zone);
    }
    s
}

fn show_credential(
    s: &mut String,
    c: &CacheEntry,
    def: &Principal,
    a: &KlistArgs,
    zone: &LocalZone,
) {
    if c.is_config() {
        let comps = c.server.name.components();
        let mut head = format!("config: {}", comps.get(1).map_or("", String::as_str));
        for extra in comps.iter().skip(2) {
            let _ = write!(head, "({extra})");
        }
        head.push_str(" = ");
        s.push_str(&head);
        config_data(s, head.chars().count(), &c.ticket);
        s.push('\n');
    } else {
        let start = if c.starttime == 0 {
            c.authtime
        } else {
            c.starttime
        };
        let _ = writeln!(
            s,
            "{}  {}  {}",
            zone.format(i64::from(start)),
            zone.format(i64::from(c.endtime)),
            c.server
        );
    }
    // MIT's `extra_field` bookkeeping, line breaks included.
    let mut extra = 0;
    let sep = |s: &mut String, extra: i32| s.push_str(if extra == 0 { "\t" } else { ", " });
    if c.client != *def {
        let _ = write!(s, "\tfor client {}", c.client);
        extra += 1;
    }
    if c.renew_till != 0 {
        sep(s, extra);
        let _ = write!(s, "renew until {}", zone.format(i64::from(c.renew_till)));
        extra += 2;
    }
    if extra > 3 {
        s.push('\n');
        extra = 0;
    }
    if a.flags {
        let f = flags_string(c.ticket_flags);
        if !f.is_empty() {
            sep(s, extra);
            let _ = write!(s, "Flags: {f}");
            extra += 1;
        }
    }
    if extra > 2 {
        s.push('\n');
        extra = 0;
    }
    let ticket = Ticket::decode(&c.ticket).ok();
    if a.etype
        && let Some(t) = &ticket
    {
        sep(s, extra);
        let _ = write!(
            s,
            "Etype (skey, tkt): {}, {} ",
            common::etype_string(c.key.enctype),
            common::etype_string(t.enc_part.etype)
        );
        extra += 1;
    }
    if a.adtype {
        // MIT prints the label even for an empty list (its FILE reader never gives NULL).
        sep(s, extra);
        s.push_str("AD types: ");
        let types: Vec<String> = c.authdata.iter().map(|t| t.kind.to_string()).collect();
        s.push_str(&types.join(", "));
        extra += 1;
    }
    if extra > 0 {
        s.push('\n');
    }
    if a.addresses {
        if c.addresses.is_empty() {
            s.push_str("\tAddresses: (none)\n");
        } else {
            let list: Vec<String> = c.addresses.iter().map(one_addr).collect();
            let _ = writeln!(s, "\tAddresses: {}", list.join(", "));
        }
    }
    if let Some(server) = ticket.as_ref().and_then(|t| ticket_server(t, c)) {
        let _ = writeln!(s, "\tTicket server: {server}");
    }
}

/// MIT's `print_config_data`: graphic ASCII as is, other bytes as `\ooo`, wrapped before a
/// byte once the column passes 72, continuation lines indented by 8 spaces.
fn config_data(s: &mut String, mut col: usize, data: &[u8]) {
    for &b in data {
        if col > 72 {
            s.push_str("\n        ");
            col = 8;
        }
        if b.is_ascii_graphic() {
            s.push(char::from(b));
            col += 1;
        } else {
            let _ = write!(s, "\\{b:03o}");
            col += 4;
        }
    }
}

/// The ticket's server when it differs from the name the credential is cached under
/// (MIT compares components and realm).
fn ticket_server(t: &Ticket, c: &CacheEntry) -> Option<String> {
    let name = PrincipalName::try_from(&t.sname).ok()?;
    let realm = t.realm.to_str().ok()?;
    if name.components() == c.server.name.components() && realm == c.server.realm.as_str() {
        return None;
    }
    Some(match kdc_client::Realm::new(realm) {
        Ok(r) => Principal::new(name, r).to_string(),
        Err(_) => format!("{}@", name.to_escaped()),
    })
}

fn one_addr(t: &Typed) -> String {
    match (t.kind, t.data.len()) {
        (2, 4) => format!("{}.{}.{}.{}", t.data[0], t.data[1], t.data[2], t.data[3]),
        (24, 16) => {
            let mut b = [0u8; 16];
            b.copy_from_slice(&t.data);
            std::net::Ipv6Addr::from(b).to_string()
        }
        (k, _) => format!("unknown addrtype {k}"),
    }
}

/// MIT's `flags_string` letters, in MIT's order.
pub fn flags_string(flags: u32) -> String {
    TicketFlags::from_bits(flags).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(v: &[&str]) -> Result<KlistArgs, String> {
        parse_args(v.iter().map(OsString::from).collect())
    }

    #[test]
    fn parses_options() {
        let a = args(&["-e", "-f", "-a", "-C", "FILE:/x"]).unwrap();
        assert!(a.etype && a.flags && a.addresses && a.config);
        assert_eq!(a.name.as_deref(), Some("FILE:/x"));
        let a = args(&["-kteK", "/kt"]).unwrap();
        assert!(a.keytab && a.timestamps && a.etype && a.keys);
        assert!(args(&["-Z"]).unwrap_err().contains("invalid option -- 'Z'"));
        assert!(args(&["a", "b"]).is_err());
        assert!(args(&["-c", "-k"]).is_err());
    }

    #[test]
    fn flags_in_mit_order() {
        assert_eq!(flags_string(0x40e0_0000 | 0x0020_0000), "FRIA");
        assert_eq!(flags_string(0x4088_0000 | 0x0020_0000), "FRAT");
        assert_eq!(flags_string(0), "");
    }
}
