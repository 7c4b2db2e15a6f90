//! `genpath backend list` and `genpath backend test NAME [--generate]`:
//! what backends this workspace has, and whether one answers.

use std::time::Instant;

use anyhow::Result;

use super::Env;
use crate::backend::a1111::A1111;
use crate::backend::{Backend, Cancel, Inputs, Request};
use crate::config::BackendKind;
use crate::recipe::{Limits, Recipe};

pub fn list(env: &Env) -> Result<()> {
    let c = &env.workspace.config;
    let mark = |n: &str| if c.backend == n { "*" } else { " " };
    outln!("{} builtin    builtin   offline practice renderer (free, deterministic)", mark("builtin"));
    outln!(
        "{} practice   builtin   simulated paid service: 0.04/image, 40 ms, 20 req/s, 10% transient failures",
        mark("practice")
    );
    for (name, b) in &c.backends {
        let url = crate::config::redact_url(b.options.get("url").and_then(|v| v.as_str()).unwrap_or(""));
        let auth = match b.options.get("auth_env").and_then(|v| v.as_str()) {
            Some(var) if std::env::var_os(var).is_some() => format!("key from ${var} (set)"),
            Some(var) => format!("key from ${var} (NOT set)"),
            None => String::new(),
        };
        outln!("{} {name:<10} {:<9} {url} {auth}", mark(name), b.kind.as_str());
    }
    outln!("(* = default; change it with `backend = \"NAME\"` in genpath.toml or GENPATH_BACKEND)");
    Ok(())
}

fn options_error(problems: Vec<crate::config::OptionProblem>) -> anyhow::Error {
    anyhow::anyhow!("{}", problems.into_iter().map(|p| p.message).collect::<Vec<_>>().join("; "))
}

fn capabilities(b: &dyn Backend) -> String {
    let d = b.describe();
    let mut caps = vec!["txt2img"];
    if d.img2img {
        caps.push("img2img");
    }
    if d.inpaint {
        caps.push("inpaint");
    }
    if d.reference {
        caps.push("reference");
    }
    let controls: Vec<&str> = d.controls.iter().map(|k| k.as_str()).collect();
    format!(
        "{}; controls: {}; {}{}",
        caps.join(", "),
        if controls.is_empty() { "none".into() } else { controls.join(", ") },
        if d.deterministic { "deterministic" } else { "not bit-exact" },
        d.price_per_image.map(|p| format!("; {p} per image")).unwrap_or_default()
    )
}

pub fn test(env: &Env, name: &str, generate: bool) -> Result<()> {
    let config = &env.workspace.config;
    let backend = crate::backend::from_config(name, config)?;
    let kind = config.backends.get(name).map(|b| b.kind);
    outln!("backend {name}");
    if let Some(BackendKind::A1111) = kind {
        let b = &config.backends[name];
        let a = A1111::from_options(
            name,
            &b.typed(crate::config::BackendConfig::known_keys(b.kind)).map_err(options_error)?,
        )?;
        let quiet = Cancel::default();
        let t = Instant::now();
        let models = a.get("/sdapi/v1/sd-models", &quiet).map_err(|e| anyhow::anyhow!("not reachable: {e}"))?;
        outln!("  reachable: yes ({:.0} ms)", t.elapsed().as_secs_f64() * 1000.0);
        let titles: Vec<String> =
            models.as_array().into_iter().flatten().filter_map(|m| m["title"].as_str().map(str::to_string)).collect();
        outln!("  models: {}", if titles.is_empty() { "none".into() } else { titles.join(", ") });
        if let Some(caps) = a.sdcpp() {
            outln!(
                "  server: stable-diffusion.cpp sd-server (job API; cancels queued jobs{})",
                if caps.cancel_generating { " and generating ones" } else { " only" }
            );
        }
        let names = |path: &str, field: &str| -> Option<Vec<String>> {
            let v = a.get(path, &quiet).ok()?;
            Some(v.as_array()?.iter().filter_map(|x| x[field].as_str().map(str::to_string)).collect())
        };
        let shown = |v: Vec<String>| if v.is_empty() { "none".to_string() } else { v.join(", ") };
        for (label, path, field) in [
            ("samplers", "/sdapi/v1/samplers", "name"),
            ("schedulers", "/sdapi/v1/schedulers", "label"),
            ("LoRAs", "/sdapi/v1/loras", "name"),
            ("upscalers", "/sdapi/v1/upscalers", "name"),
        ] {
            if let Some(list) = names(path, field) {
                outln!("  {label}: {}", shown(list));
            }
        }
        match a.get("/controlnet/version", &quiet) {
            Ok(v) => {
                outln!("  ControlNet: version {}", v["version"]);
                outln!("  ControlNet models: {}", a.controlnet_models().join(", "));
                if let Ok(m) = a.get("/controlnet/module_list", &quiet) {
                    let mods: Vec<&str> =
                        m["module_list"].as_array().into_iter().flatten().filter_map(|x| x.as_str()).take(12).collect();
                    outln!("  ControlNet modules: {} …", mods.join(", "));
                }
            }
            Err(_) => outln!("  ControlNet: not installed (recipes with [[control]] will be refused)"),
        }
    } else if let Some(BackendKind::Comfyui) = kind {
        let b = &config.backends[name];
        let options: crate::config::ComfyUiOptions =
            b.typed(crate::config::BackendConfig::known_keys(b.kind)).map_err(options_error)?;
        let c = crate::backend::comfyui::ComfyUi::from_options(name, &options, &config.dir)?;
        comfyui(&c, &options)?;
    } else if let Some(BackendKind::Openai) = kind {
        let b = &config.backends[name];
        let o = crate::backend::openai::OpenAi::from_options(
            name,
            &b.typed(crate::config::BackendConfig::known_keys(b.kind)).map_err(options_error)?,
        )?;
        let t = Instant::now();
        let models = o.get("/v1/models", &Cancel::default()).map_err(|e| anyhow::anyhow!("not reachable: {e}"))?;
        let ids: Vec<&str> = models["data"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|m| m["id"].as_str())
            .filter(|id| id.contains("image"))
            .collect();
        outln!("  reachable: yes ({:.0} ms), key accepted", t.elapsed().as_secs_f64() * 1000.0);
        outln!("  image models: {}", if ids.is_empty() { "none listed".to_string() } else { ids.join(", ") });
    } else {
        outln!(
            "  {}",
            if name == "practice" {
                "built-in simulated paid service (offline)"
            } else {
                "built-in renderer (offline)"
            }
        );
        use crate::backend::builtin::{lora, model};
        let models: Vec<String> =
            model::MODELS.iter().map(|m| format!("{} ({}, {}²)", m.name, m.family, m.native)).collect();
        outln!("  models: {} (the first is the default)", models.join(", "));
        let loras: Vec<String> = lora::LORAS.iter().map(|l| format!("{} (trigger `{}`)", l.name, l.trigger)).collect();
        outln!("  LoRAs: {}", loras.join(", "));
        let vaes: Vec<String> = model::VAES.iter().map(|v| format!("{} (for {})", v.name, v.family)).collect();
        outln!("  VAEs: {}", vaes.join(", "));
    }
    outln!("  capabilities: {}", capabilities(backend.as_ref()));
    if generate {
        let r = Recipe::parse(
            "test.toml",
            "prompt = \"a mug, studio backdrop\"\nseed = 1\nsteps = 8\nwidth = 256\nheight = 256\n",
            Limits::default(),
        )?
        .resolve()
        .remove(0);
        let t = Instant::now();
        let g = backend.generate(&Request { recipe: r, inputs: Inputs::default() }, &Cancel::default())?;
        let dir = env.workspace.outputs_dir().join("backend-test");
        std::fs::create_dir_all(&dir)?;
        let path = dir.join(format!("{name}.png"));
        crate::workspace::write_atomic(&path, &g.png)?;
        outln!("  generated 256×256 in {:.1} s (seed {}): {}", t.elapsed().as_secs_f64(), g.seed, path.display());
    }
    Ok(())
}

/// What a ComfyUI server has, set against what genpath.toml asks of it.
fn comfyui(c: &crate::backend::comfyui::ComfyUi, options: &crate::config::ComfyUiOptions) -> Result<()> {
    use crate::backend::comfyui::choices;
    let quiet = Cancel::default();
    let t = Instant::now();
    let stats = c.get("/system_stats", &quiet).map_err(|e| anyhow::anyhow!("not reachable: {e}"))?;
    let version = stats["system"]["comfyui_version"].as_str().unwrap_or("?");
    let device = stats["devices"][0]["name"].as_str().unwrap_or("?");
    outln!("  reachable: yes ({:.0} ms), ComfyUI {version} on {device}", t.elapsed().as_secs_f64() * 1000.0);
    let shown = |v: &[String]| if v.is_empty() { "none".to_string() } else { v.join(", ") };
    let mut warnings = Vec::new();
    let listed = |class: &str, input: &str| c.object_info(class).ok().map(|v| choices(&v, class, input));
    match listed("CheckpointLoaderSimple", "ckpt_name") {
        Some(ckpts) => {
            outln!("  checkpoints: {}", shown(&ckpts));
            let want = options.model.clone().unwrap_or_else(|| "v1-5-pruned-emaonly.safetensors".into());
            if !ckpts.contains(&want) {
                warnings.push(format!(
                    "the checkpoint `{want}` genpath uses when a recipe names none is not on the server: \
                     set `model` in [backends] to one listed above"
                ));
            }
        }
        None => warnings.push("the server does not list its checkpoints (no CheckpointLoaderSimple node)".into()),
    }
    if let Some(loras) = listed("LoraLoader", "lora_name") {
        outln!("  LoRAs: {}", shown(&loras));
    }
    let controlnets = c.server_controlnets().map(<[String]>::to_vec).unwrap_or_default();
    outln!("  ControlNet models: {}", shown(&controlnets));
    for (kind, model) in &options.controlnet_models {
        if !controlnets.contains(model) {
            warnings.push(format!(
                "the ControlNet model `{model}` configured for `{}` is not on the server",
                kind.as_str()
            ));
        }
    }
    if let Some(model) = &options.controlnet_model
        && !controlnets.contains(model)
    {
        warnings.push(format!("the ControlNet model `{model}` (controlnet_model) is not on the server"));
    }
    if let Some(samplers) = listed("KSampler", "sampler_name") {
        outln!("  samplers: {}", shown(&samplers));
    }
    if let Ok(all) = c.get("/object_info", &quiet)
        && let Some(nodes) = all.as_object()
    {
        // Core nodes come from `nodes` and `comfy_extras`; the rest are custom.
        let mut custom: Vec<String> = nodes
            .iter()
            .filter(|(_, n)| n["python_module"].as_str().is_some_and(|m| m.starts_with("custom_nodes")))
            .map(|(k, _)| k.clone())
            .collect();
        custom.sort();
        outln!(
            "  node classes: {} ({} from custom nodes{})",
            nodes.len(),
            custom.len(),
            if custom.is_empty() {
                String::new()
            } else {
                format!(": {}", custom.iter().take(20).cloned().collect::<Vec<_>>().join(", "))
            }
        );
    }
    for (job, t) in c.check_templates() {
        match t {
            Ok(t) => outln!("  {job} template: {} (placeholders valid)", t.source),
            Err(e) => warnings.push(e.to_string()),
        }
    }
    for w in &warnings {
        outln!("  warning: {w}");
    }
    Ok(())
}
