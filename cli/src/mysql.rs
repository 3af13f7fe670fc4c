//! `kerb mysql`: log in to MySQL / Aurora MySQL (`authentication_kerberos`) or MariaDB
//! (`auth_gssapi`) with Kerberos and run statements, printing results like `mysql -B -e`.
//!
//! The client announces `authentication_kerberos_client` (as libmysqlclient does); a MariaDB
//! server switches to `auth_gssapi_client`, which works the same way. The service ticket comes
//! from the credential cache or the KDCs (cross-realm walk) during the login.

use std::ffi::OsString;
use std::io::{BufRead, Write};
use std::process::ExitCode;

use kdc_client::client::Client;
use mysql_auth::AuthError;
use mysql_auth::connector::{Connection, Error, QueryResult};
use mysql_auth::kerberos::{CacheSource, KerberosInitiator};

use crate::common;
use crate::server_args::{ServerArgs, ServerOpt};

const PROG: &str = "mysql";

const USAGE: &str = "\
usage: kerb mysql -h host [-P port] [-u user] [-D database] [-e statements]
\t[--password-stdin] [--ssl-mode mode] [--ssl-ca file] [--[no-]mutual] [-c ccache] [--store-tgt] [-V]
\t-h, --host           server host name or IP address
\t-P, --port           TCP port (3306)
\t-u, --user           account name (default: the cache principal's name without realm)
\t-D, --database       initial database
\t-e, --execute        statements to run (else one statement per line from stdin)
\t--password-stdin     read the Kerberos password (one line) from stdin, used when the
\t                     credential cache has no ticket-granting ticket
\t--store-tgt          keep a TGT obtained with the password in the credential cache
\t--ssl-mode           DISABLED, PREFERRED (default), REQUIRED, VERIFY_CA, VERIFY_IDENTITY
\t--ssl-ca             CA certificate file (implies VERIFY_CA unless --ssl-mode is given)
\t--mutual             request mutual authentication (verify the server's AP-REP)
\t-c                   credential cache (default: KRB5CCNAME)
\t-V                   trace (also KRB5_TRACE)
";

/// Parsed `kerb mysql` options.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct MysqlArgs {
    /// The server and how far to trust it.
    pub server: ServerArgs,
    pub user: Option<String>,
    pub database: Option<String>,
    pub execute: Option<String>,
    pub password_stdin: bool,
    pub store_tgt: bool,
    pub no_mutual: bool,
    pub cache: Option<String>,
    pub verbose: bool,
}

pub fn parse_args(args: Vec<OsString>) -> Result<MysqlArgs, String> {
    use lexopt::Arg::{Long, Short, Value};
    let mut p = common::parser(args);
    let mut a = MysqlArgs::default();
    let val = |p: &mut lexopt::Parser| common::option_value(PROG, p);
    while let Some(arg) = common::next_arg(PROG, &mut p).map_err(|m| usage(&m))? {
        if let Some(opt) = ServerOpt::of(&arg) {
            a.server.take(PROG, opt, &mut p, usage)?;
            continue;
        }
        match arg {
            Short('u') | Long("user") => a.user = Some(val(&mut p)?),
            Short('D') | Long("database") => a.database = Some(val(&mut p)?),
            Short('e') | Long("execute") => a.execute = Some(val(&mut p)?),
            Short('c') => a.cache = Some(val(&mut p)?),
            Short('V') | Long("verbose") => a.verbose = true,
            Long("password-stdin") => a.password_stdin = true,
            Long("store-tgt") => a.store_tgt = true,
            Long("mutual") => a.no_mutual = false,
            Long("no-mutual") => a.no_mutual = true,
            Long("help") => return Err(USAGE.to_owned()),
            Value(v) if a.database.is_none() => {
                a.database = Some(
                    v.into_string()
                        .map_err(|_| format!("{PROG}: argument is not UTF-8"))?,
                );
            }
            other => {
                return Err(usage(&format!(
                    "{PROG}: invalid option -- '{}'",
                    common::opt_name(&other)
                )));
            }
        }
    }
    if a.server.host.is_none() {
        return Err(usage(&format!("{PROG}: no host given (-h)")));
    }
    Ok(a)
}

fn usage(msg: &str) -> String {
    format!("{msg}\n{USAGE}")
}

/// `kerb mysql`.
pub fn run(args: Vec<OsString>) -> ExitCode {
    common::run_parsed(parse_args(args), USAGE, run_mysql)
}

/// `mysql -B` escaping of a field: `\0`, `\t`, `\n`, `\\`. Stricter than mysql (which
/// prints other bytes raw), so that a server cannot drive the terminal: other control
/// characters and bidi marks print as `kdc_client::peer_text` escapes them (`\x1b`,
/// `\u{202e}`), and bytes that are not UTF-8 as `\xHH`.
pub fn escape_field(out: &mut Vec<u8>, field: &[u8]) {
    let mut buf = String::new();
    for chunk in field.utf8_chunks() {
        for c in chunk.valid().chars() {
            buf.clear();
            match c {
                '\0' => buf.push_str("\\0"),
                '\t' => buf.push_str("\\t"),
                '\n' => buf.push_str("\\n"),
                '\\' => buf.push_str("\\\\"),
                c if kdc_client::peer_text::push_escaped_char(&mut buf, c) => {}
                c => buf.push(c),
            }
            out.extend_from_slice(buf.as_bytes());
        }
        for b in chunk.invalid() {
            out.extend_from_slice(format!("\\x{b:02x}").as_bytes());
        }
    }
}

/// A column name as `mysql -B` prints it (raw, tabs and newlines included), except that
/// other control characters and bidi marks are escaped as in [`escape_field`].
fn escape_header(out: &mut Vec<u8>, name: &str) {
    let mut buf = String::new();
    for c in name.chars() {
        buf.clear();
        if matches!(c, '\t' | '\n') || !kdc_client::peer_text::push_escaped_char(&mut buf, c) {
            buf.push(c);
        }
        out.extend_from_slice(buf.as_bytes());
    }
}

/// A result set as `mysql -B` prints it: header line, then rows, tab-separated, NULL as
/// `NULL`. Statements without a result set print nothing.
pub fn format_batch(r: &QueryResult) -> Vec<u8> {
    let mut out = Vec::new();
    if r.columns.is_empty() {
        return out;
    }
    for (i, c) in r.columns.iter().enumerate() {
        if i > 0 {
            out.push(b'\t');
        }
        escape_header(&mut out, c);
    }
    out.push(b'\n');
    for row in &r.rows {
        for (i, f) in row.iter().enumerate() {
            if i > 0 {
                out.push(b'\t');
            }
            match f {
                Some(f) => escape_field(&mut out, f),
                None => out.extend_from_slice(b"NULL"),
            }
        }
        out.push(b'\n');
    }
    out
}

/// Split `-e` text into statements at `;` outside quotes, backticks and comments' reach
/// (quotes with backslash escapes, as the mysql client's lexer).
pub fn split_statements(sql: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    let mut esc = false;
    for c in sql.chars() {
        if let Some(q) = quote {
            cur.push(c);
            if esc {
                esc = false;
            } else if c == '\\' && q != '`' {
                esc = true;
            } else if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '\'' | '"' | '`' => {
                quote = Some(c);
                cur.push(c);
            }
            ';' => {
                if !cur.trim().is_empty() {
                    out.push(cur.trim().to_owned());
                }
                cur.clear();
            }
            _ => cur.push(c),
        }
    }
    if !cur.trim().is_empty() {
        out.push(cur.trim().to_owned());
    }
    out
}

fn report(e: &Error) {
    match e {
        Error::Server(p) => eprintln!("{p}"),
        Error::Auth(AuthError::Gss(g)) => eprintln!("{PROG}: {g}"),
        e => eprintln!("{PROG}: {e}"),
    }
}

/// The account name when `-u` is not given: the cache principal's name without the realm
/// (libmysqlclient), else the login name.
fn default_user(init: &KerberosInitiator) -> Option<String> {
    init.cache_principal()
        .map(|p| p.name.to_escaped())
        .or_else(common::user_name)
}

/// `kerb mysql` flow.
pub fn run_mysql(args: MysqlArgs) -> ExitCode {
    crate::trace::init(args.verbose);
    let (conf, cache) = match common::config_and_cache(PROG, args.cache.as_deref()) {
        Ok(both) => both,
        Err(code) => return code,
    };
    let stdin = std::io::stdin();
    let mut lines = stdin.lock();
    let password = if args.password_stdin {
        match common::read_password_stdin() {
            Ok(Some(pw)) => Some(pw),
            Ok(None) => return common::fail(PROG, "Cannot read password from stdin"),
            Err(e) => return common::fail(PROG, format!("Cannot read password from stdin: {e}")),
        }
    } else {
        None
    };
    let client = Client::new(conf);
    let cache = CacheSource::new(cache).with_store_tgt(args.store_tgt);
    let mut init = match KerberosInitiator::new(client, cache) {
        Ok(i) => i.with_mutual(!args.no_mutual),
        Err(e) => return common::fail(PROG, e),
    };
    if let Some(pw) = password {
        init = init.with_password(pw);
    }
    let Some(user) = args.user.clone().or_else(|| default_user(&init)) else {
        return common::fail(
            PROG,
            "no user given (-u) and no Kerberos credentials to name one",
        );
    };
    let mut opts = args.server.connect_options(user);
    opts.database = args.database.clone();
    opts.on_warning = Some(|m| eprintln!("{PROG}: WARNING: {m}"));
    let statements: Option<Vec<String>> = args.execute.as_deref().map(split_statements);
    let result = common::block_on(async move {
        let mut conn = match Connection::connect(&opts, &mut init).await {
            Ok(c) => c,
            Err(e) if e.may_need_fresh_ticket() && init.ticket_from_cache() => {
                tracing::debug!(error = %e, "Login failed with a cached service ticket: retrying with a fresh one");
                if let Err(fe) = init.forget_service_ticket() {
                    tracing::debug!(error = %fe, "Could not drop the cached service ticket");
                }
                match Connection::connect(&opts, &mut init).await {
                    Ok(c) => c,
                    Err(e) => {
                        report(&e);
                        return ExitCode::from(1);
                    }
                }
            }
            Err(e) => {
                report(&e);
                return ExitCode::from(1);
            }
        };
        let code = run_statements(&mut conn, statements, &mut lines).await;
        let _ = conn.quit().await;
        code
    });
    result.unwrap_or_else(|e| common::fail(PROG, e))
}

async fn run_statements(
    conn: &mut Connection,
    statements: Option<Vec<String>>,
    input: &mut dyn BufRead,
) -> ExitCode {
    let mut stdout = std::io::stdout();
    let mut lineno = 0usize;
    let mut next = |lineno: &mut usize| -> Option<String> {
        if let Some(s) = &statements {
            *lineno += 1;
            return s.get(*lineno - 1).cloned();
        }
        loop {
            let mut l = String::new();
            match input.read_line(&mut l) {
                Ok(0) | Err(_) => return None,
                Ok(_) => {}
            }
            *lineno += 1;
            let t = l.trim().trim_end_matches(';').trim();
            if !t.is_empty() {
                return Some(t.to_owned());
            }
        }
    };
    while let Some(sql) = next(&mut lineno) {
        let line = if statements.is_some() { 1 } else { lineno };
        match conn.query(&sql).await {
            Ok(r) => {
                let _ = stdout.write_all(&format_batch(&r));
                let _ = stdout.flush();
            }
            Err(Error::Server(p)) => {
                eprintln!(
                    "ERROR {} ({}) at line {line}: {}",
                    p.code,
                    kdc_client::escape_peer_text(&p.sql_state, 16),
                    p.message_escaped()
                );
                return ExitCode::from(1);
            }
            Err(e) => {
                eprintln!("{PROG}: {e}");
                return ExitCode::from(1);
            }
        }
    }
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;
    use mysql_auth::connector::SslMode;

    fn args(v: &[&str]) -> Vec<OsString> {
        v.iter().map(OsString::from).collect()
    }

    #[test]
    fn options() {
        let a = parse_args(args(&[
            "-h",
            "db",
            "-P",
            "13306",
            "-u",
            "joe",
            "-e",
            "SELECT 1",
            "--ssl-mode",
            "verify_identity",
            "--ssl-ca",
            "/ca.pem",
            "--mutual",
            "--password-stdin",
            "-Dlabdb",
        ]))
        .unwrap();
        assert_eq!(a.server.host.as_deref(), Some("db"));
        assert_eq!(a.server.port, Some(13306));
        assert_eq!(a.user.as_deref(), Some("joe"));
        assert_eq!(a.database.as_deref(), Some("labdb"));
        assert_eq!(a.server.ssl_mode, Some(SslMode::VerifyIdentity));
        assert!(!a.no_mutual && a.password_stdin);
        assert!(
            parse_args(args(&["-h", "x", "--no-mutual"]))
                .unwrap()
                .no_mutual
        );
        assert!(
            !parse_args(args(&["-h", "x", "--no-mutual", "--mutual"]))
                .unwrap()
                .no_mutual
        );
        // The server options themselves: server_args::tests.
        assert!(parse_args(args(&["-u", "x"])).is_err());
        assert!(parse_args(args(&["-h", "x", "-Z"])).is_err());
    }

    #[test]
    fn batch_output_like_mysql() {
        let r = QueryResult {
            columns: vec!["a".into(), "b".into()],
            rows: vec![
                vec![Some(b"x\ty\nz\\\0".to_vec()), None],
                vec![Some(b"".to_vec()), Some(b"NULL".to_vec())],
            ],
            ..QueryResult::default()
        };
        assert_eq!(
            format_batch(&r),
            b"a\tb\nx\\ty\\nz\\\\\\0\tNULL\n\tNULL\n".to_vec()
        );
        assert!(format_batch(&QueryResult::default()).is_empty());
    }

    #[test]
    fn batch_output_never_emits_raw_control_characters() {
        let r = QueryResult {
            columns: vec!["c\x1b[2J".into(), "t\tab".into()],
            rows: vec![
                vec![Some(b"\x1b]0;title\x07 \r \x7f".to_vec())],
                vec![Some("\u{202e}txt.exe \u{9b}31m".as_bytes().to_vec())],
                vec![Some(b"bin \xff\x9b\xc3".to_vec())],
                vec![Some("ok é".as_bytes().to_vec())],
            ],
            ..QueryResult::default()
        };
        let out = format_batch(&r);
        let text = String::from_utf8(out.clone()).unwrap();
        assert_eq!(
            text,
            "c\\x1b[2J\tt\tab\n\\x1b]0;title\\x07 \\r \\x7f\n\\u{202e}txt.exe \\x9b31m\n\
             bin \\xff\\x9b\\xc3\nok é\n"
        );
        assert!(!out.iter().any(|&b| b == 0x1b || b == 0x07 || b == 0x9b));
    }

    #[test]
    fn statements_split() {
        assert_eq!(
            split_statements("SELECT 1; SELECT ';' ;SELECT \"a\\\";\";;"),
            vec!["SELECT 1", "SELECT ';'", "SELECT \"a\\\";\""]
        );
        assert!(split_statements(" ; ").is_empty());
    }
}
