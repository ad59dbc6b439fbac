//! Query-string parameters in request order, with repeats (`filter`, `order` may be given several times).

/// The decoded `(name, value)` pairs of a raw query string, in order (`None` means no query).
pub(crate) fn query_pairs(raw: Option<&str>) -> Vec<(String, String)> {
    url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
        .into_owned()
        .collect()
}

/// Decoded `(name, value)` pairs of a query string.
#[derive(Debug, Clone, Default)]
pub(crate) struct Params {
    pairs: Vec<(String, String)>,
}

impl Params {
    /// Parses a raw query string (`None` means no query).
    pub(crate) fn parse(raw: Option<&str>) -> Self {
        Self {
            pairs: query_pairs(raw),
        }
    }

    /// The first value of a parameter.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of a parameter, in order.
    pub(crate) fn get_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.pairs
            .iter()
            .filter(move |(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// All pairs in request order.
    pub(crate) fn pairs(&self) -> &[(String, String)] {
        &self.pairs
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_order_and_repeats() {
        let p = Params::parse(Some("filter=a:eq:1&fields=id&filter=b%3Alike%3Ax+y&empty="));
        assert_eq!(
            p.get_all("filter").collect::<Vec<_>>(),
            vec!["a:eq:1", "b:like:x y"]
        );
        assert_eq!(p.get("fields"), Some("id"));
        assert_eq!(p.get("empty"), Some(""));
        assert_eq!(p.get("nope"), None);
        assert_eq!(p.pairs().len(), 4);
    }
}
