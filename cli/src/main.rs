//! `kerb`: Kerberos tickets and MySQL/MariaDB Kerberos logins with no C Kerberos library.
#![forbid(unsafe_code)]

use std::process::ExitCode;

const USAGE: &str = "\
Usage: kerb <command> [options]

Kerberos tickets and database logins in one static binary, with no C Kerberos library.

Commands:
  kinit      obtain and cache a ticket-granting ticket (like MIT kinit)
  klist      list cached tickets (like MIT klist)
  kdestroy   destroy a credential cache (like MIT kdestroy)
  kvno       obtain service tickets and print their key version numbers (like MIT kvno)
  mysql      log in to MySQL or MariaDB with Kerberos and run statements

Options:
  -h, --help     print this help
  --version      print the version

Environment: KRB5_CONFIG, KRB5CCNAME, KRB5_KTNAME, KRB5_CLIENT_KTNAME, KRB5_TRACE.
";

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1);
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
        Some(cmd @ ("kinit" | "klist" | "kdestroy" | "kvno" | "mysql")) => {
            eprintln!("kerb: '{cmd}' is not available in this build yet");
            ExitCode::from(1)
        }
        _ => {
            eprintln!("kerb: unknown command '{}'\n", first.to_string_lossy());
            eprint!("{USAGE}");
            ExitCode::from(1)
        }
    }
}
