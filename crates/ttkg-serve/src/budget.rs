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
