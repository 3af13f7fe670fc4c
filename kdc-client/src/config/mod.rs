//! Configuration: MIT `krb5.conf` files (see MIT's `krb5.conf(5)` man page).
//!
//! [`profile`] parses MIT's profile syntax into a generic tree (sections, relations,
//! subsections, `include`/`includedir`, the `*` final marker) and merges several files like
//! MIT's profile library. [`krb5conf`] gives the typed view the client uses.

pub mod krb5conf;
pub mod profile;

pub use krb5conf::{KdcServer, Krb5Conf, RealmConfig, Transport};
pub use profile::{ConfigError, FsSource, MemSource, Profile, Source};

/// A `%{...}` token that [`expand_path`] does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown or unterminated path token in '{0}'")]
pub struct UnknownPathToken(pub String);

/// Expand MIT's path tokens (`k5_expand_path_tokens`): `%{uid}`, `%{euid}` and `%{USERID}`
/// become `uid`; `%{null}` becomes nothing. Other tokens are refused rather than guessed.
pub fn expand_path(s: &str, uid: u32) -> Result<String, UnknownPathToken> {
    let mut out = String::new();
    let mut rest = s;
    while let Some(start) = rest.find("%{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after.find('}').ok_or_else(|| UnknownPathToken(s.into()))?;
        match &after[..end] {
            "uid" | "euid" | "USERID" => out.push_str(&uid.to_string()),
            "null" => {}
            _ => return Err(UnknownPathToken(s.into())),
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// The current user id, without libc: the owner of `/proc/self` (Linux).
pub fn current_uid() -> std::io::Result<u32> {
    use std::os::unix::fs::MetadataExt;
    Ok(std::fs::metadata("/proc/self")?.uid())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expands_mit_tokens() {
        assert_eq!(
            expand_path("FILE:/tmp/krb5cc_%{uid}", 1000).unwrap(),
            "FILE:/tmp/krb5cc_1000"
        );
        assert_eq!(expand_path("%{USERID}/%{euid}%{null}", 7).unwrap(), "7/7");
        assert!(expand_path("%{TEMP}/x", 7).is_err());
        assert!(expand_path("/x%{uid", 7).is_err());
        assert!(current_uid().is_ok());
    }
}
