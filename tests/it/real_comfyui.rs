//! The ComfyUI client against a real ComfyUI 0.3.64 on CPU with a
//! random-weights SD1.5 checkpoint (`scripts/real-peers.sh`; `.ci/run` runs
//! these when `CI=true`). Ignored in a plain `cargo test`: they need the
//! server, and fail loudly when asked to run without one.
//!
//! `GENPATH_REAL_COMFYUI` is the server's URL, `GENPATH_REAL_CHECKPOINT`
//! the checkpoint's file name. Sampling on CPU takes ~30 s a step, so the
//! sampling tests use 64×64 and one step; the protocol tests use graphs
//! without a model and take well under a second each.

use crate::common::Watch;
use crate::common::request;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use genpath::backend::{Backend, BackendError, Cancel, Request};
use genpath::config::Config;
use serde_json::{Value, json};

fn url() -> String {
    std::env::var("GENPATH_REAL_COMFYUI").expect("GENPATH_REAL_COMFYUI: start one with scripts/real-peers.sh")
}

fn checkpoint() -> String {
    std::env::var("GENPATH_REAL_CHECKPOINT").unwrap_or_else(|_| "random-sd15.safetensors".into())
}

/// A backend whose img2img template is a graph without a model: the init
/// inverted (upload, queue, history, view, in well under a second).
fn backend(dir: &std::path::Path, templates: &str, extra: &str) -> Box<dyn Backend> {
    let invert = json!({
        "1": {"class_type": "LoadImage", "inputs": {"image": "{{init_image}}"}},
        "2": {"class_type": "ImageInvert", "inputs": {"image": ["1", 0]}},
        "3": {"class_type": "SaveImage", "inputs": {"filename_prefix": "genpath-real", "images": ["2", 0]}},
    });
    std::fs::write(dir.join("invert.json"), invert.to_string()).unwrap();
    let text = format!(
        "[backends.real]\nkind = \"comfyui\"\nurl = \"{}\"\nmodel = \"{}\"\ntimeout_s = 600\ntemplates = {{ {templates} }}\n{extra}",
        url(),
        checkpoint()
    );
    let mut config = Config::parse("genpath.toml", &text).unwrap();
    config.dir = dir.to_path_buf();
    genpath::backend::from_config("real", &config).unwrap()
}

const INVERT: &str = "img2img = \"invert.json\"";

fn img2img(prompt: &str, init: image::RgbImage) -> Request {
    let mut r = request(&format!(
        "prompt = \"{prompt}\"\nseed = 1\nwidth = {}\nheight = {}\n[init]\nimage = \"i.png\"\n",
        init.width(),
        init.height()
    ));
    r.inputs.init = Some(init);
    r
}

fn pixels(png: &[u8]) -> image::RgbImage {
    image::load_from_memory(png).unwrap().to_rgb8()
}

fn http() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder().timeout(Duration::from_secs(30)).build().unwrap()
}

fn queue() -> Value {
    http().get(format!("{}/queue", url())).send().unwrap().json().unwrap()
}

/// Another client's sampling job (random checkpoint, 64×64, `steps` steps): its prompt id.
fn someone_elses_job(steps: u32) -> String {
    let graph: Value = serde_json::from_str(
        &include_str!("../../src/backend/comfyui/txt2img.json")
            .replace("\"{{seed}}\"", "3")
            .replace("\"{{steps}}\"", &steps.to_string())
            .replace("\"{{cfg}}\"", "7")
            .replace("{{sampler}}", "euler")
            .replace("{{scheduler}}", "normal")
            .replace("\"{{width}}\"", "64")
            .replace("\"{{height}}\"", "64")
            .replace("{{model}}", &checkpoint())
            .replace("{{prompt}}", "someone else's cat")
            .replace("{{negative}}", ""),
    )
    .unwrap();
    let r: Value = http()
        .post(format!("{}/prompt", url()))
        .json(&json!({"prompt": graph, "client_id": "another-client"}))
        .send()
        .unwrap()
        .json()
        .unwrap();
    r["prompt_id"].as_str().unwrap_or_else(|| panic!("the other client's job was refused: {r}")).to_string()
}

fn wait_until_running(id: &str) {
    let start = Instant::now();
    while !queue()["queue_running"].as_array().unwrap().iter().any(|e| e[1] == id) {
        assert!(start.elapsed() < Duration::from_secs(120), "the other job never started");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn interrupt(id: &str) {
    let _ = http().post(format!("{}/interrupt", url())).json(&json!({ "prompt_id": id })).send();
    let _ = http().post(format!("{}/queue", url())).json(&json!({ "delete": [id] })).send();
}

#[test]
#[ignore = "needs a real ComfyUI: scripts/real-peers.sh"]
fn real_comfyui_two_runs_in_flight_each_use_their_own_init() {
    let dir = tempfile::tempdir().unwrap();
    let b = backend(dir.path(), INVERT, "max_concurrent = 2\n");
    let inits = [image::Rgb([200u8, 30, 30]), image::Rgb([30, 30, 200])];
    let outs: Vec<image::RgbImage> = std::thread::scope(|scope| {
        let handles: Vec<_> = inits
            .iter()
            .map(|c| {
                let b = &b;
                let init = image::RgbImage::from_pixel(32, 32, *c);
                scope.spawn(move || pixels(&b.generate(&img2img("x", init), &Cancel::default()).unwrap().png))
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for (init, out) in inits.iter().zip(&outs) {
        // ImageInvert works in float: 1 − x, then truncated back to 8 bits.
        let got = out.get_pixel(5, 5);
        for c in 0..3 {
            let want = 255 - i32::from(init[c]);
            assert!(
                (i32::from(got[c]) - want).abs() <= 1,
                "each output is the inverse of its own init: {got:?} for {init:?}"
            );
        }
    }
}

#[test]
#[ignore = "needs a real ComfyUI: scripts/real-peers.sh"]
fn real_comfyui_cancelling_a_pending_job_leaves_the_running_one_alone() {
    let dir = tempfile::tempdir().unwrap();
    let b = backend(dir.path(), INVERT, "");
    let other = someone_elses_job(2);
    wait_until_running(&other);
    let watch = Watch::default();
    std::thread::scope(|scope| {
        scope.spawn(|| {
            let start = Instant::now();
            while watch.queued.lock().unwrap().is_empty() && start.elapsed() < Duration::from_secs(60) {
                std::thread::sleep(Duration::from_millis(20));
            }
            watch.cancel.store(true, Ordering::SeqCst);
        });
        let e = b.generate(&img2img("x", image::RgbImage::new(16, 16)), &watch).unwrap_err();
        assert!(matches!(e, BackendError::Cancelled), "{e}");
    });
    assert_eq!(watch.queued.lock().unwrap().first(), Some(&1), "it waited behind the other job");
    let q = queue();
    assert!(q["queue_running"].as_array().unwrap().iter().any(|e| e[1] == other), "the other job still runs: {q}");
    assert!(q["queue_pending"].as_array().unwrap().is_empty(), "genpath's job left the queue: {q}");
    interrupt(&other);
}

#[test]
#[ignore = "needs a real ComfyUI: scripts/real-peers.sh"]
fn real_comfyui_inpaint_keeps_every_pixel_outside_the_mask_and_reports_progress() {
    let dir = tempfile::tempdir().unwrap();
    // The built-in inpaint template (only img2img is replaced).
    let b = backend(dir.path(), INVERT, "");
    let mut init = image::RgbImage::new(64, 64);
    for (x, y, p) in init.enumerate_pixels_mut() {
        *p = image::Rgb([(x * 4) as u8, (y * 4) as u8, ((x + y) * 2) as u8]);
    }
    let mut mask = image::GrayImage::new(64, 64);
    for y in 16..48 {
        for x in 16..48 {
            mask.put_pixel(x, y, image::Luma([255]));
        }
    }
    let mut req = request(
        "prompt = \"a red ball\"\nseed = 11\nsteps = 1\nwidth = 64\nheight = 64\n[init]\nimage = \"i.png\"\nmask = \"m.png\"\n",
    );
    req.inputs.init = Some(init.clone());
    req.inputs.mask = Some(mask.clone());
    let watch = Watch::default();
    let g = b.generate(&req, &watch).unwrap();
    let out = pixels(&g.png);
    let mut outside_changed = 0;
    let mut inside_changed = 0;
    for (x, y, p) in out.enumerate_pixels() {
        let same = p == init.get_pixel(x, y);
        if mask.get_pixel(x, y)[0] == 0 && !same {
            outside_changed += 1;
        }
        if mask.get_pixel(x, y)[0] == 255 && !same {
            inside_changed += 1;
        }
    }
    assert_eq!(outside_changed, 0, "pixels outside the mask are the original's");
    assert!(inside_changed > 500, "the masked region was repainted ({inside_changed} px)");
    assert_eq!(watch.steps.lock().unwrap().last(), Some(&(1, 1)), "step progress over the websocket");
    let chunks = genpath::recipe::png::text_chunks(&g.png).unwrap();
    let info = &chunks.iter().find(|(k, _)| k == "parameters").unwrap().1;
    assert!(info.contains(&format!("Model: {}", checkpoint())), "{info}");
    let workflow: Value = serde_json::from_str(&chunks.iter().find(|(k, _)| k == "workflow").unwrap().1).unwrap();
    assert_eq!(workflow["nodes"].as_array().unwrap().len(), 10, "the editor graph of the inpaint template");
}

#[test]
#[ignore = "needs a real ComfyUI: scripts/real-peers.sh"]
fn real_comfyui_a_misspelt_placeholder_is_refused_before_queueing() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bad.json"),
        include_str!("../../src/backend/comfyui/txt2img.json").replace("{{negative}}", "{{negatve}}"),
    )
    .unwrap();
    let b = backend(dir.path(), "txt2img = \"bad.json\"", "");
    let before = queue();
    let e = b.generate(&request("prompt = \"a cat\"\nwidth = 64\nheight = 64\n"), &Cancel::default()).unwrap_err();
    let e = e.to_string();
    assert!(e.contains("bad.json") && e.contains("{{negatve}}") && e.contains("{{negative}}"), "{e}");
    assert_eq!(queue()["queue_pending"], before["queue_pending"]);
}
