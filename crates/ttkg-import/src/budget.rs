//! What `--memory` leaves for an import's own work. The budget is what the
//! whole process may hold, and the program holds some of it whatever it
//! imports: its code, RocksDB's buffers and caches, the threads' stacks
//! (a 1,000-row import peaked at 110 MiB resident). The shares of the
//! budget (the files read at once, a file's facts, the bulk loader) are
//! taken of what is left: taken of the whole, two 100,000-row reports
//! imported under `--memory 160M` peaked at 286 MiB.

/// The least an import works within, whatever the budget leaves: less
/// cannot hold a batch of rows beside the bulk loader's smallest share.
pub(crate) const LEAST_WORK: u64 = 64 << 20;

/// What a run adds to what the process holds as it begins, whatever it
/// imports, and no share of the budget counts: the code it runs as it
/// reads and writes (the program's pages in memory went from 28 to 64 MiB
/// in a 20,000-row import), RocksDB's write buffers and caches, the
/// threads' stacks and allocator arenas. A 1,000-row import began with
/// 28 MiB resident and peaked at 110 MiB.
const RUN_OVERHEAD: u64 = 80 << 20;

/// The least work the budget is kept within: with less, the sheets read,
/// the batch being normalised, the checks' tables and the bulk loader's
/// least share take more than the third a file's facts leave. Two
/// 100,000-row reports (facts of 80 MiB each) peaked at 299 MiB under
/// `--memory 320M` and at 306 under 384M, but at 281 MiB under 256M
/// (147 MiB of work).
const KEPT_WORK: u64 = 192 << 20;

/// A run's memory budget, and what the process holds whatever it imports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Budget {
    /// `--memory`, in bytes.
    pub total: u64,
    /// What the process holds whatever the run imports, out of `total`.
    pub floor: u64,
}

impl Budget {
    /// `total` for the whole of this process (`ttkg import`, `ttkg
    /// check`): what it holds now, measured once the store is open, and
    /// [`RUN_OVERHEAD`].
    pub fn of_process(total: u64) -> Self {
        let now = ttkg_memory::resident().map_or(0, |b| b as u64);
        let floor = now.saturating_add(RUN_OVERHEAD);
        let budget = Budget { total, floor };
        tracing::debug!(
            total_mib = total >> 20,
            floor_mib = floor >> 20,
            work_mib = budget.work() >> 20,
            "the memory budget"
        );
        budget
    }

    /// `total` for the import's own work, in a process that holds other
    /// things besides (a server running an import handed to it).
    pub fn of_work(total: u64) -> Self {
        Budget { total, floor: 0 }
    }

    /// What the run's own work may hold: the budget less the floor, and
    /// [`LEAST_WORK`] at least.
    pub fn work(&self) -> u64 {
        self.total.saturating_sub(self.floor).max(LEAST_WORK)
    }

    /// The budget that leaves `work` beside the floor (and [`KEPT_WORK`]
    /// at least, so that it is kept), in MiB, rounded up to a multiple of
    /// `step` MiB: what to ask for in a message.
    pub fn total_for(&self, work: u64, step: u64) -> u64 {
        let work = work.max(KEPT_WORK);
        let mib = (self.floor.saturating_add(work)).div_ceil(1 << 20);
        mib.div_ceil(step) * step
    }

    /// How a file's allowance, two thirds of [`Self::work`], comes from
    /// `--memory`, for a message.
    pub fn describe_allowance(&self) -> String {
        let total = self.total >> 20;
        match self.floor {
            0 => format!("two thirds of --memory, {total} MiB"),
            floor if self.total.saturating_sub(floor) < LEAST_WORK => format!(
                "two thirds of the {} MiB an import works within at the least, more than --memory {total}M leaves beside the {} MiB the program and its store hold",
                LEAST_WORK >> 20,
                floor.div_ceil(1 << 20),
            ),
            floor => format!(
                "two thirds of the {} MiB that --memory {total}M leaves beside the {} MiB the program and its store hold",
                self.work() >> 20,
                floor.div_ceil(1 << 20),
            ),
        }
    }

    /// Why the process will or may go past `total`, when the floor leaves
    /// less than [`LEAST_WORK`] or [`KEPT_WORK`] of it.
    pub fn warning(&self) -> Option<String> {
        let (total, floor) = (self.total >> 20, self.floor.div_ceil(1 << 20));
        let left = self.total.saturating_sub(self.floor);
        if left < LEAST_WORK {
            Some(format!(
                "--memory {total}M leaves less than the {} MiB an import works within beside the {floor} MiB the program and its store hold whatever it imports, so the process will go past {total}M; give --memory {}M or more",
                LEAST_WORK >> 20,
                self.total_for(KEPT_WORK, 64),
            ))
        } else if left < KEPT_WORK {
            Some(format!(
                "--memory {total}M leaves {} MiB for the import beside the {floor} MiB the program and its store hold whatever it imports, too little to keep to the budget: the process may go past it by a tenth or more; give --memory {}M or more to keep it",
                left >> 20,
                self.total_for(KEPT_WORK, 64),
            ))
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: u64 = 1 << 20;

    #[test]
    fn the_work_is_what_the_floor_leaves_of_the_budget() {
        let budget = Budget {
            total: 1536 * MIB,
            floor: 105 * MIB,
        };
        assert_eq!(budget.work(), 1431 * MIB);
        assert_eq!(budget.warning(), None);
        assert_eq!(
            budget.total_for(1000 * MIB, 256),
            1280,
            "1,105 MiB, rounded up"
        );
        assert_eq!(
            budget.total_for(10 * MIB, 64),
            320,
            "the work kept at least"
        );
        assert_eq!(Budget::of_work(1536 * MIB).work(), 1536 * MIB);
    }

    #[test]
    fn a_budget_below_the_floor_works_within_the_least_and_says_so() {
        let budget = Budget {
            total: 128 * MIB,
            floor: 105 * MIB,
        };
        assert_eq!(budget.work(), LEAST_WORK);
        let warning = budget.warning().expect("a warning");
        assert!(warning.contains("--memory 128M"), "{warning}");
        assert!(warning.contains("105 MiB"), "{warning}");
        assert!(warning.contains("will go past 128M"), "{warning}");
        assert!(warning.contains("give --memory 320M or more"), "{warning}");
        assert!(budget
            .describe_allowance()
            .contains("two thirds of the 64 MiB an import works within at the least"));
        let tight = Budget {
            total: 256 * MIB,
            floor: 105 * MIB,
        };
        assert_eq!(tight.work(), 151 * MIB);
        let warning = tight.warning().expect("a warning");
        assert!(warning.contains("leaves 151 MiB"), "{warning}");
        assert!(warning.contains("may go past it"), "{warning}");
        let kept = Budget {
            total: 320 * MIB,
            floor: 105 * MIB,
        };
        assert_eq!(kept.warning(), None);
    }
}
