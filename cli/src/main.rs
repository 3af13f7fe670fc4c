//! `kerb`: Kerberos tickets and MySQL/MariaDB Kerberos logins with no C Kerberos library.
#![forbid(unsafe_code)]

use std::ffi::OsString;
use std::process::ExitCode;

mod common;
mod kdestroy;
mod kinit;
mod klist;
mod kpasswd;
mod kswitch;
mod kvno;
mod localaddr;
mod mysql;
mod prompt;
mod proxy;
mod server_args;
mod starttime;
mod timefmt;
mod trace;

const USAGE: &str = "\
Usage: kerb <command> [options]

Kerberos tickets and database logins in one static binary, with no C Kerberos library.

Commands:
  kinit      obtain and cache a ticket-granting ticket (like MIT kinit)
  klist      list cached tickets (like MIT klist)
  kdestroy   destroy a credential cache (like MIT kdestroy)
  kvno       obtain service tickets and print their key version numbers (like MIT kvno)
  kswitch    make a cache its collection's primary (like MIT kswitch)
  kpasswd    change a password (like MIT kpasswd; RFC 3244)
  mysql      log in to MySQL or MariaDB with Kerberos and run statements
  proxy      a local login proxy: any MySQL client logs in with Kerberos through it

Options:
  -h, --help     print this help
  --version      print the version

Environment: KRB5_CONFIG, KRB5CCNAME, KRB5_KTNAME, KRB5_CLIENT_KTNAME, KRB5_TRACE.
";

/// Run one subcommand with the arguments after its name; `None` for unknown names.
fn dispatch(cmd: &str, rest: Vec<OsString>) -> Option<ExitCode> {
    Some(match cmd {
        "kinit" => kinit::run(rest),
        "klist" => klist::run(rest),
        "kdestroy" => kdestroy::run(rest),
        "kvno" => kvno::run(rest),
        "kswitch" => kswitch::run(rest),
        "kpasswd" => kpasswd::run(rest),
        "mysql" => mysql::run(rest),
        "proxy" => proxy::run(rest),
        _ => return None,
    })
}

fn main() -> ExitCode {
    let all: Vec<OsString> = std::env::args_os().collect();
    // Multi-call: a link named `klist` (etc.) to `kerb` behaves as that tool.
    let argv0 = all.first().cloned().unwrap_or_default();
    let mut args = all.into_iter().skip(1);
    let base = std::path::Path::new(&argv0)
        .file_name()
        .and_then(|b| b.to_str())
        .unwrap_or("");
    if base != "kerb"
        && let Some(code) = dispatch(base, args.clone().collect())
    {
        return code;
    }
    let Some(first) = args.next() else {
        eprint!("{USAGE}");
        return ExitCode::from(1);
    };
    match first.to_str() {
        Some("-h" | "--help" | "help") => {
            print!("{USAGE}");
            ExitCode::SUCCESS
        }
        Some("-V" | "--version") => {
            println!("kerb {}", env!("CARGO_PKG_VERSION"));
            ExitCode::SUCCESS
        }
        Some(
            cmd @ ("kinit" | "klist" | "kdestroy" | "kvno" | "kswitch" | "kpasswd" | "mysql"
            | "proxy"),
        ) => dispatch(cmd, args.collect()).unwrap_or(ExitCode::from(1)),
        _ => {
            eprintln!("kerb: unknown command '{}'\n", first.to_string_lossy());
            eprint!("{USAGE}");
            ExitCode::from(1)
        }
    }
}
