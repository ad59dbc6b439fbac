//! What the test server reads ([`Req`]) and what a handler tells it to do ([`Action`], usually a [`Resp`]).

/// One request as the server read it.
#[derive(Debug, Clone)]
pub struct Req {
    pub method: String,
    /// Path and query.
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Which accepted connection it came on (0-based).
    pub conn: usize,
}

impl Req {
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or("")
    }
    pub fn query(&self) -> &str {
        self.target.split_once('?').map(|(_, q)| q).unwrap_or("")
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A complete response.
#[derive(Debug, Clone)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Send the body with `Transfer-Encoding: chunked` (one chunk and the terminator) instead of a length.
    pub chunked: bool,
}

impl Resp {
    pub fn json(status: u16, value: serde_json::Value) -> Resp {
        Resp::bytes(status, "application/json;charset=UTF-8", value.to_string())
    }
    pub fn bytes(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Resp {
        Resp::empty(status)
            .header("content-type", content_type)
            .body(body)
    }
    pub fn empty(status: u16) -> Resp {
        Resp {
            status,
            headers: vec![],
            body: vec![],
            chunked: false,
        }
    }
    pub fn redirect(status: u16, location: &str) -> Resp {
        Resp::empty(status).header("location", location)
    }
    pub fn header(mut self, name: &str, value: &str) -> Resp {
        self.headers.push((name.into(), value.into()));
        self
    }
    /// The same answer, sent chunked (as nginx sends what it compresses on the fly).
    pub fn chunked(mut self) -> Resp {
        self.chunked = true;
        self
    }
    fn body(mut self, body: impl Into<Vec<u8>>) -> Resp {
        self.body = body.into();
        self
    }
    /// A DHIS2 WebMessage error body with this status.
    pub fn web_message(status: u16, message: &str) -> Resp {
        Resp::json(
            status,
            serde_json::json!({"httpStatus": "Error", "httpStatusCode": status, "status": "ERROR", "message": message}),
        )
    }
}

/// What the server does with one request.
#[derive(Debug, Clone)]
pub enum Action {
    /// Answer and keep the connection open.
    Reply(Resp),
    /// Close the connection (gracefully) without answering.
    Close,
    /// Reset the connection (RST) without answering.
    ResetBeforeHeaders,
    /// Send the headers (with the full `Content-Length`) and the first `sent` bytes of the body, then reset.
    ResetMidBody(Resp, usize),
    /// Never answer; keep the connection open.
    StallHeaders,
    /// Send the headers and the first `sent` bytes of the body, then never send the rest.
    StallBody(Resp, usize),
    /// Write these bytes as they are, then close.
    Raw(Vec<u8>),
}

impl From<Resp> for Action {
    fn from(resp: Resp) -> Action {
        Action::Reply(resp)
    }
}

/// A minimal `/api/system/info` body for `version`.
pub fn system_info(version: &str) -> serde_json::Value {
    serde_json::json!({
        "version": version,
        "revision": "abc1234",
        "calendar": "iso8601",
        "systemName": "Test DHIS2",
        "contextPath": "http://localhost"
    })
}
