//! The terminal side of `kinit`'s and `kpasswd`'s password logins: MIT's prompts read with
//! echo off and its banners printed on stdout. The Kerberos flow (when to ask, the
//! `kadmin/changepw` ticket, the retries) is `kdc_client::session::Session`'s.

use kdc_client::session::{Notice, Prompt, PromptError, Prompter};
use zeroize::Zeroizing;

use crate::common;

/// Prompts on the terminal (stdin when it is not one), as MIT's `krb5_prompter_posix`.
pub struct Terminal;

impl Prompter for Terminal {
    fn secret(&self, prompt: Prompt<'_>) -> Result<Zeroizing<String>, PromptError> {
        Ok(common::read_password(&prompt.to_string())?)
    }

    fn notice(&self, notice: &Notice) {
        println!("{notice}");
    }
}
