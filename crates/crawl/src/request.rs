//! One HTTP request under the crawler's rules, for services the platform calls rather than
//! crawls: a `POST` to an RFC 3161 time-stamping authority, a `GET` of a certificate
//! transparency log's JSON API. The same address policy as every fetch (each connection
//! resolved and checked through [`crate::resolve`], so a private address must be allow-listed
//! with `--resolve`), the same connect / response-head / total timeouts, TLS for `https` through
//! the crawler's client, and a cap on the response body. Nothing here is evidence: the answer
//! is returned, not recorded, and no robots.txt is asked (these are APIs, not pages). Redirects
//! are never followed: a `POST` is not replayed, and an API that moves is the caller's to
//! reconfigure. A `GET` sends no `Accept-Encoding`, so the body comes back as the server has it.

use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::Full;
use hyper::client::conn::http1::SendRequest;
use tokio::time::Instant;
use url::Url;

use crate::error::FetchError;
use crate::fetch::path_and_query;
use crate::CrawlConfig;

/// The answer to a [`post`] or a [`get`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The HTTP status code.
    pub status: u16,
    /// The `Content-Type` header, if any.
    pub content_type: Option<String>,
    /// The body, de-chunked, at most the cap given.
    pub body: Bytes,
    /// The body was longer than the cap (and `body` holds its first bytes).
    pub truncated: bool,
    /// The address the request went to.
    pub remote_addr: SocketAddr,
}

/// POSTs `body` (of type `content_type`, asking for `accept`) to `url` with the crawler's
/// User-Agent, address policy and timeouts, reading at most `body_cap` bytes of the answer.
pub async fn post(
    config: &CrawlConfig,
    url: &Url,
    content_type: &str,
    accept: &str,
    body: Bytes,
    body_cap: usize,
) -> Result<Response, FetchError> {
    let request = builder(http::Method::POST, config, url, accept)?
        .header(http::header::CONTENT_TYPE, content_type)
        .header(http::header::CONTENT_LENGTH, body.len())
        .body(Full::new(body))
        .map_err(|e| FetchError::InvalidUrl(e.to_string()))?;
    send(config, url, request, body_cap).await
}

/// GETs `url` (asking for `accept`) with the crawler's User-Agent, address policy and
/// timeouts, reading at most `body_cap` bytes of the answer. A redirect is returned as it is
/// (status and body), not followed.
pub async fn get(
    config: &CrawlConfig,
    url: &Url,
    accept: &str,
    body_cap: usize,
) -> Result<Response, FetchError> {
    let request = builder(http::Method::GET, config, url, accept)?
        .body(Full::new(Bytes::new()))
        .map_err(|e| FetchError::InvalidUrl(e.to_string()))?;
    send(config, url, request, body_cap).await
}

/// A request to `url` with the headers every request here carries.
fn builder(
    method: http::Method,
    config: &CrawlConfig,
    url: &Url,
    accept: &str,
) -> Result<http::request::Builder, FetchError> {
    let (host, _) = host_and_port(url)?;
    let host_header = match url.port() {
        Some(p) => format!("{host}:{p}"),
        None => host.to_owned(),
    };
    Ok(http::Request::builder()
        .method(method)
        .uri(path_and_query(url))
        .header(http::header::HOST, host_header)
        .header(http::header::USER_AGENT, config.user_agent.as_str())
        .header(http::header::ACCEPT, accept)
        .header(http::header::CONNECTION, "close"))
}

/// The host and port of an `http` or `https` URL.
fn host_and_port(url: &Url) -> Result<(&str, u16), FetchError> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(FetchError::Unsupported {
            scheme: url.scheme().to_owned(),
        });
    }
    let host = url
        .host_str()
        .ok_or_else(|| FetchError::InvalidUrl("no host".to_owned()))?;
    let port = url
        .port_or_known_default()
        .ok_or_else(|| FetchError::InvalidUrl("no port".to_owned()))?;
    Ok((host, port))
}

/// Sends `request` to `url`'s host on a new connection and reads the answer under the
/// timeouts and the body cap.
async fn send(
    config: &CrawlConfig,
    url: &Url,
    request: http::Request<Full<Bytes>>,
    body_cap: usize,
) -> Result<Response, FetchError> {
    let (host, port) = host_and_port(url)?;
    let deadline = Instant::now() + config.request_timeout;
    let (mut sender, remote_addr) = connect(config, host, port, url.scheme() == "https").await?;
    let head_deadline = deadline.min(Instant::now() + config.header_timeout);
    let response = match tokio::time::timeout_at(head_deadline, sender.send_request(request)).await
    {
        Err(_) if config.header_timeout < config.request_timeout => {
            return Err(FetchError::HeaderTimeout(config.header_timeout))
        }
        Err(_) => return Err(FetchError::Timeout(config.request_timeout)),
        Ok(Err(e)) => return Err(FetchError::Http(e.to_string())),
        Ok(Ok(r)) => r,
    };
    let (parts, mut incoming) = response.into_parts();
    let read =
        crate::fetch::read_body(&mut incoming, deadline, body_cap, 0, config.request_timeout).await;
    read.result?;
    Ok(Response {
        status: parts.status.as_u16(),
        content_type: parts
            .headers
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        body: read.bytes,
        truncated: read.truncated,
        remote_addr,
    })
}

/// A new connection to `host:port` (resolved and checked), through TLS when `https`.
async fn connect(
    config: &CrawlConfig,
    host: &str,
    port: u16,
    https: bool,
) -> Result<(SendRequest<Full<Bytes>>, SocketAddr), FetchError> {
    let (addr, _dns) =
        crate::resolve::resolve(&config.resolve, config.allow_private, host, port).await?;
    let timeout = config.connect_timeout;
    let connect = async {
        let stream = tokio::net::TcpStream::connect(addr)
            .await
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::ConnectionRefused => FetchError::ConnectRefused,
                _ => FetchError::Connect(e.to_string()),
            })?;
        let _ = stream.set_nodelay(true);
        if https {
            let hosts = crate::hosts::Hosts::new(config);
            let (tls, _info) = hosts.tls()?.connect(host, stream).await?;
            crate::fetch::http1(tls).await
        } else {
            crate::fetch::http1(stream).await
        }
    };
    let sender = tokio::time::timeout(timeout, connect)
        .await
        .map_err(|_| FetchError::ConnectTimeout(timeout))??;
    Ok((sender, addr))
}
