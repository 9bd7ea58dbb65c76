//! A memory budget for query workers: the process's allocator counts the
//! bytes a query holds, and a query that goes past its budget ends the
//! worker process at once with [`OVER_BUDGET`], which the server reports
//! as "the query needed more than N MiB" and replaces the worker.
//!
//! Ending the process is the only safe way out: an allocation that fails
//! aborts any Rust program, and oxigraph cannot be interrupted in the middle
//! of building a string or a cross product. Outside workers no budget is
//! set and the allocator only forwards to the one it wraps.
//!
//! The binary installs it around the allocator it chooses:
//! `#[global_allocator] static A: BudgetAllocator<System> = BudgetAllocator::new(System);`.

use std::alloc::{GlobalAlloc, Layout};
use std::sync::atomic::{AtomicIsize, Ordering};

/// The exit status of a worker that went past its memory budget.
pub const OVER_BUDGET: i32 = 86;

/// No budget: the allocator counts nothing.
const UNLIMITED: isize = isize::MAX;

static LIMIT: AtomicIsize = AtomicIsize::new(UNLIMITED);
static USED: AtomicIsize = AtomicIsize::new(0);

/// An allocator, with a budget when one is set.
pub struct BudgetAllocator<A>(A);

impl<A> BudgetAllocator<A> {
    /// Counts what `inner` allocates.
    pub const fn new(inner: A) -> Self {
        Self(inner)
    }
}

/// Sets the budget to `bytes` from now on (what the process held before
/// does not count).
pub fn limit(bytes: usize) {
    USED.store(0, Ordering::SeqCst);
    LIMIT.store(
        isize::try_from(bytes).unwrap_or(UNLIMITED - 1),
        Ordering::SeqCst,
    );
}

/// Starts counting afresh, for the next query.
pub fn reset() {
    USED.store(0, Ordering::SeqCst);
}

/// Bytes allocated since the budget was set or reset, net of those freed.
pub fn used() -> isize {
    USED.load(Ordering::Relaxed)
}

/// The most one query takes by default: half the machine's memory shared
/// by the queries that run at once, and at most 3 GiB. The saved questions
/// hash-join every agreement and need about 2.5 GiB at 1,000,000 rows; a
/// 24 GiB machine with 4 queries at once gives each 3 GiB, an 8 GiB one
/// 1 GiB. Without `/proc/meminfo`, 1 GiB.
pub fn default_query_memory(max_concurrent: usize) -> usize {
    let total = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|text| mem_total(&text));
    query_memory(total, max_concurrent)
}

const MIB: usize = 1 << 20;

fn query_memory(total: Option<usize>, max_concurrent: usize) -> usize {
    match total {
        None => 1024 * MIB,
        Some(total) => (total / 2 / max_concurrent.max(1)).clamp(256 * MIB, 3072 * MIB),
    }
}

/// `MemTotal` of `/proc/meminfo`, in bytes.
fn mem_total(meminfo: &str) -> Option<usize> {
    let line = meminfo.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kib: usize = line.split_whitespace().nth(1)?.parse().ok()?;
    kib.checked_mul(1024)
}

#[cold]
fn over_budget() -> ! {
    const MESSAGE: &[u8] = b"ttkg worker: the query went past its memory budget; stopping\n";
    // SAFETY: write(2) and _exit(2) are async-signal-safe and allocate nothing;
    // the process ends here, so no Rust state is left half-updated in use.
    unsafe {
        libc::write(2, MESSAGE.as_ptr().cast(), MESSAGE.len());
        libc::_exit(OVER_BUDGET)
    }
}

fn count(delta: isize) {
    let limit = LIMIT.load(Ordering::Relaxed);
    if limit == UNLIMITED {
        return;
    }
    let now = USED.fetch_add(delta, Ordering::Relaxed) + delta;
    if delta > 0 && now > limit {
        over_budget();
    }
}

// SAFETY: every call forwards to the wrapped allocator with the caller's
// layout; the counting touches atomics only.
unsafe impl<A: GlobalAlloc> GlobalAlloc for BudgetAllocator<A> {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count(layout.size() as isize);
        // SAFETY: forwarded as received.
        unsafe { self.0.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count(layout.size() as isize);
        // SAFETY: forwarded as received.
        unsafe { self.0.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        count(-(layout.size() as isize));
        // SAFETY: forwarded as received.
        unsafe { self.0.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count(new_size as isize - layout.size() as isize);
        // SAFETY: forwarded as received.
        unsafe { self.0.realloc(ptr, layout, new_size) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_query_gets_a_share_of_half_the_machine_within_bounds() {
        let gib = 1024 * MIB;
        assert_eq!(query_memory(Some(24 * gib), 4), 3 * gib);
        assert_eq!(query_memory(Some(8 * gib), 4), gib);
        assert_eq!(query_memory(Some(64 * gib), 4), 3 * gib, "at most 3 GiB");
        assert_eq!(query_memory(Some(gib), 4), 256 * MIB, "at least 256 MiB");
        assert_eq!(
            query_memory(Some(8 * gib), 0),
            3 * gib,
            "0 at once counts as 1"
        );
        assert_eq!(query_memory(None, 4), gib);
    }

    #[test]
    fn the_machines_memory_is_read_from_meminfo() {
        let meminfo = "MemTotal:       24589412 kB\nMemFree:         1234 kB\n";
        assert_eq!(mem_total(meminfo), Some(24_589_412 * 1024));
        assert_eq!(mem_total("MemFree: 12 kB\n"), None);
        assert_eq!(mem_total("MemTotal: lots kB\n"), None);
    }
}
