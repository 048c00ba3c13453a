//! Command-line arguments: the one configuration of a run, parsed once in `main`.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::net::SocketAddr;
use std::path::PathBuf;

/// wangjian (网监): online market supervision — register, sweeps, evidence, findings, console.
#[derive(Debug, Parser)]
#[command(name = "wangjian", version, about)]
pub struct Cli {
    /// The data directory: database, WARC evidence, generated simweb files.
    #[arg(
        long,
        global = true,
        env = "WANGJIAN_DATA",
        default_value = "wangjian-data"
    )]
    pub data: PathBuf,
    /// The database: a SQLite file (path or `sqlite://PATH`) or a PostgreSQL URL
    /// (`postgres://…`); by default `wangjian.db` in the data directory. Also `database` in
    /// `DATA/wangjian.toml` and the environment variable WANGJIAN_DATABASE (this flag wins).
    #[arg(long, global = true, value_name = "URL")]
    pub database: Option<String>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Creates the data directory, starts simweb, imports its register, sweeps it and serves
    /// the console. Run again on the same data directory, it continues an unfinished sweep.
    Demo(DemoArgs),
    /// Imports data into the register.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Runs a sweep over every registered site (or continues the unfinished one).
    Sweep(SweepArgs),
    /// Works on the running sweep beside other workers (any number, on any machine sharing
    /// the database and the evidence directory, or the object store with `--objects`): leases
    /// hosts, crawls, captures, detects; on a shared disk one of them sequences the
    /// transparency log. Start the sweep with `wangjian sweep --for-workers`.
    Worker(WorkerArgs),
    /// Sequences the transparency log of this data directory for workers that write to the
    /// object store (`wangjian worker --objects`): appends their leaves, signs checkpoints and
    /// ends their sweeps (`serve` does the same when `[sweep] workers = true`).
    Sequencer(SequencerArgs),
    /// Lists the workers seen (name, run, sweep, hosts leased now, last seen).
    Workers {
        #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
        format: OutputFormat,
    },
    /// Scans a saved page or a URL and prints its findings.
    Scan(ScanArgs),
    /// Serves the console (by default on 127.0.0.1:8080, the `listen` setting).
    Serve(ServeArgs),
    /// Lists registered sites.
    Sites(SitesArgs),
    /// Runs the simulated web alone.
    Simweb(SimwebArgs),
    /// Measures detection against simweb's ground truth (precision and recall per category).
    Eval(EvalArgs),
    /// Evidence: verification, export, an inspector's capture.
    #[command(subcommand)]
    Evidence(EvidenceCommand),
    /// Clues: findings of one site grouped and handed on for work.
    #[command(subcommand)]
    Clue(ClueCommand),
    /// Cases opened from clues: open, list, show, advance, outcomes, reopen, documents.
    #[command(subcommand)]
    Case(CaseCommand),
    /// Complaints and reports (投诉举报): the hotline's intake, list, show and every step.
    #[command(subcommand)]
    Complaint(ComplaintCommand),
    /// The transparency log of every stored WARC record: checkpoints and proofs.
    #[command(subcommand)]
    Log(LogCommand),
    /// Sites found by links, department filings and certificate transparency logs: list,
    /// stats per source, confirm, reject, read the configured CT logs.
    #[command(subcommand)]
    Discovered(DiscoveredCommand),
    /// Writes entities or sites, filtered, as CSV or XLSX.
    Export(TableExportArgs),
    /// The bureau's work report (工作报告) over a period or a campaign, every figure counted from
    /// the records it lists: HTML (figures linked to their records), PDF (printed by headless
    /// Chromium) or XLSX (an overview, figures per district, one sheet of records per section).
    Report(ReportArgs),
    /// The search index (entities by name, USCC, domain, ICP, address, phone; pages by text).
    #[command(subcommand)]
    Search(SearchCommand),
    /// The configuration (`DATA/wangjian.toml`, `WANGJIAN_*` variables, flags).
    #[command(subcommand)]
    Config(ConfigCommand),
    /// The people who log in to the console: add, list, disable, passwords, roles, API tokens.
    #[command(subcommand)]
    User(UserCommand),
    /// Findings: a person's triage decision, and per-rule precision.
    #[command(subcommand)]
    Finding(FindingCommand),
    /// Field inspections (现场检查): record an on-site check with its photos and scans, list,
    /// show.
    #[command(subcommand)]
    Inspection(InspectionCommand),
    /// Special campaigns (专项行动): create, list, show with their figures, close.
    #[command(subcommand)]
    Campaign(CampaignCommand),
    /// Credit (信用): an entity's grade, re-scoring, the index system file, the dishonesty
    /// lists, credit repair, third-party evaluations, commitments and the public view.
    #[command(subcommand)]
    Credit(CreditCommand),
    /// Random inspections (双随机、一公开): plans, draws from a published seed, their
    /// publication, its replay, results.
    #[command(subcommand)]
    Sample(SampleCommand),
    /// Serves the public portal alone (by default on 127.0.0.1:8081, the `portal.listen`
    /// setting): notices, the public credit query, commitments, model sites, badge checks and
    /// complaints. No console page answers on it.
    Portal(PortalArgs),
    /// Notices (公告) on the public portal: publish, withdraw, list.
    #[command(subcommand)]
    Notice(NoticeCommand),
    /// Model sites (示范网店) on the public portal: designate a class-A entity's site, remove,
    /// list.
    #[command(subcommand)]
    ModelSite(ModelSiteCommand),
    /// The electronic license badge (亮照): applications, domain proofs, issue, suspension,
    /// revocation, the rules, the signing key.
    #[command(subcommand)]
    Badge(BadgeCommand),
    /// Backs the data directory up while sweeps go on (备份): the database snapshot (SQLite) or
    /// its `pg_dump` (PostgreSQL), the transparency log, the WARC evidence up to what the log
    /// holds, keys, configuration and every other file, with a manifest of SHA-256s.
    Backup(BackupArgs),
    /// Restores a backup into the data directory given by --data, which must not exist or be
    /// empty (恢复): every file checked against the manifest first, then the store's own checks
    /// and a checkpoint signed over the restored log.
    Restore(RestoreArgs),
}

#[derive(Debug, Args)]
pub struct BackupArgs {
    /// Where to write the backup: a directory (new or empty), or a file ending in `.tar` or
    /// `.tar.gz` (must not exist).
    #[arg(short, long, value_name = "DIR|FILE")]
    pub output: PathBuf,
    /// The `pg_dump` program a PostgreSQL database is dumped with.
    #[arg(long, value_name = "PATH", default_value = "pg_dump")]
    pub pg_dump: PathBuf,
    /// Prints the manifest's summary as JSON.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
}

#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// The backup: a directory or a `.tar` / `.tar.gz` file `wangjian backup` wrote.
    #[arg(value_name = "FROM")]
    pub from: PathBuf,
    /// The `pg_restore` program a PostgreSQL dump is restored with (into the empty database
    /// --database names).
    #[arg(long, value_name = "PATH", default_value = "pg_restore")]
    pub pg_restore: PathBuf,
}

#[derive(Debug, Args)]
pub struct PortalArgs {
    /// Address to listen on (default: the `portal.listen` setting, else 127.0.0.1:8081). An
    /// address other than loopback needs TLS or a trusted reverse proxy (the `[console]`
    /// settings).
    #[arg(long)]
    pub addr: Option<SocketAddr>,
}

#[derive(Debug, Subcommand)]
pub enum NoticeCommand {
    /// Publishes a notice: a title and a plain-text body (paragraphs separated by blank
    /// lines), from --body or a UTF-8 file.
    Publish {
        #[arg(long)]
        title: String,
        #[arg(
            long,
            conflicts_with = "body_file",
            required_unless_present = "body_file"
        )]
        body: Option<String>,
        #[arg(long, value_name = "FILE")]
        body_file: Option<PathBuf>,
    },
    /// Withdraws a published notice, saying why (the portal then answers 410).
    Withdraw {
        id: i64,
        #[arg(long)]
        reason: String,
    },
    /// Lists the notices, withdrawn ones too, the newest first.
    List {
        #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
        format: OutputFormat,
    },
}

#[derive(Debug, Subcommand)]
pub enum ModelSiteCommand {
    /// Designates a site (by id) of a class-A entity as a model site.
    Add {
        site: i64,
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Ends a site's designation.
    Remove { site: i64 },
    /// Lists the designated sites with their entity's class (public: class A only).
    List {
        #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
        format: OutputFormat,
    },
}

#[derive(Debug, Subcommand)]
pub enum BadgeCommand {
    /// Records an application: the token to publish and where are printed.
    Apply {
        /// The applicant's USCC (a registered entity).
        #[arg(long)]
        uscc: String,
        /// The domain to bind (a bare domain and its www. name are one site).
        #[arg(long)]
        domain: String,
        /// The applicant's contact (shown to staff only).
        #[arg(long)]
        contact: String,
        /// How control of the domain is proven.
        #[arg(long, default_value = "well_known")]
        method: String,
    },
    /// Tries the application's proof now (the well-known file, or the DNS TXT record).
    Prove {
        /// The badge's serial (WJB…) or number.
        serial: String,
        /// Name servers asked for TXT proofs (IP:PORT, UDP; repeatable); default: the system's.
        #[arg(long = "name-server", value_name = "IP:PORT")]
        name_servers: Vec<std::net::SocketAddr>,
        #[command(flatten)]
        crawl: CrawlArgs,
    },
    /// Issues a proven application: signs the badge and prints its snippet.
    Issue { serial: String },
    /// Refuses an application, with a reason.
    Refuse {
        serial: String,
        #[arg(long)]
        reason: String,
    },
    /// Suspends an issued badge, with a reason.
    Suspend {
        serial: String,
        #[arg(long)]
        reason: String,
    },
    /// Revokes a badge for good, with a reason.
    Revoke {
        serial: String,
        #[arg(long)]
        reason: String,
    },
    /// Reinstates a suspended badge.
    Reinstate {
        serial: String,
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Applies the rules now (class D, license problems, the abnormal-operation list).
    Rules,
    /// Lists applications and badges.
    List {
        /// Only this state (applied, proven, issued, suspended, revoked, refused).
        #[arg(long)]
        state: Option<String>,
        #[arg(long, value_enum, default_value = "text")]
        format: OutputFormat,
    },
    /// One application or badge, with its snippet once issued.
    Show {
        serial: String,
        #[arg(long, value_enum, default_value = "text")]
        format: OutputFormat,
    },
    /// Prints the badge public key (created on first use), as published on the portal.
    Key,
}

#[derive(Debug, Subcommand)]
pub enum CreditCommand {
    /// Shows an entity's grade (by USCC or id): score, class, the hard rule, the index
    /// version and every indicator's contribution.
    Show {
        entity: String,
        #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
        format: OutputFormat,
    },
    /// Re-scores the entities marked stale (or all with --all) with the index version in
    /// force; with none in force, loads DATA/credit/index.toml first and re-scores all.
    Rescore {
        #[arg(long)]
        all: bool,
        /// The date the windows count back from (YYYY-MM-DD; default today, UTC).
        #[arg(long, value_name = "DATE")]
        as_of: Option<String>,
    },
    /// The index system file: check, load, list versions.
    #[command(subcommand)]
    Index(CreditIndexCommand),
    /// The lists, repair, evaluations, commitments and the public view.
    #[command(flatten)]
    Lists(CreditListsCommand),
}

#[derive(Debug, Subcommand)]
pub enum CreditIndexCommand {
    /// Validates an index system file and prints every problem (exit status 1 if any).
    Check { file: PathBuf },
    /// Loads an index system file (default DATA/credit/index.toml, written from the shipped
    /// default if absent) as the version in force, then re-scores every entity.
    Load {
        file: Option<PathBuf>,
        /// The date the windows count back from (YYYY-MM-DD; default today, UTC).
        #[arg(long, value_name = "DATE")]
        as_of: Option<String>,
    },
    /// Lists the versions loaded, newest (the one in force) first.
    List {
        #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
        format: OutputFormat,
    },
}

#[derive(Debug, Subcommand)]
pub enum SampleCommand {
    /// Sampling plans: create, list, show, close.
    #[command(subcommand)]
    Plan(SamplePlanCommand),
    /// Draws entities and inspectors for a plan with a seed (algorithm wangjian-draw-1);
    /// prints the draw's id and the selected entities with their inspectors.
    Draw {
        /// The plan's id.
        #[arg(long, value_name = "ID")]
        plan: i64,
        /// The seed to publish (any text, e.g. the numbers of a public lottery); omitted: a
        /// random one, printed.
        #[arg(long, value_name = "SEED")]
        seed: Option<String>,
        #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
        format: OutputFormat,
    },
    /// Lists draws (of one plan, or all), newest first.
    List {
        #[arg(long, value_name = "ID")]
        plan: Option<i64>,
        #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
        format: OutputFormat,
    },
    /// Shows a draw; `--format json` prints its publication (the file `sample replay` reads).
    Show {
        draw: i64,
        #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
        format: OutputFormat,
    },
    /// Recomputes a published draw from its JSON file alone (no database) and says whether
    /// it matches; exits with 1 when it does not.
    Replay {
        /// The publication (`sample show DRAW --format json`); `-` reads standard input.
        file: std::path::PathBuf,
        #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
        format: OutputFormat,
    },
    /// Records a field inspection (`wangjian inspection add`) as the result of a drawn entity.
    Result {
        #[arg(long, value_name = "ID")]
        draw: i64,
        /// The drawn entity's USCC.
        #[arg(long)]
        uscc: String,
        /// The inspection's id.
        #[arg(long, value_name = "ID")]
        inspection: i64,
    },
}

#[derive(Debug, Subcommand)]
pub enum SamplePlanCommand {
    /// Creates a plan; prints its id.
    Create(Box<SamplePlanCreateArgs>),
    /// Lists plans, newest first.
    List {
        #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
        format: OutputFormat,
    },
    /// Shows a plan with its pool and draws.
    Show {
        id: i64,
        #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
        format: OutputFormat,
    },
    /// Closes a plan: it draws no more.
    Close { id: i64 },
}

#[derive(Debug, Args)]
pub struct SamplePlanCreateArgs {
    /// The plan's name (e.g. 2026年第四季度网络交易双随机抽查).
    #[arg(long)]
    pub name: String,
    /// An inspection item (检查事项); repeatable, at least one.
    #[arg(long = "item", value_name = "TEXT")]
    pub items: Vec<String>,
    /// Entities of this district (code); repeatable; none: every district.
    #[arg(long = "district", value_name = "CODE")]
    pub districts: Vec<String>,
    /// Entities of this kind (platform, trading_site, …); repeatable.
    #[arg(long = "kind", value_name = "KIND")]
    pub kinds: Vec<String>,
    /// Entities of this legal form (enterprise, individual, cooperative, other); repeatable.
    #[arg(long = "legal-form", value_name = "FORM")]
    pub legal_forms: Vec<String>,
    /// Entities of this credit class (A–D); repeatable; none: every class.
    #[arg(long = "class", value_name = "CLASS")]
    pub classes: Vec<String>,
    /// A class's sampling ratio, `CLASS=RATIO` (`C=0.3`, `D=70%`); repeatable. Classes not
    /// given take the class's `sampling_ratio` in the credit index system in force (without
    /// one, the local scheme's: A 3 %, B 10 %, C 30 %, D 70 %).
    #[arg(long = "ratio", value_name = "CLASS=RATIO")]
    pub ratios: Vec<String>,
    /// Allow inspectors of the entity's own district (excluded by default).
    #[arg(long)]
    pub allow_same_district: bool,
    /// Inspectors per selected entity (default 2).
    #[arg(long, value_name = "N")]
    pub inspectors_per_entity: Option<i64>,
    /// A username of the pool of inspectors; repeatable.
    #[arg(long = "inspector", value_name = "USER")]
    pub inspectors: Vec<String>,
}

/// What an inspector found on site.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum InspectionResultArg {
    /// Nothing wrong (未发现问题).
    Compliant,
    /// A violation found (发现违法行为).
    Violation,
    /// Nobody at the address (无法联系).
    #[value(name = "not_contactable", alias = "not-contactable")]
    NotContactable,
    /// Anything else (其他), said in the notes.
    Other,
}

#[derive(Debug, Subcommand)]
pub enum InspectionCommand {
    /// Records an on-site check of an entity (optionally for one of its cases) with photos
    /// and scans attached (JPEG, PNG, PDF, TIFF, HEIC/HEIF, each at most
    /// `casework.max_attachment_mb`); prints its id. The first inspector is the recorder.
    Add {
        /// The entity: its id or its USCC.
        #[arg(long, value_name = "ID|USCC")]
        entity: String,
        /// Where the check took place.
        #[arg(long)]
        place: String,
        #[arg(long, value_enum)]
        result: InspectionResultArg,
        /// A user who inspected (their username); repeatable, at least one.
        #[arg(long = "inspector", value_name = "NAME", required = true)]
        inspectors: Vec<String>,
        /// The case the check was made for (a case of the entity).
        #[arg(long, value_name = "ID")]
        case: Option<i64>,
        /// When: `YYYY-MM-DD HH:MM` in Beijing time, or RFC 3339 (default: now).
        #[arg(long, value_name = "TIME")]
        at: Option<String>,
        /// What was found.
        #[arg(long, default_value = "")]
        notes: String,
        /// A photo or scan to attach; repeatable.
        #[arg(long = "attach", value_name = "FILE")]
        attach: Vec<PathBuf>,
    },
    /// Lists inspections, the newest check first (a header row, or `no inspections`).
    List {
        /// Of this entity (id or USCC).
        #[arg(long, value_name = "ID|USCC")]
        entity: Option<String>,
        /// Made for this case.
        #[arg(long, value_name = "ID")]
        case: Option<i64>,
        #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
        format: OutputFormat,
    },
    /// Prints an inspection as JSON with its attachments.
    Show { id: i64 },
}

#[derive(Debug, Subcommand)]
pub enum CampaignCommand {
    /// Creates a campaign; its targets are resolved to sites now (a target that matches no site
    /// is refused). Prints its id.
    Create(Box<CampaignCreateArgs>),
    /// Lists campaigns, newest first.
    List {
        #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
        format: OutputFormat,
    },
    /// Shows a campaign and its figures by district.
    Show {
        id: i64,
        #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
        format: OutputFormat,
    },
    /// Ends a campaign (its sweeps stop being scheduled).
    Close { id: i64 },
}

#[derive(Debug, Args)]
pub struct CampaignCreateArgs {
    /// The campaign's name (e.g. 房地产网络广告专项整治).
    #[arg(long)]
    pub name: String,
    /// First day (YYYY-MM-DD).
    #[arg(long, value_name = "DATE")]
    pub starts: String,
    /// Last day (YYYY-MM-DD).
    #[arg(long, value_name = "DATE")]
    pub ends: String,
    /// Sites of this kind (platform, trading_site, …); repeatable.
    #[arg(long = "kind", value_name = "KIND")]
    pub kinds: Vec<String>,
    /// Sites of entities in this district (code, e.g. 450103); repeatable.
    #[arg(long = "district", value_name = "CODE")]
    pub districts: Vec<String>,
    /// Sites with findings of this category (code); repeatable.
    #[arg(long = "category", value_name = "CODE")]
    pub categories: Vec<String>,
    /// Sites whose captured pages contain this word (search index); repeatable.
    #[arg(long = "keyword", value_name = "WORD")]
    pub keywords: Vec<String>,
    /// This site (id), whatever the other targets say; repeatable.
    #[arg(long = "site", value_name = "ID")]
    pub sites: Vec<String>,
    /// A rule pack its sweeps scan with (default: every shipped pack); repeatable.
    #[arg(long = "pack", value_name = "NAME")]
    pub packs: Vec<String>,
    /// Its sweeps' cron schedule (five fields, the bureau's time zone); default: by hand.
    #[arg(long, value_name = "CRON", default_value = "")]
    pub schedule: String,
}

/// A role on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RoleArg {
    /// City administrator (市局管理员): users, and everything staff do.
    Admin,
    /// City supervisor (市局监管人员): city-wide reads and actions.
    Supervisor,
    /// District inspector (区局执法人员): their districts (`--district`, one or more).
    Inspector,
    /// Third-party evaluator (第三方评价机构): assigned entities (`--entity`) only, read-only.
    Evaluator,
    /// Read-only auditor (审计人员).
    Auditor,
}

/// A role and where it applies.
#[derive(Debug, Args)]
pub struct RoleSpec {
    /// The role (`--admin` is `--role admin`).
    #[arg(long, value_enum, required_unless_present = "admin")]
    pub role: Option<RoleArg>,
    /// Shorthand for `--role admin`.
    #[arg(long, conflicts_with = "role")]
    pub admin: bool,
    /// A district code of an inspector (repeat for several).
    #[arg(long = "district", value_name = "CODE")]
    pub districts: Vec<String>,
    /// The USCC of an entity assigned to an evaluator (repeat for several).
    #[arg(long = "entity", value_name = "USCC")]
    pub entities: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Adds a user. The password is read from stdin with `--password-stdin`, else generated
    /// and printed once.
    Add {
        username: String,
        #[command(flatten)]
        role: RoleSpec,
        /// The name shown in the console (by default the username).
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        password_stdin: bool,
    },
    /// Lists users (a header row, or `no users`).
    List {
        #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
        format: OutputFormat,
    },
    /// Disables a user (their sessions end; they are kept for the records that name them).
    Disable { username: String },
    /// Enables a disabled user again.
    Enable { username: String },
    /// Sets a new password (from stdin with `--password-stdin`, else generated and printed);
    /// ends the user's sessions and lifts a lock.
    Passwd {
        username: String,
        #[arg(long)]
        password_stdin: bool,
    },
    /// Gives a user another role.
    Role {
        username: String,
        #[command(flatten)]
        role: RoleSpec,
    },
    /// Makes an API token acting as the user (printed once; `Authorization: Bearer TOKEN`).
    Token {
        username: String,
        /// What the token is for.
        #[arg(long, default_value = "api")]
        name: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Prints the effective configuration and where each value came from (default, file,
    /// environment variable or flag).
    Show,
    /// Writes `DATA/wangjian.toml` with every setting at its default and a comment (an existing
    /// file is left alone).
    Init,
}

#[derive(Debug, Subcommand)]
pub enum DiscoveredCommand {
    /// Lists discovered sites with their source, evidence and the matcher's proposal.
    List {
        /// Only those in this state.
        #[arg(long, value_enum)]
        state: Option<DiscoveryStateArg>,
        /// Only those first found by this source.
        #[arg(long, value_enum)]
        source: Option<DiscoverySourceArg>,
        /// Only hosts that imitate a registered site.
        #[arg(long)]
        imitations: bool,
        #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
        format: OutputFormat,
    },
    /// Per source (link, filing, ct): how many sites it found, in each state, and its
    /// precision (the share confirmed of those people decided).
    Stats {
        #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
        format: OutputFormat,
    },
    /// Turns filings that name a web address no registered site covers, of operators in the
    /// city, into discovered sites (imports of filings and sweeps do it too).
    FromFilings,
    /// Reads the certificate transparency logs of `[[discovery.ct_logs]]` from where each was
    /// left, verifying every tree head and proof, and records the certificates that point to
    /// sites in the city.
    CtPoll {
        /// Only this log.
        #[arg(long)]
        log: Option<String>,
        /// Entries per verified batch.
        #[arg(long, default_value_t = 256)]
        batch: u64,
        #[command(flatten)]
        crawl: CrawlArgs,
    },
    /// The certificate transparency logs read so far: position, counts, last failure.
    CtLogs {
        #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
        format: OutputFormat,
    },
    /// Attaches a discovered site to an entity (by default the proposed one).
    Confirm {
        id: i64,
        /// The entity's USCC, when it is not the proposed one.
        #[arg(long)]
        entity: Option<String>,
        /// Who decides (recorded with the decision).
        #[arg(long, env = "USER", default_value = "operator")]
        by: String,
    },
    /// Marks a discovered site as not to be followed.
    Reject {
        id: i64,
        #[arg(long, env = "USER", default_value = "operator")]
        by: String,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum DiscoverySourceArg {
    Link,
    Filing,
    Ct,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum DiscoveryStateArg {
    Unverified,
    New,
    Confirmed,
    Rejected,
    Remote,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum TableKind {
    Entities,
    Sites,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum TableFormat {
    Csv,
    Xlsx,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("what").required(true).multiple(true).args(["campaign", "from"])))]
pub struct ReportArgs {
    /// A campaign's report: its sites (and its period, unless --from/--to are given).
    #[arg(long, value_name = "ID")]
    pub campaign: Option<i64>,
    /// First day of the period (YYYY-MM-DD, Beijing time).
    #[arg(long, value_name = "DATE", requires = "to")]
    pub from: Option<chrono::NaiveDate>,
    /// Last day of the period (YYYY-MM-DD, Beijing time; included).
    #[arg(long, value_name = "DATE", requires = "from")]
    pub to: Option<chrono::NaiveDate>,
    /// Only this district's records (6-digit code).
    #[arg(long)]
    pub district: Option<String>,
    /// Output file: .html, .pdf or .xlsx.
    #[arg(short, long)]
    pub output: PathBuf,
    /// The console's URL, to link each record of the HTML and PDF to its page (default: the
    /// records are listed without links).
    #[arg(long, value_name = "URL")]
    pub console_url: Option<String>,
    /// The browser that prints the PDF (default: Debian's chromium).
    #[arg(long)]
    pub browser: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct TableExportArgs {
    /// What to export.
    #[arg(value_enum)]
    pub what: TableKind,
    /// Output file.
    #[arg(short, long)]
    pub output: PathBuf,
    /// By default from the output file's extension (.csv or .xlsx).
    #[arg(long, value_enum)]
    pub format: Option<TableFormat>,
    /// Only this district (6-digit code).
    #[arg(long)]
    pub district: Option<String>,
    /// Only this kind (platform, trading_site, non_trading_site, platform_shop).
    #[arg(long)]
    pub kind: Option<String>,
    /// Entities: only this status (active, abnormal, serious_violation, deregistered).
    #[arg(long)]
    pub status: Option<String>,
    /// Sites: only registered (true) or only discovered/unregistered (false) ones.
    #[arg(long)]
    pub registered: Option<bool>,
}

#[derive(Debug, Subcommand)]
pub enum SearchCommand {
    /// Brings the index up to date with the database and the evidence (the console does this
    /// when it starts; imports and sweeps leave it behind).
    Sync,
    /// Searches from the command line.
    Query {
        text: String,
        #[arg(long, default_value_t = 20)]
        limit: usize,
    },
}

#[derive(Debug, Subcommand)]
pub enum LogCommand {
    /// Signs a checkpoint of the log as it stands (sweeps sign one at their end).
    Checkpoint {
        /// Also asks this RFC 3161 Time-Stamping Authority for a time-stamp token over the
        /// note, verified (against `keys/tsa-root.pem` when the data directory has one) and
        /// stored beside it as `<name>.tsr`; fails if the TSA does.
        #[arg(long, value_name = "URL")]
        tsa: Option<String>,
        /// Connect HOST:PORT to ADDRESS for the TSA (curl's --resolve); a TSA on a private or
        /// loopback address must be allow-listed so. Repeatable.
        #[arg(long = "resolve", value_name = "HOST:PORT:ADDRESS")]
        resolve: Vec<String>,
    },
    /// Prints the inclusion proof of a stored record under the latest checkpoint.
    Prove(ProveArgs),
    /// Prints the public key that verifies the log's checkpoints.
    Key,
}

#[derive(Debug, Args)]
pub struct ProveArgs {
    /// The record as `FILE:OFFSET` (a WARC file name in the data directory's evidence and the
    /// record's offset, as the console and findings show them).
    pub record: String,
}

#[derive(Debug, Subcommand)]
pub enum EvidenceCommand {
    /// Checks WARC files or a WACZ package offline: reads every record and recomputes every
    /// digest (and for a package its hashes, signature and log proofs); prints a
    /// verdict per file and the exact place of any failure; exits 0 only if all holds.
    Verify(VerifyArgs),
    /// Exports the evidence of a site or a sweep as a signed WACZ 1.1.1 package (the WARC
    /// records copied byte for byte, a CDXJ index, pages, hashes; signed with the key in
    /// DATA/keys, created on first use).
    Export(ExportArgs),
    /// Captures one URL as evidence for an inspector (电子数据提取): fetched as a browser with
    /// every redirect, a full-page screenshot through headless Chromium when one is installed
    /// (else the capture says that none was taken), all written as WARC records, logged, and a
    /// checkpoint signed. The capture is a sweep of its own (kind "capture"): export it with
    /// `evidence export --sweep ID`.
    Capture(CaptureArgs),
    /// Uploads the finished WARC files of the data directory to the object store (the
    /// `[objects]` table): each once, as an immutable object of its name (multipart); a file
    /// a running sweep may still append to waits for a later run. Local files are kept.
    Upload {
        #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
        format: OutputFormat,
    },
    /// Lists the WARC files in the object store (name, size, whether a local copy exists).
    Objects {
        #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
        format: OutputFormat,
    },
}

#[derive(Debug, Subcommand)]
pub enum ClueCommand {
    /// Groups findings of one site into a clue; prints its id.
    Create {
        /// A finding (its id, as the console and `/api/v1/findings` show it); repeatable, all of
        /// one site.
        #[arg(long = "finding", value_name = "ID", required = true)]
        findings: Vec<i64>,
        /// What the clue is about (default: the findings' categories).
        #[arg(long)]
        summary: Option<String>,
    },
    /// Prints a clue as JSON: its findings and the evidence captures taken for it.
    Show { id: i64 },
    /// Lists clues, newest first (a header row, or `no clues`), with their state, district,
    /// deadline and an overdue mark.
    List {
        /// Only clues in this state (new, dispatched, verified, case_opened, not_verified,
        /// transferred).
        #[arg(long)]
        state: Option<String>,
        /// Only open clues past their deadline or verification limit.
        #[arg(long)]
        overdue: bool,
        #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
        format: OutputFormat,
    },
    /// Sends a clue to a district (a clue already sent needs --reason).
    Dispatch {
        id: i64,
        /// The district's code, e.g. 450102.
        #[arg(long)]
        district: String,
        #[arg(long)]
        reason: Option<String>,
    },
    /// Records a district's answer on a dispatched clue.
    Feedback {
        id: i64,
        /// verified, not-verified (with --reason) or transferred (with --to).
        answer: String,
        /// For not-verified: no_violation, insufficient_evidence, first_minor_corrected or
        /// time_barred.
        #[arg(long)]
        reason: Option<String>,
        /// For transferred: the authority it goes to.
        #[arg(long)]
        to: Option<String>,
        #[arg(long)]
        note: Option<String>,
    },
    /// Extends a clue's verification limit (once).
    Extend { id: i64 },
}

#[derive(Debug, Subcommand)]
pub enum ComplaintCommand {
    /// The hotline's intake (12315): stores a complaint or report; prints its id and
    /// tracking number.
    File {
        /// complaint, report or both.
        #[arg(long)]
        kind: String,
        /// The business's name as the caller gave it.
        #[arg(long, default_value = "")]
        subject: String,
        /// Its unified social credit code.
        #[arg(long, default_value = "")]
        uscc: String,
        /// Its website or shop address.
        #[arg(long, default_value = "")]
        url: String,
        /// Its address (names the district when no entity matches).
        #[arg(long, default_value = "")]
        address: String,
        /// What happened.
        #[arg(long)]
        text: String,
        /// The caller's name.
        #[arg(long)]
        name: String,
        #[arg(long, default_value = "")]
        phone: String,
        #[arg(long, default_value = "")]
        email: String,
    },
    /// Lists complaints, newest first (a header row, or `no complaints`).
    List {
        /// Only complaints in this state (received, accepted, refused, mediating, mediated,
        /// mediation_failed, verified, not_verified, closed).
        #[arg(long)]
        state: Option<String>,
        /// Only complaints past a deadline with its step not taken.
        #[arg(long)]
        overdue: bool,
        #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
        format: OutputFormat,
    },
    /// Prints a complaint with its history as JSON (personal data included: staff only).
    Show { id: i64 },
    /// Accepts a received complaint.
    Accept {
        id: i64,
        #[arg(long)]
        note: Option<String>,
    },
    /// Refuses a received complaint; the reason is published to the complainant.
    Refuse {
        id: i64,
        #[arg(long)]
        reason: String,
    },
    /// Mediation: `start`, or its end: `agreed` or `failed`.
    Mediate {
        id: i64,
        /// start, agreed or failed.
        step: String,
        #[arg(long)]
        note: Option<String>,
    },
    /// A report's verification: `verified` or `not-verified`.
    Verify {
        id: i64,
        answer: String,
        #[arg(long)]
        note: Option<String>,
    },
    /// Links an entity, a clue or a case.
    Link {
        id: i64,
        #[arg(long)]
        entity: Option<i64>,
        #[arg(long)]
        clue: Option<i64>,
        #[arg(long)]
        case: Option<i64>,
    },
    /// Closes a complaint with the outcome published to the complainant.
    Close {
        id: i64,
        /// mediated, not_mediated, case_opened, corrected, no_violation or transferred.
        #[arg(long)]
        outcome: String,
        /// The published text (no personal data).
        #[arg(long)]
        text: String,
        /// The complaint or report was upheld (counts in the entity's credit).
        #[arg(long)]
        upheld: bool,
    },
    /// Assigns an open complaint to another district.
    Dispatch {
        id: i64,
        #[arg(long)]
        district: String,
        #[arg(long)]
        reason: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum CaseCommand {
    /// Opens a case from verified or dispatched clues of one site; prints its id and number.
    Open {
        #[arg(long = "clue", value_name = "ID", required = true)]
        clues: Vec<i64>,
        /// An officer's username; repeatable (two are needed before a decision).
        #[arg(long = "officer", value_name = "NAME")]
        officers: Vec<String>,
        #[arg(long)]
        summary: Option<String>,
    },
    /// Lists cases, newest first (a header row, or `no cases`); JSON Lines carry each case's
    /// stage and its outcomes with their `type`.
    List {
        /// Only cases at this stage (registered, investigating, decided, closed).
        #[arg(long)]
        stage: Option<String>,
        #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
        format: OutputFormat,
    },
    /// Shows one case with its clues, officers and outcomes.
    Show {
        id: i64,
        #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
        format: OutputFormat,
    },
    /// Moves a case to its next stage (registered → investigating → decided → closed).
    Advance { id: i64 },
    /// Adds an officer to a case.
    Officer { id: i64, name: String },
    /// Records an outcome.
    Outcome {
        id: i64,
        #[command(subcommand)]
        outcome: OutcomeCommand,
    },
    /// Removes an abnormal-operations listing (an outcome of a case) once its cause is
    /// corrected.
    Unlist {
        /// The listing's outcome id.
        outcome: i64,
        #[arg(long)]
        reason: String,
    },
    /// Reopens a decided or closed case (back to investigation).
    Reopen {
        id: i64,
        #[arg(long)]
        reason: String,
    },
    /// Writes a document of a case — rectification (责令改正通知书), warning (警示函), referral
    /// (案件移送函) or cover (案卷封面) — from the templates in DATA/templates/documents/, with
    /// each of its clues' evidence exported as a signed WACZ (logged in the chain of custody)
    /// and named with its SHA-256 in the document.
    Document(DocumentArgs),
}

#[derive(Debug, Subcommand)]
pub enum OutcomeCommand {
    /// An administrative penalty; the legal basis comes from the case's findings.
    Penalty {
        #[arg(long)]
        decision_no: String,
        /// The fine in fen (integer).
        #[arg(long, conflicts_with = "fine_yuan")]
        fine_fen: Option<i64>,
        /// The fine in yuan, at most two decimals (e.g. 573800.00).
        #[arg(long)]
        fine_yuan: Option<String>,
        #[arg(long)]
        confiscation: Option<String>,
    },
    /// An order to correct by a deadline; the URLs are re-checked then.
    Rectification {
        /// YYYY-MM-DD, not in the past.
        #[arg(long)]
        due: String,
        #[arg(long = "url", required = true)]
        urls: Vec<String>,
    },
    /// A referral to another department.
    Referral {
        #[arg(long)]
        to: String,
        #[arg(long)]
        reason: String,
    },
    /// An administrative-guidance warning.
    Warning {
        #[arg(long)]
        reason: String,
    },
    /// A listing in the abnormal-operations list.
    AbnormalListing {
        /// no_annual_report, information_not_published, false_information or not_contactable.
        #[arg(long)]
        cause: String,
    },
    /// A dismissal.
    Dismissal {
        #[arg(long)]
        reason: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum FindingCommand {
    /// A person's triage decision on a finding (recorded in the audit log).
    Triage {
        id: i64,
        /// confirmed, dismissed or false_positive.
        #[arg(long)]
        decision: String,
        /// Why (required to dismiss; for a false positive, what the rule got wrong).
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// Triage decisions per rule, the precision they give and whether the rule is flagged for
    /// review (a header row, or `no findings`).
    Rules {
        /// Flag a rule whose precision is below this (0–1).
        #[arg(long, default_value_t = store::ReviewPolicy::DEFAULT_BELOW)]
        review_below: f64,
        /// … once at least this many of its findings are decided.
        #[arg(long, default_value_t = store::ReviewPolicy::DEFAULT_MIN_DECIDED)]
        min_decided: i64,
        #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
        format: OutputFormat,
    },
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("target").required(true).args(["url", "clue"]).multiple(true)))]
pub struct CaptureArgs {
    /// The page to capture (its site must be registered or discovered); with --clue, by
    /// default the page of the clue's first finding.
    pub url: Option<String>,
    /// The clue the evidence is taken for; the capture is listed with it and exported with
    /// `evidence export --clue ID`.
    #[arg(long, value_name = "ID")]
    pub clue: Option<i64>,
    /// An inspector taking the evidence; give two or more.
    #[arg(long = "operator", value_name = "NAME", required = true)]
    pub operators: Vec<String>,
    /// Why the evidence is taken (a clue, a complaint, a case).
    #[arg(long)]
    pub reason: String,
    /// The browser for the screenshot (default: $WANGJIAN_CHROMIUM, else chromium on PATH).
    #[arg(long, value_name = "PATH")]
    pub browser: Option<PathBuf>,
    /// Take no screenshot.
    #[arg(long, conflicts_with = "browser")]
    pub no_screenshot: bool,
    /// Time-stamp the checkpoint signed after the capture with this RFC 3161 TSA (http URL;
    /// default: the `tsa_url` setting).
    #[arg(long, value_name = "URL")]
    pub tsa: Option<String>,
    #[command(flatten)]
    pub crawl: CrawlArgs,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("selection").required(true).args(["site", "sweep", "clue"])))]
pub struct ExportArgs {
    /// Every fetch of one site: a host (`shop.test`) or a platform shop (`mall.test/shop/12`).
    #[arg(long, value_name = "HOST")]
    pub site: Option<String>,
    /// Every fetch of one sweep, by id.
    #[arg(long, value_name = "ID")]
    pub sweep: Option<i64>,
    /// The evidence of one clue: the records its findings point at and the captures taken
    /// for it (with their screenshots).
    #[arg(long, value_name = "ID")]
    pub clue: Option<i64>,
    /// The package to write (`.wacz`); an existing file is replaced.
    #[arg(short = 'o', long = "output", value_name = "FILE.wacz")]
    pub output: PathBuf,
    /// Title of the package; by default it names the selection.
    #[arg(long)]
    pub title: Option<String>,
    /// Why the evidence is exported, for the chain of custody (default "未说明").
    #[arg(long)]
    pub reason: Option<String>,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The log's public key (`name+id+key`, as `wangjian log key` prints and the console
    /// publishes); by default the data directory's own.
    #[arg(long)]
    pub key: Option<String>,
    /// A WARC file (.warc, .warc.gz), a directory of them, or a WACZ package (.wacz: zip
    /// structure, hashes, signature, digests and every record's log proof; its checkpoint is
    /// verified with --key, else with the key the package carries); by default all evidence in
    /// the data directory. A file in the data directory's warc/ is always checked against its
    /// transparency log and chain of custody; any other file against itself only.
    pub path: Option<PathBuf>,
    /// Accept files outside the data directory checked by their digests alone (without it,
    /// such a file, "not checked against any log", makes the command exit non-zero).
    #[arg(long)]
    pub no_log: bool,
    /// The largest WARC record block read, in MiB; a larger record is a failure at its offset
    /// ("record larger than the cap").
    #[arg(long, value_name = "MIB", default_value_t = 256)]
    pub max_record_mib: u64,
    /// Verify the copies in the object store (the `[objects]` table) instead of the local
    /// files: each object is read back whole and checked, against the data directory's
    /// transparency log and chain of custody, as a local file of the evidence directory is.
    #[arg(long, conflicts_with = "path")]
    pub objects: bool,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Number of simulated sites.
    #[arg(long, default_value_t = 200)]
    pub sites: usize,
    /// Seed of the simulated web.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Exit after the sweep instead of serving the console.
    #[arg(long)]
    pub no_serve: bool,
    /// Address of the console (default: the `listen` setting, 127.0.0.1:8080).
    #[arg(long)]
    pub addr: Option<SocketAddr>,
    #[command(flatten)]
    pub crawl: CrawlArgs,
}

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Imports entities (CSV or JSON Lines) as docs/spec/registry-import.md describes.
    Entities(ImportEntitiesArgs),
    /// Imports another department's records (telecom filings, food permits, finance licenses,
    /// tax status) with the source's column mapping (mappings/README.md).
    Filings(ImportFilingsArgs),
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("mapping_from").required(true).args(["source", "mapping"])))]
pub struct ImportFilingsArgs {
    /// The source: `<data dir>/mappings/NAME.toml`, else a built-in mapping (telecom, food,
    /// finance, tax).
    #[arg(long)]
    pub source: Option<String>,
    /// A mapping file to use instead.
    #[arg(long, value_name = "FILE")]
    pub mapping: Option<PathBuf>,
    /// The file to import (.csv, .jsonl, .xlsx).
    pub file: PathBuf,
    #[arg(long, value_enum, default_value_t = EncodingArg::Auto)]
    pub encoding: EncodingArg,
    #[arg(long, value_enum)]
    pub format: Option<FormatArg>,
}

#[derive(Debug, Args)]
pub struct ImportEntitiesArgs {
    /// The file to import (.csv, .jsonl, .xlsx).
    pub file: PathBuf,
    /// The file's text encoding.
    #[arg(long, value_enum, default_value_t = EncodingArg::Auto)]
    pub encoding: EncodingArg,
    /// The file's format; by default from its extension or content.
    #[arg(long, value_enum)]
    pub format: Option<FormatArg>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum EncodingArg {
    /// Detected: BOM, then UTF-8, then the bytes' statistics (GBK for most Chinese files).
    Auto,
    #[value(name = "utf-8", alias = "utf8")]
    Utf8,
    #[value(name = "gbk", alias = "gb18030")]
    Gbk,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum FormatArg {
    Csv,
    #[value(alias = "jsonl", name = "json-lines")]
    JsonLines,
    Xlsx,
}

/// How the crawler behaves; shared by `sweep`, `scan`, `demo` and `evidence capture`. Each flag
/// overrides its `crawl.*` setting (`wangjian config show`).
#[derive(Debug, Clone, Default, Args)]
pub struct CrawlArgs {
    /// Connect HOST:PORT to ADDRESS (curl's --resolve; HOST may be `*`; ADDRESS may carry a
    /// port, as curl's --connect-to). Repeatable. An explicit mapping to a loopback address
    /// allow-lists it.
    #[arg(long = "resolve", value_name = "HOST:PORT:ADDRESS")]
    pub resolve: Vec<String>,
    /// Page budget per site (default 50).
    #[arg(long)]
    pub max_pages: Option<usize>,
    /// Link depth limit per site (default 5).
    #[arg(long)]
    pub max_depth: Option<u32>,
    /// Sites crawled at once (default 32).
    #[arg(long)]
    pub concurrency: Option<usize>,
    /// Politeness delay between two requests to one host, in milliseconds (default 1000; the
    /// demo, crawling its own simulated web on this machine, defaults to 0).
    #[arg(long)]
    pub delay_ms: Option<u64>,
    /// Total timeout of one request, in seconds (default 20).
    #[arg(long)]
    pub timeout: Option<u64>,
}

#[derive(Debug, Args)]
pub struct SweepArgs {
    /// Time-stamp the checkpoint signed at the end of the sweep with this RFC 3161 TSA (http
    /// URL; default: the `tsa_url` setting); a TSA failure is a warning, not a failed sweep.
    #[arg(long, value_name = "URL")]
    pub tsa: Option<String>,
    /// Sweep a campaign's sites with its rule packs (after continuing an unfinished sweep).
    #[arg(long, value_name = "ID")]
    pub campaign: Option<i64>,
    /// Skip the rendered probes (headless Chromium) this time; the fetched probes still run
    /// (the `sweep.render_probes` setting turns them off for good).
    #[arg(long)]
    pub no_render: bool,
    /// Only create the city sweep, for `wangjian worker`s to do, and print its id (refused
    /// while a sweep is unfinished).
    #[arg(long, conflicts_with = "campaign")]
    pub for_workers: bool,
    #[command(flatten)]
    pub crawl: CrawlArgs,
}

#[derive(Debug, Args)]
pub struct WorkerArgs {
    /// This worker's name (1–32 of a-z, 0-9, '-'): its leases and WARC files carry it. By
    /// default the machine's host name and the process id.
    #[arg(long)]
    pub name: Option<String>,
    /// Hosts leased (and crawled at once) at a time.
    #[arg(long, default_value_t = 32)]
    pub hosts: usize,
    /// A lease's length in seconds: a dead worker's hosts are taken over after it.
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u32).range(3..=86400))]
    pub lease_secs: u32,
    /// Stop when no sweep is running (by default a worker waits for the next one).
    #[arg(long)]
    pub until_idle: bool,
    /// Skip the rendered probes (headless Chromium); the fetched probes still run.
    #[arg(long)]
    pub no_render: bool,
    /// Keep no evidence here: each WARC file is uploaded to the `[objects]` store at the flush
    /// that ends it (before its fetches are recorded) and the local copy removed, for a worker
    /// on a machine without the shared disk. The log is then sequenced by `wangjian sequencer`
    /// or `serve` where it lives.
    #[arg(long)]
    pub objects: bool,
    #[command(flatten)]
    pub crawl: CrawlArgs,
}

#[derive(Debug, Args)]
pub struct SequencerArgs {
    /// Stop when no sweep is running (after the last checkpoint of the sweep it ended).
    #[arg(long)]
    pub until_idle: bool,
    /// The workers' lease in seconds: a worker not seen for twice as long counts as dead
    /// when the sweep ends.
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u32).range(3..=86400))]
    pub lease_secs: u32,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum OutputFormat {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// A saved HTML file, or an http(s) URL to fetch.
    pub target: String,
    /// The URL a saved file was fetched from (sets the page context).
    #[arg(long)]
    pub url: Option<String>,
    /// Output: text, or JSON Lines (one finding per line).
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
    /// Exit with status 3 when a finding is at or above this severity (errors exit 1).
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub fail_on: Option<SeverityArg>,
    /// For a URL: skip the rendered probes (headless Chromium); the fetched probes still run.
    #[arg(long)]
    pub no_render: bool,
    #[command(flatten)]
    pub crawl: CrawlArgs,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum SeverityArg {
    Low,
    Medium,
    High,
    Critical,
}

impl SeverityArg {
    pub fn severity(self) -> domain::Severity {
        match self {
            SeverityArg::Low => domain::Severity::Low,
            SeverityArg::Medium => domain::Severity::Medium,
            SeverityArg::High => domain::Severity::High,
            SeverityArg::Critical => domain::Severity::Critical,
        }
    }
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on (default: the `listen` setting, 127.0.0.1:8080). An address other
    /// than loopback needs TLS (`--tls-cert`/`--tls-key`, `[console] tls_cert`/`tls_key`) or a
    /// trusted reverse proxy (`[console] trusted_proxy`).
    #[arg(long)]
    pub addr: Option<SocketAddr>,
    /// The console's TLS certificate chain, a PEM file (the `console.tls_cert` setting).
    #[arg(long, value_name = "PEM")]
    pub tls_cert: Option<PathBuf>,
    /// The private key of `--tls-cert`, a PEM file (the `console.tls_key` setting).
    #[arg(long, value_name = "PEM")]
    pub tls_key: Option<PathBuf>,
    /// Also serve the public portal on this address (the `portal.listen` setting), with its own
    /// router and listener.
    #[arg(long, value_name = "ADDR")]
    pub public_addr: Option<SocketAddr>,
}

#[derive(Debug, Args)]
pub struct SitesArgs {
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
}

#[derive(Debug, Args)]
pub struct SimwebArgs {
    /// Number of simulated sites.
    #[arg(long, default_value_t = 200)]
    pub sites: usize,
    /// Seed of the generator.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// Where to write the ground truth (JSON).
    #[arg(long)]
    pub truth: Option<PathBuf>,
    /// Where to write the register CSV.
    #[arg(long)]
    pub register: Option<PathBuf>,
    /// Where to write the `[[discovery.ct_logs]]` tables (TOML) that watch the world's
    /// certificate transparency log and its forged twin (whose tree heads must be refused).
    #[arg(long)]
    pub ct_config: Option<PathBuf>,
    /// A directory of what site owners publish, read at each request: `DIR/<host>/<path>` is
    /// served before generated pages (e.g. a badge proof file), `DIR/<host>.home.html` is
    /// inserted into the host's homepage (e.g. a badge snippet).
    #[arg(long)]
    pub overlay: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct EvalArgs {
    /// Number of simulated sites.
    #[arg(long, default_value_t = 200)]
    pub sites: usize,
    /// Seed of the simulated web.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Print every false positive and false negative on stderr.
    #[arg(long)]
    pub show_errors: bool,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("form").required(true).args(["pdf", "html", "bundle"])))]
pub struct DocumentArgs {
    /// The case id.
    pub id: i64,
    /// rectification, warning, referral or cover.
    #[arg(value_parser = parse_document_kind)]
    pub kind: documents::DocumentKind,
    /// The PDF (printed through Chromium); the packages are written beside it.
    #[arg(long)]
    pub pdf: bool,
    /// The HTML document; the packages are written beside it.
    #[arg(long)]
    pub html: bool,
    /// One ZIP: the PDF, the packages and a manifest of their SHA-256s.
    #[arg(long)]
    pub bundle: bool,
    /// The file to write; each package is `<its stem>-clue-<id>.wacz` in the same directory.
    #[arg(short, long)]
    pub output: PathBuf,
    /// Why, for the chain of custody (by default: the document's title).
    #[arg(long)]
    pub reason: Option<String>,
    /// The browser that prints (by default `chromium` on PATH, or WANGJIAN_CHROMIUM).
    #[arg(long, value_name = "PATH")]
    pub browser: Option<PathBuf>,
}

fn parse_document_kind(s: &str) -> Result<documents::DocumentKind, String> {
    s.parse()
        .map_err(|_| "expected rectification, warning, referral or cover".to_string())
}

/// The credit commands of the dishonesty lists and what surrounds them.
#[derive(Debug, Subcommand)]
pub enum CreditListsCommand {
    /// The dishonesty lists (经营异常名录, 严重违法失信名单): add, remove, list, show.
    #[command(subcommand)]
    Listing(ListingCommand),
    /// Credit-repair applications (信用修复): apply, decide, list.
    #[command(subcommand)]
    Repair(RepairCommand),
    /// Third-party evaluations (第三方评价): add (as an evaluator), list.
    #[command(subcommand)]
    Evaluation(EvaluationCommand),
    /// Honest-operation commitments (诚信经营承诺): add, break, list.
    #[command(subcommand)]
    Commitment(CommitmentCommand),
    /// What the public may see of an entity (信用信息公示) on a day.
    Public {
        uscc: String,
        /// YYYY-MM-DD (default: today, UTC).
        #[arg(long)]
        as_of: Option<String>,
        #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
        format: OutputFormat,
    },
}

#[derive(Debug, Subcommand)]
pub enum ListingCommand {
    /// Puts an entity on a list; prints the listing's id.
    Add {
        uscc: String,
        /// abnormal or serious_violation.
        #[arg(long)]
        list: String,
        /// abnormal: no_annual_report, information_not_published, false_information or
        /// not_contactable; serious_violation: the decision's words.
        #[arg(long)]
        cause: String,
        #[arg(long)]
        decision_no: Option<String>,
        /// The listing date, YYYY-MM-DD (default: today, UTC).
        #[arg(long)]
        on: Option<String>,
    },
    /// Takes a listing off its list: corrected or mistaken (repaired comes from `credit
    /// repair decide`, expired from the list's term).
    Remove {
        id: i64,
        #[arg(long)]
        reason: String,
        #[arg(long)]
        note: Option<String>,
        /// YYYY-MM-DD (default: today, UTC).
        #[arg(long)]
        on: Option<String>,
    },
    /// Lists listings, the newest first (a header row, or `no listings`).
    List {
        /// abnormal or serious_violation.
        #[arg(long)]
        list: Option<String>,
        /// Only listings still open.
        #[arg(long, conflicts_with = "removed")]
        open: bool,
        /// Only removed listings.
        #[arg(long)]
        removed: bool,
        #[arg(long)]
        district: Option<String>,
        #[arg(long)]
        uscc: Option<String>,
        #[arg(long, default_value_t = 0)]
        limit: i64,
        #[arg(long, default_value_t = 0)]
        offset: i64,
        #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
        format: OutputFormat,
    },
    /// Shows one listing with its repair applications.
    Show {
        id: i64,
        #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
        format: OutputFormat,
    },
}

#[derive(Debug, Subcommand)]
pub enum RepairCommand {
    /// Records an application to repair a listing; prints its id.
    Apply {
        listing: i64,
        #[arg(long)]
        applicant: String,
        #[arg(long)]
        statement: String,
        /// The application date, YYYY-MM-DD (default: today, UTC).
        #[arg(long)]
        on: Option<String>,
    },
    /// Decides a pending application: --approve (the listing is removed as repaired) or
    /// --refuse with --reason.
    Decide {
        id: i64,
        #[arg(long, conflicts_with = "refuse", required_unless_present = "refuse")]
        approve: bool,
        #[arg(long)]
        refuse: bool,
        /// Why (a refusal's reason, or a grant's note).
        #[arg(long)]
        reason: Option<String>,
        /// The decision's date, YYYY-MM-DD: a grant removes the listing on it (default:
        /// today, UTC).
        #[arg(long)]
        on: Option<String>,
    },
    /// Lists applications, the newest first.
    List {
        #[arg(long)]
        listing: Option<i64>,
        /// pending, approved or refused.
        #[arg(long)]
        state: Option<String>,
        #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
        format: OutputFormat,
    },
}

#[derive(Debug, Subcommand)]
pub enum EvaluationCommand {
    /// Records an evaluation as the evaluator NAME (of an entity assigned to them).
    Add {
        uscc: String,
        #[arg(long, value_name = "NAME")]
        evaluator: String,
        /// 0–100.
        #[arg(long)]
        score: i64,
        #[arg(long)]
        summary: String,
        /// YYYY-MM-DD (default: today, UTC).
        #[arg(long)]
        on: Option<String>,
    },
    /// Lists evaluations, the newest first.
    List {
        #[arg(long)]
        uscc: Option<String>,
        #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
        format: OutputFormat,
    },
}

#[derive(Debug, Subcommand)]
pub enum CommitmentCommand {
    /// Records a commitment; prints its id.
    Add {
        uscc: String,
        #[arg(long)]
        text: String,
        /// The day it was made, YYYY-MM-DD (default: today, UTC).
        #[arg(long)]
        on: Option<String>,
    },
    /// Marks a commitment broken.
    Break {
        id: i64,
        #[arg(long)]
        reason: String,
        /// YYYY-MM-DD (default: today, UTC).
        #[arg(long)]
        on: Option<String>,
    },
    /// Lists commitments, the newest first.
    List {
        #[arg(long)]
        uscc: Option<String>,
        #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
        format: OutputFormat,
    },
}
