//! `genpath.toml`, the workspace's configuration, plus environment overrides.
//!
//! Secrets never live here: a backend names the environment variable that
//! holds its key (`auth_env`), and genpath reads the variable when it calls.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Context;
use serde::{Deserialize, Serialize};

use crate::diagnostics::parse_toml;

/// Overrides the default backend for one command.
pub const ENV_BACKEND: &str = "GENPATH_BACKEND";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The backend used when none is named on the command line.
    #[serde(default = "default_backend")]
    pub backend: String,
    /// Largest width or height a recipe may ask for.
    #[serde(default = "default_max_side")]
    pub max_side: u32,
    #[serde(default)]
    pub learner: LearnerConfig,
    /// Named backends, e.g. `[backends.studio] kind = "a1111"`.
    #[serde(default)]
    pub backends: BTreeMap<String, BackendConfig>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LearnerConfig {
    /// Short id used in bundles and reports (letters, digits, `-`, `_`).
    #[serde(default = "default_learner_id")]
    pub id: String,
    #[serde(default = "default_learner_name")]
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

impl Default for LearnerConfig {
    fn default() -> Self {
        LearnerConfig { id: default_learner_id(), name: default_learner_name(), email: None }
    }
}

/// One named backend; the options beyond `kind` depend on the kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BackendConfig {
    pub kind: BackendKind,
    #[serde(flatten)]
    pub options: toml::Table,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BackendKind {
    Builtin,
    A1111,
    Comfyui,
    Openai,
}

fn default_backend() -> String {
    "builtin".to_string()
}
fn default_max_side() -> u32 {
    crate::recipe::DEFAULT_MAX_SIDE
}
fn default_learner_id() -> String {
    "learner".to_string()
}
fn default_learner_name() -> String {
    "Learner".to_string()
}

impl Default for Config {
    fn default() -> Self {
        Config {
            backend: default_backend(),
            max_side: default_max_side(),
            learner: LearnerConfig::default(),
            backends: BTreeMap::new(),
        }
    }
}

/// The file written by `genpath init`: commented so a learner can find their way.
pub const TEMPLATE: &str = r#"# genpath workspace configuration.
# Everything here is optional; `genpath config` shows what is in effect.

# The backend used when a command does not name one with --backend.
# "builtin" is the offline practice renderer and needs no set-up.
backend = "builtin"

# Largest width or height a recipe may ask for.
max_side = 2048

[learner]
id = "learner"
name = "Learner"

# Real backends: name them here and pick one with --backend NAME.
# Keys are never written in this file: name the environment variable instead.
#
# [backends.studio]
# kind = "a1111"
# url = "http://127.0.0.1:7860"
#
# [backends.comfy]
# kind = "comfyui"
# url = "http://127.0.0.1:8188"
#
# [backends.openai]
# kind = "openai"
# model = "gpt-image-1"
# auth_env = "OPENAI_API_KEY"
"#;

impl Config {
    /// Read a config file; a missing file gives the defaults.
    pub fn load(path: &Path) -> anyhow::Result<Config> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Config::default()),
            Err(e) => return Err(e).with_context(|| format!("Failed to read {}", path.display())),
        };
        let config = Self::parse(&path.display().to_string(), &text)?;
        Ok(config)
    }

    pub fn parse(label: &str, text: &str) -> Result<Config, crate::diagnostics::Diagnostics> {
        let config: Config = parse_toml(label, text)?;
        let mut diags = crate::diagnostics::Diagnostics::default();
        if !valid_id(&config.learner.id) {
            diags.push(crate::diagnostics::Diagnostic::at(
                label,
                text,
                crate::diagnostics::span_of(
                    text,
                    &[crate::diagnostics::Seg::Key("learner"), crate::diagnostics::Seg::Key("id")],
                ),
                format!("learner id '{}' may only hold letters, digits, '-' and '_'", config.learner.id),
            ));
        }
        for (name, b) in &config.backends {
            let Some(url) = b.options.get("url") else { continue };
            if let Some(problem) = url_problem(url) {
                diags.push(crate::diagnostics::Diagnostic::at(
                    label,
                    text,
                    crate::diagnostics::span_of(
                        text,
                        &[
                            crate::diagnostics::Seg::Key("backends"),
                            crate::diagnostics::Seg::Key(name),
                            crate::diagnostics::Seg::Key("url"),
                        ],
                    ),
                    problem,
                ));
            }
        }
        diags.into_result().map(|()| config)
    }

    /// The configuration as it may be shown: credentials written into a
    /// backend's URL are replaced by `[redacted]`.
    pub fn redacted(&self) -> Config {
        let mut c = self.clone();
        for b in c.backends.values_mut() {
            if let Some(toml::Value::String(url)) = b.options.get_mut("url") {
                *url = redact_url(url);
            }
        }
        c
    }

    /// Apply environment overrides (`GENPATH_BACKEND`).
    pub fn with_env(mut self) -> Config {
        if let Ok(b) = std::env::var(ENV_BACKEND)
            && !b.trim().is_empty()
        {
            self.backend = b.trim().to_string();
        }
        self
    }

    pub fn limits(&self) -> crate::recipe::Limits {
        crate::recipe::Limits { max_side: self.max_side }
    }
}

/// Why a backend URL cannot be used, if it cannot: only `http://` and
/// `https://` URLs reach a generation server (a `file://` URL would be
/// retried as if the failure were transient).
fn url_problem(url: &toml::Value) -> Option<String> {
    let Some(text) = url.as_str() else { return Some("url must be a string such as \"http://127.0.0.1:7860\"".into()) };
    match reqwest::Url::parse(text) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => None,
        Ok(u) => Some(format!(
            "url {:?} uses {}: genpath talks to servers over http:// or https:// only",
            redact_url(text),
            u.scheme()
        )),
        Err(e) => {
            Some(format!("url {:?} is not a URL ({e}); write it like \"http://127.0.0.1:7860\"", redact_url(text)))
        }
    }
}

/// A URL with any `user:password@` replaced by `[redacted]@`. Credentials
/// belong in the environment variable `auth_env` names, not in the file.
pub fn redact_url(url: &str) -> String {
    match url.find("://") {
        Some(i) => {
            let rest = &url[i + 3..];
            let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
            match rest[..authority_end].rfind('@') {
                Some(at) => format!("{}[redacted]@{}", &url[..i + 3], &rest[at + 1..]),
                None => url.to_string(),
            }
        }
        None => url.to_string(),
    }
}

/// Whether a URL carries credentials (`user:password@host`).
pub fn url_has_credentials(url: &str) -> bool {
    redact_url(url) != url
}

/// Ids of learners, cohorts and backends: short, safe in file names.
pub fn valid_id(s: &str) -> bool {
    !s.is_empty() && s.len() <= 64 && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_parses_to_defaults() {
        let c = Config::parse("genpath.toml", TEMPLATE).unwrap();
        assert_eq!(c, Config::default());
    }

    #[test]
    fn backends_keep_their_options() {
        let c =
            Config::parse("g.toml", "[backends.studio]\nkind = \"a1111\"\nurl = \"http://127.0.0.1:7860\"\n").unwrap();
        let b = &c.backends["studio"];
        assert_eq!(b.kind, BackendKind::A1111);
        assert_eq!(b.options["url"].as_str(), Some("http://127.0.0.1:7860"));
    }

    #[test]
    fn bad_learner_id_is_located() {
        let e = Config::parse("g.toml", "[learner]\nid = \"a b\"\n").unwrap_err();
        assert!(e.to_string().contains("g.toml:2:6"), "{e}");
    }

    #[test]
    fn only_http_urls_are_accepted_and_located() {
        let e = Config::parse("g.toml", "[backends.x]\nkind = \"a1111\"\nurl = \"file:///etc/passwd\"\n").unwrap_err();
        let text = e.to_string();
        assert!(text.contains("g.toml:3:7") && text.contains("http:// or https:// only"), "{text}");
        let e = Config::parse("g.toml", "[backends.x]\nkind = \"a1111\"\nurl = \"127.0.0.1:7860\"\n").unwrap_err();
        assert!(e.to_string().contains("g.toml:3:7"), "{e}");
        assert!(
            Config::parse("g.toml", "[backends.x]\nkind = \"comfyui\"\nurl = \"https://h.example:8188/\"\n").is_ok()
        );
    }

    #[test]
    fn credentials_in_urls_are_redacted() {
        assert_eq!(redact_url("http://ada:s3cret@127.0.0.1:7860/x?a=b@c"), "http://[redacted]@127.0.0.1:7860/x?a=b@c");
        assert_eq!(redact_url("http://127.0.0.1:7860"), "http://127.0.0.1:7860");
        let c = Config::parse("g.toml", "[backends.x]\nkind = \"a1111\"\nurl = \"http://u:pw@h:1\"\n").unwrap();
        let shown = toml::to_string(&c.redacted()).unwrap();
        assert!(!shown.contains("pw") && shown.contains("[redacted]@h:1"), "{shown}");
        // The real value stays in effect for the client.
        assert_eq!(c.backends["x"].options["url"].as_str(), Some("http://u:pw@h:1"));
    }

    #[test]
    fn unknown_key_is_located() {
        let e = Config::parse("g.toml", "backend = \"builtin\"\nbakcend = \"x\"\n").unwrap_err();
        assert!(e.to_string().contains("g.toml:2:1"), "{e}");
    }
}
