//! Bounded fuzzing by mutation of real inputs: the saved questions and the
//! hostile queries, the pipelines, the demo and messy reports. Each target
//! takes mutated bytes and must return (an error is fine) without a panic;
//! a stack overflow or an abort ends the run, which `scripts/fuzz` reports.
//! Inputs that panicked are written to `fuzz-crashes/` under the build
//! folder with the seed that made them, so a crash is reproducible.
//!
//! cargo-fuzz would need a nightly toolchain, which this project does not
//! use; a seeded mutator over a corpus of real inputs finds what matters
//! here (deep nesting, broken quoting, truncated archives) on stable.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// A small, fast, seeded generator (xorshift64*): the same seed gives the
/// same inputs, so a reported crash can be replayed.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.max(1))
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next_u64() % n as u64) as usize
        }
    }
}

/// Tokens worth inserting: the brackets, quotes and separators parsers
/// and readers care about.
const TOKENS: &[&[u8]] = &[
    b"(",
    b")",
    b"{",
    b"}",
    b"[",
    b"]",
    b"\"",
    b"'",
    b"\"\"\"",
    b"<",
    b">",
    b",",
    b";",
    b"\t",
    b"\n",
    b"\r\n",
    b"\\",
    b"#",
    b"?x",
    b"FILTER(",
    b"OPTIONAL {",
    b"UNION",
    b"GRAPH ?g {",
    b"SELECT * WHERE {",
    b"BIND(CONCAT(?x, ?x) AS ?y)",
    b"VALUES ?v { 1 2 3 }",
    b"^^xsd:decimal",
    b"@zh",
    b"\xE4\xB8\x87",
    b"\xEF\xBF\xBD",
    b"\xF3\xA0\x81\x81",
    b"\0",
    b"=",
    b"1e308",
    b"99999999999999999999",
    b"-0",
    b"%",
    b"\"\"",
    b"[[entity]]",
    b"type = \"money\"",
    b"headers = [\"x\"]",
    b"{number}",
    b"<!ENTITY",
];

/// One mutation of `input`: flip, insert, delete, duplicate, splice or
/// repeat a token, a few times over.
pub fn mutate(input: &[u8], corpus: &[Vec<u8>], rng: &mut Rng) -> Vec<u8> {
    let mut out = input.to_vec();
    for _ in 0..1 + rng.below(8) {
        let at = rng.below(out.len() + 1);
        match rng.below(8) {
            0 if !out.is_empty() => {
                let i = rng.below(out.len());
                out[i] ^= 1 << rng.below(8);
            }
            1 => {
                let token = TOKENS[rng.below(TOKENS.len())];
                out.splice(at..at, token.iter().copied());
            }
            2 if !out.is_empty() => {
                let end = (at + 1 + rng.below(64)).min(out.len());
                out.drain(at.min(end)..end);
            }
            3 if !out.is_empty() => {
                let start = rng.below(out.len());
                let end = (start + 1 + rng.below(256)).min(out.len());
                let piece = out[start..end].to_vec();
                out.splice(at..at, piece);
            }
            4 if !corpus.is_empty() => {
                let other = &corpus[rng.below(corpus.len())];
                if !other.is_empty() {
                    let start = rng.below(other.len());
                    let end = (start + 1 + rng.below(512)).min(other.len());
                    out.splice(at..at, other[start..end].iter().copied());
                }
            }
            5 => {
                let token = TOKENS[rng.below(TOKENS.len())];
                let times = 1 + rng.below(300);
                let repeated: Vec<u8> = token.repeat(times);
                out.splice(at..at, repeated);
            }
            6 => out.truncate(at),
            _ => {
                let byte = rng.next_u64() as u8;
                out.insert(at, byte);
            }
        }
        if out.len() > 1 << 20 {
            out.truncate(1 << 20);
        }
    }
    out
}

/// The repository's root, from this crate's folder (as cargo gives it when
/// the fuzzer runs, else where it was built).
pub fn repository() -> PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")))
        .join("../..")
}

/// Every file under `dir` whose name ends in one of `extensions`.
pub fn corpus(dir: &Path, extensions: &[&str]) -> Vec<Vec<u8>> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() {
                stack.push(path);
            } else if kind.is_file()
                && extensions
                    .iter()
                    .any(|e| path.to_string_lossy().ends_with(e))
            {
                if let Ok(bytes) = std::fs::read(&path) {
                    found.push(bytes);
                }
            }
        }
    }
    found
}

/// What a fuzzing run did.
#[derive(Debug, Default)]
pub struct Report {
    pub inputs: u64,
    pub panics: Vec<PathBuf>,
}

/// Feeds mutations of `corpus` to `target` for `duration`, from `seed`.
/// A panic is caught and its input saved; the run goes on.
pub fn fuzz(
    name: &str,
    corpus: &[Vec<u8>],
    duration: Duration,
    seed: u64,
    mut target: impl FnMut(&[u8]),
) -> Report {
    assert!(!corpus.is_empty(), "{name}: an empty corpus");
    let crashes = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repository().join("target"))
        .join("fuzz-crashes");
    let mut rng = Rng::new(seed);
    let mut report = Report::default();
    let started = Instant::now();
    // Quiet the default hook: a panic is reported here, with its input.
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    while started.elapsed() < duration {
        let base = &corpus[rng.below(corpus.len())];
        let input = mutate(base, corpus, &mut rng);
        report.inputs += 1;
        if catch_unwind(AssertUnwindSafe(|| target(&input))).is_err() {
            let _ = std::fs::create_dir_all(&crashes);
            let path = crashes.join(format!("{name}-{seed}-{}", report.inputs));
            let _ = std::fs::write(&path, &input);
            report.panics.push(path);
        }
    }
    std::panic::set_hook(hook);
    report
}

/// How long each target runs: `TTKG_FUZZ_SECONDS`, else 10 s.
pub fn duration() -> Duration {
    Duration::from_secs(
        std::env::var("TTKG_FUZZ_SECONDS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(10),
    )
}

/// The seed: `TTKG_FUZZ_SEED`, else the time.
pub fn seed() -> u64 {
    std::env::var("TTKG_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(1)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mutations_are_reproducible_from_their_seed() {
        let corpus = vec![b"SELECT * WHERE { ?s ?p ?o }".to_vec()];
        let a: Vec<Vec<u8>> = {
            let mut rng = Rng::new(7);
            (0..20)
                .map(|_| mutate(&corpus[0], &corpus, &mut rng))
                .collect()
        };
        let b: Vec<Vec<u8>> = {
            let mut rng = Rng::new(7);
            (0..20)
                .map(|_| mutate(&corpus[0], &corpus, &mut rng))
                .collect()
        };
        assert_eq!(a, b);
        assert!(a.iter().any(|m| m != &corpus[0]));
    }
}
