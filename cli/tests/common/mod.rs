//! Helpers shared by the lab tests of the CLI.

use std::io::Write as _;
use std::process::{Command, Output, Stdio};

/// The `kerb` binary under test.
pub const KERB: &str = env!("CARGO_BIN_EXE_kerb");

/// A variable of the lab's `env.sh`.
pub fn lab(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} unset: source the lab's env.sh"))
}

/// A fresh FILE cache name, unique to this test process, `prefix` and `name`.
pub fn cache(prefix: &str, name: &str) -> String {
    let dir = std::env::temp_dir().join(format!("kerb-{prefix}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    let _ = std::fs::remove_file(&path);
    format!("FILE:{}", path.display())
}

/// Run `program args` with `KRB5CCNAME=ccache`, feeding `stdin` verbatim (a program that exits
/// without reading it, as a kinit failing early does, is fine).
pub fn run(program: &str, args: &[&str], ccache: &str, stdin: Option<&str>) -> Output {
    let mut child = Command::new(program)
        .args(args)
        .env("KRB5CCNAME", ccache)
        .env_remove("KRB5_TRACE")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{program}: {e}"));
    let mut input = child.stdin.take().unwrap();
    if let Some(s) = stdin {
        let _ = input.write_all(s.as_bytes());
    }
    drop(input);
    child.wait_with_output().unwrap()
}

/// The stdout of a successful run; otherwise fail with everything it printed.
pub fn ok(o: &Output) -> String {
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(
        o.status.success(),
        "exit {:?}\nstdout: {out}\nstderr: {}",
        o.status,
        String::from_utf8_lossy(&o.stderr)
    );
    out
}
