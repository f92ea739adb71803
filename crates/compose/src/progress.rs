//! Progress of compose's steps on stderr, as Docker Compose shows it: on
//! a terminal one line per resource rewritten in place under a
//! `[+] Running done/total` header (` ✔ Container p-web-1  Started`);
//! otherwise one plain line per step; nothing when quiet.

use std::io::Write as _;
use std::sync::Mutex;

/// How progress is shown (`--progress auto|tty|plain|quiet`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Tty,
    Plain,
    Quiet,
}

struct State {
    mode: Mode,
    /// (kind, name, status), in first-seen order.
    rows: Vec<(String, String, String)>,
    drawn: usize,
}

static STATE: Mutex<State> = Mutex::new(State {
    mode: Mode::Plain,
    rows: Vec::new(),
    drawn: 0,
});

/// Chooses the display; `None` is auto: a terminal on stderr gets `Tty`.
pub fn set_mode(mode: Option<Mode>) {
    use std::io::IsTerminal;
    let m = mode.unwrap_or(if std::io::stderr().is_terminal() {
        Mode::Tty
    } else {
        Mode::Plain
    });
    if let Ok(mut s) = STATE.lock() {
        s.mode = m;
    }
}

/// A status that ends a resource's step (drawn with ✔).
fn finished(status: &str) -> bool {
    matches!(
        status,
        "Created"
            | "Started"
            | "Running"
            | "Stopped"
            | "Removed"
            | "Recreated"
            | "Healthy"
            | "Exited"
            | "Pulled"
            | "Built"
            | "Pushed"
            | "Skipped"
            | "Killed"
    )
}

/// One step of one resource (`Container`, `p-web-1`, `Started`).
pub fn report(kind: &str, name: &str, status: &str) {
    let Ok(mut s) = STATE.lock() else { return };
    match s.mode {
        Mode::Quiet => {}
        Mode::Plain => eprintln!(" {kind} {name}  {status}"),
        Mode::Tty => {
            match s.rows.iter_mut().find(|r| r.0 == kind && r.1 == name) {
                Some(r) => r.2 = status.to_string(),
                None => s
                    .rows
                    .push((kind.to_string(), name.to_string(), status.to_string())),
            }
            let mut out = String::new();
            if s.drawn > 0 {
                out.push_str(&format!("\x1b[{}A", s.drawn));
            }
            let done = s.rows.iter().filter(|r| finished(&r.2)).count();
            out.push_str(&format!("\x1b[2K[+] Running {done}/{}\n", s.rows.len()));
            for (k, n, st) in &s.rows {
                let mark = if finished(st) { '✔' } else { '⠿' };
                out.push_str(&format!("\x1b[2K {mark} {k} {n}  {st}\n"));
            }
            s.drawn = s.rows.len() + 1;
            let mut e = std::io::stderr().lock();
            let _ = e.write_all(out.as_bytes());
            let _ = e.flush();
        }
    }
}

/// Ends a display: the next step starts a new `[+] Running` block.
pub fn done() {
    if let Ok(mut s) = STATE.lock() {
        s.rows.clear();
        s.drawn = 0;
    }
}
