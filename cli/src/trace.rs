//! `KRB5_TRACE` and `-V`: the library's `tracing` events at debug level and above, one line
//! each, in MIT's trace format `[pid] seconds.micros: message`. Only the event's message is
//! printed (the library puts no secrets in messages); other fields are left out.

use std::io::Write;
use std::sync::Mutex;

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Metadata, Subscriber};

/// The crates whose events are traced (`tracing` targets start with the crate's name).
const OUR_CRATES: &[&str] = &["kdc_client", "gss_mech", "mysql_auth", "kerb"];

struct MitTrace {
    out: Mutex<Box<dyn Write + Send>>,
    pid: u32,
}

struct Message(String);

impl Visit for Message {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.0.push_str(value);
        }
    }
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            use std::fmt::Write as _;
            let _ = write!(self.0, "{value:?}");
        }
    }
}

impl Subscriber for MitTrace {
    fn enabled(&self, m: &Metadata<'_>) -> bool {
        // Our own crates' events only: a dependency's debug output (rustls, tokio) is not
        // the Kerberos exchange.
        let krate = m.target().split("::").next().unwrap_or_default();
        *m.level() <= Level::DEBUG && OUR_CRATES.contains(&krate)
    }
    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }
    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        let mut msg = Message(String::new());
        event.record(&mut msg);
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        let line = format!(
            "[{}] {}.{:06}: {}\n",
            self.pid,
            now.as_secs(),
            now.subsec_micros(),
            msg.0
        );
        if let Ok(mut out) = self.out.lock() {
            let _ = out.write_all(line.as_bytes());
            let _ = out.flush();
        }
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

/// Install the trace output: `-V` (`verbose`) traces to stderr; else `KRB5_TRACE` names a
/// file to append to (`/dev/stderr` works as a file). Nothing is installed otherwise.
pub fn init(verbose: bool) {
    let out: Box<dyn Write + Send> = if verbose {
        Box::new(std::io::stderr())
    } else if let Some(path) = crate::common::env("KRB5_TRACE") {
        match std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(&path)
        {
            Ok(f) => Box::new(f),
            Err(_) => return,
        }
    } else {
        return;
    };
    let sub = MitTrace {
        out: Mutex::new(out),
        pid: std::process::id(),
    };
    let _ = tracing::subscriber::set_global_default(sub);
}
