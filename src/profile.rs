//! Connection profiles: a base URL plus credentials, from the environment or a TOML file.
//!
//! Environment (see [`Profile::from_env`]): `DHIS2_URL` with one of `DHIS2_PAT`, `DHIS2_USERNAME` +
//! `DHIS2_PASSWORD`, or `DHIS2_SESSION_COOKIE` (+ optional `DHIS2_SESSION_XSRF`). A PAT wins over Basic.
//!
//! TOML (see [`Profile::from_toml_str`]):
//!
//! ```toml
//! default = "play"            # optional: the profile used when DHIS2_PROFILE is unset
//!
//! [profiles.play]
//! url = "https://play.im.dhis2.org/dev-2-43"
//! username = "admin"
//! password = "district"
//!
//! [profiles.prod]
//! url = "https://dhis2.example.org"
//! pat = "d2p_..."
//! ```
//!
//! [`Profile::load`] looks in the environment first, then `./dhis2.toml`, then
//! `$XDG_CONFIG_HOME/dhis2/dhis2.toml` (or `~/.config/dhis2/dhis2.toml`); `DHIS2_PROFILE` picks the profile.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::{ClientBuilder, Dhis2Client, Error};

/// The credentials of a [`Profile`]. Secrets are redacted in `Debug`.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProfileAuth {
    /// No credentials (public endpoints only).
    None,
    /// HTTP Basic.
    Basic {
        /// User name.
        username: String,
        /// Password (redacted in `Debug`).
        password: String,
    },
    /// Personal access token, sent as `Authorization: ApiToken <token>`.
    Pat {
        /// The token (redacted in `Debug`).
        token: String,
    },
    /// An existing session: `Cookie: JSESSIONID=<cookie>` and optionally `X-XSRF-TOKEN`.
    SessionCookie {
        /// The `JSESSIONID` value (redacted in `Debug`).
        cookie: String,
        /// The CSRF token, when the server enforces CSRF (redacted in `Debug`).
        xsrf: Option<String>,
    },
}

impl fmt::Debug for ProfileAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProfileAuth::None => f.write_str("None"),
            ProfileAuth::Basic { username, .. } => f
                .debug_struct("Basic")
                .field("username", username)
                .field("password", &"[redacted]")
                .finish(),
            ProfileAuth::Pat { .. } => f.debug_struct("Pat").field("token", &"[redacted]").finish(),
            ProfileAuth::SessionCookie { xsrf, .. } => f
                .debug_struct("SessionCookie")
                .field("cookie", &"[redacted]")
                .field("xsrf", &xsrf.as_ref().map(|_| "[redacted]"))
                .finish(),
        }
    }
}

/// Where to connect and how to authenticate. Build a client from it with [`open_client`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Profile {
    /// The profile name (`"env"` when read from the environment).
    pub name: String,
    /// The configured base URL (the handshake may canonicalise it).
    pub base_url: String,
    /// The credentials.
    pub auth: ProfileAuth,
}

/// Read a variable, treating an empty value as unset.
fn var(vars: &impl Fn(&str) -> Option<String>, key: &str) -> Option<String> {
    vars(key).filter(|v| !v.trim().is_empty())
}

impl Profile {
    /// Read the profile from the process environment (see the module docs for the variables).
    pub fn from_env() -> Result<Self, Error> {
        Self::from_vars(|k| std::env::var(k).ok())
    }

    /// Like [`Profile::from_env`], reading variables through `vars` (testable without touching the environment).
    pub fn from_vars(vars: impl Fn(&str) -> Option<String>) -> Result<Self, Error> {
        let base_url =
            var(&vars, "DHIS2_URL").ok_or_else(|| Error::Config("DHIS2_URL is not set".into()))?;
        check_url(&base_url, "DHIS2_URL")?;
        let auth = if let Some(token) = var(&vars, "DHIS2_PAT") {
            ProfileAuth::Pat { token }
        } else if let Some(username) = var(&vars, "DHIS2_USERNAME") {
            let password = var(&vars, "DHIS2_PASSWORD").ok_or_else(|| {
                Error::Config("DHIS2_USERNAME is set but DHIS2_PASSWORD is not".into())
            })?;
            ProfileAuth::Basic { username, password }
        } else if let Some(cookie) = var(&vars, "DHIS2_SESSION_COOKIE") {
            ProfileAuth::SessionCookie {
                cookie,
                xsrf: var(&vars, "DHIS2_SESSION_XSRF"),
            }
        } else if var(&vars, "DHIS2_PASSWORD").is_some() {
            return Err(Error::Config(
                "DHIS2_PASSWORD is set but DHIS2_USERNAME is not".into(),
            ));
        } else {
            return Err(Error::Config(
                "DHIS2_URL is set but no credentials: set DHIS2_PAT, or DHIS2_USERNAME and \
                 DHIS2_PASSWORD, or DHIS2_SESSION_COOKIE"
                    .into(),
            ));
        };
        Ok(Profile {
            name: "env".into(),
            base_url,
            auth,
        })
    }

    /// Parse a TOML profiles document and pick profile `name` (or the document's `default`, or its only profile).
    pub fn from_toml_str(text: &str, name: Option<&str>) -> Result<Self, Error> {
        Self::from_toml_source(text, name, "TOML")
    }

    /// Read a TOML profiles file and pick a profile as [`Profile::from_toml_str`] does.
    pub fn from_file(path: impl AsRef<Path>, name: Option<&str>) -> Result<Self, Error> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| {
            Error::Config(format!("cannot read profiles file {}: {e}", path.display()))
        })?;
        Self::from_toml_source(&text, name, &path.display().to_string())
    }

    /// Resolve a profile the usual way: the environment when `DHIS2_URL` is set, else `./dhis2.toml`, else the
    /// user configuration file; `DHIS2_PROFILE` picks a profile.
    pub fn load() -> Result<Self, Error> {
        let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
        Self::load_with(|k| std::env::var(k).ok(), &cwd)
    }

    /// [`Profile::load`] with explicit variables and working directory (for tests and embedding).
    pub fn load_with(vars: impl Fn(&str) -> Option<String>, cwd: &Path) -> Result<Self, Error> {
        if var(&vars, "DHIS2_URL").is_some() {
            return Self::from_vars(vars);
        }
        let wanted = var(&vars, "DHIS2_PROFILE");
        if let Some(n) = &wanted {
            check_name(n, "DHIS2_PROFILE")?;
        }
        let candidates = profile_files(&vars, cwd);
        for path in &candidates {
            if path.is_file() {
                return Self::from_file(path, wanted.as_deref());
            }
        }
        let tried: Vec<String> = candidates.iter().map(|p| p.display().to_string()).collect();
        Err(Error::Config(format!(
            "no DHIS2 profile: DHIS2_URL is not set and no profiles file was found (looked at {})",
            tried.join(", ")
        )))
    }

    fn from_toml_source(text: &str, name: Option<&str>, source: &str) -> Result<Self, Error> {
        let doc: toml::Table = text
            .parse()
            .map_err(|e| Error::Config(format!("{source}: invalid TOML: {e}")))?;
        let profiles = match doc.get("profiles") {
            Some(toml::Value::Table(t)) => t,
            Some(_) => {
                return Err(Error::Config(format!(
                    "{source}: `profiles` must be a table"
                )))
            }
            None => return Err(Error::Config(format!("{source}: no [profiles] table"))),
        };
        let default = match doc.get("default") {
            Some(toml::Value::String(s)) => Some(s.as_str()),
            Some(_) => {
                return Err(Error::Config(format!(
                    "{source}: `default` must be a string"
                )))
            }
            None => None,
        };
        let chosen = match name.or(default) {
            Some(n) => n.to_string(),
            None if profiles.len() == 1 => profiles.keys().next().cloned().unwrap_or_default(),
            None => {
                return Err(Error::Config(format!(
                    "{source}: several profiles and none chosen: set DHIS2_PROFILE or `default`"
                )))
            }
        };
        check_name(&chosen, "profile name")?;
        let table = match profiles.get(&chosen) {
            Some(toml::Value::Table(t)) => t,
            Some(_) => {
                return Err(Error::Config(format!(
                    "{source}: profiles.{chosen} must be a table"
                )))
            }
            None => {
                return Err(Error::Config(format!(
                    "{source}: no profile named `{chosen}`"
                )))
            }
        };
        let key = |k: &str| -> Result<Option<String>, Error> {
            match table.get(k) {
                None => Ok(None),
                Some(toml::Value::String(s)) if s.trim().is_empty() => Ok(None),
                Some(toml::Value::String(s)) => Ok(Some(s.clone())),
                Some(_) => Err(Error::Config(format!(
                    "{source}: profiles.{chosen}.{k} must be a string"
                ))),
            }
        };
        for k in table.keys() {
            if !matches!(
                k.as_str(),
                "url" | "username" | "password" | "pat" | "session_cookie" | "session_xsrf"
            ) {
                return Err(Error::Config(format!(
                    "{source}: unknown key profiles.{chosen}.{k}"
                )));
            }
        }
        let base_url = key("url")?
            .ok_or_else(|| Error::Config(format!("{source}: profiles.{chosen}.url is missing")))?;
        check_url(&base_url, &format!("profiles.{chosen}.url"))?;
        let auth = if let Some(token) = key("pat")? {
            ProfileAuth::Pat { token }
        } else if let Some(username) = key("username")? {
            let password = key("password")?.ok_or_else(|| {
                Error::Config(format!(
                    "{source}: profiles.{chosen}.password is missing (username is set)"
                ))
            })?;
            ProfileAuth::Basic { username, password }
        } else if let Some(cookie) = key("session_cookie")? {
            ProfileAuth::SessionCookie {
                cookie,
                xsrf: key("session_xsrf")?,
            }
        } else if key("password")?.is_some() {
            return Err(Error::Config(format!(
                "{source}: profiles.{chosen}.username is missing (password is set)"
            )));
        } else {
            ProfileAuth::None
        };
        Ok(Profile {
            name: chosen,
            base_url,
            auth,
        })
    }

    /// A client builder for this profile: base URL plus the matching auth provider.
    pub fn builder(&self) -> ClientBuilder {
        let builder = Dhis2Client::builder(self.base_url.as_str());
        match &self.auth {
            ProfileAuth::None => builder,
            ProfileAuth::Basic { username, password } => {
                builder.auth(crate::BasicAuth::new(username.clone(), password.clone()))
            }
            ProfileAuth::Pat { token } => builder.auth(crate::PatAuth::new(token.clone())),
            ProfileAuth::SessionCookie { cookie, xsrf } => {
                let mut auth = crate::SessionCookieAuth::new(cookie.clone());
                if let Some(x) = xsrf {
                    auth = auth.with_xsrf(x.clone());
                }
                builder.auth(auth)
            }
        }
    }
}

/// Build and connect a client for `profile` (same as `profile.builder().connect()`).
pub async fn open_client(profile: Profile) -> Result<Dhis2Client, Error> {
    profile.builder().connect().await
}

/// Candidate profile files, in lookup order.
fn profile_files(vars: &impl Fn(&str) -> Option<String>, cwd: &Path) -> Vec<PathBuf> {
    let mut out = vec![cwd.join("dhis2.toml")];
    if let Some(xdg) = var(vars, "XDG_CONFIG_HOME") {
        out.push(PathBuf::from(xdg).join("dhis2").join("dhis2.toml"));
    } else if let Some(home) = var(vars, "HOME").or_else(|| var(vars, "USERPROFILE")) {
        out.push(
            PathBuf::from(home)
                .join(".config")
                .join("dhis2")
                .join("dhis2.toml"),
        );
    }
    out
}

/// Profile names: a letter, then letters, digits or underscores; at most 64 characters.
fn check_name(name: &str, what: &str) -> Result<(), Error> {
    let mut chars = name.chars();
    let ok = name.len() <= 64
        && chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(Error::Config(format!(
            "{what} `{name}` is not a valid profile name (a letter, then letters, digits or \
             underscores, at most 64 characters)"
        )))
    }
}

fn check_url(value: &str, what: &str) -> Result<(), Error> {
    match url::Url::parse(value) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => Ok(()),
        Ok(_) => Err(Error::Config(format!(
            "{what} must be an http(s) URL with a host"
        ))),
        Err(e) => Err(Error::Config(format!("{what} is not a valid URL: {e}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(check_name("play", "n").is_ok());
        assert!(check_name("a_1", "n").is_ok());
        assert!(check_name("1a", "n").is_err());
        assert!(check_name("a-b", "n").is_err());
        assert!(check_name("", "n").is_err());
        assert!(check_name(&"a".repeat(65), "n").is_err());
        assert!(check_name(&"a".repeat(64), "n").is_ok());
    }
}
