//! What `kpasswd` and `kinit` (on an expired password) share: the `kadmin/changepw` ticket,
//! MIT's new-password prompts, and the password change itself (`Client::change_password`).

use std::cell::RefCell;

use kdc_client::Principal;
use kdc_client::client::{Client, ClientError};
use kdc_client::exchange::{ChangeResult, Credentials, Secret};
use zeroize::Zeroizing;

use crate::common;

/// MIT's prompts for the new password (`krb5_read_password`, kinit's expired-password loop).
pub const NEW_PROMPT: &str = "Enter new password";
pub const AGAIN_PROMPT: &str = "Enter it again";

/// The password typed for the current password, kept (zeroized) so one prompt serves the
/// exchanges that need it, as MIT's `gak_data` does.
#[derive(Default)]
pub struct CurrentPassword(RefCell<Option<Zeroizing<String>>>);

impl CurrentPassword {
    /// The password, prompting `Password for PRINCIPAL` the first time.
    pub fn get(&self, client: &Principal) -> Result<Zeroizing<String>, String> {
        if let Some(pw) = self.0.borrow().as_ref() {
            return Ok(pw.clone());
        }
        let pw = common::read_password(&format!("Password for {client}"))?;
        *self.0.borrow_mut() = Some(pw.clone());
        Ok(pw)
    }
}

/// A `kadmin/changepw` ticket for `client` by an AS exchange, the password asked for only
/// when the KDC's reply needs it; armored with `armor` (kinit's `-T`) as MIT's kinit armors
/// it, so a KDC that takes passwords only inside FAST issues it too.
pub fn changepw_creds(
    client: &Client,
    principal: &Principal,
    current: &CurrentPassword,
    armor: Option<&Credentials>,
) -> Result<Credentials, ClientError> {
    let mut opts = client.changepw_options(principal.clone());
    opts.armor = armor.cloned();
    let ask = || current.get(principal).map(Secret::Password);
    common::block_on(client.get_initial_creds_asking(opts, ask))
        .map_err(|e| ClientError::Secret(e.into()))?
        .map(|init| init.creds)
}

/// Why the new password could not be read.
pub enum ReadNew {
    /// The two entries differ (MIT's `KRB5_LIBOS_BADPWDMATCH`).
    Mismatch,
    Failed(String),
}

/// The new password, typed twice.
pub fn read_new_password() -> Result<Zeroizing<String>, ReadNew> {
    let first = common::read_password(NEW_PROMPT).map_err(ReadNew::Failed)?;
    let second = common::read_password(AGAIN_PROMPT).map_err(ReadNew::Failed)?;
    if first.as_str() != second.as_str() {
        return Err(ReadNew::Mismatch);
    }
    Ok(first)
}

/// Change the password with the `kadmin/changepw` ticket.
pub fn change(
    client: &Client,
    creds: &Credentials,
    new_password: &str,
) -> Result<ChangeResult, ClientError> {
    common::block_on(client.change_password(creds, new_password))
        .map_err(|e| ClientError::Secret(e.into()))?
}
