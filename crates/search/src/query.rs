//! Classification of the search box text and translation into tantivy queries.
//!
//! Queries are always built programmatically from terms; user text never reaches tantivy's
//! query-parser syntax, so quotes, parentheses, `AND`, `*` and the like are just characters.

use crate::analysis::{CjkAnalyzer, Mode};
use crate::ident;
use crate::schema::{name_key, Fields};
use crate::{Field, What};
use domain::text::compact_upper;
use tantivy::query::{
    BooleanQuery, BoostQuery, ConstScoreQuery, Occur, PhraseQuery, Query as TantivyQuery, TermQuery,
};
use tantivy::schema::{Field as IndexField, IndexRecordOption};
use tantivy::Term;

/// At most this many query tokens are used; the rest of an overlong query is ignored.
const MAX_QUERY_TOKENS: usize = 32;

/// Field weights for free text over entities.
const NAME_BOOST: f32 = 3.0;
const NAME_PHRASE_BOOST: f32 = 1.5;
const NAME_EXACT_BOOST: f32 = 10.0;
const FORMER_BOOST: f32 = 2.0;
const FORMER_PHRASE_BOOST: f32 = 1.0;
const FORMER_EXACT_BOOST: f32 = 6.0;
const LEGAL_REP_BOOST: f32 = 1.5;
const ADDRESS_BOOST: f32 = 1.0;
/// Field weights for pages.
const TITLE_BOOST: f32 = 2.0;
const TITLE_PHRASE_BOOST: f32 = 1.0;
const TEXT_PHRASE_BOOST: f32 = 0.5;
const PAGE_HOST_BOOST: f32 = 5.0;

/// What the search box text was recognised as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A unified social credit code (compact, upper-case).
    Uscc(String),
    /// An ICP filing or license number (lookup key).
    Icp(String),
    /// A host or shop address (canonical key).
    Host(String),
    /// A phone number (national digits).
    Phone(String),
    /// Anything else.
    Text,
}

/// Classifies search box text; the first matching rule wins.
pub(crate) fn classify(text: &str) -> Kind {
    let compact = compact_upper(text);
    if ident::looks_like_uscc(&compact) {
        return Kind::Uscc(ident::uscc_key(text));
    }
    if ident::looks_like_icp(text, &compact) {
        return Kind::Icp(ident::icp_key(text));
    }
    if let Some(phone) = ident::phone_key(text) {
        return Kind::Phone(phone);
    }
    if ident::looks_like_host(text) {
        if let Some(host) = ident::host_key(text) {
            return Kind::Host(host);
        }
    }
    Kind::Text
}

/// A query token: its text and its position relative to the first token.
struct Tok {
    text: String,
    position: usize,
}

/// Which entity field matched best, either known from the query kind or to be found out by
/// scoring each returned hit against per-field sub-queries.
pub(crate) enum Attribution {
    Fixed(Field),
    ByScore(Vec<(Field, Box<dyn TantivyQuery>)>),
}

/// A query ready to run.
pub(crate) struct Plan {
    pub query: Box<dyn TantivyQuery>,
    pub attribution: Attribution,
    /// Query tokens, for locating the snippet in page text.
    pub terms: Vec<String>,
    /// For a free-text query over entities (no district scope), the same query split for
    /// top-k pruning, used when its tokens are common (see [`Broad`]).
    pub broad: Option<Broad>,
}

/// A free-text entity query split into queries tantivy's block-max WAND can prune, used
/// when its tokens are common (see `lib.rs`, "broad").
///
/// With one token there is no phrase, so the full query is the sum of the token's score in
/// name, former names, legal representative and address, each with its field boost, plus
/// the whole-name bonus: `candidates` is then that sum without the whole-name bonus, as ONE
/// flat disjunction of term queries (nested groups or keyword fields without frequencies
/// defeat block-max WAND), which scores exactly as the full query (`exact`). With several
/// tokens the full query adds phrase bonuses that no pruned query can give: `candidates` is
/// then one intersection of the tokens' terms per analysed field, each pruned on its own, and
/// what they find is scored again by the full query. `whole_name` selects the few entities
/// whose whole name (or a former one) is the query, which are ranked first, scored by the
/// full query.
pub(crate) struct Broad {
    pub candidates: Vec<Box<dyn TantivyQuery>>,
    /// The candidates' scores are the full query's (one token).
    pub exact: bool,
    pub whole_name: Box<dyn TantivyQuery>,
    /// The tokens' terms in each analysed field, to estimate how many entities match.
    terms: Vec<Vec<Term>>,
}

impl Broad {
    /// An upper bound of the entities the full query scores: in each field, the document
    /// frequency of its rarest token (an entity holding every token there holds that one),
    /// summed over the fields.
    pub(crate) fn candidates(&self, searcher: &tantivy::Searcher) -> tantivy::Result<u64> {
        let mut n = 0;
        for field in &self.terms {
            let mut rarest = u64::MAX;
            for term in field {
                rarest = rarest.min(searcher.doc_freq(term)?);
            }
            n += rarest;
        }
        Ok(n)
    }
}

fn broad(f: &Fields, text: &str, toks: &[Tok]) -> Broad {
    let fields: Vec<(IndexField, f32)> = vec![
        (f.name, NAME_BOOST),
        (f.former, FORMER_BOOST),
        (f.legal_rep, LEGAL_REP_BOOST),
        (f.address, ADDRESS_BOOST),
    ];
    let key = name_key(text);
    let candidates = match toks {
        [tok] => vec![any_of(
            fields
                .iter()
                .map(|&(field, boost)| {
                    boosted(
                        term_query(field, &tok.text, IndexRecordOption::WithFreqs),
                        boost,
                    )
                })
                .collect(),
        )],
        _ => fields
            .iter()
            .map(|&(field, _)| all_tokens(field, toks))
            .collect(),
    };
    Broad {
        candidates,
        exact: toks.len() == 1,
        whole_name: any_of(vec![
            term_query(f.name_exact, &key, IndexRecordOption::Basic),
            term_query(f.former_exact, &key, IndexRecordOption::Basic),
        ]),
        terms: fields
            .iter()
            .map(|&(field, _)| {
                toks.iter()
                    .map(|t| Term::from_field_text(field, &t.text))
                    .collect()
            })
            .collect(),
    }
}

fn tokens(text: &str) -> Vec<Tok> {
    let mut analyzer = CjkAnalyzer::new(Mode::Query);
    let toks = analyzer.analyze(text);
    let first = toks.first().map_or(0, |t| t.position);
    toks.iter()
        .take(MAX_QUERY_TOKENS)
        .map(|t| Tok {
            text: t.text.clone(),
            position: t.position - first,
        })
        .collect()
}

fn term_query(field: IndexField, text: &str, record: IndexRecordOption) -> Box<dyn TantivyQuery> {
    Box::new(TermQuery::new(Term::from_field_text(field, text), record))
}

fn boosted(query: Box<dyn TantivyQuery>, boost: f32) -> Box<dyn TantivyQuery> {
    Box::new(BoostQuery::new(query, boost))
}

fn any_of(clauses: Vec<Box<dyn TantivyQuery>>) -> Box<dyn TantivyQuery> {
    Box::new(BooleanQuery::new(
        clauses.into_iter().map(|q| (Occur::Should, q)).collect(),
    ))
}

/// All tokens must occur in `field` (in any order).
fn all_tokens(field: IndexField, toks: &[Tok]) -> Box<dyn TantivyQuery> {
    let mut texts: Vec<&str> = toks.iter().map(|t| t.text.as_str()).collect();
    texts.sort_unstable();
    texts.dedup();
    if texts.len() == 1 {
        return term_query(field, texts[0], IndexRecordOption::WithFreqs);
    }
    Box::new(BooleanQuery::new(
        texts
            .into_iter()
            .map(|t| {
                (
                    Occur::Must,
                    term_query(field, t, IndexRecordOption::WithFreqs),
                )
            })
            .collect(),
    ))
}

/// The tokens in their original order and spacing; `None` for a single token.
fn phrase(field: IndexField, toks: &[Tok]) -> Option<Box<dyn TantivyQuery>> {
    (toks.len() >= 2).then(|| {
        Box::new(PhraseQuery::new_with_offset(
            toks.iter()
                .map(|t| (t.position, Term::from_field_text(field, &t.text)))
                .collect(),
        )) as Box<dyn TantivyQuery>
    })
}

/// Free text over one analysed field: all tokens required, a phrase bonus, and an optional
/// bonus for an exact whole-value match on a keyword field.
fn field_group(
    field: IndexField,
    toks: &[Tok],
    boost: f32,
    phrase_boost: Option<f32>,
    exact: Option<(IndexField, &str, f32)>,
) -> Box<dyn TantivyQuery> {
    let mut clauses = vec![boosted(all_tokens(field, toks), boost)];
    if let Some(pb) = phrase_boost {
        if let Some(p) = phrase(field, toks) {
            clauses.push(boosted(p, pb));
        }
    }
    if let Some((exact_field, key, eb)) = exact {
        clauses.push(boosted(
            term_query(exact_field, key, IndexRecordOption::Basic),
            eb,
        ));
    }
    if clauses.len() == 1 {
        clauses.remove(0)
    } else {
        any_of(clauses)
    }
}

/// The score of an entity found by an identifier (see `entity_query`).
const IDENT_SCORE: f32 = 1.0e6;

fn entity_query(
    f: &Fields,
    kind: &Kind,
    text: &str,
    toks: &[Tok],
) -> Option<(Box<dyn TantivyQuery>, Attribution)> {
    // Identifier lookups are yes/no: a constant score leaves the order to the id. The constant
    // is above any page's score, so that the entity an identifier names comes before the pages
    // that merely mention it (or, for a host, lie on it).
    let keyword = |field: IndexField, key: &str, matched: Field| {
        Some((
            Box::new(ConstScoreQuery::new(
                term_query(field, key, IndexRecordOption::Basic),
                IDENT_SCORE,
            )) as Box<dyn TantivyQuery>,
            Attribution::Fixed(matched),
        ))
    };
    match kind {
        Kind::Uscc(key) => keyword(f.uscc, key, Field::Uscc),
        Kind::Icp(key) => keyword(f.icp, key, Field::Icp),
        Kind::Host(key) => keyword(f.domain, key, Field::Domain),
        Kind::Phone(key) => keyword(f.phone, key, Field::Phone),
        Kind::Text if toks.is_empty() => None,
        Kind::Text => {
            let key = name_key(text);
            let groups: Vec<(Field, Box<dyn TantivyQuery>)> = vec![
                (
                    Field::Name,
                    field_group(
                        f.name,
                        toks,
                        NAME_BOOST,
                        Some(NAME_PHRASE_BOOST),
                        Some((f.name_exact, &key, NAME_EXACT_BOOST)),
                    ),
                ),
                (
                    Field::FormerName,
                    field_group(
                        f.former,
                        toks,
                        FORMER_BOOST,
                        Some(FORMER_PHRASE_BOOST),
                        Some((f.former_exact, &key, FORMER_EXACT_BOOST)),
                    ),
                ),
                (
                    Field::LegalRep,
                    field_group(f.legal_rep, toks, LEGAL_REP_BOOST, None, None),
                ),
                (
                    Field::Address,
                    field_group(f.address, toks, ADDRESS_BOOST, None, None),
                ),
            ];
            let query = any_of(groups.iter().map(|(_, q)| q.box_clone()).collect());
            Some((query, Attribution::ByScore(groups)))
        }
    }
}

fn page_query(f: &Fields, kind: &Kind, toks: &[Tok]) -> Option<Box<dyn TantivyQuery>> {
    let mut clauses = Vec::new();
    if let Kind::Host(key) = kind {
        clauses.push(boosted(
            term_query(f.page_host, key, IndexRecordOption::Basic),
            PAGE_HOST_BOOST,
        ));
    }
    if !toks.is_empty() {
        clauses.push(field_group(
            f.title,
            toks,
            TITLE_BOOST,
            Some(TITLE_PHRASE_BOOST),
            None,
        ));
        clauses.push(field_group(
            f.text,
            toks,
            1.0,
            Some(TEXT_PHRASE_BOOST),
            None,
        ));
    }
    match clauses.len() {
        0 => None,
        1 => clauses.pop(),
        _ => Some(any_of(clauses)),
    }
}

/// Builds the query for search box `text`; `None` when nothing can match (empty text, or
/// text with no searchable characters).
pub(crate) fn plan(f: &Fields, text: &str, what: What, district: Option<&str>) -> Option<Plan> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    let kind = classify(text);
    let toks = tokens(text);
    let entities = match what {
        What::Entities | What::Both => entity_query(f, &kind, text, &toks),
        What::Pages => None,
    };
    let pages = match what {
        What::Pages | What::Both => page_query(f, &kind, &toks),
        What::Entities => None,
    };
    let (core, attribution) = match (entities, pages) {
        (None, None) => return None,
        (Some((e, a)), None) => (e, a),
        // Pages only: there are no entity hits to attribute.
        (None, Some(p)) => (p, Attribution::Fixed(Field::Name)),
        (Some((e, a)), Some(p)) => (any_of(vec![e, p]), a),
    };
    let query = match district.map(str::trim).filter(|d| !d.is_empty()) {
        None => core,
        Some(d) => Box::new(BooleanQuery::new(vec![
            (Occur::Must, core),
            (
                Occur::Must,
                Box::new(ConstScoreQuery::new(
                    term_query(f.district, d, IndexRecordOption::Basic),
                    0.0,
                )),
            ),
        ])),
    };
    let broad = match (&kind, what, district) {
        (Kind::Text, What::Entities, None) if !toks.is_empty() => Some(broad(f, text, &toks)),
        _ => None,
    };
    Some(Plan {
        query,
        attribution,
        terms: toks.into_iter().map(|t| t.text).collect(),
        broad,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classification() {
        assert_eq!(
            classify("91450100ma5k00000x"),
            Kind::Uscc("91450100MA5K00000X".into())
        );
        assert_eq!(
            classify("９１４５ ０１００ＭＡ５Ｋ ００００ ０Ｘ"),
            Kind::Uscc("91450100MA5K00000X".into())
        );
        assert_eq!(
            classify("桂ICP备2017001234号-1"),
            Kind::Icp("桂ICP备2017001234号-1".into())
        );
        assert_eq!(
            classify("桂icp备2017001234"),
            Kind::Icp("桂ICP备2017001234号".into())
        );
        assert_eq!(
            classify("http://www.waimai.test/shop/8812"),
            Kind::Host("waimai.test/shop/8812".into())
        );
        assert_eq!(classify("0771-5551234"), Kind::Phone("07715551234".into()));
        assert_eq!(
            classify("+86 138 0013 8000"),
            Kind::Phone("13800138000".into())
        );
        assert_eq!(classify("南宁市青秀区某某商行"), Kind::Text);
        assert_eq!(classify("3.14"), Kind::Text);
        assert_eq!(classify("123"), Kind::Text);
    }
}
