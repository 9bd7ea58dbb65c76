//! A memory budget for one process: the allocator counts the bytes a query
//! holds, and a query that goes past its budget ends the process at once,
//! before the machine runs out and the kernel's out-of-memory killer ends
//! it (or another program) without a word.
//!
//! Ending the process is the only safe way out: an allocation that fails
//! aborts any Rust program, and oxigraph cannot be interrupted in the middle
//! of building a string or a cross product. What happens then is set with
//! [`on_overrun`]: `ttkg query` removes its half-written output and says
//! what to do; a server's query worker (the default) writes one line and
//! exits with [`OVER_BUDGET`], which the server reports as "the query needed
//! more than N MiB". Until [`limit`] is called the allocator only forwards
//! to the one it wraps.
//!
//! Only allocations through Rust's global allocator count: RocksDB's caches
//! (C++ `malloc`) are the store's, not the query's.
//!
//! The binary installs it around the allocator it chooses:
//! `#[global_allocator] static A: BudgetAllocator<System> = BudgetAllocator::new(System);`.

use std::alloc::{GlobalAlloc, Layout};
use std::cell::Cell;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicIsize, Ordering};
use std::sync::OnceLock;

/// The exit status of a process that went past its memory budget with no
/// [`on_overrun`] handler (a server's query worker).
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

/// What the process does past its budget before it exits.
struct Overrun {
    exit_code: i32,
    before_exit: Box<dyn Fn() + Send + Sync>,
}

static OVERRUN: OnceLock<Overrun> = OnceLock::new();
static OVERRUN_STARTED: AtomicBool = AtomicBool::new(false);

/// Past the budget, run `before_exit` (remove half-written files, say what
/// happened) and exit with `exit_code`. Counting stops first, so
/// `before_exit` may allocate; it runs on the thread that went over, which
/// may hold locks (standard output's, a store's), so it should touch only
/// the file system and standard error. Set once per process; `false` if a
/// handler was already set (it stays).
pub fn on_overrun(exit_code: i32, before_exit: impl Fn() + Send + Sync + 'static) -> bool {
    OVERRUN
        .set(Overrun {
            exit_code,
            before_exit: Box::new(before_exit),
        })
        .is_ok()
}

#[cold]
fn over_budget() -> ! {
    // From here on nothing is counted: the handler may allocate.
    LIMIT.store(UNLIMITED, Ordering::SeqCst);
    if OVERRUN_STARTED.swap(true, Ordering::SeqCst) {
        // Another thread went over too and is ending the process.
        loop {
            // SAFETY: pause(2) only waits for a signal.
            unsafe { libc::pause() };
        }
    }
    let exit_code = match OVERRUN.get() {
        Some(overrun) => {
            // A panic must not unwind out of the allocator.
            let _ =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| (overrun.before_exit)()));
            overrun.exit_code
        }
        None => {
            const MESSAGE: &[u8] =
                b"ttkg worker: the query went past its memory budget; stopping\n";
            // SAFETY: write(2) allocates nothing and writes from a valid buffer.
            unsafe { libc::write(2, MESSAGE.as_ptr().cast(), MESSAGE.len()) };
            OVER_BUDGET
        }
    };
    // SAFETY: _exit(2) ends the process without running destructors or
    // atexit handlers, which could wait on locks this thread holds.
    unsafe { libc::_exit(exit_code) }
}

/// Bytes a thread counts on its own before it adds them to [`USED`]: one
/// shared atomic add per allocation took a tenth of a hash-joining
/// question's samples (perf, 1,000,000 rows). A thread may be this much
/// past the budget before it is noticed.
const BATCH: isize = 256 << 10;

thread_local! {
    /// This thread's allocations not yet added to [`USED`]. A `Cell` of
    /// an integer: no destructor and no allocation, so the allocator may
    /// use it at any time, even while the thread ends.
    static PENDING: Cell<isize> = const { Cell::new(0) };
}

fn count(delta: isize) {
    let limit = LIMIT.load(Ordering::Relaxed);
    if limit == UNLIMITED {
        return;
    }
    let batch = PENDING.with(|pending| {
        let sum = pending.get() + delta;
        if sum.abs() < BATCH {
            pending.set(sum);
            None
        } else {
            pending.set(0);
            Some(sum)
        }
    });
    if let Some(batch) = batch {
        let now = USED.fetch_add(batch, Ordering::Relaxed) + batch;
        if batch > 0 && now > limit {
            over_budget();
        }
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

pub const MIB: usize = 1 << 20;

/// The least budget a query is given by default: below it even a small
/// question's answer does not fit.
const FLOOR: usize = 256 * MIB;

/// The most one query of a server takes by default: half the machine's
/// memory shared by the queries that run at once, 256 MiB to 3 GiB. The
/// saved questions hash-join every agreement and need about 2.5 GiB at
/// 1,000,000 rows; a 24 GiB machine with 4 queries at once gives each
/// 3 GiB, an 8 GiB one 1 GiB. Without `/proc/meminfo`, 1 GiB.
pub fn server_query_memory(max_concurrent: usize) -> usize {
    server_share(machine_memory(), max_concurrent)
}

fn server_share(total: Option<usize>, max_concurrent: usize) -> usize {
    match total {
        None => 1024 * MIB,
        Some(total) => (total / 2 / max_concurrent.max(1)).clamp(FLOOR, 3072 * MIB),
    }
}

/// The most a single command's query takes by default (`ttkg query`,
/// `export`, `report`): three quarters of the memory free when it starts,
/// at least 256 MiB, so that it stops with a message before the kernel's
/// out-of-memory killer ends it without one. The rest is left to the
/// store's caches and the other programs. Without `/proc/meminfo`, 1 GiB.
pub fn command_query_memory() -> usize {
    command_share(available_memory())
}

fn command_share(available: Option<usize>) -> usize {
    match available {
        None => 1024 * MIB,
        Some(available) => (available / 4 * 3).max(FLOOR),
    }
}

/// The machine's memory, or its control group's limit if that is lower
/// (a container), in bytes.
pub fn machine_memory() -> Option<usize> {
    let total = read("/proc/meminfo").and_then(|text| meminfo_field(&text, "MemTotal:"));
    lower(total, cgroup_headroom(false))
}

/// Reads how many bytes the process's allocator has handed out and not
/// had back, for [`in_use`] (set once by the binary that chose the
/// allocator).
static IN_USE: OnceLock<fn() -> Option<usize>> = OnceLock::new();

/// Tells [`in_use`] how to ask the allocator what it has handed out (the
/// binary's allocator, which also serves RocksDB). `false` if already set.
pub fn count_in_use_with(probe: fn() -> Option<usize>) -> bool {
    IN_USE.set(probe).is_ok()
}

/// The memory this process uses now, in bytes: what its allocator has
/// handed out and not had back, when the binary said how to ask
/// ([`count_in_use_with`]), else its [`resident`] set. The resident set
/// also counts memory freed but kept by the allocator for reuse: a
/// 100,000-row report's import held about 1 GB resident when its loader
/// started, of which much went to the loader's batches again.
pub fn in_use() -> Option<usize> {
    match IN_USE.get() {
        Some(probe) => probe().or_else(resident),
        None => resident(),
    }
}

/// The memory this process holds now (its resident set: Rust's heap,
/// RocksDB's, and what the allocator keeps to reuse), in bytes: what
/// `/usr/bin/time` reports the peak of.
pub fn resident() -> Option<usize> {
    let pages: usize = read("/proc/self/statm")?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    // SAFETY: sysconf only reads a system setting.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    pages.checked_mul(usize::try_from(page).ok()?)
}

/// The memory a new allocation can take now without pushing anything out:
/// `MemAvailable`, or what the control group still allows if that is less.
pub fn available_memory() -> Option<usize> {
    let available = read("/proc/meminfo").and_then(|text| meminfo_field(&text, "MemAvailable:"));
    lower(available, cgroup_headroom(true))
}

fn lower(a: Option<usize>, b: Option<usize>) -> Option<usize> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

fn read(path: impl AsRef<Path>) -> Option<String> {
    std::fs::read_to_string(path).ok()
}

/// A `/proc/meminfo` field (`MemTotal:`), in bytes.
fn meminfo_field(meminfo: &str, field: &str) -> Option<usize> {
    let line = meminfo.lines().find(|l| l.starts_with(field))?;
    let kib: usize = line.split_whitespace().nth(1)?.parse().ok()?;
    kib.checked_mul(1024)
}

/// The tightest memory limit of this process's control group and its
/// ancestors (cgroup v2 `memory.max`, or v1 `memory.limit_in_bytes`), less
/// what each already holds when `net` — `None` when no limit is set. The
/// page cache counted in a group's use is left out of what it holds: the
/// kernel gives it back before it ends anything.
fn cgroup_headroom(net: bool) -> Option<usize> {
    headroom_under(
        Path::new("/sys/fs/cgroup"),
        &read("/proc/self/cgroup")?,
        net,
    )
}

/// [`cgroup_headroom`] with the cgroup file system mounted at `sys` and
/// `/proc/self/cgroup` reading `proc_cgroup`.
fn headroom_under(sys: &Path, proc_cgroup: &str, net: bool) -> Option<usize> {
    let (hierarchy, own, files) = cgroup(proc_cgroup)?;
    let root = sys.join(hierarchy);
    let mut tightest: Option<usize> = None;
    let mut dir = Some(own.as_path());
    while let Some(relative) = dir {
        let group = root.join(relative.strip_prefix("/").unwrap_or(relative));
        if let Some(max) = read(group.join(files.max)).and_then(|t| memory_limit(&t)) {
            let held = match net {
                true => {
                    let current = read(group.join(files.current))
                        .and_then(|t| t.trim().parse::<usize>().ok())
                        .unwrap_or(0);
                    let cache = read(group.join("memory.stat"))
                        .and_then(|t| stat_field(&t, files.cache))
                        .unwrap_or(0);
                    current.saturating_sub(cache)
                }
                false => 0,
            };
            tightest = lower(tightest, Some(max.saturating_sub(held)));
        }
        dir = relative.parent();
    }
    tightest
}

/// The files of a cgroup version's memory controller.
#[derive(Debug, PartialEq, Eq)]
struct CgroupFiles {
    max: &'static str,
    current: &'static str,
    /// The page cache's field in `memory.stat`.
    cache: &'static str,
}

const CGROUP_V2: CgroupFiles = CgroupFiles {
    max: "memory.max",
    current: "memory.current",
    cache: "file",
};

const CGROUP_V1: CgroupFiles = CgroupFiles {
    max: "memory.limit_in_bytes",
    current: "memory.usage_in_bytes",
    cache: "total_cache",
};

/// Where this process's memory controller is, from `/proc/self/cgroup`:
/// the v1 `memory` hierarchy if there is one (it is the one that limits
/// memory on a hybrid system), else the v2 `0::PATH` group. The hierarchy's
/// folder under `/sys/fs/cgroup`, the group's path in it, and its files.
fn cgroup(text: &str) -> Option<(&'static str, PathBuf, CgroupFiles)> {
    let v1 = text.lines().find_map(|line| {
        let mut parts = line.splitn(3, ':');
        let (_, controllers, path) = (parts.next()?, parts.next()?, parts.next()?);
        controllers
            .split(',')
            .any(|c| c == "memory")
            .then(|| PathBuf::from(path.trim()))
    });
    if let Some(path) = v1 {
        return Some(("memory", path, CGROUP_V1));
    }
    let v2 = text.lines().find_map(|l| l.strip_prefix("0::"))?;
    Some(("", PathBuf::from(v2.trim()), CGROUP_V2))
}

/// A memory limit: bytes, or `None` for none (`max` in v2, a number near
/// 2^63 in v1).
fn memory_limit(text: &str) -> Option<usize> {
    let bytes: u64 = text.trim().parse().ok()?;
    (bytes < 1 << 62)
        .then(|| usize::try_from(bytes).ok())
        .flatten()
}

/// A `memory.stat` field, in bytes.
fn stat_field(stat: &str, field: &str) -> Option<usize> {
    stat.lines().find_map(|line| {
        let (name, value) = line.split_once(' ')?;
        (name == field).then(|| value.trim().parse().ok()).flatten()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const GIB: usize = 1024 * MIB;

    #[test]
    fn what_the_process_holds_grows_with_what_it_touches() {
        let before = resident().expect("Linux has /proc/self/statm");
        let held = vec![1u8; 64 * MIB];
        let after = resident().unwrap();
        assert!(
            after >= before + 60 * MIB,
            "{before} bytes, then {after} with 64 MiB written"
        );
        assert!(after < machine_memory().unwrap());
        drop(held);
    }

    #[test]
    fn without_a_probe_what_is_in_use_is_the_resident_set() {
        // This test binary sets no probe. Read between two readings of the
        // resident set: another test may allocate meanwhile.
        let before = resident().unwrap();
        let used = in_use().unwrap();
        let after = resident().unwrap();
        assert!(
            before.min(after) < used + 16 * MIB && used < before.max(after) + 16 * MIB,
            "{used} against {before} and {after}"
        );
    }

    #[test]
    fn a_server_query_gets_a_share_of_half_the_machine_within_bounds() {
        assert_eq!(server_share(Some(24 * GIB), 4), 3 * GIB);
        assert_eq!(server_share(Some(8 * GIB), 4), GIB);
        assert_eq!(server_share(Some(64 * GIB), 4), 3 * GIB, "at most 3 GiB");
        assert_eq!(server_share(Some(GIB), 4), 256 * MIB, "at least 256 MiB");
        assert_eq!(
            server_share(Some(8 * GIB), 0),
            3 * GIB,
            "0 at once counts as 1"
        );
        assert_eq!(server_share(None, 4), GIB);
    }

    #[test]
    fn a_commands_query_gets_three_quarters_of_the_free_memory() {
        assert_eq!(command_share(Some(20 * GIB)), 15 * GIB, "no upper bound");
        assert_eq!(
            command_share(Some(100 * MIB)),
            256 * MIB,
            "at least 256 MiB"
        );
        assert_eq!(command_share(None), GIB);
    }

    #[test]
    fn the_machines_memory_is_read_from_meminfo() {
        let meminfo =
            "MemTotal:       24589412 kB\nMemFree:         1234 kB\nMemAvailable:   20000000 kB\n";
        assert_eq!(meminfo_field(meminfo, "MemTotal:"), Some(24_589_412 * 1024));
        assert_eq!(
            meminfo_field(meminfo, "MemAvailable:"),
            Some(20_000_000 * 1024)
        );
        assert_eq!(meminfo_field("MemFree: 12 kB\n", "MemTotal:"), None);
        assert_eq!(meminfo_field("MemTotal: lots kB\n", "MemTotal:"), None);
    }

    #[test]
    fn a_containers_limit_is_read_from_its_cgroup() {
        assert_eq!(
            cgroup("0::/system.slice/ttkg.service\n"),
            Some(("", PathBuf::from("/system.slice/ttkg.service"), CGROUP_V2))
        );
        let hybrid = "5:devices:/\n4:memory:/docker/abc\n1:cpu,cpuacct:/\n0::/\n";
        assert_eq!(
            cgroup(hybrid),
            Some(("memory", PathBuf::from("/docker/abc"), CGROUP_V1)),
            "the v1 memory hierarchy limits memory on a hybrid system"
        );
        assert_eq!(cgroup("1:name=systemd:/\n"), None);
        assert_eq!(memory_limit("max\n"), None);
        assert_eq!(memory_limit("9223372036854771712\n"), None, "v1's none");
        assert_eq!(memory_limit("2147483648\n"), Some(2 * GIB));
        let stat = "anon 1000\nfile 524288\nfile_mapped 12\n";
        assert_eq!(stat_field(stat, "file"), Some(524_288));
        assert_eq!(stat_field(stat, "total_cache"), None);
        assert_eq!(lower(Some(GIB), Some(2 * GIB)), Some(GIB));
        assert_eq!(lower(None, Some(2 * GIB)), Some(2 * GIB));
        assert_eq!(lower(Some(GIB), None), Some(GIB));
    }

    #[test]
    fn the_tightest_group_above_counts_less_its_page_cache() {
        let sys = tempfile::tempdir().unwrap();
        let group = |path: &str, files: &[(&str, &str)]| {
            let dir = sys.path().join(path);
            std::fs::create_dir_all(&dir).unwrap();
            for (name, text) in files {
                std::fs::write(dir.join(name), text).unwrap();
            }
        };
        // A 4 GiB pod holding 3 GiB, 2 GiB of it page cache, and a
        // container in it limited to 8 GiB.
        group(
            "kubepods/pod1",
            &[
                ("memory.max", "4294967296\n"),
                ("memory.current", "3221225472\n"),
                ("memory.stat", "anon 1073741824\nfile 2147483648\n"),
            ],
        );
        group(
            "kubepods/pod1/ttkg",
            &[
                ("memory.max", "8589934592\n"),
                ("memory.current", "1073741824\n"),
            ],
        );
        let proc_cgroup = "0::/kubepods/pod1/ttkg\n";
        assert_eq!(
            headroom_under(sys.path(), proc_cgroup, false),
            Some(4 * GIB)
        );
        assert_eq!(headroom_under(sys.path(), proc_cgroup, true), Some(3 * GIB));
        assert_eq!(headroom_under(sys.path(), "0::/elsewhere\n", true), None);
    }

    #[test]
    fn this_machine_reports_its_memory() {
        // The tests run on Linux, where /proc/meminfo is always there.
        let total = machine_memory().expect("MemTotal");
        let available = available_memory().expect("MemAvailable");
        assert!(available <= total, "{available} > {total}");
        assert!(total >= 256 * MIB);
    }
}
