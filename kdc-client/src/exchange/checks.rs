//! Checks of a decrypted KDC reply against the request, shared by the AS and TGS exchanges:
//! as MIT's `verify_as_reply` and `krb5int_process_tgs_reply`, or stricter.
//!
//! * the ticket's cleartext server name equals the encrypted one (RFC 4120 §3.1.5, §3.3.4;
//!   MIT `KRB5_KDCREP_MODIFIED`); a referral names `krbtgt/NEXT@THIS` in both places;
//! * the session key's enctype is one the request offered (RFC 4120 §3.1.3: the KDC picks
//!   from the request's `etype`);
//! * times: the ticket does not end before it starts (stricter than MIT); it ends no later
//!   than the requested `till`; `renew-till` is within the requested `rtime` (or within
//!   `till` when only RENEWABLE-OK was set); a postdated ticket starts exactly when asked; a
//!   ticket asked for now starts within the clock skew of the request time.

use crate::asn1::{EncKdcRepPart, KdcRep};
use crate::crypto::Enctype;
use crate::error_code as ec;
use crate::{Principal, Realm};

use super::{Credentials, ExchangeError, KdcError};

/// What the request asked for, in the KDC's time (seconds since the epoch).
#[derive(Debug, Clone)]
pub(crate) struct Requested<'a> {
    /// The enctypes sent in the request's `etype`.
    pub enctypes: &'a [Enctype],
    /// The time the request was made.
    pub now: i64,
    /// The allowed clock skew, seconds.
    pub clockskew: i64,
    /// The start time the ticket must have exactly (a postdated AS request); when set, the
    /// skew check does not apply.
    pub exact_start: Option<i64>,
    /// Skip the skew check (a start time in the past was asked for, as MIT's `from`).
    pub no_skew_check: bool,
    /// Only check the skew when the reply states a start time (TGS: a reply without one
    /// starts at the original authtime, which may be long past).
    pub skew_needs_starttime: bool,
    /// The requested `till`; 0 = none.
    pub till: i64,
    /// The bound on `renew-till`: the requested `rtime`, or `till` with RENEWABLE-OK.
    pub renew_bound: Option<i64>,
}

/// Run every check; `realm` names the KDC's realm in errors.
pub(crate) fn check_reply(
    rep: &KdcRep,
    part: &EncKdcRepPart,
    creds: &Credentials,
    req: &Requested<'_>,
    realm: &Realm,
) -> Result<(), ExchangeError> {
    check_ticket_sname(rep, creds, realm)?;
    check_session_enctype(creds, req)?;
    check_times(part, creds, req, realm)
}

fn check_ticket_sname(
    rep: &KdcRep,
    creds: &Credentials,
    realm: &Realm,
) -> Result<(), ExchangeError> {
    let decode = |source| ExchangeError::Decode {
        realm: realm.clone(),
        what: "Ticket",
        source,
    };
    let ticket = rep.ticket.decode().map_err(decode)?;
    let clear: Principal = ticket.sname.to_principal(&ticket.realm).map_err(decode)?;
    if clear.name.components() != creds.server.name.components()
        || clear.realm != creds.server.realm
    {
        return Err(ExchangeError::Mismatch(format!(
            "the ticket names server {clear} but the encrypted part names {}",
            creds.server
        )));
    }
    Ok(())
}

fn check_session_enctype(creds: &Credentials, req: &Requested<'_>) -> Result<(), ExchangeError> {
    let e = creds.session_key.enctype();
    if !req.enctypes.contains(&e) {
        let offered: Vec<&str> = req.enctypes.iter().map(|e| e.name()).collect();
        return Err(ExchangeError::Mismatch(format!(
            "session key of enctype {e}, which the request did not offer ({})",
            offered.join(", ")
        )));
    }
    Ok(())
}

fn check_times(
    part: &EncKdcRepPart,
    creds: &Credentials,
    req: &Requested<'_>,
    realm: &Realm,
) -> Result<(), ExchangeError> {
    let start = creds.starttime.unwrap_or(creds.authtime);
    if creds.endtime < start {
        return Err(ExchangeError::Mismatch(format!(
            "the ticket ends ({}) before it starts ({start})",
            creds.endtime
        )));
    }
    if req.till != 0 && creds.endtime > req.till {
        return Err(ExchangeError::Mismatch(format!(
            "the ticket ends at {}, after the requested end time {}",
            creds.endtime, req.till
        )));
    }
    if let (Some(bound), Some(rt)) = (req.renew_bound, creds.renew_till)
        && creds.flags.renewable()
        && rt > bound
    {
        return Err(ExchangeError::Mismatch(format!(
            "the ticket is renewable until {rt}, after the requested {bound}"
        )));
    }
    if let Some(want) = req.exact_start {
        if start != want {
            return Err(ExchangeError::Mismatch(format!(
                "postdated ticket starts at {start}, not at the requested {want}"
            )));
        }
        return Ok(());
    }
    let skew_applies =
        !req.no_skew_check && (!req.skew_needs_starttime || part.starttime.is_some());
    if skew_applies && (start - req.now).abs() > req.clockskew {
        return Err(KdcError {
            code: ec::KRB_AP_ERR_SKEW,
            realm: realm.clone(),
            kdc: None,
            e_text: Some("ticket start time is outside the allowed clock skew".into()),
            offered: Vec::new(),
        }
        .into());
    }
    Ok(())
}
