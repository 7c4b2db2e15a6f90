//! Enums that are written as words (in TOML, JSON, SQLite and on screen),
//! declared once: [`named_enum!`] gives each variant its word, `as_str`,
//! `FromStr` (an unknown word is an error naming the choices, never a
//! default), `Display` and serde; [`sql_text!`] stores one in SQLite as its
//! word and refuses to read back a word it does not know.

/// An unknown word for an enum: what was found and what would have been accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{found:?} is not a {what} (expected one of: {})", expected.join(", "))]
pub struct UnknownName {
    pub what: &'static str,
    pub found: String,
    pub expected: &'static [&'static str],
}

/// `named_enum! { /// doc  pub enum Status ("a status") { Running = "running", … } }`
#[macro_export]
macro_rules! named_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident ($what:literal) {
            $( $(#[$vmeta:meta])* $variant:ident = $word:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        $vis enum $name {
            $( $(#[$vmeta])* $variant ),+
        }

        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// Every word, in declaration order.
            pub const NAMES: &'static [&'static str] = &[$($word),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $word),+
                }
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::names::UnknownName;
            fn from_str(s: &str) -> ::std::result::Result<Self, Self::Err> {
                match s {
                    $($word => Ok($name::$variant),)+
                    _ => Err($crate::names::UnknownName { what: $what, found: s.to_string(), expected: Self::NAMES }),
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> ::std::result::Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> ::std::result::Result<Self, D::Error> {
                let s = <::std::borrow::Cow<'de, str> as ::serde::Deserialize>::deserialize(d)?;
                s.parse().map_err(::serde::de::Error::custom)
            }
        }
    };
}

/// Store a [`named_enum!`] in SQLite as its word; reading an unknown word is
/// an error (a newer genpath's value, or a damaged row), never a guess.
#[macro_export]
macro_rules! sql_text {
    ($name:ty) => {
        impl ::rusqlite::types::ToSql for $name {
            fn to_sql(&self) -> ::rusqlite::Result<::rusqlite::types::ToSqlOutput<'_>> {
                Ok(::rusqlite::types::ToSqlOutput::from(self.as_str()))
            }
        }
        impl ::rusqlite::types::FromSql for $name {
            fn column_result(v: ::rusqlite::types::ValueRef<'_>) -> ::rusqlite::types::FromSqlResult<Self> {
                v.as_str()?.parse().map_err(|e| ::rusqlite::types::FromSqlError::Other(Box::new(e)))
            }
        }
    };
}

/// The candidate closest to a mistyped word, if it is within a few edits
/// (a third of the word, at least 2): the "did you mean" of every message.
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let w = word.to_lowercase();
    let limit = (w.chars().count() / 3).max(2);
    candidates
        .into_iter()
        .map(|c| (strsim::damerau_levenshtein(&w, &c.to_lowercase()), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// The entry of `table` whose name (by `name_of`, case-insensitive) is
/// `wanted`, else the error a person can act on: "the practice renderer has
/// no LoRA `x`: did you mean `y`? it has a, b".
pub fn find_named<'a, T>(
    table: &'a [T],
    name_of: impl Fn(&T) -> &str,
    wanted: &str,
    what: &str,
) -> Result<&'a T, String> {
    table.iter().find(|t| name_of(t).eq_ignore_ascii_case(wanted.trim())).ok_or_else(|| {
        let names: Vec<&str> = table.iter().map(&name_of).collect();
        let hint = closest(wanted, names.iter().copied()).map(|c| format!("did you mean `{c}`? ")).unwrap_or_default();
        format!("{what} `{wanted}`: {hint}it has {}", names.join(", "))
    })
}

#[cfg(test)]
mod tests {
    named_enum! {
        /// A test enum.
        pub enum Light ("light") {
            Red = "red",
            Green = "green",
        }
    }

    #[test]
    fn words_round_trip_and_unknown_words_are_errors() {
        for l in Light::ALL {
            assert_eq!(l.as_str().parse::<Light>(), Ok(*l));
            assert_eq!(serde_json::to_string(l).unwrap(), format!("\"{l}\""));
        }
        let e = "amber".parse::<Light>().unwrap_err();
        assert_eq!(e.to_string(), "\"amber\" is not a light (expected one of: red, green)");
        assert!(serde_json::from_str::<Light>("\"amber\"").is_err());
    }
}
