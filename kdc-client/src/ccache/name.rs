//! Credential cache names as MIT spells them: `TYPE:residual`, a bare path meaning `FILE:`.

use std::fmt;
use std::path::PathBuf;

use super::dir::DirName;
use super::kcm::KcmName;
use super::keyring::KeyringName;
use super::{CcacheError, DEFAULT_CCACHE_NAME};
use crate::config::expand_path;

/// A parsed credential cache name. Only the types this crate can open are representable.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CcacheName {
    /// `FILE:path`, or a bare path.
    File(PathBuf),
    /// `DIR:dirname` (a collection) or `DIR::dirname/tkt...` (one cache of it).
    Dir(DirName),
    /// `KEYRING:[anchor:]collection[:subsidiary]` (opened only with the `keyring` feature).
    Keyring(KeyringName),
    /// `KCM:[name]`, a cache kept by a KCM daemon (opened only with the `kcm` feature).
    Kcm(KcmName),
}

impl CcacheName {
    /// Parse `TYPE:residual`. `MEMORY:`, `API:` and unknown types are refused.
    pub fn parse(name: &str) -> Result<Self, CcacheError> {
        if name.starts_with('/') {
            return Ok(Self::File(PathBuf::from(name)));
        }
        match name.split_once(':') {
            None => Ok(Self::File(PathBuf::from(name))),
            Some(("FILE", path)) => Ok(Self::File(PathBuf::from(path))),
            Some(("DIR", residual)) => DirName::parse(residual).map(Self::Dir),
            Some(("KEYRING", residual)) => KeyringName::parse(residual).map(Self::Keyring),
            Some(("KCM", residual)) => Ok(Self::Kcm(KcmName::parse(residual)?)),
            Some((ty, _)) => Err(CcacheError::UnsupportedType(ty.to_owned())),
        }
    }

    /// The cache to use, as MIT chooses it: `krb5ccname` (the `KRB5CCNAME` environment value,
    /// or `-c`) if set, else `config_default` (`[libdefaults] default_ccache_name`, with MIT's
    /// `%{uid}`-style tokens expanded), else [`DEFAULT_CCACHE_NAME`].
    pub fn resolve(
        krb5ccname: Option<&str>,
        config_default: Option<&str>,
        uid: u32,
    ) -> Result<Self, CcacheError> {
        let name = match krb5ccname {
            Some(n) => n.to_owned(),
            None => expand_path(config_default.unwrap_or(DEFAULT_CCACHE_NAME), uid)?,
        };
        Self::parse(&name)
    }
}

impl CcacheName {
    /// The file holding the credentials, for FILE caches and the caches of a DIR collection.
    pub fn file_path(&self) -> Option<PathBuf> {
        match self {
            Self::File(p) => Some(p.clone()),
            Self::Dir(DirName::Subsidiary { dir, file }) => Some(dir.join(file)),
            Self::Dir(DirName::Collection(_)) | Self::Keyring(_) | Self::Kcm(_) => None,
        }
    }
}

impl CcacheName {
    /// The name without its type, as MIT's `krb5_cc_get_name` gives it (`/tmp/krb5cc_0`,
    /// `persistent:0:0`).
    pub fn residual(&self) -> String {
        match self {
            Self::File(p) => p.display().to_string(),
            Self::Dir(d) => d.to_string(),
            Self::Keyring(k) => k.to_string(),
            Self::Kcm(k) => k.to_string(),
        }
    }
}

impl fmt::Display for CcacheName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::File(p) => write!(f, "FILE:{}", p.display()),
            Self::Dir(d) => write!(f, "DIR:{d}"),
            Self::Keyring(k) => write!(f, "KEYRING:{k}"),
            Self::Kcm(k) => write!(f, "KCM:{k}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ccache::keyring::Anchor;

    #[test]
    fn the_residual_is_the_name_without_its_type() {
        for (name, residual) in [
            ("/tmp/krb5cc_0", "/tmp/krb5cc_0"),
            ("FILE:/tmp/x", "/tmp/x"),
            ("DIR::/tmp/d/tkt", ":/tmp/d/tkt"),
            ("KEYRING:persistent:0:0", "persistent:0:0"),
        ] {
            let n = CcacheName::parse(name).unwrap();
            assert_eq!(n.residual(), residual, "{name}");
            assert!(n.to_string().ends_with(&format!(":{residual}")), "{name}");
        }
    }

    #[test]
    fn parses_and_resolves_like_mit() {
        let r = |env, conf| CcacheName::resolve(env, conf, 1000).map(|n| n.to_string());
        assert_eq!(r(None, None).unwrap(), "FILE:/tmp/krb5cc_1000");
        assert_eq!(r(Some("/tmp/x"), None).unwrap(), "FILE:/tmp/x");
        assert_eq!(r(Some("rel/x"), None).unwrap(), "FILE:rel/x");
        assert_eq!(
            r(None, Some("FILE:/run/user/%{uid}/cc")).unwrap(),
            "FILE:/run/user/1000/cc"
        );
        assert_eq!(
            r(None, Some("KEYRING:persistent:%{uid}")).unwrap(),
            "KEYRING:persistent:1000"
        );
        assert!(matches!(
            CcacheName::resolve(None, Some("FILE:%{TEMP}/cc"), 1),
            Err(CcacheError::Path(_))
        ));
        assert_eq!(r(Some("DIR:/tmp/d"), None).unwrap(), "DIR:/tmp/d");
        assert_eq!(r(Some("DIR::/tmp/d/tkt"), None).unwrap(), "DIR::/tmp/d/tkt");
        for refused in ["MEMORY:x", "API:x", "XYZ:1"] {
            assert!(matches!(
                CcacheName::parse(refused),
                Err(CcacheError::UnsupportedType(_))
            ));
        }
        let k = CcacheName::parse("KEYRING:session:col:sub").unwrap();
        let CcacheName::Keyring(k) = k else {
            panic!("not a keyring name")
        };
        assert_eq!(k.anchor, Anchor::Session);
        assert_eq!(
            (k.collection.as_str(), k.subsidiary.as_deref()),
            ("col", Some("sub"))
        );
        for (name, cache) in [
            ("KCM:", None),
            ("KCM:0", Some("0")),
            ("KCM:1000:2", Some("1000:2")),
        ] {
            let n = CcacheName::parse(name).unwrap();
            assert_eq!(
                n,
                CcacheName::Kcm(KcmName {
                    cache: cache.map(str::to_owned)
                })
            );
            assert_eq!(n.to_string(), name);
        }
        assert!(CcacheName::parse("KCM:a\0b").is_err());
    }
}
