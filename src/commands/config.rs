//! `genpath config`: the configuration in effect and where everything lives.

use anyhow::{Context, Result};

use super::Env;

pub fn run(env: &Env) -> Result<()> {
    let ws = &env.workspace;
    outln!("workspace:   {}", ws.root.display());
    outln!("config file: {}", ws.config_path().display());
    outln!("database:    {}", ws.db_path().display());
    outln!("recipes:     {}", ws.recipes_dir().display());
    outln!("outputs:     {}", ws.outputs_dir().display());
    outln!("log file:    {}", ws.log_path().display());
    outln!("curriculum:  {}", env.curriculum.source.describe());
    outln!();
    outln!("# in effect (file + environment)");
    out!("{}", toml::to_string_pretty(&ws.config.redacted()).context("Failed to show the configuration")?);
    for (name, b) in &ws.config.backends {
        if b.options.get("url").and_then(|u| u.as_str()).is_some_and(crate::config::url_has_credentials) {
            outln!(
                "note: backend {name}'s url carries credentials; move them to an environment variable named by \
                 auth_env (the url is shown redacted)"
            );
        }
    }
    Ok(())
}
