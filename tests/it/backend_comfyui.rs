//! The ComfyUI client against a recorded-protocol server on 127.0.0.1 that
//! answers as ComfyUI 0.3.64 answered (`tests/fixtures/peers/`).

use crate::common::Watch;
use crate::common::request;
use std::sync::atomic::Ordering;
use std::time::Duration;

use crate::servers::comfyui as servers;

use genpath::backend::{Backend, Cancel, ControlInput};
use genpath::config::Config;
use genpath::recipe::ControlKind;

fn backend_in(dir: &std::path::Path, url: &str, extra: &str) -> Box<dyn Backend> {
    let mut config =
        Config::parse("genpath.toml", &format!("[backends.b]\nkind = \"comfyui\"\nurl = \"{url}\"\n{extra}")).unwrap();
    config.dir = dir.to_path_buf();
    genpath::backend::from_config("b", &config).unwrap()
}

fn backend(url: &str, extra: &str) -> Box<dyn Backend> {
    backend_in(std::path::Path::new("."), url, extra)
}

fn prompts(s: &servers::Server) -> Vec<serde_json::Value> {
    s.log().iter().filter(|(r, _)| r == "POST /prompt").map(|(_, b)| serde_json::from_str(b).unwrap()).collect()
}

#[test]
fn txt2img_fills_the_template_reports_steps_and_names_the_checkpoint() {
    let s = servers::comfy();
    let watch = Watch::default();
    let g = backend(&s.url, "")
        .generate(
            &request("prompt = \"a cat in a hat\"\nnegative = \"blurry\"\nseed = 5\nsteps = 6\ncfg = 6.3\nwidth = 64\nheight = 48\n"),
            &watch,
        )
        .unwrap();
    assert!(s.violations().is_empty(), "{:?}", s.violations());
    assert_eq!((g.width, g.height, g.seed), (64, 48, 5));
    // Every step arrived over the websocket, in order.
    let steps = watch.steps.lock().unwrap().clone();
    assert_eq!(steps, (1..=6).map(|i| (i, 6)).collect::<Vec<_>>());
    let sent = &prompts(&s)[0];
    let ksampler = sent["prompt"]["3"]["inputs"].clone();
    assert_eq!(ksampler["sampler_name"], "euler_ancestral");
    assert_eq!(ksampler["cfg"].to_string(), "6.3", "a decimal is sent as written");
    let chunks = genpath::recipe::png::text_chunks(&g.png).unwrap();
    assert!(chunks.iter().any(|(k, _)| k == "prompt"), "ComfyUI's own metadata is kept");
    let info = &chunks.iter().find(|(k, _)| k == "parameters").unwrap().1;
    assert!(info.contains("Model: v1-5-pruned-emaonly.safetensors"), "the checkpoint, not the backend: {info}");
    let provenance = &chunks.iter().find(|(k, _)| k == "genpath").unwrap().1;
    assert!(provenance.contains("v1-5-pruned-emaonly.safetensors"), "{provenance}");
}

#[test]
fn outputs_carry_the_graph_in_the_editors_format() {
    let s = servers::comfy();
    let g = backend(&s.url, "")
        .generate(&request("prompt = \"a fox\"\nseed = 9\nwidth = 64\nheight = 64\n"), &Cancel::default())
        .unwrap();
    let chunks = genpath::recipe::png::text_chunks(&g.png).unwrap();
    let workflow: serde_json::Value =
        serde_json::from_str(&chunks.iter().find(|(k, _)| k == "workflow").expect("a workflow chunk").1).unwrap();
    assert_eq!(workflow["version"], 0.4);
    let nodes = workflow["nodes"].as_array().unwrap();
    let links = workflow["links"].as_array().unwrap();
    assert_eq!(nodes.len(), 7, "one editor node per API node");
    // Every link joins an output slot to an input slot that name it, with the output's type.
    for l in links {
        let (id, from, from_slot, to, to_slot) = (&l[0], &l[1], l[2].as_u64().unwrap(), &l[3], l[4].as_u64().unwrap());
        let src = nodes.iter().find(|n| n["id"] == *from).unwrap();
        let dst = nodes.iter().find(|n| n["id"] == *to).unwrap();
        let out = &src["outputs"][from_slot as usize];
        assert!(out["links"].as_array().unwrap().contains(id), "{out}");
        assert_eq!(dst["inputs"][to_slot as usize]["link"], *id);
        assert_eq!(out["type"], l[5]);
    }
    // Widgets in the node's declared order; the seed widget is followed by its control.
    let ks = nodes.iter().find(|n| n["type"] == "KSampler").unwrap();
    let w = ks["widgets_values"].as_array().unwrap();
    assert_eq!(w[0], 9);
    assert_eq!(w[1], "fixed");
    assert_eq!(w[2], 28, "steps (the recipe default)");
    assert_eq!(w[4], "euler_ancestral");
    assert_eq!(workflow["last_link_id"].as_u64().unwrap() as usize, links.len());
}

#[test]
fn two_runs_in_flight_each_generate_from_their_own_init() {
    let s = servers::comfy();
    let b = backend(&s.url, "");
    std::thread::scope(|scope| {
        for (colour, rgb) in [("red", [200u8, 0, 0]), ("blue", [0, 0, 200])] {
            let b = &b;
            scope.spawn(move || {
                let mut req = request(&format!(
                    "prompt = \"a {colour} bird\"\nseed = 1\nwidth = 64\nheight = 64\n[init]\nimage = \"i.png\"\nstrength = 0.45\n"
                ));
                req.inputs.init = Some(image::RgbImage::from_pixel(64, 64, image::Rgb(rgb)));
                b.generate(&req, &Cancel::default()).unwrap();
            });
        }
    });
    assert!(s.violations().is_empty(), "{:?}", s.violations());
    let uploads = s.state.lock().unwrap().uploads.clone();
    for job in s.jobs() {
        let prompt = job.graph["6"]["inputs"]["text"].as_str().unwrap().to_string();
        let name = job.graph["10"]["inputs"]["image"].as_str().unwrap();
        let init = image::load_from_memory(&uploads[name]).unwrap().to_rgb8();
        let red = init.get_pixel(0, 0)[0] > 100;
        assert_eq!(red, prompt.contains("red"), "{prompt} was generated from {name}");
        assert_eq!(job.graph["3"]["inputs"]["denoise"].to_string(), "0.45");
    }
}

#[test]
fn cancelling_a_pending_job_removes_it_and_leaves_other_clients_alone() {
    let s = servers::comfy();
    s.occupy();
    let watch = Watch::default();
    let b = backend(&s.url, "");
    std::thread::scope(|scope| {
        scope.spawn(|| {
            // Cancel once the client has seen its place in the queue.
            while watch.queued.lock().unwrap().is_empty() {
                std::thread::sleep(Duration::from_millis(5));
            }
            watch.cancel.store(true, Ordering::SeqCst);
        });
        let e = b.generate(&request("prompt = \"a cat\"\nseed = 1\nwidth = 64\nheight = 64\n"), &watch).unwrap_err();
        assert!(matches!(e, genpath::backend::BackendError::Cancelled), "{e}");
    });
    assert_eq!(watch.queued.lock().unwrap()[0], 1, "one job (another client's) runs ahead");
    assert!(s.violations().is_empty(), "{:?}", s.violations());
    let st = s.state.lock().unwrap();
    assert!(st.other_running, "the other client's job still runs");
    assert_eq!(st.jobs[0].state, servers::State::Deleted, "genpath's job left the queue");
    assert!(st.interrupts.iter().all(|i| i["prompt_id"] == "p-1"), "{:?}", st.interrupts);
}

#[test]
fn inpainting_pastes_the_original_back_and_controlnet_finds_its_model() {
    let s = servers::comfy();
    let mut req = request(
        "prompt = \"a red backpack\"\nseed = 5\nwidth = 64\nheight = 64\n[init]\nimage = \"i.png\"\nmask = \"m.png\"\n",
    );
    req.inputs.init = Some(image::RgbImage::new(64, 64));
    req.inputs.mask = Some(image::GrayImage::new(64, 64));
    backend(&s.url, "").generate(&req, &Cancel::default()).unwrap();
    let mut req = request("prompt = \"a robot\"\nseed = 5\nwidth = 64\nheight = 64\n");
    req.inputs.controls.push(ControlInput::from_gray(ControlKind::Edges, image::GrayImage::new(64, 64), 0.9));
    backend(&s.url, "").generate(&req, &Cancel::default()).unwrap();
    assert!(s.violations().is_empty(), "{:?}", s.violations());
    let sent = prompts(&s);
    let inpaint = sent[0]["prompt"].as_object().unwrap();
    let composite = inpaint.values().find(|n| n["class_type"] == "ImageCompositeMasked").expect("a paste-back node");
    let save = inpaint.values().find(|n| n["class_type"] == "SaveImage").unwrap();
    let composite_id = inpaint.iter().find(|(_, n)| n["class_type"] == "ImageCompositeMasked").unwrap().0;
    assert_eq!(save["inputs"]["images"][0], composite_id.as_str(), "the saved image is the composite");
    let load = inpaint.iter().find(|(_, n)| n["class_type"] == "LoadImage").unwrap().0;
    assert_eq!(composite["inputs"]["destination"][0], load.as_str(), "over the original");
    let control = sent[1]["prompt"].as_object().unwrap();
    let loader = control.values().find(|n| n["class_type"] == "ControlNetLoader").unwrap();
    assert_eq!(loader["inputs"]["control_net_name"], "control_v11p_sd15_canny.pth", "the server's canny model");
    let apply = control.values().find(|n| n["class_type"] == "ControlNetApplyAdvanced").unwrap();
    assert_eq!(apply["inputs"]["strength"].to_string(), "0.9");
}

#[test]
fn a_control_kind_without_a_model_is_refused_before_any_call() {
    let s = servers::comfy();
    let mut req = request("prompt = \"a dancer\"\nseed = 5\nwidth = 64\nheight = 64\n");
    req.inputs.controls.push(ControlInput::from_gray(ControlKind::Depth, image::GrayImage::new(64, 64), 1.0));
    let e = backend(&s.url, "").generate(&req, &Cancel::default()).unwrap_err().to_string();
    assert!(e.contains("a `depth` control (it supports: edges, pose)"), "{e}");
    assert!(!s.log().iter().any(|(r, _)| r.starts_with("POST")), "nothing was sent");
    // A configured model the server lacks is named.
    let e = backend(&s.url, "controlnet_models = { pose = \"my_pose.safetensors\" }\n").describe();
    assert!(!e.controls.contains(&ControlKind::Pose), "{:?}", e.controls);
}

#[test]
fn templates_are_read_from_beside_genpath_toml_and_a_misspelt_placeholder_is_refused() {
    let s = servers::comfy();
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("flows")).unwrap();
    let good = include_str!("../../src/backend/comfyui/txt2img.json").replace("\"genpath\"", "\"mine\"");
    std::fs::write(dir.path().join("flows/t2i.json"), &good).unwrap();
    let extra = "templates = { txt2img = \"flows/t2i.json\" }\n";
    // Started elsewhere: the path is still found beside genpath.toml.
    backend_in(dir.path(), &s.url, extra)
        .generate(&request("prompt = \"a cat\"\nseed = 1\nwidth = 64\nheight = 64\n"), &Cancel::default())
        .unwrap();
    assert!(prompts(&s)[0].to_string().contains("\"filename_prefix\":\"mine\""));
    std::fs::write(dir.path().join("flows/t2i.json"), good.replace("{{prompt}}", "{{promt}}")).unwrap();
    let posts = || s.log().iter().filter(|(r, _)| r.starts_with("POST")).count();
    let before = posts();
    let e = backend_in(dir.path(), &s.url, extra)
        .generate(&request("prompt = \"a cat\"\nseed = 1\nwidth = 64\nheight = 64\n"), &Cancel::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("flows/t2i.json") && e.contains("{{promt}}") && e.contains("did you mean {{prompt}}"), "{e}");
    assert_eq!(posts(), before, "refused before anything was uploaded or queued");
}

#[test]
fn node_errors_keep_the_servers_message_node_and_class() {
    let s = servers::comfy();
    let e = backend(&s.url, "model = \"sdxl_missing.safetensors\"\n")
        .generate(&request("prompt = \"a cat\"\nseed = 1\nwidth = 64\nheight = 64\n"), &Cancel::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("Prompt outputs failed validation"), "{e}");
    assert!(
        e.contains("node 4 (CheckpointLoaderSimple): value_not_in_list: ckpt_name: 'sdxl_missing.safetensors'"),
        "{e}"
    );
    assert!(e.contains("install that checkpoint"), "{e}");
    let dir = tempfile::tempdir().unwrap();
    let t = include_str!("../../src/backend/comfyui/txt2img.json").replace("\"VAEDecode\"", "\"VAEDecodeTiledX\"");
    std::fs::write(dir.path().join("t.json"), t).unwrap();
    let e = backend_in(dir.path(), &s.url, "templates = { txt2img = \"t.json\" }\n")
        .generate(&request("prompt = \"a cat\"\nseed = 1\nwidth = 64\nheight = 64\n"), &Cancel::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("Cannot execute because node VAEDecodeTiledX does not exist.: Node ID '#8'"), "{e}");
}

#[test]
fn a_server_that_is_not_running_gets_a_how_to_start_message() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let e = backend(&format!("http://127.0.0.1:{port}"), "retries = 0\n")
        .generate(&request("prompt = \"a cat\"\nseed = 1\nwidth = 64\nheight = 64\n"), &Cancel::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("could not connect") && e.contains("python main.py --listen 127.0.0.1 --port 8188"), "{e}");
}

#[test]
fn backend_test_lists_what_the_server_has_and_warns_about_what_it_lacks() {
    let comfy = servers::comfy();
    let ws = tempfile::tempdir().unwrap();
    std::fs::write(
        ws.path().join("genpath.toml"),
        format!(
            "[backends.comfy]\nkind = \"comfyui\"\nurl = \"{}\"\ncontrolnet_models = {{ depth = \"control_v11f1p_sd15_depth.pth\" }}\n",
            comfy.url
        ),
    )
    .unwrap();
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_genpath"))
        .arg("--workspace")
        .arg(ws.path())
        .args(["backend", "test", "comfy", "--generate"])
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for want in [
        "reachable: yes",
        "ComfyUI 0.3.64",
        "checkpoints: v1-5-pruned-emaonly.safetensors",
        "ControlNet models: control_v11p_sd15_canny.pth, control_v11p_sd15_openpose.pth",
        "euler_ancestral",
        "warning: the ControlNet model `control_v11f1p_sd15_depth.pth` configured for `depth` is not on the server",
        "controls: edges, pose",
        "generated 256×256",
    ] {
        assert!(out.contains(want), "missing {want:?} in\n{out}");
    }
}

#[test]
fn the_editor_workflow_genpath_sends_imports_back_to_the_recipe() {
    let s = servers::comfy();
    let g = backend(&s.url, "")
        .generate(&request("prompt = \"a fox in snow\"\nnegative = \"blurry\"\nseed = 9\nsteps = 12\ncfg = 5.5\nscheduler = \"karras\"\nwidth = 64\nheight = 64\n"), &Cancel::default())
        .unwrap();
    let chunks = genpath::recipe::png::text_chunks(&g.png).unwrap();
    let ui: serde_json::Value = serde_json::from_str(&chunks.iter().find(|(k, _)| k == "workflow").unwrap().1).unwrap();
    let (r, unmapped) =
        genpath::recipe::import::recipe_from_comfy(&genpath::recipe::import::api_from_ui(&ui).unwrap()).unwrap();
    assert!(unmapped.is_empty(), "{unmapped:?}");
    assert_eq!(
        (r.prompt.as_str(), r.negative.as_str(), r.seed, r.steps, r.cfg),
        ("a fox in snow", "blurry", Some(9), 12, 5.5)
    );
    assert_eq!((r.sampler.as_str(), r.scheduler, r.width), ("euler_a", Some(genpath::recipe::Scheduler::Karras), 64));
    assert_eq!(r.model.as_deref(), Some("v1-5-pruned-emaonly.safetensors"));
}

#[test]
fn loras_clip_skip_vae_and_hires_become_nodes_and_refused_settings_are_named() {
    let s = servers::comfy();
    let text = "prompt = \"a knight\"\nseed = 3\nsteps = 4\nwidth = 64\nheight = 64\nclip_skip = 2\nvae = \"vae-ft-mse.safetensors\"\n[[lora]]\nname = \"armor.safetensors\"\nweight = 0.7\n[hires]\nscale = 1.5\ndenoise = 0.4\n";
    let g = backend(&s.url, "").generate(&request(text), &Cancel::default()).unwrap();
    assert_eq!((g.width, g.height), (96, 96), "hires output size");
    let graph = prompts(&s)[0]["prompt"].clone();
    let classes: Vec<&str> = graph.as_object().unwrap().values().filter_map(|n| n["class_type"].as_str()).collect();
    for want in ["LoraLoader", "CLIPSetLastLayer", "VAELoader", "LatentUpscaleBy"] {
        assert!(classes.contains(&want), "{want} in {classes:?}");
    }
    assert_eq!(classes.iter().filter(|c| **c == "KSampler").count(), 2);
    // ComfyUI's core has no variation seeds: refused before any call, named.
    let e = backend(&s.url, "")
        .generate(
            &request("prompt = \"a knight\"\nseed = 3\nsubseed = 9\nsubseed_strength = 0.2\nwidth = 64\nheight = 64\n"),
            &Cancel::default(),
        )
        .unwrap_err()
        .to_string();
    assert!(e.contains("subseed") && e.contains("it honours: scheduler"), "{e}");
}
