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
    assert_eq!(r.scheduler, Some(genpath::recipe::Scheduler::Normal), "ComfyUI's scheduler is kept");
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

/// A PNG that a real stable-diffusion.cpp `sd-server` (commit 97d2990) made:
/// its infotext ends in an `SDCPP: {…json…}` field and writes the CFG scale
/// as `7.000000` and the sampler in lower case.
#[test]
fn an_sd_server_png_imports_with_its_seed_steps_cfg_sampler_and_model() {
    let bytes =
        std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/peers/sdserver_txt2img.png")).unwrap();
    let (r, unmapped, origin) = genpath::recipe::import::from_png(&bytes).unwrap();
    assert_eq!(origin, genpath::recipe::import::Origin::Infotext);
    assert_eq!((r.prompt.as_str(), r.negative.as_str()), ("a red fox in snow", "blurry"));
    assert_eq!((r.seed, r.steps, r.cfg, r.sampler.as_str()), (Some(7), 2, 7.0, "euler_a"));
    assert_eq!((r.width, r.height, r.model.as_deref()), (64, 64, Some("random-sd15.safetensors")));
    assert!(unmapped.iter().any(|u| u == "RNG: cuda"), "{unmapped:?}");
}

#[test]
fn importing_two_files_of_one_name_keeps_both_recipes() {
    let ws = tempfile::tempdir().unwrap();
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let png = |dir: &std::path::Path, prompt: &str| {
        let text = format!("{prompt}\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1, Size: 64x64");
        let mut out = Vec::new();
        {
            let mut enc = png::Encoder::new(&mut out, 1, 1);
            enc.set_color(png::ColorType::Rgb);
            enc.add_text_chunk("parameters".into(), text).unwrap();
            enc.write_header().unwrap().write_image_data(&[0, 0, 0]).unwrap();
        }
        std::fs::write(dir.join("01.png"), out).unwrap();
        dir.join("01.png")
    };
    let (fa, fb) = (png(a.path(), "a cat"), png(b.path(), "a dog"));
    for _ in 0..2 {
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_genpath"))
            .arg("--workspace")
            .arg(ws.path())
            .arg("import")
            .args([&fa, &fb])
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let dir = ws.path().join("recipes/imported");
    let mut names: Vec<String> =
        std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    assert_eq!(names, ["01-2.toml", "01.toml"], "both kept, and importing again adds nothing");
    assert!(std::fs::read_to_string(dir.join("01.toml")).unwrap().contains("a cat"));
    assert!(std::fs::read_to_string(dir.join("01-2.toml")).unwrap().contains("a dog"));
}
