//! Opaque, tamper-evident page tokens (AIP-158).
//!
//! A token is the key of the last item returned plus a fingerprint of the request's
//! filters, signed with the server's page-token key (HMAC-SHA-256, truncated to 128
//! bits) and base64url-encoded. Clients must treat it as opaque: a token that was not
//! issued by a server sharing the key, or was changed, or is used with other filters
//! than it was made for, is refused as INVALID_ARGUMENT with reason
//! `INVALID_PAGE_TOKEN`. No value from a forged token ever reaches a query.
//!
//! The key is set once at start-up by [`set_signing_key`], derived from the service's
//! secret, so that every replica accepts the tokens of every other. Without it (unit
//! tests), a random key of the process is used.

use std::sync::OnceLock;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use kompis_proto::v1::ErrorReason;

use crate::kit::errors::ApiError;

/// Page size when the request leaves it at 0.
pub const DEFAULT_PAGE_SIZE: i64 = 50;
/// Largest page served; larger requests are reduced to it (AIP-158).
pub const MAX_PAGE_SIZE: i64 = 1000;

#[derive(Serialize, Deserialize)]
struct Token {
    /// Key of the last item served.
    k: Vec<String>,
    /// Fingerprint of the filters.
    f: u64,
}

/// Validated pagination of one list request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    /// How many items to return.
    pub size: i64,
    /// Key of the last item of the previous page, if any.
    pub after: Option<Vec<String>>,
    filters: u64,
}

impl Page {
    /// Parses `page_size` and `page_token` for a request whose filters are described by
    /// `filters` (any string that changes when a filter changes).
    pub fn parse(page_size: i32, page_token: &str, filters: &str) -> Result<Self, ApiError> {
        let mut bad = Vec::new();
        let size = match page_size {
            0 => DEFAULT_PAGE_SIZE,
            n if n < 0 => {
                bad.push(("page_size", "must not be negative"));
                DEFAULT_PAGE_SIZE
            }
            n => i64::from(n).min(MAX_PAGE_SIZE),
        };
        let fingerprint = fingerprint(filters);
        let after = if page_token.is_empty() {
            None
        } else {
            match decode(page_token) {
                Some(token) if token.f == fingerprint => Some(token.k),
                Some(_) => {
                    bad.push(("page_token", "was issued for a request with other filters"));
                    None
                }
                None => {
                    bad.push(("page_token", "is not a token this service issued"));
                    None
                }
            }
        };
        if !bad.is_empty() {
            let reason = if bad.iter().any(|(field, _)| *field == "page_token") {
                ErrorReason::InvalidPageToken
            } else {
                ErrorReason::InvalidField
            };
            return Err(ApiError::InvalidWithReason(
                reason,
                bad.into_iter()
                    .map(|(field, description)| kompis_domain::FieldViolation {
                        field: field.to_owned(),
                        description: description.to_owned(),
                    })
                    .collect(),
            ));
        }
        Ok(Self {
            size,
            after,
            filters: fingerprint,
        })
    }

    /// Like [`Page::parse`], but records a bad `page_size` or `page_token` in `v`, so
    /// that a request with other bad fields reports them all at once.
    pub fn parse_into(
        v: &mut kompis_domain::Violations,
        page_size: i32,
        page_token: &str,
        filters: &str,
    ) -> Option<Self> {
        match Self::parse(page_size, page_token, filters) {
            Ok(page) => Some(page),
            Err(ApiError::InvalidArgument(bad) | ApiError::InvalidWithReason(_, bad)) => {
                for b in bad {
                    v.add(b.field, b.description);
                }
                None
            }
            Err(_) => None,
        }
    }

    /// How many rows to fetch: one more than the page, to know whether another follows.
    pub fn fetch_limit(&self) -> i64 {
        self.size + 1
    }

    /// The first key part of `after`, for single-column keys.
    pub fn after_first(&self) -> Option<&str> {
        self.after.as_ref().and_then(|k| k.first()).map(String::as_str)
    }

    /// Cuts `rows` (fetched with [`Page::fetch_limit`]) to the page and returns the next
    /// page token (empty on the last page), built from the last row's key.
    pub fn finish<T>(&self, rows: &mut Vec<T>, key: impl Fn(&T) -> Vec<String>) -> String {
        let more = rows.len() as i64 > self.size;
        rows.truncate(self.size as usize);
        match rows.last() {
            Some(last) if more => encode(&Token {
                k: key(last),
                f: self.filters,
            }),
            _ => String::new(),
        }
    }
}

/// Bytes of the truncated HMAC appended to a token.
const TAG_BYTES: usize = 16;

/// Longest page token accepted, in characters: keys are short.
const MAX_TOKEN_CHARS: usize = 2048;

static SIGNING_KEY: OnceLock<[u8; 32]> = OnceLock::new();

/// Sets the page-token key from the service's `secret` (the first call wins). Every
/// replica given the same secret accepts the others' tokens.
pub fn set_signing_key(secret: &[u8]) {
    let mut hasher = Sha256::new();
    hasher.update(b"kompis page tokens v1\0");
    hasher.update(secret);
    let _ = SIGNING_KEY.set(hasher.finalize().into());
}

fn signing_key() -> &'static [u8; 32] {
    SIGNING_KEY.get_or_init(|| {
        let mut key = [0u8; 32];
        key[..16].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
        key[16..].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
        key
    })
}

fn mac() -> Hmac<Sha256> {
    Hmac::<Sha256>::new_from_slice(signing_key()).expect("HMAC takes a key of any length")
}

fn encode(token: &Token) -> String {
    let mut bytes = serde_json::to_vec(token).expect("a token always serialises");
    let mut mac = mac();
    mac.update(&bytes);
    let tag = mac.finalize().into_bytes();
    bytes.extend_from_slice(&tag[..TAG_BYTES]);
    URL_SAFE_NO_PAD.encode(bytes)
}

fn decode(text: &str) -> Option<Token> {
    if text.len() > MAX_TOKEN_CHARS {
        return None;
    }
    let bytes = URL_SAFE_NO_PAD.decode(text).ok()?;
    let split = bytes.len().checked_sub(TAG_BYTES)?;
    let (payload, tag) = bytes.split_at(split);
    let mut mac = mac();
    mac.update(payload);
    mac.verify_truncated_left(tag).ok()?;
    serde_json::from_slice(payload).ok()
}

/// FNV-1a: stable across builds and processes, unlike `DefaultHasher`.
fn fingerprint(filters: &str) -> u64 {
    filters.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_round_trips_and_is_bound_to_its_filters() {
        let page = Page::parse(2, "", "chapter=botkyrka").unwrap();
        let mut rows = vec!["a", "b", "c"];
        let token = page.finish(&mut rows, |r| vec![r.to_string()]);
        assert_eq!(rows, ["a", "b"]);
        let next = Page::parse(2, &token, "chapter=botkyrka").unwrap();
        assert_eq!(next.after_first(), Some("b"));
        assert!(Page::parse(2, &token, "chapter=stockholm").is_err());
        assert!(Page::parse(2, "garbage!", "chapter=botkyrka").is_err());
    }

    #[test]
    fn a_changed_or_unsigned_token_is_refused() {
        let page = Page::parse(1, "", "").unwrap();
        let mut rows = vec!["2026-01-01T00:00:00Z", "b"];
        let token = page.finish(&mut rows, |r| vec![r.to_string()]);
        assert!(Page::parse(1, &token, "").is_ok());
        // The same key with a far-off time, unsigned: what a forger would send.
        let forged = URL_SAFE_NO_PAD.encode(br#"{"k":["294277-01-01T00:00:00Z"],"f":14695981039346656037}"#);
        let refused = Page::parse(1, &forged, "").unwrap_err();
        assert!(matches!(
            refused,
            ApiError::InvalidWithReason(ErrorReason::InvalidPageToken, _)
        ));
        // One bit flipped anywhere.
        let mut bytes = URL_SAFE_NO_PAD.decode(&token).unwrap();
        bytes[3] ^= 1;
        assert!(Page::parse(1, &URL_SAFE_NO_PAD.encode(&bytes), "").is_err());
        assert!(Page::parse(1, &"A".repeat(MAX_TOKEN_CHARS + 1), "").is_err());
    }

    #[test]
    fn the_last_page_has_no_token_and_sizes_are_clamped() {
        let page = Page::parse(5000, "", "").unwrap();
        assert_eq!(page.size, MAX_PAGE_SIZE);
        let mut rows = vec![1, 2];
        assert_eq!(page.finish(&mut rows, |r| vec![r.to_string()]), "");
        assert_eq!(Page::parse(0, "", "").unwrap().size, DEFAULT_PAGE_SIZE);
        assert!(Page::parse(-1, "", "").is_err());
    }
}
