//! `client.system()`: server info (cached, single-flight), the current user, system settings.

use std::sync::Arc;

use http::Method;
use serde_json::{Map, Value};
use tokio::time::Instant;

use crate::client::fetch_system_info;
use crate::models::{Me, SystemInfo};
use crate::{Dhis2Client, Error};

/// System endpoints. Get one with [`Dhis2Client::system`].
#[derive(Debug, Clone, Copy)]
pub struct System<'a> {
    client: &'a Dhis2Client,
}

impl Dhis2Client {
    /// System endpoints: `/api/system/info`, `/api/me`, `/api/systemSettings`, the default category combo.
    pub fn system(&self) -> System<'_> {
        System { client: self }
    }
}

impl System<'_> {
    /// `/api/system/info`, cached for `system_cache_ttl` (primed by `connect`, so the first call after connecting
    /// makes no request). Concurrent callers on an expired cache share one request.
    pub async fn info(&self) -> Result<Arc<SystemInfo>, Error> {
        let shared = self.client.shared();
        let conn = shared.connection()?;
        let ttl = shared.info_ttl;
        // Holding the async lock across the fetch makes the refresh single-flight: waiters find a fresh value.
        let mut slot = shared.info.lock().await;
        if let (Some(ttl), Some((at, info))) = (ttl, slot.as_ref()) {
            if at.elapsed() < ttl {
                return Ok(info.clone());
            }
        }
        let (info, raw) = fetch_system_info(&conn.svc, &conn.base_url).await?;
        if let Some(probe) = &conn.probe {
            // Keep the version tags of the probe layer in step; a version that no longer parses keeps the old one.
            let _ = probe.prime(raw);
        }
        if ttl.is_some() {
            *slot = Some((Instant::now(), info.clone()));
        }
        Ok(info)
    }

    /// Forget the cached server info; the next [`info`](Self::info) fetches it again.
    pub async fn invalidate(&self) {
        *self.client.shared().info.lock().await = None;
    }

    /// `/api/me`: the authenticated user.
    pub async fn me(&self) -> Result<Me, Error> {
        self.client.get("api/me", &[]).await
    }

    /// One system setting (`/api/systemSettings/{key}`), as JSON. DHIS2 answers either `{"key": value}` or the
    /// bare value (older versions send plain text, returned as a JSON string); a missing setting is `Null`.
    /// An empty key, `.` or `..` is refused with [`Error::Config`]; any other key is one encoded path segment.
    pub async fn setting(&self, key: &str) -> Result<Value, Error> {
        let path = format!(
            "api/systemSettings/{}",
            crate::path::segment("system setting key", key)?
        );
        let req_path = format!("/{path}");
        let client = self.client;
        let bytes = client
            .within_deadline(&Method::GET, &req_path, async {
                let resp = client.get_response(&path, &[], &[]).await?;
                if !resp.status().is_success() {
                    // Let ErrorMap build the error (WebMessage parsing, 401 handling).
                    return Err(
                        match client.map_limited(resp, &Method::GET, &req_path).await {
                            Err(e) => e,
                            Ok(_) => Error::EmptyRead {
                                method: Method::GET,
                                path: req_path.clone(),
                            },
                        },
                    );
                }
                let (_, bytes) = client
                    .collect_limited(resp, &Method::GET, &req_path)
                    .await?;
                Ok(bytes)
            })
            .await?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Value::Null);
        }
        match serde_json::from_slice::<Value>(&bytes) {
            Ok(Value::Object(mut map)) if map.len() == 1 && map.contains_key(key) => {
                Ok(map.remove(key).unwrap_or(Value::Null))
            }
            Ok(value) => Ok(value),
            Err(_) => Ok(Value::String(String::from_utf8_lossy(&bytes).into_owned())),
        }
    }

    /// The default category combo (`name` = `default`), as a JSON object with `id`, `name`, `code` and
    /// `categoryOptionCombos`; `None` if the server has none.
    pub async fn default_category_combo(&self) -> Result<Option<Map<String, Value>>, Error> {
        let params = [
            ("filter", "name:eq:default"),
            (
                "fields",
                "id,name,code,displayName,isDefault,categoryOptionCombos[id,name]",
            ),
            ("paging", "false"),
        ];
        let page = self.client.get_raw("api/categoryCombos", &params).await?;
        let first = page
            .get("categoryCombos")
            .and_then(Value::as_array)
            .and_then(|list| list.first())
            .and_then(Value::as_object)
            .cloned();
        Ok(first)
    }
}
