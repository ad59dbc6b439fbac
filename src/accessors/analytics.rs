//! `client.analytics()`: a query builder for `/api/analytics` (`dx`, `pe`, `ou` dimensions, filters,
//! options), a typed grid, and streaming of large responses to a writer.

use tokio::io::AsyncWrite;

use super::exchange;
use super::progress::{stream_get, Progress};
use crate::models::AnalyticsResponse;
use crate::{Dhis2Client, Error};

/// Analytics endpoints. Get one with [`Dhis2Client::analytics`].
#[derive(Debug, Clone, Copy)]
pub struct Analytics<'a> {
    client: &'a Dhis2Client,
}

impl Dhis2Client {
    /// Aggregate analytics (`/api/analytics`).
    pub fn analytics(&self) -> Analytics<'_> {
        Analytics { client: self }
    }
}

impl<'a> Analytics<'a> {
    /// A new query.
    pub fn query(&self) -> AnalyticsQuery<'a> {
        AnalyticsQuery {
            client: self.client,
            dimensions: Vec::new(),
            filters: Vec::new(),
            options: Vec::new(),
        }
    }
}

/// An analytics query. Dimensions become columns of the grid; filters restrict and aggregate without a column.
#[derive(Debug, Clone)]
pub struct AnalyticsQuery<'a> {
    client: &'a Dhis2Client,
    dimensions: Vec<(String, Vec<String>)>,
    filters: Vec<(String, Vec<String>)>,
    options: Vec<(String, String)>,
}

fn add(list: &mut Vec<(String, Vec<String>)>, dim: &str, items: Vec<String>) {
    match list.iter_mut().find(|(d, _)| d == dim) {
        Some((_, existing)) => existing.extend(items),
        None => list.push((dim.to_owned(), items)),
    }
}

fn collect<I: IntoIterator<Item = S>, S: Into<String>>(items: I) -> Vec<String> {
    items.into_iter().map(Into::into).collect()
}

impl<'a> AnalyticsQuery<'a> {
    /// Data items (data elements, indicators, ...) as the `dx` dimension.
    pub fn dx<I: IntoIterator<Item = S>, S: Into<String>>(self, items: I) -> Self {
        self.dimension("dx", items)
    }

    /// Periods (ISO such as `202401` or relative such as `LAST_12_MONTHS`) as the `pe` dimension.
    pub fn pe<I: IntoIterator<Item = S>, S: Into<String>>(self, items: I) -> Self {
        self.dimension("pe", items)
    }

    /// Org units (UIDs, `USER_ORGUNIT`, `LEVEL-2`, ...) as the `ou` dimension.
    pub fn ou<I: IntoIterator<Item = S>, S: Into<String>>(self, items: I) -> Self {
        self.dimension("ou", items)
    }

    /// Any dimension (`co`, a category or group set UID, ...).
    pub fn dimension<I: IntoIterator<Item = S>, S: Into<String>>(
        mut self,
        dim: &str,
        items: I,
    ) -> Self {
        add(&mut self.dimensions, dim, collect(items));
        self
    }

    /// A filter on a dimension.
    pub fn filter<I: IntoIterator<Item = S>, S: Into<String>>(
        mut self,
        dim: &str,
        items: I,
    ) -> Self {
        add(&mut self.filters, dim, collect(items));
        self
    }

    /// Periods by date range instead of `pe`.
    pub fn dates(self, start: &str, end: &str) -> Self {
        self.option("startDate", start).option("endDate", end)
    }

    /// Leave `metaData` out.
    pub fn skip_meta(self, skip: bool) -> Self {
        self.option("skipMeta", if skip { "true" } else { "false" })
    }

    /// `NAME` or `SHORTNAME` for item names.
    pub fn display_property(self, property: &str) -> Self {
        self.option("displayProperty", property)
    }

    /// Any other option (`aggregationType`, `skipRounding`, `includeNumDen`, ...).
    pub fn option(mut self, key: &str, value: &str) -> Self {
        self.options.retain(|(k, _)| k != key);
        self.options.push((key.to_owned(), value.to_owned()));
        self
    }

    /// The query string parameters: `dimension=dx:a;b`, `filter=pe:2024`, then the options.
    pub fn params(&self) -> Vec<(String, String)> {
        let spec = |(d, items): &(String, Vec<String>)| {
            if items.is_empty() {
                d.clone()
            } else {
                format!("{d}:{}", items.join(";"))
            }
        };
        let mut out: Vec<(String, String)> = self
            .dimensions
            .iter()
            .map(|d| ("dimension".to_owned(), spec(d)))
            .collect();
        out.extend(self.filters.iter().map(|f| ("filter".to_owned(), spec(f))));
        out.extend(self.options.iter().cloned());
        out
    }

    /// Runs the query and decodes the grid.
    pub async fn get(&self) -> Result<AnalyticsResponse, Error> {
        let params = self.params();
        tracing::debug!(target: "dhis2::analytics", ?params, "analytics query");
        self.client
            .get("api/analytics", &exchange::borrow(&params))
            .await
    }

    /// Streams the JSON answer to `writer` without buffering it; returns the bytes written.
    pub async fn stream_to<W>(&self, writer: &mut W, progress: Progress) -> Result<u64, Error>
    where
        W: AsyncWrite + Unpin + ?Sized,
    {
        let params = self.params();
        stream_get(
            self.client,
            "api/analytics",
            &exchange::borrow(&params),
            writer,
            progress,
            "dhis2::analytics",
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_dimension_params() {
        let client = Dhis2Client::builder("http://127.0.0.1:9").build().unwrap();
        let q = client
            .analytics()
            .query()
            .dx(["a", "b"])
            .pe(["202401"])
            .pe(["202402"])
            .ou(["X"])
            .filter("co", Vec::<String>::new())
            .skip_meta(true);
        assert_eq!(
            q.params(),
            vec![
                ("dimension".to_owned(), "dx:a;b".to_owned()),
                ("dimension".to_owned(), "pe:202401;202402".to_owned()),
                ("dimension".to_owned(), "ou:X".to_owned()),
                ("filter".to_owned(), "co".to_owned()),
                ("skipMeta".to_owned(), "true".to_owned()),
            ]
        );
    }
}
