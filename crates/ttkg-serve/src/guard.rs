//! Who may call, checked before any route runs.
//!
//! - DNS rebinding: a page of `attacker.example` whose name is made to point
//!   at 127.0.0.1 reaches a loopback server with `Host: attacker.example`.
//!   A server bound to loopback answers only requests addressed to a
//!   loopback name (421 otherwise).
//! - Cross-site requests: a page of another site may send a form or an
//!   image request to the server even when it cannot read the answer. A
//!   request from a page of another origin is refused (403) before it is
//!   evaluated, unless `--cors-origin` allows that origin.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::ApiError;

/// The rules, from the server's address and its CORS origins.
#[derive(Debug, Clone)]
pub struct Policy {
    /// Host names requests may be addressed to; `None`: any (the server
    /// listens on the network and is named however the network names it).
    pub hosts: Option<Vec<String>>,
    /// Origins whose pages may call; `*` any.
    pub origins: Vec<String>,
}

impl Policy {
    /// The policy of a server listening on `address`.
    pub fn new(address: Option<std::net::SocketAddr>, origins: &[String]) -> Self {
        let hosts = address.filter(|a| a.ip().is_loopback()).map(|a| {
            let mut hosts = vec![
                "localhost".to_owned(),
                "127.0.0.1".to_owned(),
                "[::1]".to_owned(),
            ];
            let own = match a.ip() {
                std::net::IpAddr::V6(ip) => format!("[{ip}]"),
                ip => ip.to_string(),
            };
            if !hosts.contains(&own) {
                hosts.push(own);
            }
            hosts
        });
        Policy {
            hosts,
            origins: origins
                .iter()
                .map(|o| o.trim_end_matches('/').to_owned())
                .collect(),
        }
    }

    fn host_allowed(&self, host: &str) -> bool {
        let Some(hosts) = &self.hosts else {
            return true;
        };
        let name = if host.starts_with('[') {
            host.split_inclusive(']').next().unwrap_or(host)
        } else {
            host.split(':').next().unwrap_or(host)
        };
        hosts.iter().any(|h| h.eq_ignore_ascii_case(name))
    }

    fn origin_allowed(&self, origin: &str, host: Option<&str>) -> bool {
        let origin = origin.trim_end_matches('/');
        let same = host.is_some_and(|h| {
            origin.eq_ignore_ascii_case(&format!("http://{h}"))
                || origin.eq_ignore_ascii_case(&format!("https://{h}"))
        });
        same || self
            .origins
            .iter()
            .any(|o| o == "*" || o.eq_ignore_ascii_case(origin))
    }
}

/// The middleware: 421 for a foreign `Host`, 403 for another site's page.
pub async fn guard(State(policy): State<Arc<Policy>>, request: Request, next: Next) -> Response {
    match refusal(&policy, &request) {
        Some(refused) => refused.into_response(),
        None => next.run(request).await,
    }
}

/// Why `request` is refused, if it is.
fn refusal(policy: &Policy, request: &Request) -> Option<ApiError> {
    let text = |name: &str| {
        request
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let host = text(header::HOST.as_str());
    if let Some(host) = &host {
        if !policy.host_allowed(host) {
            return Some(ApiError::new(
                StatusCode::MISDIRECTED_REQUEST,
                format!("this server answers requests addressed to this machine (localhost, 127.0.0.1) only, not to {host}"),
            ));
        }
    }
    let cross_site = match text(header::ORIGIN.as_str()) {
        // Firefox sends `Origin: null` from sandboxed and file pages.
        Some(origin) => !policy.origin_allowed(&origin, host.as_deref()),
        // Without an Origin (an image, a link), browsers still say where
        // a request comes from; a page navigated to is the user's doing.
        None => {
            text("sec-fetch-site").as_deref() == Some("cross-site")
                && !(text("sec-fetch-mode").as_deref() == Some("navigate")
                    && request.method() == Method::GET)
                && !policy.origins.iter().any(|o| o == "*")
        }
    };
    cross_site.then(|| {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "requests from pages of other sites are refused; start the server with --cors-origin ORIGIN to let that site's pages call it",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_servers_answer_loopback_names_only() {
        let policy = Policy::new(Some("127.0.0.1:7878".parse().unwrap()), &[]);
        for host in [
            "127.0.0.1:7878",
            "localhost:7878",
            "LOCALHOST",
            "[::1]:7878",
        ] {
            assert!(policy.host_allowed(host), "{host}");
        }
        for host in [
            "rebind.attacker.example",
            "127.0.0.1.nip.io:7878",
            "10.0.0.5:7878",
        ] {
            assert!(!policy.host_allowed(host), "{host}");
        }
        let open = Policy::new(Some("0.0.0.0:7878".parse().unwrap()), &[]);
        assert!(open.host_allowed("ttkg.intranet.example:7878"));
    }

    #[test]
    fn only_the_same_origin_and_allowed_ones_may_call() {
        let policy = Policy::new(
            Some("127.0.0.1:7878".parse().unwrap()),
            &["https://yasgui.example.org/".to_owned()],
        );
        assert!(policy.origin_allowed("http://127.0.0.1:7878", Some("127.0.0.1:7878")));
        assert!(policy.origin_allowed("https://yasgui.example.org", Some("127.0.0.1:7878")));
        assert!(!policy.origin_allowed("http://evil.example", Some("127.0.0.1:7878")));
        assert!(!policy.origin_allowed("null", Some("127.0.0.1:7878")));
    }
}
