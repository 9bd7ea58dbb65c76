//! Reading SPARQL 1.1 Protocol and Graph Store Protocol requests: which
//! operation, its text, and the graphs it names.

use axum::http::{header, HeaderMap, Method, StatusCode};
use ttkg_graph::oxigraph::model::NamedNode;
use ttkg_graph::GraphSelection;

use crate::ApiError;

/// A request to `/sparql`.
#[derive(Debug, PartialEq)]
pub enum SparqlRequest {
    Query {
        query: String,
        graphs: GraphSelection,
    },
    Update {
        update: String,
    },
}

/// The `name=value` pairs of a query string or form body, in order.
pub fn pairs(text: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(text).into_owned().collect()
}

fn one(pairs: &[(String, String)], name: &str) -> Result<Option<String>, ApiError> {
    let mut values = pairs.iter().filter(|(n, _)| n == name).map(|(_, v)| v);
    let first = values.next().cloned();
    if values.next().is_some() {
        return Err(ApiError::bad_request(format!(
            "`{name}` is given more than once; give it once"
        )));
    }
    Ok(first)
}

fn graphs(pairs: &[(String, String)], name: &str) -> Result<Vec<NamedNode>, ApiError> {
    pairs
        .iter()
        .filter(|(n, _)| n == name)
        .map(|(_, iri)| {
            NamedNode::new(iri.as_str())
                .map_err(|e| ApiError::bad_request(format!("{name}={iri} is not an IRI: {e}")))
        })
        .collect()
}

fn selection(pairs: &[(String, String)]) -> Result<GraphSelection, ApiError> {
    Ok(GraphSelection {
        default_graphs: graphs(pairs, "default-graph-uri")?,
        named_graphs: graphs(pairs, "named-graph-uri")?,
    })
}

/// The media type of the body, without parameters, in lower case.
pub fn content_type(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
}

fn utf8(body: &[u8]) -> Result<String, ApiError> {
    String::from_utf8(body.to_vec())
        .map_err(|_| ApiError::bad_request("the request body is not UTF-8 text"))
}

/// Reads a `/sparql` request as the protocol defines it: a query by GET
/// (`query=`), by POST of a form (`query=` or `update=`), or by POST of the
/// text itself (`application/sparql-query`, `application/sparql-update`).
pub fn sparql_request(
    method: &Method,
    headers: &HeaderMap,
    query_string: Option<&str>,
    body: &[u8],
) -> Result<SparqlRequest, ApiError> {
    let url = pairs(query_string.unwrap_or("").as_bytes());
    let no_using = |pairs: &[(String, String)]| {
        if pairs
            .iter()
            .any(|(n, _)| n == "using-graph-uri" || n == "using-named-graph-uri")
        {
            Err(ApiError::bad_request(
                "using-graph-uri and using-named-graph-uri are not supported; write USING in the update",
            ))
        } else {
            Ok(())
        }
    };
    match *method {
        Method::GET | Method::HEAD => {
            if one(&url, "update")?.is_some() {
                return Err(ApiError::new(
                    StatusCode::METHOD_NOT_ALLOWED,
                    "an update must be sent with POST",
                ));
            }
            let query = one(&url, "query")?.ok_or_else(|| {
                ApiError::bad_request(
                    "no query: give it as ?query=… (URL-encoded), or open / for the query page",
                )
            })?;
            Ok(SparqlRequest::Query {
                query,
                graphs: selection(&url)?,
            })
        }
        Method::POST => match content_type(headers).as_deref() {
            Some("application/x-www-form-urlencoded") => {
                let form = pairs(body);
                match (one(&form, "query")?, one(&form, "update")?) {
                    (Some(query), None) => Ok(SparqlRequest::Query {
                        query,
                        graphs: selection(&form)?,
                    }),
                    (None, Some(update)) => {
                        no_using(&form)?;
                        Ok(SparqlRequest::Update { update })
                    }
                    (Some(_), Some(_)) => Err(ApiError::bad_request(
                        "the form has both `query` and `update`; send one",
                    )),
                    (None, None) => Err(ApiError::bad_request(
                        "the form has neither `query` nor `update`",
                    )),
                }
            }
            Some("application/sparql-query") => Ok(SparqlRequest::Query {
                query: utf8(body)?,
                graphs: selection(&url)?,
            }),
            Some("application/sparql-update") => {
                no_using(&url)?;
                Ok(SparqlRequest::Update {
                    update: utf8(body)?,
                })
            }
            other => Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                format!(
                    "a POST to /sparql must be application/sparql-query, application/sparql-update or application/x-www-form-urlencoded, not {}",
                    other.unwrap_or("(no Content-Type)")
                ),
            )),
        },
        _ => Err(ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "/sparql takes GET and POST",
        )),
    }
}

/// The graph a Graph Store request is about: `?default` or `?graph=IRI`.
#[derive(Debug, PartialEq)]
pub enum GraphTarget {
    Default,
    Named(NamedNode),
}

pub fn graph_target(query_string: Option<&str>) -> Result<GraphTarget, ApiError> {
    let url = pairs(query_string.unwrap_or("").as_bytes());
    let default = url.iter().any(|(n, _)| n == "default");
    match (default, one(&url, "graph")?) {
        (true, None) => Ok(GraphTarget::Default),
        (false, Some(iri)) => NamedNode::new(iri.as_str())
            .map(GraphTarget::Named)
            .map_err(|e| ApiError::bad_request(format!("graph={iri} is not an IRI: {e}"))),
        (true, Some(_)) => Err(ApiError::bad_request(
            "give either ?default or ?graph=IRI, not both",
        )),
        (false, None) => Err(ApiError::bad_request(
            "say which graph: ?default or ?graph=IRI (URL-encoded)",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(body: &str) -> Result<SparqlRequest, ApiError> {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONTENT_TYPE,
            "application/x-www-form-urlencoded".parse().unwrap(),
        );
        sparql_request(&Method::POST, &headers, None, body.as_bytes())
    }

    #[test]
    fn queries_come_by_get_form_or_body_with_the_graphs_they_name() {
        let get = sparql_request(
            &Method::GET,
            &HeaderMap::new(),
            Some("query=ASK%20%7B%7D&default-graph-uri=urn%3Aa&named-graph-uri=urn%3Ab&named-graph-uri=urn%3Ac"),
            b"",
        )
        .unwrap();
        let SparqlRequest::Query { query, graphs } = get else {
            panic!("a query")
        };
        assert_eq!(query, "ASK {}");
        assert_eq!(graphs.default_graphs.len(), 1);
        assert_eq!(graphs.named_graphs.len(), 2);
        assert!(matches!(
            form("update=DROP+GRAPH+%3Curn%3Ag%3E").unwrap(),
            SparqlRequest::Update { .. }
        ));
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONTENT_TYPE,
            "application/sparql-query; charset=utf-8".parse().unwrap(),
        );
        assert!(matches!(
            sparql_request(&Method::POST, &headers, None, b"ASK {}").unwrap(),
            SparqlRequest::Query { .. }
        ));
    }

    #[test]
    fn malformed_requests_say_what_is_wrong() {
        let status = |r: Result<SparqlRequest, ApiError>| r.unwrap_err().status;
        assert_eq!(
            status(sparql_request(&Method::GET, &HeaderMap::new(), None, b"")),
            StatusCode::BAD_REQUEST
        );
        assert_eq!(
            status(sparql_request(
                &Method::GET,
                &HeaderMap::new(),
                Some("query=a&query=b"),
                b""
            )),
            StatusCode::BAD_REQUEST
        );
        assert_eq!(
            status(sparql_request(
                &Method::GET,
                &HeaderMap::new(),
                Some("query=ASK{}&default-graph-uri=not%20an%20iri"),
                b""
            )),
            StatusCode::BAD_REQUEST
        );
        assert_eq!(
            status(sparql_request(&Method::POST, &HeaderMap::new(), None, b"x")),
            StatusCode::UNSUPPORTED_MEDIA_TYPE
        );
        assert_eq!(status(form("query=a&update=b")), StatusCode::BAD_REQUEST);
        assert_eq!(
            status(sparql_request(&Method::PUT, &HeaderMap::new(), None, b"")),
            StatusCode::METHOD_NOT_ALLOWED
        );
    }

    #[test]
    fn graph_store_requests_name_one_graph() {
        assert_eq!(graph_target(Some("default")).unwrap(), GraphTarget::Default);
        assert!(matches!(
            graph_target(Some("graph=urn%3Ag")).unwrap(),
            GraphTarget::Named(_)
        ));
        assert!(graph_target(None).is_err());
        assert!(graph_target(Some("default&graph=urn:g")).is_err());
        assert!(graph_target(Some("graph=%20")).is_err());
    }
}
