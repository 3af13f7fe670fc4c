//! Shared plumbing of the subcommands: environment, krb5.conf, cache and keytab names,
//! passwords, MIT-style errors and enctype names. No protocol logic lives here.

use std::ffi::OsString;
use std::io::{IsTerminal as _, Write as _};
use std::process::ExitCode;

use kdc_client::config::krb5conf::Krb5Conf;
use kdc_client::{ccache, keytab};
use zeroize::Zeroizing;

/// An environment variable as UTF-8, `None` when unset, empty or not UTF-8 (MIT ignores
/// empty values of `KRB5CCNAME`/`KRB5_KTNAME` too).
pub fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// The krb5.conf view, honouring `KRB5_CONFIG`. A missing default file gives an empty
/// configuration, as MIT's tools run without one.
pub fn load_config() -> Result<Krb5Conf, String> {
    let files = env("KRB5_CONFIG");
    Krb5Conf::load(files.as_deref()).map_err(|e| e.to_string())
}

/// The uid used by `%{uid}` and the default cache name.
pub fn uid() -> u32 {
    kdc_client::config::current_uid().unwrap_or(0)
}

/// The cache name: `-c NAME` first, else `KRB5CCNAME`, else `default_ccache_name`, else
/// `FILE:/tmp/krb5cc_<uid>`.
pub fn ccache_name(
    explicit: Option<&str>,
    conf: Option<&Krb5Conf>,
) -> Result<ccache::CcacheName, ccache::CcacheError> {
    let from_env = env("KRB5CCNAME");
    let name = explicit.map(str::to_owned).or(from_env);
    let default = conf.and_then(|c| c.default_ccache_name.as_deref());
    ccache::CcacheName::resolve(name.as_deref(), default, uid())
}

/// The cache, resolved and opened (a DIR or KEYRING collection name designates its primary
/// cache). The caller adds MIT's "while ..." context to the error.
pub fn open_ccache(
    explicit: Option<&str>,
    conf: Option<&Krb5Conf>,
) -> Result<ccache::CcacheHandle, ccache::CcacheError> {
    let kcm_socket = conf.and_then(|c| c.kcm_socket.as_deref());
    ccache_name(explicit, conf).and_then(|n| n.open_with_kcm_socket(uid(), kcm_socket))
}

/// MIT's "not found" text for a cache: `No credentials cache found (filename: PATH)` for FILE
/// and DIR caches, `Credentials cache keyring 'RESIDUAL' not found` for KEYRING.
pub fn ccache_not_found(name: &ccache::CcacheName) -> String {
    match (name, name.file_path()) {
        (ccache::CcacheName::Keyring(k), _) => format!("Credentials cache keyring '{k}' not found"),
        (ccache::CcacheName::Kcm(k), _) => format!("Credentials cache 'KCM:{k}' not found"),
        (_, Some(p)) => format!("No credentials cache found (filename: {})", p.display()),
        (_, None) => format!("No credentials cache found ({name})"),
    }
}

/// MIT's text for a credential missing from a cache (`KRB5_CC_NOTFOUND`): `Matching
/// credential not found (filename: PATH)` for FILE and DIR (MIT's FILE backend adds the file
/// name), `Matching credential not found` for KEYRING.
pub fn ccache_no_match(name: &ccache::CcacheName) -> String {
    match name.file_path() {
        Some(p) => format!("Matching credential not found (filename: {})", p.display()),
        None => "Matching credential not found".to_owned(),
    }
}

/// The acceptor keytab name: explicit, else `KRB5_KTNAME`, else `default_keytab_name`,
/// else `FILE:/etc/krb5.keytab`.
pub fn keytab_name(explicit: Option<&str>, conf: Option<&Krb5Conf>) -> String {
    if let Some(n) = explicit {
        return n.to_owned();
    }
    let e = env("KRB5_KTNAME");
    let c = conf.and_then(|c| c.default_keytab_name.as_deref());
    keytab::default_name(e.as_deref(), c).to_owned()
}

/// The client keytab name: explicit, else `KRB5_CLIENT_KTNAME`, else
/// `default_client_keytab_name`, else MIT's default, with `%{uid}` tokens expanded.
pub fn client_keytab_name(explicit: Option<&str>, conf: Option<&Krb5Conf>) -> String {
    if let Some(n) = explicit {
        return n.to_owned();
    }
    let e = env("KRB5_CLIENT_KTNAME");
    let c = conf.and_then(|c| c.default_client_keytab_name.as_deref());
    let name = keytab::default_client_name(e.as_deref(), c);
    kdc_client::config::expand_path(name, uid()).unwrap_or_else(|_| name.to_owned())
}

/// MIT's display form of a keytab name (`FILE:` added to bare paths).
pub fn keytab_display(name: &str) -> String {
    if name.starts_with('/') || !name.contains(':') {
        format!("FILE:{name}")
    } else {
        name.to_owned()
    }
}

/// The login name for the default client principal (`USER`, `LOGNAME`, else `/etc/passwd`).
pub fn user_name() -> Option<String> {
    if let Some(u) = env("USER").or_else(|| env("LOGNAME")) {
        return Some(u);
    }
    let uid = uid().to_string();
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|l| {
        let mut f = l.split(':');
        let name = f.next()?;
        let _pw = f.next()?;
        (f.next()? == uid).then(|| name.to_owned())
    })
}

/// Longest password read from a terminal or stdin, in bytes (MIT's prompter reads into a
/// 1024-byte buffer).
pub const PASSWORD_MAX: usize = 1024;

/// Read one line (the newline and a CR before it dropped) into a buffer reserved at
/// [`PASSWORD_MAX`] bytes up front, so it never reallocates and no copy of the secret is left
/// behind; zeroized on drop. Reads one byte at a time, so nothing after the line is consumed
/// (stdin's own buffer never holds the secret). `Ok(None)` at end of input with nothing read;
/// a longer line, or one that is not UTF-8, is an error (and zeroized).
pub fn read_secret_line(r: &mut dyn std::io::Read) -> Result<Option<Zeroizing<String>>, String> {
    let mut buf = Zeroizing::new(Vec::with_capacity(PASSWORD_MAX));
    let mut byte = [0u8; 1];
    let mut any = false;
    loop {
        match r.read(&mut byte) {
            Ok(0) => break,
            Ok(_) => any = true,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e.to_string()),
        }
        if byte[0] == b'\n' {
            break;
        }
        if buf.len() == PASSWORD_MAX {
            return Err(format!("password longer than {PASSWORD_MAX} bytes"));
        }
        buf.push(byte[0]); // within the reserved capacity: no reallocation
    }
    zeroize::Zeroize::zeroize(&mut byte);
    if !any {
        return Ok(None);
    }
    if buf.last() == Some(&b'\r') {
        buf.pop();
    }
    // Moves the allocation into the String (no copy); an invalid one is zeroized by
    // `Zeroizing` either way.
    match String::from_utf8(std::mem::take(&mut *buf)) {
        Ok(s) => Ok(Some(Zeroizing::new(s))),
        Err(e) => {
            drop(Zeroizing::new(e.into_bytes()));
            Err("password is not valid UTF-8".into())
        }
    }
}

/// Unbuffered reads of stdin's file descriptor (so the password never sits in std's stdin
/// buffer, which is not zeroized).
struct RawStdin;

impl std::io::Read for RawStdin {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        Ok(rustix::io::read(std::io::stdin(), buf)?)
    }
}

/// Restores the terminal's echo when dropped.
struct EchoOff(rustix::termios::Termios);

impl EchoOff {
    fn new() -> std::io::Result<Self> {
        use rustix::termios::{LocalModes, OptionalActions, tcgetattr, tcsetattr};
        let saved = tcgetattr(std::io::stdin())?;
        let mut t = saved.clone();
        t.local_modes.remove(LocalModes::ECHO);
        t.local_modes.insert(LocalModes::ECHONL);
        tcsetattr(std::io::stdin(), OptionalActions::Flush, &t)?;
        Ok(Self(saved))
    }
}

impl Drop for EchoOff {
    fn drop(&mut self) {
        let _ = rustix::termios::tcsetattr(
            std::io::stdin(),
            rustix::termios::OptionalActions::Flush,
            &self.0,
        );
    }
}

/// Read a password like MIT's `krb5_prompter_posix`: the prompt on stdout, no echo when stdin
/// is a terminal, else one line from stdin; a newline is printed after a hidden read.
pub fn read_password(prompt: &str) -> Result<Zeroizing<String>, String> {
    let mut out = std::io::stdout();
    let _ = write!(out, "{prompt}: ");
    let _ = out.flush();
    let echo = if std::io::stdin().is_terminal() {
        Some(EchoOff::new().map_err(|e| e.to_string())?)
    } else {
        None
    };
    let line = read_secret_line(&mut RawStdin);
    // With echo off, ECHONL still echoes the newline; else print it, as MIT does.
    if echo.is_none() {
        let _ = writeln!(out);
    }
    drop(echo);
    line?.ok_or_else(|| "Cannot read password".into())
}

/// Read the `--password-stdin` line (unbuffered, see [`read_secret_line`]).
pub fn read_password_stdin() -> Result<Option<Zeroizing<String>>, String> {
    read_secret_line(&mut RawStdin)
}

/// Print `prog: message` to stderr and return exit status 1.
pub fn fail(prog: &str, message: impl std::fmt::Display) -> ExitCode {
    eprintln!("{prog}: {message}");
    ExitCode::from(1)
}

/// The arguments after the subcommand, for `lexopt`.
pub fn parser(args: Vec<OsString>) -> lexopt::Parser {
    lexopt::Parser::from_args(args)
}

/// The next argument; a parse error in getopt's wording.
pub fn next_arg<'a>(
    prog: &str,
    p: &'a mut lexopt::Parser,
) -> Result<Option<lexopt::Arg<'a>>, String> {
    p.next().map_err(|e| getopt_message(prog, &e))
}

/// The value of the option just parsed, as UTF-8; errors in getopt's wording.
pub fn option_value(prog: &str, p: &mut lexopt::Parser) -> Result<String, String> {
    let v = p.value().map_err(|e| getopt_message(prog, &e))?;
    v.into_string()
        .map_err(|_| format!("{prog}: argument is not UTF-8"))
}

/// The `-x` of a lexopt short option, for messages.
pub fn opt_name(arg: &lexopt::Arg<'_>) -> String {
    match arg {
        lexopt::Arg::Short(c) => c.to_string(),
        lexopt::Arg::Long(l) => format!("-{l}"),
        lexopt::Arg::Value(v) => v.to_string_lossy().into_owned(),
    }
}

/// MIT's `etype_string`: the enctype name, else `etype N`; `DEPRECATED:` before weak and
/// unknown ones (MIT 1.20 counts enctypes it does not know as deprecated).
pub fn etype_string(etype: i32) -> String {
    let name = match etype {
        16 => "DEPRECATED:des3-cbc-sha1",
        17 => "aes128-cts-hmac-sha1-96",
        18 => "aes256-cts-hmac-sha1-96",
        19 => "aes128-cts-hmac-sha256-128",
        20 => "aes256-cts-hmac-sha384-192",
        23 => "DEPRECATED:arcfour-hmac",
        24 => "DEPRECATED:arcfour-hmac-exp",
        25 => "camellia128-cts-cmac",
        26 => "camellia256-cts-cmac",
        _ => return format!("DEPRECATED:etype {etype}"),
    };
    name.to_owned()
}

/// Map a lexopt error to MIT's getopt wording.
pub fn getopt_message(prog: &str, e: &lexopt::Error) -> String {
    match e {
        lexopt::Error::MissingValue { option: Some(o) } => {
            format!(
                "{prog}: option requires an argument -- '{}'",
                o.trim_start_matches('-')
            )
        }
        lexopt::Error::UnexpectedOption(o) => {
            format!("{prog}: invalid option -- '{}'", o.trim_start_matches('-'))
        }
        other => format!("{prog}: {other}"),
    }
}

/// Run a future on a current-thread tokio runtime (the CLI's only use of async).
pub fn block_on<F: std::future::Future>(f: F) -> Result<F::Output, String> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map(|rt| rt.block_on(f))
        .map_err(|e| format!("cannot start the I/O runtime: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etype_names_like_mit() {
        assert_eq!(etype_string(18), "aes256-cts-hmac-sha1-96");
        assert_eq!(etype_string(23), "DEPRECATED:arcfour-hmac");
        assert_eq!(etype_string(99), "DEPRECATED:etype 99");
        assert_eq!(etype_string(-128), "DEPRECATED:etype -128");
    }

    #[test]
    fn keytab_display_adds_file_prefix() {
        assert_eq!(keytab_display("/x/y"), "FILE:/x/y");
        assert_eq!(keytab_display("WRFILE:/x"), "WRFILE:/x");
        assert_eq!(keytab_display("rel.kt"), "FILE:rel.kt");
    }
}

#[cfg(test)]
mod secret_tests {
    use super::*;

    #[test]
    fn secret_lines_are_read_without_reallocating() {
        let mut r: &[u8] = b"s3cret\r\nnext line\n";
        let pw = read_secret_line(&mut r).unwrap().unwrap();
        assert_eq!(pw.as_str(), "s3cret");
        // The String kept the buffer reserved up front: it never grew.
        assert_eq!(pw.capacity(), PASSWORD_MAX);
        // Nothing after the line was consumed.
        assert_eq!(r, b"next line\n");
        let mut r: &[u8] = b"no newline";
        assert_eq!(
            read_secret_line(&mut r).unwrap().unwrap().as_str(),
            "no newline"
        );
        let mut r: &[u8] = b"";
        assert!(read_secret_line(&mut r).unwrap().is_none());
        let mut r: &[u8] = b"\n";
        assert_eq!(read_secret_line(&mut r).unwrap().unwrap().as_str(), "");
        let long = vec![b'a'; PASSWORD_MAX + 1];
        assert!(read_secret_line(&mut long.as_slice()).is_err());
        let max = vec![b'a'; PASSWORD_MAX];
        assert_eq!(
            read_secret_line(&mut max.as_slice())
                .unwrap()
                .unwrap()
                .len(),
            PASSWORD_MAX
        );
        assert!(read_secret_line(&mut &b"\xff\xfe\n"[..]).is_err());
    }
}

/// `--spn SPN` and `--allow-any-spn` of `kerb mysql` and `kerb proxy`: the SPN policy `new`
/// once checked against the one set so far (`current`): the two options exclude each other,
/// and `--spn` needs a name.
pub fn spn_policy_option(
    prog: &str,
    current: &mysql_auth::SpnPolicy,
    new: mysql_auth::SpnPolicy,
) -> Result<mysql_auth::SpnPolicy, String> {
    if matches!(&new, mysql_auth::SpnPolicy::Exact(spn) if spn.is_empty()) {
        return Err(format!("{prog}: --spn needs a service principal"));
    }
    if *current != mysql_auth::SpnPolicy::default() && *current != new {
        return Err(format!(
            "{prog}: --spn and --allow-any-spn exclude each other"
        ));
    }
    Ok(new)
}

/// Run a command whose parser returns `Err(usage)` itself for `--help` (printed on stdout,
/// exit 0) and `Err(message)` for bad arguments (stderr, exit 1): `kerb mysql`, `kerb proxy`.
pub fn run_parsed<A>(
    parsed: Result<A, String>,
    usage: &str,
    run: impl FnOnce(A) -> ExitCode,
) -> ExitCode {
    match parsed {
        Ok(a) => run(a),
        Err(m) if m == usage => {
            print!("{m}");
            ExitCode::SUCCESS
        }
        Err(m) => {
            eprint!("{m}");
            ExitCode::from(1)
        }
    }
}

/// krb5.conf and the credential cache (`-c`, else `KRB5CCNAME`, else the default), or the
/// message MIT's tools print when either fails.
pub fn config_and_cache(
    prog: &str,
    cache: Option<&str>,
) -> Result<(Krb5Conf, kdc_client::ccache::CcacheHandle), ExitCode> {
    let conf =
        load_config().map_err(|e| fail(prog, format!("{e} while initializing krb5 library")))?;
    let cache = open_ccache(cache, Some(&conf))
        .map_err(|e| fail(prog, format!("{e} while opening ccache")))?;
    Ok((conf, cache))
}
