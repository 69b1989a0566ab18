//! Tables between proto enums and domain enums: one declaration per pair, read both
//! ways, so that a value added on one side and forgotten on the other is a parse error
//! or UNSPECIFIED, never a silent default.

use kompis_domain::FieldError;

/// A table of (proto value, domain value) pairs.
///
/// ```
/// use kompis_grpc::kit::enums::EnumTable;
/// use kompis_domain::InterviewMode;
/// use kompis_proto::v1 as pb;
///
/// const MODES: EnumTable<pb::InterviewMode, InterviewMode> = EnumTable::new(
///     "is required: IN_PERSON, VIDEO or PHONE",
///     &[
///         (pb::InterviewMode::InPerson, InterviewMode::InPerson),
///         (pb::InterviewMode::Video, InterviewMode::Video),
///         (pb::InterviewMode::Phone, InterviewMode::Phone),
///     ],
/// );
/// assert_eq!(MODES.parse(pb::InterviewMode::Video as i32), Ok(InterviewMode::Video));
/// assert!(MODES.parse(0).is_err());
/// assert_eq!(MODES.to_pb(InterviewMode::Phone), pb::InterviewMode::Phone as i32);
/// ```
#[derive(Debug)]
pub struct EnumTable<P: 'static, D: 'static> {
    refusal: &'static str,
    pairs: &'static [(P, D)],
}

impl<P, D> EnumTable<P, D>
where
    P: Copy + Into<i32>,
    D: Copy + PartialEq,
{
    /// A table; `refusal` describes the values accepted, for the field violation of any
    /// other (UNSPECIFIED included).
    pub const fn new(refusal: &'static str, pairs: &'static [(P, D)]) -> Self {
        Self { refusal, pairs }
    }

    /// The domain value of a proto value.
    pub fn parse(&self, value: i32) -> Result<D, FieldError> {
        self.pairs
            .iter()
            .find(|(p, _)| (*p).into() == value)
            .map(|(_, d)| *d)
            .ok_or_else(|| FieldError::new(self.refusal))
    }

    /// The proto value of a domain value (or of anything the domain value compares
    /// with, such as a borrowed stored string); 0 (UNSPECIFIED) for one the table lacks.
    pub fn to_pb<Q>(&self, value: Q) -> i32
    where
        D: PartialEq<Q>,
    {
        self.pairs
            .iter()
            .find(|(_, d)| *d == value)
            .map_or(0, |(p, _)| (*p).into())
    }
}
