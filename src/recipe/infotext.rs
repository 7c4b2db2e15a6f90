//! A1111-style "infotext": the `parameters` text every image carries so any
//! tool (AUTOMATIC1111, Forge, ComfyUI loaders, genpath) can read back how it
//! was made.

use super::Resolved;

/// The A1111 display name of a sampler (`euler_a` → `Euler a`).
pub fn a1111_sampler(name: &str) -> String {
    match name {
        "euler" => "Euler",
        "euler_a" => "Euler a",
        "heun" => "Heun",
        "dpm2" => "DPM2",
        "dpm2_a" => "DPM2 a",
        "dpmpp_2m" => "DPM++ 2M",
        "dpmpp_2s_a" => "DPM++ 2S a",
        "dpmpp_sde" => "DPM++ SDE",
        "ddim" => "DDIM",
        "lms" => "LMS",
        "unipc" => "UniPC",
        other => other,
    }
    .to_string()
}

/// Quote a value the way A1111 does when it holds `,`, `:` or a newline.
fn quote(v: &str) -> String {
    if v.contains([',', ':', '\n']) {
        serde_json::to_string(v).unwrap_or_else(|_| v.to_string())
    } else {
        v.to_string()
    }
}

fn number(v: f32) -> String {
    let s = format!("{v:.4}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// Format the infotext of one image.
pub fn format(r: &Resolved, seed: i64, model: &str) -> String {
    let mut params: Vec<(String, String)> = vec![
        ("Steps".into(), r.steps.to_string()),
        ("Sampler".into(), a1111_sampler(&r.sampler)),
        ("CFG scale".into(), number(r.cfg)),
        ("Seed".into(), seed.to_string()),
        ("Size".into(), format!("{}x{}", r.width, r.height)),
        ("Model".into(), r.model.clone().unwrap_or_else(|| model.to_string())),
    ];
    let e = &r.extra;
    if let Some(s) = e.scheduler {
        params.push(("Schedule type".into(), s.as_str().to_string()));
    }
    if let Some(c) = e.clip_skip {
        params.push(("Clip skip".into(), c.to_string()));
    }
    if let Some(v) = &e.vae {
        params.push(("VAE".into(), v.clone()));
    }
    if let (Some(sub), Some(st)) = (e.subseed, e.subseed_strength) {
        params.push(("Variation seed".into(), sub.to_string()));
        params.push(("Variation seed strength".into(), number(st)));
    }
    if let Some(h) = &e.hires {
        params.push(("Denoising strength".into(), number(h.denoise)));
        params.push(("Hires upscale".into(), number(h.scale)));
        if let Some(u) = &h.upscaler {
            params.push(("Hires upscaler".into(), u.clone()));
        }
        if let Some(st) = h.steps {
            params.push(("Hires steps".into(), st.to_string()));
        }
    }
    if let Some(init) = &r.init {
        params.push(("Denoising strength".into(), number(init.strength)));
        if init.mask.is_some() {
            params.push(("Mask blur".into(), init.mask_blur.to_string()));
        }
    }
    for (i, c) in r.control.iter().enumerate() {
        params.push((format!("ControlNet {i}"), format!("Module: {}, Weight: {}", c.kind.as_str(), number(c.weight))));
    }
    if let Some(reference) = &r.reference {
        params.push(("Reference weight".into(), number(reference.weight)));
    }
    params.push(("Version".into(), format!("genpath {}", env!("CARGO_PKG_VERSION"))));
    // LoRAs as A1111 writes them: tags in the prompt, read back by its parser.
    let mut out = r.prompt.clone();
    for l in &e.lora {
        out.push_str(&format!(" <lora:{}:{}>", l.name, number(l.weight)));
    }
    if !r.negative.trim().is_empty() {
        out.push_str("\nNegative prompt: ");
        out.push_str(&r.negative);
    }
    out.push('\n');
    out.push_str(&params.iter().map(|(k, v)| format!("{k}: {}", quote(v))).collect::<Vec<_>>().join(", "));
    out
}
