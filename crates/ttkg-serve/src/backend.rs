//! What the server answers from: its own embedded store, or a SPARQL
//! endpoint elsewhere (`ttkg serve --endpoint`), which it only reads.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use ttkg_graph::KnowledgeStore;
use ttkg_query::{Answerer, Vocabulary};

use crate::ApiError;

/// How long the ontology read from a remote store is reused for the page's
/// warnings and parameter checks before it is read again.
const VOCABULARY_KEPT: Duration = Duration::from_secs(60);

/// The server's source of answers.
#[derive(Clone)]
pub enum Backend {
    /// The embedded store: queries, updates, imports handed over.
    Local(Arc<KnowledgeStore>),
    /// A remote SPARQL endpoint, read through `answerer`.
    Remote(Arc<RemoteBackend>),
}

/// A remote endpoint and what the server keeps of it.
pub struct RemoteBackend {
    answerer: Box<dyn Answerer + Send + Sync>,
    /// Where it is, for messages.
    address: String,
    vocabulary: Mutex<Option<(Instant, Arc<Vocabulary>)>>,
}

impl Backend {
    /// A backend over the endpoint `address`, asked through `answerer`.
    pub fn remote(answerer: Box<dyn Answerer + Send + Sync>, address: impl Into<String>) -> Self {
        Backend::Remote(Arc::new(RemoteBackend {
            answerer,
            address: address.into(),
            vocabulary: Mutex::new(None),
        }))
    }

    /// The address of the remote store, `None` for the embedded one.
    pub fn remote_address(&self) -> Option<&str> {
        match self {
            Backend::Local(_) => None,
            Backend::Remote(remote) => Some(&remote.address),
        }
    }

    /// Where questions go.
    pub fn answerer(&self) -> &dyn Answerer {
        match self {
            Backend::Local(store) => &**store,
            Backend::Remote(remote) => &*remote.answerer,
        }
    }

    /// The embedded store, for writes and imports; a remote one is read
    /// only, and the message says where writes go instead.
    pub fn local(&self) -> Result<&Arc<KnowledgeStore>, ApiError> {
        match self {
            Backend::Local(store) => Ok(store),
            Backend::Remote(remote) => Err(ApiError::new(
                StatusCode::FORBIDDEN,
                format!(
                    "this server shows the store at {} and takes no writes: change that store with ttkg publish or its own tools",
                    remote.address
                ),
            )),
        }
    }

    /// The ontology's classes, properties and concepts: read from the
    /// embedded store each time (it is local and fast), from a remote store
    /// at most once a minute. An unreadable ontology is an empty one, as
    /// before the first import.
    pub fn vocabulary(&self) -> Arc<Vocabulary> {
        match self {
            Backend::Local(store) => Arc::new(Vocabulary::load(&**store).unwrap_or_default()),
            Backend::Remote(remote) => {
                let mut kept = remote
                    .vocabulary
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
                if let Some((read, vocabulary)) = &*kept {
                    if read.elapsed() < VOCABULARY_KEPT {
                        return vocabulary.clone();
                    }
                }
                match Vocabulary::load(&*remote.answerer) {
                    Ok(vocabulary) => {
                        let vocabulary = Arc::new(vocabulary);
                        *kept = Some((Instant::now(), vocabulary.clone()));
                        vocabulary
                    }
                    Err(e) => {
                        tracing::warn!("the ontology of {} could not be read: {e}", remote.address);
                        Arc::new(Vocabulary::default())
                    }
                }
            }
        }
    }
}
