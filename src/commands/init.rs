//! `genpath init [DIR]`: create a workspace explicitly.

use std::path::PathBuf;

use anyhow::{Context, Result};

use super::UsageError;
use crate::cli::GlobalArgs;
use crate::config::{self, Config};
use crate::workspace::{self, CONFIG_FILE, Workspace, write_atomic};

pub fn run(global: &GlobalArgs, dir: Option<PathBuf>, name: Option<String>, id: Option<String>) -> Result<()> {
    let root = match dir {
        Some(d) => d,
        None => workspace::locate(global.workspace.as_deref())?,
    };
    if let Some(id) = &id
        && !config::valid_id(id)
    {
        return Err(UsageError(format!("learner id '{id}' may only hold letters, digits, '-' and '_'")).into());
    }
    let config_path = root.join(CONFIG_FILE);
    let existed = config_path.exists();
    if !existed && (name.is_some() || id.is_some()) {
        std::fs::create_dir_all(&root).with_context(|| format!("Failed to create {}", root.display()))?;
        let mut text = config::TEMPLATE.to_string();
        if let Some(id) = &id {
            text = text.replacen("id = \"learner\"", &format!("id = {}", toml_string(id)), 1);
        }
        if let Some(name) = &name {
            text = text.replacen("name = \"Learner\"", &format!("name = {}", toml_string(name)), 1);
        }
        write_atomic(&config_path, text.as_bytes())?;
    } else if existed && (name.is_some() || id.is_some()) {
        let text = std::fs::read_to_string(&config_path)
            .with_context(|| format!("Failed to read {}", config_path.display()))?;
        let mut config: Config = Config::parse(&config_path.display().to_string(), &text)?;
        if let Some(id) = id {
            config.learner.id = id;
        }
        if let Some(name) = name {
            config.learner.name = name;
        }
        let out = toml::to_string_pretty(&config).context("Failed to write the configuration")?;
        write_atomic(&config_path, out.as_bytes())?;
    }
    let ws = Workspace::open(&root)?;
    ws.store()?;
    if existed {
        outln!("Workspace already set up at {}", root.display());
    } else {
        outln!("Created a workspace at {}", root.display());
    }
    outln!("  learner: {} ({})", ws.config.learner.name, ws.config.learner.id);
    outln!("  config:  {}", ws.config_path().display());
    outln!("Next: `genpath path` to see the exercises.");
    Ok(())
}

fn toml_string(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}
