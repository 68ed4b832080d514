//! Progress bars for training and evaluation (hidden with `--no-progress`). When standard
//! error is not a terminal (a log file, a remote run), each finished job prints one plain line
//! instead.

use std::io::IsTerminal;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

/// The run's progress display: one overall bar and one bar per active job.
#[derive(Debug, Clone)]
pub struct Progress {
    bars: MultiProgress,
    overall: ProgressBar,
    /// Print a line per finished job (visible, but standard error is not a terminal).
    lines: bool,
}

fn style(template: &str) -> ProgressStyle {
    ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_bar())
}

impl Progress {
    /// A display for `jobs` jobs (training runs and evaluations); hidden when `visible` is false.
    pub fn new(jobs: u64, visible: bool) -> Self {
        let target = if visible {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        let bars = MultiProgress::with_draw_target(target);
        let overall = bars.add(ProgressBar::new(jobs));
        overall.set_style(style(
            "{elapsed_precise} [{bar:30.green/white}] {pos}/{len} jobs, eta {eta} {msg}",
        ));
        let lines = visible && !std::io::stderr().is_terminal();
        Self {
            bars,
            overall,
            lines,
        }
    }

    /// A bar of `len` steps for one job, labelled `label`.
    pub fn job(&self, label: String, len: u64) -> ProgressBar {
        let bar = self.bars.add(ProgressBar::new(len));
        bar.set_style(style(
            "  {prefix:40} [{bar:30.cyan/blue}] {pos}/{len} {msg}",
        ));
        bar.set_prefix(label);
        bar
    }

    /// Marks a job finished and removes its bar.
    pub fn finish(&self, bar: ProgressBar) {
        bar.finish_and_clear();
        self.bars.remove(&bar);
        self.overall.inc(1);
        if self.lines {
            eprintln!(
                "[{}/{} jobs, {:.0?}] {} done in {:.1?}",
                self.overall.position(),
                self.overall.length().unwrap_or(0),
                self.overall.elapsed(),
                bar.prefix().trim(),
                bar.elapsed(),
            );
        }
    }

    /// Counts `jobs` jobs of a unit an earlier run finished (labelled `label`) as done.
    pub fn reuse(&self, label: &str, jobs: u64) {
        self.overall.inc(jobs);
        let line = format!("{label}: finished by an earlier run, reused");
        if self.lines {
            eprintln!(
                "[{}/{} jobs] {line}",
                self.overall.position(),
                self.overall.length().unwrap_or(0)
            );
        } else {
            // Shown above the bars; nothing when the display is hidden.
            let _ = self.bars.println(line);
        }
    }

    /// Prints `line` as a warning on standard error, above the bars, even when they are
    /// hidden.
    pub fn warn(&self, line: &str) {
        self.bars.suspend(|| eprintln!("warning: {line}"));
    }

    /// Closes the display.
    pub fn done(&self) {
        self.overall.finish();
    }
}
