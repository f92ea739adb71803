//! The local terminal: raw mode for `-t` with a terminal stdin (restored on
//! drop), and its size for the container's tty.

use std::io::IsTerminal;

use rustix::termios::{tcgetattr, tcgetwinsize, tcsetattr, OptionalActions, Termios};

/// While alive, stdin's terminal is in raw mode; dropping restores it.
pub struct RawGuard {
    orig: Termios,
}

/// Put stdin's terminal into raw mode (cfmakeraw), as docker does for `-t`.
pub fn make_raw_stdin() -> std::io::Result<RawGuard> {
    let stdin = std::io::stdin();
    let orig = tcgetattr(&stdin)?;
    let mut raw = orig.clone();
    raw.make_raw();
    tcsetattr(&stdin, OptionalActions::Now, &raw)?;
    Ok(RawGuard { orig })
}

impl Drop for RawGuard {
    fn drop(&mut self) {
        let _ = tcsetattr(std::io::stdin(), OptionalActions::Now, &self.orig);
    }
}

/// `(rows, cols)` of the terminal on stdout, else stdin; `None` when
/// neither is a terminal.
pub fn size() -> Option<(u16, u16)> {
    let ws = if std::io::stdout().is_terminal() {
        tcgetwinsize(std::io::stdout()).ok()
    } else if std::io::stdin().is_terminal() {
        tcgetwinsize(std::io::stdin()).ok()
    } else {
        None
    }?;
    (ws.ws_row > 0 && ws.ws_col > 0).then_some((ws.ws_row, ws.ws_col))
}

pub fn stdin_is_terminal() -> bool {
    std::io::stdin().is_terminal()
}

pub fn stdout_is_terminal() -> bool {
    std::io::stdout().is_terminal()
}
