//! The query page: one HTML file, its script and its style, compiled into
//! the binary so the page works with no network beyond this server.

use axum::extract::Path;
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};

use crate::ApiError;

const INDEX: &str = include_str!("page/index.html");
const ENTITY_PAGE: &str = include_str!("page/entity.html");
const ENTITY: &str = include_str!("page/entity.js");
const SCRIPT: &str = include_str!("page/app.js");
const WORDS: &str = include_str!("page/i18n.js");
const NUMBERS: &str = include_str!("page/numbers.js");
const ANSWER: &str = include_str!("page/answer.js");
const CHART: &str = include_str!("page/chart.js");
const EDITOR: &str = include_str!("page/editor.js");
const PANELS: &str = include_str!("page/panels.js");
const STYLE: &str = include_str!("page/app.css");

pub async fn index() -> Html<&'static str> {
    Html(INDEX)
}

/// The page of one entity (`/entity?iri=…`); its script reads the IRI.
pub async fn entity() -> Html<&'static str> {
    Html(ENTITY_PAGE)
}

pub async fn asset(Path(file): Path<String>) -> Response {
    let (media_type, body) = match file.as_str() {
        "app.js" => ("text/javascript; charset=utf-8", SCRIPT),
        "i18n.js" => ("text/javascript; charset=utf-8", WORDS),
        "numbers.js" => ("text/javascript; charset=utf-8", NUMBERS),
        "answer.js" => ("text/javascript; charset=utf-8", ANSWER),
        "chart.js" => ("text/javascript; charset=utf-8", CHART),
        "entity.js" => ("text/javascript; charset=utf-8", ENTITY),
        "editor.js" => ("text/javascript; charset=utf-8", EDITOR),
        "panels.js" => ("text/javascript; charset=utf-8", PANELS),
        "app.css" => ("text/css; charset=utf-8", STYLE),
        _ => return ApiError::new(StatusCode::NOT_FOUND, "no such asset").into_response(),
    };
    (
        [
            (header::CONTENT_TYPE, media_type),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response()
}
