//! `client.routes()`: run a DHIS2 route (`/api/routes/{id or code}/run[/sub/path]`) and get the upstream's raw
//! answer (statuses are facts here, like [`Dhis2Client::get_response`]).

use http::Response;

use crate::{Dhis2Client, Error};
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
    pub async fn run(
        &self,
        route: &str,
        sub_path: Option<&str>,
        params: &[(&str, &str)],
    ) -> Result<Response<ResponseBody>, Error> {
        let path = match sub_path.map(|s| s.trim_start_matches('/')) {
            Some(sub) if !sub.is_empty() => format!("api/routes/{route}/run/{sub}"),
            _ => format!("api/routes/{route}/run"),
        };
        self.client.get_response(&path, params, &[]).await
    }
}
