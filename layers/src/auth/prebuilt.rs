//! An `Authorization` value built once from a static credential, shared by the Basic and token
//! providers.

use http::header::AUTHORIZATION;
use http::{HeaderMap, HeaderName, HeaderValue};

use super::AuthError;

/// The `Authorization` value, built at construction (marked sensitive, so `Debug` does not show
/// it). `None` when building failed: each request then builds it again so it reports why.
#[derive(Debug, Clone)]
pub(super) struct PrebuiltAuthorization {
    header: Option<HeaderValue>,
}

impl PrebuiltAuthorization {
    /// Keeps `built` when it succeeded.
    pub(super) fn new(built: Result<HeaderValue, AuthError>) -> Self {
        PrebuiltAuthorization { header: built.ok() }
    }

    /// Sets `Authorization` on `headers`, calling `rebuild` only when the prebuilt value is missing.
    pub(super) fn insert(
        &self,
        headers: &mut HeaderMap,
        rebuild: impl FnOnce() -> Result<HeaderValue, AuthError>,
    ) -> Result<(), AuthError> {
        let value = match &self.header {
            Some(v) => v.clone(),
            None => rebuild()?,
        };
        headers.insert(AUTHORIZATION, value);
        Ok(())
    }

    /// The header every request carries, when it could be built.
    pub(super) fn fixed_header(&self) -> Option<(HeaderName, HeaderValue)> {
        self.header.clone().map(|v| (AUTHORIZATION, v))
    }
}
