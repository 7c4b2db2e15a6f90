//! OpenAI Images: `/v1/images/generations` (JSON) and `/v1/images/edits`
//! (multipart, `image[]` plus a mask whose transparent pixels are the area
//! to edit) for image-to-image and inpainting. The key comes from the
//! environment variable named by `auth_env` (default `OPENAI_API_KEY`);
//! usage and cost are recorded from the response and the price table;
//! moderation blocks are reported as such.

use std::time::Instant;

use base64::Engine;
use serde_json::{Value, json};

use super::http::{Auth, Http, Settings};
use super::{Backend, BackendError, Description, Generation, Progress, Request, check_capabilities};

pub struct OpenAi {
    pub name: String,
    http: Http,
    model: String,
    quality: String,
    price_override: Option<f64>,
}

/// Published per-image prices at 1024×1024 (low, medium, high); see curriculum/pricing.toml.
fn price(model: &str, quality: &str, w: u32, h: u32) -> f64 {
    let (low, medium, high) = match model {
        "gpt-image-1-mini" => (0.002, 0.008, 0.033),
        "gpt-image-1.5" => (0.009, 0.034, 0.133),
        _ => (0.011, 0.042, 0.167),
    };
    let base = match quality {
        "low" => low,
        "high" => high,
        _ => medium,
    };
    // Portrait and landscape cost about 1.5× the square.
    if w == h { base } else { base * 1.5 }
}

/// OpenAI's errors: `{error: {message, type, code}}`; a moderation block is named as one.
pub fn explain(_status: u16, body: &[u8]) -> String {
    let Ok(v) = serde_json::from_slice::<Value>(body) else {
        return String::from_utf8_lossy(body).chars().take(300).collect();
    };
    let e = &v["error"];
    let message = e["message"].as_str().unwrap_or("").to_string();
    if e["code"] == "moderation_blocked" {
        return format!(
            "blocked by OpenAI's moderation: {message} — rephrase the prompt; this is not a fault of genpath or the service"
        );
    }
    match e["code"].as_str().or(e["type"].as_str()) {
        Some(code) => format!("{code}: {message}"),
        None => message,
    }
}

const SIZES: &[(u32, u32)] = &[(1024, 1024), (1536, 1024), (1024, 1536)];

fn png(img: &image::DynamicImage) -> Result<Vec<u8>, BackendError> {
    super::encode_png(img)
}

impl OpenAi {
    pub fn from_options(name: &str, o: &crate::config::OpenAiOptions) -> Result<OpenAi, BackendError> {
        let var = o.http.auth_env.clone().unwrap_or_else(|| "OPENAI_API_KEY".into());
        let auth = Auth::from_env(Some(&var), true)?;
        let mut settings = Settings::from_options(&o.http, "https://api.openai.com");
        if o.http.max_concurrent.is_none() {
            settings.max_concurrent = 4;
        }
        Ok(OpenAi {
            name: name.to_string(),
            http: Http::new(settings, auth)?,
            model: o.model.clone().unwrap_or_else(|| "gpt-image-1".into()),
            quality: o.quality.clone().unwrap_or_else(|| "medium".into()),
            price_override: o.price_per_image,
        })
    }
}

impl OpenAi {
    pub fn get(&self, path: &str, progress: &dyn Progress) -> Result<Value, BackendError> {
        let url = self.http.url(path);
        self.http.send(&|c| c.get(&url), progress, &explain)?.json()
    }
}

impl Backend for OpenAi {
    fn price(&self, r: &crate::recipe::Resolved) -> f64 {
        let quality = r.quality.as_deref().unwrap_or(&self.quality);
        self.price_override.unwrap_or_else(|| price(&self.model, quality, r.width, r.height))
    }

    fn describe(&self) -> Description {
        Description {
            name: self.name.clone(),
            kind: "openai".into(),
            img2img: true,
            inpaint: true,
            controls: Vec::new(),
            reference: false,
            deterministic: false,
            price_per_image: Some(self.price_override.unwrap_or_else(|| price(&self.model, &self.quality, 1024, 1024))),
            features: Vec::new(),
        }
    }

    fn generate(&self, req: &Request, progress: &dyn Progress) -> Result<Generation, BackendError> {
        check_capabilities(&self.describe(), req)?;
        let r = &req.recipe;
        if !SIZES.contains(&(r.width, r.height)) {
            return Err(BackendError::Unsupported {
                backend: self.name.clone(),
                missing: format!(
                    "{}×{} (OpenAI image models make 1024×1024, 1536×1024 or 1024×1536: set width and height)",
                    r.width, r.height
                ),
            });
        }
        let started = Instant::now();
        let quality = r.quality.clone().unwrap_or_else(|| self.quality.clone());
        let size = format!("{}x{}", r.width, r.height);
        // No negative prompt in this API: say it in words.
        let prompt = if r.negative.trim().is_empty() {
            r.prompt.clone()
        } else {
            format!("{}. Avoid: {}", r.prompt, r.negative)
        };
        let response = if let Some(init) = &req.inputs.init {
            let url = self.http.url("/v1/images/edits");
            let image = png(&image::DynamicImage::ImageRgb8(init.clone()))?;
            // OpenAI edits where the mask is transparent; genpath's masks are white where to repaint.
            let mask = req.inputs.mask.as_ref().map(|m| {
                let rgba = image::RgbaImage::from_fn(m.width(), m.height(), |x, y| {
                    let repaint = m.get_pixel(x, y).0[0] >= 128;
                    image::Rgba([0, 0, 0, if repaint { 0 } else { 255 }])
                });
                png(&image::DynamicImage::ImageRgba8(rgba))
            });
            let mask = mask.transpose()?;
            let (model, q, s, p) = (self.model.clone(), quality.clone(), size.clone(), prompt.clone());
            self.http.send(
                &|c| {
                    let mut form = reqwest::blocking::multipart::Form::new()
                        .part(
                            "image[]",
                            reqwest::blocking::multipart::Part::bytes(image.clone())
                                .file_name("image.png")
                                .mime_str("image/png")
                                .unwrap_or_else(|_| reqwest::blocking::multipart::Part::bytes(Vec::new())),
                        )
                        .text("prompt", p.clone())
                        .text("model", model.clone())
                        .text("n", "1")
                        .text("size", s.clone())
                        .text("quality", q.clone());
                    if let Some(m) = &mask {
                        form = form.part(
                            "mask",
                            reqwest::blocking::multipart::Part::bytes(m.clone())
                                .file_name("mask.png")
                                .mime_str("image/png")
                                .unwrap_or_else(|_| reqwest::blocking::multipart::Part::bytes(Vec::new())),
                        );
                    }
                    c.post(&url).multipart(form)
                },
                progress,
                &explain,
            )?
        } else {
            let url = self.http.url("/v1/images/generations");
            let body = json!({ "model": self.model, "prompt": prompt, "n": 1, "size": size, "quality": quality, "output_format": "png" });
            self.http.send(&|c| c.post(&url).json(&body), progress, &explain)?
        };
        let v = response.json()?;
        let b64 = v["data"][0]["b64_json"]
            .as_str()
            .ok_or_else(|| BackendError::Failed("OpenAI returned no image data".into()))?;
        let raw = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .map_err(|_| BackendError::Failed("OpenAI returned image data that is not base64".into()))?;
        let seed = r.seed.unwrap_or(-1);
        let png = super::a1111::finish_image(&raw, r, seed, &self.name)?;
        let cost = Backend::price(self, r);
        tracing::info!(usage = %v["usage"], cost, "openai image");
        Ok(Generation {
            png,
            width: r.width,
            height: r.height,
            seed,
            seconds: started.elapsed().as_secs_f64(),
            cost,
            understood: Vec::new(),
            not_understood: Vec::new(),
        })
    }
}
