//! The sans-IO connection-phase state machine (mysql-auth) fed arbitrary server packets.
//! Input: framed packets (3-byte length + seq + payload). Must never panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mysql_auth::packet::PacketDecoder;
use mysql_auth::{
    ClientHandshake, ContextRequest, GssError, GssInitiator, GssStep, HandshakeOptions,
    KerberosPlugin, Step,
};

struct Fake(bool);
impl GssInitiator for Fake {
    fn initial_token(&mut self, _: &ContextRequest) -> Result<GssStep, GssError> {
        Ok(GssStep {
            token: Some(vec![0x60, 0]),
            complete: !self.0,
        })
    }
    fn step(&mut self, t: &[u8]) -> Result<GssStep, GssError> {
        if t.first() == Some(&0x60) {
            Ok(GssStep {
                token: None,
                complete: true,
            })
        } else {
            Err("bad token".into())
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let plugin = if mode & 1 == 0 {
        KerberosPlugin::MysqlKerberos
    } else {
        KerberosPlugin::MariadbGssapi
    };
    let mut hs = ClientHandshake::new(HandshakeOptions::new("u", plugin));
    let mut gss = Fake(mode & 2 != 0);
    let mut dec = PacketDecoder::new(1 << 16);
    dec.extend(rest);
    while let Ok(Some(p)) = dec.next_packet() {
        let mut step = hs.handle_packet(&p);
        loop {
            step = match step {
                Ok(Step::NeedToken(req)) => hs.gss_answer(gss.initial_token(&req)),
                Ok(Step::ServerToken(t)) => hs.gss_answer(gss.step(&t)),
                Ok(Step::StartTls(_)) => hs.tls_established(),
                Ok(Step::Authenticated(_)) | Err(_) => return,
                Ok(Step::Send(_) | Step::Wait) => break,
                // A step this target does not drive yet: the input ends here.
                Ok(_) => return,
            };
        }
    }
});
