//! TLS for `https` fetches (rustls with the ring provider), and what a handshake showed, kept as
//! evidence ([`TlsInfo`]: protocol, cipher suite, SNI, the SHA-256 fingerprint of every
//! certificate the server presented, and whether the chain verified).
//!
//! Certificates are checked against Mozilla's root store (webpki-roots) plus any roots the
//! operator adds, but a failed check does not stop the capture: fraudulent and hijacked sites
//! often present invalid certificates, and that is evidence too (`tls-verified: no (…)` in the
//! capture's metadata). The handshake's own signatures are always verified, so the server
//! holds the key of the certificate it presented. Must not decide what to fetch.

use std::sync::Arc;

use sha2::{Digest, Sha256};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_rustls::rustls::client::danger::{
    HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier,
};
use tokio_rustls::rustls::client::WebPkiServerVerifier;
use tokio_rustls::rustls::crypto::{ring, CryptoProvider};
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use tokio_rustls::rustls::{
    ClientConfig, DigitallySignedStruct, Error as TlsError, RootCertStore, SignatureScheme,
};
use tokio_rustls::TlsConnector;

use crate::error::FetchError;

/// What the TLS handshake of a connection showed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsInfo {
    /// The name sent as SNI and checked against the certificate.
    pub server_name: String,
    /// `TLSv1_3`, `TLSv1_2`.
    pub version: String,
    /// `TLS13_AES_256_GCM_SHA384`, …
    pub cipher_suite: String,
    /// `sha256:<hex>` of each certificate's DER, the server's own first.
    pub chain_sha256: Vec<String>,
    /// Whether the chain verified against the trusted roots for `server_name`, or why not.
    pub verified: Result<(), String>,
}

impl TlsInfo {
    /// The `tls-*` fields of a capture's metadata record.
    pub fn metadata(&self) -> Vec<(String, String)> {
        let mut m = vec![
            ("tls-version".to_string(), self.version.clone()),
            ("tls-cipher-suite".to_string(), self.cipher_suite.clone()),
            ("tls-server-name".to_string(), self.server_name.clone()),
        ];
        if let Some(leaf) = self.chain_sha256.first() {
            m.push(("tls-certificate-sha256".to_string(), leaf.clone()));
        }
        m.push(("tls-chain-sha256".to_string(), self.chain_sha256.join(" ")));
        m.push((
            "tls-verified".to_string(),
            match &self.verified {
                Ok(()) => "yes".to_string(),
                Err(why) => format!("no ({why})"),
            },
        ));
        m
    }
}

/// Accepts any certificate during the handshake (the verdict is taken afterwards and kept),
/// while checking the handshake's signatures for real.
#[derive(Debug)]
struct RecordingVerifier {
    inner: Arc<WebPkiServerVerifier>,
}

impl ServerCertVerifier for RecordingVerifier {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, TlsError> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, TlsError> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, TlsError> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// The TLS client of one crawl.
pub(crate) struct TlsClient {
    connector: TlsConnector,
    verifier: Arc<WebPkiServerVerifier>,
}

impl std::fmt::Debug for TlsClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TlsClient")
    }
}

impl TlsClient {
    /// Mozilla's roots plus `extra_roots` (DER).
    pub(crate) fn new(extra_roots: &[Vec<u8>]) -> Result<TlsClient, String> {
        let provider: Arc<CryptoProvider> = Arc::new(ring::default_provider());
        let mut roots = RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        for der in extra_roots {
            roots
                .add(CertificateDer::from(der.clone()))
                .map_err(|e| format!("bad extra root certificate: {e}"))?;
        }
        let verifier =
            WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
                .build()
                .map_err(|e| e.to_string())?;
        let mut config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(RecordingVerifier {
                inner: verifier.clone(),
            }))
            .with_no_client_auth();
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(TlsClient {
            connector: TlsConnector::from(Arc::new(config)),
            verifier,
        })
    }

    /// The handshake over `tcp` for `host`, and what it showed.
    pub(crate) async fn connect(
        &self,
        host: &str,
        tcp: TcpStream,
    ) -> Result<(TlsStream<TcpStream>, TlsInfo), FetchError> {
        let bare = host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(host);
        let name = ServerName::try_from(bare.to_string())
            .map_err(|e| FetchError::Tls(format!("bad server name {host}: {e}")))?;
        let stream = self
            .connector
            .connect(name.clone(), tcp)
            .await
            .map_err(|e| FetchError::Tls(e.to_string()))?;
        let conn = stream.get_ref().1;
        let certs: Vec<CertificateDer<'static>> = conn
            .peer_certificates()
            .map(<[_]>::to_vec)
            .unwrap_or_default();
        let verified = match certs.split_first() {
            None => Err("no certificate".to_string()),
            Some((leaf, rest)) => self
                .verifier
                .verify_server_cert(leaf, rest, &name, &[], UnixTime::now())
                .map(|_| ())
                .map_err(|e| e.to_string()),
        };
        let info = TlsInfo {
            server_name: bare.to_string(),
            version: conn
                .protocol_version()
                .map(|v| format!("{v:?}"))
                .unwrap_or_default(),
            cipher_suite: conn
                .negotiated_cipher_suite()
                .map(|s| format!("{:?}", s.suite()))
                .unwrap_or_default(),
            chain_sha256: certs
                .iter()
                .map(|c| format!("sha256:{}", hex::encode(Sha256::digest(c.as_ref()))))
                .collect(),
            verified,
        };
        Ok((stream, info))
    }
}
