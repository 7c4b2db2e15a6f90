//! stable-diffusion.cpp's `sd-server` behind the `a1111` kind, through its
//! own job API: `/sdapi/v1` there has no `/progress` and no `/interrupt`,
//! so a generation through it could neither be followed nor stopped.
//!
//! `POST /sdcpp/v1/img_gen` answers `202` with a job id; `GET
//! /sdcpp/v1/jobs/{id}` reports `queued` (with `queue_position`),
//! `generating`, `completed` (with `result.images[].b64_json`), `failed` or
//! `cancelled`; `POST /sdcpp/v1/jobs/{id}/cancel` cancels a queued job and
//! answers `409` for one that is generating (its capabilities say
//! `cancel_generating: false`). The server reports no sampler steps, so
//! progress is the queue position and then "generating". Recorded from
//! commit 97d2990 in `tests/fixtures/peers/sdserver_sdcpp_*.json`.

use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::{Value, json};

use super::decimal;
use super::http::Http;
use super::{BackendError, Progress, Request};
use crate::recipe::Scheduler;

/// What the server said it can do (`/sdcpp/v1/capabilities`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Capabilities {
    pub cancel_generating: bool,
    pub model: Option<String>,
}

impl Capabilities {
    pub fn from_json(v: &Value) -> Option<Capabilities> {
        // Only stable-diffusion.cpp answers this route with its modes.
        v["supported_modes"].as_array()?;
        let features = if v["features_by_mode"]["img_gen"].is_object() {
            &v["features_by_mode"]["img_gen"]
        } else {
            &v["features"]
        };
        Some(Capabilities {
            cancel_generating: features["cancel_generating"].as_bool().unwrap_or(false),
            model: v["model"]["name"].as_str().map(str::to_string),
        })
    }
}

/// How often a job's state is read.
const POLL: Duration = Duration::from_millis(250);

/// The job API's body for a request; `sampler` is the server's own name and
/// `seed` the one genpath chose (so the recipe records what was used).
pub fn body(req: &Request, sampler: &str, seed: i64) -> Result<Value, BackendError> {
    let r = &req.recipe;
    let b64 = |img: image::DynamicImage| -> Result<String, BackendError> {
        super::encode_png(&img).map(|b| base64::engine::general_purpose::STANDARD.encode(b))
    };
    let mut body = json!({
        "prompt": r.prompt,
        "negative_prompt": r.negative,
        "width": r.width,
        "height": r.height,
        "seed": seed,
        "batch_count": 1,
        "sample_params": {
            "sample_method": sampler,
            "sample_steps": r.steps,
            "guidance": { "txt_cfg": decimal(r.cfg) },
        },
        "output_format": "png",
        "embed_image_metadata": true,
    });
    if let Some(init) = &req.inputs.init {
        body["init_image"] = json!(b64(image::DynamicImage::ImageRgb8(init.clone()))?);
        body["strength"] = decimal(r.init.as_ref().map_or(1.0, |i| i.strength));
        if let Some(mask) = &req.inputs.mask {
            body["mask_image"] = json!(b64(image::DynamicImage::ImageLuma8(mask.clone()))?);
        }
    }
    let e = &r.extra;
    if let Some(s) = e.scheduler {
        // Its own names; genpath's `normal` is its `discrete` (the default schedule).
        let name = match s {
            Scheduler::Normal => "discrete",
            Scheduler::Karras => "karras",
            Scheduler::Exponential => "exponential",
            Scheduler::SgmUniform => "sgm_uniform",
            Scheduler::Simple => "simple",
            Scheduler::DdimUniform | Scheduler::Beta => {
                return Err(BackendError::Unsupported {
                    backend: "sd-server".into(),
                    missing: format!(
                        "the `{s}` scheduler (it has discrete, karras, exponential, sgm_uniform, simple and others)"
                    ),
                });
            }
        };
        body["sample_params"]["scheduler"] = json!(name);
    }
    if let Some(c) = e.clip_skip {
        body["clip_skip"] = json!(c);
    }
    if let Some(h) = &e.hires {
        body["hires"] = json!({
            "enabled": true,
            "scale": decimal(h.scale),
            "upscaler": h.upscaler.clone().unwrap_or_else(|| "Latent".into()),
            "steps": h.steps.unwrap_or(0),
            "denoising_strength": decimal(h.denoise),
        });
    }
    if !e.lora.is_empty() {
        // The job API takes LoRAs as structured entries, never as <lora:…> tags.
        body["lora"] =
            json!(e.lora.iter().map(|l| json!({"path": l.name, "multiplier": decimal(l.weight)})).collect::<Vec<_>>());
    }
    Ok(body)
}

/// Submit a job and follow it to its image (PNG bytes as the server made them).
pub fn generate(
    http: &Http,
    body: &Value,
    caps: &Capabilities,
    progress: &dyn Progress,
    explain: &dyn Fn(u16, &[u8]) -> String,
) -> Result<Vec<u8>, BackendError> {
    let url = http.url("/sdcpp/v1/img_gen");
    let accepted = http.send(&|c| c.post(&url).json(body), progress, explain)?.json()?;
    let id = accepted["id"]
        .as_str()
        .ok_or_else(|| BackendError::Failed("sd-server accepted the job but gave no id".into()))?
        .to_string();
    let deadline = Instant::now() + http.settings.timeout;
    let job_url = http.url(&format!("/sdcpp/v1/jobs/{id}"));
    loop {
        if progress.cancelled() {
            cancel(http, &id, caps, explain);
            return Err(BackendError::Cancelled);
        }
        if Instant::now() > deadline {
            cancel(http, &id, caps, explain);
            return Err(BackendError::Transient {
                message: "sd-server did not finish in time".into(),
                retry_after: None,
            });
        }
        let job = http.send_side(&|c| c.get(&job_url), explain)?.json()?;
        match job["status"].as_str().unwrap_or("") {
            "queued" => progress.queued(u32::try_from(job["queue_position"].as_u64().unwrap_or(0)).unwrap_or(u32::MAX)),
            "completed" => {
                let b64 = job["result"]["images"][0]["b64_json"]
                    .as_str()
                    .ok_or_else(|| BackendError::Failed("sd-server's job completed without an image".into()))?;
                return base64::engine::general_purpose::STANDARD
                    .decode(b64.trim_start_matches("data:image/png;base64,"))
                    .map_err(|_| BackendError::Failed("sd-server returned an image that is not valid base64".into()));
            }
            "failed" => {
                let e = &job["error"];
                return Err(BackendError::Failed(format!(
                    "sd-server could not generate: {} ({})",
                    e["message"].as_str().unwrap_or("no message"),
                    e["code"].as_str().unwrap_or("failed")
                )));
            }
            "cancelled" => return Err(BackendError::Cancelled),
            _ => {} // generating
        }
        let until = Instant::now() + POLL;
        while Instant::now() < until && !progress.cancelled() {
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// Put the original back outside the mask. sd-server returns the whole
/// frame through the VAE, so no pixel outside the mask is the original's
/// (measured: 0 of 3,072); AUTOMATIC1111 and genpath's ComfyUI graph paste
/// back, and so must this client, or inpainting fails its check. The
/// server's own text chunks are kept.
pub fn paste_back(raw: &[u8], init: &image::RgbImage, mask: &image::GrayImage) -> Result<Vec<u8>, BackendError> {
    let out = crate::imaging::decode(raw)
        .map_err(|e| BackendError::Failed(format!("sd-server returned an image that cannot be decoded: {e}")))?
        .to_rgb8();
    if out.dimensions() != init.dimensions() || mask.dimensions() != init.dimensions() {
        return Ok(raw.to_vec()); // the size check that follows reports it
    }
    let merged = image::RgbImage::from_fn(out.width(), out.height(), |x, y| {
        if mask.get_pixel(x, y)[0] == 0 { *init.get_pixel(x, y) } else { *out.get_pixel(x, y) }
    });
    let png = super::encode_png(&image::DynamicImage::ImageRgb8(merged))?;
    let chunks = crate::recipe::png::text_chunks(raw).unwrap_or_default();
    let refs: Vec<(&str, &str)> = chunks.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    crate::recipe::png::add_text_chunks(&png, &refs).map_err(|e| BackendError::Failed(format!("cannot write PNG: {e}")))
}

/// Cancel a job. A queued one leaves the queue; one that is generating
/// cannot be stopped by this server (`409 job is currently generating and
/// cannot be interrupted yet`, `examples/server/routes_sdcpp.cpp` at
/// 97d2990; no route calls the library's `sd_cancel_generation`), so
/// genpath stops waiting and says so.
///
/// The request carries a body: cpp-httplib reads a POST without
/// `Content-Length` until the connection closes or its 5 s read timeout
/// (`CPPHTTPLIB_SERVER_READ_TIMEOUT_SECOND`) passes, so a bodiless cancel
/// was answered only after 5 s.
fn cancel(http: &Http, id: &str, caps: &Capabilities, explain: &dyn Fn(u16, &[u8]) -> String) {
    let url = http.url(&format!("/sdcpp/v1/jobs/{id}/cancel"));
    match http.send_side(&|c| c.post(&url).json(&json!({})), explain) {
        Ok(_) => {}
        Err(e) if !caps.cancel_generating => tracing::warn!(
            "sd-server cannot stop a job that is already generating ({e}); job {id} finishes on the server, \
             and genpath no longer waits for it"
        ),
        Err(e) => tracing::warn!("sd-server did not cancel job {id}: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capabilities_are_read_from_the_recorded_answer() {
        let recorded: Value = serde_json::from_str(include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/peers/sdserver_sdcpp_v1_capabilities.json"
        )))
        .unwrap();
        let caps = Capabilities::from_json(&recorded["response"]["body"]).unwrap();
        assert!(!caps.cancel_generating);
        assert_eq!(caps.model.as_deref(), Some("random-sd15.safetensors"));
        assert_eq!(Capabilities::from_json(&json!({"detail": "Not Found"})), None);
    }
}
