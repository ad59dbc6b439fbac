//! `client.files()`: file resources (`/api/fileResources`): multipart upload, metadata, download to a writer.

use http::Method;
use rand::Rng;
use serde_json::{Map, Value};
use tokio::io::AsyncWrite;

use super::exchange::{self, Payload};
use super::progress::{stream_get, Progress};
use crate::{path, Dhis2Client, Error};

/// File resource endpoints. Get one with [`Dhis2Client::files`].
#[derive(Debug, Clone, Copy)]
pub struct Files<'a> {
    client: &'a Dhis2Client,
}

impl Dhis2Client {
    /// File resources (`/api/fileResources`).
    pub fn files(&self) -> Files<'_> {
        Files { client: self }
    }
}

/// A file to upload.
#[derive(Debug, Clone)]
pub struct Upload {
    /// File name sent in the multipart part.
    pub file_name: String,
    /// Content type of the file.
    pub content_type: String,
    /// The bytes.
    pub data: bytes::Bytes,
    /// `DATA_VALUE` (the default), `DOCUMENT`, `MESSAGE_ATTACHMENT`, `USER_AVATAR`, `ORG_UNIT`, `ICON`, ...
    pub domain: String,
}

impl Upload {
    /// A `DATA_VALUE` file.
    pub fn new(
        file_name: impl Into<String>,
        content_type: impl Into<String>,
        data: impl Into<bytes::Bytes>,
    ) -> Self {
        Upload {
            file_name: file_name.into(),
            content_type: content_type.into(),
            data: data.into(),
            domain: "DATA_VALUE".to_owned(),
        }
    }

    /// Sets the domain.
    pub fn domain(mut self, domain: impl Into<String>) -> Self {
        self.domain = domain.into();
        self
    }
}

/// Refuses a multipart header value that could end its header line: CR, LF and other control characters would
/// let a file name or content type add headers or parts of its own.
fn header_safe<'a>(what: &str, value: &'a str) -> Result<&'a str, Error> {
    match value.chars().find(|c| c.is_control() && *c != '\t') {
        Some(c) => Err(Error::Config(format!(
            "upload {what} {value:?} contains the control character {c:?}, which cannot go into a multipart header"
        ))),
        None => Ok(value),
    }
}

/// Builds a `multipart/form-data` body with one `file` part; returns the body and its boundary. A file name or
/// content type with a line break or another control character is refused; a `"` in the file name is sent as
/// `%22`, as browsers do (WHATWG multipart/form-data encoding).
fn multipart(upload: &Upload) -> Result<(Vec<u8>, String), Error> {
    let name = header_safe("file name", &upload.file_name)?.replace('"', "%22");
    let content_type = header_safe("content type", &upload.content_type)?.trim();
    if content_type.is_empty() {
        return Err(Error::Config(
            "upload content type is empty: name the file's media type (e.g. `application/pdf`)"
                .into(),
        ));
    }
    let mut rng = rand::thread_rng();
    let boundary: String = (0..24)
        .map(|_| char::from(b"0123456789abcdef"[rng.gen_range(0..16)]))
        .collect();
    let boundary = format!("dhis2rs{boundary}");
    let mut body = Vec::with_capacity(upload.data.len() + 256);
    body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
    body.extend_from_slice(
        format!("Content-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n")
            .as_bytes(),
    );
    body.extend_from_slice(format!("Content-Type: {content_type}\r\n\r\n").as_bytes());
    body.extend_from_slice(&upload.data);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    Ok((body, boundary))
}

impl Files<'_> {
    /// Uploads a file and returns the new file resource (`response.fileResource`: `id`, `storageStatus`, ...).
    /// A file name or content type holding a line break (or another control character), or an empty content
    /// type, is refused with [`Error::Config`] before sending.
    pub async fn upload(&self, upload: &Upload) -> Result<Map<String, Value>, Error> {
        let (body, boundary) = multipart(upload)?;
        let content_type = format!("multipart/form-data; boundary={boundary}");
        tracing::info!(target: "dhis2::files", bytes = upload.data.len(), domain = %upload.domain, "uploading file");
        let params = [("domain", upload.domain.as_str())];
        let (bytes, path) = exchange::mapped(
            self.client,
            Method::POST,
            "api/fileResources",
            &params,
            Some(Payload {
                bytes: body.into(),
                content_type,
            }),
        )
        .await?;
        let answer: Value = exchange::decode_as(&Method::POST, &path, &bytes)?;
        match answer
            .get("response")
            .and_then(|r| r.get("fileResource"))
            .cloned()
        {
            Some(Value::Object(resource)) => Ok(resource),
            _ => Err(Error::Config(format!(
                "POST {path}: the answer carries no fileResource"
            ))),
        }
    }

    /// The file resource's metadata. `uid` must be a DHIS2 id (11 letters or digits), else [`Error::Config`].
    pub async fn get(&self, uid: &str) -> Result<Map<String, Value>, Error> {
        let uid = path::uid_segment("file resource", uid)?;
        self.client
            .get_raw(&format!("api/fileResources/{uid}"), &[])
            .await
    }

    /// Downloads the file's bytes into `writer` (streamed); returns the bytes written. `uid` is checked as in
    /// [`get`](Self::get).
    pub async fn download_to<W>(
        &self,
        uid: &str,
        writer: &mut W,
        progress: Progress,
    ) -> Result<u64, Error>
    where
        W: AsyncWrite + Unpin + ?Sized,
    {
        let uid = path::uid_segment("file resource", uid)?;
        stream_get(
            self.client,
            &format!("api/fileResources/{uid}/data"),
            &[],
            writer,
            progress,
            "dhis2::files",
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multipart_body_has_one_file_part() {
        let (body, boundary) =
            multipart(&Upload::new("a\"b.txt", "text/plain", &b"hi"[..])).unwrap();
        let text = String::from_utf8(body).unwrap();
        assert!(text.starts_with(&format!("--{boundary}\r\n")));
        assert!(text.contains("filename=\"a%22b.txt\""));
        assert!(text.ends_with(&format!("\r\n\r\nhi\r\n--{boundary}--\r\n")));
    }

    #[test]
    fn multipart_refuses_line_breaks_in_headers() {
        for (name, content_type) in [
            ("a\r\nContent-Type: text/html\r\n\r\nx.txt", "text/plain"),
            ("a\nb.txt", "text/plain"),
            ("a.txt", "text/plain\r\nX-Evil: 1"),
            ("a.txt", "text/plain\n"),
            ("a\u{0}.txt", "text/plain"),
            ("a.txt", ""),
        ] {
            let err = multipart(&Upload::new(name, content_type, &b"hi"[..])).unwrap_err();
            assert!(matches!(err, Error::Config(_)), "{name:?} {content_type:?}");
        }
    }
}
