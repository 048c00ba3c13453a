//! Full-text search over the register (market entities) and captured pages.
//!
//! # Design
//!
//! The index is a *derived cache*: the database stays the source of truth and the caller
//! feeds changed records through an [`IndexWriter`], committing with an opaque watermark
//! (for instance the last change id it indexed) that [`SearchIndex::watermark`] returns later,
//! so synchronisation can resume incrementally. Because it can always be rebuilt, the index
//! on disk carries a schema version file; an index of another version (or one that cannot be
//! opened) is wiped and recreated empty, and its watermark is then `None`, telling the caller
//! to rebuild from scratch.
//!
//! Entities and pages live in one tantivy index but use disjoint fields, so a query over
//! entity fields can never match a page and vice versa. Every document carries one packed
//! `i64` key (`id * 2 + kind`) that is indexed (upserts delete by that one term), a fast
//! field (ties in score are broken by id ascending without touching stored documents) and
//! identifies the hit. Entities store nothing else; pages store url, title, site id and the
//! text for snippets.
//!
//! ## One search box
//!
//! The query text is classified, first rule wins:
//!
//! 1. 18 letters/digits after [`domain::text::compact_upper`] → exact USCC lookup;
//! 2. contains `ICP` (or parses as an ICP / public-security number) → exact lookup on the ICP
//!    keywords; a filing is indexed both with and without its `-n` site suffix, so a query
//!    without the suffix finds every site of the filing;
//! 3. 7–13 digits with only phone punctuation → phone lookup. Phones are indexed as national
//!    digits (country code removed) and, for landlines with an area code, also as their last
//!    8 and last 7 digits, so the bare local number finds them; mobiles are indexed whole;
//! 4. a dotted ASCII host, optionally with scheme, `www.` and path → host lookup. Hosts are
//!    indexed without scheme, `www.`, port and trailing slash, plus every prefix ending at a
//!    path segment (`waimai.test/shop/8812` is found by `waimai.test`);
//! 5. anything else is free text.
//!
//! Free text is analysed by the crate's own CJK analyzer (see [`analysis`]): overlapping
//! bigrams for Chinese, lower-cased words for letters and digits. Every query token must
//! occur in the same field (name, former names, legal representative or address) for an
//! entity to match, so `青秀区某` and `商行` both find `南宁市青秀区某某商行`. The name field
//! is boosted most, former names next; a phrase bonus rewards contiguous matches and an exact
//! keyword on the whole normalised name puts whole-name matches first. Single characters are
//! indexed as unigrams at the position of the bigram they start, so a one-character query is
//! a single term lookup and phrases over bigrams are unaffected. Pages are matched the same
//! way over title (boosted) and text, and identifier queries search page text as words too.
//!
//! A district scope is a zero-scoring required clause inside the query, so `limit` and
//! `offset` stay exact.
//!
//! ## Ordering
//!
//! Entities come before pages: a search over both kinds lists every entity hit, then every
//! page hit (the window runs over that concatenation), so the register entry for a name is
//! never ranked behind the pages that mention it. Within a kind, hits are ordered by score,
//! then by id ascending. A page address appears once: recaptures of one URL are collapsed
//! into the best-scoring one. [`highlight`] finds the stretches of a text that match the
//! query, for the caller to mark.
//!
//! A *broad* query, free text whose tokens each occur in at least `BROAD_CANDIDATES` entity
//! fields (its rarest token in each field, summed), is not scored exhaustively: its
//! whole-name matches come first, then the rest is collected by block-max WAND, which skips
//! every block of postings that cannot enter the top `offset + limit`. One token: one flat
//! disjunction of the token's term in each field, the same score as the full query (which has
//! no phrase for one token); scores and their order are the same as if every match were
//! scored, and among equal scores index order replaces id order (the order in which entities
//! were indexed; a full rebuild indexes them by id). Several tokens (南宁市, 有限公司: every
//! entity of a city may hold them all): each field's intersection of the tokens is pruned on
//! its own, the best `16 × (offset + limit)` of each are scored again by the full query
//! (phrases, every field), and the best of those are the hits. That is a cap on what such a
//! query scores: an entity outside every field's candidates is not ranked, even if the
//! phrase bonus would have lifted it (the tests compare with exhaustive scoring).

//! User text never reaches tantivy's query-parser syntax: queries are built from terms.
//!
//! ## Performance
//!
//! The reader is opened once and reloaded explicitly after each commit; a search builds a
//! handful of term queries, collects `offset + limit` hits (pruned for broad queries, see
//! above), and reads stored fields only for returned page hits. The writer uses at most two threads and a 96 MB heap.
//! `examples/index_bench.rs` indexes synthetic entities and reports throughput and query
//! latency; see the crate README for figures measured on the project machine.

pub mod analysis;
mod ident;
mod query;
mod schema;
mod snippet;

use crate::query::{plan, Attribution};
use crate::schema::{DocKey, Fields, KEY_FIELD, SCHEMA_VERSION};
pub use crate::snippet::highlight;
use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tantivy::collector::sort_key::{SortBySimilarityScore, SortByStaticFastValue};
use tantivy::collector::TopDocs;
use tantivy::columnar::Column;
use tantivy::directory::MmapDirectory;
use tantivy::query::{BooleanQuery, ConstScoreQuery, EnableScoring, Occur, Weight};
use tantivy::schema::Value;
use tantivy::{
    DocAddress, DocSet, Index, IndexReader, Order, ReloadPolicy, Searcher, TantivyDocument,
};

/// Name of the schema version file kept next to the index files.
const VERSION_FILE: &str = "wangjian-search.version";
/// Total indexing heap of a writer, shared by its threads.
const WRITER_HEAP_BYTES: usize = 96 * 1024 * 1024;
/// Upper bound on `limit` and on `offset` (deep paging is not a use case; this bounds the
/// memory a single query can ask for).
pub const MAX_WINDOW: usize = 10_000;
/// A free-text query whose tokens each occur in at least this many entity fields (see
/// `query::Broad::candidates`) is "broad" and collected with block-max WAND (see `broad_top`)
/// instead of scoring every match.
const BROAD_CANDIDATES: u64 = 5_000;
/// At most this many page documents are looked at to fill a window of distinct addresses.
const MAX_PAGE_CANDIDATES: usize = 4 * MAX_WINDOW;

/// Errors of the search index.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The index files could not be read or written.
    #[error("search index: {0}")]
    Index(#[from] tantivy::TantivyError),
    /// The index directory could not be opened.
    #[error("search index directory: {0}")]
    Directory(#[from] tantivy::directory::error::OpenDirectoryError),
    /// Filesystem error on the index directory.
    #[error("search index directory {path}: {source}")]
    Io {
        /// The path concerned.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// Another writer (in this or another process) holds the index.
    #[error("the search index is already being written")]
    WriterBusy,
}

/// Result type of this crate.
pub type Result<T> = std::result::Result<T, Error>;

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// A market entity from the register, as indexed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EntityDoc {
    /// Database id.
    pub id: i64,
    /// Unified social credit code (any spacing or width).
    pub uscc: String,
    /// Current registered name.
    pub name: String,
    /// Earlier registered names.
    pub former_names: Vec<String>,
    /// Hosts and shop addresses (`shop.test`, `waimai.test/shop/8812`, with or without scheme).
    pub domains: Vec<String>,
    /// ICP filing / license numbers.
    pub icps: Vec<String>,
    /// Business and operating addresses.
    pub addresses: Vec<String>,
    /// Phone numbers in any common notation.
    pub phones: Vec<String>,
    /// Legal representative or operator.
    pub legal_rep: Option<String>,
    /// 6-digit administrative division code.
    pub district: String,
}

/// A captured page, as indexed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageDoc {
    /// Id of the fetch that captured the page.
    pub fetch_id: i64,
    /// Id of the site the page belongs to.
    pub site_id: i64,
    /// Address of the page.
    pub url: String,
    /// Page title.
    pub title: String,
    /// Extracted plain text.
    pub text: String,
    /// District of the site, when known.
    pub district: Option<String>,
}

/// Which kinds of documents a query searches.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum What {
    /// Register entities only.
    Entities,
    /// Captured pages only.
    Pages,
    /// Both.
    #[default]
    Both,
}

/// A search request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    /// The search box text.
    pub text: String,
    /// Which kinds of documents to search.
    pub what: What,
    /// Only documents of this district (6-digit code); `None` searches the whole city.
    pub district: Option<String>,
    /// Maximum number of hits (capped at [`MAX_WINDOW`]).
    pub limit: usize,
    /// Number of hits to skip (capped at [`MAX_WINDOW`]).
    pub offset: usize,
}

impl Query {
    /// A query for `text` over entities and pages, whole city, first 20 hits.
    pub fn new(text: impl Into<String>) -> Query {
        Query {
            text: text.into(),
            what: What::Both,
            district: None,
            limit: 20,
            offset: 0,
        }
    }

    /// Restricts the kinds of documents searched.
    pub fn what(mut self, what: What) -> Query {
        self.what = what;
        self
    }

    /// Restricts the search to one district.
    pub fn district(mut self, district: impl Into<String>) -> Query {
        self.district = Some(district.into());
        self
    }

    /// Sets the page window.
    pub fn page(mut self, offset: usize, limit: usize) -> Query {
        self.offset = offset;
        self.limit = limit;
        self
    }
}

/// The entity field that matched a query best.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    /// Unified social credit code.
    Uscc,
    /// Current name.
    Name,
    /// A former name.
    FormerName,
    /// A host or shop address.
    Domain,
    /// An ICP number.
    Icp,
    /// An address.
    Address,
    /// A phone number.
    Phone,
    /// The legal representative.
    LegalRep,
}

/// One search result.
#[derive(Debug, Clone, PartialEq)]
pub enum Hit {
    /// A register entity.
    Entity {
        /// Database id of the entity.
        id: i64,
        /// Relevance score (higher is better).
        score: f32,
        /// The field that matched best.
        matched: Field,
    },
    /// A captured page.
    Page {
        /// Id of the fetch.
        fetch_id: i64,
        /// Id of the site.
        site_id: i64,
        /// Page address.
        url: String,
        /// Page title.
        title: String,
        /// Plain text around the first match (never HTML).
        snippet: String,
        /// Relevance score (higher is better).
        score: f32,
    },
}

impl Hit {
    /// The relevance score of the hit.
    pub fn score(&self) -> f32 {
        match self {
            Hit::Entity { score, .. } | Hit::Page { score, .. } => *score,
        }
    }
}

struct Inner {
    index: Index,
    reader: IndexReader,
    fields: Fields,
}

/// A search index on local disk (or in memory), cheap to clone and safe to share between
/// threads. Searches run concurrently with a writer and see its changes after it commits.
#[derive(Clone)]
pub struct SearchIndex {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchIndex")
            .field("num_docs", &self.num_docs())
            .finish_non_exhaustive()
    }
}

fn version_stamp() -> String {
    format!("wangjian-search schema {SCHEMA_VERSION}\n")
}

/// Removes everything inside `dir` (the directory itself stays).
fn wipe(dir: &Path) -> Result<()> {
    for entry in fs::read_dir(dir).map_err(io_error(dir))? {
        let path = entry.map_err(io_error(dir))?.path();
        let removed = if path.is_dir() {
            fs::remove_dir_all(&path)
        } else {
            fs::remove_file(&path)
        };
        removed.map_err(io_error(&path))?;
    }
    Ok(())
}

impl SearchIndex {
    /// Opens the index in `dir`, creating the directory and an empty index if needed.
    ///
    /// An index written under another schema version, or one that cannot be opened, is wiped
    /// and recreated empty (its [`watermark`](Self::watermark) is then `None`).
    pub fn open(dir: &Path) -> Result<SearchIndex> {
        fs::create_dir_all(dir).map_err(io_error(dir))?;
        let version_path = dir.join(VERSION_FILE);
        let stamp = version_stamp();
        let current = fs::read_to_string(&version_path).ok();
        if current.as_deref() != Some(stamp.as_str()) {
            wipe(dir)?;
        }
        let (schema, _) = schema::build();
        let index = match Index::open_or_create(MmapDirectory::open(dir)?, schema.clone()) {
            Ok(index) => index,
            Err(_) => {
                wipe(dir)?;
                Index::create_in_dir(dir, schema)?
            }
        };
        fs::write(&version_path, stamp).map_err(io_error(&version_path))?;
        SearchIndex::from_index(index)
    }

    /// A fresh index held in memory (for tests and tools).
    pub fn in_memory() -> Result<SearchIndex> {
        let (schema, _) = schema::build();
        SearchIndex::from_index(Index::create_in_ram(schema))
    }

    fn from_index(index: Index) -> Result<SearchIndex> {
        let (_, fields) = schema::build();
        index.tokenizers().register(
            analysis::ANALYZER,
            analysis::CjkAnalyzer::new(analysis::Mode::Index),
        );
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(SearchIndex {
            inner: Arc::new(Inner {
                index,
                reader,
                fields,
            }),
        })
    }

    /// Starts writing. Only one writer may exist at a time (across processes too); a second
    /// attempt fails with [`Error::WriterBusy`]. Changes become visible on
    /// [`IndexWriter::commit`] and are discarded if the writer is dropped instead.
    pub fn writer(&self) -> Result<IndexWriter> {
        let threads = std::thread::available_parallelism()
            .map_or(1, usize::from)
            .clamp(1, 2);
        let writer = self
            .inner
            .index
            .writer_with_num_threads(threads, WRITER_HEAP_BYTES)
            .map_err(|e| match e {
                tantivy::TantivyError::LockFailure(..) => Error::WriterBusy,
                e => Error::Index(e),
            })?;
        Ok(IndexWriter {
            writer,
            inner: Arc::clone(&self.inner),
        })
    }

    /// The watermark stored with the last commit, `None` for an index never committed to.
    pub fn watermark(&self) -> Result<Option<String>> {
        Ok(self.inner.index.load_metas()?.payload)
    }

    /// Number of searchable documents (entities and pages).
    pub fn num_docs(&self) -> u64 {
        self.inner.reader.searcher().num_docs()
    }

    /// Runs a search. Empty or whitespace-only text, text without any searchable character,
    /// and `limit == 0` give no hits; no query text is ever an error.
    ///
    /// Entities come first, then pages (for [`What::Both`] the window `offset`/`limit` runs
    /// over that concatenation): the register entry for a name is never ranked behind the
    /// pages that mention it. Within each kind hits are ordered by score; a page address
    /// appears once (its best-scoring capture).
    pub fn search(&self, q: &Query) -> Result<Vec<Hit>> {
        let limit = q.limit.min(MAX_WINDOW);
        let offset = q.offset.min(MAX_WINDOW);
        if limit == 0 {
            return Ok(Vec::new());
        }
        let want = offset + limit;
        let searcher = self.inner.reader.searcher();
        let mut hits = Vec::new();
        if matches!(q.what, What::Entities | What::Both) {
            hits = self.entity_hits(&searcher, q, want)?;
        }
        if hits.len() < want && matches!(q.what, What::Pages | What::Both) {
            let pages = self.page_hits(&searcher, q, want - hits.len())?;
            hits.extend(pages);
        }
        Ok(hits.into_iter().skip(offset).take(limit).collect())
    }

    /// The best `want` entity hits.
    fn entity_hits(&self, searcher: &Searcher, q: &Query, want: usize) -> Result<Vec<Hit>> {
        let f = &self.inner.fields;
        let Some(plan) = plan(f, &q.text, What::Entities, q.district.as_deref()) else {
            return Ok(Vec::new());
        };
        let top = match &plan.broad {
            Some(broad) if broad.candidates(searcher)? >= BROAD_CANDIDATES => {
                broad_top(searcher, &plan.query, broad, want)?
            }
            _ => exact_top(searcher, plan.query.as_ref(), want)?,
        };
        let matcher = FieldMatcher::new(&plan.attribution, searcher)?;
        let addresses: Vec<DocAddress> = top.iter().map(|&(_, _, a)| a).collect();
        let matched = matcher.matched_all(searcher, &addresses)?;
        let mut hits = Vec::with_capacity(top.len());
        for ((score, key, _), matched) in top.into_iter().zip(matched) {
            if let DocKey::Entity(id) = DocKey::unpack(key) {
                hits.push(Hit::Entity { id, score, matched });
            }
        }
        Ok(hits)
    }

    /// The best `want` page hits, one per address.
    fn page_hits(&self, searcher: &Searcher, q: &Query, want: usize) -> Result<Vec<Hit>> {
        let f = &self.inner.fields;
        let Some(plan) = plan(f, &q.text, What::Pages, q.district.as_deref()) else {
            return Ok(Vec::new());
        };
        // Recaptures of one address are separate documents: collect more candidates until
        // `want` distinct addresses are found or the matches run out.
        let mut n = want;
        loop {
            let top = exact_top(searcher, plan.query.as_ref(), n)?;
            let exhausted = top.len() < n || n >= MAX_PAGE_CANDIDATES;
            let mut seen = HashSet::new();
            let mut hits = Vec::with_capacity(want);
            for (score, key, address) in top {
                let DocKey::Page(fetch_id) = DocKey::unpack(key) else {
                    continue;
                };
                let doc: TantivyDocument = searcher.doc(address)?;
                let text_of = |field| {
                    doc.get_first(field)
                        .and_then(|v| v.as_str())
                        .unwrap_or_default()
                        .to_string()
                };
                let url = text_of(f.url);
                if !seen.insert(url.clone()) {
                    continue;
                }
                hits.push(Hit::Page {
                    fetch_id,
                    site_id: doc
                        .get_first(f.site_id)
                        .and_then(|v| v.as_i64())
                        .unwrap_or_default(),
                    url,
                    title: text_of(f.title),
                    snippet: snippet::snippet(
                        doc.get_first(f.text)
                            .and_then(|v| v.as_str())
                            .unwrap_or_default(),
                        &plan.terms,
                    ),
                    score,
                });
                if hits.len() == want {
                    return Ok(hits);
                }
            }
            if exhausted {
                return Ok(hits);
            }
            n = (n * 4).min(MAX_PAGE_CANDIDATES);
        }
    }
}

/// The top `n` documents of `query` by score, ties by the packed key (id) ascending: every
/// match is scored.
fn exact_top(
    searcher: &Searcher,
    query: &dyn tantivy::query::Query,
    n: usize,
) -> Result<Vec<(f32, i64, DocAddress)>> {
    let collector = TopDocs::with_limit(n).order_by((
        (SortBySimilarityScore, Order::Desc),
        (
            SortByStaticFastValue::<i64>::for_field(KEY_FIELD),
            Order::Asc,
        ),
    ));
    let top: Vec<((f32, Option<i64>), DocAddress)> = searcher.search(query, &collector)?;
    Ok(top
        .into_iter()
        .filter_map(|((score, key), address)| Some((score, key?, address)))
        .collect())
}

/// The top `n` entities of a broad query (see [`query::Broad`]): whole-name matches first
/// (few; scored by the full query), then the rest from the candidate queries, each collected
/// with block-max WAND, which skips every block of postings that cannot reach its top. One
/// token: its flat disjunction scores as the full query, and its top `n` are the answer. Several
/// tokens: the top `RESCORED_PER_FIELD × n` of each field's intersection are scored again by
/// the full query (phrase bonuses, every field) and the best `n` of them kept. Ties in score
/// keep index order for one token (the order entities were indexed; a full rebuild indexes by
/// id), id order for several.
fn broad_top(
    searcher: &Searcher,
    full: &dyn tantivy::query::Query,
    broad: &query::Broad,
    n: usize,
) -> Result<Vec<(f32, i64, DocAddress)>> {
    let whole = BooleanQuery::new(vec![
        (Occur::Must, full.box_clone()),
        (
            Occur::Must,
            Box::new(ConstScoreQuery::new(broad.whole_name.box_clone(), 0.0)),
        ),
    ]);
    let mut top = exact_top(searcher, &whole, n)?;
    let seen: HashSet<DocAddress> = top.iter().map(|&(_, _, a)| a).collect();
    let mut keys = Keys::new(searcher);
    if broad.exact {
        let rest: Vec<(f32, DocAddress)> = searcher.search(
            broad.candidates[0].as_ref(),
            &TopDocs::with_limit(n + seen.len()).order_by_score(),
        )?;
        for (score, address) in rest {
            if top.len() == n {
                break;
            }
            if seen.contains(&address) {
                continue;
            }
            if let Some(key) = keys.key(address)? {
                top.push((score, key, address));
            }
        }
        return Ok(top);
    }
    let per_field = TopDocs::with_limit(RESCORED_PER_FIELD * n + seen.len()).order_by_score();
    let mut found: Vec<DocAddress> = Vec::new();
    for candidates in &broad.candidates {
        let hits: Vec<(f32, DocAddress)> = searcher.search(candidates.as_ref(), &per_field)?;
        found.extend(hits.into_iter().map(|(_, a)| a));
    }
    found.sort_unstable();
    found.dedup();
    found.retain(|a| !seen.contains(a));
    let mut rest = Vec::with_capacity(found.len());
    for (score, address) in rescore(searcher, full, &found)? {
        if let Some(key) = keys.key(address)? {
            rest.push((score, key, address));
        }
    }
    rest.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    rest.truncate(n - top.len());
    top.extend(rest);
    Ok(top)
}

/// For a broad query of several tokens, how many candidates per result each field's pruned
/// intersection gives to be scored again by the full query.
const RESCORED_PER_FIELD: usize = 16;

/// The full query's score of each of `hits` (sorted by address) that it matches.
fn rescore(
    searcher: &Searcher,
    query: &dyn tantivy::query::Query,
    hits: &[DocAddress],
) -> Result<Vec<(f32, DocAddress)>> {
    let weight = query.weight(EnableScoring::enabled_from_searcher(searcher))?;
    let scores = score_each(searcher, weight.as_ref(), hits)?;
    Ok(scores
        .into_iter()
        .zip(hits)
        .filter_map(|(score, &address)| Some((score?, address)))
        .collect())
}

/// `weight`'s score of each of `hits` (sorted by address; `None` where it does not match),
/// visited in index order with one scorer per segment (a scorer only moves forward), not one
/// per hit.
fn score_each(
    searcher: &Searcher,
    weight: &dyn Weight,
    hits: &[DocAddress],
) -> Result<Vec<Option<f32>>> {
    let mut out = Vec::with_capacity(hits.len());
    for run in hits.chunk_by(|a, b| a.segment_ord == b.segment_ord) {
        let mut scorer = weight.scorer(searcher.segment_reader(run[0].segment_ord), 1.0)?;
        for address in run {
            let doc = address.doc_id;
            // A fresh scorer already sits on its first match, which may lie past the hit.
            out.push((scorer.doc() <= doc && scorer.seek(doc) == doc).then(|| scorer.score()));
        }
    }
    Ok(out)
}

/// The packed key (id) of documents, read from each segment's fast field as needed.
struct Keys<'a> {
    searcher: &'a Searcher,
    columns: Vec<Option<Column<i64>>>,
}

impl<'a> Keys<'a> {
    fn new(searcher: &'a Searcher) -> Keys<'a> {
        Keys {
            searcher,
            columns: vec![None; searcher.segment_readers().len()],
        }
    }

    fn key(&mut self, address: DocAddress) -> Result<Option<i64>> {
        let column = match &mut self.columns[address.segment_ord as usize] {
            Some(c) => c,
            slot => slot.insert(
                self.searcher
                    .segment_reader(address.segment_ord)
                    .fast_fields()
                    .i64(KEY_FIELD)?,
            ),
        };
        Ok(column.first(address.doc_id))
    }
}

/// Finds out which entity field matched a hit best.
enum FieldMatcher {
    /// The query only looks at one field.
    Fixed(Field),
    /// Per-field sub-queries; the one scoring highest on the hit wins.
    Scored(Vec<(Field, Box<dyn Weight>)>),
}

impl FieldMatcher {
    fn new(attribution: &Attribution, searcher: &Searcher) -> Result<FieldMatcher> {
        Ok(match attribution {
            Attribution::Fixed(field) => FieldMatcher::Fixed(*field),
            Attribution::ByScore(groups) => {
                let scoring = EnableScoring::enabled_from_searcher(searcher);
                FieldMatcher::Scored(
                    groups
                        .iter()
                        .map(|(field, query)| Ok((*field, query.weight(scoring)?)))
                        .collect::<tantivy::Result<_>>()?,
                )
            }
        })
    }

    /// The best field of each returned hit (each sub-query scores the hits in index order,
    /// see `score_each`).
    fn matched_all(&self, searcher: &Searcher, hits: &[DocAddress]) -> Result<Vec<Field>> {
        let weights = match self {
            FieldMatcher::Fixed(field) => return Ok(vec![*field; hits.len()]),
            FieldMatcher::Scored(weights) => weights,
        };
        let mut order: Vec<usize> = (0..hits.len()).collect();
        order.sort_unstable_by_key(|&i| (hits[i].segment_ord, hits[i].doc_id));
        let sorted: Vec<DocAddress> = order.iter().map(|&i| hits[i]).collect();
        let mut best = vec![(f32::MIN, Field::Name); hits.len()];
        for (field, weight) in weights {
            let scores = score_each(searcher, weight.as_ref(), &sorted)?;
            for (&i, score) in order.iter().zip(scores) {
                if let Some(score) = score.filter(|&s| s > best[i].0) {
                    best[i] = (score, *field);
                }
            }
        }
        Ok(best.into_iter().map(|(_, field)| field).collect())
    }
}

/// The single writer of a [`SearchIndex`].
pub struct IndexWriter {
    writer: tantivy::IndexWriter<TantivyDocument>,
    inner: Arc<Inner>,
}

impl std::fmt::Debug for IndexWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IndexWriter").finish_non_exhaustive()
    }
}

impl IndexWriter {
    /// Adds an entity, replacing any earlier document with the same id.
    pub fn upsert_entity(&mut self, doc: &EntityDoc) -> Result<()> {
        let f = &self.inner.fields;
        self.writer.delete_term(f.key_term(DocKey::Entity(doc.id)));
        self.writer.add_document(f.entity_document(doc))?;
        Ok(())
    }

    /// Adds a page, replacing any earlier document with the same fetch id.
    pub fn upsert_page(&mut self, doc: &PageDoc) -> Result<()> {
        let f = &self.inner.fields;
        self.writer
            .delete_term(f.key_term(DocKey::Page(doc.fetch_id)));
        self.writer.add_document(f.page_document(doc))?;
        Ok(())
    }

    /// Removes an entity.
    pub fn delete_entity(&mut self, id: i64) {
        let term = self.inner.fields.key_term(DocKey::Entity(id));
        self.writer.delete_term(term);
    }

    /// Removes a page.
    pub fn delete_page(&mut self, fetch_id: i64) {
        let term = self.inner.fields.key_term(DocKey::Page(fetch_id));
        self.writer.delete_term(term);
    }

    /// Removes every document (for a full rebuild; takes effect on commit).
    pub fn clear(&mut self) -> Result<()> {
        self.writer.delete_all_documents()?;
        Ok(())
    }

    /// Commits all changes with `watermark` as the commit payload, makes them visible to
    /// searches, and waits for background segment merges to finish.
    pub fn commit(mut self, watermark: &str) -> Result<()> {
        let mut prepared = self.writer.prepare_commit()?;
        prepared.set_payload(watermark);
        prepared.commit()?;
        self.inner.reader.reload()?;
        self.writer.wait_merging_threads()?;
        self.inner.reader.reload()?;
        Ok(())
    }
}
