//! Path segments made from caller or server values: each value becomes exactly one checked, percent-encoded segment.
//!
//! Every accessor that puts a value into a request path goes through [`segment`] (names, keys, codes) or
//! [`uid_segment`] (DHIS2 ids). A value can therefore never add a segment, climb out of its endpoint with `..`,
//! or start a query or a fragment: `client.settings().delete("../users/X")` sends
//! `DELETE /api/systemSettings/..%2Fusers%2FX`, and `client.settings().delete("..")` is refused before sending.

use std::borrow::Cow;

use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use crate::Error;

/// Every byte but RFC 3986's unreserved characters (`A-Z a-z 0-9 - . _ ~`) is percent-encoded, `%` included, so
/// the server decodes the segment back to exactly the caller's value.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// `value` as one percent-encoded path segment. Refuses (with [`Error::Config`] naming `what` and the value) an
/// empty value and `.` or `..`, also when spelled with percent escapes (`%2e%2e`): those would name the
/// endpoint itself or its parent.
pub(crate) fn segment<'a>(what: &str, value: &'a str) -> Result<Cow<'a, str>, Error> {
    if value.is_empty() {
        return Err(refused(what, value, "it is empty"));
    }
    let decoded = percent_decode_str(value).decode_utf8_lossy();
    if matches!(&*decoded, "." | "..") {
        return Err(refused(
            what,
            value,
            "`.` and `..` name the endpoint or its parent, not one item",
        ));
    }
    Ok(utf8_percent_encode(value, SEGMENT).into())
}

/// Several segments separated by `/` (a sub-path the caller chooses, e.g. under a wildcard route), each checked
/// and encoded like [`segment`]. A leading `/` is ignored and one trailing `/` is kept; empty segments in between
/// are refused.
pub(crate) fn segments(what: &str, value: &str) -> Result<String, Error> {
    let trimmed = value.strip_prefix('/').unwrap_or(value);
    let (body, trailing) = match trimmed.strip_suffix('/') {
        Some(body) => (body, true),
        None => (trimmed, false),
    };
    let mut out = String::with_capacity(body.len() + 1);
    for (i, piece) in body.split('/').enumerate() {
        if i > 0 {
            out.push('/');
        }
        out.push_str(&segment(what, piece).map_err(|_| {
            refused(
                what,
                value,
                "every `/`-separated part must be non-empty and neither `.` nor `..`",
            )
        })?);
    }
    if trailing {
        out.push('/');
    }
    Ok(out)
}

/// Checks the id of a `what` (`dataElement`, `file resource`, ...) before it goes into a path: DHIS2 routes only `[a-zA-Z0-9]{11}` (WIRE 1.4); anything else
/// would reach another endpoint or an HTML 404. The id needs no encoding, so it is returned as is.
pub(crate) fn uid_segment<'a>(what: &str, uid: &'a str) -> Result<&'a str, Error> {
    if uid.len() == 11 && uid.bytes().all(|b| b.is_ascii_alphanumeric()) {
        Ok(uid)
    } else {
        Err(refused(
            &format!("{what} id"),
            uid,
            "DHIS2 ids are 11 letters or digits",
        ))
    }
}

fn refused(what: &str, value: &str, why: &str) -> Error {
    Error::Config(format!(
        "{what} {value:?} cannot be used in a request path: {why}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_everything_but_unreserved() {
        assert_eq!(segment("k", "keyUiLocale").unwrap(), "keyUiLocale");
        assert_eq!(segment("k", "a-b.c_d~e").unwrap(), "a-b.c_d~e");
        assert_eq!(segment("k", "../users/X").unwrap(), "..%2Fusers%2FX");
        assert_eq!(segment("k", "a?b#c").unwrap(), "a%3Fb%23c");
        assert_eq!(segment("k", "my app").unwrap(), "my%20app");
        assert_eq!(segment("k", "100%").unwrap(), "100%25");
        assert_eq!(segment("k", "%2F").unwrap(), "%252F");
        assert_eq!(segment("k", "a\\b;c").unwrap(), "a%5Cb%3Bc");
        assert_eq!(segment("k", "é").unwrap(), "%C3%A9");
        assert_eq!(segment("k", "...").unwrap(), "...");
    }

    #[test]
    fn refuses_empty_and_dot_segments() {
        for bad in ["", ".", "..", "%2e", "%2E%2e", ".%2e", "%2e."] {
            let err = segment("datastore key", bad).unwrap_err();
            assert!(matches!(err, Error::Config(_)), "{bad:?}");
            let text = err.to_string();
            assert!(text.contains("datastore key"), "{text}");
            assert!(text.contains(&format!("{bad:?}")), "{text}");
        }
    }

    #[test]
    fn sub_paths_keep_their_slashes_only() {
        assert_eq!(segments("p", "a/b c/d").unwrap(), "a/b%20c/d");
        assert_eq!(segments("p", "/a/b/").unwrap(), "a/b/");
        assert_eq!(segments("p", "a?x=1").unwrap(), "a%3Fx%3D1");
        for bad in ["", "/", "a//b", "a/../b", "../x", "a/.", "%2e%2e/x"] {
            assert!(segments("p", bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn uids_are_eleven_alphanumerics() {
        assert_eq!(uid_segment("id", "aBcDeFgHiJk").unwrap(), "aBcDeFgHiJk");
        for bad in [
            "",
            "aBcDeFgHiJ",
            "aBcDeFgHiJkl",
            "../aBcDeFgH",
            "aBcDeF/HiJk",
            "aBcDeFgHiJ.",
        ] {
            assert!(uid_segment("id", bad).is_err(), "{bad:?}");
        }
    }
}
