//! The HTTP side: scheme choice, the `/v2/` ping, bearer tokens (fetched
//! once per host and scope) or basic auth, and status → error mapping.

use std::collections::HashMap;
use std::io::Read;
use std::sync::Mutex;
use std::time::Duration;

use crate::auth::{Challenge, Credentials};
use crate::error::{RegistryError, Result};
use crate::name::is_loopback;

/// One registry session (per pull/push/login); cheap to make.
pub struct Client {
    agent: ureq::Agent,
    insecure: Vec<String>,
    creds: Option<Credentials>,
    /// `host scope` → `Authorization` value (empty for none needed).
    auth: Mutex<HashMap<String, String>>,
}

/// The body of a successful response and its headers of interest.
pub struct Response {
    pub inner: ureq::Response,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<String> {
        self.inner.header(name).map(str::to_string)
    }

    pub fn reader(self) -> Box<dyn Read + Send + Sync + 'static> {
        self.inner.into_reader()
    }

    /// Reads a small JSON body, refusing more than `max` bytes.
    pub fn bytes(self, max: u64) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        self.inner
            .into_reader()
            .take(max + 1)
            .read_to_end(&mut out)
            .map_err(|e| RegistryError::Transport(format!("reading response: {e}")))?;
        if out.len() as u64 > max {
            return Err(RegistryError::BadContent(format!(
                "response larger than {max} bytes"
            )));
        }
        Ok(out)
    }
}

impl Client {
    /// `insecure`: hosts (`host:port`) reached over plain HTTP.
    pub fn new(insecure: Vec<String>, creds: Option<Credentials>) -> Client {
        let agent = ureq::AgentBuilder::new()
            .timeout_connect(Duration::from_secs(15))
            .timeout_read(Duration::from_secs(60))
            .redirects(5)
            .build();
        Client {
            agent,
            insecure,
            creds,
            auth: Mutex::new(HashMap::new()),
        }
    }

    fn base(&self, host: &str) -> String {
        let plain = is_loopback(host) || self.insecure.iter().any(|h| h == host);
        format!("{}://{host}", if plain { "http" } else { "https" })
    }

    /// The absolute URL of a path on `host` (`Location` headers may be
    /// relative or absolute).
    pub fn url(&self, host: &str, path: &str) -> String {
        if path.starts_with("http://") || path.starts_with("https://") {
            path.to_string()
        } else {
            format!("{}{path}", self.base(host))
        }
    }

    /// Finds out what the registry wants for `scope` and gets it: nothing,
    /// basic credentials, or a bearer token from its realm.
    pub fn authorize(&self, host: &str, scope: &str) -> Result<()> {
        let key = format!("{host} {scope}");
        if self.lock().contains_key(&key) {
            return Ok(());
        }
        let url = self.url(host, "/v2/");
        let value = match self.agent.get(&url).call() {
            Ok(_) => String::new(),
            Err(ureq::Error::Status(401, resp)) => {
                let header = resp.header("www-authenticate").unwrap_or("").to_string();
                self.answer(&header, scope)?
            }
            Err(e) => return Err(transport(host, e)),
        };
        self.lock().insert(key, value);
        Ok(())
    }

    /// Checks the credentials against `host` (`POST /auth`, `login`).
    pub fn login(&self, host: &str) -> Result<()> {
        let url = self.url(host, "/v2/");
        match self.agent.get(&url).call() {
            Ok(_) => Ok(()),
            Err(ureq::Error::Status(401, resp)) => {
                let header = resp.header("www-authenticate").unwrap_or("").to_string();
                let value = self.answer(&header, "")?;
                if value.starts_with("Basic ") {
                    match self.agent.get(&url).set("Authorization", &value).call() {
                        Ok(_) => Ok(()),
                        Err(ureq::Error::Status(401 | 403, _)) => Err(RegistryError::Unauthorized(
                            "unauthorized: incorrect username or password".into(),
                        )),
                        Err(e) => Err(transport(host, e)),
                    }
                } else {
                    Ok(())
                }
            }
            Err(e) => Err(transport(host, e)),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, String>> {
        self.auth.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn answer(&self, header: &str, scope: &str) -> Result<String> {
        let c = Challenge::parse(header).ok_or_else(|| {
            RegistryError::Transport(format!("unreadable WWW-Authenticate header {header:?}"))
        })?;
        match c.scheme.as_str() {
            "basic" => match &self.creds {
                Some(cr) => Ok(cr.basic()),
                None => Err(RegistryError::Unauthorized(
                    "no basic auth credentials".into(),
                )),
            },
            "bearer" => {
                let realm = c.params.get("realm").ok_or_else(|| {
                    RegistryError::Transport("bearer challenge without a realm".into())
                })?;
                let mut req = self.agent.get(realm);
                if let Some(s) = c.params.get("service") {
                    req = req.query("service", s);
                }
                if !scope.is_empty() {
                    req = req.query("scope", scope);
                }
                if let Some(cr) = &self.creds {
                    if !cr.username.is_empty() {
                        req = req.set("Authorization", &cr.basic());
                    }
                }
                let resp = match req.call() {
                    Ok(r) => r,
                    Err(ureq::Error::Status(401 | 403, _)) => {
                        return Err(RegistryError::Unauthorized(
                            match self.creds.as_ref().is_some_and(|c| !c.username.is_empty()) {
                                true => "unauthorized: incorrect username or password",
                                false => "unauthorized: authentication required",
                            }
                            .into(),
                        ))
                    }
                    Err(e) => return Err(transport(realm, e)),
                };
                let body = Response { inner: resp }.bytes(1 << 20)?;
                let v: serde_json::Value = serde_json::from_slice(&body).map_err(|e| {
                    RegistryError::BadContent(format!("token response is not JSON: {e}"))
                })?;
                let token = v
                    .get("token")
                    .or_else(|| v.get("access_token"))
                    .and_then(|t| t.as_str())
                    .ok_or_else(|| {
                        RegistryError::BadContent("token response has no token".into())
                    })?;
                Ok(format!("Bearer {token}"))
            }
            other => Err(RegistryError::Transport(format!(
                "unsupported auth scheme {other:?}"
            ))),
        }
    }

    /// A request with the authorization earned for `scope`.
    pub fn request(&self, method: &str, host: &str, path: &str, scope: &str) -> ureq::Request {
        let mut req = self.agent.request(method, &self.url(host, path));
        if let Some(v) = self.lock().get(&format!("{host} {scope}")) {
            if !v.is_empty() {
                req = req.set("Authorization", v);
            }
        }
        req
    }

    /// Sends and maps error statuses; `what` names the object for messages.
    pub fn send(&self, req: ureq::Request, body: Option<Body>, what: &str) -> Result<Response> {
        let r = match body {
            None => req.call(),
            Some(Body::Bytes(b)) => req.send_bytes(&b),
            Some(Body::Reader(r, len)) => req.set("Content-Length", &len.to_string()).send(r),
        };
        match r {
            Ok(inner) => Ok(Response { inner }),
            Err(ureq::Error::Status(code, resp)) => {
                let text = resp.into_string().unwrap_or_default();
                let detail = registry_message(&text);
                Err(match code {
                    401 | 403 => RegistryError::Unauthorized(format!(
                        "access to {what} denied{detail}: it does not exist or may require 'docker login'"
                    )),
                    404 => RegistryError::NotFound(format!("{what}: not found{detail}")),
                    _ => RegistryError::Transport(format!(
                        "{what}: registry answered {code}{detail}"
                    )),
                })
            }
            Err(e) => Err(transport(what, e)),
        }
    }
}

/// A request body.
pub enum Body {
    Bytes(Vec<u8>),
    Reader(Box<dyn Read + Send>, u64),
}

fn transport(what: &str, e: ureq::Error) -> RegistryError {
    RegistryError::Transport(format!("{what}: {e}"))
}

/// `: message` of a registry's `{"errors":[{"message":…}]}`, if any.
fn registry_message(text: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(text).unwrap_or_default();
    match v["errors"][0]["message"].as_str() {
        Some(m) if !m.is_empty() => format!(" ({m})"),
        _ => String::new(),
    }
}
