# Shared set-up for scripts/demo and scripts/test (sourced, not run).
# Installs what a fresh Debian machine lacks to build ttkg, and points cargo at
# a persistent build folder outside the clone so later runs are incremental.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
say() { printf '==> %s\n' "$*" >&2; }

if ! command -v cargo >/dev/null 2>&1; then
    say "cargo is not installed. Install Rust 1.95 or newer (https://rustup.rs) and run this again."
    exit 1
fi

missing=()
if command -v dpkg >/dev/null 2>&1; then
    # libclang: oxigraph's RocksDB bindings are generated with bindgen.
    dpkg -s libclang-dev >/dev/null 2>&1 || missing+=(libclang-dev)
    # A C++ compiler: RocksDB is compiled from source.
    command -v c++ >/dev/null 2>&1 || missing+=(g++)
    # make: jemalloc, the binary's allocator, is built with configure and make.
    command -v make >/dev/null 2>&1 || missing+=(make)
fi
# Installs Debian packages (as root, or through sudo).
install_packages() {
    local sudo=""
    if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >/dev/null
}
# A Python virtual environment at $1 with the packages of requirements file
# $2, made or brought up to date when the file changed since the last time.
python_env() {
    local venv="$1" requirements="$2"
    if ! cmp -s "$requirements" "$venv/requirements.txt" 2>/dev/null; then
        say "installing the packages of ${requirements#"$ROOT"/} into $venv"
        python3 -m venv "$venv"
        "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
        cp "$requirements" "$venv/requirements.txt"
    fi
}
if ((${#missing[@]})); then
    say "installing ${missing[*]} (needed to compile RocksDB for the embedded store and jemalloc)"
    install_packages "${missing[@]}"
fi

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/ttkg/target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-auto}"
say "building in $CARGO_TARGET_DIR (the first build compiles RocksDB and polars: about 25 minutes on 2 cores; later builds take seconds)"
cd "$ROOT"
