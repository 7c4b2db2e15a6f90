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
    pub fn number(&self, name: &str) -> Option<f64> {
        match self.params.get(name)? {
            toml::Value::Float(f) => Some(*f),
            toml::Value::Integer(i) => Some(*i as f64),
            _ => None,
        }
    }
    /// A number parameter, or its default from the registry (where every
    /// default is written, once). NaN for a parameter without one, which
    /// fails every comparison; `tests` hold every call to a parameter with a
    /// default.
    pub fn num(&self, name: &str) -> f64 {
        self.number(name)
            .or_else(|| super::registry::find(&self.check).and_then(|d| d.param(name)).and_then(|p| p.default))
            .unwrap_or(f64::NAN)
    }
    pub fn text(&self, name: &str) -> Option<&str> {
        self.params.get(name)?.as_str()
    }
    pub fn flag(&self, name: &str) -> Option<bool> {
        self.params.get(name)?.as_bool()
    }
    pub fn colors(&self, name: &str) -> Vec<String> {
        match self.params.get(name) {
            Some(toml::Value::Array(a)) => a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect(),
            Some(toml::Value::String(s)) => vec![s.clone()],
            _ => Vec::new(),
        }
    }
    pub fn region(&self, name: &str) -> Option<[f64; 4]> {
        let a = self.params.get(name)?.as_array()?;
        let v: Vec<f64> = a.iter().filter_map(|x| x.as_float().or_else(|| x.as_integer().map(|i| i as f64))).collect();
        (v.len() == 4).then(|| [v[0], v[1], v[2], v[3]])
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
