//! Reading how an image was made, whoever made it: genpath's own `genpath`
//! chunk, A1111/Forge/SD.Next/stable-diffusion.cpp infotext (`parameters`),
//! and ComfyUI's API graph (`prompt`). The result is a genpath recipe plus
//! the fields that had no place in it.

use std::collections::BTreeMap;

use serde_json::Value;

use super::{Recipe, Resolved};

/// An A1111-style infotext, split into its parts.
#[derive(Debug, Clone, PartialEq)]
pub struct Infotext {
    pub prompt: String,
    pub negative: String,
    /// Parameters in order, values unquoted.
    pub params: Vec<(String, String)>,
}

/// `Key: value` pairs on a parameter line, honouring JSON-quoted values
/// (A1111's `\s*(\w[\w \-/]+):\s*("(?:\\.|[^\\"])+"|[^,]*)(?:,|$)`).
fn param_pairs(line: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let chars: Vec<char> = line.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        while i < chars.len() && (chars[i] == ' ' || chars[i] == ',') {
            i += 1;
        }
        let start = i;
        while i < chars.len() && chars[i] != ':' && chars[i] != ',' {
            i += 1;
        }
        if i >= chars.len() || chars[i] != ':' {
            break;
        }
        let key: String = chars[start..i].iter().collect::<String>().trim().to_string();
        let key_ok = key.chars().next().is_some_and(|c| c.is_alphanumeric() || c == '_')
            && key.chars().all(|c| c.is_alphanumeric() || c == '_' || c == ' ' || c == '-' || c == '/');
        i += 1;
        while i < chars.len() && chars[i] == ' ' {
            i += 1;
        }
        let value = if i < chars.len() && chars[i] == '"' {
            let vstart = i;
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' {
                    i += 1;
                }
                i += 1;
            }
            i = (i + 1).min(chars.len());
            let quoted: String = chars[vstart..i].iter().collect();
            serde_json::from_str::<String>(&quoted).unwrap_or_else(|_| quoted.trim_matches('"').to_string())
        } else if i < chars.len() && (chars[i] == '{' || chars[i] == '[') {
            // A JSON value (stable-diffusion.cpp's `SDCPP: {…}`): up to its
            // closing bracket, commas and colons inside it included.
            let vstart = i;
            let mut depth = 0usize;
            let mut in_string = false;
            while i < chars.len() {
                match chars[i] {
                    '\\' if in_string => i += 1,
                    '"' => in_string = !in_string,
                    '{' | '[' if !in_string => depth += 1,
                    '}' | ']' if !in_string => {
                        depth = depth.saturating_sub(1);
                        if depth == 0 {
                            i += 1;
                            break;
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
            chars[vstart..i.min(chars.len())].iter().collect::<String>()
        } else {
            let vstart = i;
            while i < chars.len() && chars[i] != ',' {
                i += 1;
            }
            chars[vstart..i].iter().collect::<String>().trim().to_string()
        };
        if !key_ok {
            return Vec::new();
        }
        out.push((key, value));
    }
    out
}

/// Parse an infotext: prompt lines, an optional `Negative prompt:` block,
/// and a last line of parameters when it holds at least three `Key: value`
/// pairs (A1111's own rule).
pub fn parse_infotext(text: &str) -> Infotext {
    let text = text.trim_end();
    let mut lines: Vec<&str> = text.lines().collect();
    let mut params = Vec::new();
    if let Some(last) = lines.last() {
        let pairs = param_pairs(last);
        if pairs.len() >= 3 {
            params = pairs;
            lines.pop();
        }
    }
    let mut prompt = Vec::new();
    let mut negative = Vec::new();
    let mut in_negative = false;
    for l in lines {
        if let Some(rest) = l.strip_prefix("Negative prompt:") {
            in_negative = true;
            negative.push(rest.trim_start().to_string());
        } else if in_negative {
            negative.push(l.to_string());
        } else {
            prompt.push(l.to_string());
        }
    }
    Infotext { prompt: prompt.join("\n").trim().to_string(), negative: negative.join("\n").trim().to_string(), params }
}

/// genpath's sampler name for an A1111 / sd.cpp one; the old style folds the
/// scheduler into the name (`DPM++ 2M Karras`), sd.cpp appends it (`euler_a discrete`).
fn sampler(name: &str) -> (Option<&'static str>, Option<String>) {
    let lower = name.trim().to_lowercase();
    let schedulers = ["karras", "exponential", "sgm uniform", "simple", "discrete", "normal", "automatic", "uniform"];
    let mut base = lower.clone();
    let mut schedule = None;
    for s in schedulers {
        if let Some(b) = lower.strip_suffix(&format!(" {s}")) {
            base = b.to_string();
            schedule = Some(s.to_string());
        }
    }
    (crate::recipe::vocab::sampler(&base), schedule)
}

/// A1111's schedule-type labels (and sd.cpp's names) as genpath's schedulers;
/// `Automatic` is the sampler's own default, so no setting.
fn scheduler(label: &str) -> Option<Option<super::Scheduler>> {
    use super::Scheduler as S;
    Some(match label.trim().to_lowercase().as_str() {
        "automatic" | "default" => None,
        "normal" | "discrete" | "uniform" => Some(S::Normal),
        "karras" => Some(S::Karras),
        "exponential" => Some(S::Exponential),
        "sgm uniform" | "sgm_uniform" => Some(S::SgmUniform),
        "simple" => Some(S::Simple),
        "ddim" | "ddim_uniform" => Some(S::DdimUniform),
        "beta" => Some(S::Beta),
        _ => return None,
    })
}

/// `<lora:name:weight>` tags taken out of a prompt, as A1111 writes them.
fn take_loras(prompt: &str) -> (String, Vec<super::Lora>) {
    let mut out = String::new();
    let mut loras = Vec::new();
    let mut rest = prompt;
    while let Some(start) = rest.find("<lora:") {
        let Some(end) = rest[start..].find('>') else { break };
        let inner = &rest[start + "<lora:".len()..start + end];
        let mut parts = inner.split(':');
        let name = parts.next().unwrap_or("").trim().to_string();
        let weight = parts.next().and_then(|w| w.trim().parse::<f32>().ok()).unwrap_or(1.0);
        out.push_str(&rest[..start]);
        if !name.is_empty() {
            loras.push(super::Lora { name, weight });
        }
        rest = &rest[start + end + 1..];
    }
    out.push_str(rest);
    let tidy = out.split(',').map(str::trim).filter(|p| !p.is_empty()).collect::<Vec<_>>().join(", ");
    (tidy, loras)
}

/// An A1111 ControlNet unit (`Module: canny, Model: …, Weight: 1.0, …`) as
/// a recipe control; the map itself is not in the image, so the control
/// names the file the learner must supply.
fn controlnet_unit(index: &str, text: &str) -> Result<super::Control, String> {
    let fields: Vec<(String, String)> = text
        .split(',')
        .filter_map(|f| f.split_once(':').map(|(k, v)| (k.trim().to_lowercase(), v.trim().to_string())))
        .collect();
    let get = |k: &str| fields.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str());
    let what = format!("{} {}", get("module").unwrap_or(""), get("model").unwrap_or("")).to_lowercase();
    let kind = if what.contains("scribble") {
        super::ControlKind::Scribble
    } else if what.contains("lineart") {
        super::ControlKind::Lineart
    } else if ["canny", "softedge", "edges"].iter().any(|w| what.contains(w)) {
        super::ControlKind::Edges
    } else if what.contains("openpose") || what.contains("pose") {
        super::ControlKind::Pose
    } else if what.contains("depth") {
        super::ControlKind::Depth
    } else if what.contains("seg") {
        super::ControlKind::Seg
    } else {
        return Err(format!("no genpath control kind for {what:?}"));
    };
    let num = |k: &str, d: f32| get(k).and_then(|v| v.parse::<f32>().ok()).unwrap_or(d);
    let mode = match get("control mode").map(str::to_lowercase).as_deref() {
        Some(m) if m.contains("prompt") => super::ControlMode::Prompt,
        Some(m) if m.contains("controlnet") => super::ControlMode::Control,
        _ => super::ControlMode::Balanced,
    };
    Ok(super::Control {
        kind,
        image: format!("controlnet-{index}.png"),
        weight: num("weight", 1.0),
        start: num("guidance start", 0.0),
        end: num("guidance end", 1.0),
        mode,
        resize: super::ResizeMode::default(),
    })
}

/// A recipe from an infotext, and the fields it could not map.
pub fn recipe_from_infotext(info: &Infotext) -> (Recipe, Vec<String>) {
    let mut r = blank_recipe();
    let (prompt, loras) = take_loras(&info.prompt);
    r.prompt = prompt;
    r.lora = loras;
    r.negative = info.negative.clone();
    let mut unmapped = Vec::new();
    let mut hires = None::<super::Hires>;
    let mut denoise = None::<f32>;
    let param = |k: &str| info.params.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str());
    if let Some(v) = param("Hires upscale") {
        match v.parse::<f32>() {
            Ok(scale) => {
                hires = Some(super::Hires {
                    scale,
                    upscaler: param("Hires upscaler").map(str::to_string),
                    denoise: 0.5,
                    steps: param("Hires steps").and_then(|s| s.parse().ok()),
                })
            }
            Err(_) => unmapped.push(format!("Hires upscale: {v}")),
        }
    }
    for (k, v) in &info.params {
        let num = || v.parse::<f64>().ok();
        match k.as_str() {
            "Steps" => match num() {
                Some(n) => r.steps = n as u32,
                None => unmapped.push(format!("{k}: {v}")),
            },
            "CFG scale" => match num() {
                Some(n) => r.cfg = n as f32,
                None => unmapped.push(format!("{k}: {v}")),
            },
            "Seed" => match v.parse::<i64>() {
                Ok(n) => r.seed = Some(n),
                Err(_) => unmapped.push(format!("{k}: {v}")),
            },
            "Size" => match v.split_once('x').and_then(|(w, h)| Some((w.trim().parse().ok()?, h.trim().parse().ok()?)))
            {
                Some((w, h)) => {
                    r.width = w;
                    r.height = h;
                }
                None => unmapped.push(format!("{k}: {v}")),
            },
            "Sampler" => match sampler(v) {
                (Some(s), schedule) => {
                    r.sampler = s.to_string();
                    if let Some(sch) = schedule {
                        match scheduler(&sch) {
                            Some(found) => r.scheduler = r.scheduler.or(found),
                            None => unmapped.push(format!("Schedule type: {sch}")),
                        }
                    }
                }
                (None, _) => {
                    unmapped.push(format!("{k}: {v} (unknown sampler; kept the default)"));
                }
            },
            "Schedule type" => match scheduler(v) {
                Some(found) => r.scheduler = found,
                None => unmapped.push(format!("{k}: {v} (genpath has no such schedule)")),
            },
            "Model" => r.model = Some(v.clone()),
            "VAE" => r.vae = Some(v.clone()),
            "Clip skip" => match v.parse::<u32>() {
                Ok(n) => r.clip_skip = Some(n),
                Err(_) => unmapped.push(format!("{k}: {v}")),
            },
            "Variation seed" => match v.parse::<i64>() {
                Ok(n) => r.subseed = Some(n),
                Err(_) => unmapped.push(format!("{k}: {v}")),
            },
            "Variation seed strength" => match num() {
                Some(n) => r.subseed_strength = Some(n as f32),
                None => unmapped.push(format!("{k}: {v}")),
            },
            "Denoising strength" => match num() {
                Some(n) => denoise = Some(n as f32),
                None => unmapped.push(format!("{k}: {v}")),
            },
            "Hires upscale" | "Hires upscaler" | "Hires steps" => {}
            // The weights are the prompt's <lora:…> tags; the hashes only identify the files.
            "Lora hashes" if !r.lora.is_empty() => {}
            k if k.starts_with("ControlNet ") => match controlnet_unit(k.trim_start_matches("ControlNet "), v) {
                Ok(c) => {
                    unmapped.push(format!("{k}: put its control map at {} (the image does not carry it)", c.image));
                    r.control.push(c);
                }
                Err(why) => unmapped.push(format!("{k}: {v} ({why})")),
            },
            "Version" | "Model hash" | "VAE hash" => {}
            // stable-diffusion.cpp repeats every setting as JSON.
            "SDCPP" => unmapped.push("SDCPP: stable-diffusion.cpp's own JSON copy of these settings".into()),
            _ => unmapped.push(format!("{k}: {v}")),
        }
    }
    match (&mut hires, denoise) {
        (Some(h), Some(d)) => h.denoise = d,
        (None, Some(d)) => unmapped.push(format!(
            "Denoising strength: {d} (image-to-image: give the init image in [init] with strength = {d})"
        )),
        _ => {}
    }
    r.hires = hires;
    (r, unmapped)
}

/// A recipe with genpath's defaults and nothing in it yet.
fn blank_recipe() -> Recipe {
    Recipe::default()
}

/// A recipe from a ComfyUI API graph: KSampler (seed, steps, cfg, sampler),
/// its positive and negative CLIPTextEncode, EmptyLatentImage (size) and the
/// checkpoint loader; other nodes are reported.
pub fn recipe_from_comfy(graph: &Value) -> Result<(Recipe, Vec<String>), String> {
    let nodes = graph.as_object().ok_or("the ComfyUI prompt is not a JSON object")?;
    let samplers: Vec<&Value> =
        nodes.values().filter(|n| n["class_type"].as_str().is_some_and(|c| c.starts_with("KSampler"))).collect();
    // With hires fix there are two: the first pass is the one that starts from an empty latent.
    let from_empty = |n: &&Value| {
        n["inputs"]["latent_image"][0]
            .as_str()
            .and_then(|id| nodes.get(id))
            .is_some_and(|l| l["class_type"] == "EmptyLatentImage")
    };
    let ks = *samplers.iter().find(|n| from_empty(n)).or(samplers.first()).ok_or("no KSampler node in the graph")?;
    let input = &ks["inputs"];
    let linked = |v: &Value| v.as_array().and_then(|a| a.first()).and_then(Value::as_str).and_then(|id| nodes.get(id));
    let text_of = |v: &Value| linked(v).and_then(|n| n["inputs"]["text"].as_str()).unwrap_or("").to_string();
    let mut r = blank_recipe();
    r.prompt = text_of(&input["positive"]);
    r.negative = text_of(&input["negative"]);
    r.seed = input["seed"].as_i64().or_else(|| input["noise_seed"].as_i64());
    r.steps = input["steps"].as_u64().unwrap_or(28) as u32;
    r.cfg = input["cfg"].as_f64().unwrap_or(7.0) as f32;
    let mut unmapped = Vec::new();
    if let Some(s) = input["sampler_name"].as_str() {
        match crate::recipe::vocab::sampler(s)
            .or_else(|| crate::recipe::vocab::sampler(&s.replace("dpmpp", "dpm++").replace('_', " ")))
        {
            Some(c) => r.sampler = c.to_string(),
            None => unmapped.push(format!("sampler_name: {s}")),
        }
    }
    if let Some(s) = input["scheduler"].as_str() {
        match scheduler(s) {
            Some(found) => r.scheduler = found,
            None => unmapped.push(format!("scheduler: {s} (genpath has no such schedule)")),
        }
    }
    if let Some(latent) = linked(&input["latent_image"]) {
        r.width = latent["inputs"]["width"].as_u64().unwrap_or(512) as u32;
        r.height = latent["inputs"]["height"].as_u64().unwrap_or(512) as u32;
        if latent["class_type"] != "EmptyLatentImage" {
            unmapped
                .push(format!("latent from {} (image-to-image: give the init image in [init])", latent["class_type"]));
        }
    }
    if let Some(d) = input["denoise"].as_f64().filter(|d| *d < 1.0) {
        unmapped.push(format!("denoise: {d} (set [init] strength with an init image)"));
    }
    let known = [
        "KSampler",
        "KSamplerAdvanced",
        "CLIPTextEncode",
        "EmptyLatentImage",
        "VAEDecode",
        "SaveImage",
        "CheckpointLoaderSimple",
        "LoraLoader",
        "CLIPSetLastLayer",
        "VAELoader",
        "LatentUpscaleBy",
    ];
    let mut others: BTreeMap<String, usize> = BTreeMap::new();
    let mut ids: Vec<&String> = nodes.keys().collect();
    ids.sort_by_key(|k| (k.parse::<u64>().unwrap_or(u64::MAX), (*k).clone()));
    for id in ids {
        let n = &nodes[id];
        let i = &n["inputs"];
        match n["class_type"].as_str().unwrap_or("?") {
            "CheckpointLoaderSimple" => r.model = i["ckpt_name"].as_str().map(str::to_string),
            "LoraLoader" => r.lora.push(super::Lora {
                name: i["lora_name"].as_str().unwrap_or("").to_string(),
                weight: i["strength_model"].as_f64().unwrap_or(1.0) as f32,
            }),
            "CLIPSetLastLayer" => r.clip_skip = i["stop_at_clip_layer"].as_i64().map(|n| n.unsigned_abs() as u32),
            "VAELoader" => r.vae = i["vae_name"].as_str().map(str::to_string),
            "LatentUpscaleBy" => {
                // Hires fix: an upscaled latent that a second sampler re-samples.
                let second = nodes.values().find(|k| {
                    k["inputs"]["latent_image"].as_array().and_then(|l| l.first()).and_then(Value::as_str) == Some(id)
                });
                r.hires = Some(super::Hires {
                    scale: i["scale_by"].as_f64().unwrap_or(2.0) as f32,
                    upscaler: i["upscale_method"].as_str().map(str::to_string),
                    denoise: second.and_then(|k| k["inputs"]["denoise"].as_f64()).unwrap_or(0.5) as f32,
                    steps: second.and_then(|k| k["inputs"]["steps"].as_u64()).map(|s| s as u32),
                });
            }
            class if !known.contains(&class) => *others.entry(class.to_string()).or_default() += 1,
            _ => {}
        }
    }
    for (class, n) in others {
        unmapped.push(format!("node {class}{} (not mapped)", if n > 1 { format!(" ×{n}") } else { String::new() }));
    }
    Ok((r, unmapped))
}

/// Where an image's recipe came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Genpath,
    Infotext,
    ComfyUi,
}

/// Read the recipe embedded in a PNG.
pub fn from_png(bytes: &[u8]) -> Result<(Recipe, Vec<String>, Origin), String> {
    let chunks = super::png::text_chunks(bytes).map_err(|e| format!("not a readable PNG: {e}"))?;
    if let Some((_, json)) = chunks.iter().find(|(k, _)| k == "genpath")
        && let Ok(p) = serde_json::from_str::<super::png::Provenance>(json)
    {
        return Ok((recipe_from_resolved(&p.recipe, p.seed), Vec::new(), Origin::Genpath));
    }
    if let Some((_, text)) = chunks.iter().find(|(k, _)| k == "parameters") {
        let (r, u) = recipe_from_infotext(&parse_infotext(text));
        return Ok((r, u, Origin::Infotext));
    }
    if let Some((_, json)) = chunks.iter().find(|(k, _)| k == "prompt") {
        let graph: Value =
            serde_json::from_str(json).map_err(|e| format!("the ComfyUI `prompt` chunk is not JSON: {e}"))?;
        let (r, u) = recipe_from_comfy(&graph)?;
        return Ok((r, u, Origin::ComfyUi));
    }
    if let Some((_, json)) = chunks.iter().find(|(k, _)| k == "workflow") {
        let ui: Value =
            serde_json::from_str(json).map_err(|e| format!("the ComfyUI `workflow` chunk is not JSON: {e}"))?;
        let (r, u) = recipe_from_comfy(&api_from_ui(&ui)?)?;
        return Ok((r, u, Origin::ComfyUi));
    }
    Err("the image carries no generation parameters (no `genpath`, `parameters`, `prompt` or `workflow` chunk)".into())
}

/// The widget order of the node classes a recipe maps from, as ComfyUI's
/// editor saves them in `widgets_values` (`control_after_generate` follows a seed).
const WIDGETS: &[(&str, &[&str])] = &[
    ("KSampler", &["seed", "", "steps", "cfg", "sampler_name", "scheduler", "denoise"]),
    ("CLIPTextEncode", &["text"]),
    ("EmptyLatentImage", &["width", "height", "batch_size"]),
    ("CheckpointLoaderSimple", &["ckpt_name"]),
    ("LoraLoader", &["lora_name", "strength_model", "strength_clip"]),
    ("CLIPSetLastLayer", &["stop_at_clip_layer"]),
    ("VAELoader", &["vae_name"]),
    ("LatentUpscaleBy", &["upscale_method", "scale_by"]),
    ("SaveImage", &["filename_prefix"]),
];

/// An editor-format (`workflow`) graph in API form, for the classes in
/// [`WIDGETS`] (others keep their links only and are reported as not mapped).
pub fn api_from_ui(ui: &Value) -> Result<Value, String> {
    let nodes = ui["nodes"].as_array().ok_or("the ComfyUI workflow has no `nodes` list")?;
    let links = ui["links"].as_array().cloned().unwrap_or_default();
    let source = |link: &Value| -> Option<Value> {
        let l = links.iter().find(|l| l[0] == *link)?;
        Some(serde_json::json!([l[1].as_i64()?.to_string(), l[2].as_u64()?]))
    };
    let mut api = serde_json::Map::new();
    for n in nodes {
        let Some(class) = n["type"].as_str() else { continue };
        let mut inputs = serde_json::Map::new();
        for i in n["inputs"].as_array().into_iter().flatten() {
            if let (Some(name), Some(src)) = (i["name"].as_str(), source(&i["link"])) {
                inputs.insert(name.to_string(), src);
            }
        }
        if let Some((_, names)) = WIDGETS.iter().find(|(c, _)| *c == class) {
            for (name, v) in names.iter().zip(n["widgets_values"].as_array().into_iter().flatten()) {
                if !name.is_empty() && !inputs.contains_key(*name) {
                    inputs.insert(name.to_string(), v.clone());
                }
            }
        }
        let id = n["id"].as_i64().map(|i| i.to_string()).unwrap_or_default();
        api.insert(id, serde_json::json!({"class_type": class, "inputs": inputs}));
    }
    Ok(Value::Object(api))
}

fn recipe_from_resolved(r: &Resolved, seed: i64) -> Recipe {
    let mut recipe = Recipe {
        prompt: r.prompt.clone(),
        negative: r.negative.clone(),
        seed: Some(seed),
        steps: r.steps,
        cfg: r.cfg,
        sampler: r.sampler.clone(),
        width: r.width,
        height: r.height,
        model: r.model.clone(),
        quality: r.quality.clone(),
        init: r.init.clone(),
        control: r.control.clone(),
        reference: r.reference.clone(),
        ..Recipe::default()
    };
    recipe.set_settings(r.extra.clone());
    recipe
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a1111_infotext_with_quotes_multiline_and_negative() {
        let text = "a fox,\non a beach, (golden hour:1.2)\nNegative prompt: text,\nwatermark\nSteps: 28, Sampler: DPM++ 2M, Schedule type: Karras, CFG scale: 6.5, Seed: 4242, Size: 768x512, Model hash: 6ce0161689, Model: v1-5-pruned-emaonly, ControlNet 0: \"Module: canny, Model: control_v11p_sd15_canny [d14c016b], Weight: 1.0\", Version: v1.10.1";
        let info = parse_infotext(text);
        assert_eq!(info.prompt, "a fox,\non a beach, (golden hour:1.2)");
        assert_eq!(info.negative, "text,\nwatermark");
        assert!(info.params.contains(&(
            "ControlNet 0".into(),
            "Module: canny, Model: control_v11p_sd15_canny [d14c016b], Weight: 1.0".into()
        )));
        let (r, unmapped) = recipe_from_infotext(&info);
        assert_eq!((r.steps, r.cfg, r.seed, r.width, r.height), (28, 6.5, Some(4242), 768, 512));
        assert_eq!(r.sampler, "dpmpp_2m");
        assert_eq!(r.model.as_deref(), Some("v1-5-pruned-emaonly"));
        assert_eq!(r.scheduler, Some(super::super::Scheduler::Karras));
        assert_eq!(r.control[0].kind, super::super::ControlKind::Edges);
        assert!(
            unmapped.iter().any(|u| u.starts_with("ControlNet 0: put its control map at controlnet-0.png")),
            "{unmapped:?}"
        );
    }

    #[test]
    fn old_style_sampler_with_scheduler_and_sd_cpp_numbers() {
        let (r, u) = recipe_from_infotext(&parse_infotext(
            "a cat\nSteps: 20, Sampler: DPM++ 2M Karras, CFG scale: 7, Seed: 1, Size: 512x512",
        ));
        assert_eq!(r.sampler, "dpmpp_2m");
        assert_eq!(r.scheduler, Some(super::super::Scheduler::Karras), "{u:?}");
        let (r, _) = recipe_from_infotext(&parse_infotext(
            "a cat\nSteps: 20, CFG scale: 7.000000, Guidance: 3.500000, Eta: 0.000000, Seed: 42, Size: 512x512, RNG: CUDA, Sampler: euler_a discrete, Version: stable-diffusion.cpp",
        ));
        assert_eq!((r.cfg, r.sampler.as_str(), r.seed), (7.0, "euler_a", Some(42)));
    }

    #[test]
    fn a_prompt_without_parameters_is_all_prompt() {
        let info = parse_infotext("just a prompt, with: a colon");
        assert_eq!(info.prompt, "just a prompt, with: a colon");
        assert!(info.params.is_empty());
    }

    #[test]
    fn genpath_writes_infotext_that_reads_back_the_same() {
        let r = Recipe::parse("r.toml", "prompt = \"pip the fox, orange fur\"\nnegative = \"text, watermark\"\nseed = 4242\nsteps = 30\ncfg = 6.5\nsampler = \"dpmpp_2m\"\nwidth = 768\nheight = 512\nmodel = \"sdxl\"\n", super::super::Limits::default()).unwrap();
        let resolved = r.resolve().remove(0);
        let text = super::super::infotext::format(&resolved, 4242, "builtin");
        let (back, unmapped) = recipe_from_infotext(&parse_infotext(&text));
        assert_eq!((back.prompt.as_str(), back.negative.as_str()), ("pip the fox, orange fur", "text, watermark"));
        assert_eq!(
            (back.seed, back.steps, back.cfg, back.sampler.as_str(), back.width, back.height),
            (Some(4242), 30, 6.5, "dpmpp_2m", 768, 512)
        );
        assert_eq!(back.model.as_deref(), Some("sdxl"));
        assert!(unmapped.is_empty(), "{unmapped:?}");
    }
}

/// The EXIF UserComment of a JPEG (APP1) or WebP (`EXIF` chunk), where
/// AUTOMATIC1111 and Forge put the parameters of JPEG and WebP images. The
/// container and TIFF structure are read by `kamadak-exif`; the comment's
/// character-code prefix is decoded here.
pub fn exif_user_comment(bytes: &[u8]) -> Option<String> {
    let exif = exif::Reader::new().read_from_container(&mut std::io::Cursor::new(bytes)).ok()?;
    let field = exif.get_field(exif::Tag::UserComment, exif::In::PRIMARY)?;
    let exif::Value::Undefined(data, _) = &field.value else { return None };
    decode_user_comment(data)
}

/// A UserComment's text: an 8-byte character code (`UNICODE\0`, `ASCII\0\0\0`,
/// or none), then the text.
fn decode_user_comment(data: &[u8]) -> Option<String> {
    let (prefix, text) = data.split_at(8.min(data.len()));
    let decoded = if prefix.starts_with(b"UNICODE") {
        let utf16 = |big: bool| -> String {
            let units: Vec<u16> = text
                .chunks_exact(2)
                .map(|c| if big { u16::from_be_bytes([c[0], c[1]]) } else { u16::from_le_bytes([c[0], c[1]]) })
                .collect();
            String::from_utf16_lossy(&units)
        };
        // piexif writes big-endian; some tools write little-endian: take the one that reads as text.
        let be = utf16(true);
        if be.chars().filter(|c| c.is_ascii()).count() * 2 >= be.chars().count() { be } else { utf16(false) }
    } else {
        String::from_utf8_lossy(text).into_owned()
    };
    Some(decoded.trim_end_matches('\0').to_string())
}

#[cfg(test)]
mod exif_tests {
    use super::*;

    /// A minimal big-endian EXIF block holding a UNICODE UserComment.
    pub fn exif_block(comment: &str) -> Vec<u8> {
        let mut text = b"UNICODE\0".to_vec();
        for u in comment.encode_utf16() {
            text.extend_from_slice(&u.to_be_bytes());
        }
        let mut t = b"MM\0\x2a\0\0\0\x08".to_vec();
        // IFD0 at 8: one entry, ExifIFD pointer → 26.
        t.extend_from_slice(&1u16.to_be_bytes());
        t.extend_from_slice(&[0x87, 0x69, 0, 4, 0, 0, 0, 1]);
        t.extend_from_slice(&26u32.to_be_bytes());
        t.extend_from_slice(&0u32.to_be_bytes());
        // Exif IFD at 26: UserComment (UNDEFINED) → 44.
        t.extend_from_slice(&1u16.to_be_bytes());
        t.extend_from_slice(&[0x92, 0x86, 0, 7]);
        t.extend_from_slice(&(text.len() as u32).to_be_bytes());
        t.extend_from_slice(&44u32.to_be_bytes());
        t.extend_from_slice(&0u32.to_be_bytes());
        t.extend_from_slice(&text);
        t
    }

    #[test]
    fn reads_a1111_parameters_from_jpeg_and_webp_exif() {
        let params = "a fox 狐\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 5, Size: 512x512";
        let tiff = exif_block(params);
        let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xE1];
        jpeg.extend_from_slice(&((tiff.len() + 8) as u16).to_be_bytes());
        jpeg.extend_from_slice(b"Exif\0\0");
        jpeg.extend_from_slice(&tiff);
        jpeg.extend_from_slice(&[0xFF, 0xDA, 0, 2]);
        assert_eq!(exif_user_comment(&jpeg).as_deref(), Some(params));
        // RIFF size: "WEBP" + the chunk header + the (even-padded) chunk.
        let riff = 4 + 8 + tiff.len() + tiff.len() % 2;
        let mut webp = b"RIFF".to_vec();
        webp.extend_from_slice(&(riff as u32).to_le_bytes());
        webp.extend_from_slice(b"WEBPEXIF");
        webp.extend_from_slice(&(tiff.len() as u32).to_le_bytes());
        webp.extend_from_slice(&tiff);
        if tiff.len() % 2 == 1 {
            webp.push(0);
        }
        assert_eq!(exif_user_comment(&webp).as_deref(), Some(params));
        let (r, _) = recipe_from_infotext(&parse_infotext(&exif_user_comment(&jpeg).unwrap()));
        assert_eq!((r.prompt.as_str(), r.seed), ("a fox 狐", Some(5)));
    }
}

#[cfg(test)]
mod settings_tests {
    use super::*;

    #[test]
    fn a1111_hires_lora_clip_skip_vae_variation_and_controlnet_import() {
        let text = "a knight, <lora:armor_v2:0.7>, castle <lora:detail:1>\nNegative prompt: blurry\nSteps: 24, Sampler: DPM++ 2M, Schedule type: Karras, CFG scale: 6, Seed: 11, Size: 512x768, Model: dreamshaper_8, VAE: vae-ft-mse-840000, Clip skip: 2, Variation seed: 99, Variation seed strength: 0.15, Denoising strength: 0.45, Hires upscale: 1.5, Hires steps: 12, Hires upscaler: 4x-UltraSharp, Lora hashes: \"armor_v2: 1a2b3c, detail: 4d5e6f\", ControlNet 0: \"Module: openpose_full, Model: control_v11p_sd15_openpose [cab727d4], Weight: 0.8, Resize Mode: Crop and Resize, Guidance Start: 0.1, Guidance End: 0.9, Control Mode: My prompt is more important\", Version: v1.10.1";
        let (r, unmapped) = recipe_from_infotext(&parse_infotext(text));
        assert_eq!(r.prompt, "a knight, castle");
        assert_eq!(
            r.lora,
            vec![
                super::super::Lora { name: "armor_v2".into(), weight: 0.7 },
                super::super::Lora { name: "detail".into(), weight: 1.0 }
            ]
        );
        assert_eq!(
            (r.scheduler, r.clip_skip, r.vae.as_deref()),
            (Some(super::super::Scheduler::Karras), Some(2), Some("vae-ft-mse-840000"))
        );
        assert_eq!((r.subseed, r.subseed_strength), (Some(99), Some(0.15)));
        assert_eq!(
            r.hires,
            Some(super::super::Hires {
                scale: 1.5,
                upscaler: Some("4x-UltraSharp".into()),
                denoise: 0.45,
                steps: Some(12)
            })
        );
        let c = &r.control[0];
        assert_eq!(
            (c.kind, c.weight, c.start, c.end, c.mode),
            (super::super::ControlKind::Pose, 0.8, 0.1, 0.9, super::super::ControlMode::Prompt)
        );
        assert_eq!(unmapped.len(), 1, "only the control map is missing: {unmapped:?}");
        // genpath writes the same fields back.
        let resolved = r.resolve().remove(0);
        let again = super::super::infotext::format(&resolved, 11, "studio");
        let (back, _) = recipe_from_infotext(&parse_infotext(&again));
        assert_eq!(back.settings(), r.settings());
    }

    #[test]
    fn comfyui_graphs_keep_the_scheduler_loras_clip_skip_vae_and_hires() {
        let graph: Value = serde_json::from_str(r#"{
            "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "dreamshaper_8.safetensors"}},
            "10": {"class_type": "LoraLoader", "inputs": {"model": ["4", 0], "clip": ["4", 1], "lora_name": "armor_v2.safetensors", "strength_model": 0.7, "strength_clip": 0.7}},
            "11": {"class_type": "CLIPSetLastLayer", "inputs": {"clip": ["10", 1], "stop_at_clip_layer": -2}},
            "12": {"class_type": "VAELoader", "inputs": {"vae_name": "vae-ft-mse-840000.safetensors"}},
            "5": {"class_type": "EmptyLatentImage", "inputs": {"width": 512, "height": 768, "batch_size": 1}},
            "6": {"class_type": "CLIPTextEncode", "inputs": {"text": "a knight", "clip": ["11", 0]}},
            "7": {"class_type": "CLIPTextEncode", "inputs": {"text": "blurry", "clip": ["11", 0]}},
            "3": {"class_type": "KSampler", "inputs": {"seed": 11, "steps": 24, "cfg": 6.0, "sampler_name": "dpmpp_2m", "scheduler": "karras", "denoise": 1.0, "model": ["10", 0], "positive": ["6", 0], "negative": ["7", 0], "latent_image": ["5", 0]}},
            "13": {"class_type": "LatentUpscaleBy", "inputs": {"samples": ["3", 0], "upscale_method": "bislerp", "scale_by": 1.5}},
            "14": {"class_type": "KSampler", "inputs": {"seed": 11, "steps": 12, "cfg": 6.0, "sampler_name": "dpmpp_2m", "scheduler": "karras", "denoise": 0.45, "model": ["10", 0], "positive": ["6", 0], "negative": ["7", 0], "latent_image": ["13", 0]}},
            "8": {"class_type": "VAEDecode", "inputs": {"samples": ["14", 0], "vae": ["12", 0]}},
            "9": {"class_type": "SaveImage", "inputs": {"filename_prefix": "x", "images": ["8", 0]}}
        }"#).unwrap();
        let (r, unmapped) = recipe_from_comfy(&graph).unwrap();
        assert!(unmapped.is_empty(), "{unmapped:?}");
        assert_eq!((r.prompt.as_str(), r.seed, r.steps, r.sampler.as_str()), ("a knight", Some(11), 24, "dpmpp_2m"));
        assert_eq!((r.width, r.height, r.scheduler), (512, 768, Some(super::super::Scheduler::Karras)));
        assert_eq!(r.lora, vec![super::super::Lora { name: "armor_v2.safetensors".into(), weight: 0.7 }]);
        assert_eq!((r.clip_skip, r.vae.as_deref()), (Some(2), Some("vae-ft-mse-840000.safetensors")));
        assert_eq!(
            r.hires,
            Some(super::super::Hires { scale: 1.5, upscaler: Some("bislerp".into()), denoise: 0.45, steps: Some(12) })
        );
    }
}
