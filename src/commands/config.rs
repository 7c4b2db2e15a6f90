//! `genpath config`: the configuration in effect and where everything lives.

use anyhow::{Context, Result};

use super::Env;

pub fn run(env: &Env) -> Result<()> {
    let ws = &env.workspace;
    println!("workspace:   {}", ws.root.display());
    println!("config file: {}", ws.config_path().display());
    println!("database:    {}", ws.db_path().display());
    println!("recipes:     {}", ws.recipes_dir().display());
    println!("outputs:     {}", ws.outputs_dir().display());
    println!("log file:    {}", ws.log_path().display());
    println!("curriculum:  {}", env.curriculum.source.describe());
    println!();
    println!("# in effect (file + environment)");
    print!("{}", toml::to_string_pretty(&ws.config).context("Failed to show the configuration")?);
    Ok(())
}
