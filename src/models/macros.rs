//! Crate-internal macros shared by hand-written and generated models.

/// Declares a string enum with a fallback `Other(String)` variant so unknown values decode instead of failing.
///
/// `string_enum! { /// docs
///     pub enum Name { /// docs
///         Variant => "WIRE", ... } }`
macro_rules! string_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident => $wire:literal, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )*
            /// A value this version of the crate does not know, kept verbatim.
            Other(String),
        }

        impl $name {
            /// Every known value, in declaration order.
            pub const KNOWN: &'static [&'static str] = &[$($wire),*];

            /// The wire spelling.
            pub fn as_str(&self) -> &str {
                match self {
                    $( $name::$variant => $wire, )*
                    $name::Other(s) => s.as_str(),
                }
            }

            /// Maps a wire string to a variant (unknown strings become `Other`).
            pub fn from_wire(s: &str) -> Self {
                match s {
                    $( $wire => $name::$variant, )*
                    other => $name::Other(other.to_owned()),
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = ::std::convert::Infallible;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Ok(Self::from_wire(s))
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let s = <String as ::serde::Deserialize>::deserialize(deserializer)?;
                Ok(Self::from_wire(&s))
            }
        }
    };
}

/// Implements `Serialize` and `Deserialize` for a lossless model: a struct whose listed fields are all
/// [`Field`](crate::models::Field)s and which keeps every other key in `extra: Extra` ([`Extra`](crate::models::Extra),
/// a map that allocates only when a key is stored).
///
/// `lossless_model! { Name { rust_field: "jsonKey", list: "listKey" vec, other: "otherKey" always, ... } }` (the
/// struct must implement `Default`). A field marked `always` is not a `Field` (e.g. a `Vec` that defaults to empty)
/// and is always written. A field marked `vec` is a `Field<Vec<T>>` decoded by
/// [`VecField`](crate::models::lossless::VecField), whose buffer ends at the list's length (serde's own `Vec` starts
/// at four elements, and most embedded lists hold one or two).
///
/// - Decoding reads each key once ([`Key`](crate::models::lossless::Key), borrowed when the input allows): a
///   listed key goes straight into its field, any other key into `extra` (in input order when serde_json's
///   `preserve_order` is on, which this crate enables). This replaces `#[serde(flatten)]`, whose buffering made
///   typed decoding slower than decoding into `serde_json::Value`.
/// - A key that appears twice: the last occurrence wins, as in `serde_json::Value` (for `extra` keys the value is
///   replaced in place).
/// - Encoding writes the present fields in the listed order (absent ones are skipped, explicit nulls are written),
///   then `extra` in its order.
macro_rules! lossless_model {
    (@put $map:ident, $value:expr, $key:literal) => {
        if !$value.is_absent() {
            $map.serialize_entry($key, &$value)?;
        }
    };
    (@put $map:ident, $value:expr, $key:literal, vec) => {
        lossless_model!(@put $map, $value, $key)
    };
    (@put $map:ident, $value:expr, $key:literal, always) => {
        $map.serialize_entry($key, &$value)?;
    };
    (@get $map:ident) => {
        $map.next_value()?
    };
    (@get $map:ident, always) => {
        $map.next_value()?
    };
    (@get $map:ident, vec) => {
        $map.next_value_seed($crate::models::lossless::VecField::new())?
    };
    ($name:ident { $($field:ident: $key:literal $($flag:ident)?),* $(,)? }) => {
        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(
                &self,
                serializer: S,
            ) -> ::std::result::Result<S::Ok, S::Error> {
                use ::serde::ser::SerializeMap as _;
                let mut map = serializer.serialize_map(::std::option::Option::None)?;
                $( lossless_model!(@put map, self.$field, $key $(, $flag)?); )*
                for (key, value) in &self.extra {
                    map.serialize_entry(key, value)?;
                }
                map.end()
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(
                deserializer: D,
            ) -> ::std::result::Result<Self, D::Error> {
                struct ModelVisitor;

                impl<'de> ::serde::de::Visitor<'de> for ModelVisitor {
                    type Value = $name;

                    fn expecting(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                        f.write_str(concat!("a JSON object (", stringify!($name), ")"))
                    }

                    fn visit_map<A: ::serde::de::MapAccess<'de>>(
                        self,
                        mut map: A,
                    ) -> ::std::result::Result<$name, A::Error> {
                        let mut out = <$name as ::std::default::Default>::default();
                        let mut extra = $crate::json::ObjectBuilder::new();
                        while let ::std::option::Option::Some(key) =
                            map.next_key::<$crate::models::lossless::Key<'de>>()?
                        {
                            match key.as_str() {
                                $( $key => out.$field = lossless_model!(@get map $(, $flag)?), )*
                                _ => {
                                    let value = map.next_value_seed($crate::json::ValueSeed)?;
                                    extra.push(key.into_string(), value);
                                }
                            }
                        }
                        out.extra = extra.into_extra();
                        ::std::result::Result::Ok(out)
                    }
                }

                deserializer.deserialize_map(ModelVisitor)
            }
        }
    };
}
