//! What `devloop dev` shows: on a terminal, the app's logs scroll above a status line that is
//! redrawn in place; elsewhere, plain lines; with `-o json`, one event per line. Everything is
//! masked before it is written.

use std::io::{IsTerminal, Write};
use std::sync::Mutex;

use super::Printer;

pub struct Screen {
    printer: Printer,
    /// A terminal, and not JSON: the status line lives at the bottom.
    live: bool,
    status: Mutex<String>,
}

impl Screen {
    pub fn new(printer: Printer) -> Screen {
        let live = std::io::stdout().is_terminal() && !printer.is_json();
        Screen {
            printer,
            live,
            status: Mutex::new(String::new()),
        }
    }

    fn status_text(&self) -> String {
        self.status.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// Replace the status line (a terminal only; elsewhere the outcomes are the record).
    pub fn status(&self, text: &str) {
        let text = self.printer.mask(text);
        if let Ok(mut s) = self.status.lock() {
            *s = text.clone();
        }
        if self.live {
            let mut out = std::io::stdout().lock();
            let _ = write!(out, "\r\x1b[K{text}");
            let _ = out.flush();
        }
    }

    /// A line that stays: a log line or an outcome, above the status line.
    pub fn line(&self, text: &str, json: serde_json::Value) {
        if self.live {
            let text = self.printer.mask(text);
            let mut out = std::io::stdout().lock();
            let _ = write!(out, "\r\x1b[K{text}\n{}", self.status_text());
            let _ = out.flush();
        } else {
            self.printer.document(text, json);
        }
    }

    /// Leave the status line for good (before exiting).
    pub fn finish(&self) {
        if self.live {
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "\r\x1b[K{}", self.status_text());
            let _ = out.flush();
        }
    }
}
