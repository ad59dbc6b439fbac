//! `client.settings()`: system settings (`/api/systemSettings`).

use http::{Method, StatusCode};
use serde::Serialize;
use serde_json::{Map, Value};

use super::exchange::{self, Payload};
use crate::{path, Dhis2Client, Error};

/// System settings endpoints. Get one with [`Dhis2Client::settings`].
#[derive(Debug, Clone, Copy)]
pub struct Settings<'a> {
    client: &'a Dhis2Client,
}

impl Dhis2Client {
    /// System settings (`/api/systemSettings`).
    pub fn settings(&self) -> Settings<'_> {
        Settings { client: self }
    }
}

/// `api/systemSettings/{key}`, the key as one encoded segment.
fn setting_path(key: &str) -> Result<String, Error> {
    Ok(format!(
        "api/systemSettings/{}",
        path::segment("settings key", key)?
    ))
}

impl Settings<'_> {
    /// Every setting the account may read.
    pub async fn all(&self) -> Result<Map<String, Value>, Error> {
        self.client.get_raw("api/systemSettings", &[]).await
    }

    /// One setting's value; `None` when it does not exist (or is confidential). An empty key, `.` or `..` is
    /// refused with [`Error::Config`]; any other key is sent as one encoded path segment.
    pub async fn get(&self, key: &str) -> Result<Option<Value>, Error> {
        let path = setting_path(key)?;
        let (status, bytes, req_path) =
            exchange::collect(self.client, Method::GET, &path, &[], None).await?;
        if status == StatusCode::NOT_FOUND || (status.is_success() && bytes.is_empty()) {
            return Ok(None);
        }
        if !status.is_success() {
            return Err(exchange::error_for(status, bytes, &Method::GET, &req_path).await);
        }
        // JSON answers are `{"<key>": value}`; some versions answer the bare value.
        let value: Value = exchange::decode_as(&Method::GET, &req_path, &bytes)?;
        Ok(match value {
            Value::Object(mut map) if map.contains_key(key) => map.remove(key),
            Value::Object(map) if map.is_empty() => None,
            other => Some(other),
        })
    }

    /// Sets one setting (a JSON string, number or boolean). Keys are checked as in [`get`](Self::get).
    pub async fn set<T: Serialize + ?Sized>(&self, key: &str, value: &T) -> Result<(), Error> {
        let path = setting_path(key)?;
        let body = exchange::json_body(value, &format!("value of setting {key:?}"))?;
        exchange::mapped(
            self.client,
            Method::POST,
            &path,
            &[],
            Some(Payload::json(body)),
        )
        .await?;
        Ok(())
    }

    /// Sets several settings at once.
    pub async fn set_many(&self, settings: &Map<String, Value>) -> Result<(), Error> {
        self.client
            .post_raw("api/systemSettings", settings, &[])
            .await?;
        Ok(())
    }

    /// Removes a setting (it goes back to its default). Keys are checked as in [`get`](Self::get).
    pub async fn delete(&self, key: &str) -> Result<(), Error> {
        self.client.delete_raw(&setting_path(key)?, &[]).await?;
        Ok(())
    }
}
