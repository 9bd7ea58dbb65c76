//! A file's terms, each kept once and named by a number, as compact text.

use std::hash::BuildHasher;

use hashbrown::HashTable;
use oxigraph::model::vocab::xsd;
use oxigraph::model::{
    BlankNodeRef, LiteralRef, NamedNodeRef, NamedOrBlankNodeRef, TermRef, Triple, TripleRef,
};
use polars::prelude::PlRandomState;

/// A triple as the numbers of its terms in [`Terms`].
pub type TripleIds = [u32; 3];

/// A file's terms, each kept once: its triples name them by number. A
/// report of 100,000 rows states some 2.5 million facts but only about half
/// a million distinct IRIs and values, and each IRI would otherwise be a
/// string of its own in every fact that names it.
///
/// The terms are held as text, one after another in a single string (see
/// [`Terms::encode`]), with a hash table of their numbers: about twenty
/// bytes a term beside its text. A set of oxigraph terms took about 167
/// bytes a term (5.2 million terms of a 1,000,000-row workbook, 860 MB): a
/// term's own allocations, a typed literal's datatype IRI in every literal,
/// and the set's entries. Hashed with polars' seeded hasher: SipHash took
/// a fifth of the interning (perf).
#[derive(Debug, Clone, Default)]
pub struct Terms {
    /// Every term's text, one after another.
    text: String,
    /// Where each term's text ends in `text`: term `i` is
    /// `text[ends[i - 1]..ends[i]]`.
    ends: Vec<u32>,
    /// The numbers of the terms, by the hash of their text.
    index: HashTable<u32>,
    hasher: PlRandomState,
    /// A term being encoded, kept to spare an allocation a term.
    scratch: String,
}

/// The first character of a term's text says what it is; typed literals
/// name their datatype by its number, a term of its own.
const IRI: char = '<';
const BLANK: char = '_';
const STRING: char = '"';
const LANGUAGE: char = '@';
const TYPED: char = '^';

impl Terms {
    /// The number of `term`, adding it if new; `None` past 2^32 terms or
    /// 4 GiB of text.
    pub(crate) fn id(&mut self, term: TermRef<'_>) -> Option<u32> {
        let mut scratch = std::mem::take(&mut self.scratch);
        let id = encode(term, &mut scratch, |datatype| self.id(datatype))
            .and_then(|()| self.add(&scratch));
        self.scratch = scratch;
        id
    }

    /// The number of the term whose text is `text`, adding it if new.
    fn add(&mut self, text: &str) -> Option<u32> {
        let hash = self.hasher.hash_one(text);
        if let Some(&id) = self.index.find(hash, |&id| self.text_of(id) == text) {
            return Some(id);
        }
        let id = u32::try_from(self.ends.len()).ok()?;
        let end = u32::try_from(self.text.len() + text.len()).ok()?;
        self.text.push_str(text);
        self.ends.push(end);
        let (text, ends, hasher) = (&self.text, &self.ends, &self.hasher);
        self.index
            .insert_unique(hash, id, |&other| hasher.hash_one(span(text, ends, other)));
        Some(id)
    }

    fn text_of(&self, id: u32) -> &str {
        span(&self.text, &self.ends, id)
    }

    /// The numbers of `triple`'s terms, adding those that are new; `None`
    /// when the file has more distinct terms than numbers.
    pub fn intern(&mut self, triple: Triple) -> Option<TripleIds> {
        let triple = triple.as_ref();
        Some([
            self.id(triple.subject.into())?,
            self.id(triple.predicate.into())?,
            self.id(triple.object)?,
        ])
    }

    /// The number of `term`, if the file has it.
    pub fn find(&self, term: TermRef<'_>) -> Option<u32> {
        let mut text = String::new();
        encode(term, &mut text, |datatype| self.find(datatype))?;
        self.find_text(&text)
    }

    fn find_text(&self, text: &str) -> Option<u32> {
        let hash = self.hasher.hash_one(text);
        self.index
            .find(hash, |&id| self.text_of(id) == text)
            .copied()
    }

    /// The term numbered `id`.
    pub(crate) fn term(&self, id: u32) -> TermRef<'_> {
        let text = self.text_of(id);
        let mut chars = text.chars();
        let tag = chars.next();
        let rest = chars.as_str();
        match tag {
            Some(IRI) => TermRef::NamedNode(NamedNodeRef::new_unchecked(rest)),
            Some(BLANK) => TermRef::BlankNode(BlankNodeRef::new_unchecked(rest)),
            Some(LANGUAGE) => {
                let (language, value) = rest.split_once(STRING).unwrap_or((rest, ""));
                TermRef::Literal(LiteralRef::new_language_tagged_literal_unchecked(
                    value, language,
                ))
            }
            Some(TYPED) => {
                let (datatype, value) = rest.split_once(STRING).unwrap_or(("", rest));
                let datatype = datatype
                    .parse::<u32>()
                    .ok()
                    .and_then(|d| match self.term(d) {
                        TermRef::NamedNode(n) => Some(n),
                        _ => None,
                    })
                    .unwrap_or(xsd::STRING);
                TermRef::Literal(LiteralRef::new_typed_literal(value, datatype))
            }
            _ => TermRef::Literal(LiteralRef::new_simple_literal(rest)),
        }
    }

    /// Every term, in the order of their numbers.
    pub(crate) fn iter(&self) -> impl Iterator<Item = TermRef<'_>> {
        (0..self.ends.len() as u32).map(|id| self.term(id))
    }

    /// Makes room for as many more terms, and as much more text, as
    /// `share` times those held now, at once: grown by doubling, the text
    /// of a 1,000,000-row file's terms (about 230 MB) was copied from 128
    /// MiB to 256 MiB with both held, and the table of numbers likewise.
    pub fn reserve_like(&mut self, share: f64) {
        let more = |n: usize| (n as f64 * share).ceil() as usize;
        let (terms, text) = (more(self.ends.len()), more(self.text.len()));
        self.text.reserve_exact(text);
        self.ends.reserve_exact(terms);
        let (all, ends, hasher) = (&self.text, &self.ends, &self.hasher);
        self.index
            .reserve(terms, |&other| hasher.hash_one(span(all, ends, other)));
    }

    /// What the terms take, in bytes: their text, their ends and their
    /// entries in the table (a number and a control byte, in a table at
    /// most seven eighths full). Their length, not the room made for more.
    pub fn used_bytes(&self) -> usize {
        self.text.len()
            + self.ends.len() * std::mem::size_of::<u32>()
            + self.index.len() * (std::mem::size_of::<u32>() + 1) * 8 / 7
    }

    /// How many distinct terms there are.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The triple that `ids` (from [`Self::intern`]) names.
    pub fn triple(&self, ids: TripleIds) -> TripleRef<'_> {
        let subject = match self.term(ids[0]) {
            TermRef::BlankNode(b) => NamedOrBlankNodeRef::BlankNode(b),
            TermRef::NamedNode(n) => NamedOrBlankNodeRef::NamedNode(n),
            other => unreachable!("{other} was interned as a subject"),
        };
        let TermRef::NamedNode(predicate) = self.term(ids[1]) else {
            unreachable!("{} was interned as a predicate", self.term(ids[1]))
        };
        TripleRef::new(subject, predicate, self.term(ids[2]))
    }
}

/// Writes `term`'s text into `out`; a typed literal's datatype is named by
/// the number `datatype` gives it (`None`: none, and so no text).
fn encode(
    term: TermRef<'_>,
    out: &mut String,
    datatype: impl FnOnce(TermRef<'_>) -> Option<u32>,
) -> Option<()> {
    out.clear();
    match term {
        TermRef::NamedNode(n) => {
            out.push(IRI);
            out.push_str(n.as_str());
        }
        TermRef::BlankNode(b) => {
            out.push(BLANK);
            out.push_str(b.as_str());
        }
        TermRef::Literal(l) => {
            if let Some(language) = l.language() {
                // A language tag holds letters, digits and hyphens.
                out.push(LANGUAGE);
                out.push_str(language);
            } else if l.datatype() != xsd::STRING {
                let id = datatype(TermRef::NamedNode(l.datatype()))?;
                out.push(TYPED);
                out.push_str(&id.to_string());
            }
            out.push(STRING);
            out.push_str(l.value());
        }
    }
    Some(())
}

fn span<'a>(text: &'a str, ends: &[u32], id: u32) -> &'a str {
    let i = id as usize;
    let start = if i == 0 { 0 } else { ends[i - 1] as usize };
    &text[start..ends[i] as usize]
}

#[cfg(test)]
mod tests {
    use oxigraph::model::{BlankNode, Literal, NamedNode, Term};

    use super::*;

    #[test]
    fn every_kind_of_term_comes_back_as_it_went_in() {
        let n = |s: &str| NamedNode::new_unchecked(format!("http://e/{s}"));
        let terms_in: Vec<Term> = vec![
            n("a").into(),
            BlankNode::new_unchecked("b1").into(),
            Literal::new_simple_literal("plain \"quoted\" text: 协议").into(),
            Literal::new_simple_literal("").into(),
            Literal::new_language_tagged_literal_unchecked("Hợp đồng", "vi").into(),
            Literal::new_language_tagged_literal_unchecked("", "zh-hans").into(),
            Literal::new_typed_literal("12.50", xsd::DECIMAL).into(),
            Literal::new_typed_literal("\"12", n("odd\"type")).into(),
            Literal::new_typed_literal("", xsd::DATE).into(),
            n("").into(),
        ];
        let mut terms = Terms::default();
        let mut ids: Vec<u32> = terms_in[..3]
            .iter()
            .map(|t| terms.id(t.as_ref()).unwrap())
            .collect();
        // Room made midway (the table of numbers rehashed) loses nothing.
        terms.reserve_like(1000.0);
        ids.extend(terms_in[3..].iter().map(|t| terms.id(t.as_ref()).unwrap()));
        for (term, id) in terms_in.iter().zip(&ids) {
            assert_eq!(&terms.term(*id).into_owned(), term);
            assert_eq!(terms.find(term.as_ref()), Some(*id), "{term}");
            // Each once.
            assert_eq!(terms.id(term.as_ref()), Some(*id));
        }
        // The datatypes are terms of their own.
        assert_eq!(terms.len(), terms_in.len() + 3);
        assert_eq!(
            terms.find(Literal::new_typed_literal("1", n("absent")).as_ref().into()),
            None
        );
        assert_eq!(terms.find(n("b").as_ref().into()), None);
        // A typed literal whose text a plain one has is another term.
        let plain = Literal::new_simple_literal("12.50");
        assert_ne!(terms.id(plain.as_ref().into()), Some(ids[6]));
    }
}
