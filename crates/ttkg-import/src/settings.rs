//! Workspace settings: `ttkg.toml` at the workspace root. Every key is
//! optional; a workspace without the file uses the defaults.
//!
//! ```toml
//! [import]
//! follow_links = false      # read files that symbolic links in data/ lead to
//!
//! [limits]                  # what reading one report may cost
//! max_file_mib = 256
//! max_unpacked_mib = 1024   # a workbook's sheets and strings, unpacked
//! max_cells = 20000000      # in one sheet or CSV file
//! max_columns = 1000
//! max_read_seconds = 300    # reading one sheet
//!
//! [[target]]                # a remote store `ttkg publish --target NAME` feeds
//! name = "oxigraph"
//! url = "http://127.0.0.1:7879"        # Oxigraph server; or graph_store, query and update
//! after_import = true       # publish after each import that succeeds
//! token_file = "/etc/ttkg/oxigraph.token"   # readable by its owner only; or token_env
//! ```

use std::path::Path;

use serde::Deserialize;
use ttkg_ingest::ReadLimits;

use crate::ImportError;

/// The settings file's name at the workspace root.
pub const SETTINGS_FILE: &str = "ttkg.toml";

/// What `ttkg.toml` says.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    #[serde(default)]
    pub import: ImportSettings,
    #[serde(default)]
    pub limits: LimitSettings,
    /// Remote stores to publish to (`[[target]]`).
    #[serde(default, rename = "target")]
    pub targets: Vec<TargetSettings>,
}

/// A remote SPARQL store `ttkg publish` feeds.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetSettings {
    pub name: String,
    /// A server's base address, its paths those of `server`.
    pub url: Option<String>,
    /// `oxigraph` (default) or `virtuoso`: see `ttkg publish --server`.
    pub server: Option<String>,
    /// Or the three endpoints (Fuseki: …/DATASET/data, /query, /update).
    pub graph_store: Option<String>,
    pub query: Option<String>,
    pub update: Option<String>,
    /// `copy`, `union` or `named` (default: as `server` needs): see `ttkg publish
    /// --default-graph`.
    pub default_graph: Option<String>,
    /// The most bytes of N-Triples in one request.
    pub chunk_bytes: Option<usize>,
    /// Publish after each import that succeeds.
    #[serde(default)]
    pub after_import: bool,
    /// The environment variable holding a bearer token.
    pub token_env: Option<String>,
    /// A file holding a bearer token, readable by its owner only.
    pub token_file: Option<std::path::PathBuf>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportSettings {
    /// Read the files symbolic links in the data folder lead to, even
    /// outside it.
    #[serde(default)]
    pub follow_links: bool,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitSettings {
    pub max_file_mib: Option<u64>,
    pub max_unpacked_mib: Option<u64>,
    pub max_cells: Option<usize>,
    pub max_columns: Option<usize>,
    pub max_read_seconds: Option<u64>,
}

impl Settings {
    /// Reads `ttkg.toml` in `root`, or the defaults when there is none.
    pub fn load(root: &Path) -> Result<Settings, ImportError> {
        let path = root.join(SETTINGS_FILE);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Settings::default()),
            Err(e) => {
                return Err(ImportError::Reference {
                    path: path.display().to_string(),
                    source: e.into(),
                })
            }
        };
        toml::from_str(&text).map_err(|e| ImportError::Reference {
            path: path.display().to_string(),
            source: e.into(),
        })
    }

    /// The read limits, the defaults where the file says nothing.
    pub fn read_limits(&self) -> ReadLimits {
        let d = ReadLimits::default();
        let l = &self.limits;
        ReadLimits {
            max_file_bytes: l
                .max_file_mib
                .map_or(d.max_file_bytes, |m| m.saturating_mul(1 << 20)),
            max_unpacked_bytes: l
                .max_unpacked_mib
                .map_or(d.max_unpacked_bytes, |m| m.saturating_mul(1 << 20)),
            max_cells: l.max_cells.unwrap_or(d.max_cells),
            max_columns: l.max_columns.unwrap_or(d.max_columns),
            max_seconds: l.max_read_seconds.unwrap_or(d.max_seconds),
        }
    }
}
