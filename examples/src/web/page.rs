//! Rendering: what every page shows (the base template's data), errors
//! as pages, throttled answers with `Retry-After`, and times for people.

use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use time::{OffsetDateTime, UtcOffset};

/// What the base template shows on every page.
#[derive(Clone, Debug, Default)]
pub struct Page {
    /// The synchronizer token every form carries.
    pub csrf: String,
    /// The signed-in user's name.
    pub user: Option<String>,
    /// Whether the signed-in user is staff.
    pub staff: bool,
    /// A one-time notice from the previous request ("Signed out.").
    pub notice: Option<String>,
}

/// A failure that is the site's, not the user's: logged (no secret is
/// in any of these errors) and shown as a plain 500 page.
#[derive(Debug)]
pub struct AppError(pub String);

impl<E: std::error::Error> From<E> for AppError {
    fn from(e: E) -> Self {
        let mut text = e.to_string();
        let mut source = e.source();
        while let Some(s) = source {
            text.push_str(": ");
            text.push_str(&s.to_string());
            source = s.source();
        }
        Self(text)
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        eprintln!("error: {}", self.0);
        let page = MessagePage {
            page: Page::default(),
            title: "Something went wrong".into(),
            text: "The site could not finish this request. Try again in a moment.".into(),
            link: Some(("/".into(), "Home".into())),
        };
        let body = page
            .render()
            .unwrap_or_else(|_| "Something went wrong".to_owned());
        (StatusCode::INTERNAL_SERVER_ERROR, Html(body)).into_response()
    }
}

/// A handler's result.
pub type Reply = Result<Response, AppError>;

/// A page with a title, a sentence and a link.
#[derive(Template)]
#[template(path = "message.html")]
pub struct MessagePage {
    /// The base.
    pub page: Page,
    /// The heading.
    pub title: String,
    /// The sentence.
    pub text: String,
    /// Where to go next: (path, label).
    pub link: Option<(String, String)>,
}

/// Renders `template` as a 200 page.
pub fn render(template: &impl Template) -> Reply {
    Ok(Html(template.render()?).into_response())
}

/// Renders `template` with `status`.
pub fn render_status(status: StatusCode, template: &impl Template) -> Reply {
    Ok((status, Html(template.render()?)).into_response())
}

/// A page saying something, with a status.
pub fn message(
    status: StatusCode,
    page: Page,
    title: &str,
    text: &str,
    link: Option<(&str, &str)>,
) -> Reply {
    render_status(
        status,
        &MessagePage {
            page,
            title: title.to_owned(),
            text: text.to_owned(),
            link: link.map(|(a, b)| (a.to_owned(), b.to_owned())),
        },
    )
}

/// A 303 to `to` (after a POST, so a reload does not repeat it).
pub fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}

/// "Too many attempts": 429 with `Retry-After` (seconds, from
/// `latchkey::retry_after_seconds`), or locked until support unlocks.
pub fn throttled(page: Page, retry_at: Option<OffsetDateTime>, now: OffsetDateTime) -> Reply {
    let text = match retry_at {
        Some(at) => format!("Too many attempts. Try again at {}.", when(at)),
        None => "Too many attempts: this account is locked. Contact support to unlock it.".into(),
    };
    let mut response = message(
        StatusCode::TOO_MANY_REQUESTS,
        page,
        "Too many attempts",
        &text,
        Some(("/", "Home")),
    )?;
    if let Some(at) = retry_at {
        with_retry_after(&mut response, at, now);
    }
    Ok(response)
}

/// The page for an overloaded service (every hashing slot taken and the
/// queue full): 503 with `Retry-After`.
pub fn busy(page: Page, retry_at: OffsetDateTime, now: OffsetDateTime) -> Reply {
    let mut response = message(
        StatusCode::SERVICE_UNAVAILABLE,
        page,
        "Busy",
        "The service is busy. Try again in a moment.",
        Some(("/login", "Sign In")),
    )?;
    with_retry_after(&mut response, retry_at, now);
    Ok(response)
}

/// Adds `Retry-After` to a response.
pub fn with_retry_after(response: &mut Response, at: OffsetDateTime, now: OffsetDateTime) {
    let seconds = latchkey::retry_after_seconds(at, now);
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
}

/// A time for people: `2026-12-01 14:03:22 UTC`.
pub fn when(at: OffsetDateTime) -> String {
    let at = at.to_offset(UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02} UTC",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second()
    )
}

/// A date for people: `2026-12-01`.
pub fn day(at: OffsetDateTime) -> String {
    let at = at.to_offset(UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}",
        at.year(),
        u8::from(at.month()),
        at.day()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_in_utc() {
        let at = OffsetDateTime::UNIX_EPOCH + time::Duration::seconds(1_764_598_402);
        assert_eq!(when(at), "2025-12-01 14:13:22 UTC");
        assert_eq!(day(at), "2025-12-01");
    }
}
