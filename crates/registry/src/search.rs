//! `search`: Docker's v1 search API (`/v1/search`) where a registry has
//! one (Docker Hub's index), else the registry's `/v2/_catalog` filtered by
//! the term, since the distribution registry has no search of its own.

use wharf_api::image::ImageSearchResult;

use crate::client::Client;
use crate::error::{RegistryError, Result};
use crate::name::HUB_HOST;

/// Docker Hub's search index.
pub const HUB_INDEX: &str = "index.docker.io";
const MAX_PAGES: usize = 100;
const MAX_BODY: u64 = 8 << 20;

/// Splits `host/term` as Docker does: the first part names a registry when
/// it has a `.` or a `:` or is `localhost`; otherwise the term is Docker
/// Hub's. Returns the API host and the term.
pub fn split_term(term: &str) -> Result<(String, String)> {
    if term.contains("://") {
        return Err(RegistryError::Invalid(format!(
            "invalid repository name: repository name ({term}) should not have a scheme"
        )));
    }
    if let Some((first, rest)) = term.split_once('/') {
        if first.contains('.') || first.contains(':') || first == "localhost" {
            let host = match first {
                "docker.io" | "index.docker.io" | "registry-1.docker.io" => HUB_INDEX.to_string(),
                h => h.to_string(),
            };
            return Ok((host, rest.to_string()));
        }
    }
    Ok((HUB_INDEX.to_string(), term.to_string()))
}

/// Searches for `term` (`host/term` for another registry than Docker
/// Hub), at most `limit` results.
pub fn search(client: &Client, term: &str, limit: usize) -> Result<Vec<ImageSearchResult>> {
    let (host, q) = split_term(term)?;
    if q.is_empty() {
        return Err(RegistryError::Invalid("a search term is required".into()));
    }
    match v1_search(client, &host, &q, limit) {
        Ok(r) => Ok(r),
        Err(RegistryError::NotFound(_)) | Err(RegistryError::Transport(_))
            if host != HUB_INDEX && host != HUB_HOST =>
        {
            catalog_search(client, &host, &q, limit)
        }
        Err(e) => Err(e),
    }
}

fn v1_search(client: &Client, host: &str, q: &str, limit: usize) -> Result<Vec<ImageSearchResult>> {
    let req = client
        .request("GET", host, "/v1/search", "")
        .query("q", q)
        .query("n", &limit.to_string());
    let body = client
        .send(req, None, &format!("search on {host}"))?
        .bytes(MAX_BODY)?;
    #[derive(serde::Deserialize)]
    struct Answer {
        #[serde(default)]
        results: Vec<ImageSearchResult>,
    }
    let a: Answer = serde_json::from_slice(&body).map_err(|e| {
        // An HTML page or anything else: not a search API.
        RegistryError::NotFound(format!("search on {host}: not a search answer: {e}"))
    })?;
    let mut r = a.results;
    r.truncate(limit);
    Ok(r)
}

/// Repository names of the catalog that contain `q` (case-insensitive),
/// sorted, as `host/repo` so that they can be pulled as shown.
fn catalog_search(
    client: &Client,
    host: &str,
    q: &str,
    limit: usize,
) -> Result<Vec<ImageSearchResult>> {
    let scope = "registry:catalog:*";
    client.authorize(host, scope)?;
    let needle = q.to_ascii_lowercase();
    let mut found = Vec::new();
    let mut path = "/v2/_catalog?n=1000".to_string();
    for _ in 0..MAX_PAGES {
        let req = client.request("GET", host, &path, scope);
        let resp = client.send(req, None, &format!("catalog of {host}"))?;
        let next = resp.header("link").and_then(|l| next_link(&l));
        let body = resp.bytes(MAX_BODY)?;
        let v: serde_json::Value = serde_json::from_slice(&body).map_err(|e| {
            RegistryError::BadContent(format!("catalog of {host} is not JSON: {e}"))
        })?;
        for repo in v["repositories"].as_array().into_iter().flatten() {
            if let Some(r) = repo.as_str() {
                if r.to_ascii_lowercase().contains(&needle) {
                    found.push(format!("{host}/{r}"));
                }
            }
        }
        match next {
            Some(n) => path = n,
            None => break,
        }
    }
    found.sort();
    found.dedup();
    Ok(found
        .into_iter()
        .take(limit)
        .map(|name| ImageSearchResult {
            name,
            ..Default::default()
        })
        .collect())
}

/// The target of `Link: </v2/_catalog?last=x&n=1000>; rel="next"`.
fn next_link(header: &str) -> Option<String> {
    header.split(',').find_map(|part| {
        let (url, params) = part.split_once(';')?;
        params.contains("rel=\"next\"").then(|| {
            url.trim()
                .trim_start_matches('<')
                .trim_end_matches('>')
                .to_string()
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms_split_like_docker() {
        assert_eq!(
            split_term("busybox").unwrap(),
            (HUB_INDEX.to_string(), "busybox".to_string())
        );
        assert_eq!(
            split_term("user/app").unwrap(),
            (HUB_INDEX.to_string(), "user/app".to_string())
        );
        assert_eq!(
            split_term("127.0.0.1:5000/bb").unwrap(),
            ("127.0.0.1:5000".to_string(), "bb".to_string())
        );
        assert_eq!(
            split_term("localhost/x").unwrap(),
            ("localhost".to_string(), "x".to_string())
        );
        assert!(split_term("http://x/y").is_err());
    }

    #[test]
    fn catalog_pages_follow_the_next_link() {
        assert_eq!(
            next_link("</v2/_catalog?last=b&n=1000>; rel=\"next\"").as_deref(),
            Some("/v2/_catalog?last=b&n=1000")
        );
        assert_eq!(next_link("<x>; rel=\"prev\""), None);
    }
}
