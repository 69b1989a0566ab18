//! A macro for the closed sets of values this crate stores as text.

/// Declares a fieldless enum stored as a snake_case string (in PostgreSQL text columns with
/// CHECK constraints and in logs), with `ALL`, `as_str`, `Display` and `FromStr`.
///
/// The strings are a storage contract: never rename one without a migration.
macro_rules! text_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident : $what:literal {
            $( $(#[$vmeta:meta])* $variant:ident => $text:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        $vis enum $name {
            $( $(#[$vmeta])* $variant, )+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[ $( $name::$variant, )+ ];

            /// The stored snake_case string.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $( $name::$variant => $text, )+
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::FieldError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $( $text => Ok($name::$variant), )+
                    _ => Err($crate::FieldError::new(format!(
                        concat!("is not a known ", $what, "; expected one of: {}"),
                        [$( $text ),+].join(", ")
                    ))),
                }
            }
        }
    };
}

pub(crate) use text_enum;
