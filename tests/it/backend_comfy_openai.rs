//! The ComfyUI and OpenAI Images clients against real HTTP servers on
//! 127.0.0.1 that speak each protocol as documented.
#![allow(unsafe_code)] // set_var: std serialises its own environment access, and nothing here reads it through libc

use crate::servers::comfy_openai as servers;

use genpath::backend::{Backend, Cancel, ControlInput, Inputs, Request};
use genpath::config::Config;
use genpath::recipe::{ControlKind, Limits, Recipe};

fn backend(kind: &str, url: &str, extra: &str) -> Box<dyn Backend> {
    let config =
        Config::parse("genpath.toml", &format!("[backends.b]\nkind = \"{kind}\"\nurl = \"{url}\"\n{extra}")).unwrap();
    genpath::backend::from_config("b", &config).unwrap()
}

fn request(text: &str) -> Request {
    Request {
        recipe: Recipe::parse("r.toml", text, Limits::default()).unwrap().resolve().remove(0),
        inputs: Inputs::default(),
    }
}

#[test]
fn comfyui_txt2img_fills_the_template_polls_history_and_fetches_the_image() {
    let s = servers::comfy();
    let g = backend("comfyui", &s.url, "")
        .generate(
            &request("prompt = \"a cat in a hat\"\nnegative = \"blurry\"\nseed = 5\nwidth = 64\nheight = 48\n"),
            &Cancel::default(),
        )
        .unwrap();
    assert!(s.violations.lock().unwrap().is_empty(), "{:?}", s.violations.lock().unwrap());
    assert_eq!((g.width, g.height, g.seed), (64, 48, 5));
    let chunks = genpath::recipe::png::text_chunks(&g.png).unwrap();
    assert!(chunks.iter().any(|(k, _)| k == "prompt"), "ComfyUI's own metadata is kept");
    let log = s.log.lock().unwrap();
    let queued = log.iter().find(|(r, _)| r == "POST /prompt").unwrap();
    assert!(
        queued.1.contains("\"a cat in a hat\"") && queued.1.contains("\"sampler_name\":\"euler_ancestral\""),
        "{}",
        queued.1
    );
}

#[test]
fn comfyui_inpainting_and_controlnet_upload_their_inputs() {
    let s = servers::comfy();
    let mut req = request(
        "prompt = \"a red backpack\"\nseed = 5\nwidth = 64\nheight = 64\n[init]\nimage = \"i.png\"\nmask = \"m.png\"\n",
    );
    req.inputs.init = Some(image::RgbImage::new(64, 64));
    req.inputs.mask = Some(image::GrayImage::new(64, 64));
    backend("comfyui", &s.url, "").generate(&req, &Cancel::default()).unwrap();
    let b = backend("comfyui", &s.url, "controlnet_model = \"control_v11p_sd15_canny.pth\"\n");
    let mut req = request("prompt = \"a robot\"\nseed = 5\nwidth = 64\nheight = 64\n");
    req.inputs.controls.push(ControlInput {
        kind: ControlKind::Edges,
        image: image::GrayImage::new(64, 64),
        weight: 0.9,
    });
    b.generate(&req, &Cancel::default()).unwrap();
    assert!(s.violations.lock().unwrap().is_empty(), "{:?}", s.violations.lock().unwrap());
    let log = s.log.lock().unwrap();
    let graphs: Vec<&String> = log.iter().filter(|(r, _)| r == "POST /prompt").map(|(_, b)| b).collect();
    assert!(graphs[0].contains("VAEEncodeForInpaint") && graphs[0].contains("genpath-mask.png"));
    assert!(graphs[1].contains("ControlNetApplyAdvanced") && graphs[1].contains("\"strength\":0.89"), "{}", graphs[1]);
}

#[test]
fn comfyui_node_errors_name_the_node_and_the_fix() {
    let s = servers::comfy();
    let e = backend("comfyui", &s.url, "model = \"sdxl_missing.safetensors\"\n")
        .generate(&request("prompt = \"a cat\"\nseed = 1\nwidth = 64\nheight = 64\n"), &Cancel::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("node 4 (CheckpointLoaderSimple): value_not_in_list"), "{e}");
    assert!(e.contains("install that checkpoint"), "{e}");
}

#[test]
fn openai_generates_edits_charges_and_reports_moderation() {
    let s = servers::openai("sk-test-123");
    unsafe { std::env::set_var("GENPATH_TEST_OPENAI_KEY", "sk-test-123") };
    let b = backend(
        "openai",
        &s.url,
        "auth_env = \"GENPATH_TEST_OPENAI_KEY\"\nmodel = \"gpt-image-1\"\nquality = \"medium\"\n",
    );
    let g = b.generate(&request("prompt = \"a mug\"\nwidth = 1024\nheight = 1024\n"), &Cancel::default()).unwrap();
    assert_eq!((g.width, g.height), (1024, 1024));
    assert!((g.cost - 0.042).abs() < 1e-9, "medium 1024² costs 0.042: {}", g.cost);
    let mut req = request(
        "prompt = \"a red backpack\"\nwidth = 1024\nheight = 1024\n[init]\nimage = \"i.png\"\nmask = \"m.png\"\n",
    );
    req.inputs.init = Some(image::RgbImage::new(1024, 1024));
    req.inputs.mask = Some(image::GrayImage::new(1024, 1024));
    b.generate(&req, &Cancel::default()).unwrap();
    let e = b
        .generate(&request("prompt = \"something forbidden\"\nwidth = 1024\nheight = 1024\n"), &Cancel::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("blocked by OpenAI's moderation"), "{e}");
    let e = b
        .generate(&request("prompt = \"a mug\"\nwidth = 512\nheight = 512\n"), &Cancel::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("1024×1024, 1536×1024 or 1024×1536"), "{e}");
    assert!(s.violations.lock().unwrap().is_empty(), "{:?}", s.violations.lock().unwrap());
    assert!(
        s.log.lock().unwrap().iter().any(|(r, body)| r == "POST /v1/images/edits" && body.contains("name=\"mask\""))
    );
    // A wrong key is a clear 401 that does not print the key.
    unsafe { std::env::set_var("GENPATH_TEST_OPENAI_BAD", "sk-wrong-secret-value") };
    let bad = backend("openai", &s.url, "auth_env = \"GENPATH_TEST_OPENAI_BAD\"\n");
    let e = bad
        .generate(&request("prompt = \"a mug\"\nwidth = 1024\nheight = 1024\n"), &Cancel::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("HTTP 401") && e.contains("invalid_api_key") && !e.contains("sk-wrong-secret-value"), "{e}");
}

#[test]
fn backend_test_reaches_comfyui_and_openai() {
    let comfy = servers::comfy();
    let openai = servers::openai("sk-test-456");
    let ws = tempfile::tempdir().unwrap();
    std::fs::write(
        ws.path().join("genpath.toml"),
        format!("[backends.comfy]\nkind = \"comfyui\"\nurl = \"{}\"\n[backends.openai]\nkind = \"openai\"\nurl = \"{}\"\nauth_env = \"GENPATH_TEST_OPENAI_456\"\n", comfy.url, openai.url),
    )
    .unwrap();
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_genpath"))
            .arg("--workspace")
            .arg(ws.path())
            .args(args)
            .env("GENPATH_TEST_OPENAI_456", "sk-test-456")
            .output()
            .unwrap()
    };
    let o = run(&["backend", "test", "comfy", "--generate"]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for want in
        ["reachable: yes", "ComfyUI 0.3.40", "v1-5-pruned-emaonly.safetensors", "euler_ancestral", "generated 256×256"]
    {
        assert!(out.contains(want), "missing {want:?} in\n{out}");
    }
    let o = run(&["backend", "test", "openai"]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(out.contains("key accepted") && out.contains("gpt-image-1"), "{out}");
    assert!(!out.contains("sk-test-456"));
}
