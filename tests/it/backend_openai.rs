//! The OpenAI Images client against a real HTTP server on 127.0.0.1 that
//! speaks the protocol as documented.
#![allow(unsafe_code)] // set_var: std serialises its own environment access, and nothing here reads it through libc

use crate::common::request;
use crate::servers::openai as servers;

use genpath::backend::{Backend, Cancel};
use genpath::config::Config;

fn backend(kind: &str, url: &str, extra: &str) -> Box<dyn Backend> {
    let config =
        Config::parse("genpath.toml", &format!("[backends.b]\nkind = \"{kind}\"\nurl = \"{url}\"\n{extra}")).unwrap();
    genpath::backend::from_config("b", &config).unwrap()
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
fn backend_test_reaches_openai() {
    let openai = servers::openai("sk-test-456");
    let ws = tempfile::tempdir().unwrap();
    std::fs::write(
        ws.path().join("genpath.toml"),
        format!(
            "[backends.openai]\nkind = \"openai\"\nurl = \"{}\"\nauth_env = \"GENPATH_TEST_OPENAI_456\"\n",
            openai.url
        ),
    )
    .unwrap();
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_genpath"))
        .arg("--workspace")
        .arg(ws.path())
        .args(["backend", "test", "openai"])
        .env("GENPATH_TEST_OPENAI_456", "sk-test-456")
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(out.contains("key accepted") && out.contains("gpt-image-1"), "{out}");
    assert!(!out.contains("sk-test-456"));
}
