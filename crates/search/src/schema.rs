//! The index schema and the conversion of records into tantivy documents.

use crate::analysis::ANALYZER;
use crate::ident;
use crate::{EntityDoc, PageDoc};
use domain::text::compact_upper;
use tantivy::schema::{
    Field, IndexRecordOption, NumericOptions, Schema, TextFieldIndexing, TextOptions, FAST,
    INDEXED, STORED, STRING,
};
use tantivy::{TantivyDocument, Term};

/// Bumped whenever the schema, the analyzer or the keyword normalisation changes; an index
/// written under another version is wiped and rebuilt by its owner.
pub(crate) const SCHEMA_VERSION: u32 = 1;

/// Name of the single fast field used for tie-breaking (see [`DocKey`]).
pub(crate) const KEY_FIELD: &str = "key";

/// The kind of a document and its record id, packed into one `i64` (`id * 2 + kind`).
///
/// The packed key is indexed (so an upsert deletes by one term), a fast field (so ties in
/// score are broken by id without touching the document store) and it tells which kind of
/// hit a document is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DocKey {
    Entity(i64),
    Page(i64),
}

impl DocKey {
    pub(crate) fn pack(self) -> i64 {
        match self {
            DocKey::Entity(id) => id.wrapping_mul(2),
            DocKey::Page(id) => id.wrapping_mul(2).wrapping_add(1),
        }
    }

    pub(crate) fn unpack(key: i64) -> DocKey {
        let id = key.div_euclid(2);
        if key.rem_euclid(2) == 0 {
            DocKey::Entity(id)
        } else {
            DocKey::Page(id)
        }
    }
}

/// Handles of every field of the schema.
#[derive(Debug, Clone)]
pub(crate) struct Fields {
    pub key: Field,
    pub district: Field,
    // Entity fields.
    pub uscc: Field,
    pub name: Field,
    pub name_exact: Field,
    pub former: Field,
    pub former_exact: Field,
    pub legal_rep: Field,
    pub address: Field,
    pub domain: Field,
    pub icp: Field,
    pub phone: Field,
    // Page fields.
    pub site_id: Field,
    pub url: Field,
    pub page_host: Field,
    pub title: Field,
    pub text: Field,
}

fn analyzed(record: IndexRecordOption, stored: bool) -> TextOptions {
    let options = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(ANALYZER)
            .set_index_option(record),
    );
    if stored {
        options.set_stored()
    } else {
        options
    }
}

/// Builds the schema and returns it with its field handles.
pub(crate) fn build() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let positions = IndexRecordOption::WithFreqsAndPositions;
    let freqs = IndexRecordOption::WithFreqs;
    let fields = Fields {
        key: b.add_i64_field(KEY_FIELD, NumericOptions::from(INDEXED) | FAST),
        district: b.add_text_field("district", STRING),
        uscc: b.add_text_field("uscc", STRING),
        name: b.add_text_field("name", analyzed(positions, false)),
        name_exact: b.add_text_field("name_exact", STRING),
        former: b.add_text_field("former", analyzed(positions, false)),
        former_exact: b.add_text_field("former_exact", STRING),
        legal_rep: b.add_text_field("legal_rep", analyzed(freqs, false)),
        address: b.add_text_field("address", analyzed(freqs, false)),
        domain: b.add_text_field("domain", STRING),
        icp: b.add_text_field("icp", STRING),
        phone: b.add_text_field("phone", STRING),
        site_id: b.add_i64_field("site_id", STORED),
        url: b.add_text_field("url", STORED),
        page_host: b.add_text_field("page_host", STRING),
        title: b.add_text_field("title", analyzed(positions, true)),
        text: b.add_text_field("text", analyzed(positions, true)),
    };
    (b.build(), fields)
}

/// The exact-match key of a whole name.
pub(crate) fn name_key(name: &str) -> String {
    compact_upper(name)
}

impl Fields {
    pub(crate) fn key_term(&self, key: DocKey) -> Term {
        Term::from_field_i64(self.key, key.pack())
    }

    pub(crate) fn entity_document(&self, e: &EntityDoc) -> TantivyDocument {
        let mut doc = TantivyDocument::default();
        doc.add_i64(self.key, DocKey::Entity(e.id).pack());
        doc.add_text(self.district, e.district.trim());
        let uscc = ident::uscc_key(&e.uscc);
        if !uscc.is_empty() {
            doc.add_text(self.uscc, &uscc);
        }
        doc.add_text(self.name, &e.name);
        doc.add_text(self.name_exact, name_key(&e.name));
        for former in &e.former_names {
            doc.add_text(self.former, former);
            doc.add_text(self.former_exact, name_key(former));
        }
        if let Some(rep) = &e.legal_rep {
            doc.add_text(self.legal_rep, rep);
        }
        for address in &e.addresses {
            doc.add_text(self.address, address);
        }
        let mut add_keywords = |field: Field, forms: Vec<String>| {
            for form in forms {
                doc.add_text(field, form);
            }
        };
        for d in &e.domains {
            add_keywords(self.domain, ident::host_forms(d));
        }
        for icp in &e.icps {
            add_keywords(self.icp, ident::icp_forms(icp));
        }
        for phone in &e.phones {
            add_keywords(self.phone, ident::phone_forms(phone));
        }
        doc
    }

    pub(crate) fn page_document(&self, p: &PageDoc) -> TantivyDocument {
        let mut doc = TantivyDocument::default();
        doc.add_i64(self.key, DocKey::Page(p.fetch_id).pack());
        if let Some(district) = &p.district {
            doc.add_text(self.district, district.trim());
        }
        doc.add_i64(self.site_id, p.site_id);
        doc.add_text(self.url, &p.url);
        for form in ident::host_forms(&p.url) {
            doc.add_text(self.page_host, form);
        }
        doc.add_text(self.title, &p.title);
        doc.add_text(self.text, &p.text);
        doc
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doc_keys_round_trip_and_do_not_collide() {
        for id in [0, 1, 7, 1 << 40, -3] {
            assert_eq!(
                DocKey::unpack(DocKey::Entity(id).pack()),
                DocKey::Entity(id)
            );
            assert_eq!(DocKey::unpack(DocKey::Page(id).pack()), DocKey::Page(id));
            assert_ne!(DocKey::Entity(id).pack(), DocKey::Page(id).pack());
        }
    }
}
