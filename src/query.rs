//! [`Query`]: the metadata list query builder (`fields`, `filter`, `rootJunction`, `order`, paging), rendered to
//! the repeated query parameters DHIS2 reads (WIRE 4.1, 11).
//!
//! ```
//! use dhis2::query::{Fields, Filter, Order, Preset, Query};
//!
//! let q = Query::new()
//!     .fields(Fields::new().preset(Preset::Identifiable).nested("categoryCombo", ["id", "name"]))
//!     .filter(Filter::on("name").ilike("anc"))
//!     .filter(Filter::on("valueType").in_(["NUMBER", "INTEGER"]))
//!     .or()
//!     .order(Order::asc("name"))
//!     .page_size(100);
//! assert_eq!(
//!     q.to_params(),
//!     vec![
//!         ("fields".to_owned(), ":identifiable,categoryCombo[id,name]".to_owned()),
//!         ("filter".to_owned(), "name:ilike:anc".to_owned()),
//!         ("filter".to_owned(), "valueType:in:[NUMBER,INTEGER]".to_owned()),
//!         ("rootJunction".to_owned(), "OR".to_owned()),
//!         ("order".to_owned(), "name:asc".to_owned()),
//!         ("pageSize".to_owned(), "100".to_owned()),
//!     ]
//! );
//! ```

use std::fmt;

/// A `fields` preset (WIRE 11.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Preset {
    /// `:all`, the same as `*`.
    All,
    /// `:identifiable`: `id,name,code,created,lastUpdated,lastUpdatedBy`.
    Identifiable,
    /// `:nameable`: `id,name,shortName,description,code,created,lastUpdated`.
    Nameable,
    /// `:idName`: `id,displayName` (the list default).
    IdName,
    /// `:id`.
    Id,
    /// `:code`.
    Code,
    /// `:owner`: the persisted properties the object owns (the metadata export default).
    Owner,
    /// `:persisted`: every persisted property.
    Persisted,
    /// `:simple`: the non-reference properties.
    Simple,
}

impl Preset {
    /// The preset as written in `fields`, e.g. `:owner`.
    pub fn as_str(self) -> &'static str {
        match self {
            Preset::All => ":all",
            Preset::Identifiable => ":identifiable",
            Preset::Nameable => ":nameable",
            Preset::IdName => ":idName",
            Preset::Id => ":id",
            Preset::Code => ":code",
            Preset::Owner => ":owner",
            Preset::Persisted => ":persisted",
            Preset::Simple => ":simple",
        }
    }
}

/// One item of a [`Fields`] list.
#[derive(Debug, Clone, PartialEq, Eq)]
enum FieldItem {
    /// A plain property, `*`, or anything written verbatim (transformers such as `name~rename(n)`).
    Name(String),
    Preset(Preset),
    Exclude(String),
    Nested(String, Fields),
}

/// A `fields` selection: properties, presets, exclusions (`!prop`) and nesting (`prop[...]`) to any depth.
///
/// `&str`, `String` and arrays of strings convert into a `Fields` holding those items verbatim, so
/// `Query::new().fields("id,name")` and `.fields(["id", "name"])` both work.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fields {
    items: Vec<FieldItem>,
}

impl Fields {
    /// An empty selection (renders as nothing; DHIS2 then uses its default).
    pub fn new() -> Self {
        Self::default()
    }

    /// `*`: every property.
    pub fn all() -> Self {
        Fields::new().field("*")
    }

    /// Adds a property (or anything DHIS2 accepts verbatim, such as `*` or `name~rename(label)`).
    pub fn field(mut self, name: impl Into<String>) -> Self {
        self.items.push(FieldItem::Name(name.into()));
        self
    }

    /// Adds a preset such as `:owner`.
    pub fn preset(mut self, preset: Preset) -> Self {
        self.items.push(FieldItem::Preset(preset));
        self
    }

    /// Excludes a property: `!name`.
    pub fn exclude(mut self, name: impl Into<String>) -> Self {
        self.items.push(FieldItem::Exclude(name.into()));
        self
    }

    /// Adds a nested selection: `name[inner]`.
    pub fn nested(mut self, name: impl Into<String>, inner: impl Into<Fields>) -> Self {
        self.items
            .push(FieldItem::Nested(name.into(), inner.into()));
        self
    }

    /// `true` when nothing is selected.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

impl fmt::Display for Fields {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, item) in self.items.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            match item {
                FieldItem::Name(n) => f.write_str(n)?,
                FieldItem::Preset(p) => f.write_str(p.as_str())?,
                FieldItem::Exclude(n) => write!(f, "!{n}")?,
                FieldItem::Nested(n, inner) => write!(f, "{n}[{inner}]")?,
            }
        }
        Ok(())
    }
}

impl From<&str> for Fields {
    fn from(s: &str) -> Self {
        Fields::new().field(s)
    }
}

impl From<String> for Fields {
    fn from(s: String) -> Self {
        Fields::new().field(s)
    }
}

impl From<Preset> for Fields {
    fn from(p: Preset) -> Self {
        Fields::new().preset(p)
    }
}

impl<S: Into<String>, const N: usize> From<[S; N]> for Fields {
    fn from(names: [S; N]) -> Self {
        names.into_iter().fold(Fields::new(), Fields::field)
    }
}

impl<S: Into<String>> From<Vec<S>> for Fields {
    fn from(names: Vec<S>) -> Self {
        names.into_iter().fold(Fields::new(), Fields::field)
    }
}

/// A filter operator (WIRE 11.2). Aliases DHIS2 accepts are separate variants so the exact token can be chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Operator {
    /// `eq`: equals.
    Eq,
    /// `ieq`: equals, case-insensitive.
    Ieq,
    /// `!eq`: not equal.
    NotEq,
    /// `ne`: not equal (alias).
    Ne,
    /// `neq`: not equal (alias).
    Neq,
    /// `gt`: greater than.
    Gt,
    /// `ge`: greater than or equal.
    Ge,
    /// `gte`: greater than or equal (alias).
    Gte,
    /// `lt`: less than.
    Lt,
    /// `le`: less than or equal.
    Le,
    /// `lte`: less than or equal (alias).
    Lte,
    /// `like`: contains, case-sensitive.
    Like,
    /// `!like`: does not contain, case-sensitive.
    NotLike,
    /// `$like`: starts with, case-sensitive.
    StartsLike,
    /// `!$like`: does not start with, case-sensitive.
    NotStartsLike,
    /// `like$`: ends with, case-sensitive.
    EndsLike,
    /// `!like$`: does not end with, case-sensitive.
    NotEndsLike,
    /// `ilike`: contains, case-insensitive.
    ILike,
    /// `!ilike`: does not contain, case-insensitive.
    NotILike,
    /// `$ilike`: starts with, case-insensitive.
    StartsILike,
    /// `startsWith`: starts with, case-insensitive (alias of `$ilike`).
    StartsWith,
    /// `!$ilike`: does not start with, case-insensitive.
    NotStartsILike,
    /// `ilike$`: ends with, case-insensitive.
    EndsILike,
    /// `endsWith`: ends with, case-insensitive (alias of `ilike$`).
    EndsWith,
    /// `!ilike$`: does not end with, case-insensitive.
    NotEndsILike,
    /// `token`: token match.
    Token,
    /// `!token`: no token match.
    NotToken,
    /// `in:[a,b]`: one of the values.
    In,
    /// `!in:[a,b]`: none of the values.
    NotIn,
    /// `null`: the property is null.
    Null,
    /// `!null`: the property is not null.
    NotNull,
    /// `empty`: the collection is empty.
    Empty,
    /// `!empty`: the collection is not empty. **2.42+ only**: 2.41 answers 400 `E1003`.
    NotEmpty,
}

impl Operator {
    /// Every operator, in declaration order.
    pub const ALL: &'static [Operator] = &[
        Operator::Eq,
        Operator::Ieq,
        Operator::NotEq,
        Operator::Ne,
        Operator::Neq,
        Operator::Gt,
        Operator::Ge,
        Operator::Gte,
        Operator::Lt,
        Operator::Le,
        Operator::Lte,
        Operator::Like,
        Operator::NotLike,
        Operator::StartsLike,
        Operator::NotStartsLike,
        Operator::EndsLike,
        Operator::NotEndsLike,
        Operator::ILike,
        Operator::NotILike,
        Operator::StartsILike,
        Operator::StartsWith,
        Operator::NotStartsILike,
        Operator::EndsILike,
        Operator::EndsWith,
        Operator::NotEndsILike,
        Operator::Token,
        Operator::NotToken,
        Operator::In,
        Operator::NotIn,
        Operator::Null,
        Operator::NotNull,
        Operator::Empty,
        Operator::NotEmpty,
    ];

    /// The operator token, e.g. `!$ilike`.
    pub fn as_str(self) -> &'static str {
        match self {
            Operator::Eq => "eq",
            Operator::Ieq => "ieq",
            Operator::NotEq => "!eq",
            Operator::Ne => "ne",
            Operator::Neq => "neq",
            Operator::Gt => "gt",
            Operator::Ge => "ge",
            Operator::Gte => "gte",
            Operator::Lt => "lt",
            Operator::Le => "le",
            Operator::Lte => "lte",
            Operator::Like => "like",
            Operator::NotLike => "!like",
            Operator::StartsLike => "$like",
            Operator::NotStartsLike => "!$like",
            Operator::EndsLike => "like$",
            Operator::NotEndsLike => "!like$",
            Operator::ILike => "ilike",
            Operator::NotILike => "!ilike",
            Operator::StartsILike => "$ilike",
            Operator::StartsWith => "startsWith",
            Operator::NotStartsILike => "!$ilike",
            Operator::EndsILike => "ilike$",
            Operator::EndsWith => "endsWith",
            Operator::NotEndsILike => "!ilike$",
            Operator::Token => "token",
            Operator::NotToken => "!token",
            Operator::In => "in",
            Operator::NotIn => "!in",
            Operator::Null => "null",
            Operator::NotNull => "!null",
            Operator::Empty => "empty",
            Operator::NotEmpty => "!empty",
        }
    }

    /// `true` for the operators that take no value (`null`, `!null`, `empty`, `!empty`).
    pub fn is_unary(self) -> bool {
        matches!(
            self,
            Operator::Null | Operator::NotNull | Operator::Empty | Operator::NotEmpty
        )
    }

    /// `true` for `in` and `!in`, whose value is a bracketed list.
    pub fn is_list(self) -> bool {
        matches!(self, Operator::In | Operator::NotIn)
    }
}

impl fmt::Display for Operator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The value of a filter.
#[derive(Debug, Clone, PartialEq, Eq)]
enum FilterValue {
    None,
    One(String),
    List(Vec<String>),
}

/// One `filter=property:operator[:value]` (WIRE 11.2). Start with [`Filter::on`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    property: String,
    op: Operator,
    value: FilterValue,
}

/// The property half of a filter; pick the operator to get a [`Filter`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterOn {
    property: String,
}

macro_rules! binary_ops {
    ($($(#[$doc:meta])* $name:ident => $op:ident;)*) => {
        impl FilterOn {
            $(
                $(#[$doc])*
                pub fn $name(self, value: impl fmt::Display) -> Filter {
                    Filter::new(self.property, Operator::$op, value)
                }
            )*
        }
    };
}

binary_ops! {
    /// `eq`: equals.
    eq => Eq;
    /// `ieq`: equals, case-insensitive.
    ieq => Ieq;
    /// `!eq`: not equal.
    not_eq => NotEq;
    /// `ne`: not equal.
    ne => Ne;
    /// `gt`: greater than.
    gt => Gt;
    /// `ge`: greater than or equal.
    ge => Ge;
    /// `lt`: less than.
    lt => Lt;
    /// `le`: less than or equal.
    le => Le;
    /// `like`: contains, case-sensitive.
    like => Like;
    /// `!like`: does not contain, case-sensitive.
    not_like => NotLike;
    /// `$like`: starts with, case-sensitive.
    starts_like => StartsLike;
    /// `!$like`: does not start with, case-sensitive.
    not_starts_like => NotStartsLike;
    /// `like$`: ends with, case-sensitive.
    ends_like => EndsLike;
    /// `!like$`: does not end with, case-sensitive.
    not_ends_like => NotEndsLike;
    /// `ilike`: contains, case-insensitive.
    ilike => ILike;
    /// `!ilike`: does not contain, case-insensitive.
    not_ilike => NotILike;
    /// `$ilike`: starts with, case-insensitive.
    starts_ilike => StartsILike;
    /// `!$ilike`: does not start with, case-insensitive.
    not_starts_ilike => NotStartsILike;
    /// `ilike$`: ends with, case-insensitive.
    ends_ilike => EndsILike;
    /// `!ilike$`: does not end with, case-insensitive.
    not_ends_ilike => NotEndsILike;
    /// `token`: token match (`identifiable:token:ANC visit` searches id, code, name and shortName).
    token => Token;
    /// `!token`: no token match.
    not_token => NotToken;
}

impl FilterOn {
    /// `in:[a,b,...]`: one of the values.
    pub fn in_<I>(self, values: I) -> Filter
    where
        I: IntoIterator,
        I::Item: fmt::Display,
    {
        Filter::list(self.property, Operator::In, values)
    }

    /// `!in:[a,b,...]`: none of the values.
    pub fn not_in<I>(self, values: I) -> Filter
    where
        I: IntoIterator,
        I::Item: fmt::Display,
    {
        Filter::list(self.property, Operator::NotIn, values)
    }

    /// `null`.
    pub fn null(self) -> Filter {
        Filter::unary(self.property, Operator::Null)
    }

    /// `!null`.
    pub fn not_null(self) -> Filter {
        Filter::unary(self.property, Operator::NotNull)
    }

    /// `empty`: an empty collection.
    pub fn empty(self) -> Filter {
        Filter::unary(self.property, Operator::Empty)
    }

    /// `!empty`: a non-empty collection (2.42+; the accessors refuse it on older servers).
    pub fn not_empty(self) -> Filter {
        Filter::unary(self.property, Operator::NotEmpty)
    }

    /// Any operator: unary ones ignore `value`, `in`/`!in` treat it as a one-element list.
    pub fn op(self, op: Operator, value: impl fmt::Display) -> Filter {
        if op.is_unary() {
            Filter::unary(self.property, op)
        } else if op.is_list() {
            Filter::list(self.property, op, [value])
        } else {
            Filter::new(self.property, op, value)
        }
    }
}

impl Filter {
    /// Starts a filter on `property` (a dotted path such as `dataSetElements.dataSet.id` is allowed, as is an
    /// attribute UID to filter on attribute values).
    pub fn on(property: impl Into<String>) -> FilterOn {
        FilterOn {
            property: property.into(),
        }
    }

    fn new(property: String, op: Operator, value: impl fmt::Display) -> Filter {
        Filter {
            property,
            op,
            value: FilterValue::One(value.to_string()),
        }
    }

    fn unary(property: String, op: Operator) -> Filter {
        Filter {
            property,
            op,
            value: FilterValue::None,
        }
    }

    fn list<I>(property: String, op: Operator, values: I) -> Filter
    where
        I: IntoIterator,
        I::Item: fmt::Display,
    {
        Filter {
            property,
            op,
            value: FilterValue::List(values.into_iter().map(|v| v.to_string()).collect()),
        }
    }

    /// The property path.
    pub fn property(&self) -> &str {
        &self.property
    }

    /// The operator.
    pub fn operator(&self) -> Operator {
        self.op
    }

    /// Why DHIS2 would misread this filter, if it would: it splits a filter parameter at commas outside
    /// brackets, so a plain value must not contain one, nor a list item a comma or `]`; an empty `in` list and a
    /// property that is not `[a-zA-Z0-9.]+` are rejected too.
    pub fn problem(&self) -> Option<String> {
        let prop_ok = !self.property.is_empty()
            && self
                .property
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.');
        if !prop_ok {
            return Some(format!(
                "filter property {:?} must be letters, digits and dots",
                self.property
            ));
        }
        match &self.value {
            FilterValue::None => None,
            FilterValue::One(v) if v.contains(',') || v.contains('\n') || v.contains('\r') => {
                Some(format!(
                    "filter {}: DHIS2 splits filters at commas and line breaks, so the value {v:?} cannot be sent",
                    self.property
                ))
            }
            FilterValue::One(v) if v.is_empty() => Some(format!(
                "filter {}:{}: the value is empty",
                self.property, self.op
            )),
            FilterValue::One(_) => None,
            FilterValue::List(vs) if vs.is_empty() => Some(format!(
                "filter {}:{}: the list is empty (DHIS2 rejects `in` without values)",
                self.property, self.op
            )),
            FilterValue::List(vs) => vs
                .iter()
                .find(|v| v.contains(',') || v.contains(']'))
                .map(|v| {
                    format!(
                        "filter {}:{}: the list item {v:?} contains `,` or `]`, which DHIS2 cannot read inside `[...]`",
                        self.property, self.op
                    )
                }),
        }
    }
}

impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.property, self.op)?;
        match &self.value {
            FilterValue::None => Ok(()),
            FilterValue::One(v) => write!(f, ":{v}"),
            FilterValue::List(vs) => write!(f, ":[{}]", vs.join(",")),
        }
    }
}

/// `rootJunction`: how the root filters combine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Junction {
    /// Every filter must match (the default).
    #[default]
    And,
    /// Any filter may match.
    Or,
}

impl Junction {
    /// `AND` or `OR`.
    pub fn as_str(self) -> &'static str {
        match self {
            Junction::And => "AND",
            Junction::Or => "OR",
        }
    }
}

/// Sort direction of an [`Order`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// `asc`.
    Asc,
    /// `desc`.
    Desc,
    /// `iasc`: ascending, case-insensitive.
    IAsc,
    /// `idesc`: descending, case-insensitive.
    IDesc,
}

impl Direction {
    /// The token, e.g. `idesc`.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Asc => "asc",
            Direction::Desc => "desc",
            Direction::IAsc => "iasc",
            Direction::IDesc => "idesc",
        }
    }
}

/// One `order=property:direction` (WIRE 11.3; only persisted simple properties can be ordered on).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Order {
    property: String,
    direction: Direction,
}

impl Order {
    /// Orders by `property` in `direction`.
    pub fn new(property: impl Into<String>, direction: Direction) -> Self {
        Order {
            property: property.into(),
            direction,
        }
    }

    /// Ascending.
    pub fn asc(property: impl Into<String>) -> Self {
        Order::new(property, Direction::Asc)
    }

    /// Descending.
    pub fn desc(property: impl Into<String>) -> Self {
        Order::new(property, Direction::Desc)
    }

    /// Ascending, case-insensitive.
    pub fn iasc(property: impl Into<String>) -> Self {
        Order::new(property, Direction::IAsc)
    }

    /// Descending, case-insensitive.
    pub fn idesc(property: impl Into<String>) -> Self {
        Order::new(property, Direction::IDesc)
    }
}

impl fmt::Display for Order {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.property, self.direction.as_str())
    }
}

/// A list query: `fields`, `filter`s with `rootJunction`, `order`, `page`, `pageSize`, `paging`, plus any other
/// parameter. Render it with [`Query::to_params`]; the accessors do so for you.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query {
    fields: Option<Fields>,
    filters: Vec<Filter>,
    junction: Option<Junction>,
    order: Vec<Order>,
    page: Option<u64>,
    page_size: Option<u64>,
    paging: Option<bool>,
    extra: Vec<(String, String)>,
}

impl Query {
    /// An empty query (DHIS2 defaults: `fields=id,displayName` for lists, page 1 of 50).
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `fields` (replacing an earlier selection).
    pub fn fields(mut self, fields: impl Into<Fields>) -> Self {
        self.fields = Some(fields.into());
        self
    }

    /// Adds a filter (repeatable).
    pub fn filter(mut self, filter: Filter) -> Self {
        self.filters.push(filter);
        self
    }

    /// Sets `rootJunction`.
    pub fn root_junction(mut self, junction: Junction) -> Self {
        self.junction = Some(junction);
        self
    }

    /// `rootJunction=OR`: any root filter may match.
    pub fn or(self) -> Self {
        self.root_junction(Junction::Or)
    }

    /// Adds an order term (repeatable; a property given twice keeps its first direction on the server).
    pub fn order(mut self, order: Order) -> Self {
        self.order.push(order);
        self
    }

    /// `page` (1-based).
    pub fn page(mut self, page: u64) -> Self {
        self.page = Some(page);
        self
    }

    /// `pageSize`.
    pub fn page_size(mut self, page_size: u64) -> Self {
        self.page_size = Some(page_size);
        self
    }

    /// `paging=false` returns every object in one answer without a pager.
    pub fn paging(mut self, paging: bool) -> Self {
        self.paging = Some(paging);
        self
    }

    /// Any other parameter, e.g. `("query", "ANC")` or `("defaults", "EXCLUDE")` (repeatable).
    pub fn param(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.extra.push((key.into(), value.into()));
        self
    }

    /// The filters.
    pub fn filters(&self) -> &[Filter] {
        &self.filters
    }

    /// The requested page, if set.
    pub fn page_number(&self) -> Option<u64> {
        self.page
    }

    /// The requested page size, if set.
    pub fn page_size_value(&self) -> Option<u64> {
        self.page_size
    }

    /// `Some(false)` when paging is switched off.
    pub fn paging_value(&self) -> Option<bool> {
        self.paging
    }

    /// The first problem DHIS2 would have with this query (see [`Filter::problem`]; also a zero page size).
    pub fn problem(&self) -> Option<String> {
        if self.page_size == Some(0) {
            return Some("pageSize must be at least 1".to_owned());
        }
        self.filters.iter().find_map(Filter::problem)
    }

    /// The query parameters, in order: `fields`, each `filter`, `rootJunction`, each `order`, `page`,
    /// `pageSize`, `paging`, then the extra parameters.
    pub fn to_params(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        if let Some(f) = self.fields.as_ref().filter(|f| !f.is_empty()) {
            out.push(("fields".to_owned(), f.to_string()));
        }
        for f in &self.filters {
            out.push(("filter".to_owned(), f.to_string()));
        }
        if let Some(j) = self.junction {
            out.push(("rootJunction".to_owned(), j.as_str().to_owned()));
        }
        for o in &self.order {
            out.push(("order".to_owned(), o.to_string()));
        }
        if let Some(p) = self.page {
            out.push(("page".to_owned(), p.to_string()));
        }
        if let Some(s) = self.page_size {
            out.push(("pageSize".to_owned(), s.to_string()));
        }
        if let Some(p) = self.paging {
            out.push(("paging".to_owned(), p.to_string()));
        }
        out.extend(self.extra.iter().cloned());
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_nested_fields_presets_and_exclusions() {
        let f = Fields::new()
            .preset(Preset::All)
            .exclude("organisationUnits")
            .nested(
                "children",
                Fields::new().field("id").nested("parent", Preset::IdName),
            );
        assert_eq!(
            f.to_string(),
            ":all,!organisationUnits,children[id,parent[:idName]]"
        );
        assert_eq!(Fields::from(["id", "name"]).to_string(), "id,name");
        assert_eq!(Fields::all().to_string(), "*");
    }

    #[test]
    fn every_operator_renders_its_token() {
        for op in Operator::ALL {
            let f = Filter::on("name").op(*op, "x").to_string();
            let expected = if op.is_unary() {
                format!("name:{}", op.as_str())
            } else if op.is_list() {
                format!("name:{}:[x]", op.as_str())
            } else {
                format!("name:{}:x", op.as_str())
            };
            assert_eq!(f, expected);
        }
        assert_eq!(Operator::ALL.len(), 33);
        assert_eq!(Filter::on("a").not_in([1, 2]).to_string(), "a:!in:[1,2]");
        assert_eq!(Filter::on("a").not_empty().to_string(), "a:!empty");
        assert_eq!(Filter::on("a").ends_ilike("z").to_string(), "a:ilike$:z");
    }

    #[test]
    fn flags_values_dhis2_would_split() {
        assert!(Filter::on("name").eq("a,b").problem().is_some());
        assert!(Filter::on("name").in_(["a]"]).problem().is_some());
        assert!(Filter::on("name")
            .in_(Vec::<String>::new())
            .problem()
            .is_some());
        assert!(Filter::on("bad prop").eq("x").problem().is_some());
        assert!(Filter::on("code").eq("a:b").problem().is_none());
        assert!(Query::new().page_size(0).problem().is_some());
    }

    #[test]
    fn renders_paging_and_extras_in_order() {
        let q = Query::new()
            .paging(false)
            .page(3)
            .order(Order::idesc("name"))
            .param("query", "ANC");
        assert_eq!(
            q.to_params(),
            vec![
                ("order".to_owned(), "name:idesc".to_owned()),
                ("page".to_owned(), "3".to_owned()),
                ("paging".to_owned(), "false".to_owned()),
                ("query".to_owned(), "ANC".to_owned()),
            ]
        );
    }
}
