//! `client.routes()`: run a DHIS2 route (`/api/routes/{id or code}/run[/sub/path]`) and get the upstream's raw
//! answer (statuses are facts here, like [`Dhis2Client::get_response`]).

use http::Response;

use crate::{path, Dhis2Client, Error};
use dhis2_layers::ResponseBody;

/// Route endpoints. Get one with [`Dhis2Client::routes`].
#[derive(Debug, Clone, Copy)]
pub struct Routes<'a> {
    client: &'a Dhis2Client,
}

impl Dhis2Client {
    /// Routes (`/api/routes`), DHIS2's proxy to configured upstream services.
    pub fn routes(&self) -> Routes<'_> {
        Routes { client: self }
    }
}

impl Routes<'_> {
    /// GETs `run` (or `run/{sub_path}` for wildcard routes) of the route with this id or code.
    ///
    /// `route` is one path segment (percent-encoded; empty, `.` and `..` are refused with [`Error::Config`]).
    /// `sub_path` may hold several `/`-separated segments, each encoded and checked the same way (a leading `/`
    /// is ignored, a trailing one kept), so it stays under the route's `run/`; `?` and `#` in it are encoded, so
    /// pass query parameters in `params`.
    pub async fn run(
        &self,
        route: &str,
        sub_path: Option<&str>,
        params: &[(&str, &str)],
    ) -> Result<Response<ResponseBody>, Error> {
        let route = path::segment("route id or code", route)?;
        let path = match sub_path.filter(|s| !s.trim_start_matches('/').is_empty()) {
            Some(sub) => format!(
                "api/routes/{route}/run/{}",
                path::segments("route sub-path", sub)?
            ),
            None => format!("api/routes/{route}/run"),
        };
        self.client.get_response(&path, params, &[]).await
    }
}
