//! `genpath.toml`, the workspace's configuration, plus environment overrides.
//!
//! Secrets never live here: a backend names the environment variable that
//! holds its key (`auth_env`), and genpath reads the variable when it calls.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::recipe::ControlKind;

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
    /// How the checks judge, beyond what each exercise sets.
    #[serde(default, skip_serializing_if = "ChecksConfig::is_empty")]
    pub checks: ChecksConfig,
    /// The folder genpath.toml is in: relative paths in it (templates) are
    /// taken from here, whatever folder genpath was started in.
    #[serde(skip)]
    pub dir: PathBuf,
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

/// `[checks]`: which image encoder the identity checks use.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChecksConfig {
    /// An ONNX image-embedding model (DINO-style) for identity checks,
    /// relative to genpath.toml, instead of the built-in encoder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub embedding_model: Option<PathBuf>,
    /// The odd one out's lowest cosine similarity to the others that
    /// passes, for that model: `genpath calibrate identity_consistency`
    /// on your own sets prints it. Unset: for a model of your own, measured
    /// and not judged; for the built-in encoder, its calibrated line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub embedding_min_similarity: Option<f64>,
    /// Judge identity with the built-in encoder where no `embedding_model`
    /// is named (default); `false` judges by colour alone.
    #[serde(default = "yes", skip_serializing_if = "is_yes")]
    pub builtin_embedding: bool,
}

impl Default for ChecksConfig {
    fn default() -> Self {
        ChecksConfig { embedding_model: None, embedding_min_similarity: None, builtin_embedding: true }
    }
}

fn yes() -> bool {
    true
}

fn is_yes(b: &bool) -> bool {
    *b
}

impl ChecksConfig {
    fn is_empty(&self) -> bool {
        *self == ChecksConfig::default()
    }
}

/// One named backend; the options beyond `kind` depend on the kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BackendConfig {
    pub kind: BackendKind,
    #[serde(flatten)]
    pub options: toml::Table,
}

/// The options every network backend takes (`[backends.NAME]` beside `kind`).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct HttpOptions {
    /// Where the server listens (`http://` or `https://`).
    pub url: Option<String>,
    /// Seconds a whole request may take, answer included.
    pub timeout_s: Option<u64>,
    /// Tries after the first for transient failures (429, 5xx, connection errors).
    pub retries: Option<u32>,
    /// Requests in flight at once.
    pub max_concurrent: Option<usize>,
    /// The environment variable that holds the key (never the key itself).
    pub auth_env: Option<String>,
}

/// The option every kind takes: what its machine costs an hour.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Metered {
    pub hourly_cost: Option<f64>,
}

/// `kind = "builtin"`: the practice renderer, optionally as a simulated paid service.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct BuiltinOptions {
    /// `{ latency_ms, price_per_image, rate_limit_per_minute, failure_rate, fault_seed }`
    pub service: Option<toml::Value>,
}

/// `kind = "a1111"`: AUTOMATIC1111, Forge, SD.Next or stable-diffusion.cpp's sd-server.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct A1111Options {
    #[serde(flatten)]
    pub http: HttpOptions,
    /// The checkpoint to load (`sd_model_checkpoint`).
    pub model: Option<String>,
    pub price_per_image: Option<f64>,
    /// ControlNet model by control kind; a kind not named here uses the
    /// server's first model whose name has the kind's word (`canny`, `openpose`, …).
    #[serde(default)]
    pub controlnet_models: BTreeMap<ControlKind, String>,
}

/// `kind = "comfyui"`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ComfyUiOptions {
    #[serde(flatten)]
    pub http: HttpOptions,
    pub model: Option<String>,
    /// The ControlNet model for `edges` controls (kept from the first
    /// version; `controlnet_models` names one per kind).
    pub controlnet_model: Option<String>,
    /// ControlNet model by control kind, as for `a1111`.
    #[serde(default)]
    pub controlnet_models: BTreeMap<ControlKind, String>,
    /// API-format workflow files by job, relative to genpath.toml.
    #[serde(default)]
    pub templates: BTreeMap<TemplateJob, String>,
}

crate::named_enum! {
    /// Which job a ComfyUI workflow template does: the keys of `templates`.
    pub enum TemplateJob ("template job") {
        Txt2Img = "txt2img",
        Img2Img = "img2img",
        Inpaint = "inpaint",
        ControlNet = "controlnet",
    }
}

/// `kind = "openai"`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct OpenAiOptions {
    #[serde(flatten)]
    pub http: HttpOptions,
    pub model: Option<String>,
    pub quality: Option<String>,
    pub price_per_image: Option<f64>,
}

/// A backend option that cannot be used: its key and what is wrong.
#[derive(Debug, Clone, PartialEq)]
pub struct OptionProblem {
    /// The key at fault (empty when the table as a whole is).
    pub key: String,
    pub message: String,
}

impl BackendConfig {
    /// The options as the typed struct of this backend's kind. Unknown keys
    /// are problems (a misspelt `timout_s` would otherwise be ignored), each
    /// with the closest known key when one is close.
    pub fn typed<T: serde::de::DeserializeOwned + Default>(&self, known: &[&str]) -> Result<T, Vec<OptionProblem>> {
        // Unknown keys are found against `known` (serde's `deny_unknown_fields`
        // does not combine with the flattened shared HTTP options).
        let typed: Result<T, _> = toml::Value::Table(self.options.clone()).try_into();
        let mut problems: Vec<OptionProblem> = self
            .options
            .keys()
            .filter(|k| !known.contains(&k.as_str()))
            .cloned()
            .map(|key| {
                let near = crate::names::closest(&key, known.iter().copied())
                    .map(|k| format!(": did you mean `{k}`?"))
                    .unwrap_or_else(|| format!(" (kind {} takes: {})", self.kind.as_str(), known.join(", ")));
                OptionProblem { message: format!("unknown option `{key}`{near}"), key }
            })
            .collect();
        match typed {
            Ok(t) if problems.is_empty() => Ok(t),
            Ok(_) => Err(problems),
            Err(e) => {
                // Every option is optional, so a table of one key fails only when
                // that key's value is wrong: that finds the key to point at.
                let culprit = self.options.iter().find(|(k, v)| {
                    let mut one = toml::Table::new();
                    one.insert((*k).clone(), (*v).clone());
                    toml::Value::Table(one).try_into::<T>().is_err()
                });
                let (key, message) = match culprit {
                    Some((k, _)) => (k.clone(), format!("`{k}`: {}", e.to_string().trim())),
                    None => (String::new(), e.to_string().trim().to_string()),
                };
                problems.push(OptionProblem { key, message });
                Err(problems)
            }
        }
    }

    /// The keys a backend of this kind takes (besides `kind`).
    pub fn known_keys(kind: BackendKind) -> &'static [&'static str] {
        const HTTP: [&str; 5] = ["url", "timeout_s", "retries", "max_concurrent", "auth_env"];
        match kind {
            BackendKind::Builtin => &["service", "hourly_cost"],
            BackendKind::A1111 => &[
                HTTP[0],
                HTTP[1],
                HTTP[2],
                HTTP[3],
                HTTP[4],
                "model",
                "price_per_image",
                "controlnet_models",
                "hourly_cost",
            ],
            BackendKind::Comfyui => &[
                HTTP[0],
                HTTP[1],
                HTTP[2],
                HTTP[3],
                HTTP[4],
                "model",
                "controlnet_model",
                "controlnet_models",
                "templates",
                "hourly_cost",
            ],
            BackendKind::Openai => {
                &[HTTP[0], HTTP[1], HTTP[2], HTTP[3], HTTP[4], "model", "quality", "price_per_image", "hourly_cost"]
            }
        }
    }

    /// What the machine behind this backend costs an hour (`hourly_cost`,
    /// any kind): `genpath backend bench` divides it by the measured
    /// throughput for a self-hosted server's cost per image.
    pub fn hourly_cost(&self) -> Result<Option<f64>, Vec<OptionProblem>> {
        self.typed::<Metered>(Self::known_keys(self.kind)).map(|m| m.hourly_cost)
    }

    /// Every problem with this backend's options, whatever its kind.
    pub fn problems(&self) -> Vec<OptionProblem> {
        let known = Self::known_keys(self.kind);
        let result = match self.kind {
            BackendKind::Builtin => self.typed::<BuiltinOptions>(known).map(drop),
            BackendKind::A1111 => self.typed::<A1111Options>(known).map(drop),
            BackendKind::Comfyui => self.typed::<ComfyUiOptions>(known).map(drop),
            BackendKind::Openai => self.typed::<OpenAiOptions>(known).map(drop),
        }
        .and_then(|()| self.typed::<Metered>(known).map(drop));
        result.err().unwrap_or_default()
    }
}

crate::named_enum! {
    /// What speaks behind a named backend.
    pub enum BackendKind ("backend kind") {
        Builtin = "builtin",
        A1111 = "a1111",
        Comfyui = "comfyui",
        Openai = "openai",
    }
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
            checks: ChecksConfig::default(),
            dir: PathBuf::new(),
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

# Identity checks embed each subject with genpath's built-in image encoder
# (EfficientNet-Lite0) beside colour. Name an ONNX encoder of your own
# (DINO-style) instead, and set its line with
# `genpath calibrate identity_consistency --embedding-model FILE --same DIR...`
# on your own sets; or judge by colour alone with builtin_embedding = false.
#
# [checks]
# embedding_model = "models/dinov2-small.onnx"
# embedding_min_similarity = 0.6
"#;

impl Config {
    /// Read a config file; a missing file gives the defaults.
    pub fn load(path: &Path) -> anyhow::Result<Config> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Config::default()),
            Err(e) => return Err(e).with_context(|| format!("Failed to read {}", path.display())),
        };
        let mut config = Self::parse(&path.display().to_string(), &text)?;
        config.dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        Ok(config)
    }

    pub fn parse(label: &str, text: &str) -> Result<Config, crate::diagnostics::Diagnostics> {
        use crate::diagnostics::{Diagnostics, Seg, Spans};
        let config: Config = parse_toml(label, text)?;
        let mut diags = Diagnostics::default();
        let spans = Spans::new(text);
        if !valid_id(&config.learner.id) {
            diags.push(spans.at(
                label,
                &[Seg::Key("learner"), Seg::Key("id")],
                format!("learner id '{}' may only hold letters, digits, '-' and '_'", config.learner.id),
            ));
        }
        for (name, b) in &config.backends {
            for p in b.problems() {
                let mut path = vec![Seg::Key("backends"), Seg::Key(name)];
                if !p.key.is_empty() {
                    path.push(Seg::Key(&p.key));
                }
                diags.push(spans.at(label, &path, format!("[backends.{name}]: {}", p.message)));
            }
            let Some(url) = b.options.get("url") else { continue };
            if let Some(problem) = url_problem(url) {
                diags.push(spans.at(label, &[Seg::Key("backends"), Seg::Key(name), Seg::Key("url")], problem));
            }
        }
        if let Some(m) = config.checks.embedding_min_similarity
            && !(-1.0..=1.0).contains(&m)
        {
            diags.push(spans.at(
                label,
                &[Seg::Key("checks"), Seg::Key("embedding_min_similarity")],
                format!("embedding_min_similarity is a cosine similarity from -1 to 1, not {m}"),
            ));
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

    /// The embedding model's file, relative paths taken from genpath.toml's folder.
    pub fn embedding_model(&self) -> Option<PathBuf> {
        self.checks.embedding_model.as_ref().map(|p| self.dir.join(p))
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
    fn the_embedding_model_is_relative_to_the_config_and_its_line_a_cosine() {
        let mut c =
            Config::parse("g.toml", "[checks]\nembedding_model = \"m/dino.onnx\"\nembedding_min_similarity = 0.61\n")
                .unwrap();
        c.dir = PathBuf::from("/ws");
        assert_eq!(c.embedding_model(), Some(PathBuf::from("/ws/m/dino.onnx")));
        assert_eq!(c.checks.embedding_min_similarity, Some(0.61));
        assert_eq!(Config::default().embedding_model(), None);
        let e = Config::parse("g.toml", "[checks]\nembedding_min_similarity = 1.5\n").unwrap_err().to_string();
        assert!(e.contains("g.toml:2:28") && e.contains("from -1 to 1, not 1.5"), "{e}");
        let e = Config::parse("g.toml", "[checks]\nembedding_modl = \"x\"\n").unwrap_err().to_string();
        assert!(e.contains("g.toml:2:1") && e.contains("embedding_model"), "{e}");
    }

    /// The built-in encoder is on unless a workspace turns it off, and the
    /// default is not written out.
    #[test]
    fn the_builtin_encoder_is_on_unless_turned_off() {
        assert!(Config::default().checks.builtin_embedding);
        assert!(
            Config::parse("g.toml", "[checks]\nembedding_min_similarity = 0.5\n").unwrap().checks.builtin_embedding
        );
        let off = Config::parse("g.toml", "[checks]\nbuiltin_embedding = false\n").unwrap();
        assert!(!off.checks.builtin_embedding);
        assert!(toml::to_string(&off.checks).unwrap().contains("builtin_embedding = false"));
        assert!(!toml::to_string(&ChecksConfig::default()).unwrap().contains("builtin_embedding"));
        let e = Config::parse("g.toml", "[checks]\nbuiltin_embedding = \"no\"\n").unwrap_err().to_string();
        assert!(e.contains("g.toml:2:21") && e.contains("expected a boolean"), "{e}");
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
    fn a_misspelt_backend_option_is_located_with_the_closest_key() {
        let text = "[backends.studio]\nkind = \"a1111\"\nurl = \"http://h:1\"\ntimout_s = 30\nflavour = 1\n";
        let e = Config::parse("g.toml", text).unwrap_err().to_string();
        assert!(
            e.contains("g.toml:4:12: [backends.studio]: unknown option `timout_s`: did you mean `timeout_s`?"),
            "{e}"
        );
        assert!(e.contains("g.toml:5:11") && e.contains("unknown option `flavour` (kind a1111 takes: url,"), "{e}");
        let e =
            Config::parse("g.toml", "[backends.s]\nkind = \"openai\"\nretries = \"many\"\n").unwrap_err().to_string();
        assert!(e.contains("g.toml:3:") && e.contains("retries"), "{e}");
    }

    #[test]
    fn every_known_option_of_every_kind_is_accepted() {
        for kind in BackendKind::ALL {
            let mut options = toml::Table::new();
            for key in BackendConfig::known_keys(*kind) {
                let value = match *key {
                    "url" | "auth_env" | "model" | "controlnet_model" | "quality" => toml::Value::from("http://h:1"),
                    "timeout_s" | "retries" | "max_concurrent" => toml::Value::from(3),
                    "price_per_image" | "hourly_cost" => toml::Value::from(0.5),
                    "templates" | "controlnet_models" => toml::Value::Table(toml::Table::new()),
                    "service" => toml::Value::Table(toml::Table::new()),
                    other => panic!("no sample value for {other}"),
                };
                options.insert((*key).to_string(), value);
            }
            let b = BackendConfig { kind: *kind, options };
            assert_eq!(b.problems(), Vec::new(), "{kind}");
        }
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
