//! The object store's HTTP connections: one HTTP/1.1 connection per request (hyper), over TCP,
//! and for `https` over rustls (ring) with the server checked against Mozilla's roots
//! (webpki-roots) — a failed check fails the request. Requests carry the bodies
//! `object_store` gives (parts of an upload stream as they are), responses stream back.
//! Timeouts: 10 s to connect (and handshake), 60 s to the response's head; a body's read is
//! left to `object_store`'s retries.

use std::sync::Arc;
use std::time::Duration;

use http_body_util::BodyExt;
use hyper_util::rt::TokioIo;
use object_store::client::{
    ClientOptions, HttpClient, HttpConnector, HttpError, HttpErrorKind, HttpRequest, HttpResponse,
    HttpResponseBody, HttpService,
};
use tokio::net::TcpStream;
use tokio_rustls::rustls::pki_types::ServerName;
use tokio_rustls::rustls::{ClientConfig, RootCertStore};
use tokio_rustls::TlsConnector;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const HEAD_TIMEOUT: Duration = Duration::from_secs(60);

/// Makes the [`HttpClient`] an `object_store` builder uses.
#[derive(Debug, Clone)]
pub struct Connector {
    tls: Arc<ClientConfig>,
}

impl Connector {
    pub fn new() -> Connector {
        let roots = RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
        let tls = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map(|b| b.with_root_certificates(roots).with_no_client_auth())
            .expect("ring supports the default protocol versions");
        Connector { tls: Arc::new(tls) }
    }
}

impl Default for Connector {
    fn default() -> Self {
        Connector::new()
    }
}

impl HttpConnector for Connector {
    fn connect(&self, _options: &ClientOptions) -> object_store::Result<HttpClient> {
        Ok(HttpClient::new(Service {
            tls: self.tls.clone(),
        }))
    }
}

#[derive(Debug)]
struct Service {
    tls: Arc<ClientConfig>,
}

fn failed<E>(kind: HttpErrorKind) -> impl Fn(E) -> HttpError
where
    E: std::error::Error + Send + Sync + 'static,
{
    move |e| HttpError::new(kind, e)
}

fn timed_out(what: &'static str) -> HttpError {
    HttpError::new(
        HttpErrorKind::Timeout,
        std::io::Error::new(std::io::ErrorKind::TimedOut, what),
    )
}

#[async_trait::async_trait]
impl HttpService for Service {
    async fn call(&self, request: HttpRequest) -> Result<HttpResponse, HttpError> {
        let (mut parts, body) = request.into_parts();
        let https = match parts.uri.scheme_str() {
            Some("https") => true,
            Some("http") => false,
            other => {
                return Err(HttpError::new(
                    HttpErrorKind::Request,
                    std::io::Error::new(
                        std::io::ErrorKind::InvalidInput,
                        format!("scheme {other:?}: http or https"),
                    ),
                ))
            }
        };
        let host = parts
            .uri
            .host()
            .ok_or_else(|| {
                HttpError::new(
                    HttpErrorKind::Request,
                    std::io::Error::new(std::io::ErrorKind::InvalidInput, "no host"),
                )
            })?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string();
        let port = parts.uri.port_u16().unwrap_or(if https { 443 } else { 80 });
        if !parts.headers.contains_key(http::header::HOST) {
            let value = match parts.uri.port_u16() {
                Some(p) => format!("{}:{p}", parts.uri.host().unwrap_or_default()),
                None => parts.uri.host().unwrap_or_default().to_string(),
            };
            parts.headers.insert(
                http::header::HOST,
                value.parse().map_err(failed(HttpErrorKind::Request))?,
            );
        }
        // An HTTP/1.1 request line carries the path and query only.
        parts.uri = parts
            .uri
            .path_and_query()
            .map(|pq| pq.as_str())
            .unwrap_or("/")
            .parse()
            .map_err(failed(HttpErrorKind::Request))?;
        let request = http::Request::from_parts(parts, body);

        let connect = async {
            let tcp = TcpStream::connect((host.as_str(), port))
                .await
                .map_err(failed(HttpErrorKind::Connect))?;
            tcp.set_nodelay(true)
                .map_err(failed(HttpErrorKind::Connect))?;
            Ok::<_, HttpError>(tcp)
        };
        let tcp = tokio::time::timeout(CONNECT_TIMEOUT, connect)
            .await
            .map_err(|_| timed_out("connect"))??;
        let response = if https {
            let name =
                ServerName::try_from(host.clone()).map_err(failed(HttpErrorKind::Connect))?;
            let tls = tokio::time::timeout(
                CONNECT_TIMEOUT,
                TlsConnector::from(self.tls.clone()).connect(name, tcp),
            )
            .await
            .map_err(|_| timed_out("TLS handshake"))?
            .map_err(failed(HttpErrorKind::Connect))?;
            send(TokioIo::new(tls), request).await?
        } else {
            send(TokioIo::new(tcp), request).await?
        };
        let (parts, body) = response.into_parts();
        let body = body.map_err(failed(HttpErrorKind::Decode));
        Ok(HttpResponse::from_parts(parts, HttpResponseBody::new(body)))
    }
}

/// Sends `request` on a new HTTP/1.1 connection over `io`; the connection is driven by a
/// task until the response's body is read (or dropped).
async fn send<I>(
    io: I,
    request: http::Request<object_store::client::HttpRequestBody>,
) -> Result<http::Response<hyper::body::Incoming>, HttpError>
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let (mut sender, connection) = hyper::client::conn::http1::handshake(io)
        .await
        .map_err(failed(HttpErrorKind::Connect))?;
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::debug!(error = %e, "object storage connection ended");
        }
    });
    tokio::time::timeout(HEAD_TIMEOUT, sender.send_request(request))
        .await
        .map_err(|_| timed_out("response head"))?
        .map_err(failed(HttpErrorKind::Request))
}
