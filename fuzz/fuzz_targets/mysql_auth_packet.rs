//! Authentication-phase packets (mysql-auth): AuthSwitchRequest, AuthMoreData, OK, ERR and the
//! two Kerberos plugins' server data, the SPN policy on the SPNs they name, and the escaping
//! of an ERR message for printing. Must never panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mysql_auth::{SpnContext, SpnPolicy};
use mysql_auth::messages::{AuthPacket, AuthSwitchRequest, ErrPacket, OkPacket};
use mysql_auth::plugin::{GssapiData, MysqlKerberosData};

fuzz_target!(|data: &[u8]| {
    let _ = AuthPacket::parse(data);
    let _ = AuthSwitchRequest::parse(data);
    let _ = OkPacket::parse(data);
    if let Ok(e) = ErrPacket::parse(data) {
        let shown = e.to_string();
        assert!(!shown.contains('\x1b'));
    }
    let spns = [
        MysqlKerberosData::parse(data).ok().map(|d| d.spn),
        GssapiData::parse(data).ok().map(|d| d.spn),
    ];
    // A host with a DNS domain and no mapping (the realm message names the host).
    let ctx = SpnContext::new("db.corp.example.com", None, Some("EXAMPLE.COM".into()));
    for spn in spns.into_iter().flatten() {
        for policy in [SpnPolicy::DatabaseServices, SpnPolicy::AnyExceptKdc] {
            if let Err(e) = policy.check(&spn, &ctx) {
                assert!(!e.to_string().contains('\x1b'));
            }
        }
    }
});
