//! `kerb kpasswd [PRINCIPAL]`: MIT 1.20's kpasswd. The client is the argument, else the
//! default cache's principal, else the login name; a `kadmin/changepw` ticket is obtained
//! with the current password, the new one is read twice and sent (RFC 3244).
//!
//! Exit status as MIT's: 0 "Password changed.", 1 for a failure before the server's answer,
//! 2 when the server refuses (its result code and string are printed on stdout).

use std::ffi::OsString;
use std::process::ExitCode;

use kdc_client::client::{Client, ClientError};
use kdc_client::exchange::ExchangeError;
use kdc_client::session::{NotChanged, Session, SessionError};
use kdc_client::{Principal, ccache::CcacheHandle};

use crate::{common, prompt};

const PROG: &str = "kpasswd";

/// `kerb kpasswd`.
pub fn run(args: Vec<OsString>) -> ExitCode {
    crate::trace::init(false);
    if args.len() > 1 {
        eprintln!("usage: {PROG} [principal]");
        return ExitCode::from(1);
    }
    let name = match args.first().map(|a| a.clone().into_string()) {
        Some(Ok(n)) => Some(n),
        Some(Err(_)) => return common::fail(PROG, "argument is not UTF-8"),
        None => None,
    };
    match kpasswd(name.as_deref()) {
        Ok(code) => code,
        Err(m) => common::fail(PROG, m),
    }
}

fn kpasswd(name: Option<&str>) -> Result<ExitCode, String> {
    let conf = common::load_config().map_err(|e| format!("{e} initializing kerberos library"))?;
    let (principal, cache) = match name {
        Some(n) => (
            Principal::parse(n, conf.default_realm.as_ref())
                .map_err(|e| format!("{e} parsing client name"))?,
            None,
        ),
        None => {
            let (principal, cache) = default_client(&conf)?;
            (principal, Some(cache))
        }
    };
    // A password change does not touch the session's cache: with a principal given, MIT's
    // kpasswd opens none, so neither does this (the file name is never used).
    let cache = cache.unwrap_or_else(|| CcacheHandle::file("/dev/null"));
    let session = Session::new(Client::new(conf), cache);
    let change = common::block_on(session.change_password(&principal, &prompt::Terminal))
        .map_err(|e| format!("{e} getting initial ticket"))?;
    let result = match change {
        Ok(result) => result,
        Err(SessionError::NotChanged(NotChanged::Mismatch)) => {
            return Err("Password mismatch while reading password".into());
        }
        Err(SessionError::Prompt(e)) => return Err(format!("{e} while reading password")),
        Err(SessionError::Kpasswd(e)) => return Err(format!("{e} changing password")),
        Err(SessionError::Client(e)) if password_incorrect(&e) => {
            return Err("Password incorrect while getting initial ticket".to_owned());
        }
        Err(e) => return Err(format!("{e} getting initial ticket")),
    };
    if !result.is_success() {
        println!("{result}");
        return Ok(ExitCode::from(2));
    }
    println!("Password changed.");
    Ok(ExitCode::SUCCESS)
}

/// The default cache's principal, else the login name in the default realm (MIT's order),
/// and the default cache.
fn default_client(
    conf: &kdc_client::config::Krb5Conf,
) -> Result<(Principal, CcacheHandle), String> {
    let handle =
        common::open_ccache(None, Some(conf)).map_err(|e| format!("{e} opening default ccache"))?;
    match handle.principal() {
        Ok(p) => return Ok((p, handle)),
        Err(e) if !e.is_not_found() => return Err(format!("{e} getting principal from ccache")),
        Err(_) => {}
    }
    let user = common::user_name().ok_or("unable to identify user from password file")?;
    let principal = Principal::parse(&user, conf.default_realm.as_ref())
        .map_err(|e| format!("{e} parsing client name"))?;
    Ok((principal, handle))
}

/// MIT reports a reply that does not decrypt with the current password as "Password
/// incorrect" (a KDC's KDC_ERR_PREAUTH_FAILED is reported as the KDC's error).
fn password_incorrect(e: &ClientError) -> bool {
    matches!(e, ClientError::Exchange(ExchangeError::BadReplyKey))
}
