//! The AUTOMATIC1111 client against a real HTTP server on 127.0.0.1 that
//! speaks the protocol as documented and rejects malformed requests.
#![allow(unsafe_code)] // set_var: std serialises its own environment access, and nothing here reads it through libc

use crate::common;
use crate::common::Watch;
use crate::common::request;
use crate::servers::a1111 as server;

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use genpath::backend::{Backend, BackendError, Cancel, ControlInput};
use genpath::config::Config;
use genpath::recipe::ControlKind;
use server::{Script, start};

fn backend(url: &str, extra: &str) -> Box<dyn Backend> {
    let config =
        Config::parse("genpath.toml", &format!("[backends.studio]\nkind = \"a1111\"\nurl = \"{url}\"\n{extra}"))
            .unwrap();
    genpath::backend::from_config("studio", &config).unwrap()
}

const RECIPE: &str = "prompt = \"a fox on a beach\"\nnegative = \"text\"\nseed = 42\nwidth = 64\nheight = 48\nsampler = \"euler_a\"\nmodel = \"v1-5-pruned-emaonly.safetensors [6ce0161689]\"\n";

#[test]
fn txt2img_round_trip_keeps_the_backends_metadata_and_adds_ours() {
    let s = start(Script::default());
    let g = backend(&s.url, "").generate(&request(RECIPE), &Cancel::default()).unwrap();
    assert!(s.violations.lock().unwrap().is_empty(), "{:?}", s.violations.lock().unwrap());
    assert_eq!((g.width, g.height, g.seed), (64, 48, 42));
    let chunks = genpath::recipe::png::text_chunks(&g.png).unwrap();
    let params = &chunks.iter().find(|(k, _)| k == "parameters").unwrap().1;
    assert!(params.contains("Model: v1-5-pruned-emaonly"), "the backend's own infotext is kept: {params}");
    assert!(genpath::recipe::png::provenance(&g.png).is_some(), "genpath's provenance is added");
    let reqs = s.requests.lock().unwrap();
    let (path, body) = &reqs[0];
    assert_eq!(path, "/sdapi/v1/txt2img");
    assert_eq!(body["sampler_name"], "Euler a");
    assert_eq!(body["override_settings"]["sd_model_checkpoint"], "v1-5-pruned-emaonly.safetensors [6ce0161689]");
    assert_eq!(body["negative_prompt"], "text");
}

#[test]
fn img2img_and_inpainting_send_the_init_and_mask() {
    let s = start(Script::default());
    let mut req =
        request(&format!("{RECIPE}[init]\nimage = \"i.png\"\nmask = \"m.png\"\nstrength = 0.6\nmask_blur = 4\n"));
    req.inputs.init = Some(image::RgbImage::new(64, 48));
    req.inputs.mask = Some(image::GrayImage::new(64, 48));
    backend(&s.url, "").generate(&req, &Cancel::default()).unwrap();
    let reqs = s.requests.lock().unwrap();
    let (path, body) = &reqs[0];
    assert_eq!(path, "/sdapi/v1/img2img");
    assert_eq!(body["denoising_strength"], 0.6f32 as f64);
    assert!(body["init_images"][0].is_string() && body["mask"].is_string());
    assert_eq!(body["mask_blur"], 4);
    assert!(s.violations.lock().unwrap().is_empty());
}

#[test]
fn controlnet_units_are_well_formed_and_detected_maps_are_skipped() {
    let s = start(Script { controlnet: true, ..Script::default() });
    let b = backend(&s.url, "");
    assert!(b.describe().controls.contains(&ControlKind::Edges));
    let mut req = request(RECIPE);
    req.inputs.controls.push(ControlInput::from_gray(ControlKind::Edges, image::GrayImage::new(64, 48), 1.0));
    let g = b.generate(&req, &Cancel::default()).unwrap();
    assert_eq!((g.width, g.height), (64, 48));
    let reqs = s.requests.lock().unwrap();
    let unit = &reqs[0].1["alwayson_scripts"]["controlnet"]["args"][0];
    assert_eq!(unit["model"], "control_v11p_sd15_canny [d14c016b]");
    assert_eq!(unit["enabled"], true);
    assert_eq!(unit["resize_mode"], "Just Resize");
    assert!(s.violations.lock().unwrap().is_empty(), "{:?}", s.violations.lock().unwrap());
}

#[test]
fn a_control_on_a_server_without_controlnet_is_refused_before_any_call() {
    let s = start(Script::default());
    let b = backend(&s.url, "");
    let mut req = request(RECIPE);
    req.inputs.controls.push(ControlInput::from_gray(ControlKind::Edges, image::GrayImage::new(64, 48), 1.0));
    let e = b.generate(&req, &Cancel::default()).unwrap_err().to_string();
    assert!(e.contains("cannot do what this recipe asks") && e.contains("`edges` control"), "{e}");
    assert_eq!(s.generations.load(Ordering::SeqCst), 0, "no generation request was made");
}

#[test]
fn auth_failure_then_success_with_the_key_from_the_environment() {
    let s = start(Script { basic_auth: Some(("ada".into(), "s3cret-pass".into())), ..Script::default() });
    let e = backend(&s.url, "").generate(&request(RECIPE), &Cancel::default()).unwrap_err().to_string();
    assert!(e.contains("HTTP 401") && e.contains("Not authenticated"), "{e}");
    unsafe { std::env::set_var("GENPATH_TEST_A1111_AUTH", "ada:s3cret-pass") };
    let g = backend(&s.url, "auth_env = \"GENPATH_TEST_A1111_AUTH\"\n").generate(&request(RECIPE), &Cancel::default());
    assert!(g.is_ok(), "{:?}", g.err());
}

#[test]
fn a_500_is_retried_and_a_429_honours_retry_after() {
    let s = start(Script::default());
    s.script.fail_500_times.store(1, Ordering::SeqCst);
    backend(&s.url, "").generate(&request(RECIPE), &Cancel::default()).unwrap();
    assert_eq!(s.generations.load(Ordering::SeqCst), 2);
    s.script.rate_limit_times.store(1, Ordering::SeqCst);
    let t = Instant::now();
    backend(&s.url, "").generate(&request(RECIPE), &Cancel::default()).unwrap();
    assert!(t.elapsed() >= Duration::from_millis(950), "Retry-After: 1 was not honoured ({:?})", t.elapsed());
}

/// Run a generation on another thread; a hang is a test failure, not a stuck CI.
fn generate_or_hang(b: Box<dyn Backend>, text: &'static str) -> Result<genpath::backend::Generation, BackendError> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(b.generate(&request(text), &Cancel::default()));
    });
    rx.recv_timeout(Duration::from_secs(120)).expect("the generation hung (or its thread panicked)")
}

#[test]
fn a_nonsense_retry_after_neither_panics_nor_hangs() {
    // `Retry-After: NaN` used to panic inside the poller's scope and hang the process;
    // `inf` waited the 120 s cap. Both are ignored now: the client's own backoff applies.
    for value in ["NaN", "inf", "-1", "1e999", "1.5", ""] {
        let s = start(Script::default());
        *s.script.retry_after.lock().unwrap() = Some(value.into());
        s.script.rate_limit_times.store(2, Ordering::SeqCst);
        let g = generate_or_hang(backend(&s.url, "retries = 3\n"), RECIPE);
        assert!(g.is_ok(), "Retry-After: {value}: {:?}", g.err());
        assert_eq!(s.generations.load(Ordering::SeqCst), 3, "Retry-After: {value}");
    }
}

#[test]
fn a_server_that_drips_its_answer_is_cut_off_by_timeout_s() {
    // Headers at once, then one byte every 200 ms: each read succeeds, so only a
    // deadline over the whole request stops it. The server gives up by itself after 60 s.
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for conn in listener.incoming().take(20).flatten() {
            std::thread::spawn(move || {
                // Read the request: headers, then the body its Content-Length announces.
                let mut reader = BufReader::new(conn.try_clone().unwrap());
                let (mut line, mut length, mut path) = (String::new(), 0usize, String::new());
                while reader.read_line(&mut line).is_ok_and(|n| n > 0) && line != "\r\n" {
                    if path.is_empty() {
                        path = line.split_whitespace().nth(1).unwrap_or("").to_string();
                    }
                    if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                        length = v.trim().parse().unwrap_or(0);
                    }
                    line.clear();
                }
                let mut body = vec![0u8; length];
                let _ = std::io::Read::read_exact(&mut reader, &mut body);
                let mut conn = conn;
                if !path.ends_with("txt2img") {
                    let _ = conn.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
                    return;
                }
                let _ = conn
                    .write_all(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n");
                for _ in 0..300 {
                    if conn.write_all(b" ").and_then(|()| conn.flush()).is_err() {
                        return;
                    }
                    std::thread::sleep(Duration::from_millis(200));
                }
            });
        }
    });
    let e = generate_or_hang(backend(&url, "timeout_s = 1\nretries = 0\n"), RECIPE).unwrap_err();
    assert!(e.to_string().contains("timed out"), "{e}");
}

#[test]
fn a_timeout_and_a_truncated_image_are_clear_errors() {
    let s = start(Script::default());
    s.script.delay_ms.store(3000, Ordering::SeqCst);
    let e = backend(&s.url, "timeout_s = 1\nretries = 0\n").generate(&request(RECIPE), &Cancel::default()).unwrap_err();
    assert!(matches!(e, BackendError::Transient { .. }) && e.to_string().contains("timed out"), "{e}");
    s.script.delay_ms.store(0, Ordering::SeqCst);
    s.script.truncated_image.store(true, Ordering::SeqCst);
    let e = backend(&s.url, "").generate(&request(RECIPE), &Cancel::default()).unwrap_err().to_string();
    assert!(e.contains("cannot be decoded"), "{e}");
    s.script.truncated_image.store(false, Ordering::SeqCst);
    s.script.wrong_size.store(true, Ordering::SeqCst);
    let e = backend(&s.url, "").generate(&request(RECIPE), &Cancel::default()).unwrap_err().to_string();
    assert!(e.contains("32×24 image; the recipe asked for 64×48"), "{e}");
}

#[test]
fn a_backend_failure_is_recorded_and_no_secret_leaks_anywhere() {
    let s = start(Script { basic_auth: Some(("ada".into(), "right".into())), ..Script::default() });
    let ws = tempfile::tempdir().unwrap();
    let secret = "ada:hunter2-do-not-print";
    std::fs::write(
        ws.path().join("genpath.toml"),
        format!("[backends.studio]\nkind = \"a1111\"\nurl = \"{}\"\nauth_env = \"GENPATH_TEST_LEAK_KEY\"\n", s.url),
    )
    .unwrap();
    let o = common::genpath(ws.path())
        .args(["run", "fluency.first-image", "--backend", "studio", "--no-images"])
        .env("GENPATH_TEST_LEAK_KEY", secret)
        .env("GENPATH_LOG", "debug")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", common::stderr(&o));
    assert!(common::stderr(&o).contains("HTTP 401"), "{}", common::stderr(&o));
    let store = genpath::store::Store::open(&ws.path().join("genpath.db")).unwrap();
    let a = store.attempts("learner", "fluency.first-image").unwrap().remove(0);
    assert_eq!(a.status, genpath::store::AttemptStatus::Error);
    assert!(a.error.unwrap().contains("401"));
    // Search every byte genpath wrote or printed.
    let mut haystack = [o.stdout.clone(), o.stderr.clone()].concat();
    haystack.extend(common::all_bytes(ws.path()));
    let text = String::from_utf8_lossy(&haystack);
    assert!(!text.contains("hunter2-do-not-print"), "the key leaked");
    assert!(text.contains("http request"), "debug logging was on (the test must look at real logs)");
}

#[test]
fn backend_test_reports_models_samplers_controlnet_and_generates() {
    let s = start(Script { controlnet: true, ..Script::default() });
    let ws = tempfile::tempdir().unwrap();
    std::fs::write(
        ws.path().join("genpath.toml"),
        format!("[backends.studio]\nkind = \"a1111\"\nurl = \"{}\"\n", s.url),
    )
    .unwrap();
    let o = common::run(ws.path(), &["backend", "test", "studio", "--generate"]);
    assert!(o.status.success(), "{}", common::stderr(&o));
    let out = common::stdout(&o);
    for want in [
        "reachable: yes",
        "v1-5-pruned-emaonly",
        "Euler a",
        "ControlNet: version 3",
        "control_v11p_sd15_canny",
        "controls: edges, seg, pose",
        "schedulers: Automatic, Karras",
        "LoRAs: pip_the_fox_v2",
        "upscalers: None, Lanczos, R-ESRGAN 4x+",
        "generated 256×256",
    ] {
        assert!(out.contains(want), "missing {want:?} in\n{out}");
    }
    let o = common::run(ws.path(), &["backend", "list"]);
    assert!(common::stdout(&o).contains("studio") && common::stdout(&o).contains("a1111"), "{}", common::stdout(&o));
    // sd-server says what it is and what it cannot do.
    let sd = start(Script { sdcpp: true, ..Script::default() });
    std::fs::write(ws.path().join("genpath.toml"), format!("[backends.sd]\nkind = \"a1111\"\nurl = \"{}\"\n", sd.url))
        .unwrap();
    let o = common::run(ws.path(), &["backend", "test", "sd"]);
    let out = common::stdout(&o);
    assert!(o.status.success(), "{}", common::stderr(&o));
    for want in [
        "sd-server (job API; cancels queued jobs only)",
        "samplers: default, euler, euler_a",
        "LoRAs: none",
        "schedulers: default, discrete",
    ] {
        assert!(out.contains(want), "missing {want:?} in\n{out}");
    }
}

/// Records sampling progress and cancels after the first report.
struct CancelOnProgress {
    steps: std::sync::Mutex<Vec<(u32, u32)>>,
    cancel: std::sync::atomic::AtomicBool,
}

impl genpath::backend::Progress for CancelOnProgress {
    fn step(&self, done: u32, total: u32) {
        self.steps.lock().unwrap().push((done, total));
        self.cancel.store(true, Ordering::SeqCst);
    }
    fn cancelled(&self) -> bool {
        self.cancel.load(Ordering::SeqCst)
    }
}

#[test]
fn progress_is_polled_and_cancel_interrupts_during_a_generation() {
    let s = start(Script::default());
    s.script.delay_ms.store(5000, Ordering::SeqCst);
    let p = CancelOnProgress { steps: Default::default(), cancel: Default::default() };
    let t = Instant::now();
    let r = backend(&s.url, "").generate(&request(RECIPE), &p);
    assert!(matches!(r, Err(BackendError::Cancelled)), "{:?}", r.err());
    assert!(t.elapsed() < Duration::from_secs(4), "the interrupt should end the generation early ({:?})", t.elapsed());
    assert!(
        p.steps.lock().unwrap().contains(&(10, 20)),
        "sampling progress from /progress while the request was in flight"
    );
    assert!(s.script.progress_polls.load(Ordering::SeqCst) >= 1);
    assert_eq!(s.script.interrupts.load(Ordering::SeqCst), 1, "/sdapi/v1/interrupt was called during the generation");
}

#[test]
fn a_submitted_bundle_and_the_portfolio_carry_no_key() {
    let key = "s3cret-do-not-print";
    let s = start(Script { basic_auth: Some(("ada".into(), key.into())), ..Script::default() });
    let ws = tempfile::tempdir().unwrap();
    std::fs::write(
        ws.path().join("genpath.toml"),
        format!("[backends.studio]\nkind = \"a1111\"\nurl = \"{}\"\nauth_env = \"GENPATH_TEST_BUNDLE_KEY\"\n", s.url),
    )
    .unwrap();
    let with_key = |args: &[&str]| {
        common::genpath(ws.path())
            .args(args)
            .env("GENPATH_TEST_BUNDLE_KEY", format!("ada:{key}"))
            .env("GENPATH_LOG", "debug")
            .output()
            .unwrap()
    };
    let o = with_key(&["run", "fluency.first-image", "--backend", "studio", "--no-images"]);
    assert!(matches!(o.status.code(), Some(0 | 1)), "the attempt ran: {}", common::stderr(&o));
    let out = ws.path().join("out");
    let submitted = with_key(&["submit", "fluency.first-image", "--out", out.to_str().unwrap()]);
    assert!(submitted.status.success(), "{}", common::stderr(&submitted));
    let portfolio = with_key(&["portfolio"]);
    assert!(portfolio.status.success(), "{}", common::stderr(&portfolio));
    // Every byte printed, every file written, and every file inside the (compressed) bundle.
    let mut haystack =
        [o.stdout, o.stderr, submitted.stdout, submitted.stderr, portfolio.stdout, portfolio.stderr].concat();
    haystack.extend(common::all_bytes(ws.path()));
    let bundle = std::fs::read_dir(&out).unwrap().next().unwrap().unwrap().path();
    let b = genpath::bundle::read(&std::fs::read(bundle).unwrap(), Default::default()).unwrap();
    assert_eq!(b.submission.attempt.backend_description.as_ref().map(|d| d.kind.as_str()), Some("a1111"));
    for bytes in b.files.values() {
        haystack.extend(bytes);
    }
    haystack.extend(&b.manifest_json);
    let text = String::from_utf8_lossy(&haystack);
    assert!(!text.contains(key), "the key leaked");
    assert!(text.contains("\"backend\": \"studio\""), "the bundle was searched");
}

#[test]
fn sd_server_is_driven_through_its_job_api_with_its_own_sampler_names() {
    let s = start(Script { sdcpp: true, generating_polls: 2, ..Script::default() });
    let watch = Watch::default();
    let text =
        "prompt = \"a fox\"\nseed = 7\nsteps = 2\ncfg = 6.5\nsampler = \"dpmpp_2s_a\"\nwidth = 64\nheight = 64\n";
    let g = backend(&s.url, "").generate(&request(text), &watch).unwrap();
    assert!(s.violations.lock().unwrap().is_empty(), "{:?}", s.violations.lock().unwrap());
    assert_eq!(g.seed, 7);
    assert_eq!(watch.queued.lock().unwrap().first(), Some(&1), "the queue position is shown");
    let reqs = s.requests.lock().unwrap();
    let (path, body) = &reqs[0];
    assert_eq!(path, "/sdcpp/v1/img_gen");
    assert_eq!(body["sample_params"]["sample_method"], "dpm++2s_a", "the server's own name for DPM++ 2S a");
    assert_eq!(body["sample_params"]["guidance"]["txt_cfg"].to_string(), "6.5");
    // The image imports back to the recipe that made it.
    let (r, _, _) = genpath::recipe::import::from_png(&g.png).unwrap();
    assert_eq!((r.seed, r.steps, r.sampler.as_str()), (Some(7), 2, "dpmpp_2s_a"));
}

#[test]
fn sd_server_refuses_a_sampler_it_would_silently_replace() {
    let s = start(Script { sdcpp: true, ..Script::default() });
    // `LMS` would fall back to Euler a (recorded); `lms`, its own name, works.
    backend(&s.url, "")
        .generate(
            &request("prompt = \"a fox\"\nseed = 7\nsampler = \"lms\"\nwidth = 64\nheight = 64\n"),
            &Cancel::default(),
        )
        .unwrap();
    assert_eq!(s.requests.lock().unwrap()[0].1["sample_params"]["sample_method"], "lms");
    s.requests.lock().unwrap().clear();
    let e = backend(&s.url, "")
        .generate(
            &request("prompt = \"a fox\"\nseed = 7\nsampler = \"unipc\"\nwidth = 64\nheight = 64\n"),
            &Cancel::default(),
        )
        .unwrap_err()
        .to_string();
    assert!(e.contains("the sampler `unipc`") && e.contains("euler_a"), "{e}");
    assert!(s.requests.lock().unwrap().is_empty(), "refused before any generation request");
}

#[test]
fn sd_server_cancel_removes_a_queued_job_and_stops_waiting_for_a_generating_one() {
    // Cancelled while queued: the job leaves the server's queue.
    let s = start(Script { sdcpp: true, generating_polls: 1_000, ..Script::default() });
    let watch = Watch::default();
    std::thread::scope(|scope| {
        scope.spawn(|| {
            while watch.queued.lock().unwrap().is_empty() {
                std::thread::sleep(Duration::from_millis(5));
            }
            watch.cancel.store(true, Ordering::SeqCst);
        });
        let e = backend(&s.url, "")
            .generate(&request("prompt = \"a fox\"\nwidth = 64\nheight = 64\n"), &watch)
            .unwrap_err();
        assert!(matches!(e, BackendError::Cancelled), "{e}");
    });
    assert_eq!(s.script.jobs.lock().unwrap()[0].status, "cancelled");
    // Cancelled while generating: sd-server cannot stop it (409), genpath stops waiting.
    let watch = Watch::default();
    std::thread::scope(|scope| {
        scope.spawn(|| {
            while s.script.jobs.lock().unwrap().get(1).is_none_or(|j| j.status != "generating") {
                std::thread::sleep(Duration::from_millis(5));
            }
            watch.cancel.store(true, Ordering::SeqCst);
        });
        let e = backend(&s.url, "")
            .generate(&request("prompt = \"a fox\"\nwidth = 64\nheight = 64\n"), &watch)
            .unwrap_err();
        assert!(matches!(e, BackendError::Cancelled), "{e}");
    });
    assert_eq!(s.script.jobs.lock().unwrap()[1].status, "generating", "the server goes on; genpath does not wait");
    assert!(s.violations.lock().unwrap().is_empty(), "{:?}", s.violations.lock().unwrap());
}

#[test]
fn sd_server_inpainting_is_pasted_back_over_the_original() {
    // sd-server returns the whole frame through the VAE (recorded: no pixel
    // outside the mask survives); the client puts the original back.
    let s = start(Script { sdcpp: true, ..Script::default() });
    let mut req = request(
        "prompt = \"a red ball\"\nseed = 3\nwidth = 64\nheight = 64\n[init]\nimage = \"i.png\"\nmask = \"m.png\"\nstrength = 0.8\n",
    );
    let init = image::RgbImage::from_fn(64, 64, |x, y| image::Rgb([(x * 4) as u8, (y * 4) as u8, 7]));
    let mask = image::GrayImage::from_fn(64, 64, |x, y| {
        image::Luma([if (16..48).contains(&x) && (16..48).contains(&y) { 255 } else { 0 }])
    });
    req.inputs.init = Some(init.clone());
    req.inputs.mask = Some(mask.clone());
    let g = backend(&s.url, "").generate(&req, &Cancel::default()).unwrap();
    let out = image::load_from_memory(&g.png).unwrap().to_rgb8();
    for (x, y, p) in out.enumerate_pixels() {
        if mask.get_pixel(x, y)[0] == 0 {
            assert_eq!(p, init.get_pixel(x, y), "outside the mask at ({x}, {y})");
        } else {
            assert_eq!(*p, image::Rgb([90, 90, 90]), "the server's repaint inside");
        }
    }
    let chunks = genpath::recipe::png::text_chunks(&g.png).unwrap();
    assert!(
        chunks.iter().any(|(k, v)| k == "parameters" && v.contains("stable-diffusion.cpp")),
        "the server's infotext is kept"
    );
    let body = &s.requests.lock().unwrap()[0].1;
    assert!(body["init_image"].is_string() && body["mask_image"].is_string());
    assert_eq!(body["strength"].to_string(), "0.8");
}

#[test]
fn everyday_settings_reach_a1111_as_its_own_fields() {
    let s = start(Script { controlnet: true, ..Script::default() });
    let text = format!(
        "{RECIPE}scheduler = \"karras\"\nclip_skip = 2\nvae = \"vae-ft-mse-840000\"\nsubseed = 9\nsubseed_strength = 0.15\n[[lora]]\nname = \"armor\"\nweight = 0.7\n[hires]\nscale = 1.5\nupscaler = \"4x-UltraSharp\"\ndenoise = 0.45\nsteps = 12\n[[control]]\nkind = \"pose\"\nimage = \"p.png\"\nweight = 0.8\nstart = 0.1\nend = 0.9\nmode = \"prompt\"\n"
    );
    let mut req = request(&text);
    req.inputs.controls.push(ControlInput {
        start: 0.1,
        end: 0.9,
        mode: genpath::recipe::ControlMode::Prompt,
        ..ControlInput::new(ControlKind::Pose, image::RgbImage::new(64, 48), 0.8)
    });
    let g = backend(&s.url, "").generate(&req, &Cancel::default()).unwrap();
    assert_eq!((g.width, g.height), (96, 72), "the hires size");
    assert!(s.violations.lock().unwrap().is_empty(), "{:?}", s.violations.lock().unwrap());
    let body = s.requests.lock().unwrap()[0].1.clone();
    assert_eq!(body["prompt"], "a fox on a beach <lora:armor:0.7>");
    assert_eq!(body["scheduler"], "Karras");
    assert_eq!(body["override_settings"]["CLIP_stop_at_last_layers"], 2);
    assert_eq!(body["override_settings"]["sd_vae"], "vae-ft-mse-840000");
    assert_eq!(
        (body["subseed"].clone(), body["subseed_strength"].to_string()),
        (serde_json::json!(9), "0.15".to_string())
    );
    assert_eq!((body["enable_hr"].clone(), body["hr_scale"].to_string()), (serde_json::json!(true), "1.5".to_string()));
    assert_eq!(
        (body["hr_upscaler"].as_str(), body["hr_second_pass_steps"].as_u64()),
        (Some("4x-UltraSharp"), Some(12))
    );
    let unit = &body["alwayson_scripts"]["controlnet"]["args"][0];
    assert_eq!(unit["model"], "control_v11p_sd15_openpose [cab727d4]");
    assert_eq!((unit["guidance_start"].to_string(), unit["guidance_end"].to_string()), ("0.1".into(), "0.9".into()));
    assert_eq!(unit["control_mode"], "My prompt is more important");
}

#[test]
fn each_control_kind_sends_its_map_in_the_real_models_format() {
    use base64::Engine;
    use genpath::backend::inputs::{self, AssetDirs};
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("exercises/control");
    let cases = [
        ("pose", "pose/assets/pose.png", "control_v11p_sd15_openpose [cab727d4]"),
        ("seg", "placement/assets/layout-seg.png", "control_v11p_sd15_seg [e1f51eb9]"),
        ("edges", "edge-layout/assets/layout-edges.png", "control_v11p_sd15_canny [d14c016b]"),
    ];
    for (kind, asset, model) in cases {
        let s = start(Script { controlnet: true, ..Script::default() });
        let path = root.join(asset);
        // At the map's own size, as the exercises use them: what is sent is the map itself.
        let text = format!(
            "prompt = \"a fox\"\nseed = 1\nwidth = 768\nheight = 512\n[[control]]\nkind = \"{kind}\"\nimage = {:?}\n",
            path.display().to_string()
        );
        let mut req = request(&text);
        let dirs = AssetDirs { recipe_dir: None, exercise: None, exercise_label: String::new(), sandbox: false };
        req.inputs = inputs::load(&req.recipe, &dirs, &[]).unwrap();
        backend(&s.url, "").generate(&req, &Cancel::default()).unwrap();
        let body = s.requests.lock().unwrap()[0].1.clone();
        let unit = &body["alwayson_scripts"]["controlnet"]["args"][0];
        assert_eq!(unit["module"], "none", "{kind}: the map is ready; no preprocessor");
        assert_eq!(unit["model"], model, "{kind}");
        let png = base64::engine::general_purpose::STANDARD.decode(unit["image"].as_str().unwrap()).unwrap();
        let sent = image::load_from_memory(&png).unwrap().to_rgb8();
        let want = image::open(&path).unwrap().to_rgb8();
        assert!(sent == want, "{kind}: the payload's map differs from the {asset} map");
    }
    // The OpenPose map keeps its keypoints' colours (an OpenPose model reads them); a grey copy would not.
    let pose = image::open(root.join("pose/assets/pose.png")).unwrap().to_rgb8();
    assert!(genpath::imaging::control_maps::read_pose(&pose).head().is_some());
}
