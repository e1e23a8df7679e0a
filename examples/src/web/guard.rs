//! The site's web defences, as middleware around every route:
//!
//! - every response gets a Content-Security-Policy (no inline script,
//!   `frame-ancestors 'none'`), `X-Content-Type-Options: nosniff`,
//!   `Referrer-Policy: same-origin` and, for pages, `Cache-Control:
//!   no-store` (recovery codes and QR codes must not stay in a cache);
//! - every state-changing request must come from this origin
//!   (`Sec-Fetch-Site`, else `Origin` against `Host`) and carry the
//!   session's synchronizer token in its form, else 403.

use axum::body::{Body, to_bytes};
use axum::extract::Request;
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, HOST, ORIGIN, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS,
    X_FRAME_OPTIONS,
};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use subtle::ConstantTimeEq;
use tower_sessions::Session;

use super::page::{Page, message};
use super::session::CSRF;

/// The policy: scripts and styles from this origin only (one static
/// file each), images from here or inline (the QR code is inline SVG),
/// forms posting here only, and no framing.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
    img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The largest form body read (the longest is the ticket form's 5,000
/// characters of details).
const MAX_FORM_BYTES: usize = 64 * 1024;

/// The name of the token's form field.
pub const CSRF_FIELD: &str = "csrf";

/// Adds the security headers to every response.
pub async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    headers.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if !headers.contains_key(CACHE_CONTROL) {
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// Refuses cross-origin and tokenless state-changing requests.
pub async fn same_origin_forms(request: Request, next: Next) -> Response {
    if matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    ) {
        return next.run(request).await;
    }
    if let Err(why) = same_origin(request.headers()) {
        return refuse(why);
    }
    let Some(session) = request.extensions().get::<Session>().cloned() else {
        return refuse("no session");
    };
    let (parts, body) = request.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_FORM_BYTES).await else {
        return StatusCode::PAYLOAD_TOO_LARGE.into_response();
    };
    let expected = session.get::<String>(CSRF).await.ok().flatten();
    let sent = form_field(&bytes, CSRF_FIELD);
    let genuine = match (expected, sent) {
        (Some(expected), Some(sent)) => bool::from(expected.as_bytes().ct_eq(sent)),
        _ => false,
    };
    if !genuine {
        return refuse("the form's token is missing or stale");
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

/// Whether the browser says the request comes from this origin. Both
/// signals are checked when present; with neither (not a browser), the
/// token alone decides.
fn same_origin(headers: &HeaderMap) -> Result<(), &'static str> {
    if let Some(site) = headers.get("sec-fetch-site")
        && site.as_bytes() != b"same-origin"
    {
        return Err("a cross-site request");
    }
    if let Some(origin) = headers.get(ORIGIN) {
        let host = headers.get(HOST).ok_or("no Host header")?.as_bytes();
        let origin = origin.as_bytes();
        let rest = origin
            .strip_prefix(b"http://")
            .or_else(|| origin.strip_prefix(b"https://"));
        if rest != Some(host) {
            return Err("a request from another origin");
        }
    }
    Ok(())
}

/// The raw value of `name` in an `application/x-www-form-urlencoded`
/// body (the token is base64url, which forms never escape).
fn form_field<'a>(body: &'a [u8], name: &str) -> Option<&'a [u8]> {
    body.split(|b| *b == b'&').find_map(|pair| {
        let mut halves = pair.splitn(2, |b| *b == b'=');
        (halves.next()? == name.as_bytes()).then(|| halves.next().unwrap_or_default())
    })
}

fn refuse(why: &str) -> Response {
    eprintln!("refused a state-changing request: {why}");
    message(
        StatusCode::FORBIDDEN,
        Page::default(),
        "This form cannot be accepted",
        "It expired, or it was sent from another site. Go back, reload the page and try again.",
        Some(("/", "Home")),
    )
    .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn only_this_origin_may_post() {
        let host = ("host", "127.0.0.1:8080");
        assert!(same_origin(&headers(&[host, ("origin", "http://127.0.0.1:8080")])).is_ok());
        assert!(same_origin(&headers(&[host, ("sec-fetch-site", "same-origin")])).is_ok());
        assert!(same_origin(&headers(&[host])).is_ok(), "no browser signal");
        assert!(same_origin(&headers(&[host, ("origin", "http://evil.example")])).is_err());
        assert!(same_origin(&headers(&[host, ("origin", "null")])).is_err());
        assert!(
            same_origin(&headers(&[
                host,
                ("origin", "http://127.0.0.1:8080.evil.example")
            ]))
            .is_err()
        );
        assert!(same_origin(&headers(&[host, ("sec-fetch-site", "cross-site")])).is_err());
        assert!(same_origin(&headers(&[host, ("sec-fetch-site", "same-site")])).is_err());
    }

    #[test]
    fn the_token_is_read_from_the_form() {
        assert_eq!(form_field(b"a=1&csrf=xyz&b=2", "csrf"), Some(&b"xyz"[..]));
        assert_eq!(form_field(b"csrf", "csrf"), Some(&b""[..]));
        assert_eq!(form_field(b"xcsrf=1", "csrf"), None);
        assert_eq!(form_field(b"", "csrf"), None);
    }
}
