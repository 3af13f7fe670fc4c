use super::*;
use crate::config::profile::MemSource;

fn conf(text: &str) -> Result<Krb5Conf, ConfigError> {
    Krb5Conf::from_profile(&Profile::parse(text, "krb5.conf", &MemSource::default())?)
}

const SAMPLE: &str = r#"
[libdefaults]
    default_realm = EXAMPLE.COM
    dns_lookup_kdc = no
    dns_lookup_realm = yes
    rdns = false
    forwardable = on
    proxiable = 1
    canonicalize = true
    ticket_lifetime = 10h
    renew_lifetime = 7d
    clockskew = 1h30m
    kdc_timeout = 0:00:03
    udp_preference_limit = 1
    default_tkt_enctypes = aes256-cts-hmac-sha1-96, rc4-hmac des-cbc-crc
    default_tgs_enctypes = DEFAULT -aes128-cts -aes128-sha2
    permitted_enctypes = aes
    default_ccache_name = KEYRING:persistent:%{uid}
    default_keytab_name = FILE:/etc/app.keytab
    default_client_keytab_name = FILE:/etc/client.keytab
    unknown_key = ignored

[realms]
    EXAMPLE.COM = {
        kdc = kdc1.example.com
        kdc = tcp/kdc2.example.com:8888
        kdc = udp/[2001:db8::1]:88
        kdc = 2001:db8::2
        kdc = https://proxy.example.com/KdcProxy
        admin_server = kdc1.example.com:749
        kpasswd_server = tcp/127.0.0.1:17464
        disable_encrypted_timestamp = true
    }
    OTHER.ORG = {
        kdc = 192.0.2.1
    }

[domain_realm]
    .example.com = EXAMPLE.COM
    example.com = EXAMPLE.COM
    special.host.example.com = OTHER.ORG
    Mixed.Case.ORG = OTHER.ORG

[capaths]
    A.EXAMPLE.COM = {
        B.EXAMPLE.COM = .
        C.EXAMPLE.COM = B.EXAMPLE.COM
        D.EXAMPLE.COM = B.EXAMPLE.COM
        D.EXAMPLE.COM = C.EXAMPLE.COM
    }
"#;

#[test]
fn reads_libdefaults() {
    let c = conf(SAMPLE).unwrap();
    assert_eq!(c.default_realm.as_ref().unwrap().as_str(), "EXAMPLE.COM");
    assert!(!c.dns_lookup_kdc && c.dns_lookup_realm && !c.rdns);
    assert!(c.forwardable && c.proxiable && c.canonicalize && !c.allow_weak_crypto);
    assert_eq!(c.ticket_lifetime, Duration::from_secs(36000));
    assert_eq!(c.renew_lifetime, Duration::from_secs(7 * 86400));
    assert_eq!(c.clockskew, Duration::from_secs(5400));
    assert_eq!(c.kdc_timeout, Duration::from_secs(3));
    assert_eq!(c.udp_preference_limit, 1);
    // rc4 is weak (dropped without allow_weak_crypto); des-cbc-crc is unknown (ignored).
    assert_eq!(c.default_tkt_enctypes, [Enctype::Aes256CtsHmacSha196]);
    assert_eq!(
        c.default_tgs_enctypes,
        [
            Enctype::Aes256CtsHmacSha196,
            Enctype::Aes256CtsHmacSha384192
        ]
    );
    assert_eq!(c.permitted_enctypes, default_enctypes());
    assert_eq!(
        c.default_ccache_name.as_deref(),
        Some("KEYRING:persistent:%{uid}")
    );
    assert_eq!(
        c.default_keytab_name.as_deref(),
        Some("FILE:/etc/app.keytab")
    );
    assert_eq!(
        c.default_client_keytab_name.as_deref(),
        Some("FILE:/etc/client.keytab")
    );
}

#[test]
fn mit_defaults_when_unset() {
    let c = Krb5Conf::from_profile(&Profile::default()).unwrap();
    assert_eq!(c.default_realm, None);
    assert!(c.dns_lookup_kdc && !c.dns_lookup_realm && c.dns_uri_lookup && c.rdns);
    assert!(!c.forwardable && !c.proxiable && !c.canonicalize && !c.allow_weak_crypto);
    assert_eq!(c.ticket_lifetime, Duration::from_secs(86400));
    assert_eq!(c.renew_lifetime, Duration::ZERO);
    assert_eq!(c.clockskew, Duration::from_secs(300));
    assert_eq!(c.kdc_timeout, Duration::from_secs(1));
    assert_eq!(c.udp_preference_limit, 1465);
    let default = [18, 17, 20, 19].map(|n| Enctype::from_i32(n).unwrap());
    assert_eq!(c.default_tkt_enctypes, default);
    assert_eq!(c.default_tgs_enctypes, default);
    assert_eq!(c.permitted_enctypes, default);
    assert!(c.realms.is_empty() && c.domain_realm.is_empty() && c.capaths.is_empty());
}

#[test]
fn reads_realms_and_kdc_forms() {
    let c = conf(SAMPLE).unwrap();
    let host = |transport, host: &str, port| KdcServer::Host {
        transport,
        host: host.into(),
        port,
    };
    let r = &c.realms["EXAMPLE.COM"];
    assert_eq!(
        r.kdc,
        [
            host(Transport::Any, "kdc1.example.com", None),
            host(Transport::Tcp, "kdc2.example.com", Some(8888)),
            host(Transport::Udp, "2001:db8::1", Some(88)),
            host(Transport::Any, "2001:db8::2", None),
            KdcServer::Https("https://proxy.example.com/KdcProxy".into()),
        ]
    );
    assert_eq!(
        r.admin_server,
        [host(Transport::Any, "kdc1.example.com", Some(749))]
    );
    assert_eq!(
        r.kpasswd_server,
        [host(Transport::Tcp, "127.0.0.1", Some(17464))]
    );
    assert!(r.disable_encrypted_timestamp);
    assert!(!c.realms["OTHER.ORG"].disable_encrypted_timestamp);
    assert_eq!(
        c.realms["OTHER.ORG"].kdc,
        [host(Transport::Any, "192.0.2.1", None)]
    );
    for bad in [
        "host:0",
        "host:99999",
        "host:x",
        "[::1",
        "[::1]x",
        "",
        "tcp/",
        "   ",
        ":88",
        "kdc:",
        "[]:88",
        "sctp/kdc:88",
        "k dc:88",
        "ünïcödé\u{0}:1",
    ] {
        assert_eq!(KdcServer::parse(bad), None, "{bad}");
    }
}

#[test]
fn domain_realm_walks_up_like_mit() {
    let c = conf(SAMPLE).unwrap();
    let realm = |h| c.realm_for_host(h).map(Realm::as_str);
    assert_eq!(realm("special.host.example.com"), Some("OTHER.ORG"));
    assert_eq!(realm("www.example.com"), Some("EXAMPLE.COM"));
    assert_eq!(realm("a.b.Example.COM."), Some("EXAMPLE.COM"));
    assert_eq!(realm("example.com"), Some("EXAMPLE.COM"));
    assert_eq!(realm("mixed.case.org"), Some("OTHER.ORG"));
    assert_eq!(realm("example.org"), None);
    assert_eq!(realm(""), None);
}

#[test]
fn capaths_routes() {
    let c = conf(SAMPLE).unwrap();
    assert_eq!(c.capath("A.EXAMPLE.COM", "B.EXAMPLE.COM"), Some(vec![]));
    assert_eq!(
        c.capath("A.EXAMPLE.COM", "D.EXAMPLE.COM"),
        Some(vec!["B.EXAMPLE.COM", "C.EXAMPLE.COM"])
    );
    assert_eq!(c.capath("A.EXAMPLE.COM", "E.EXAMPLE.COM"), None);
    assert_eq!(c.capath("Z", "B.EXAMPLE.COM"), None);
}

#[test]
fn bad_values_name_file_and_line() {
    let err = conf("[libdefaults]\n\n forwardable = maybe\n").unwrap_err();
    assert_eq!(
        err.to_string(),
        "krb5.conf:3: invalid value 'maybe' for forwardable: expected a boolean"
    );
    assert!(conf("[libdefaults]\n clockskew = 5 minutes\n").is_err());
    assert!(conf("[realms]\n R = {\n kdc = a:b:c]:\n kdc = h:70000\n }\n").is_err());
}

#[test]
fn booleans() {
    for t in ["true", "YES", "y", "t", "1", "on"] {
        assert_eq!(parse_bool(t), Some(true), "{t}");
    }
    for f in ["false", "No", "n", "nil", "0", "off"] {
        assert_eq!(parse_bool(f), Some(false), "{f}");
    }
    assert_eq!(parse_bool("2"), None);
}

#[test]
fn durations() {
    let d = |s| parse_duration(s).map(|d| d.as_secs());
    assert_eq!(d("36000"), Some(36000));
    assert_eq!(d("10h"), Some(36000));
    assert_eq!(d("1d"), Some(86400));
    assert_eq!(d("1h30m"), Some(5400));
    assert_eq!(d("1d 2h 3m 4s"), Some(93784));
    assert_eq!(d("10:00"), Some(36000));
    assert_eq!(d("1:00:00"), Some(3600));
    assert_eq!(d("0:30"), Some(1800));
    for bad in [
        "", "h", "1x", "1m1h", "1h1h", "1:60", "1:2:3:4", "10h5", "-5", "1.5h",
    ] {
        assert_eq!(d(bad), None, "{bad}");
    }
    assert_eq!(d("99999999999999999999d"), None);
    assert_eq!(d("999999999999999999d"), None);
}

#[test]
fn enctype_lists() {
    let e = |n| Enctype::from_i32(n).unwrap();
    assert_eq!(
        parse_enctypes("DEFAULT", false),
        [e(18), e(17), e(20), e(19)]
    );
    assert_eq!(
        parse_enctypes("aes128-cts aes256-cts,aes128-cts", false),
        [e(17), e(18)]
    );
    assert_eq!(
        parse_enctypes("DEFAULT -aes256-cts +rc4-hmac", false),
        [e(17), e(20), e(19)]
    );
    assert_eq!(parse_enctypes("rc4-hmac DEFAULT", true)[0], e(23));
    assert!(parse_enctypes("des-cbc-crc camellia128-cts", false).is_empty());
}

#[test]
fn loads_krb5_config_list_with_earlier_files_winning() {
    let files = MemSource(
        [
            ("/first", "[libdefaults]\n default_realm = FIRST\n"),
            (
                "/second",
                "[libdefaults]\n default_realm = SECOND\n clockskew = 60\n",
            ),
        ]
        .into_iter()
        .map(|(p, t)| (PathBuf::from(p), t.to_string()))
        .collect(),
    );
    let c = Krb5Conf::load_from(&config_files(Some("/first:/second")), &files).unwrap();
    assert_eq!(c.default_realm.unwrap().as_str(), "FIRST");
    assert_eq!(c.clockskew, Duration::from_secs(60));
    assert!(Krb5Conf::load(Some("/nonexistent/krb5.conf")).is_ok());
}

proptest::proptest! {
    /// Arbitrary values in every typed position give errors, never panics.
    #[test]
    fn garbage_values_never_panic(value in "[0-9a-z:\\[\\]/.,+ -]{0,24}") {
        for tag in ["ticket_lifetime", "forwardable", "default_tkt_enctypes", "udp_preference_limit"] {
            let _ = conf(&format!("[libdefaults]\n {tag} = {value}\n"));
        }
        let _ = conf(&format!("[realms]\n R = {{\n kdc = {value}\n }}\n"));
        let _ = KdcServer::parse(&value);
        let _ = parse_duration(&value);
    }
}

#[test]
fn dns_fallback_sets_unset_dns_lookups_like_mit() {
    let c = conf("[libdefaults]\n dns_fallback = yes\n").unwrap();
    assert!(c.dns_lookup_kdc && c.dns_lookup_realm);
    let c = conf("[libdefaults]\n dns_fallback = no\n dns_lookup_realm = true\n").unwrap();
    assert!(!c.dns_lookup_kdc && c.dns_lookup_realm);
    let c = conf("[libdefaults]\n dns_uri_lookup = false\n").unwrap();
    assert!(!c.dns_uri_lookup && c.dns_lookup_kdc);
}
