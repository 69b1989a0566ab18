//! Bearer tokens: the subject they carry, and the metadata value that sends them.

use anyhow::Context as _;
use base64::Engine as _;
use tonic::metadata::{Ascii, MetadataValue};

/// A bearer token ready to send, with the account it speaks for.
#[derive(Clone, Debug)]
pub struct Bearer {
    /// `authorization: Bearer …`.
    pub header: MetadataValue<Ascii>,
    /// The token's `sub`: consent recorded by the caller must name it.
    pub subject: String,
}

impl Bearer {
    /// Reads the subject from the token's payload. The signature is the server's to
    /// check; the generator only needs to know which account it speaks for.
    pub fn parse(token: &str) -> anyhow::Result<Self> {
        let token = token.trim();
        let payload = token
            .split('.')
            .nth(1)
            .context("a bearer token is three dot-separated parts")?;
        let json = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload.trim_end_matches('='))
            .context("the token's payload is not base64url")?;
        let claims: serde_json::Value =
            serde_json::from_slice(&json).context("the token's payload is not JSON")?;
        let subject = claims
            .get("sub")
            .and_then(|s| s.as_str())
            .context("the token has no `sub`")?
            .to_owned();
        let header = format!("Bearer {token}")
            .parse()
            .context("the token is not ASCII")?;
        Ok(Self { header, subject })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_subject_is_read_from_the_payload() {
        let payload =
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(br#"{"sub":"load-referrer","exp":1}"#);
        let bearer = Bearer::parse(&format!("e30.{payload}.c2ln")).unwrap();
        assert_eq!(bearer.subject, "load-referrer");
        assert_eq!(
            bearer.header.to_str().unwrap(),
            format!("Bearer e30.{payload}.c2ln")
        );
    }

    #[test]
    fn a_token_without_a_subject_is_refused() {
        let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(br#"{"exp":1}"#);
        assert!(Bearer::parse(&format!("e30.{payload}.c2ln")).is_err());
        assert!(Bearer::parse("not-a-token").is_err());
    }
}
