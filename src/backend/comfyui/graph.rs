//! Edits of an API-format graph for the recipe settings that add nodes, the
//! way a ComfyUI user wires them by hand: LoRAs as a chain of `LoraLoader`
//! after the checkpoint, clip skip as `CLIPSetLastLayer`, another VAE as
//! `VAELoader`, hires fix as `LatentUpscaleBy` and a second `KSampler`
//! before the decode. They apply to the shipped templates and to a user's
//! own, as long as it has the nodes they attach to.

use serde_json::{Map, Value, json};

use crate::recipe::Settings;

/// ComfyUI's latent upscale methods (`LatentUpscaleBy.upscale_method`).
pub const LATENT_UPSCALERS: &[&str] = &["nearest-exact", "bilinear", "area", "bicubic", "bislerp"];

fn next_id(g: &Map<String, Value>) -> String {
    (g.keys().filter_map(|k| k.parse::<u64>().ok()).max().unwrap_or(0) + 1).to_string()
}

fn find(g: &Map<String, Value>, class: &str) -> Option<String> {
    g.iter().find(|(_, n)| n["class_type"] == class).map(|(k, _)| k.clone())
}

/// Point every input that reads `from` at `to`, except in the nodes `skip`.
fn rewire(g: &mut Map<String, Value>, from: (&str, u64), to: (&str, u64), skip: &[String]) {
    for (id, n) in g.iter_mut() {
        if skip.contains(id) {
            continue;
        }
        for v in n["inputs"].as_object_mut().into_iter().flat_map(|o| o.values_mut()) {
            if v.as_array().is_some_and(|a| a.len() == 2 && a[0] == from.0 && a[1] == from.1) {
                *v = json!([to.0, to.1]);
            }
        }
    }
}

/// Apply the settings that add nodes; `Err` names what the graph lacks.
pub fn apply(graph: &mut Value, e: &Settings, steps: u32) -> Result<(), String> {
    let Some(g) = graph.as_object_mut() else { return Ok(()) };
    let needs_checkpoint = !e.lora.is_empty() || e.clip_skip.is_some_and(|c| c > 1) || e.vae.is_some();
    let ckpt = find(g, "CheckpointLoaderSimple");
    if needs_checkpoint && ckpt.is_none() {
        return Err("the template has no CheckpointLoaderSimple to attach LoRAs, clip skip or a VAE to".into());
    }
    if let Some(c) = ckpt {
        let (mut model, mut clip) = ((c.clone(), 0u64), (c.clone(), 1u64));
        for l in &e.lora {
            let id = next_id(g);
            let w = crate::backend::decimal(l.weight);
            g.insert(
                id.clone(),
                json!({"class_type": "LoraLoader", "inputs": {"model": [model.0, model.1], "clip": [clip.0, clip.1],
                    "lora_name": l.name, "strength_model": w, "strength_clip": w}}),
            );
            rewire(g, (&model.0, model.1), (&id, 0), std::slice::from_ref(&id));
            rewire(g, (&clip.0, clip.1), (&id, 1), std::slice::from_ref(&id));
            (model, clip) = ((id.clone(), 0), (id, 1));
        }
        if let Some(n) = e.clip_skip.filter(|c| *c > 1) {
            let id = next_id(g);
            g.insert(
                id.clone(),
                json!({"class_type": "CLIPSetLastLayer", "inputs": {"clip": [clip.0, clip.1], "stop_at_clip_layer": -i64::from(n)}}),
            );
            rewire(g, (&clip.0, clip.1), (&id, 0), std::slice::from_ref(&id));
        }
        if let Some(v) = &e.vae {
            let id = next_id(g);
            g.insert(id.clone(), json!({"class_type": "VAELoader", "inputs": {"vae_name": v}}));
            rewire(g, (&c, 2), (&id, 0), std::slice::from_ref(&id));
        }
    }
    if let Some(h) = &e.hires {
        let method = h.upscaler.clone().unwrap_or_else(|| "nearest-exact".into());
        if !LATENT_UPSCALERS.contains(&method.as_str()) {
            return Err(format!(
                "the hires upscaler `{method}`: the shipped graph upscales the latent ({}); a model upscaler needs a template of your own",
                LATENT_UPSCALERS.join(", ")
            ));
        }
        let decode = find(g, "VAEDecode").ok_or("the template has no VAEDecode to put a hires pass before")?;
        let first = g[&decode]["inputs"]["samples"][0]
            .as_str()
            .filter(|k| g.get(*k).is_some_and(|n| n["class_type"] == "KSampler"))
            .ok_or("the template's VAEDecode does not read a KSampler: hires fix needs a template of your own")?
            .to_string();
        let up = next_id(g);
        g.insert(
            up.clone(),
            json!({"class_type": "LatentUpscaleBy", "inputs": {"samples": [first, 0], "upscale_method": method,
                "scale_by": crate::backend::decimal(h.scale)}}),
        );
        let second = next_id(g);
        let mut k2 = g[&first].clone();
        k2["inputs"]["latent_image"] = json!([up, 0]);
        k2["inputs"]["denoise"] = crate::backend::decimal(h.denoise);
        k2["inputs"]["steps"] = json!(h.steps.unwrap_or(steps));
        g.insert(second.clone(), k2);
        g[&decode]["inputs"]["samples"] = json!([second, 0]);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::recipe::{Hires, Lora};

    fn txt2img() -> Value {
        serde_json::from_str(
            &include_str!("txt2img.json")
                .replace("\"{{seed}}\"", "1")
                .replace("\"{{steps}}\"", "20")
                .replace("\"{{cfg}}\"", "7")
                .replace("\"{{width}}\"", "64")
                .replace("\"{{height}}\"", "64"),
        )
        .unwrap()
    }

    #[test]
    fn loras_chain_after_the_checkpoint_and_feed_every_consumer() {
        let mut g = txt2img();
        let e = Settings {
            lora: vec![
                Lora { name: "a.safetensors".into(), weight: 0.8 },
                Lora { name: "b.safetensors".into(), weight: 0.5 },
            ],
            clip_skip: Some(2),
            ..Settings::default()
        };
        apply(&mut g, &e, 20).unwrap();
        let o = g.as_object().unwrap();
        let loras: Vec<&String> = o.iter().filter(|(_, n)| n["class_type"] == "LoraLoader").map(|(k, _)| k).collect();
        assert_eq!(loras.len(), 2);
        let last = o.iter().find(|(_, n)| n["inputs"]["lora_name"] == "b.safetensors").unwrap().0;
        assert_eq!(o["3"]["inputs"]["model"], json!([last, 0]), "the sampler reads the last LoRA's model");
        let skip = o.iter().find(|(_, n)| n["class_type"] == "CLIPSetLastLayer").unwrap();
        assert_eq!(skip.1["inputs"]["clip"], json!([last, 1]));
        assert_eq!(skip.1["inputs"]["stop_at_clip_layer"], -2);
        assert_eq!(o["6"]["inputs"]["clip"], json!([skip.0, 0]), "the prompt is encoded after the skip");
        let first = o.iter().find(|(_, n)| n["inputs"]["lora_name"] == "a.safetensors").unwrap();
        assert_eq!(first.1["inputs"]["model"], json!(["4", 0]));
        assert_eq!(first.1["inputs"]["strength_model"].to_string(), "0.8");
    }

    #[test]
    fn hires_adds_an_upscale_and_a_second_sampler_before_the_decode() {
        let mut g = txt2img();
        let e = Settings {
            hires: Some(Hires { scale: 1.5, upscaler: None, denoise: 0.45, steps: Some(10) }),
            ..Settings::default()
        };
        apply(&mut g, &e, 20).unwrap();
        let o = g.as_object().unwrap();
        let second = o["8"]["inputs"]["samples"][0].as_str().unwrap();
        assert_ne!(second, "3");
        assert_eq!(o[second]["inputs"]["denoise"].to_string(), "0.45");
        assert_eq!(o[second]["inputs"]["steps"], 10);
        let up = o[second]["inputs"]["latent_image"][0].as_str().unwrap();
        assert_eq!(o[up]["class_type"], "LatentUpscaleBy");
        assert_eq!(o[up]["inputs"]["samples"], json!(["3", 0]));
        let e = Settings {
            hires: Some(Hires { scale: 2.0, upscaler: Some("4x-UltraSharp".into()), denoise: 0.5, steps: None }),
            ..Settings::default()
        };
        assert!(apply(&mut txt2img(), &e, 20).unwrap_err().contains("4x-UltraSharp"));
    }
}
