//! Decodes every ASN.1 test vector with its type and checks that it re-encodes byte for byte.
//! Harness-less: prints one summary line per source file and exits non-zero on any failure.

mod common;

use std::process::ExitCode;

const SOURCES: &[&str] = &["mit-reference-encode.txt"];

fn main() -> ExitCode {
    let mut failures = Vec::new();
    for file in SOURCES {
        let source = file.trim_end_matches(".txt");
        let (mut passed, mut skipped) = (0, Vec::new());
        for rec in vectors::load(file) {
            let name = rec.get("name");
            if let Some(reason) = rec.opt("skip") {
                skipped.push(format!("{name} ({reason})"));
                continue;
            }
            let ty = rec.get("type");
            let der = rec.hex("der");
            match common::round_trip(ty, &der) {
                None => failures.push(format!("{source}: {name}: unknown type {ty}")),
                Some(Err(e)) => failures.push(format!("{source}: {name}: {ty}: {e}")),
                Some(Ok(out)) if out != der => failures.push(format!(
                    "{source}: {name}: {ty}: re-encoding differs\n  want {}\n  got  {}",
                    hex::encode(&der),
                    hex::encode(&out)
                )),
                Some(Ok(_)) => passed += 1,
            }
        }
        println!("{source}: {passed} vectors passed");
        if !skipped.is_empty() {
            println!(
                "{source}: {} skipped (types outside our scope):",
                skipped.len()
            );
            for s in &skipped {
                println!("  {s}");
            }
        }
    }
    if failures.is_empty() {
        return ExitCode::SUCCESS;
    }
    for f in &failures {
        eprintln!("FAIL {f}");
    }
    eprintln!("{} vector(s) failed", failures.len());
    ExitCode::FAILURE
}
