//! The one configuration of a run: defaults, then `wangjian.toml` in the data directory, then
//! `WANGJIAN_*` environment variables, then command-line flags, the later winning. Loaded once
//! in `cmd::run` and passed down; every value remembers where it came from (`config show`).
//!
//! The file is written with every setting at its default and a comment on first use (when a
//! command first opens the data directory's database) or by `wangjian config init`. A key the
//! file does not know is an error naming the key and the file, before anything is changed.

use anyhow::{bail, Context};
use serde::Deserialize;
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// The file's name in the data directory.
pub const FILE_NAME: &str = "wangjian.toml";

/// Where a value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Default,
    File(PathBuf),
    Env(String),
    Flag(&'static str),
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Default => f.write_str("default"),
            Source::File(p) => write!(f, "file {}", p.display()),
            Source::Env(v) => write!(f, "env {v}"),
            Source::Flag(flag) => write!(f, "flag {flag}"),
        }
    }
}

/// A value and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting<T> {
    pub value: T,
    pub source: Source,
}

/// The file as written: every key optional (absent means "not set here").
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    database: Option<String>,
    listen: Option<String>,
    tsa_url: Option<String>,
    crawl: Option<FileCrawl>,
    console: Option<FileConsole>,
    /// `max_attachment_mb` and the keys of [`casework::Limits`] (read in [`FileCasework::read`]).
    casework: Option<toml::Table>,
    schedule: Option<FileSchedule>,
    documents: Option<FileDocuments>,
    portal: Option<FilePortal>,
    discovery: Option<FileDiscovery>,
    sweep: Option<FileSweep>,
    objects: Option<objects::ObjectsConfig>,
}

/// The `[sweep]` table.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSweep {
    render_probes: Option<bool>,
    workers: Option<bool>,
}

/// The `[discovery]` table: how far links are followed, the city's telephone area codes, and
/// the certificate transparency logs watched (the file only: a list of tables).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileDiscovery {
    max_hops: Option<u32>,
    area_codes: Option<String>,
    ct_logs: Option<Vec<CtLogEntry>>,
}

/// One `[[discovery.ct_logs]]` entry: a certificate transparency log (RFC 6962) and its key.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CtLogEntry {
    /// A name of the bureau's choosing (positions are kept under it).
    pub name: String,
    /// The log's base URL (`…/ct/v1/` is appended).
    pub url: String,
    /// The log's public key: base64 of its SubjectPublicKeyInfo (DER), as log lists give it.
    pub key: String,
}

/// The `[portal]` table: the public portal's listener and its forms' limits.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FilePortal {
    listen: Option<String>,
    public_url: Option<String>,
    hosts: Option<Vec<String>>,
    form_limit_kb: Option<u64>,
    rate_burst: Option<u32>,
    rate_per_minute: Option<u32>,
}

/// The `[casework]` table: the attachment size (a setting like the others, with a source and
/// an environment variable) and the procedure's limits (the file only: lists of dates do not fit
/// an environment variable).
#[derive(Debug, Default)]
struct FileCasework {
    max_attachment_mb: Option<u64>,
    limits: Option<casework::Limits>,
}

impl FileCasework {
    fn read(table: Option<toml::Table>, file: &Path) -> anyhow::Result<FileCasework> {
        let Some(mut table) = table else {
            return Ok(FileCasework::default());
        };
        let max_attachment_mb = match table.remove("max_attachment_mb") {
            None => None,
            Some(v) => Some(
                v.as_integer()
                    .and_then(|n| u64::try_from(n).ok())
                    .ok_or_else(|| {
                        anyhow::anyhow!(
                            "{}: casework.max_attachment_mb must be a whole number, not {v}",
                            file.display()
                        )
                    })?,
            ),
        };
        if table.is_empty() {
            return Ok(FileCasework {
                max_attachment_mb,
                limits: None,
            });
        }
        let limits = casework::Limits::deserialize(toml::Value::Table(table))
            .map_err(|e| anyhow::anyhow!("{}: [casework]: {e}", file.display()))?;
        Ok(FileCasework {
            max_attachment_mb,
            limits: Some(limits),
        })
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSchedule {
    city_sweep: Option<String>,
    rechecks: Option<String>,
    credit: Option<String>,
    timezone_offset_hours: Option<i32>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileDocuments {
    bureau: Option<String>,
    rectification_prefix: Option<String>,
    warning_prefix: Option<String>,
    referral_prefix: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConsole {
    tls_cert: Option<String>,
    tls_key: Option<String>,
    trusted_proxy: Option<String>,
    hosts: Option<Vec<String>>,
    header_timeout_secs: Option<u64>,
    request_timeout_secs: Option<u64>,
    max_connections: Option<usize>,
    metrics_token: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileCrawl {
    contact_url: Option<String>,
    user_agent: Option<String>,
    delay_ms: Option<u64>,
    concurrency: Option<usize>,
    max_pages: Option<usize>,
    max_depth: Option<u32>,
    timeout_secs: Option<u64>,
}

/// What the command line says about configured values (each `None` when the flag is absent).
#[derive(Debug, Default, Clone)]
pub struct Flags {
    pub database: Option<String>,
    pub listen: Option<SocketAddr>,
    pub tsa_url: Option<String>,
    pub delay_ms: Option<u64>,
    pub concurrency: Option<usize>,
    pub max_pages: Option<usize>,
    pub max_depth: Option<u32>,
    pub timeout_secs: Option<u64>,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    pub public_addr: Option<SocketAddr>,
}

/// The effective configuration. `Debug` and [`Config::show`] hide a password in the database
/// URL.
#[derive(Clone)]
pub struct Config {
    /// The file it was read from (whether or not it exists).
    pub file: PathBuf,
    /// Whether the file exists.
    pub file_exists: bool,
    /// The database: a `sqlite://` URL or a file path, or a `postgres://` URL; by default the
    /// SQLite file in the data directory.
    pub database: Setting<String>,
    /// Where the console listens.
    pub listen: Setting<SocketAddr>,
    /// The RFC 3161 Time-Stamping Authority that time-stamps signed checkpoints; none when empty.
    pub tsa_url: Setting<Option<String>>,
    /// The bureau's page about its crawler, named in the User-Agent.
    pub contact_url: Setting<Option<String>>,
    /// The User-Agent, when set in full; else built from `contact_url`.
    pub user_agent: Setting<Option<String>>,
    /// Politeness: the delay between two requests to one host, in milliseconds.
    pub delay_ms: Setting<u64>,
    /// Sites crawled at once.
    pub concurrency: Setting<usize>,
    /// Page budget per site.
    pub max_pages: Setting<usize>,
    /// Link depth limit per site.
    pub max_depth: Setting<u32>,
    /// Total timeout of one request, in seconds.
    pub timeout_secs: Setting<u64>,
    /// The console's TLS certificate chain (PEM); a relative path in the file is read from the
    /// data directory.
    pub tls_cert: Setting<Option<PathBuf>>,
    /// The private key of `tls_cert` (PEM).
    pub tls_key: Setting<Option<PathBuf>>,
    /// The reverse proxy that terminates TLS in front of the console (the only peer allowed
    /// then).
    pub trusted_proxy: Setting<Option<IpAddr>>,
    /// `Host` values the console answers to besides its address and the loopback names.
    pub hosts: Setting<HostList>,
    /// Seconds a client may take to send a request head (and a TLS handshake).
    pub header_timeout_secs: Setting<u64>,
    /// Seconds a request may take to be answered.
    pub request_timeout_secs: Setting<u64>,
    /// Connections the console serves at once.
    pub max_connections: Setting<usize>,
    /// The bearer token an operator's Prometheus sends to read `/metrics`; none: `/metrics`
    /// is off. A secret: `Debug` and `config show` hide it.
    pub metrics_token: Setting<Option<web::metrics::MetricsToken>>,
    /// The largest photo or scan attached to a field inspection, in MiB.
    pub max_attachment_mb: Setting<u64>,
    /// When `serve` sweeps the whole city (cron, the bureau's time zone); none: never.
    pub city_sweep: Setting<Option<String>>,
    /// When `serve` re-checks the rectification orders due (cron); none: never.
    pub rechecks: Setting<Option<String>>,
    /// When `serve` reloads the credit index file (if it changed) and re-scores every entity
    /// (cron); none: never (stale entities are still re-scored every tick).
    pub credit: Setting<Option<String>>,
    /// The bureau's time zone as hours east of UTC (schedules and campaign periods).
    pub timezone_offset_hours: Setting<i32>,
    /// Sweeps render the homepages whose scripts could cloak in headless Chromium
    /// (`sweep::probe`); on by default, used only when Chromium is found.
    pub render_probes: Setting<bool>,
    /// The city sweep is done by `wangjian worker`s: `serve`'s scheduler creates it and waits
    /// for the workers to end it, then groups its findings into clues.
    pub sweep_workers: Setting<bool>,
    /// Casework's time limits and working-day calendar (the `[casework]` table; the file
    /// only, no environment variables: lists of dates do not fit one).
    pub casework: Setting<casework::Limits>,
    /// The casework documents' issuing bureau and number prefixes.
    pub documents: DocumentsConfig,
    /// The public portal (the `[portal]` table).
    pub portal: PortalConfig,
    /// Discovery beyond one hop (the `[discovery]` table).
    pub discovery: DiscoveryConfig,
    /// The S3-compatible object store finished WARC files are kept in (the `[objects]`
    /// table, the file only; credentials also from `AWS_ACCESS_KEY_ID` and
    /// `AWS_SECRET_ACCESS_KEY`); none: evidence stays on local disk alone. A secret: `Debug`
    /// and `config show` hide it.
    pub objects: Option<objects::ObjectsConfig>,
}

/// The `[discovery]` table.
#[derive(Debug, Clone)]
pub struct DiscoveryConfig {
    /// Hops from the register that links are followed to.
    pub max_hops: Setting<u32>,
    /// The city's telephone area codes, comma-separated.
    pub area_codes: Setting<String>,
    /// The certificate transparency logs watched (the file only).
    pub ct_logs: Setting<Vec<CtLogEntry>>,
}

impl DiscoveryConfig {
    /// The city whose indicators discovery looks for: the district table's city with these
    /// area codes.
    pub fn city(&self) -> domain::locality::City {
        let mut city = domain::locality::City::nanning();
        city.area_codes = self
            .area_codes
            .value
            .split(',')
            .map(|c| c.trim().to_string())
            .filter(|c| !c.is_empty())
            .collect();
        city
    }

    /// What a sweep needs of it.
    pub fn sweep(&self) -> sweep::DiscoveryConfig {
        sweep::DiscoveryConfig {
            city: self.city(),
            max_hops: self.max_hops.value,
            // Checked when the configuration was loaded.
            ct_logs: self.ct_logs(None).unwrap_or_default(),
        }
    }

    /// The configured certificate transparency logs, or the one named.
    pub fn ct_logs(&self, only: Option<&str>) -> anyhow::Result<Vec<ct::LogConfig>> {
        use base64::Engine as _;
        let configured = &self.ct_logs.value;
        if let Some(name) = only {
            if !configured.iter().any(|l| l.name == name) {
                anyhow::bail!("no certificate transparency log {name:?} in [[discovery.ct_logs]]");
            }
        }
        configured
            .iter()
            .filter(|l| only.is_none_or(|n| n == l.name))
            .map(|l| {
                Ok(ct::LogConfig {
                    name: l.name.clone(),
                    url: url::Url::parse(&l.url)?,
                    key: base64::engine::general_purpose::STANDARD.decode(l.key.trim())?,
                })
            })
            .collect()
    }
}

/// The `[portal]` table: where the public portal listens, the URL the public reaches it at, the
/// hosts it answers to, and its public forms' limits. It is served with the console's TLS
/// certificate, trusted proxy and timeouts.
#[derive(Debug, Clone)]
pub struct PortalConfig {
    /// Where `serve` also serves the portal (none: not served by `serve` unless
    /// `--public-addr`); `wangjian portal` listens here, else on [`DEFAULT_PORTAL_LISTEN`].
    pub listen: Setting<Option<SocketAddr>>,
    /// The portal's base URL as the public reaches it; empty: its listen address.
    pub public_url: Setting<Option<String>>,
    /// `Host` values the portal answers to besides its address and the loopback names.
    pub hosts: Setting<HostList>,
    /// The largest public form accepted, in KiB.
    pub form_limit_kb: Setting<u64>,
    /// Public forms one client address may post at once.
    pub rate_burst: Setting<u32>,
    /// Public forms per minute a client address gets back.
    pub rate_per_minute: Setting<u32>,
}

/// The `[documents]` table: who issues casework documents and how they are numbered
/// (`documents::DocumentSettings`).
#[derive(Debug, Clone)]
pub struct DocumentsConfig {
    /// The issuing bureau (发文机关).
    pub bureau: Setting<String>,
    /// 文号 prefixes of rectification notices, warning letters and referral letters.
    pub rectification_prefix: Setting<String>,
    pub warning_prefix: Setting<String>,
    pub referral_prefix: Setting<String>,
}

impl DocumentsConfig {
    /// The settings the documents are made with.
    pub fn settings(&self) -> documents::DocumentSettings {
        documents::DocumentSettings {
            bureau: self.bureau.value.clone(),
            rectification_prefix: self.rectification_prefix.value.clone(),
            warning_prefix: self.warning_prefix.value.clone(),
            referral_prefix: self.referral_prefix.value.clone(),
        }
    }
}

/// The `Host` values of `console.hosts`: in the file a list of strings, in the environment
/// separated by commas.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HostList(pub Vec<web::transport::HostEntry>);

impl FromStr for HostList {
    type Err = web::transport::HostEntryError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.split(',')
            .filter(|h| !h.trim().is_empty())
            .map(web::transport::HostEntry::parse)
            .collect::<Result<Vec<_>, _>>()
            .map(HostList)
    }
}

impl fmt::Display for HostList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let all: Vec<String> = self.0.iter().map(ToString::to_string).collect();
        f.write_str(&all.join(","))
    }
}

/// A refused metrics token, in Chinese.
fn metrics_token_problem(e: web::metrics::MetricsTokenError) -> String {
    match e {
        web::metrics::MetricsTokenError::TooShort => {
            format!("至少需要 {} 个字符", web::metrics::MIN_TOKEN_LEN)
        }
        web::metrics::MetricsTokenError::NotVisibleAscii => {
            "只能由可见的 ASCII 字符组成（不含空格）".to_string()
        }
    }
}

/// Defaults (also written into the default file).
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
pub const DEFAULT_MAX_HOPS: u32 = 2;
pub const DEFAULT_AREA_CODES: &str = "0771";
pub const DEFAULT_DELAY_MS: u64 = 1000;
pub const DEFAULT_CONCURRENCY: usize = 32;
pub const DEFAULT_MAX_PAGES: usize = 50;
pub const DEFAULT_MAX_DEPTH: u32 = 5;
pub const DEFAULT_TIMEOUT_SECS: u64 = 20;
pub const DEFAULT_HEADER_TIMEOUT_SECS: u64 = web::transport::DEFAULT_HEADER_READ_TIMEOUT.as_secs();
pub const DEFAULT_REQUEST_TIMEOUT_SECS: u64 = web::transport::DEFAULT_REQUEST_TIMEOUT.as_secs();
pub const DEFAULT_MAX_CONNECTIONS: usize = web::transport::DEFAULT_MAX_CONNECTIONS;
pub const DEFAULT_MAX_ATTACHMENT_MB: u64 = casework::inspection::DEFAULT_MAX_ATTACHMENT_MB;
pub const DEFAULT_CITY_SWEEP: &str = "0 2 * * *";
pub const DEFAULT_RECHECKS: &str = "30 6 * * *";
pub const DEFAULT_CREDIT: &str = "0 5 * * *";
pub const DEFAULT_TIMEZONE_OFFSET_HOURS: i32 = 8;
pub const DEFAULT_PORTAL_LISTEN: &str = "127.0.0.1:8081";
pub const DEFAULT_FORM_LIMIT_KB: u64 = 16;
pub const DEFAULT_RATE_BURST: u32 = 5;
pub const DEFAULT_RATE_PER_MINUTE: u32 = 2;

impl Config {
    /// The portal's base URL as the public reaches it: `portal.public_url`, else plain HTTP at
    /// the portal's listen address (the default one when unset). Badge snippets link there and
    /// sweeps check wangjian badge links against its host.
    pub fn portal_url(&self) -> String {
        match &self.portal.public_url.value {
            Some(url) => url.trim_end_matches('/').to_string(),
            None => format!(
                "http://{}",
                self.portal
                    .listen
                    .value
                    .map(|a| a.to_string())
                    .unwrap_or_else(|| DEFAULT_PORTAL_LISTEN.to_string())
            ),
        }
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("file", &self.file)
            .field("database", &store::redact_password(&self.database.value))
            .field("listen", &self.listen.value)
            .field("tsa_url", &self.tsa_url.value)
            .field("user_agent", &self.user_agent())
            .field("delay_ms", &self.delay_ms.value)
            .field("concurrency", &self.concurrency.value)
            .field("max_pages", &self.max_pages.value)
            .field("max_depth", &self.max_depth.value)
            .field("timeout_secs", &self.timeout_secs.value)
            .field("tls_cert", &self.tls_cert.value)
            .field("tls_key", &self.tls_key.value)
            .field("trusted_proxy", &self.trusted_proxy.value)
            .field("hosts", &self.hosts.value)
            .field("header_timeout_secs", &self.header_timeout_secs.value)
            .field("request_timeout_secs", &self.request_timeout_secs.value)
            .field("max_connections", &self.max_connections.value)
            .field("metrics_token", &self.metrics_token.value)
            .field("max_attachment_mb", &self.max_attachment_mb.value)
            .field("city_sweep", &self.city_sweep.value)
            .field("rechecks", &self.rechecks.value)
            .field("timezone_offset_hours", &self.timezone_offset_hours.value)
            .field("render_probes", &self.render_probes.value)
            .field("documents", &self.documents.settings())
            .finish()
    }
}

impl Config {
    /// Reads `<data>/wangjian.toml` (when present), the environment through `env`, and `flags`.
    pub fn load(
        data: &Path,
        flags: &Flags,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> anyhow::Result<Config> {
        let file = data.join(FILE_NAME);
        let (parsed, file_exists) = match std::fs::read_to_string(&file) {
            Ok(text) => {
                let parsed: FileConfig =
                    toml::from_str(&text).map_err(|e| file_error(&file, &text, &e))?;
                (parsed, true)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => (FileConfig::default(), false),
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", file.display())),
        };
        let crawl = parsed.crawl.unwrap_or_default();
        let console = parsed.console.unwrap_or_default();
        let casework = FileCasework::read(parsed.casework, &file)?;
        let schedule = parsed.schedule.unwrap_or_default();
        let sweep_table = parsed.sweep.unwrap_or_default();
        let docs = parsed.documents.unwrap_or_default();
        let portal = parsed.portal.unwrap_or_default();
        let disc = parsed.discovery.unwrap_or_default();
        let objects = parsed.objects.map(|mut o| {
            o.access_key_id = o.access_key_id.or_else(|| env("AWS_ACCESS_KEY_ID"));
            o.secret_access_key = o.secret_access_key.or_else(|| env("AWS_SECRET_ACCESS_KEY"));
            o
        });
        let doc_defaults = documents::DocumentSettings::default();
        let layer = Layer { file: &file, env };
        let path_in_data = |s: Setting<String>| {
            let mut s = optional(s);
            if let (Some(path), Source::File(_)) = (&s.value, &s.source) {
                s.value = Some(data.join(path).display().to_string());
            }
            Setting {
                value: s.value.map(PathBuf::from),
                source: s.source,
            }
        };
        let flag_path = |p: &Option<PathBuf>, flag: &'static str| {
            p.as_ref().map(|p| (p.display().to_string(), flag))
        };
        let default_db = format!("sqlite://{}", data.join("wangjian.db").display());
        Ok(Config {
            objects,
            database: layer.pick(
                "database",
                flags.database.clone().map(|v| (v, "--database")),
                parsed.database,
                default_db,
            )?,
            listen: layer.pick(
                "listen",
                flags.listen.map(|v| (v, "--addr")),
                parsed
                    .listen
                    .map(|s| parse_value::<SocketAddr>(&s, "listen", &file))
                    .transpose()?,
                DEFAULT_LISTEN.parse().expect("valid default"),
            )?,
            tsa_url: optional(layer.pick(
                "tsa_url",
                flags.tsa_url.clone().map(|v| (v, "--tsa")),
                parsed.tsa_url,
                String::new(),
            )?),
            contact_url: optional(layer.pick(
                "crawl.contact_url",
                None,
                crawl.contact_url,
                String::new(),
            )?),
            user_agent: optional(layer.pick(
                "crawl.user_agent",
                None,
                crawl.user_agent,
                String::new(),
            )?),
            delay_ms: layer.pick(
                "crawl.delay_ms",
                flags.delay_ms.map(|v| (v, "--delay-ms")),
                crawl.delay_ms,
                DEFAULT_DELAY_MS,
            )?,
            concurrency: layer.pick(
                "crawl.concurrency",
                flags.concurrency.map(|v| (v, "--concurrency")),
                crawl.concurrency,
                DEFAULT_CONCURRENCY,
            )?,
            max_pages: layer.pick(
                "crawl.max_pages",
                flags.max_pages.map(|v| (v, "--max-pages")),
                crawl.max_pages,
                DEFAULT_MAX_PAGES,
            )?,
            max_depth: layer.pick(
                "crawl.max_depth",
                flags.max_depth.map(|v| (v, "--max-depth")),
                crawl.max_depth,
                DEFAULT_MAX_DEPTH,
            )?,
            timeout_secs: layer.pick(
                "crawl.timeout_secs",
                flags.timeout_secs.map(|v| (v, "--timeout")),
                crawl.timeout_secs,
                DEFAULT_TIMEOUT_SECS,
            )?,
            tls_cert: path_in_data(layer.pick(
                "console.tls_cert",
                flag_path(&flags.tls_cert, "--tls-cert"),
                console.tls_cert,
                String::new(),
            )?),
            tls_key: path_in_data(layer.pick(
                "console.tls_key",
                flag_path(&flags.tls_key, "--tls-key"),
                console.tls_key,
                String::new(),
            )?),
            trusted_proxy: {
                let s = optional(layer.pick(
                    "console.trusted_proxy",
                    None,
                    console.trusted_proxy,
                    String::new(),
                )?);
                let value = s
                    .value
                    .map(|v| {
                        v.parse::<IpAddr>().map_err(|e| {
                            anyhow::anyhow!(
                                "console.trusted_proxy {v:?} (from {}) is not an IP address: {e}",
                                s.source
                            )
                        })
                    })
                    .transpose()?;
                Setting {
                    value,
                    source: s.source,
                }
            },
            hosts: layer.pick(
                "console.hosts",
                None,
                console
                    .hosts
                    .map(|hosts| {
                        hosts
                            .iter()
                            .map(|h| parse_value(h, "console.hosts", &file))
                            .collect::<anyhow::Result<Vec<_>>>()
                            .map(HostList)
                    })
                    .transpose()?,
                HostList::default(),
            )?,
            header_timeout_secs: layer.pick(
                "console.header_timeout_secs",
                None,
                console.header_timeout_secs,
                DEFAULT_HEADER_TIMEOUT_SECS,
            )?,
            request_timeout_secs: layer.pick(
                "console.request_timeout_secs",
                None,
                console.request_timeout_secs,
                DEFAULT_REQUEST_TIMEOUT_SECS,
            )?,
            max_connections: layer.pick(
                "console.max_connections",
                None,
                console.max_connections,
                DEFAULT_MAX_CONNECTIONS,
            )?,
            metrics_token: {
                let s = optional(layer.pick(
                    "console.metrics_token",
                    None,
                    console.metrics_token,
                    String::new(),
                )?);
                let value = s
                    .value
                    .map(|v| {
                        web::metrics::MetricsToken::new(&v).map_err(|e| {
                            anyhow::anyhow!(
                                "console.metrics_token（来自 {}）不可用：{}（{}）",
                                s.source,
                                metrics_token_problem(e),
                                e.code()
                            )
                        })
                    })
                    .transpose()?;
                Setting {
                    value,
                    source: s.source,
                }
            },
            max_attachment_mb: layer.pick(
                "casework.max_attachment_mb",
                None,
                casework.max_attachment_mb,
                DEFAULT_MAX_ATTACHMENT_MB,
            )?,
            city_sweep: optional(layer.pick(
                "schedule.city_sweep",
                None,
                schedule.city_sweep,
                DEFAULT_CITY_SWEEP.to_string(),
            )?),
            rechecks: optional(layer.pick(
                "schedule.rechecks",
                None,
                schedule.rechecks,
                DEFAULT_RECHECKS.to_string(),
            )?),
            credit: optional(layer.pick(
                "schedule.credit",
                None,
                schedule.credit,
                DEFAULT_CREDIT.to_string(),
            )?),
            timezone_offset_hours: layer.pick(
                "schedule.timezone_offset_hours",
                None,
                schedule.timezone_offset_hours,
                DEFAULT_TIMEZONE_OFFSET_HOURS,
            )?,
            render_probes: layer.pick(
                "sweep.render_probes",
                None,
                sweep_table.render_probes,
                true,
            )?,
            sweep_workers: layer.pick("sweep.workers", None, sweep_table.workers, false)?,
            casework: match casework.limits {
                Some(limits) => Setting {
                    value: limits,
                    source: Source::File(file.clone()),
                },
                None => Setting {
                    value: casework::Limits::default(),
                    source: Source::Default,
                },
            },
            documents: DocumentsConfig {
                bureau: layer.pick("documents.bureau", None, docs.bureau, doc_defaults.bureau)?,
                rectification_prefix: layer.pick(
                    "documents.rectification_prefix",
                    None,
                    docs.rectification_prefix,
                    doc_defaults.rectification_prefix,
                )?,
                warning_prefix: layer.pick(
                    "documents.warning_prefix",
                    None,
                    docs.warning_prefix,
                    doc_defaults.warning_prefix,
                )?,
                referral_prefix: layer.pick(
                    "documents.referral_prefix",
                    None,
                    docs.referral_prefix,
                    doc_defaults.referral_prefix,
                )?,
            },
            discovery: DiscoveryConfig {
                max_hops: layer.pick(
                    "discovery.max_hops",
                    None,
                    disc.max_hops,
                    DEFAULT_MAX_HOPS,
                )?,
                area_codes: layer.pick(
                    "discovery.area_codes",
                    None,
                    disc.area_codes,
                    DEFAULT_AREA_CODES.to_string(),
                )?,
                ct_logs: match disc.ct_logs {
                    Some(logs) => Setting {
                        value: logs,
                        source: Source::File(file.clone()),
                    },
                    None => Setting {
                        value: Vec::new(),
                        source: Source::Default,
                    },
                },
            },
            portal: PortalConfig {
                listen: {
                    let s = optional(layer.pick(
                        "portal.listen",
                        flags.public_addr.map(|a| (a.to_string(), "--public-addr")),
                        portal.listen,
                        String::new(),
                    )?);
                    let value = s
                        .value
                        .as_deref()
                        .map(|v| {
                            v.parse::<SocketAddr>().map_err(|e| {
                                anyhow::anyhow!(
                                    "portal.listen {v:?} (from {}) is not an address: {e}",
                                    s.source
                                )
                            })
                        })
                        .transpose()?;
                    Setting {
                        value,
                        source: s.source,
                    }
                },
                public_url: optional(layer.pick(
                    "portal.public_url",
                    None,
                    portal.public_url,
                    String::new(),
                )?),
                hosts: layer.pick(
                    "portal.hosts",
                    None,
                    portal
                        .hosts
                        .map(|hosts| {
                            hosts
                                .iter()
                                .map(|h| parse_value(h, "portal.hosts", &file))
                                .collect::<anyhow::Result<Vec<_>>>()
                                .map(HostList)
                        })
                        .transpose()?,
                    HostList::default(),
                )?,
                form_limit_kb: layer.pick(
                    "portal.form_limit_kb",
                    None,
                    portal.form_limit_kb,
                    DEFAULT_FORM_LIMIT_KB,
                )?,
                rate_burst: layer.pick(
                    "portal.rate_burst",
                    None,
                    portal.rate_burst,
                    DEFAULT_RATE_BURST,
                )?,
                rate_per_minute: layer.pick(
                    "portal.rate_per_minute",
                    None,
                    portal.rate_per_minute,
                    DEFAULT_RATE_PER_MINUTE,
                )?,
            },
            file,
            file_exists,
        })
        .and_then(Config::checked)
    }

    /// Values no layer may give.
    fn checked(self) -> anyhow::Result<Config> {
        for (name, value, source) in [
            (
                "crawl.concurrency",
                self.concurrency.value as u64,
                &self.concurrency.source,
            ),
            (
                "crawl.max_pages",
                self.max_pages.value as u64,
                &self.max_pages.source,
            ),
            (
                "crawl.timeout_secs",
                self.timeout_secs.value,
                &self.timeout_secs.source,
            ),
            (
                "console.header_timeout_secs",
                self.header_timeout_secs.value,
                &self.header_timeout_secs.source,
            ),
            (
                "console.request_timeout_secs",
                self.request_timeout_secs.value,
                &self.request_timeout_secs.source,
            ),
            (
                "console.max_connections",
                self.max_connections.value as u64,
                &self.max_connections.source,
            ),
            (
                "casework.max_attachment_mb",
                self.max_attachment_mb.value,
                &self.max_attachment_mb.source,
            ),
            (
                "portal.form_limit_kb",
                self.portal.form_limit_kb.value,
                &self.portal.form_limit_kb.source,
            ),
            (
                "portal.rate_burst",
                u64::from(self.portal.rate_burst.value),
                &self.portal.rate_burst.source,
            ),
        ] {
            if value == 0 {
                bail!("{name} must be at least 1 (0 given by {source})");
            }
        }
        for (name, setting) in [
            ("crawl.contact_url", &self.contact_url),
            ("tsa_url", &self.tsa_url),
            ("portal.public_url", &self.portal.public_url),
        ] {
            if let Some(url) = &setting.value {
                let parsed = url::Url::parse(url).map_err(|e| {
                    anyhow::anyhow!("{name} {url:?} (from {}) is not a URL: {e}", setting.source)
                })?;
                if !matches!(parsed.scheme(), "http" | "https") {
                    bail!(
                        "{name} {url:?} (from {}) is not an http(s) URL",
                        setting.source
                    );
                }
            }
        }
        for (name, setting) in [
            ("schedule.city_sweep", &self.city_sweep),
            ("schedule.rechecks", &self.rechecks),
            ("schedule.credit", &self.credit),
        ] {
            if let Some(text) = &setting.value {
                if let Err(e) = schedule::Cron::parse(text) {
                    bail!("{name} {text:?} (from {}): {e}", setting.source);
                }
            }
        }
        if !(-12..=14).contains(&self.timezone_offset_hours.value) {
            bail!(
                "schedule.timezone_offset_hours must be between -12 and 14 ({} given by {})",
                self.timezone_offset_hours.value,
                self.timezone_offset_hours.source
            );
        }
        if let Err(e) = self.casework.value.validate() {
            bail!("{e} (from {})", self.casework.source);
        }
        for (name, setting) in [
            ("documents.bureau", &self.documents.bureau),
            (
                "documents.rectification_prefix",
                &self.documents.rectification_prefix,
            ),
            ("documents.warning_prefix", &self.documents.warning_prefix),
            ("documents.referral_prefix", &self.documents.referral_prefix),
        ] {
            if setting.value.trim().is_empty() {
                bail!("{name} must not be empty (from {})", setting.source);
            }
        }
        for code in self.discovery.area_codes.value.split(',').map(str::trim) {
            let area_code = (3..=4).contains(&code.len())
                && code.starts_with('0')
                && code.bytes().all(|b| b.is_ascii_digit());
            if !code.is_empty() && !area_code {
                bail!(
                    "discovery.area_codes: {code:?} (from {}) is not a telephone area code like 0771",
                    self.discovery.area_codes.source
                );
            }
        }
        let mut names = std::collections::BTreeSet::new();
        for log in &self.discovery.ct_logs.value {
            if log.name.trim().is_empty() || !names.insert(log.name.as_str()) {
                bail!(
                    "discovery.ct_logs: every log needs a name of its own ({:?} from {})",
                    log.name,
                    self.discovery.ct_logs.source
                );
            }
            let url = url::Url::parse(&log.url).map_err(|e| {
                anyhow::anyhow!(
                    "discovery.ct_logs {}: url {:?} is not a URL: {e}",
                    log.name,
                    log.url
                )
            })?;
            if !matches!(url.scheme(), "http" | "https") {
                bail!(
                    "discovery.ct_logs {}: url {:?} is not an http(s) URL",
                    log.name,
                    log.url
                );
            }
            use base64::Engine as _;
            base64::engine::general_purpose::STANDARD
                .decode(log.key.trim())
                .map_err(|e| {
                    anyhow::anyhow!("discovery.ct_logs {}: key is not base64: {e}", log.name)
                })?;
        }
        if let Some(ua) = &self.user_agent.value {
            if ua.chars().any(|c| c.is_control() || !c.is_ascii()) {
                bail!(
                    "crawl.user_agent (from {}) must be printable ASCII",
                    self.user_agent.source
                );
            }
        }
        Ok(self)
    }

    /// The User-Agent the crawler sends: `crawl.user_agent` when set, else a compatible browser
    /// token naming wangjian's version and the bureau's contact page.
    pub fn user_agent(&self) -> String {
        if let Some(ua) = &self.user_agent.value {
            return ua.clone();
        }
        match &self.contact_url.value {
            Some(url) => format!(
                "Mozilla/5.0 (compatible; wangjian/{}; +{url})",
                env!("CARGO_PKG_VERSION")
            ),
            None => format!(
                "Mozilla/5.0 (compatible; wangjian/{})",
                env!("CARGO_PKG_VERSION")
            ),
        }
    }

    /// `key = value  # source` lines, in the file's order.
    pub fn show(&self) -> String {
        let q = |s: &str| toml::Value::String(s.to_string()).to_string();
        let opt = |s: &Option<String>| q(s.as_deref().unwrap_or(""));
        let lines: Vec<(&str, String, &Source)> = vec![
            (
                "database",
                q(&store::redact_password(&self.database.value)),
                &self.database.source,
            ),
            (
                "listen",
                q(&self.listen.value.to_string()),
                &self.listen.source,
            ),
            ("tsa_url", opt(&self.tsa_url.value), &self.tsa_url.source),
            (
                "crawl.contact_url",
                opt(&self.contact_url.value),
                &self.contact_url.source,
            ),
            (
                "crawl.user_agent",
                opt(&self.user_agent.value),
                &self.user_agent.source,
            ),
            (
                "crawl.delay_ms",
                self.delay_ms.value.to_string(),
                &self.delay_ms.source,
            ),
            (
                "crawl.concurrency",
                self.concurrency.value.to_string(),
                &self.concurrency.source,
            ),
            (
                "crawl.max_pages",
                self.max_pages.value.to_string(),
                &self.max_pages.source,
            ),
            (
                "crawl.max_depth",
                self.max_depth.value.to_string(),
                &self.max_depth.source,
            ),
            (
                "crawl.timeout_secs",
                self.timeout_secs.value.to_string(),
                &self.timeout_secs.source,
            ),
            (
                "console.tls_cert",
                q(&path_text(&self.tls_cert.value)),
                &self.tls_cert.source,
            ),
            (
                "console.tls_key",
                q(&path_text(&self.tls_key.value)),
                &self.tls_key.source,
            ),
            (
                "console.trusted_proxy",
                q(&self
                    .trusted_proxy
                    .value
                    .map(|ip| ip.to_string())
                    .unwrap_or_default()),
                &self.trusted_proxy.source,
            ),
            (
                "console.hosts",
                toml::Value::Array(
                    self.hosts
                        .value
                        .0
                        .iter()
                        .map(|h| toml::Value::String(h.to_string()))
                        .collect(),
                )
                .to_string(),
                &self.hosts.source,
            ),
            (
                "console.header_timeout_secs",
                self.header_timeout_secs.value.to_string(),
                &self.header_timeout_secs.source,
            ),
            (
                "console.request_timeout_secs",
                self.request_timeout_secs.value.to_string(),
                &self.request_timeout_secs.source,
            ),
            (
                "console.max_connections",
                self.max_connections.value.to_string(),
                &self.max_connections.source,
            ),
            (
                "console.metrics_token",
                // A secret: whether one is set, never its value.
                q(if self.metrics_token.value.is_some() {
                    "***"
                } else {
                    ""
                }),
                &self.metrics_token.source,
            ),
            (
                "casework.max_attachment_mb",
                self.max_attachment_mb.value.to_string(),
                &self.max_attachment_mb.source,
            ),
            (
                "schedule.city_sweep",
                opt(&self.city_sweep.value),
                &self.city_sweep.source,
            ),
            (
                "schedule.rechecks",
                opt(&self.rechecks.value),
                &self.rechecks.source,
            ),
            (
                "schedule.credit",
                opt(&self.credit.value),
                &self.credit.source,
            ),
            (
                "schedule.timezone_offset_hours",
                self.timezone_offset_hours.value.to_string(),
                &self.timezone_offset_hours.source,
            ),
            (
                "sweep.render_probes",
                self.render_probes.value.to_string(),
                &self.render_probes.source,
            ),
            (
                "sweep.workers",
                self.sweep_workers.value.to_string(),
                &self.sweep_workers.source,
            ),
            (
                "documents.bureau",
                q(&self.documents.bureau.value),
                &self.documents.bureau.source,
            ),
            (
                "documents.rectification_prefix",
                q(&self.documents.rectification_prefix.value),
                &self.documents.rectification_prefix.source,
            ),
            (
                "documents.warning_prefix",
                q(&self.documents.warning_prefix.value),
                &self.documents.warning_prefix.source,
            ),
            (
                "documents.referral_prefix",
                q(&self.documents.referral_prefix.value),
                &self.documents.referral_prefix.source,
            ),
            (
                "discovery.max_hops",
                self.discovery.max_hops.value.to_string(),
                &self.discovery.max_hops.source,
            ),
            (
                "discovery.area_codes",
                q(&self.discovery.area_codes.value),
                &self.discovery.area_codes.source,
            ),
            (
                "discovery.ct_logs",
                q(&self
                    .discovery
                    .ct_logs
                    .value
                    .iter()
                    .map(|l| l.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")),
                &self.discovery.ct_logs.source,
            ),
            (
                "portal.listen",
                q(&self
                    .portal
                    .listen
                    .value
                    .map(|a| a.to_string())
                    .unwrap_or_default()),
                &self.portal.listen.source,
            ),
            (
                "portal.public_url",
                opt(&self.portal.public_url.value),
                &self.portal.public_url.source,
            ),
            (
                "portal.hosts",
                toml::Value::Array(
                    self.portal
                        .hosts
                        .value
                        .0
                        .iter()
                        .map(|h| toml::Value::String(h.to_string()))
                        .collect(),
                )
                .to_string(),
                &self.portal.hosts.source,
            ),
            (
                "portal.form_limit_kb",
                self.portal.form_limit_kb.value.to_string(),
                &self.portal.form_limit_kb.source,
            ),
            (
                "portal.rate_burst",
                self.portal.rate_burst.value.to_string(),
                &self.portal.rate_burst.source,
            ),
            (
                "portal.rate_per_minute",
                self.portal.rate_per_minute.value.to_string(),
                &self.portal.rate_per_minute.source,
            ),
        ];
        let mut out = format!(
            "# effective configuration; file {}{}\n",
            self.file.display(),
            if self.file_exists {
                ""
            } else {
                " (not written yet)"
            }
        );
        for (key, value, source) in lines {
            out.push_str(&format!("{key:<28} = {value:<40} # {source}\n"));
        }
        out.push_str(&format!("# User-Agent sent: {}\n", self.user_agent()));
        out
    }
}

/// The environment variable of a key: `WANGJIAN_` and the key in capitals, `.` as `_`.
pub fn env_var(key: &str) -> String {
    format!("WANGJIAN_{}", key.to_ascii_uppercase().replace('.', "_"))
}

/// Reads one key through the layers.
struct Layer<'a> {
    file: &'a Path,
    env: &'a dyn Fn(&str) -> Option<String>,
}

impl Layer<'_> {
    fn pick<T>(
        &self,
        key: &str,
        flag: Option<(T, &'static str)>,
        file: Option<T>,
        default: T,
    ) -> anyhow::Result<Setting<T>>
    where
        T: FromStr,
        T::Err: fmt::Display,
    {
        if let Some((value, flag)) = flag {
            return Ok(Setting {
                value,
                source: Source::Flag(flag),
            });
        }
        let var = env_var(key);
        if let Some(text) = (self.env)(&var) {
            let value = text
                .trim()
                .parse::<T>()
                .map_err(|e| anyhow::anyhow!("{var}={text:?} is not a valid {key}: {e}"))?;
            return Ok(Setting {
                value,
                source: Source::Env(var),
            });
        }
        Ok(match file {
            Some(value) => Setting {
                value,
                source: Source::File(self.file.to_path_buf()),
            },
            None => Setting {
                value: default,
                source: Source::Default,
            },
        })
    }
}

fn parse_value<T>(text: &str, key: &str, file: &Path) -> anyhow::Result<T>
where
    T: FromStr,
    T::Err: fmt::Display,
{
    text.trim()
        .parse()
        .map_err(|e| anyhow::anyhow!("{}: {key} = {text:?}: {e}", file.display()))
}

/// A parse error of the file on one line: the file, the line, what is wrong.
fn file_error(file: &Path, text: &str, e: &toml::de::Error) -> anyhow::Error {
    let line = e
        .span()
        .map(|span| text[..span.start.min(text.len())].matches('\n').count() + 1);
    match line {
        Some(line) => anyhow::anyhow!("{} line {line}: {}", file.display(), e.message().trim()),
        None => anyhow::anyhow!("{}: {}", file.display(), e.message().trim()),
    }
}

fn path_text(p: &Option<PathBuf>) -> String {
    p.as_ref()
        .map(|p| p.display().to_string())
        .unwrap_or_default()
}

/// An empty string means "not set".
fn optional(s: Setting<String>) -> Setting<Option<String>> {
    let value = Some(s.value.trim().to_string()).filter(|v| !v.is_empty());
    Setting {
        value,
        source: s.source,
    }
}

/// The file `config init` and first use write: every setting at its default, commented.
pub fn default_file_text() -> String {
    format!(
        r#"# wangjian configuration. Every setting is shown at its default; uncomment to change.
# Environment variables override this file (WANGJIAN_ and the key in capitals, a dot as an
# underscore: WANGJIAN_DATABASE, WANGJIAN_CRAWL_DELAY_MS ...), and command-line flags override
# both. `wangjian config show` prints the effective values and where each came from.

# The database: a SQLite file (a path or sqlite:///path) or a PostgreSQL URL
# (postgres://user@host/db). Default: wangjian.db in this directory.
# database = "sqlite://wangjian.db"

# Where the console listens. Plain HTTP is served on a loopback address only (127.0.0.1,
# ::1); any other address needs TLS (console.tls_cert and tls_key) or a trusted reverse proxy
# (console.trusted_proxy), else `serve` refuses to start.
# listen = "{DEFAULT_LISTEN}"

# An RFC 3161 Time-Stamping Authority (http:// URL) that time-stamps every checkpoint a sweep,
# a capture or `log checkpoint` signs. Empty: none.
# tsa_url = ""

[crawl]
# The bureau's page about its crawler (who runs it, how to reach them). The crawler names it
# in its User-Agent so that site operators can find out who is fetching their pages.
# contact_url = ""

# The full User-Agent, when the built one does not suit. Empty: built from contact_url as
# "Mozilla/5.0 (compatible; wangjian/VERSION; +CONTACT_URL)".
# user_agent = ""

# Politeness: milliseconds between two requests to one host (robots.txt Crawl-delay, when
# longer, wins).
# delay_ms = {DEFAULT_DELAY_MS}

# Sites crawled at once.
# concurrency = {DEFAULT_CONCURRENCY}

# Page budget per site.
# max_pages = {DEFAULT_MAX_PAGES}

# Link depth limit per site.
# max_depth = {DEFAULT_MAX_DEPTH}

# Total timeout of one request, in seconds.
# timeout_secs = {DEFAULT_TIMEOUT_SECS}

[console]
# TLS for the console: the certificate chain and its private key, PEM files (a relative path
# is read from this directory; --tls-cert and --tls-key override). Both or neither. With
# them the console speaks https only.
# tls_cert = ""
# tls_key = ""

# The address of a reverse proxy that terminates TLS in front of the console. When set, the
# console may listen beyond loopback without TLS of its own, and only this address may
# connect. Empty: none.
# trusted_proxy = ""

# Host names (with or without :port) browsers use to reach the console, besides its listen
# address and, when it listens on loopback, 127.0.0.1, [::1] and localhost. A request naming
# any other host is answered 421 (DNS rebinding defence).
# hosts = []

# Seconds a client may take to send a request head (or finish the TLS handshake); slow or
# idle connections are closed after it.
# header_timeout_secs = {DEFAULT_HEADER_TIMEOUT_SECS}

# Seconds a request may take to be answered (503 after it); a client that stops reading a
# response is cut off after as long.
# request_timeout_secs = {DEFAULT_REQUEST_TIMEOUT_SECS}

# Connections served at once; further clients wait until one ends.
# max_connections = {DEFAULT_MAX_CONNECTIONS}

# The bearer token an operator's Prometheus sends to read /metrics (Authorization: Bearer
# TOKEN; at least 16 visible ASCII characters, e.g. from `openssl rand -hex 32`). A secret:
# prefer WANGJIAN_CONSOLE_METRICS_TOKEN. Empty: /metrics is off (404). /healthz and /readyz
# need no token.
# metrics_token = ""

[schedule]
# What `serve` runs by itself, as cron expressions (minute hour day-of-month month
# day-of-week; *, lists, ranges and steps) read in the bureau's time zone. Empty: never.
# Campaigns carry their own schedules. One sweep runs at a time per data directory.
# The whole-city sweep.
# city_sweep = "{DEFAULT_CITY_SWEEP}"

# The re-check of rectification orders whose deadline has come.
# rechecks = "{DEFAULT_RECHECKS}"

# Credit: reload DATA/credit/index.toml when it changed, then re-score every entity. Entities
# whose records changed are re-scored every minute whatever this says.
# credit = "{DEFAULT_CREDIT}"

# The bureau's time zone, in hours east of UTC (no daylight saving).
# timezone_offset_hours = {DEFAULT_TIMEZONE_OFFSET_HOURS}

[sweep]
# Homepages whose scripts could cloak (they read document.referrer, set location or
# document.title, or are obfuscated) are also rendered in headless Chromium, as a direct
# visitor and as one arriving from Baidu, Sogou and 360, when Chromium is found. false: the
# fetched probes only (`wangjian sweep --no-render` for one sweep).
# render_probes = true

# The city sweep is done by `wangjian worker` processes (any number, on machines sharing the
# PostgreSQL database and this data directory's evidence and log): the scheduler only creates
# it, waits for the workers to end it and groups its findings into clues.
# workers = false

# Evidence on S3-compatible object storage: finished WARC files are uploaded as immutable
# objects, each once (`wangjian evidence upload`, the console's 证据存储 page, and `serve`
# every upload_every_secs; 0: never by itself), and can be verified there with
# `wangjian evidence verify --objects`. Local files are kept. The keys come from
# AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or access_key_id and secret_access_key here).
## [objects]
## endpoint = "https://s3.example.gov.cn"
## bucket = "wangjian-evidence"
## prefix = "warc"
## region = "us-east-1"
## upload_every_secs = 600

[casework]
# The largest photo or scan attached to a field inspection, in MiB (JPEG, PNG, PDF, TIFF,
# HEIC/HEIF; larger files and other types are refused).
# max_attachment_mb = {DEFAULT_MAX_ATTACHMENT_MB}
# Time limits of the procedure (../spec/casework.md). A limit is applied when a clue is
# dispatched or a case opened and stored as a date: changing one moves no deadline already set.
# Working days to verify a clue, and the one extension of that limit.
# verify_working_days = 15
# verify_extension_working_days = 15
# Days from opening a case to its decision, and an extension with approval.
# decide_days = 90
# decide_extension_days = 30
# Days of a grouping window: a site's findings of one category group within one window feed
# one clue.
# group_window_days = 30
# The bureau's case number prefix: <prefix>〔<year>〕<serial>号.
# case_number_prefix = "南市监网案"
# Complaints and reports: working days to accept or refuse a complaint, working days from
# acceptance after which mediation without agreement ends, working days to verify a report,
# and the minutes within which the same complaint again is refused as a duplicate.
# complaint_accept_days = 7
# mediation_days = 45
# report_verification_days = 15
# complaint_duplicate_minutes = 10
# Public holidays and the weekend days that are working days (调休), YYYY-MM-DD.
# holidays = []
# workdays = []

# Working days a district has to answer a dispatched clue, by severity.
[casework.dispatch_working_days]
# critical = 1
# high = 3
# medium = 10
# low = 15

[documents]
# Casework documents (rectification notices, warning letters, referral letters, case-file
# covers). Their templates are in templates/documents/ in this directory, written on first use
# and never overwritten: edit them there.
# The issuing bureau, printed at the head of each document and above its date.
# bureau = "南宁市市场监督管理局"

# Document number prefixes: a number is <prefix>〔<year>〕<serial>号 with the year and serial of
# the case number (a cover carries the case number itself).
# rectification_prefix = "南市监网责改"
# warning_prefix = "南市监网警"
# referral_prefix = "南市监网移"

[discovery]
# Links are followed from registered sites to the sites they link to (one hop), and from those
# a bounded number of hops further; a site two or more hops away is proposed only when its own
# pages show it is in the city (an address in the city, a telephone number with one of the
# area codes below, a USCC with the city's division code, an ICP number of the province).
# max_hops = {DEFAULT_MAX_HOPS}
# area_codes = "{DEFAULT_AREA_CODES}"

# Certificate transparency logs to watch (`wangjian discovered ct-poll`): names on
# certificates that belong to registered entities' domains, imitate them, or whose subject
# names an organisation or locality in the city become discovered sites. The key is the log's
# public key as log lists give it (base64 of the DER SubjectPublicKeyInfo). One table a log:
## [[discovery.ct_logs]]
## name = "example-2026"
## url = "https://ct.example.net/2026/"
## key = "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE…"

[portal]
# The public portal: notices, the public credit query, badge checks, complaints. It has its own
# router (no console page answers on it) and is served with the console's TLS certificate,
# trusted proxy and timeouts; plain HTTP on loopback only.
# Where `serve` also serves the portal (--public-addr overrides). Empty: `serve` serves the
# console alone; `wangjian portal` then listens on {DEFAULT_PORTAL_LISTEN}.
# listen = ""

# The portal's base URL as the public reaches it (e.g. https://gs.example.gov.cn): license
# badge snippets link to it and sweeps check wangjian badge links to its host. Empty: its
# listen address.
# public_url = ""

# Host names the public uses to reach the portal, besides its listen address and the loopback
# names (421 for any other).
# hosts = []

# Public forms: the largest accepted (KiB), and a token bucket per client address (the address
# is never stored): forms posted at once, and forms per minute given back.
# form_limit_kb = {DEFAULT_FORM_LIMIT_KB}
# rate_burst = {DEFAULT_RATE_BURST}
# rate_per_minute = {DEFAULT_RATE_PER_MINUTE}
"#
    )
}

/// Writes the default file unless one exists; `true` when written.
pub fn write_default(data: &Path) -> anyhow::Result<bool> {
    let path = data.join(FILE_NAME);
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
    {
        Ok(mut file) => {
            use std::io::Write;
            file.write_all(default_file_text().as_bytes())
                .and_then(|()| file.sync_all())
                .with_context(|| format!("cannot write {}", path.display()))?;
            Ok(true)
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
        Err(e) => Err(e).with_context(|| format!("cannot write {}", path.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(file: Option<&str>, env: &[(&str, &str)], flags: &Flags) -> anyhow::Result<Config> {
        let dir = tempfile::tempdir().unwrap();
        if let Some(text) = file {
            std::fs::write(dir.path().join(FILE_NAME), text).unwrap();
        }
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::load(dir.path(), flags, &|k| {
            env.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())
        })
    }

    #[test]
    fn the_default_file_parses_to_the_defaults() {
        let dir = tempfile::tempdir().unwrap();
        assert!(write_default(dir.path()).unwrap());
        assert!(!write_default(dir.path()).unwrap(), "never overwritten");
        let c = Config::load(dir.path(), &Flags::default(), &|_| None).unwrap();
        assert!(c.file_exists);
        assert_eq!(c.delay_ms.value, DEFAULT_DELAY_MS);
        assert_eq!(c.delay_ms.source, Source::Default);
        assert_eq!(c.listen.value.to_string(), DEFAULT_LISTEN);
        assert_eq!(c.tsa_url.value, None);
        assert!(
            c.database.value.ends_with("wangjian.db"),
            "{}",
            c.database.value
        );
        assert_eq!(
            c.user_agent(),
            format!(
                "Mozilla/5.0 (compatible; wangjian/{})",
                env!("CARGO_PKG_VERSION")
            )
        );
        // Every key the file mentions (commented) is one the parser knows: uncommented, the
        // file still loads.
        let uncommented: String = default_file_text()
            .lines()
            .map(|l| {
                l.strip_prefix("# ")
                    .filter(|r| r.contains(" = "))
                    .unwrap_or(l)
            })
            .collect::<Vec<_>>()
            .join("\n");
        let uncommented = uncommented.replace(
            "database = \"sqlite://wangjian.db\"",
            "database = \"sqlite:///tmp/x.db\"",
        );
        let c = load(Some(&uncommented), &[], &Flags::default()).unwrap();
        assert_eq!(c.concurrency.value, DEFAULT_CONCURRENCY);
        assert!(matches!(c.concurrency.source, Source::File(_)));
    }

    #[test]
    fn discovery_settings_are_read_and_checked() {
        let c = load(None, &[], &Flags::default()).unwrap();
        assert_eq!(c.discovery.max_hops.value, DEFAULT_MAX_HOPS);
        assert_eq!(c.discovery.city().area_codes, ["0771"]);
        assert!(c.discovery.sweep().ct_logs.is_empty());
        let log = "[[discovery.ct_logs]]\nname = \"a\"\nurl = \"https://ct.example/2026/\"\n\
                   key = \"AAEC\"\n";
        let c = load(
            Some(&format!(
                "[discovery]\nmax_hops = 3\narea_codes = \"0771, 0772\"\n{log}"
            )),
            &[],
            &Flags::default(),
        )
        .unwrap();
        assert_eq!(c.discovery.max_hops.value, 3);
        assert_eq!(c.discovery.city().area_codes, ["0771", "0772"]);
        let logs = c.discovery.sweep().ct_logs;
        assert_eq!(
            (logs[0].name.as_str(), logs[0].key.as_slice()),
            ("a", &[0, 1, 2][..])
        );
        assert!(c.discovery.ct_logs(Some("b")).is_err());
        for bad in [
            "[discovery]\narea_codes = \"771\"\n".to_string(),
            format!("{log}{log}"),
            log.replace("AAEC", "not base64!"),
            log.replace("https://ct.example/2026/", "ftp://ct.example/"),
        ] {
            assert!(load(Some(&bad), &[], &Flags::default()).is_err(), "{bad}");
        }
    }

    #[test]
    fn flags_beat_env_and_env_beats_the_file() {
        let file = "[crawl]\ndelay_ms = 500\nconcurrency = 4\nmax_pages = 9\n\
                    contact_url = \"https://scjg.example.gov.cn/crawler\"\n";
        let flags = Flags {
            delay_ms: Some(0),
            ..Flags::default()
        };
        let c = load(
            Some(file),
            &[
                ("WANGJIAN_CRAWL_DELAY_MS", "7"),
                ("WANGJIAN_CRAWL_CONCURRENCY", "2"),
            ],
            &flags,
        )
        .unwrap();
        assert_eq!(c.delay_ms.value, 0);
        assert_eq!(c.delay_ms.source, Source::Flag("--delay-ms"));
        assert_eq!(c.concurrency.value, 2);
        assert_eq!(
            c.concurrency.source,
            Source::Env("WANGJIAN_CRAWL_CONCURRENCY".into())
        );
        assert_eq!(c.max_pages.value, 9);
        assert!(matches!(c.max_pages.source, Source::File(_)));
        assert_eq!(c.max_depth.source, Source::Default);
        assert!(c
            .user_agent()
            .ends_with("; +https://scjg.example.gov.cn/crawler)"));
        let shown = c.show();
        assert!(shown.contains("# flag --delay-ms"), "{shown}");
        assert!(
            shown.contains("# env WANGJIAN_CRAWL_CONCURRENCY"),
            "{shown}"
        );
    }

    #[test]
    fn a_database_password_is_never_shown() {
        let flags = Flags {
            database: Some("postgres://wangjian:s3cret@db.internal/wangjian".into()),
            ..Flags::default()
        };
        let c = load(None, &[], &flags).unwrap();
        assert_eq!(
            c.database.value,
            "postgres://wangjian:s3cret@db.internal/wangjian"
        );
        for text in [c.show(), format!("{c:?}")] {
            assert!(!text.contains("s3cret"), "{text}");
            assert!(
                text.contains("postgres://wangjian:***@db.internal/wangjian"),
                "{text}"
            );
        }
    }

    #[test]
    fn the_casework_table_sets_limits_and_refuses_unknown_keys() {
        let c = load(None, &[], &Flags::default()).unwrap();
        assert_eq!(c.casework.value, casework::Limits::default());
        let c = load(
            Some("[casework]\nverify_working_days = 10\nholidays = [\"2024-10-01\"]\n\n[casework.dispatch_working_days]\nhigh = 2\n"),
            &[],
            &Flags::default(),
        )
        .unwrap();
        assert_eq!(c.casework.value.verify_working_days, 10);
        assert_eq!(c.casework.value.dispatch_working_days.high, 2);
        assert_eq!(c.casework.value.dispatch_working_days.low, 15);
        assert_eq!(c.casework.value.holidays.len(), 1);
        assert!(matches!(c.casework.source, Source::File(_)));
        let e = load(
            Some("[casework]\nverify_days = 1\n"),
            &[],
            &Flags::default(),
        )
        .unwrap_err();
        assert!(format!("{e:#}").contains("verify_days"), "{e:#}");
        let e = load(
            Some("[casework]\ndecide_days = 0\n"),
            &[],
            &Flags::default(),
        )
        .unwrap_err();
        assert!(format!("{e:#}").contains("decide_days"), "{e:#}");
    }

    #[test]
    fn document_settings_come_from_the_file_and_the_environment() {
        let c = load(None, &[], &Flags::default()).unwrap();
        assert_eq!(
            c.documents.settings(),
            documents::DocumentSettings::default()
        );
        let c = load(
            Some("[documents]\nbureau = \"青秀区市场监督管理局\"\nwarning_prefix = \"青市监警\"\n"),
            &[("WANGJIAN_DOCUMENTS_REFERRAL_PREFIX", "青市监移")],
            &Flags::default(),
        )
        .unwrap();
        let s = c.documents.settings();
        assert_eq!(s.bureau, "青秀区市场监督管理局");
        assert_eq!(s.warning_prefix, "青市监警");
        assert_eq!(s.referral_prefix, "青市监移");
        assert_eq!(s.rectification_prefix, "南市监网责改");
        assert!(matches!(c.documents.bureau.source, Source::File(_)));
        assert!(c.show().contains("documents.bureau"));
        for (file, key) in [
            ("[documents]\nseal = \"x\"\n", "seal"),
            ("[documents]\nbureau = \" \"\n", "documents.bureau"),
        ] {
            let e = load(Some(file), &[], &Flags::default()).unwrap_err();
            assert!(format!("{e:#}").contains(key), "{file}: {e:#}");
        }
    }

    #[test]
    fn bad_input_names_its_cause() {
        let e = load(Some("colour = 1\n"), &[], &Flags::default()).unwrap_err();
        let text = format!("{e:#}");
        assert!(
            text.contains("colour") && text.contains(FILE_NAME),
            "{text}"
        );
        let e = load(Some("[crawl]\ndelay = 1\n"), &[], &Flags::default()).unwrap_err();
        assert!(format!("{e:#}").contains("delay"), "{e:#}");
        let e = load(
            None,
            &[("WANGJIAN_CRAWL_DELAY_MS", "soon")],
            &Flags::default(),
        )
        .unwrap_err();
        assert!(
            format!("{e:#}").contains("WANGJIAN_CRAWL_DELAY_MS"),
            "{e:#}"
        );
        let e = load(Some("listen = \"everywhere\"\n"), &[], &Flags::default()).unwrap_err();
        assert!(format!("{e:#}").contains("listen"), "{e:#}");
        let e = load(Some("tsa_url = \"ftp://tsa\"\n"), &[], &Flags::default()).unwrap_err();
        assert!(format!("{e:#}").contains("tsa_url"), "{e:#}");
        let e = load(
            None,
            &[("WANGJIAN_CRAWL_CONCURRENCY", "0")],
            &Flags::default(),
        )
        .unwrap_err();
        assert!(format!("{e:#}").contains("crawl.concurrency"), "{e:#}");
    }

    #[test]
    fn console_settings_come_from_every_layer() {
        let file =
            "[console]\ntls_cert = \"tls/console.crt\"\ntls_key = \"/etc/wangjian/console.key\"\n\
                    hosts = [\"Console.Nanning.example\", \"192.168.1.10:8443\"]\n\
                    header_timeout_secs = 5\n";
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(FILE_NAME), file).unwrap();
        let env = |k: &str| match k {
            "WANGJIAN_CONSOLE_TRUSTED_PROXY" => Some("10.0.0.5".to_string()),
            "WANGJIAN_CONSOLE_MAX_CONNECTIONS" => Some("32".to_string()),
            _ => None,
        };
        let flags = Flags {
            tls_key: Some("/run/key.pem".into()),
            ..Flags::default()
        };
        let c = Config::load(dir.path(), &flags, &env).unwrap();
        assert_eq!(
            c.tls_cert.value,
            Some(dir.path().join("tls/console.crt")),
            "a relative path in the file is read from the data directory"
        );
        assert_eq!(c.tls_key.value, Some(PathBuf::from("/run/key.pem")));
        assert_eq!(c.tls_key.source, Source::Flag("--tls-key"));
        assert_eq!(c.trusted_proxy.value, Some("10.0.0.5".parse().unwrap()));
        assert_eq!(
            c.hosts.value.to_string(),
            "console.nanning.example,192.168.1.10:8443"
        );
        assert_eq!(c.header_timeout_secs.value, 5);
        assert_eq!(c.request_timeout_secs.value, DEFAULT_REQUEST_TIMEOUT_SECS);
        assert_eq!(c.max_connections.value, 32);
        let shown = c.show();
        assert!(
            shown.contains("[\"console.nanning.example\", \"192.168.1.10:8443\"]"),
            "{shown}"
        );
        assert!(
            shown.contains("# env WANGJIAN_CONSOLE_TRUSTED_PROXY"),
            "{shown}"
        );

        let c = load(
            None,
            &[("WANGJIAN_CONSOLE_HOSTS", "a.example, b.example:8443")],
            &Flags::default(),
        )
        .unwrap();
        assert_eq!(c.hosts.value.to_string(), "a.example,b.example:8443");
        let c = load(None, &[], &Flags::default()).unwrap();
        assert_eq!(c.hosts.value, HostList::default());
        assert_eq!(c.trusted_proxy.value, None);
        assert_eq!(c.tls_cert.value, None);
        assert_eq!(c.max_connections.value, DEFAULT_MAX_CONNECTIONS);
        assert_eq!(c.max_attachment_mb.value, 20);
        let c = load(
            Some("[casework]\nmax_attachment_mb = 5\n"),
            &[],
            &Flags::default(),
        )
        .unwrap();
        assert_eq!(c.max_attachment_mb.value, 5);

        for (text, key) in [
            (
                "[casework]\nmax_attachment_mb = 0\n",
                "casework.max_attachment_mb",
            ),
            ("[casework]\nmax_attachment = 5\n", "max_attachment"),
            ("[console]\nhosts = [\"evil/x\"]\n", "console.hosts"),
            (
                "[console]\nhosts = [\"a.example,b.example\"]\n",
                "console.hosts",
            ),
            (
                "[console]\ntrusted_proxy = \"proxy\"\n",
                "console.trusted_proxy",
            ),
            (
                "[console]\nmax_connections = 0\n",
                "console.max_connections",
            ),
            (
                "[console]\nheader_timeout_secs = 0\n",
                "console.header_timeout_secs",
            ),
            ("[console]\nlogin = true\n", "login"),
            (
                "[console]\nmetrics_token = \"short\"\n",
                "console.metrics_token",
            ),
            (
                "[console]\nmetrics_token = \"long enough but spaced\"\n",
                "console.metrics_token",
            ),
        ] {
            let e = load(Some(text), &[], &Flags::default()).unwrap_err();
            assert!(format!("{e:#}").contains(key), "{key}: {e:#}");
        }
    }

    #[test]
    fn the_metrics_token_is_read_and_never_shown() {
        let secret = "0123456789abcdef0123";
        // The value `config show` gives the key.
        let shown_value = |c: &Config| {
            let shown = c.show();
            let line = shown
                .lines()
                .find(|l| l.starts_with("console.metrics_token "))
                .expect("the key is shown")
                .to_string();
            let (_, rest) = line.split_once(" = ").unwrap();
            rest.split(" # ").next().unwrap().trim().to_string()
        };
        let c = load(None, &[], &Flags::default()).unwrap();
        assert_eq!(c.metrics_token.value, None);
        assert_eq!(shown_value(&c), "\"\"");
        let c = load(
            Some(&format!("[console]\nmetrics_token = \"{secret}\"\n")),
            &[],
            &Flags::default(),
        )
        .unwrap();
        assert_eq!(
            c.metrics_token.value,
            Some(web::metrics::MetricsToken::new(secret).unwrap())
        );
        let c = load(
            None,
            &[("WANGJIAN_CONSOLE_METRICS_TOKEN", secret)],
            &Flags::default(),
        )
        .unwrap();
        assert!(c.metrics_token.value.is_some());
        assert_eq!(shown_value(&c), "\"***\"");
        assert!(!c.show().contains(secret));
        assert!(!format!("{c:?}").contains(secret));
        let e = load(
            None,
            &[("WANGJIAN_CONSOLE_METRICS_TOKEN", "short")],
            &Flags::default(),
        )
        .unwrap_err();
        assert!(format!("{e:#}").contains("至少需要 16 个字符"), "{e:#}");
    }
}
