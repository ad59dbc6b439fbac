//! Response compression the way the nginx in front of a production DHIS2 does it: text types only, above a
//! minimum size, only when the request's `Accept-Encoding` asks, with `Vary: Accept-Encoding`.
//!
//! The encoding itself is tower-http's `CompressionLayer`; this module only picks the one encoding that is offered
//! and the predicate (nginx's `gzip_types` and `gzip_min_length`).

use axum::http::header;
use tower_http::compression::predicate::{Predicate, SizeAbove};
use tower_http::compression::{CompressionLayer, CompressionLevel};

/// Which content coding the emulator offers for its responses (one at a time, as a deployment configures it).
///
/// Responses are encoded only when the request's `Accept-Encoding` accepts that coding, the `Content-Type` is a
/// text type (`application/json`, `application/xml`, `application/javascript`, any `text/*`, e.g. `text/csv`,
/// `text/html`) and the body is at least [`Compression::MIN_LENGTH`] bytes, or of unknown length (a streamed
/// export). Every response that qualifies by type and size carries `Vary: Accept-Encoding`, whatever the request
/// asked, as nginx's `gzip_vary on` does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Compression {
    /// Never encode (every body is sent as it is, `identity`); no `Vary` header is added.
    Off,
    /// gzip only (the default), at level 1 like nginx's default `gzip_comp_level`.
    #[default]
    Gzip,
    /// Brotli only, at quality 4 (tower-http's default for on-the-fly brotli).
    Br,
    /// zstd only, at zstd's default level 3.
    Zstd,
}

impl Compression {
    /// The smallest body, in bytes, that is compressed (nginx's `gzip_min_length`; its default is 20, a
    /// deployment typically raises it to about 1 KB, below which compression saves next to nothing).
    pub const MIN_LENGTH: u16 = 1024;

    /// The name the binary's `--compression` flag takes: `off`, `gzip`, `br` or `zstd`.
    pub fn as_str(self) -> &'static str {
        match self {
            Compression::Off => "off",
            Compression::Gzip => "gzip",
            Compression::Br => "br",
            Compression::Zstd => "zstd",
        }
    }
}

impl std::fmt::Display for Compression {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A `--compression` value that is not `off`, `gzip`, `br` or `zstd`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompressionParseError(String);

impl std::fmt::Display for CompressionParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "compression must be off, gzip, br or zstd, not `{}`",
            self.0
        )
    }
}

impl std::error::Error for CompressionParseError {}

impl std::str::FromStr for Compression {
    type Err = CompressionParseError;

    /// Parses `off`, `gzip`, `br` or `zstd` (ASCII case ignored; `none` and `identity` mean `off`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "off" | "none" | "identity" => Ok(Compression::Off),
            "gzip" => Ok(Compression::Gzip),
            "br" | "brotli" => Ok(Compression::Br),
            "zstd" => Ok(Compression::Zstd),
            _ => Err(CompressionParseError(s.to_string())),
        }
    }
}

/// nginx's `gzip_types` for a DHIS2: JSON, XML, JavaScript and every `text/*` type.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct TextTypes;

impl TextTypes {
    fn matches(content_type: &str) -> bool {
        let media = content_type
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        media.starts_with("text/")
            || matches!(
                media.as_str(),
                "application/json" | "application/xml" | "application/javascript"
            )
    }
}

impl Predicate for TextTypes {
    fn should_compress<B>(&self, response: &axum::http::Response<B>) -> bool
    where
        B: http_body::Body,
    {
        response
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(TextTypes::matches)
    }
}

/// The predicate: at least [`Compression::MIN_LENGTH`] bytes (or a streamed body of unknown length) of a text
/// type.
pub(crate) type Policy = tower_http::compression::predicate::And<SizeAbove, TextTypes>;

/// The layer for a setting; `None` for [`Compression::Off`].
pub(crate) fn layer(setting: Compression) -> Option<CompressionLayer<Policy>> {
    let policy = SizeAbove::new(Compression::MIN_LENGTH).and(TextTypes);
    // Each setting offers exactly one coding: a client that accepts several gets that one or none.
    let only = CompressionLayer::new()
        .no_gzip()
        .no_br()
        .no_zstd()
        .no_deflate();
    let layer = match setting {
        Compression::Off => return None,
        Compression::Gzip => only.gzip(true).quality(CompressionLevel::Precise(1)),
        Compression::Br => only.br(true),
        Compression::Zstd => only.zstd(true),
    };
    Some(layer.compress_when(policy))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_types_are_nginx_gzip_types() {
        for t in [
            "application/json",
            "application/json;charset=UTF-8",
            "Application/JSON; charset=utf-8",
            "text/csv",
            "text/html;charset=UTF-8",
            "text/plain",
            "application/xml",
            "application/javascript",
        ] {
            assert!(TextTypes::matches(t), "{t}");
        }
        for t in [
            "image/png",
            "application/octet-stream",
            "application/zip",
            "application/pdf",
            "",
        ] {
            assert!(!TextTypes::matches(t), "{t}");
        }
    }

    #[test]
    fn parses_flag_values() {
        assert_eq!("off".parse(), Ok(Compression::Off));
        assert_eq!("GZIP".parse(), Ok(Compression::Gzip));
        assert_eq!("br".parse(), Ok(Compression::Br));
        assert_eq!("zstd".parse(), Ok(Compression::Zstd));
        assert!("deflate".parse::<Compression>().is_err());
        assert_eq!(Compression::default(), Compression::Gzip);
        for c in [
            Compression::Off,
            Compression::Gzip,
            Compression::Br,
            Compression::Zstd,
        ] {
            assert_eq!(c.to_string().parse(), Ok(c));
        }
    }
}
