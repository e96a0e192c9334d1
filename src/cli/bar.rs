//! The progress bar on stderr (hidden when stderr is not a terminal or when asked).

use std::io::{self, IsTerminal};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::progress::Progress;

/// Bytes read, as a library [`Progress`].
pub struct Bar(pub ProgressBar);

impl Progress for Bar {
    fn add_total(&self, bytes: u64) {
        self.0.inc_length(bytes);
    }
    fn advance(&self, bytes: u64) {
        self.0.inc(bytes);
    }
    fn message(&self, text: &str) {
        self.0.suspend(|| say!("{text}"));
    }
}

/// A bar over bytes; `with_message` leaves room for a message (tickets done).
pub fn progress_bar(hidden: bool, with_message: bool) -> ProgressBar {
    if hidden || !io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr_with_hz(5));
    let template = if with_message {
        "{spinner} [{elapsed_precise}] {msg} {wide_bar} {binary_bytes}/{binary_total_bytes} ({binary_bytes_per_sec})"
    } else {
        "{spinner} [{elapsed_precise}] {wide_bar} {binary_bytes}/{binary_total_bytes} ({binary_bytes_per_sec}, {eta})"
    };
    bar.set_style(
        ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}
