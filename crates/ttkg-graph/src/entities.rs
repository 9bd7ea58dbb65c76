//! RDF/XML may declare XML entities in a DTD, and entities that expand to
//! entities ("billion laughs") turn a kilobyte into gigabytes inside the
//! parser. No report or export of ttkg needs them, so RDF/XML that declares
//! one is refused before it is parsed.

use std::io::Read;

/// The text that starts an entity declaration.
const DECLARATION: &[u8] = b"<!ENTITY";

/// `reader`, refusing entity declarations when `format` is RDF/XML.
pub fn guarded<'a>(reader: impl Read + 'a, format: oxigraph::io::RdfFormat) -> Box<dyn Read + 'a> {
    if format == oxigraph::io::RdfFormat::RdfXml {
        Box::new(NoEntities::new(reader))
    } else {
        Box::new(reader)
    }
}

/// A reader that fails as soon as the bytes it passes on declare an entity.
pub struct NoEntities<R> {
    inner: R,
    /// The end of what was read so far, to find a declaration split
    /// between two reads.
    tail: Vec<u8>,
}

impl<R: Read> NoEntities<R> {
    pub fn new(inner: R) -> Self {
        NoEntities {
            inner,
            tail: Vec::new(),
        }
    }
}

/// The error a refused document gives, recognised by its message.
pub const REFUSED: &str = "the RDF/XML declares XML entities (<!ENTITY …>), which ttkg does not accept: they can expand a small document into gigabytes; write the values out";

impl<R: Read> Read for NoEntities<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut window = std::mem::take(&mut self.tail);
        window.extend_from_slice(&buf[..n]);
        if window.windows(DECLARATION.len()).any(|w| w == DECLARATION) {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                REFUSED,
            ));
        }
        let keep = window.len().min(DECLARATION.len() - 1);
        self.tail = window[window.len() - keep..].to_vec();
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declarations_are_refused_even_across_reads() {
        let text = b"<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY a \"aaaa\">]><r/>";
        for chunk in [1usize, 3, 7, 64] {
            let mut reader = NoEntities::new(ChunkedReader(&text[..], chunk));
            let mut out = Vec::new();
            let err = reader.read_to_end(&mut out).unwrap_err();
            assert!(err.to_string().contains("declares XML entities"), "{chunk}");
        }
        let mut plain = NoEntities::new(&b"<rdf:RDF></rdf:RDF>"[..]);
        let mut out = Vec::new();
        plain.read_to_end(&mut out).unwrap();
        assert_eq!(out, b"<rdf:RDF></rdf:RDF>");
    }

    struct ChunkedReader<'a>(&'a [u8], usize);

    impl Read for ChunkedReader<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = self.1.min(buf.len()).min(self.0.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }
}
