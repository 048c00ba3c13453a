//! How the console and the public portal are reached: the listening socket's policy, TLS, and
//! the limits that keep a few slow or hostile clients from holding the server. One accept loop
//! ([`serve`]) serves any router with a [`Transport`]: [`serve_until`](crate::serve_until) runs
//! it for the console, [`serve_portal_until`](crate::serve_portal_until) for the portal, each
//! with its own way of wording the refusals made here. The router never sees a connection, only
//! requests that passed this layer.
//!
//! - **Exposure.** Plain HTTP is served on a loopback address only. Beyond loopback the console
//!   needs TLS ([`Tls`], rustls with the ring provider) or a declared trusted reverse proxy that
//!   terminates TLS in front of it ([`Transport::trusted_proxy`]; then only that address may
//!   connect). [`Transport::check_exposure`] says why an address is refused.
//! - **Host allow-list** (DNS rebinding): a request whose `Host` (or absolute-form authority) is
//!   not the bound address, a loopback name when the socket is reachable over loopback, or one
//!   of [`Transport::hosts`] is answered `421 Misdirected Request` with the usual error page or
//!   JSON envelope.
//! - **Limits** ([`Limits`]): the request head (and a TLS handshake) must arrive within
//!   `header_read_timeout`, also on an idle keep-alive connection; a handler must answer within
//!   `request_timeout` (else `503`), and a response the client stops reading is abandoned after
//!   as long; at most `max_connections` connections are served at once, and further clients
//!   wait in the listen backlog until one ends.
//!
//! Handlers learn how they were reached from [`AppState::transport`](crate::AppState):
//! [`Transport::https`] says whether the browser speaks https to the console (cookies carry
//! `Secure` then). The peer address reaches them as axum's `ConnectInfo<SocketAddr>`.
//!
//! Must not: look at what a request asks for beyond its `Host` and path family (that is the
//! router's), or render text itself: refusals are [`WebError`]s rendered by `error.rs` under the
//! security headers of `headers.rs`.

use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{ConnectInfo, Extension, Request};
use axum::http::{header, Method, Uri};
use axum::response::{IntoResponse, Response};
use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Semaphore};
use tokio_rustls::rustls;
use tower::ServiceExt;

use crate::error::{ApiError, WebError};

/// Default of [`Limits::header_read_timeout`].
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// Default of [`Limits::request_timeout`].
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
/// Default of [`Limits::max_connections`].
pub const DEFAULT_MAX_CONNECTIONS: usize = 256;

/// How the console is served; part of [`AppState`]. `Transport::default()` is plain HTTP with
/// the default limits, fit for a loopback address only.
#[derive(Debug, Clone, Default)]
pub struct Transport {
    /// TLS with this certificate and key; `None`: plain HTTP.
    pub tls: Option<Tls>,
    /// A reverse proxy that terminates TLS in front of the console. When set, plain HTTP may be
    /// served beyond loopback, and only this address may connect.
    pub trusted_proxy: Option<IpAddr>,
    /// `Host` values accepted besides the defaults (the bound address, and the loopback names
    /// when the socket is reachable over loopback): the names browsers use for the console.
    pub hosts: Vec<HostEntry>,
    /// Timeouts and the connection limit.
    pub limits: Limits,
}

impl Transport {
    /// Whether the browser reaches the console over https: served with TLS here, or behind
    /// the trusted proxy that terminates it. Cookies set by the console carry `Secure` then.
    pub fn https(&self) -> bool {
        self.tls.is_some() || self.trusted_proxy.is_some()
    }

    /// Whether this transport may serve on `ip`: plain HTTP only on loopback, unless TLS or a
    /// trusted proxy is configured.
    pub fn check_exposure(&self, ip: IpAddr) -> Result<(), ExposureRefusal> {
        if ip.is_loopback() || self.https() {
            Ok(())
        } else {
            Err(ExposureRefusal::PlainBeyondLoopback(ip))
        }
    }
}

/// Why an address may not be served on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExposureRefusal {
    /// Plain HTTP on an address other than loopback, with no TLS and no trusted proxy.
    #[error(
        "refusing to serve plain HTTP on {0}, beyond loopback: configure TLS or a trusted proxy"
    )]
    PlainBeyondLoopback(IpAddr),
}

/// Timeouts and the connection limit of the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The longest a client may take to send a request head (and to finish a TLS handshake),
    /// counted from the connection's start or the end of its previous response: slow-header
    /// and idle connections are closed after it.
    pub header_read_timeout: Duration,
    /// The longest a handler may take to answer (reading the request body included); also the
    /// longest a response may wait for a client that stopped reading.
    pub request_timeout: Duration,
    /// Connections served at once; further clients wait in the listen backlog.
    pub max_connections: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            header_read_timeout: DEFAULT_HEADER_READ_TIMEOUT,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
        }
    }
}

/// The server's TLS configuration: a certificate chain and its private key (rustls, ring
/// provider, TLS 1.2 and 1.3, ALPN `http/1.1`).
#[derive(Clone)]
pub struct Tls {
    config: Arc<rustls::ServerConfig>,
}

impl fmt::Debug for Tls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Tls { .. }")
    }
}

/// Why a certificate and key could not be used.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// The certificate file holds no PEM certificate (or a broken one).
    #[error("no PEM certificate in {}", path.display())]
    NoCertificate { path: PathBuf },
    /// The key file holds no PEM private key (PKCS#8, PKCS#1 or SEC1), or a broken one.
    #[error("no PEM private key in {}", path.display())]
    NoKey { path: PathBuf },
    /// rustls refused the pair (the key does not match the certificate, an unsupported key).
    #[error("certificate and key refused: {0}")]
    Refused(#[from] rustls::Error),
}

impl Tls {
    /// Reads a PEM certificate chain (leaf first) and a PEM private key from files.
    pub fn from_pem_files(cert: &Path, key: &Path) -> Result<Tls, TlsError> {
        let read = |path: &Path| {
            std::fs::read(path).map_err(|source| TlsError::Read {
                path: path.to_path_buf(),
                source,
            })
        };
        let (cert_pem, key_pem) = (read(cert)?, read(key)?);
        Tls::from_pem_named(&cert_pem, &key_pem, cert, key)
    }

    /// The same from PEM text in memory.
    pub fn from_pem(cert_pem: &[u8], key_pem: &[u8]) -> Result<Tls, TlsError> {
        Tls::from_pem_named(
            cert_pem,
            key_pem,
            Path::new("(certificate)"),
            Path::new("(key)"),
        )
    }

    fn from_pem_named(
        cert_pem: &[u8],
        key_pem: &[u8],
        cert_name: &Path,
        key_name: &Path,
    ) -> Result<Tls, TlsError> {
        use rustls::pki_types::pem::PemObject;
        use rustls::pki_types::{CertificateDer, PrivateKeyDer};
        let no_cert = || TlsError::NoCertificate {
            path: cert_name.to_path_buf(),
        };
        let chain = CertificateDer::pem_slice_iter(cert_pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| no_cert())?;
        if chain.is_empty() {
            return Err(no_cert());
        }
        let key = PrivateKeyDer::from_pem_slice(key_pem).map_err(|_| TlsError::NoKey {
            path: key_name.to_path_buf(),
        })?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_no_client_auth()
            .with_single_cert(chain, key)?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Tls {
            config: Arc::new(config),
        })
    }
}

/// One accepted `Host`: a name or IP address, with a port or (matching any port) without.
/// Written `name`, `name:port`, `1.2.3.4:port` or `[::1]:port`; names compare case-insensitively
/// and without a trailing dot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostEntry {
    /// Lower case; an IPv6 address in brackets.
    name: String,
    port: Option<u16>,
}

/// Why a host entry is malformed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HostEntryError {
    /// Nothing given.
    #[error("empty host")]
    Empty,
    /// The port is not a number from 1 to 65535.
    #[error("bad port in {0:?}")]
    BadPort(String),
    /// The name holds characters a host name cannot (or a bracketed part is no IPv6 address).
    #[error("not a host name or address: {0:?}")]
    BadName(String),
}

impl HostEntry {
    /// Parses `name[:port]`, `[v6][:port]` or a bare IPv6 address.
    pub fn parse(text: &str) -> Result<HostEntry, HostEntryError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(HostEntryError::Empty);
        }
        let bad_port = || HostEntryError::BadPort(text.to_string());
        let port_of = |p: &str| match p.parse::<u16>() {
            Ok(n) if n > 0 => Ok(n),
            _ => Err(bad_port()),
        };
        let (name, port) = if let Some(rest) = text.strip_prefix('[') {
            let (inner, after) = rest
                .split_once(']')
                .ok_or_else(|| HostEntryError::BadName(text.to_string()))?;
            if inner.parse::<Ipv6Addr>().is_err() {
                return Err(HostEntryError::BadName(text.to_string()));
            }
            let port = match after {
                "" => None,
                p => Some(port_of(p.strip_prefix(':').ok_or_else(bad_port)?)?),
            };
            (format!("[{}]", inner.to_ascii_lowercase()), port)
        } else if let Ok(v6) = text.parse::<Ipv6Addr>() {
            (format!("[{v6}]"), None)
        } else {
            let (name, port) = match text.rsplit_once(':') {
                Some((name, p)) => (name, Some(port_of(p)?)),
                None => (text, None),
            };
            let name = name.strip_suffix('.').unwrap_or(name).to_ascii_lowercase();
            let ok = !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
            if !ok {
                return Err(HostEntryError::BadName(text.to_string()));
            }
            (name, port)
        };
        Ok(HostEntry { name, port })
    }

    fn of(ip: IpAddr, port: Option<u16>) -> HostEntry {
        let name = match ip {
            IpAddr::V4(v4) => v4.to_string(),
            IpAddr::V6(v6) => format!("[{v6}]"),
        };
        HostEntry { name, port }
    }

    /// Whether a request's host (already parsed) is this entry. A request naming no port is
    /// matched by name: browsers always send a port other than the scheme's default, so a
    /// page served from another name cannot pass by leaving it out.
    fn matches(&self, other: &HostEntry) -> bool {
        self.name == other.name
            && match (self.port, other.port) {
                (Some(a), Some(b)) => a == b,
                _ => true,
            }
    }
}

impl fmt::Display for HostEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.port {
            Some(port) => write!(f, "{}:{port}", self.name),
            None => f.write_str(&self.name),
        }
    }
}

impl std::str::FromStr for HostEntry {
    type Err = HostEntryError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        HostEntry::parse(s)
    }
}

/// The hosts a socket bound at `local` answers to.
#[derive(Debug, Clone)]
struct HostAllowList(Vec<HostEntry>);

impl HostAllowList {
    fn new(local: SocketAddr, configured: &[HostEntry]) -> HostAllowList {
        let port = Some(local.port());
        let mut entries = Vec::new();
        if !local.ip().is_unspecified() {
            entries.push(HostEntry::of(local.ip(), port));
        }
        // An unspecified address listens on loopback too.
        if local.ip().is_loopback() || local.ip().is_unspecified() {
            entries.push(HostEntry::of(Ipv4Addr::LOCALHOST.into(), port));
            entries.push(HostEntry::of(Ipv6Addr::LOCALHOST.into(), port));
            entries.push(HostEntry {
                name: "localhost".into(),
                port,
            });
        }
        entries.extend(configured.iter().cloned());
        HostAllowList(entries)
    }

    /// Checks the request's authority: the absolute-form URI's when it has one (RFC 9112
    /// §3.2.2), else the one `Host` field.
    fn check(&self, req: &Request<impl Sized>) -> Result<(), Refusal> {
        let text = match req.uri().authority() {
            Some(authority) => authority.as_str().to_string(),
            None => {
                let mut fields = req.headers().get_all(header::HOST).iter();
                match (fields.next(), fields.next()) {
                    (Some(value), None) => String::from_utf8_lossy(value.as_bytes()).into_owned(),
                    (None, _) => return Err(Refusal::NoHost),
                    (Some(_), Some(_)) => return Err(Refusal::SeveralHosts),
                }
            }
        };
        match HostEntry::parse(&text) {
            Ok(host) if self.0.iter().any(|e| e.matches(&host)) => Ok(()),
            _ => Err(Refusal::Misdirected(text)),
        }
    }
}

/// A request this layer answers itself; the server's refusal router finds it in the request's
/// extensions and words it.
#[derive(Debug, Clone)]
pub(crate) enum Refusal {
    /// The host is not on the allow-list (the text as sent).
    Misdirected(String),
    /// No `Host` field and no absolute-form URI.
    NoHost,
    /// More than one `Host` field.
    SeveralHosts,
    /// The handler did not answer in time.
    TimedOut(Duration),
}

impl Refusal {
    /// The console's error for it.
    fn error(self) -> WebError {
        match self {
            // The host as sent, cut short: it is shown back to the user.
            Refusal::Misdirected(host) => WebError::Misdirected(host.chars().take(100).collect()),
            Refusal::NoHost => WebError::BadRequest("请求未注明主机名（Host 请求头）".into()),
            Refusal::SeveralHosts => WebError::BadRequest("请求含多个 Host 请求头".into()),
            Refusal::TimedOut(limit) => WebError::Unavailable(format!(
                "请求处理超过 {} 秒，已中止，请稍后重试",
                limit.as_secs_f64()
            )),
        }
    }
}

/// What every connection of one server shares.
struct Edge {
    app: Router,
    /// Renders refusals under the security headers, as the console's other errors are.
    refusals: Router,
    hosts: HostAllowList,
    limits: Limits,
}

impl Edge {
    fn new(app: Router, refusals: Router, hosts: HostAllowList, limits: Limits) -> Edge {
        Edge {
            app,
            refusals,
            hosts,
            limits,
        }
    }

    /// One request: the host check, the connect info, the handler under the request timeout.
    async fn handle<B>(&self, peer: SocketAddr, req: Request<B>) -> Response
    where
        B: axum::body::HttpBody<Data = axum::body::Bytes> + Send + 'static,
        B::Error: Into<axum::BoxError>,
    {
        let (method, uri) = (req.method().clone(), req.uri().clone());
        if let Err(refusal) = self.hosts.check(&req) {
            return self.refuse(method, uri, refusal).await;
        }
        let mut req = req.map(Body::new);
        req.extensions_mut().insert(ConnectInfo(peer));
        let limit = self.limits.request_timeout;
        match tokio::time::timeout(limit, self.app.clone().oneshot(req)).await {
            Ok(Ok(res)) => res,
            Ok(Err(never)) => match never {},
            Err(_) => {
                tracing::warn!(%uri, "request timed out");
                self.refuse(method, uri, Refusal::TimedOut(limit)).await
            }
        }
    }

    async fn refuse(&self, method: Method, uri: Uri, refusal: Refusal) -> Response {
        let mut req = Request::new(Body::empty());
        *req.method_mut() = method;
        *req.uri_mut() = uri;
        req.extensions_mut().insert(refusal);
        match self.refusals.clone().oneshot(req).await {
            Ok(res) => res,
            Err(never) => match never {},
        }
    }
}

/// The console's refusal router: [`refused`] under the security headers. A router given to
/// [`serve`] as `refusals` answers every request it gets from the [`Refusal`] in its
/// extensions.
pub(crate) fn console_refusals() -> Router {
    Router::new()
        .fallback(refused)
        .layer(axum::middleware::from_fn(crate::headers::security))
}

/// The console's refusal router's only handler.
async fn refused(Extension(refusal): Extension<Refusal>, uri: Uri) -> Response {
    let err = refusal.error();
    if uri.path() == "/api" || uri.path().starts_with("/api/") {
        ApiError(err).into_response()
    } else {
        err.into_response()
    }
}

/// The accept loop behind [`crate::serve_until`] and [`crate::serve_portal_until`]: serves
/// `app` on `listener` with `transport` until `shutdown` completes; `refusals` answers what
/// this layer refuses (a host not allowed, a handler out of time). `what` names the server in
/// the log.
pub(crate) async fn serve(
    what: &'static str,
    app: Router,
    refusals: Router,
    transport: &Transport,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let local = listener.local_addr()?;
    let transport = transport.clone();
    transport
        .check_exposure(local.ip())
        .map_err(|refusal| io::Error::new(io::ErrorKind::PermissionDenied, refusal))?;
    tracing::info!(addr = %local, tls = transport.tls.is_some(), "{what} listening");
    let limits = transport.limits;
    let edge = Arc::new(Edge::new(
        app,
        refusals,
        HostAllowList::new(local, &transport.hosts),
        limits,
    ));
    let acceptor = transport
        .tls
        .as_ref()
        .map(|tls| tokio_rustls::TlsAcceptor::from(tls.config.clone()));
    let permits = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let (stop, stopping) = watch::channel(());
    tokio::pin!(shutdown);
    loop {
        // The permit is taken before accepting: at the limit, clients wait in the backlog.
        let permit = tokio::select! {
            biased;
            () = &mut shutdown => break,
            permit = permits.clone().acquire_owned() => permit.expect("the semaphore is never closed"),
        };
        let (stream, peer) = tokio::select! {
            biased;
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    accept_failed(e).await;
                    continue;
                }
            },
        };
        if let Some(proxy) = transport.trusted_proxy {
            if peer.ip() != proxy {
                tracing::debug!(%peer, %proxy, "connection not from the trusted proxy closed");
                continue;
            }
        }
        let _ = stream.set_nodelay(true);
        let connection = Connection {
            peer,
            edge: edge.clone(),
            stop: stopping.clone(),
        };
        let acceptor = acceptor.clone();
        tokio::spawn(async move {
            connection.run(stream, acceptor).await;
            drop(permit);
        });
    }
    drop(listener);
    drop(stopping);
    // Every connection finishes its request in flight, then closes; the last to go drops the
    // last receiver.
    stop.send_replace(());
    stop.closed().await;
    Ok(())
}

/// An accept error: a connection that died before it was accepted is skipped; anything else
/// (out of file descriptors) is logged and waited out, so that the loop does not spin.
async fn accept_failed(e: io::Error) {
    if matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    ) {
        return;
    }
    tracing::error!(error = %e, "accepting a connection failed");
    tokio::time::sleep(Duration::from_secs(1)).await;
}

/// One accepted connection.
struct Connection {
    peer: SocketAddr,
    edge: Arc<Edge>,
    stop: watch::Receiver<()>,
}

impl Connection {
    async fn run(mut self, stream: TcpStream, acceptor: Option<tokio_rustls::TlsAcceptor>) {
        let limits = self.edge.limits;
        let io = StallGuard::new(stream, limits.request_timeout);
        match acceptor {
            None => self.http(io).await,
            Some(acceptor) => {
                let handshake =
                    tokio::time::timeout(limits.header_read_timeout, acceptor.accept(io));
                let tls = tokio::select! {
                    r = handshake => r,
                    _ = self.stop.changed() => return,
                };
                match tls {
                    Ok(Ok(tls)) => self.http(tls).await,
                    Ok(Err(e)) => {
                        tracing::debug!(peer = %self.peer, error = %e, "TLS handshake failed")
                    }
                    Err(_) => tracing::debug!(peer = %self.peer, "TLS handshake timed out"),
                }
            }
        }
    }

    async fn http<IO>(mut self, io: IO)
    where
        IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let (peer, edge) = (self.peer, self.edge.clone());
        let service = hyper::service::service_fn(move |req| {
            let edge = edge.clone();
            async move { Ok::<_, Infallible>(edge.handle(peer, req).await) }
        });
        let mut builder = hyper::server::conn::http1::Builder::new();
        builder
            .timer(TokioTimer::new())
            .header_read_timeout(self.edge.limits.header_read_timeout);
        let conn = builder.serve_connection(TokioIo::new(io), service);
        tokio::pin!(conn);
        let result = tokio::select! {
            r = conn.as_mut() => r,
            _ = self.stop.changed() => {
                conn.as_mut().graceful_shutdown();
                conn.await
            }
        };
        if let Err(e) = result {
            tracing::debug!(%peer, error = %e, "connection ended");
        }
    }
}

/// A stream whose writes may not stall longer than `limit`: a client that stops reading a
/// response is cut off instead of holding its connection (and its permit) for ever.
struct StallGuard<IO> {
    io: IO,
    limit: Duration,
    stalled: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl<IO> StallGuard<IO> {
    fn new(io: IO, limit: Duration) -> StallGuard<IO> {
        StallGuard {
            io,
            limit,
            stalled: None,
        }
    }

    /// After a write came back pending: starts the stall clock, or fails once it ran out.
    fn pending<T>(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<T>> {
        let limit = self.limit;
        let sleep = self
            .stalled
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(limit)));
        match sleep.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the client stopped reading",
            ))),
            Poll::Pending => Poll::Pending,
        }
    }

    fn progress<T>(
        &mut self,
        cx: &mut Context<'_>,
        poll: Poll<io::Result<T>>,
    ) -> Poll<io::Result<T>> {
        match poll {
            Poll::Pending => self.pending(cx),
            ready => {
                self.stalled = None;
                ready
            }
        }
    }
}

impl<IO: AsyncRead + Unpin> AsyncRead for StallGuard<IO> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl<IO: AsyncWrite + Unpin> AsyncWrite for StallGuard<IO> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let poll = Pin::new(&mut self.io).poll_write(cx, buf);
        self.progress(cx, poll)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let poll = Pin::new(&mut self.io).poll_write_vectored(cx, bufs);
        self.progress(cx, poll)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let poll = Pin::new(&mut self.io).poll_flush(cx);
        self.progress(cx, poll)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let poll = Pin::new(&mut self.io).poll_shutdown(cx);
        self.progress(cx, poll)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::routing::get;
    use tokio::io::AsyncWriteExt;

    #[test]
    fn host_entries_parse_and_match() {
        let e = |s: &str| HostEntry::parse(s).unwrap();
        assert_eq!(
            e("Console.Nanning.example.").to_string(),
            "console.nanning.example"
        );
        assert_eq!(e("127.0.0.1:8080").to_string(), "127.0.0.1:8080");
        assert_eq!(e("[::1]:8443").to_string(), "[::1]:8443");
        assert_eq!(e("::1").to_string(), "[::1]");
        assert_eq!(HostEntry::parse(" "), Err(HostEntryError::Empty));
        assert!(matches!(
            HostEntry::parse("a:0"),
            Err(HostEntryError::BadPort(_))
        ));
        assert!(matches!(
            HostEntry::parse("a:http"),
            Err(HostEntryError::BadPort(_))
        ));
        assert!(matches!(
            HostEntry::parse("[::1]x"),
            Err(HostEntryError::BadPort(_))
        ));
        assert!(matches!(
            HostEntry::parse("[nope]:1"),
            Err(HostEntryError::BadName(_))
        ));
        assert!(matches!(
            HostEntry::parse("a b"),
            Err(HostEntryError::BadName(_))
        ));
        assert!(matches!(
            HostEntry::parse("evil/x"),
            Err(HostEntryError::BadName(_))
        ));

        assert!(e("console.example").matches(&e("CONSOLE.example:8443")));
        assert!(e("localhost:8080").matches(&e("localhost")));
        assert!(!e("localhost:8080").matches(&e("localhost:8081")));
        assert!(!e("localhost:8080").matches(&e("localhost.evil.example:8080")));
    }

    #[test]
    fn the_default_allow_list_follows_the_bound_address() {
        let shown = |local: &str, configured: &[&str]| {
            let configured: Vec<HostEntry> = configured
                .iter()
                .map(|h| HostEntry::parse(h).unwrap())
                .collect();
            HostAllowList::new(local.parse().unwrap(), &configured)
                .0
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(" ")
        };
        assert_eq!(
            shown("127.0.0.1:8080", &[]),
            "127.0.0.1:8080 127.0.0.1:8080 [::1]:8080 localhost:8080"
        );
        assert_eq!(
            shown("192.168.1.10:8443", &["console.example"]),
            "192.168.1.10:8443 console.example"
        );
        assert_eq!(
            shown("0.0.0.0:8443", &[]),
            "127.0.0.1:8443 [::1]:8443 localhost:8443"
        );
    }

    #[test]
    fn plain_http_beyond_loopback_is_refused() {
        let plain = Transport::default();
        let lan: IpAddr = "192.168.1.10".parse().unwrap();
        assert_eq!(plain.check_exposure("127.0.0.1".parse().unwrap()), Ok(()));
        assert_eq!(plain.check_exposure("::1".parse().unwrap()), Ok(()));
        assert_eq!(
            plain.check_exposure(lan),
            Err(ExposureRefusal::PlainBeyondLoopback(lan))
        );
        assert!(plain.check_exposure("0.0.0.0".parse().unwrap()).is_err());
        let proxied = Transport {
            trusted_proxy: Some("192.168.1.2".parse().unwrap()),
            ..Transport::default()
        };
        assert!(proxied.https());
        assert_eq!(proxied.check_exposure(lan), Ok(()));
    }

    /// A handler that never answers gets the request timeout's 503, as JSON under `/api/`.
    #[tokio::test]
    async fn a_handler_that_does_not_answer_in_time_is_answered_503() {
        let app = Router::new()
            .route("/api/slow", get(std::future::pending::<String>))
            .route("/slow", get(std::future::pending::<String>));
        let limits = Limits {
            request_timeout: Duration::from_millis(50),
            ..Limits::default()
        };
        let local: SocketAddr = "127.0.0.1:8080".parse().unwrap();
        let edge = Edge::new(
            app,
            console_refusals(),
            HostAllowList::new(local, &[]),
            limits,
        );
        let request = |path: &str| {
            Request::get(path)
                .header(header::HOST, "127.0.0.1:8080")
                .body(Body::empty())
                .unwrap()
        };
        let res = edge.handle(local, request("/api/slow")).await;
        assert_eq!(res.status(), 503);
        assert!(res.headers().contains_key(header::CONTENT_SECURITY_POLICY));
        let body = axum::body::to_bytes(res.into_body(), usize::MAX)
            .await
            .unwrap();
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(json["error"], "unavailable");
        assert!(
            json["message"]
                .as_str()
                .unwrap()
                .contains("请求处理超过 0.05 秒"),
            "{json}"
        );
        let res = edge.handle(local, request("/slow")).await;
        assert_eq!(res.status(), 503);
        let body = axum::body::to_bytes(res.into_body(), usize::MAX)
            .await
            .unwrap();
        assert!(String::from_utf8_lossy(&body).contains("请求处理超过"));
    }

    /// A write into a peer that never reads fails once it stalled for the limit.
    #[tokio::test]
    async fn a_stalled_write_fails_after_the_limit() {
        let (near, _far) = tokio::io::duplex(64);
        let mut guarded = StallGuard::new(near, Duration::from_millis(50));
        let started = tokio::time::Instant::now();
        let err = guarded.write_all(&[0u8; 4096]).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        assert!(started.elapsed() >= Duration::from_millis(50));

        // A reader that keeps up is never cut off.
        let (near, mut far) = tokio::io::duplex(64);
        let reader = tokio::spawn(async move {
            let mut sink = Vec::new();
            tokio::io::AsyncReadExt::read_to_end(&mut far, &mut sink)
                .await
                .unwrap();
            sink.len()
        });
        let mut guarded = StallGuard::new(near, Duration::from_millis(50));
        guarded.write_all(&[1u8; 100_000]).await.unwrap();
        guarded.shutdown().await.unwrap();
        drop(guarded);
        assert_eq!(reader.await.unwrap(), 100_000);
    }
}
