//! The portal's two languages: Simplified Chinese first, English with `?lang=en`. [`Lang`] is
//! an extractor (from the query string; anything but `en` is Chinese) and what templates pick
//! their words with (`lang.pick("中文", "English")`) and build links with (`lang.href(path)`,
//! which keeps `lang=en`).

use std::convert::Infallible;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

/// The language a portal page is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    /// 简体中文 (the default).
    #[default]
    Zh,
    /// English (`?lang=en`).
    En,
}

impl Lang {
    /// The language a query string asks for: `lang=en` is English, anything else Chinese.
    pub fn from_query(query: Option<&str>) -> Lang {
        let en = query.is_some_and(|q| {
            q.split('&')
                .filter_map(|pair| pair.split_once('=').or(Some((pair, ""))))
                .any(|(k, v)| k == "lang" && v.eq_ignore_ascii_case("en"))
        });
        if en {
            Lang::En
        } else {
            Lang::Zh
        }
    }

    /// `zh` in Chinese, `en` in English.
    /// A time as the public reads it in this language: Beijing time with its zone marked
    /// (`domain::time::shown` in Chinese; `… Beijing time` in English), and its RFC 3339 form
    /// for a `<time datetime>`.
    pub fn time(self, t: chrono::DateTime<chrono::Utc>) -> Shown {
        Shown {
            text: match self {
                Lang::Zh => domain::time::shown(t),
                Lang::En => format!(
                    "{} Beijing time",
                    domain::time::to_beijing(t).format(domain::time::SHOWN_FORMAT)
                ),
            },
            datetime: t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        }
    }

    pub fn pick<T>(self, zh: T, en: T) -> T {
        match self {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }

    /// The `<html lang>` value.
    pub fn code(self) -> &'static str {
        self.pick("zh-CN", "en")
    }

    /// Whether this is English (for templates).
    pub fn is_en(self) -> bool {
        self == Lang::En
    }

    /// A link to `path` (which may carry a query) in this language: `lang=en` added in
    /// English, the path as given in Chinese.
    pub fn href(self, path: &str) -> String {
        match self {
            Lang::Zh => path.to_string(),
            Lang::En if path.contains('?') => format!("{path}&lang=en"),
            Lang::En => format!("{path}?lang=en"),
        }
    }

    /// The other language.
    pub fn other(self) -> Lang {
        self.pick(Lang::En, Lang::Zh)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Lang {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Lang::from_query(parts.uri.query()))
    }
}

/// `path` with its query string minus any `lang` parameter, for the language switch.
pub(crate) fn without_lang(path: &str, query: Option<&str>) -> String {
    let kept: Vec<&str> = query
        .unwrap_or("")
        .split('&')
        .filter(|pair| !pair.is_empty() && pair.split('=').next() != Some("lang"))
        .collect();
    if kept.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{}", kept.join("&"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_query_chooses_and_links_keep_the_choice() {
        assert_eq!(Lang::from_query(None), Lang::Zh);
        assert_eq!(Lang::from_query(Some("q=1&lang=en")), Lang::En);
        assert_eq!(Lang::from_query(Some("lang=EN")), Lang::En);
        assert_eq!(Lang::from_query(Some("lang=fr")), Lang::Zh);
        assert_eq!(Lang::from_query(Some("xlang=en")), Lang::Zh);
        assert_eq!(Lang::En.href("/notices"), "/notices?lang=en");
        assert_eq!(Lang::En.href("/credit?q=a"), "/credit?q=a&lang=en");
        assert_eq!(Lang::Zh.href("/credit?q=a"), "/credit?q=a");
        assert_eq!(Lang::Zh.pick("中文", "English"), "中文");
        assert_eq!(without_lang("/credit", Some("q=a&lang=en")), "/credit?q=a");
        assert_eq!(without_lang("/", Some("lang=en")), "/");
    }
}

/// A time shown to the public ([`Lang::time`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shown {
    /// What a person reads.
    pub text: String,
    /// RFC 3339, UTC: the `datetime` attribute of its `<time>` element.
    pub datetime: String,
}
