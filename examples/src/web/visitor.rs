//! Who is asking: the session, the signed-in user (checked against the
//! account's security stamp on every request), and what latchkey is told
//! about the client.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::header::{COOKIE, LOCATION, SET_COOKIE, USER_AGENT};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use latchkey::core::AccountId;
use latchkey::{Authentication, ClientContext, DeviceCookie, Sensitive, SignedIn};
use time::Duration;
use tower_sessions::Session;

use super::App;
use super::page::{AppError, Page, Reply, see_other};
use super::session::{self, AFTER_SIGN_IN, AUTH, CSRF, NEXT, NOTICE};

/// How long a remembered device is remembered (latchkey's default).
pub const DEVICE_TTL: Duration = Duration::days(90);

/// A signed-in user.
#[derive(Clone, Debug)]
pub struct User {
    /// What the sign-in proved (current: checked on this request).
    pub auth: Authentication,
    /// The account.
    pub account: AccountId,
    /// The username.
    pub login: String,
    /// Staff may review tickets.
    pub staff: bool,
}

/// The request's visitor.
#[derive(Debug)]
pub struct Visitor {
    /// The server-side session.
    pub session: Session,
    /// The signed-in user, if any.
    pub user: Option<User>,
    /// For latchkey's per-client budget and remembered devices.
    pub client: ClientContext,
    /// The remembered-device tokens the browser sent.
    pub device_tokens: Vec<String>,
}

impl FromRequestParts<Arc<App>> for Visitor {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> Result<Self, AppError> {
        let session = Session::from_request_parts(parts, app)
            .await
            .map_err(|(_, why)| AppError(why.to_owned()))?;
        let device_tokens = device_tokens(&parts.headers, app.secure);
        let mut client = ClientContext::new()
            .with_device_tokens(device_tokens.clone())
            .with_device_label(device_label(&parts.headers));
        if let Some(ConnectInfo(peer)) = parts.extensions.get::<ConnectInfo<SocketAddr>>() {
            client = client.with_client(peer.ip().to_string());
        }
        let user = signed_in_user(app, &session).await?;
        Ok(Self {
            session,
            user,
            client,
            device_tokens,
        })
    }
}

/// The session's user, if its authentication is still current; a
/// session whose account changed its password, a factor or its address
/// elsewhere ends here.
async fn signed_in_user(app: &App, session: &Session) -> Result<Option<User>, AppError> {
    let Some(text) = session::get::<String>(session, AUTH).await? else {
        return Ok(None);
    };
    let current = match text.parse::<Authentication>() {
        Ok(auth) if app.flow.is_current(&auth).await? => Some(auth),
        _ => None,
    };
    let profile = match &current {
        Some(auth) => app.book.profile(auth.account()).await?,
        None => None,
    };
    let (Some(auth), Some((login, staff))) = (current, profile) else {
        session.flush().await?;
        session::notice(session, "Your session ended. Sign in again.").await?;
        return Ok(None);
    };
    Ok(Some(User {
        account: auth.account().clone(),
        auth,
        login,
        staff,
    }))
}

impl Visitor {
    /// The base template's data: the CSRF token (made on first use) and
    /// the notice left by the previous request (shown once).
    pub async fn page(&self) -> Result<Page, AppError> {
        let csrf = match session::get::<String>(&self.session, CSRF).await? {
            Some(token) => token,
            None => rotate_csrf(&self.session).await?,
        };
        Ok(Page {
            csrf,
            user: self.user.as_ref().map(|u| u.login.clone()),
            staff: self.user.as_ref().is_some_and(|u| u.staff),
            notice: session::take(&self.session, NOTICE).await?,
        })
    }

    /// Starts the signed-in session after a completed sign-in: a fresh
    /// session under a new id (no fixation), a new CSRF token, the
    /// authentication kept as text, and the remembered-device cookie when
    /// latchkey made one.
    pub async fn sign_in(
        &self,
        app: &App,
        done: &SignedIn,
        response: &mut Response,
    ) -> Result<(), AppError> {
        // Nothing from before the sign-in carries over (a pending
        // challenge, a half-filled ticket), and the id is new; only the
        // command-line login page the visitor came from is kept, to go
        // back to.
        let after = session::take::<String>(&self.session, AFTER_SIGN_IN)
            .await?
            .filter(|path| path.starts_with("/login/cli/"));
        self.session.clear().await;
        if let Some(path) = after {
            response
                .headers_mut()
                .insert(LOCATION, HeaderValue::try_from(path)?);
        }
        self.session.cycle_id().await?;
        session::put(&self.session, AUTH, done.authentication.to_string()).await?;
        rotate_csrf(&self.session).await?;
        if let Some(token) = &done.device_token
            && let Some(cookie) = DeviceCookie::set_cookie(token, DEVICE_TTL, app.secure)
        {
            response
                .headers_mut()
                .append(SET_COOKIE, HeaderValue::try_from(cookie)?);
        }
        Ok(())
    }

    /// Keeps a renewed authentication (after a sensitive change or a
    /// confirmation).
    pub async fn renew(&self, auth: &Authentication) -> Result<(), AppError> {
        // A new session id with the renewed authentication: a copy of the
        // old cookie (stolen before the change) stops working too.
        self.session.cycle_id().await?;
        session::put(&self.session, AUTH, auth.to_string()).await
    }
}

/// A signed-in visitor: extracting one sends everyone else to "Sign In".
#[derive(Debug)]
pub struct Member {
    /// The request's visitor.
    pub visitor: Visitor,
    /// Who is signed in.
    pub user: User,
}

impl FromRequestParts<Arc<App>> for Member {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> Result<Self, Response> {
        let visitor = Visitor::from_request_parts(parts, app)
            .await
            .map_err(IntoResponse::into_response)?;
        match visitor.user.clone() {
            Some(user) => Ok(Self { visitor, user }),
            None => {
                let noted = session::notice(&visitor.session, "Sign in first.").await;
                Err(match noted {
                    Ok(()) => see_other("/login"),
                    Err(e) => e.into_response(),
                })
            }
        }
    }
}

impl Member {
    /// Whether the sign-in (or the last "Confirm it's you") is younger
    /// than the flow's fresh window, for the host's own sensitive steps
    /// (latchkey keeps its own check private).
    pub fn is_fresh(&self, app: &App) -> bool {
        app.flow.now() - self.user.auth.at() < app.fresh_window
    }

    /// A sensitive change's outcome once latchkey tried it (the session
    /// goes on under the authentication it returned), or, when it asked
    /// for a fresh one, the "Confirm it's you" redirect (back to `next`)
    /// to answer instead.
    pub async fn settle<T>(
        &self,
        answer: Sensitive<T>,
        next: &str,
    ) -> Result<Result<T, Response>, AppError> {
        match answer {
            Sensitive::Done {
                outcome,
                authentication,
            } => {
                self.visitor.renew(&authentication).await?;
                Ok(Ok(outcome))
            }
            Sensitive::NeedsFreshAuthentication => Ok(Err(self.confirm_first(next).await?)),
        }
    }

    /// "Confirm it's you" first, then back to `next`.
    pub async fn confirm_first(&self, next: &str) -> Reply {
        session::put(&self.visitor.session, NEXT, next).await?;
        session::notice(
            &self.visitor.session,
            "This change needs a recent sign-in: confirm it's you, then try again.",
        )
        .await?;
        Ok(see_other("/confirm"))
    }
}

/// A new CSRF token for the session.
async fn rotate_csrf(session: &Session) -> Result<String, AppError> {
    let mut bytes = [0u8; 32];
    latchkey::core::random::fill(&mut bytes)?;
    let token = data_encoding::BASE64URL_NOPAD.encode(&bytes);
    session::put(session, CSRF, &token).await?;
    Ok(token)
}

/// Every remembered-device token in the request's cookies (with
/// `secure`, only the `__Host-` ones, which nobody else can plant).
fn device_tokens(headers: &HeaderMap, secure: bool) -> Vec<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|header| DeviceCookie::tokens(header, secure))
        .collect()
}

/// What to call the device ("Chrome on Linux"), from its user agent.
pub fn device_label(headers: &HeaderMap) -> String {
    let agent = headers
        .get(USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let browser = [
        ("Edg/", "Edge"),
        ("Firefox/", "Firefox"),
        ("Chrome/", "Chrome"),
        ("Safari/", "Safari"),
    ]
    .into_iter()
    .find(|(mark, _)| agent.contains(mark))
    .map_or("A browser", |(_, name)| name);
    let system = [
        ("Android", "Android"),
        ("iPhone", "iOS"),
        ("iPad", "iPadOS"),
        ("Windows", "Windows"),
        ("Mac OS X", "macOS"),
        ("Linux", "Linux"),
    ]
    .into_iter()
    .find(|(mark, _)| agent.contains(mark))
    .map(|(_, name)| name);
    match system {
        Some(system) => format!("{browser} on {system}"),
        None => browser.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn agent(ua: &str) -> String {
        let mut headers = HeaderMap::new();
        headers.insert(USER_AGENT, HeaderValue::from_str(ua).expect("header"));
        device_label(&headers)
    }

    #[test]
    fn devices_are_named_after_browser_and_system() {
        assert_eq!(
            agent(
                "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0.0.0 Safari/537.36"
            ),
            "Chrome on Linux"
        );
        assert_eq!(
            agent("Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) Gecko/20100101 Firefox/128.0"),
            "Firefox on macOS"
        );
        assert_eq!(device_label(&HeaderMap::new()), "A browser");
    }

    #[test]
    fn only_our_cookies_give_device_tokens() {
        let token = "lkd1.00112233445566778899aabbccddeeff.AAAAAAAAAAAAAAAAAAAAAA";
        let mut headers = HeaderMap::new();
        headers.insert(
            COOKIE,
            HeaderValue::from_str(&format!(
                "latchkey_session=x; latchkey-device-00112233={token}; other=lkd1.no"
            ))
            .expect("header"),
        );
        assert_eq!(device_tokens(&headers, false), vec![token.to_owned()]);
        assert!(
            device_tokens(&headers, true).is_empty(),
            "over HTTPS only __Host- cookies count"
        );
    }
}
