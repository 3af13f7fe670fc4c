//! Offline checks of tokens captured from MIT's initiator (vectors/data/gss-mit-initiator.txt):
//! our acceptor accepts MIT's initial context token and verifies MIT's Wrap and MIC tokens.

use gss_mech::{
    Acceptor, AcceptorOptions, ContextFlags, GssError, RandomSource, SeqStatus, Timestamp,
};
use kdc_client::Principal;
use kdc_client::crypto::CryptoError;
use kdc_client::keytab::{Keytab, KeytabEntry};

struct Fixed;

impl RandomSource for Fixed {
    fn fill(&mut self, buf: &mut [u8]) -> Result<(), CryptoError> {
        buf.fill(0x42);
        Ok(())
    }
}

#[test]
fn mit_initiator_tokens_are_accepted_offline() {
    for r in vectors::load("gss-mit-initiator.txt") {
        let service = Principal::parse(r.get("service"), None).unwrap();
        let kt = Keytab {
            entries: vec![KeytabEntry {
                principal: service.clone(),
                timestamp: 0,
                kvno: 1,
                enctype: i32::try_from(r.int("enctype")).unwrap(),
                key: r.hex("key").into(),
            }],
        };
        let now = Timestamp {
            secs: r.int("time"),
            usec: 0,
        };
        let opts = AcceptorOptions::default().with_service(service);
        let mut acc = Acceptor::new(kt.clone(), opts);
        let token = r.hex("token");
        let a = acc.accept(&token, now, &mut Fixed).unwrap();
        assert_eq!(a.initiator.to_string(), r.get("initiator"));
        assert!(a.output_token.is_none());
        assert_eq!(a.flags.0 & ContextFlags::KNOWN, 0x3c);
        assert!(matches!(
            acc.accept(&token, now, &mut Fixed),
            Err(GssError::Replay)
        ));
        // Ten minutes later: outside the 5-minute skew.
        let mut late = Acceptor::new(kt.clone(), AcceptorOptions::default());
        let e = late
            .accept(&token, now.offset(600), &mut Fixed)
            .unwrap_err();
        assert!(matches!(e, GssError::Skew(-600)), "{e}");

        let mut ctx = a.context;
        let mic = r.hex("mic");
        let mut bad = mic.clone();
        bad[20] ^= 1;
        assert!(matches!(
            ctx.verify_mic(&r.hex("msg_mic"), &bad),
            Err(GssError::BadSignature)
        ));
        let u = ctx.unwrap(&r.hex("wrap_sealed")).unwrap();
        assert_eq!(
            (u.data, u.confidential, u.seq),
            (r.hex("msg_sealed"), true, SeqStatus::InOrder)
        );
        let u = ctx.unwrap(&r.hex("wrap_integ")).unwrap();
        assert_eq!((u.data, u.confidential), (r.hex("msg_integ"), false));
        assert_eq!(
            ctx.verify_mic(&r.hex("msg_mic"), &mic).unwrap(),
            SeqStatus::InOrder
        );
        assert!(matches!(
            ctx.verify_mic(&r.hex("msg_mic"), &mic),
            Err(GssError::Duplicate(_))
        ));
    }
}
