//! [`Resource`] and the type descriptions every generated model carries ([`TypeInfo`], [`FieldInfo`]).

use serde::de::DeserializeOwned;
use serde::Serialize;

/// A metadata type served at `/api/{PLURAL}`; implemented by every generated metadata model with an endpoint.
pub trait Resource:
    Serialize + DeserializeOwned + Clone + std::fmt::Debug + Default + Send + Sync + 'static
{
    /// Schema name, e.g. `dataElement`.
    const SINGULAR: &'static str;
    /// Plural name: the collection key of list responses and metadata payloads, e.g. `dataElements`.
    const PLURAL: &'static str;
    /// API path, e.g. `/api/dataElements`.
    const ENDPOINT: &'static str;
    /// Fully qualified Java class, e.g. `org.hisp.dhis.dataelement.DataElement`.
    const KLASS: &'static str;
    /// Full description of the type.
    const INFO: TypeInfo;

    /// The object's id, when present.
    fn id(&self) -> Option<&str>;
}

/// Description of one generated type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TypeInfo {
    /// Rust type name, e.g. `DataElement`.
    pub rust_name: &'static str,
    /// Fully qualified Java class.
    pub klass: &'static str,
    /// Schema name, e.g. `dataElement`.
    pub singular: &'static str,
    /// Plural name, e.g. `dataElements`.
    pub plural: &'static str,
    /// API path, e.g. `/api/dataElements`, for types with an endpoint.
    pub endpoint: Option<&'static str>,
    /// `true` for metadata types (importable through `/api/metadata`).
    pub metadata: bool,
    /// Versions that have this type, e.g. `&["v41", "v42"]`.
    pub versions: &'static [&'static str],
    /// The modelled properties.
    pub fields: &'static [FieldInfo],
}

impl TypeInfo {
    /// The property with JSON key `name`.
    pub fn field(&self, name: &str) -> Option<&'static FieldInfo> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// The properties a version has (`version` is a label such as `"v42"`), e.g. to build a `fields` list that
    /// the server will accept.
    pub fn fields_in<'v>(&self, version: &'v str) -> impl Iterator<Item = &'static FieldInfo> + 'v {
        self.fields.iter().filter(move |f| f.in_version(version))
    }

    /// `true` when the type exists in `version` (a label such as `"v42"`).
    pub fn in_version(&self, version: &str) -> bool {
        self.versions.contains(&version)
    }

    /// The generated type whose collection key (plural) is `plural`, e.g. `"dataElements"`.
    pub fn by_plural(plural: &str) -> Option<&'static TypeInfo> {
        super::generated::TYPES.iter().find(|t| t.plural == plural)
    }

    /// The generated type for a fully qualified Java class, e.g. `"org.hisp.dhis.dataelement.DataElement"`.
    pub fn by_klass(klass: &str) -> Option<&'static TypeInfo> {
        super::generated::TYPES.iter().find(|t| t.klass == klass)
    }
}

impl FieldInfo {
    /// `true` when the property exists in `version` (a label such as `"v42"`).
    pub fn in_version(&self, version: &str) -> bool {
        self.versions.contains(&version)
    }
}

/// Description of one property of a generated type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldInfo {
    /// JSON key.
    pub name: &'static str,
    /// What the value looks like.
    pub kind: FieldKind,
    /// Versions that have the property.
    pub versions: &'static [&'static str],
}

/// The JSON shape of a property.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// A string.
    Text,
    /// A boolean.
    Boolean,
    /// An integer.
    Integer,
    /// Any JSON number.
    Number,
    /// A DHIS2 date string.
    Date,
    /// A string from a known set (unknown values are still accepted).
    Constant(&'static [&'static str]),
    /// A reference `{"id": ...}`.
    Reference,
    /// A user reference (`createdBy`, ...), with explicit nulls.
    UserReference,
    /// An embedded object with these properties.
    Object(&'static [FieldInfo]),
    /// A sharing object.
    Sharing,
    /// An access object.
    Access,
    /// An array of attribute values.
    AttributeValues,
    /// A translation object.
    Translation,
    /// Any JSON (the type differs between versions or is not modelled).
    Json,
    /// An array of the inner kind.
    Collection(&'static FieldKind),
}
