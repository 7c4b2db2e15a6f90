//! `genpath import` on images carrying each tool's metadata.

use crate::common;

fn png_with(chunks: &[(&str, &str)]) -> Vec<u8> {
    let img = image::RgbImage::from_pixel(8, 8, image::Rgb([1, 2, 3]));
    genpath::recipe::png::encode_with(&img, chunks).unwrap()
}

#[test]
fn imports_a1111_comfyui_and_genpath_images() {
    let ws = tempfile::tempdir().unwrap();
    let dir = ws.path().join("in");
    std::fs::create_dir_all(&dir).unwrap();
    // A1111 with a non-Latin-1 prompt: PIL writes it as iTXt.
    let a1111 = png_with(&[(
        "parameters",
        "一只狐狸, on a beach\nNegative prompt: text\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 99, Size: 512x768, Model: sdxl_base",
    )]);
    std::fs::write(dir.join("a1111.png"), a1111).unwrap();
    let graph = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/comfy_txt2img_api.json"),
    )
    .unwrap();
    std::fs::write(dir.join("comfy.png"), png_with(&[("prompt", &graph)])).unwrap();
    std::fs::write(dir.join("plain.png"), png_with(&[])).unwrap();
    let o = common::run(
        ws.path(),
        &["import", dir.join("a1111.png").to_str().unwrap(), dir.join("comfy.png").to_str().unwrap()],
    );
    assert!(o.status.success(), "{}", common::stderr(&o));
    let a = std::fs::read_to_string(ws.path().join("recipes/imported/a1111.toml")).unwrap();
    let r = genpath::recipe::Recipe::parse("a.toml", &a, genpath::recipe::Limits::default()).unwrap();
    assert_eq!(
        (r.prompt.as_str(), r.negative.as_str(), r.seed, r.width, r.height),
        ("一只狐狸, on a beach", "text", Some(99), 512, 768)
    );
    let c = std::fs::read_to_string(ws.path().join("recipes/imported/comfy.toml")).unwrap();
    let r = genpath::recipe::Recipe::parse("c.toml", &c, genpath::recipe::Limits::default()).unwrap();
    assert_eq!(
        (r.prompt.as_str(), r.negative.as_str(), r.seed, r.steps, r.sampler.as_str()),
        ("a cat in a hat", "blurry", Some(123), 20, "euler")
    );
    assert_eq!(r.model.as_deref(), Some("v1-5-pruned-emaonly.safetensors"));
    assert!(common::stdout(&o).contains("not mapped: scheduler: normal"), "{}", common::stdout(&o));
    // An image without parameters is refused with a reason.
    let o = common::run(ws.path(), &["import", dir.join("plain.png").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(common::stderr(&o).contains("carries no generation parameters"), "{}", common::stderr(&o));
}

#[test]
fn a_genpath_render_imports_to_the_same_recipe() {
    let ws = tempfile::tempdir().unwrap();
    let recipe = ws.path().join("r.toml");
    std::fs::write(
        &recipe,
        "prompt = \"an owl, night city\"\nseed = 21\nsteps = 24\ncfg = 6\nwidth = 256\nheight = 256\n",
    )
    .unwrap();
    let o = common::run(ws.path(), &["render", recipe.to_str().unwrap(), "--out", ws.path().to_str().unwrap()]);
    assert!(o.status.success());
    let o = common::run(
        ws.path(),
        &["import", ws.path().join("r.png").to_str().unwrap(), "--out", ws.path().join("back").to_str().unwrap()],
    );
    assert!(o.status.success(), "{}", common::stderr(&o));
    let back = genpath::recipe::Recipe::parse(
        "b.toml",
        &std::fs::read_to_string(ws.path().join("back/r.toml")).unwrap(),
        genpath::recipe::Limits::default(),
    )
    .unwrap();
    assert_eq!(
        (back.prompt.as_str(), back.seed, back.steps, back.cfg, back.width),
        ("an owl, night city", Some(21), 24, 6.0, 256)
    );
}
