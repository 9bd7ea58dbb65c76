//! Progress: one bar per stage on a terminal, plain lines otherwise (logs, CI, cron).

use std::collections::BTreeMap;
use std::sync::Mutex;

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use ttkg_import::{Progress, Stage};

pub fn for_terminal(terminal: bool) -> Box<dyn Progress> {
    if terminal {
        Box::new(Bars {
            multi: MultiProgress::new(),
            bars: Mutex::new(BTreeMap::new()),
        })
    } else {
        Box::new(Lines)
    }
}

struct Bars {
    multi: MultiProgress,
    bars: Mutex<BTreeMap<&'static str, ProgressBar>>,
}

impl Progress for Bars {
    fn start(&self, stage: Stage, total: u64) {
        let bar = self.multi.add(ProgressBar::new(total)).with_style(
            ProgressStyle::with_template(
                "{prefix:>16} [{bar:30}] {pos}/{len} {elapsed:>4} {wide_msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        bar.set_prefix(stage.label());
        self.bars
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(stage.label(), bar);
    }

    fn advance(&self, stage: Stage, message: &str) {
        if let Some(bar) = self
            .bars
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(stage.label())
        {
            bar.set_message(message.to_owned());
            bar.inc(1);
        }
    }

    fn finish(&self, stage: Stage) {
        if let Some(bar) = self
            .bars
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(stage.label())
        {
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
