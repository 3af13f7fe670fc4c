//! Arbitrary text as krb5.conf (includes resolve against an empty in-memory file set):
//! parsing and the typed view must return errors, never panic.
#![no_main]

use kdc_client::config::Krb5Conf;
use kdc_client::config::profile::{MemSource, Profile};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(profile) = Profile::parse(text, "fuzz.conf", &MemSource::default())
        && let Ok(conf) = Krb5Conf::from_profile(&profile)
    {
        let _ = conf.realm_for_host("www.example.com");
    }
});
