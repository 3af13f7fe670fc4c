//! `kerb kpasswd [PRINCIPAL]`: MIT 1.20's kpasswd. The client is the argument, else the
//! default cache's principal, else the login name; a `kadmin/changepw` ticket is obtained
//! with the current password (armored with the default cache's TGT when the cache says the
//! realm takes FAST), the new one is read twice and sent (RFC 3244).
//!
//! Exit status as MIT's: 0 "Password changed.", 1 for a failure before the server's answer,
//! 2 when the server refuses (its result code and string are printed on stdout).

use std::ffi::OsString;
use std::process::ExitCode;

use kdc_client::Principal;
use kdc_client::client::{Client, ClientError};
use kdc_client::exchange::ExchangeError;
use kdc_client::session::{Armor, NotChanged, Session, SessionError};

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
    // As MIT's kpasswd, the default cache is always opened: its principal is the default
    // client, and its TGT armors the kadmin/changepw request (FAST) when the cache says the
    // realm's KDC takes FAST, so a KDC that takes passwords only inside FAST can be used.
    let handle = common::open_ccache(None, Some(&conf))
        .map_err(|e| format!("{e} opening default ccache"))?;
    let cached = match handle.load() {
        Ok(cache) => Some(cache),
        Err(e) if e.is_not_found() => None,
        Err(e) => return Err(format!("{e} getting principal from ccache")),
    };
    let principal = match (name, &cached) {
        (Some(n), _) => Principal::parse(n, conf.default_realm.as_ref())
            .map_err(|e| format!("{e} parsing client name"))?,
        (None, Some(cache)) => cache.default_principal.clone(),
        (None, None) => {
            let user = common::user_name().ok_or("unable to identify user from password file")?;
            Principal::parse(&user, conf.default_realm.as_ref())
                .map_err(|e| format!("{e} parsing client name"))?
        }
    };
    let armored = cached.is_some_and(|c| c.takes_fast(&principal.realm));
    let mut session = Session::new(Client::new(conf), handle.clone());
    if armored {
        session = session.with_armor(Armor::Cache(handle));
    }
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

/// MIT reports a reply that does not decrypt with the current password as "Password
/// incorrect" (a KDC's KDC_ERR_PREAUTH_FAILED is reported as the KDC's error).
fn password_incorrect(e: &ClientError) -> bool {
    matches!(e, ClientError::Exchange(ExchangeError::BadReplyKey))
}
