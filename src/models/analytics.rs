//! The analytics grid (`GET /api/analytics`): `headers`, `rows`, `metaData`, `height`, `width`.

use serde_json::Value;

use super::{Extra, Field};

/// One column of an analytics grid.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct GridHeader {
    /// Column key: `dx`, `pe`, `ou`, `value`, ...
    pub name: Field<String>,
    /// Display name: `Data`, `Period`, `Organisation unit`, `Value`.
    pub column: Field<String>,
    /// Value type such as `TEXT` or `NUMBER`.
    pub value_type: Field<String>,
    /// Java type name such as `java.lang.Double`.
    pub java_type: Field<String>,
    /// Whether the column is hidden.
    pub hidden: Field<bool>,
    /// Whether the column holds dimension items (`true`) rather than values.
    pub meta: Field<bool>,
    /// Other keys, kept verbatim.
    pub extra: Extra,
}

lossless_model! {
    GridHeader {
        name: "name",
        column: "column",
        value_type: "valueType",
        java_type: "type",
        hidden: "hidden",
        meta: "meta",
    }
}

/// An analytics response.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AnalyticsResponse {
    /// Columns.
    pub headers: Vec<GridHeader>,
    /// `metaData`: `items` (id -> `{"name": ..}`) and `dimensions` (dimension -> item ids); absent with
    /// `skipMeta=true`.
    pub meta_data: Field<Value>,
    /// Rows of cells; DHIS2 writes every cell as a string.
    pub rows: Vec<Vec<Value>>,
    /// Number of rows.
    pub height: Field<u64>,
    /// Number of columns.
    pub width: Field<u64>,
    /// Number of headers.
    pub header_width: Field<u64>,
    /// Other keys, kept verbatim.
    pub extra: Extra,
}

lossless_model! {
    AnalyticsResponse {
        headers: "headers" always,
        meta_data: "metaData",
        rows: "rows" always,
        height: "height",
        width: "width",
        header_width: "headerWidth",
    }
}

impl AnalyticsResponse {
    /// Position of the column named `name` (`dx`, `pe`, `ou`, `value`).
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.headers
            .iter()
            .position(|h| h.name.as_str() == Some(name))
    }

    /// The cell of `row` in the column `name`, as text.
    pub fn cell<'a>(&self, row: &'a [Value], name: &str) -> Option<&'a str> {
        row.get(self.column_index(name)?)?.as_str()
    }

    /// The `value` column of `row` parsed as a number.
    pub fn value_of(&self, row: &[Value]) -> Option<f64> {
        let cell = row.get(self.column_index("value")?)?;
        cell.as_f64().or_else(|| cell.as_str()?.parse().ok())
    }

    /// The display name `metaData.items` gives an id (a UID, period or dimension key).
    pub fn item_name(&self, id: &str) -> Option<&str> {
        self.meta_data
            .value()?
            .get("items")?
            .get(id)?
            .get("name")?
            .as_str()
    }

    /// The item ids `metaData.dimensions` lists for a dimension, in order.
    pub fn dimension_items(&self, dimension: &str) -> Vec<&str> {
        self.meta_data
            .value()
            .and_then(|m| m.get("dimensions")?.get(dimension)?.as_array())
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_a_grid() {
        let raw = json!({
            "headers": [{"name": "dx", "column": "Data", "valueType": "TEXT", "type": "java.lang.String",
                         "hidden": false, "meta": true},
                        {"name": "value", "column": "Value", "valueType": "NUMBER", "type": "java.lang.Double",
                         "hidden": false, "meta": false}],
            "metaData": {"items": {"a": {"name": "ANC 1"}}, "dimensions": {"dx": ["a"]}},
            "rows": [["a", "12.5"]], "height": 1, "width": 2, "headerWidth": 2, "rowContext": {}
        });
        let grid: AnalyticsResponse = serde_json::from_value(raw.clone()).unwrap();
        assert_eq!(grid.value_of(&grid.rows[0]), Some(12.5));
        assert_eq!(grid.cell(&grid.rows[0], "dx"), Some("a"));
        assert_eq!(grid.item_name("a"), Some("ANC 1"));
        assert_eq!(grid.dimension_items("dx"), ["a"]);
        assert_eq!(serde_json::to_value(&grid).unwrap(), raw);
    }
}
