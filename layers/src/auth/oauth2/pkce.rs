//! PKCE (RFC 7636) verifier/challenge pairs and random `state` values.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::auth::AuthError;
use crate::secret::Secret;

/// A PKCE code verifier and its S256 challenge.
#[derive(Debug, Clone)]
pub struct PkceChallenge {
    verifier: Secret,
    challenge: String,
}

impl PkceChallenge {
    /// A fresh pair: 32 bytes from the operating system's CSPRNG, base64url-encoded into a 43-character verifier.
    pub fn generate() -> Self {
        let verifier = random_token(32);
        let challenge = s256(&verifier);
        PkceChallenge {
            verifier: Secret::new(verifier),
            challenge,
        }
    }

    /// The pair for a given verifier (43 to 128 characters of `[A-Za-z0-9-._~]`).
    pub fn from_verifier(verifier: &str) -> Result<Self, AuthError> {
        let valid = (43..=128).contains(&verifier.len())
            && verifier
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'));
        if !valid {
            return Err(AuthError::Flow(
                "a PKCE verifier must be 43 to 128 characters of [A-Za-z0-9-._~]".into(),
            ));
        }
        Ok(PkceChallenge {
            verifier: Secret::new(verifier),
            challenge: s256(verifier),
        })
    }

    /// The verifier (sent to the token endpoint).
    pub fn verifier(&self) -> &str {
        self.verifier.expose()
    }

    /// The challenge (sent to the authorization endpoint).
    pub fn challenge(&self) -> &str {
        &self.challenge
    }

    /// Always `"S256"`.
    pub fn method(&self) -> &'static str {
        "S256"
    }
}

fn s256(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// `n` random bytes from the OS CSPRNG, base64url-encoded without padding.
pub(crate) fn random_token(n: usize) -> String {
    let mut bytes = vec![0u8; n];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc7636_appendix_b_vector() {
        let p =
            PkceChallenge::from_verifier("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk").unwrap();
        assert_eq!(p.challenge(), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
        assert_eq!(p.method(), "S256");
    }

    #[test]
    fn generated_pairs_are_well_formed_and_distinct() {
        let a = PkceChallenge::generate();
        let b = PkceChallenge::generate();
        assert_eq!(a.verifier().len(), 43);
        assert!(PkceChallenge::from_verifier(a.verifier()).is_ok());
        assert_eq!(a.challenge(), s256(a.verifier()));
        assert!(!a.challenge().contains(['=', '+', '/']));
        assert_ne!(a.verifier(), b.verifier());
        assert!(!format!("{a:?}").contains(a.verifier()));
    }

    #[test]
    fn bad_verifiers_are_rejected() {
        assert!(PkceChallenge::from_verifier("short").is_err());
        assert!(PkceChallenge::from_verifier(&"a".repeat(129)).is_err());
        assert!(PkceChallenge::from_verifier(&format!("{}!", "a".repeat(50))).is_err());
    }
}
