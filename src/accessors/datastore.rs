//! `client.datastore()`: the key-value store (`/api/dataStore/{namespace}/{key}`) holding arbitrary JSON.
//!
//! Namespaces and keys may hold any characters: each is sent as one percent-encoded path segment. An empty
//! namespace or key, `.` and `..` are refused with [`Error::Config`] before anything is sent.

use http::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use super::exchange::{self, Payload};
use crate::{path, Dhis2Client, Error};

/// Datastore endpoints. Get one with [`Dhis2Client::datastore`].
#[derive(Debug, Clone, Copy)]
pub struct Datastore<'a> {
    client: &'a Dhis2Client,
}

impl Dhis2Client {
    /// The datastore (`/api/dataStore`).
    pub fn datastore(&self) -> Datastore<'_> {
        Datastore { client: self }
    }
}

/// `api/dataStore/{namespace}`, the namespace as one encoded segment (it may hold spaces, `/` and the like; an
/// empty one, `.` and `..` are refused).
fn namespace_path(namespace: &str) -> Result<String, Error> {
    Ok(format!(
        "api/dataStore/{}",
        path::segment("datastore namespace", namespace)?
    ))
}

/// `api/dataStore/{namespace}/{key}`, each as one encoded segment.
fn entry_path(namespace: &str, key: &str) -> Result<String, Error> {
    Ok(format!(
        "{}/{}",
        namespace_path(namespace)?,
        path::segment("datastore key", key)?
    ))
}

fn body_of<T: Serialize + ?Sized>(value: &T) -> Result<Payload, Error> {
    exchange::json_body(value, "datastore value").map(Payload::json)
}

impl Datastore<'_> {
    /// All namespaces.
    pub async fn namespaces(&self) -> Result<Vec<String>, Error> {
        self.client.get("api/dataStore", &[]).await
    }

    /// The keys of a namespace ([`Error::Api`] with 404 when the namespace does not exist).
    pub async fn keys(&self, namespace: &str) -> Result<Vec<String>, Error> {
        self.client
            .get(&format!("{}/keys", namespace_path(namespace)?), &[])
            .await
    }

    /// A value decoded into `T`; `None` when the key (or namespace) does not exist.
    pub async fn get<T: DeserializeOwned>(
        &self,
        namespace: &str,
        key: &str,
    ) -> Result<Option<T>, Error> {
        let (status, bytes, path) = exchange::collect(
            self.client,
            Method::GET,
            &entry_path(namespace, key)?,
            &[],
            None,
        )
        .await?;
        if status == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        if !status.is_success() {
            return Err(exchange::error_for(status, bytes, &Method::GET, &path).await);
        }
        exchange::decode_as(&Method::GET, &path, &bytes).map(Some)
    }

    /// A value as JSON; `None` when it does not exist.
    pub async fn get_json(&self, namespace: &str, key: &str) -> Result<Option<Value>, Error> {
        self.get::<Value>(namespace, key).await
    }

    /// Creates a new key (fails with 409 when it exists).
    pub async fn create<T: Serialize + ?Sized>(
        &self,
        namespace: &str,
        key: &str,
        value: &T,
    ) -> Result<(), Error> {
        self.write(Method::POST, namespace, key, value).await
    }

    /// Replaces an existing key (fails with 404 when it does not exist).
    pub async fn update<T: Serialize + ?Sized>(
        &self,
        namespace: &str,
        key: &str,
        value: &T,
    ) -> Result<(), Error> {
        self.write(Method::PUT, namespace, key, value).await
    }

    /// Sends `value` to the key with `method` (POST creates, PUT replaces).
    async fn write<T: Serialize + ?Sized>(
        &self,
        method: Method,
        namespace: &str,
        key: &str,
        value: &T,
    ) -> Result<(), Error> {
        let body = body_of(value)?;
        exchange::mapped(
            self.client,
            method,
            &entry_path(namespace, key)?,
            &[],
            Some(body),
        )
        .await?;
        Ok(())
    }

    /// Creates or replaces a key (PUT, then POST when the key does not exist yet).
    pub async fn put<T: Serialize + ?Sized>(
        &self,
        namespace: &str,
        key: &str,
        value: &T,
    ) -> Result<(), Error> {
        match self.update(namespace, key, value).await {
            Err(e) if e.status() == Some(StatusCode::NOT_FOUND) => {
                self.create(namespace, key, value).await
            }
            other => other,
        }
    }

    /// Deletes a key; `false` when it did not exist.
    pub async fn delete(&self, namespace: &str, key: &str) -> Result<bool, Error> {
        match exchange::mapped(
            self.client,
            Method::DELETE,
            &entry_path(namespace, key)?,
            &[],
            None,
        )
        .await
        {
            Ok(_) => Ok(true),
            Err(e) if e.status() == Some(StatusCode::NOT_FOUND) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Deletes a namespace with all its keys; `false` when it did not exist.
    pub async fn delete_namespace(&self, namespace: &str) -> Result<bool, Error> {
        let path = namespace_path(namespace)?;
        match exchange::mapped(self.client, Method::DELETE, &path, &[], None).await {
            Ok(_) => Ok(true),
            Err(e) if e.status() == Some(StatusCode::NOT_FOUND) => Ok(false),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn encodes_segments() {
        assert_eq!(
            super::entry_path("my app", "a/b").unwrap(),
            "api/dataStore/my%20app/a%2Fb"
        );
        assert_eq!(
            super::entry_path("a.b", "x?y#z").unwrap(),
            "api/dataStore/a.b/x%3Fy%23z"
        );
        assert!(super::entry_path("..", "k").is_err());
        assert!(super::entry_path("ns", ".").is_err());
        assert!(super::entry_path("ns", "").is_err());
    }
}
