//! What an exercise asks of its images: the deliverable and the checks with
//! their thresholds, as the curriculum declares them and the checks read them.

use std::collections::BTreeMap;

use serde::Serialize;

use super::Severity;

#[derive(Debug, Clone, Serialize)]
pub struct Deliverable {
    pub file: String,
    pub count: u32,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub description: Option<String>,
}

/// One check an exercise runs, with its thresholds.
#[derive(Debug, Clone, Serialize)]
pub struct CheckSpec {
    pub check: String,
    pub severity: Severity,
    pub params: BTreeMap<String, toml::Value>,
}

impl CheckSpec {
    /// The parameters as the check's own struct (declared with `params!`
    /// beside the check), defaults filled in. An error only for a spec the
    /// curriculum did not validate (built by hand in code).
    pub fn params<T: serde::de::DeserializeOwned>(&self) -> Result<T, String> {
        let table: toml::Table = self.params.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        T::deserialize(toml::Value::Table(table)).map_err(|e| format!("{} parameters: {}", self.check, e.message()))
    }
    /// One-line summary of the thresholds, for listings.
    pub fn thresholds(&self) -> String {
        self.params.iter().map(|(k, v)| format!("{k} = {}", toml_inline(v))).collect::<Vec<_>>().join(", ")
    }
}

fn toml_inline(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => format!("\"{s}\""),
        other => other.to_string(),
    }
}
