//! The home page: who is signed in, and where to go.

use askama::Template;

use super::page::{Page, Reply, render};
use super::visitor::Visitor;

#[derive(Template)]
#[template(path = "home.html")]
struct Home {
    page: Page,
}

/// `GET /`: "Signed in as USERNAME", or the way in.
pub async fn home(visitor: Visitor) -> Reply {
    render(&Home {
        page: visitor.page().await?,
    })
}
