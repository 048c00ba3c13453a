//! One way to sort a list: each list has a closed set of sort keys (an enum here, each key a
//! stable code the console's `sort` parameter names), and a [`Sort`] is a key with a
//! direction. A list's filter carries an `Option<Sort<…>>` (`None`: the list's own order).
//!
//! Which SQL a key stands for is decided in `sql/` alone, by a `match` on the key (a
//! whitelist: no text from a request reaches SQL), and every sorted query ends with the row id
//! in the same direction, so that pages of a sorted list never overlap or skip a row. Empty
//! values (NULL) sort last in both directions, on both engines.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The keys a list may be sorted by.
pub trait SortKey: Copy + Eq + fmt::Debug + 'static {
    /// Every key, in the order the list shows its columns.
    const ALL: &'static [Self];
    /// The key's stable code (the console's `sort` parameter).
    fn code(self) -> &'static str;
}

/// A list's order: by `key`, ascending unless `descending`; ties broken by the row id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sort<K> {
    pub key: K,
    pub descending: bool,
}

impl<K> Sort<K> {
    pub fn asc(key: K) -> Sort<K> {
        Sort {
            key,
            descending: false,
        }
    }

    pub fn desc(key: K) -> Sort<K> {
        Sort {
            key,
            descending: true,
        }
    }
}

/// A code that names no key of the list.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown sort key {given:?} (expected one of: {})", allowed.join(", "))]
pub struct UnknownSortKey {
    pub given: String,
    pub allowed: Vec<&'static str>,
}

/// Reads a key by its code.
pub fn parse_key<K: SortKey>(code: &str) -> Result<K, UnknownSortKey> {
    let code = code.trim();
    K::ALL
        .iter()
        .copied()
        .find(|k| k.code() == code)
        .ok_or_else(|| UnknownSortKey {
            given: code.to_string(),
            allowed: K::ALL.iter().map(|k| k.code()).collect(),
        })
}

macro_rules! sort_keys {
    (
        $(#[$doc:meta])* $name:ident {
            $($(#[$vdoc:meta])* $variant:ident => $code:literal,)*
        }
    ) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name {
            $($(#[$vdoc])* #[serde(rename = $code)] $variant,)*
        }

        impl SortKey for $name {
            const ALL: &'static [$name] = &[$($name::$variant,)*];
            fn code(self) -> &'static str {
                match self { $($name::$variant => $code,)* }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.code())
            }
        }

        impl FromStr for $name {
            type Err = UnknownSortKey;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                parse_key(s)
            }
        }
    };
}

sort_keys! {
    /// The findings list's columns.
    FindingSort {
        Id => "id",
        /// By rank (low … critical), not by code.
        Severity => "severity",
        Category => "category",
        /// The site's host.
        Site => "site",
        Url => "url",
        Location => "location",
        Rule => "rule",
        FoundAt => "found_at",
        /// In the order of `Triage::ALL`.
        Triage => "triage",
    }
}

sort_keys! {
    /// The clue list's columns.
    ClueSort {
        Id => "id",
        Site => "site",
        State => "state",
        District => "district",
        Severity => "severity",
        DueOn => "due_on",
        VerifyBy => "verify_by",
        Summary => "summary",
        /// How many findings the clue holds.
        Findings => "findings",
        CreatedBy => "created_by",
        CreatedAt => "created_at",
    }
}

sort_keys! {
    /// The case list's columns.
    CaseSort {
        /// The case number, in the order numbers are handed out.
        Number => "number",
        Site => "site",
        District => "district",
        Stage => "stage",
        OpenedAt => "opened_at",
        DecideBy => "decide_by",
        Summary => "summary",
    }
}

sort_keys! {
    /// The complaint list's columns.
    ComplaintSort {
        Id => "id",
        TrackingNumber => "tracking_number",
        Kind => "kind",
        /// The named business (the register's name when linked, else as submitted).
        Subject => "subject",
        State => "state",
        District => "district",
        AcceptBy => "accept_by",
        MediationEndsBy => "mediation_ends_by",
        VerifyBy => "verify_by",
        ReceivedAt => "received_at",
    }
}

sort_keys! {
    /// The badge list's columns.
    BadgeSort {
        Serial => "serial",
        Entity => "entity",
        Domain => "domain",
        Method => "method",
        State => "state",
        Proof => "proof",
        Check => "check",
        AppliedAt => "applied_at",
        IssuedAt => "issued_at",
    }
}

sort_keys! {
    /// The sites list's columns.
    SiteSort {
        /// Host, then path prefix.
        Host => "host",
        Prefix => "prefix",
        Kind => "kind",
        Entity => "entity",
        District => "district",
    }
}

sort_keys! {
    /// The entity list's columns.
    EntitySort {
        Name => "name",
        Uscc => "uscc",
        LegalForm => "legal_form",
        Kind => "kind",
        Status => "status",
        District => "district",
    }
}

sort_keys! {
    /// The credit listings' columns.
    ListingSort {
        Id => "id",
        List => "list",
        Entity => "entity",
        Uscc => "uscc",
        District => "district",
        Cause => "cause",
        ListedOn => "listed_on",
        RemovedOn => "removed_on",
        RemovedReason => "removed_reason",
    }
}

sort_keys! {
    /// The field inspections' columns.
    InspectionSort {
        Id => "id",
        InspectedAt => "inspected_at",
        Entity => "entity",
        District => "district",
        Case => "case",
        /// In the order of `InspectionResult::ALL`.
        Result => "result",
        /// How many files are attached.
        Attachments => "attachments",
        Place => "place",
    }
}

sort_keys! {
    /// The discovered sites' columns.
    DiscoverySort {
        Id => "id",
        /// Host, then path prefix.
        Address => "address",
        /// In the order of `DiscoveryState::ALL`.
        State => "state",
        FirstSeen => "first_seen",
        Sightings => "sightings",
        /// In the order of `DiscoverySource::ALL`.
        Source => "source",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_read_by_code_only() {
        assert_eq!("found_at".parse::<FindingSort>(), Ok(FindingSort::FoundAt));
        let e = "g.id; DROP TABLE x".parse::<FindingSort>().unwrap_err();
        assert_eq!(e.allowed.first(), Some(&"id"));
        assert!(e.to_string().contains("found_at"));
        for k in SiteSort::ALL {
            assert_eq!(k.code().parse::<SiteSort>(), Ok(*k));
        }
    }
}
