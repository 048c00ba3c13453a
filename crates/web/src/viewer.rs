//! Who is asking, and therefore which rows they may see. The one place a request's [`Scope`] is
//! decided: handlers take a [`Viewer`] and call [`Viewer::scope`], never build a `Scope`
//! themselves. Today there is no login (the console is bound to 127.0.0.1) and every viewer is
//! city staff; the later users-and-districts issue replaces the body of `from_request_parts`
//! (session cookie → user → scope) without touching a handler. The same goes for
//! [`Viewer::actor`], the "who" of the chain of custody.

use std::convert::Infallible;
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use store::Scope;

/// The person behind a request, as far as the console knows.
#[derive(Debug, Clone)]
pub struct Viewer {
    scope: Scope,
    /// The peer address, when the server was started with connect info (`serve` is).
    remote: Option<SocketAddr>,
}

impl Viewer {
    /// The rows this viewer may read. Every store read of district-owned rows takes this.
    pub fn scope(&self) -> Scope {
        self.scope.clone()
    }

    /// Who this viewer is for the custody log: `console` and the peer address when known
    /// (`console 127.0.0.1:50412`). With logins this becomes the user.
    pub fn actor(&self) -> String {
        match self.remote {
            Some(addr) => format!("console {addr}"),
            None => "console".to_string(),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Viewer {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        // No authentication yet: see the module docs.
        let remote = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| *addr);
        Ok(Viewer {
            scope: Scope::City,
            remote,
        })
    }
}
