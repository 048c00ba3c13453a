//! The transport over real sockets on loopback: TLS, the `Host` allow-list, the header-read
//! timeout and the connection limit, the trusted proxy, graceful shutdown; and
//! `Cache-Control: no-store` on evidence and API responses.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio_rustls::rustls;
use web::transport::{ExposureRefusal, HostEntry};
use web::{AppState, Limits, Tls, Transport};

use crate::{fixture, get};

/// A console served on 127.0.0.1 until dropped or stopped.
struct Server {
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Server {
    async fn start(state: AppState) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(web::serve_until(state, listener, async {
            let _ = stopped.await;
        }));
        Server {
            addr,
            stop: Some(stop),
            task,
        }
    }

    /// Stops the server and waits until every connection has finished.
    async fn stop(mut self) {
        self.stop.take().unwrap().send(()).unwrap();
        (&mut self.task).await.unwrap().unwrap();
    }
}

/// Writes `request`, reads until the server closes; what was read (a reset ends it too).
async fn exchange_on<S: AsyncRead + AsyncWrite + Unpin>(conn: &mut S, request: &str) -> String {
    conn.write_all(request.as_bytes()).await.unwrap();
    read_all(conn).await
}

async fn read_all<S: AsyncRead + Unpin>(conn: &mut S) -> String {
    let mut raw = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match conn.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => raw.extend_from_slice(&buf[..n]),
        }
    }
    String::from_utf8_lossy(&raw).into_owned()
}

async fn exchange(addr: SocketAddr, request: &str) -> String {
    let mut conn = TcpStream::connect(addr).await.unwrap();
    exchange_on(&mut conn, request).await
}

fn get_request(path: &str, host: &str) -> String {
    format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n")
}

/// The head of a raw response, lower-cased, and its body.
fn split(text: &str) -> (String, &str) {
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((text, ""));
    (head.to_ascii_lowercase(), body)
}

#[tokio::test]
async fn serves_the_console_over_tls() {
    let fx = fixture().await;
    let generated = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    let tls = Tls::from_pem(
        generated.cert.pem().as_bytes(),
        generated.signing_key.serialize_pem().as_bytes(),
    )
    .unwrap();
    let state = AppState {
        ops: web::OpsSettings::default(),
        badges: None,
        transport: Transport {
            tls: Some(tls),
            limits: Limits {
                header_read_timeout: Duration::from_millis(300),
                ..Limits::default()
            },
            ..Transport::default()
        },
        ..fx.state.clone()
    };
    assert!(state.transport.https(), "cookies will carry Secure");
    let server = Server::start(state).await;
    let port = server.addr.port();

    let mut roots = rustls::RootCertStore::empty();
    roots.add(generated.cert.der().clone()).unwrap();
    let client = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(client));
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let tcp = TcpStream::connect(server.addr).await.unwrap();
    let mut conn = connector.connect(name, tcp).await.unwrap();
    let text = exchange_on(
        &mut conn,
        &get_request("/login", &format!("localhost:{port}")),
    )
    .await;
    assert!(text.starts_with("HTTP/1.1 200 OK\r\n"), "{text}");
    let (head, body) = split(&text);
    assert!(head.contains("content-security-policy: default-src 'none'"));
    assert!(body.contains("登录"));

    // Plain HTTP to the TLS port gets no HTTP answer.
    let text = exchange(
        server.addr,
        &get_request("/login", &format!("localhost:{port}")),
    )
    .await;
    assert!(!text.contains("HTTP/1.1"), "{text}");

    // A client that never starts the handshake is closed after the header-read timeout.
    let started = Instant::now();
    let mut idle = TcpStream::connect(server.addr).await.unwrap();
    assert_eq!(read_all(&mut idle).await, "");
    assert!(started.elapsed() >= Duration::from_millis(300));
    server.stop().await;
}

#[tokio::test]
async fn a_certificate_and_a_key_that_do_not_match_are_refused() {
    let one = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    let other = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    let e = Tls::from_pem(
        one.cert.pem().as_bytes(),
        other.signing_key.serialize_pem().as_bytes(),
    )
    .unwrap_err();
    assert!(matches!(e, web::transport::TlsError::Refused(_)), "{e}");
    let e = Tls::from_pem(
        b"not a certificate",
        one.signing_key.serialize_pem().as_bytes(),
    )
    .unwrap_err();
    assert!(
        matches!(e, web::transport::TlsError::NoCertificate { .. }),
        "{e}"
    );
    let e = Tls::from_pem(one.cert.pem().as_bytes(), one.cert.pem().as_bytes()).unwrap_err();
    assert!(matches!(e, web::transport::TlsError::NoKey { .. }), "{e}");
}

#[tokio::test]
async fn a_host_not_on_the_allow_list_is_misdirected() {
    let fx = fixture().await;
    let state = AppState {
        ops: web::OpsSettings::default(),
        badges: None,
        transport: Transport {
            hosts: vec![HostEntry::parse("console.nanning.example").unwrap()],
            ..Transport::default()
        },
        ..fx.state.clone()
    };
    let server = Server::start(state).await;
    let port = server.addr.port();

    for host in [
        format!("127.0.0.1:{port}"),
        format!("localhost:{port}"),
        format!("[::1]:{port}"),
        "127.0.0.1".to_string(),
        "console.nanning.example".to_string(),
        "CONSOLE.nanning.example:443".to_string(),
    ] {
        let text = exchange(server.addr, &get_request("/login", &host)).await;
        assert!(text.starts_with("HTTP/1.1 200 OK\r\n"), "{host}: {text}");
    }

    for host in [
        "evil.example".to_string(),
        format!("evil.example:{port}"),
        format!("127.0.0.1:{}", port.wrapping_add(1).max(1)),
        format!("localhost.evil.example:{port}"),
    ] {
        let text = exchange(server.addr, &get_request("/login", &host)).await;
        assert!(
            text.starts_with("HTTP/1.1 421 Misdirected Request\r\n"),
            "{host}: {text}"
        );
        let (head, body) = split(&text);
        assert!(head.contains("content-type: text/html"), "{head}");
        assert!(head.contains("content-security-policy: default-src 'none'"));
        assert!(head.contains("x-request-id: "));
        assert!(body.contains("主机名不符"), "{body}");
        assert!(body.contains("[console] hosts"), "{body}");
    }

    // The host as sent is shown escaped.
    let text = exchange(server.addr, &get_request("/login", "<b>x</b>.example")).await;
    assert!(text.starts_with("HTTP/1.1 421 "), "{text}");
    assert!(!text.contains("<b>x"), "{text}");

    // The API answers with its JSON envelope, not to be cached.
    let text = exchange(server.addr, &get_request("/api/sites", "evil.example")).await;
    assert!(text.starts_with("HTTP/1.1 421 "), "{text}");
    let (head, body) = split(&text);
    assert!(head.contains("content-type: application/json"), "{head}");
    assert!(head.contains("cache-control: no-store"), "{head}");
    let json: serde_json::Value = serde_json::from_str(body).unwrap();
    assert_eq!(json["error"], "misdirected");
    assert!(json["message"].as_str().unwrap().contains("evil.example"));

    // An absolute-form target's authority is the host, whatever `Host` says.
    let text = exchange(
        server.addr,
        &format!(
            "GET http://evil.example/ HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
        ),
    )
    .await;
    assert!(text.starts_with("HTTP/1.1 421 "), "{text}");

    // No host at all, or two of them: a bad request.
    let text = exchange(server.addr, "GET / HTTP/1.0\r\n\r\n").await;
    assert!(
        text.starts_with("HTTP/1.0 400 ") || text.starts_with("HTTP/1.1 400 "),
        "{text}"
    );
    assert!(text.contains("Host"), "{text}");
    let text = exchange(
        server.addr,
        &format!(
            "GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nHost: evil.example\r\nConnection: close\r\n\r\n"
        ),
    )
    .await;
    assert!(text.contains(" 400 "), "{text}");
    server.stop().await;
}

#[tokio::test]
async fn slow_clients_do_not_starve_the_server() {
    let fx = fixture().await;
    let state = AppState {
        ops: web::OpsSettings::default(),
        badges: None,
        transport: Transport {
            limits: Limits {
                header_read_timeout: Duration::from_millis(200),
                max_connections: 4,
                ..Limits::default()
            },
            ..Transport::default()
        },
        ..fx.state.clone()
    };
    let server = Server::start(state).await;
    let host = format!("127.0.0.1:{}", server.addr.port());

    // Many more than the limit, each with a request line it never finishes.
    let mut slow = Vec::new();
    for _ in 0..24 {
        let mut conn = TcpStream::connect(server.addr).await.unwrap();
        conn.write_all(b"GET / HTT").await.unwrap();
        slow.push(conn);
    }
    // Another client still gets its answer: its connection waits in the backlog until the
    // slow ones are cut off.
    let text = exchange(server.addr, &get_request("/login", &host)).await;
    assert!(text.starts_with("HTTP/1.1 200 OK\r\n"), "{text}");
    // Every slow connection was closed by the server, none answered.
    for mut conn in slow {
        let text = read_all(&mut conn).await;
        assert!(!text.contains(" 200 OK"), "{text}");
    }
    server.stop().await;
}

#[tokio::test]
async fn a_slow_header_is_cut_off_after_the_header_timeout() {
    let fx = fixture().await;
    let timeout = Duration::from_millis(400);
    let state = AppState {
        ops: web::OpsSettings::default(),
        badges: None,
        transport: Transport {
            limits: Limits {
                header_read_timeout: timeout,
                ..Limits::default()
            },
            ..Transport::default()
        },
        ..fx.state.clone()
    };
    let server = Server::start(state).await;
    let host = format!("127.0.0.1:{}", server.addr.port());

    // Half a head, then nothing.
    let started = Instant::now();
    let mut conn = TcpStream::connect(server.addr).await.unwrap();
    conn.write_all(format!("GET / HTTP/1.1\r\nHost: {host}\r\n").as_bytes())
        .await
        .unwrap();
    let text = read_all(&mut conn).await;
    assert!(started.elapsed() >= timeout);
    assert!(!text.contains(" 200 OK"), "{text}");

    // An idle keep-alive connection is closed after its answer and the same timeout.
    let mut conn = TcpStream::connect(server.addr).await.unwrap();
    conn.write_all(format!("GET /login HTTP/1.1\r\nHost: {host}\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let started = Instant::now();
    let text = read_all(&mut conn).await;
    assert!(started.elapsed() >= timeout);
    assert!(text.starts_with("HTTP/1.1 200 OK\r\n"), "{text}");
    server.stop().await;
}

#[tokio::test]
async fn behind_a_trusted_proxy_only_the_proxy_may_connect() {
    let fx = fixture().await;
    let proxy: std::net::IpAddr = "127.0.0.2".parse().unwrap();
    let state = AppState {
        ops: web::OpsSettings::default(),
        badges: None,
        transport: Transport {
            trusted_proxy: Some(proxy),
            ..Transport::default()
        },
        ..fx.state.clone()
    };
    assert!(state.transport.https(), "the proxy terminates TLS");
    let server = Server::start(state).await;
    let host = format!("127.0.0.1:{}", server.addr.port());

    let socket = TcpSocket::new_v4().unwrap();
    socket.bind((proxy, 0).into()).unwrap();
    let mut conn = socket.connect(server.addr).await.unwrap();
    let text = exchange_on(&mut conn, &get_request("/login", &host)).await;
    assert!(text.starts_with("HTTP/1.1 200 OK\r\n"), "{text}");

    let text = exchange(server.addr, &get_request("/login", &host)).await;
    assert_eq!(text, "", "a peer other than the proxy is closed unanswered");
    server.stop().await;
}

#[tokio::test]
async fn shutdown_closes_idle_connections_and_ends() {
    let fx = fixture().await;
    let server = Server::start(fx.state.clone()).await;
    let host = format!("127.0.0.1:{}", server.addr.port());
    let mut conn = TcpStream::connect(server.addr).await.unwrap();
    // A keep-alive request, answered; the connection stays open.
    conn.write_all(format!("GET /static/style.css HTTP/1.1\r\nHost: {host}\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let mut first = [0u8; 12];
    conn.read_exact(&mut first).await.unwrap();
    assert_eq!(&first, b"HTTP/1.1 200");
    server.stop().await;
    // The server ended, and with it the idle connection.
    let rest = read_all(&mut conn).await;
    assert!(!rest.contains("HTTP/1.1"), "{rest}");
}

#[tokio::test]
async fn plain_http_beyond_loopback_is_refused_before_serving() {
    let fx = fixture().await;
    let listener = TcpListener::bind("0.0.0.0:0").await.unwrap();
    let e = web::serve(fx.state.clone(), listener).await.unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::PermissionDenied);
    let refusal = e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<ExposureRefusal>())
        .expect("the refusal is the source");
    assert_eq!(
        *refusal,
        ExposureRefusal::PlainBeyondLoopback("0.0.0.0".parse().unwrap())
    );
}

#[tokio::test]
async fn evidence_api_and_logged_in_responses_are_not_stored() {
    let fx = fixture().await;
    let no_store = |path: &str| {
        let router = fx.router.clone();
        let path = path.to_string();
        async move {
            let got = get(&router, &path).await;
            got.headers
                .get("cache-control")
                .map(|v| v.to_str().unwrap().to_string())
        }
    };
    for path in [
        format!("/evidence/{}?reason=check", fx.fetch),
        format!("/evidence/{}/screenshot?reason=check", fx.fetch),
        "/evidence/999999".to_string(),
        "/api/v1/sites".to_string(),
        "/api/v1/findings".to_string(),
        "/api/nothing-here".to_string(),
    ] {
        assert_eq!(no_store(&path).await.as_deref(), Some("no-store"), "{path}");
    }
    // Every page a logged-in person sees is theirs alone.
    for path in ["/", "/sites", "/findings"] {
        assert_eq!(no_store(path).await.as_deref(), Some("no-store"), "{path}");
    }
    // What is public keeps its own caching (the stylesheet may be cached).
    for path in ["/transparency", "/evidencex"] {
        assert_eq!(no_store(path).await, None, "{path}");
    }
    assert_eq!(
        no_store("/static/style.css").await.as_deref(),
        Some("public, max-age=3600")
    );
}
