use super::*;
use crate::ccache::{KdcOffset, Keyblock};
use crate::principal::{NameType, PrincipalName, Realm};

fn princ(components: &[&str], realm: &str) -> Principal {
    let name = PrincipalName::new(
        NameType::Principal,
        components.iter().map(|c| (*c).to_owned()).collect(),
    )
    .unwrap();
    Principal::new(name, Realm::new(realm).unwrap())
}

fn cred(server: &str) -> CacheEntry {
    CacheEntry {
        client: princ(&["joedoe"], "ONPREM.LOCAL"),
        server: princ(&[server, "ONPREM.LOCAL"], "ONPREM.LOCAL"),
        key: Keyblock {
            enctype: 18,
            bytes: Zeroizing::new(vec![7; 32]),
        },
        authtime: 1,
        starttime: 2,
        endtime: 3,
        renew_till: 4,
        is_skey: false,
        ticket_flags: 0x40e1_0000,
        addresses: Vec::new(),
        authdata: Vec::new(),
        ticket: vec![0x61, 0x01, 0x00],
        second_ticket: Vec::new(),
    }
}

#[test]
fn requests_are_framed_like_mit() {
    let r = encode_request(Opcode::GetPrincipal, Some("0:1"), &[]).unwrap();
    assert_eq!(&r[..], &[0, 0, 0, 8, 2, 0, 0, 8, b'0', b':', b'1', 0]);
    let r = encode_request(Opcode::GetCredList, None, &[9, 9]).unwrap();
    assert_eq!(&r[..], &[0, 0, 0, 6, 2, 0, 0x32, 0xc9, 9, 9]);
    assert!(matches!(
        encode_request(Opcode::Destroy, Some("a\0b"), &[]),
        Err(KcmError::BadName)
    ));
}

#[test]
fn replies_are_bounded_and_statuses_surface() {
    assert_eq!(decode_reply_header([0, 0, 0, 4, 0, 0, 0, 0]).unwrap(), 4);
    assert!(matches!(
        decode_reply_header([0, 0xa0, 0, 1, 0, 0, 0, 0]),
        Err(KcmError::ReplyTooBig)
    ));
    let nofile = status::KRB5_FCC_NOFILE.to_be_bytes();
    let mut h = [0u8; 8];
    h[4..].copy_from_slice(&nofile);
    assert!(matches!(
        decode_reply_header(h),
        Err(KcmError::Status(status::KRB5_FCC_NOFILE))
    ));
    assert_eq!(decode_reply_body(&[0, 0, 0, 0, 5]).unwrap(), &[5]);
    assert!(matches!(
        decode_reply_body(&[0, 0, 0]),
        Err(KcmError::Malformed)
    ));
    let e = decode_reply_body(&nofile).unwrap_err();
    assert_eq!(e.to_string(), "No credentials cache found");
    assert_eq!(KcmError::Status(-1).to_string(), "KCM daemon error -1");
    assert!(status::is_unsupported(status::KRB5_FCC_INTERNAL));
    assert!(!status::is_unsupported(status::KRB5_FCC_NOFILE));
}

#[test]
fn names_uuids_and_offsets() {
    assert_eq!(decode_name(b"0:1\0junk").unwrap(), "0:1");
    assert!(decode_name(b"0:1").is_err());
    assert!(decode_name(&[0xff, 0]).is_err());
    let list = decode_uuid_list(&[1; 32]).unwrap();
    assert_eq!(list, vec![[1; 16], [1; 16]]);
    assert!(decode_uuid_list(&[1; 17]).is_err());
    assert!(decode_uuid_list(&[]).unwrap().is_empty());
    assert_eq!(decode_offset(&[0xff, 0xff, 0xff, 0xfe]).unwrap(), -2);
    assert!(decode_offset(&[0; 3]).is_err());
    assert_eq!(decode_principal(&[]).unwrap(), None);
    let p = princ(&["joedoe"], "ONPREM.LOCAL");
    let bytes = encode_principal_v4(&p).unwrap();
    assert_eq!(decode_principal(&bytes).unwrap(), Some(p));
    assert!(decode_principal(&bytes[..bytes.len() - 1]).is_err());
}

#[test]
fn cred_lists_round_trip_through_replace_args() {
    let mut cache = Ccache::new(princ(&["joedoe"], "ONPREM.LOCAL"));
    cache.kdc_offset = Some(KdcOffset {
        seconds: -5,
        microseconds: 0,
    });
    cache.credentials = vec![cred("krbtgt"), cred("host")];
    let args = encode_replace_args(&cache).unwrap();
    assert_eq!(&args[..4], &(-5i32).to_be_bytes());
    let princ_len = encode_principal_v4(&cache.default_principal).unwrap().len();
    // The tail of REPLACE's arguments is exactly a GET_CRED_LIST payload.
    let list = decode_cred_list(&args[4 + princ_len..]).unwrap();
    assert_eq!(list, cache.credentials);
    for cut in 0..args.len() - 4 - princ_len {
        assert!(
            decode_cred_list(&args[4 + princ_len..][..cut]).is_err(),
            "cut {cut}"
        );
    }
}

#[test]
fn cred_list_count_is_bounded_before_allocating() {
    assert!(matches!(
        decode_cred_list(&[0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]),
        Err(KcmError::Malformed)
    ));
    assert!(decode_cred_list(&[0, 0, 0, 0]).unwrap().is_empty());
    // A credential followed by garbage inside its length is malformed.
    let mut bytes = cred("krbtgt").encode_v4().unwrap().to_vec();
    bytes.push(0);
    let mut payload = vec![0, 0, 0, 1];
    payload.extend_from_slice(&u32::try_from(bytes.len()).unwrap().to_be_bytes());
    payload.extend_from_slice(&bytes);
    assert!(decode_cred_list(&payload).is_err());
}

#[test]
fn kcm_names() {
    assert_eq!(KcmName::parse("").unwrap().cache, None);
    assert_eq!(KcmName::parse("0:1").unwrap().to_string(), "0:1");
    assert!(KcmName::parse("\0").is_err());
}

#[test]
fn replace_args_are_reserved_at_their_exact_size() {
    let mut c = Ccache::new(princ(&["user"], "R"));
    c.store(cred("krbtgt/R@R"));
    c.store(cred("HTTP/h.r@R"));
    let out = encode_replace_args(&c).unwrap();
    assert_eq!(out.len(), out.capacity());
}
