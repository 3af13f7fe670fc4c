//! Authentication-phase packets (mysql-auth): AuthSwitchRequest, AuthMoreData, OK, ERR and the
//! two Kerberos plugins' server data. Must never panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mysql_auth::messages::{AuthPacket, AuthSwitchRequest, ErrPacket, OkPacket};
use mysql_auth::plugin::{GssapiData, MysqlKerberosData};

fuzz_target!(|data: &[u8]| {
    let _ = AuthPacket::parse(data);
    let _ = AuthSwitchRequest::parse(data);
    let _ = OkPacket::parse(data);
    let _ = ErrPacket::parse(data);
    let _ = MysqlKerberosData::parse(data);
    let _ = GssapiData::parse(data);
});
