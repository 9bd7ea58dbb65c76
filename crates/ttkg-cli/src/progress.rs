//! Progress: bars on a terminal, plain lines otherwise (logs, CI, cron).

use std::sync::Mutex;

use indicatif::{ProgressBar, ProgressStyle};
use ttkg_import::{Progress, Stage};

pub fn for_terminal(terminal: bool) -> Box<dyn Progress> {
    if terminal {
        Box::new(Bars {
            bar: Mutex::new(None),
        })
    } else {
        Box::new(Lines)
    }
}

struct Bars {
    bar: Mutex<Option<ProgressBar>>,
}

impl Progress for Bars {
    fn start(&self, stage: Stage, total: u64) {
        let bar = ProgressBar::new(total).with_style(
            ProgressStyle::with_template("{prefix:>18} [{bar:30}] {pos}/{len} {wide_msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        bar.set_prefix(stage.label());
        *self.bar.lock().unwrap_or_else(|p| p.into_inner()) = Some(bar);
    }

    fn advance(&self, _: Stage, message: &str) {
        if let Some(bar) = self.bar.lock().unwrap_or_else(|p| p.into_inner()).as_ref() {
            bar.set_message(message.to_owned());
            bar.inc(1);
        }
    }

    fn finish(&self, _: Stage) {
        if let Some(bar) = self.bar.lock().unwrap_or_else(|p| p.into_inner()).take() {
            bar.finish_and_clear();
        }
    }
}

struct Lines;

impl Progress for Lines {
    fn start(&self, stage: Stage, total: u64) {
        eprintln!("{}: {total} file(s)", stage.label());
    }

    fn advance(&self, stage: Stage, message: &str) {
        eprintln!("{}: {message}", stage.label());
    }

    fn finish(&self, stage: Stage) {
        eprintln!("{}: done", stage.label());
    }
}
