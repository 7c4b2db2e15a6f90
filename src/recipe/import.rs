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

/// A recipe from an infotext, and the fields it could not map.
pub fn recipe_from_infotext(info: &Infotext) -> (Recipe, Vec<String>) {
    let mut r = blank_recipe();
    r.prompt = info.prompt.clone();
    r.negative = info.negative.clone();
    let mut unmapped = Vec::new();
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
                    if let Some(s) = schedule {
                        unmapped.push(format!("Schedule type: {s} (genpath has no schedule setting)"));
                    }
                }
                (None, _) => {
                    unmapped.push(format!("{k}: {v} (unknown sampler; kept the default)"));
                }
            },
            "Model" => r.model = Some(v.clone()),
            "Schedule type" => unmapped.push(format!("{k}: {v} (genpath has no schedule setting)")),
            "Version" => {}
            // stable-diffusion.cpp repeats every setting as JSON.
            "SDCPP" => unmapped.push("SDCPP: stable-diffusion.cpp's own JSON copy of these settings".into()),
            _ => unmapped.push(format!("{k}: {v}")),
        }
    }
    (r, unmapped)
}

/// A recipe with genpath's defaults and nothing in it yet.
fn blank_recipe() -> Recipe {
    Recipe {
        title: None,
        notes: None,
        prompt: String::new(),
        negative: String::new(),
        seed: None,
        steps: 28,
        cfg: 7.0,
        sampler: "euler_a".into(),
        width: 512,
        height: 512,
        model: None,
        quality: None,
        init: None,
        control: Vec::new(),
        reference: None,
        shot: Vec::new(),
    }
}

/// A recipe from a ComfyUI API graph: KSampler (seed, steps, cfg, sampler),
/// its positive and negative CLIPTextEncode, EmptyLatentImage (size) and the
/// checkpoint loader; other nodes are reported.
pub fn recipe_from_comfy(graph: &Value) -> Result<(Recipe, Vec<String>), String> {
    let nodes = graph.as_object().ok_or("the ComfyUI prompt is not a JSON object")?;
    let (_, ks) = nodes
        .iter()
        .find(|(_, n)| n["class_type"].as_str().is_some_and(|c| c.starts_with("KSampler")))
        .ok_or("no KSampler node in the graph")?;
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
        unmapped.push(format!("scheduler: {s} (genpath has no schedule setting)"));
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
    ];
    let mut others: BTreeMap<String, usize> = BTreeMap::new();
    for n in nodes.values() {
        let class = n["class_type"].as_str().unwrap_or("?");
        if class == "CheckpointLoaderSimple" {
            r.model = n["inputs"]["ckpt_name"].as_str().map(str::to_string);
        } else if !known.contains(&class) {
            *others.entry(class.to_string()).or_default() += 1;
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
    Err("the image carries no generation parameters (no `genpath`, `parameters` or `prompt` chunk)".into())
}

fn recipe_from_resolved(r: &Resolved, seed: i64) -> Recipe {
    Recipe {
        title: None,
        notes: None,
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
        shot: Vec::new(),
    }
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
        assert!(unmapped.iter().any(|u| u.starts_with("Schedule type: Karras")), "{unmapped:?}");
        assert!(unmapped.iter().any(|u| u.starts_with("ControlNet 0")), "{unmapped:?}");
    }

    #[test]
    fn old_style_sampler_with_scheduler_and_sd_cpp_numbers() {
        let (r, u) = recipe_from_infotext(&parse_infotext(
            "a cat\nSteps: 20, Sampler: DPM++ 2M Karras, CFG scale: 7, Seed: 1, Size: 512x512",
        ));
        assert_eq!(r.sampler, "dpmpp_2m");
        assert!(u.iter().any(|x| x.contains("karras")), "{u:?}");
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
