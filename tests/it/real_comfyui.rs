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
    genpath::backend::http::client_builder().timeout(Duration::from_secs(30)).build().unwrap()
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

// ---- the output PNG in ComfyUI's own editor --------------------------------

/// What ComfyUI's editor (the frontend the server serves) made of a PNG
/// given to its own file handler, the path a PNG dropped on the canvas takes.
#[derive(Debug)]
struct EditorLoad {
    /// Toasts shown by the load (`Invalid workflow against zod schema`, link
    /// repairs, missing models), as their text.
    toasts: Vec<String>,
    /// Dialogs opened by the load (load errors, missing node types).
    dialogs: Vec<String>,
    /// Console errors and warnings, uncaught exceptions during the load.
    console: Vec<String>,
    /// The editor's graph: nodes `[id, type]`, links `[from, slot, to, slot]`.
    nodes: Vec<(i64, String)>,
    links: Vec<[i64; 4]>,
    /// The editor's graph turned back into a prompt (`app.graphToPrompt`).
    prompt: Value,
}

const VISIBLE_TEXT: &str = "sel => [...document.querySelectorAll(sel)].filter(e => e.offsetParent !== null || \
     getComputedStyle(e).position === 'fixed').map(e => e.innerText.trim())";

/// Open the server's editor in `page` (a fresh tab on each call: no state
/// from the previous load) and hand it `png` as a dropped file.
fn load_in_editor(page: &mut crate::devtools::Browser, png: &[u8]) -> EditorLoad {
    use base64::Engine;
    page.open(&format!("{}/", url()));
    page.wait_for("!!(window.app && window.app.graph && window.app.canvas)", Duration::from_secs(120));
    // The editor restores its last workflow and may greet a new user with
    // the template browser: let that settle, then close what is open.
    std::thread::sleep(Duration::from_secs(2));
    page.evaluate("document.dispatchEvent(new KeyboardEvent('keydown', {key: 'Escape', bubbles: true}))").unwrap();
    page.evaluate(
        "document.querySelectorAll('.p-dialog-close-button, .p-toast-close-button').forEach(b => b.click()); true",
    )
    .unwrap();
    std::thread::sleep(Duration::from_millis(500));
    let before: Value = page
        .evaluate(&format!(
            "(() => {{ const t = {VISIBLE_TEXT}; return {{toasts: t('.p-toast-message'), dialogs: t('.p-dialog')}}; }})()"
        ))
        .unwrap();
    let mark = page.mark();
    let b64 = base64::engine::general_purpose::STANDARD.encode(png);
    let after: Value = page
        .evaluate(&format!(
            "(async () => {{
                const bytes = Uint8Array.from(atob('{b64}'), c => c.charCodeAt(0));
                await app.handleFile(new File([bytes], 'genpath-output.png', {{type: 'image/png'}}));
                await new Promise(r => setTimeout(r, 1500));
                const t = {VISIBLE_TEXT};
                const g = app.graph.serialize();
                const {{output}} = await app.graphToPrompt();
                return {{
                    toasts: t('.p-toast-message'),
                    dialogs: t('.p-dialog'),
                    nodes: g.nodes.map(n => [n.id, n.type]),
                    links: g.links.map(l => [l[1], l[2], l[3], l[4]]),
                    prompt: JSON.parse(JSON.stringify(output)),
                }};
            }})()"
        ))
        .unwrap_or_else(|e| panic!("the editor threw while loading the PNG: {e}"));
    let new = |key: &str| -> Vec<String> {
        let old: Vec<&Value> = before[key].as_array().unwrap().iter().collect();
        after[key]
            .as_array()
            .unwrap()
            .iter()
            .filter(|v| !old.contains(v))
            .map(|v| v.as_str().unwrap().to_string())
            .collect()
    };
    let mut nodes: Vec<(i64, String)> = after["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| (n[0].as_i64().unwrap_or(-1), n[1].as_str().unwrap_or("").to_string()))
        .collect();
    nodes.sort();
    let mut links: Vec<[i64; 4]> = after["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| [0usize, 1, 2, 3].map(|i| l[i].as_i64().unwrap_or(-1)))
        .collect();
    links.sort_unstable();
    EditorLoad {
        toasts: new("toasts"),
        dialogs: new("dialogs"),
        console: page.problems_since(mark),
        nodes,
        links,
        prompt: after["prompt"].clone(),
    }
}

/// Same value for ComfyUI: numbers compare as numbers (`7` is `7.0`).
fn same_value(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => (x.as_f64().unwrap() - y.as_f64().unwrap()).abs() < 1e-9,
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same_value(a, b)),
        _ => a == b,
    }
}

/// Did the editor accept `png`'s `workflow` chunk as the graph genpath ran?
/// `Err` names each sign that it did not: a validation toast, an error
/// dialog, a console error, nodes or links other than the chunk's, or a
/// graph that means something else than the `prompt` the server ran.
fn accepted(load: &EditorLoad, png: &[u8]) -> Result<(), Vec<String>> {
    let chunks = genpath::recipe::png::text_chunks(png).unwrap();
    let chunk = |k: &str| -> Value {
        serde_json::from_str(&chunks.iter().find(|(key, _)| key == k).unwrap_or_else(|| panic!("no {k} chunk")).1)
            .unwrap_or(Value::Null)
    };
    let (workflow, prompt) = (chunk("workflow"), chunk("prompt"));
    let mut why = Vec::new();
    for t in &load.toasts {
        why.push(format!("toast: {t}"));
    }
    for d in &load.dialogs {
        why.push(format!("dialog: {d}"));
    }
    for c in &load.console {
        why.push(c.clone());
    }
    let mut want_nodes: Vec<(i64, String)> = workflow["nodes"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|n| (n["id"].as_i64().unwrap_or(-1), n["type"].as_str().unwrap_or("").to_string()))
        .collect();
    want_nodes.sort();
    if load.nodes != want_nodes {
        why.push(format!("the editor's nodes {:?} are not the workflow's {want_nodes:?}", load.nodes));
    }
    let mut want_links: Vec<[i64; 4]> = workflow["links"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|l| [1usize, 2, 3, 4].map(|i| l[i].as_i64().unwrap_or(-1)))
        .collect();
    want_links.sort_unstable();
    if load.links != want_links {
        why.push(format!("the editor's links {:?} are not the workflow's {want_links:?}", load.links));
    }
    // The editor's graph, queued again, is the prompt the server ran: every
    // node, class and input (widget values in their places, links to the
    // same outputs).
    let ran = prompt.as_object().cloned().unwrap_or_default();
    let again = load.prompt.as_object().cloned().unwrap_or_default();
    let keys = |m: &serde_json::Map<String, Value>| m.keys().cloned().collect::<std::collections::BTreeSet<_>>();
    if keys(&ran) != keys(&again) {
        why.push(format!("the editor would queue nodes {:?}, the server ran {:?}", keys(&again), keys(&ran)));
    }
    for (id, node) in &ran {
        let Some(other) = again.get(id) else { continue };
        if node["class_type"] != other["class_type"] {
            why.push(format!(
                "node {id}: the editor has {} where the server ran {}",
                other["class_type"], node["class_type"]
            ));
        }
        let (a, b) = (
            node["inputs"].as_object().cloned().unwrap_or_default(),
            other["inputs"].as_object().cloned().unwrap_or_default(),
        );
        for name in keys(&a).union(&keys(&b)) {
            let (x, y) = (a.get(name).unwrap_or(&Value::Null), b.get(name).unwrap_or(&Value::Null));
            if !same_value(x, y) {
                why.push(format!(
                    "node {id} ({}) input {name}: the editor has {y}, the server ran {x}",
                    node["class_type"]
                ));
            }
        }
    }
    if why.is_empty() { Ok(()) } else { Err(why) }
}

/// The PNG with its `workflow` chunk replaced (pixels and other chunks kept).
fn with_workflow(png: &[u8], workflow: &Value) -> Vec<u8> {
    let chunks = genpath::recipe::png::text_chunks(png).unwrap();
    let text = workflow.to_string();
    let kept: Vec<(&str, &str)> = chunks
        .iter()
        .map(|(k, v)| if k == "workflow" { (k.as_str(), text.as_str()) } else { (k.as_str(), v.as_str()) })
        .collect();
    genpath::recipe::png::encode_with(&pixels(png), &kept).unwrap()
}

#[test]
#[ignore = "needs a real ComfyUI: scripts/real-peers.sh"]
fn real_comfyui_output_pngs_open_in_the_real_comfyui_editor() {
    let Some(chromium) = crate::devtools::chromium() else {
        assert!(std::env::var_os("CI").is_none(), "CI must install chromium (see .ci/run)");
        eprintln!("chromium not found: skipping the editor check (`apt-get install chromium` to run it)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let b = backend(dir.path(), "", "");
    // The built-in txt2img graph (with clip skip's extra node) and the
    // built-in inpaint graph (uploads, mask, paste-back), 64×64, one step.
    let txt2img = b
        .generate(
            &request("prompt = \"a lighthouse, \\\"quoted\\\"\"\nnegative = \"blur\"\nseed = 5\nsteps = 1\ncfg = 6.5\nwidth = 64\nheight = 64\nclip_skip = 2\n"),
            &Cancel::default(),
        )
        .unwrap()
        .png;
    let mut inpaint = request(
        "prompt = \"a red ball\"\nseed = 11\nsteps = 1\nwidth = 64\nheight = 64\n[init]\nimage = \"i.png\"\nmask = \"m.png\"\n",
    );
    inpaint.inputs.init = Some(image::RgbImage::from_pixel(64, 64, image::Rgb([20, 120, 220])));
    inpaint.inputs.mask = Some(image::GrayImage::from_fn(64, 64, |x, _| image::Luma([if x < 32 { 255 } else { 0 }])));
    let inpaint = b.generate(&inpaint, &Cancel::default()).unwrap().png;

    let mut page = crate::devtools::Browser::launch(chromium);
    for (name, png) in [("txt2img", &txt2img), ("inpaint", &inpaint)] {
        let load = load_in_editor(&mut page, png);
        if let Err(why) = accepted(&load, png) {
            panic!("ComfyUI's editor did not accept the {name} output's workflow:\n  {}", why.join("\n  "));
        }
        assert!(load.nodes.len() >= 7, "{name}: {load:?}");
    }

    // Negative controls through the same path: a workflow that breaks the
    // editor's schema, and one whose widget values are one place off (the
    // KSampler's seed-control value left out), must not pass.
    let workflow: Value = serde_json::from_str(
        &genpath::recipe::png::text_chunks(&txt2img).unwrap().into_iter().find(|(k, _)| k == "workflow").unwrap().1,
    )
    .unwrap();
    let mut broken = workflow.clone();
    for l in broken["links"].as_array_mut().unwrap() {
        l.as_array_mut().unwrap().truncate(5); // a link without its type
    }
    let load = load_in_editor(&mut page, &with_workflow(&txt2img, &broken));
    let why = accepted(&load, &with_workflow(&txt2img, &broken)).expect_err("a link without its type is refused");
    assert!(why.iter().any(|w| w.contains("Invalid workflow against zod schema")), "{why:?}");

    let mut shifted = workflow;
    for n in shifted["nodes"].as_array_mut().unwrap() {
        if n["type"] == "KSampler" {
            n["widgets_values"].as_array_mut().unwrap().retain(|v| v != "fixed");
        }
    }
    let load = load_in_editor(&mut page, &with_workflow(&txt2img, &shifted));
    let why = accepted(&load, &with_workflow(&txt2img, &shifted)).expect_err("shifted widget values are caught");
    assert!(why.iter().any(|w| w.contains("KSampler") && w.contains("input steps")), "{why:?}");
}
