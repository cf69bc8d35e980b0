//! The progress bar of an interactive run: on a terminal, the step-by-step output goes to
//! `run.log` in the report folder and the terminal shows one line — scenarios done of the
//! total, failures, elapsed time — from the third second on, plus each failure as it happens.
//! In CI or through a pipe nothing changes: the step-by-step output stays on stdout.

use crate::runner::Counts;
use cucumber::{Event, cli, event, parser};
use std::io::Write as _;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Whether this run gets a progress bar: stdout and stderr are terminals, not in CI.
pub fn wanted() -> bool {
    use std::io::IsTerminal;
    std::io::stdout().is_terminal()
        && std::io::stderr().is_terminal()
        && std::env::var_os("CI").is_none()
}

/// Learns the run's scenario count (after filters and outline expansion) from cucumber.
pub struct Total(pub Arc<AtomicUsize>);

impl<W> cucumber::Writer<W> for Total {
    type Cli = cli::Empty;

    async fn handle_event(&mut self, ev: parser::Result<Event<event::Cucumber<W>>>, _: &Self::Cli) {
        if let Ok(ev) = ev
            && let event::Cucumber::ParsingFinished { scenarios, .. } = ev.value
        {
            self.0.store(scenarios, Ordering::Relaxed);
        }
    }
}

/// The line at the bottom of the terminal, redrawn four times a second.
pub struct Bar {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
    /// Serialises the bar and failure lines on stderr.
    pub lock: Arc<Mutex<()>>,
}

/// `[#####-----]  42/263 scenarios  1 failed  0:35`
pub fn render(done: usize, total: usize, failed: usize, elapsed: Duration) -> String {
    const WIDTH: usize = 30;
    let filled = (done * WIDTH).checked_div(total).unwrap_or(0).min(WIDTH);
    let secs = elapsed.as_secs();
    format!(
        "[{}{}] {done:>4}/{total} scenarios  {failed} failed  {}:{:02}",
        "#".repeat(filled),
        "-".repeat(WIDTH - filled),
        secs / 60,
        secs % 60
    )
}

impl Bar {
    pub fn start(total: Arc<AtomicUsize>, counts: Arc<Mutex<Counts>>) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let lock = Arc::new(Mutex::new(()));
        let (s, l) = (stop.clone(), lock.clone());
        let thread = std::thread::spawn(move || {
            let t0 = Instant::now();
            while !s.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(250));
                if t0.elapsed() < Duration::from_secs(3) {
                    continue;
                }
                let c = *counts.lock().unwrap_or_else(|e| e.into_inner());
                let line = render(
                    c.passed + c.failed + c.skipped,
                    total.load(Ordering::Relaxed),
                    c.failed,
                    t0.elapsed(),
                );
                let _g = l.lock().unwrap_or_else(|e| e.into_inner());
                let mut err = std::io::stderr().lock();
                let _ = write!(err, "\r\x1b[K{line}");
                let _ = err.flush();
            }
            let _g = l.lock().unwrap_or_else(|e| e.into_inner());
            let _ = write!(std::io::stderr(), "\r\x1b[K");
        });
        Self {
            stop,
            thread: Some(thread),
            lock,
        }
    }

    /// Prints a line above the bar.
    pub fn println(lock: &Mutex<()>, line: &str) {
        let _g = lock.lock().unwrap_or_else(|e| e.into_inner());
        eprintln!("\r\x1b[K{line}");
    }
}

impl Drop for Bar {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bar_fills_with_the_scenarios_done() {
        let d = Duration::from_secs(95);
        assert_eq!(
            render(0, 263, 0, d),
            "[------------------------------]    0/263 scenarios  0 failed  1:35"
        );
        assert!(render(263, 263, 2, d).starts_with(&format!("[{}]", "#".repeat(30))));
        assert!(render(131, 262, 0, d).starts_with(&format!(
            "[{}{}]",
            "#".repeat(15),
            "-".repeat(15)
        )));
        // before the total is known
        assert!(render(5, 0, 0, d).starts_with("[---"));
    }
}
