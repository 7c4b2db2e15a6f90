//! The `a1111` client against a real stable-diffusion.cpp `sd-server`
//! (commit 97d2990, built from `../shared/peers/sdcpp` by
//! `scripts/real-peers.sh`, random-weights SD1.5). Ignored in a plain
//! `cargo test`; `.ci/run` runs them when `CI=true`.
//!
//! `GENPATH_REAL_SDSERVER` is the server's URL. One step at 64×64 takes
//! about 3 s on two cores.

use crate::common::Watch;
use crate::common::request;
use std::sync::Mutex;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use genpath::backend::a1111::A1111;
use genpath::backend::{Backend, BackendError, Cancel};
use genpath::config::Config;
use serde_json::{Value, json};

fn url() -> String {
    std::env::var("GENPATH_REAL_SDSERVER").expect("GENPATH_REAL_SDSERVER: start one with scripts/real-peers.sh")
}

fn client() -> A1111 {
    let config = Config::parse(
        "genpath.toml",
        &format!("[backends.sd]\nkind = \"a1111\"\nurl = \"{}\"\ntimeout_s = 600\n", url()),
    )
    .unwrap();
    let b = &config.backends["sd"];
    A1111::from_options("sd", &b.typed(genpath::config::BackendConfig::known_keys(b.kind)).unwrap()).unwrap()
}

/// A plain HTTP client for the test's own requests.
fn http() -> reqwest::blocking::Client {
    genpath::backend::http::client_builder().build().unwrap()
}

fn job(id: &str) -> Value {
    http().get(format!("{}/sdcpp/v1/jobs/{id}", url())).send().unwrap().json().unwrap()
}

/// Another client's job through the job API: its id.
fn someone_elses_job(side: u32, steps: u32) -> String {
    let r: Value = http()
        .post(format!("{}/sdcpp/v1/img_gen", url()))
        .json(&json!({"prompt": "someone else's fox", "width": side, "height": side, "seed": 3,
            "sample_params": {"sample_method": "euler", "sample_steps": steps}}))
        .send()
        .unwrap()
        .json()
        .unwrap();
    r["id"].as_str().unwrap().to_string()
}

#[test]
#[ignore = "needs a real sd-server: scripts/real-peers.sh"]
fn real_sdserver_generates_through_the_job_api_and_the_png_imports() {
    let c = client();
    assert!(c.sdcpp().is_some(), "the server is recognised as sd-server");
    let g = c
        .generate(&request("prompt = \"a red fox in snow\"\nnegative = \"blurry\"\nseed = 7\nsteps = 2\ncfg = 5\nsampler = \"euler_a\"\nwidth = 64\nheight = 64\n"), &Cancel::default())
        .unwrap();
    assert_eq!((g.width, g.height, g.seed), (64, 64, 7));
    let (r, _, _) = genpath::recipe::import::from_png(&g.png).unwrap();
    assert_eq!((r.seed, r.steps, r.cfg, r.sampler.as_str()), (Some(7), 2, 5.0, "euler_a"));
    assert_eq!(r.model.as_deref(), Some("random-sd15.safetensors"));
}

#[test]
#[ignore = "needs a real sd-server: scripts/real-peers.sh"]
fn real_sdserver_every_sampler_maps_to_the_servers_own_or_is_refused() {
    let c = client();
    let mut mapped = Vec::new();
    for (name, _) in genpath::recipe::vocab::SAMPLERS {
        match c.sampler_for(name) {
            Ok(server_name) => mapped.push((*name, server_name)),
            Err(e) => assert!(e.to_string().contains(&format!("the sampler `{name}`")), "{e}"),
        }
    }
    assert!(mapped.len() >= 5, "{mapped:?}");
    for (name, server_name) in mapped {
        let g = c
            .generate(
                &request(&format!(
                    "prompt = \"a fox\"\nseed = 1\nsteps = 1\nsampler = \"{name}\"\nwidth = 64\nheight = 64\n"
                )),
                &Cancel::default(),
            )
            .unwrap();
        let chunks = genpath::recipe::png::text_chunks(&g.png).unwrap();
        let info = &chunks.iter().find(|(k, _)| k == "parameters").unwrap().1;
        assert!(info.contains(&format!("Sampler: {server_name},")), "{name} ran as {server_name}: {info}");
    }
}

#[test]
#[ignore = "needs a real sd-server: scripts/real-peers.sh"]
fn real_sdserver_cancel_removes_a_queued_job_within_2_s() {
    let other = someone_elses_job(128, 2);
    let watch = Watch::default();
    let c = client();
    let asked = Mutex::new(None);
    std::thread::scope(|scope| {
        scope.spawn(|| {
            while watch.queued.lock().unwrap().is_empty() {
                std::thread::sleep(Duration::from_millis(10));
            }
            *asked.lock().unwrap() = Some(Instant::now());
            watch.cancel.store(true, Ordering::SeqCst);
        });
        let e = c
            .generate(&request("prompt = \"a fox\"\nseed = 1\nsteps = 1\nwidth = 64\nheight = 64\n"), &watch)
            .unwrap_err();
        assert!(matches!(e, BackendError::Cancelled), "{e}");
    });
    let took = asked.lock().unwrap().unwrap().elapsed();
    eprintln!("cancel of a queued job returned after {took:?}");
    assert!(took < Duration::from_secs(2), "cancel took {took:?}");
    assert_eq!(watch.queued.lock().unwrap()[0], 1, "it waited behind the other job");
    assert_ne!(job(&other)["status"], "cancelled", "the other client's job was not touched");
    // genpath's job left the server's queue: nothing waits before a new job.
    let probe = someone_elses_job(64, 1);
    let position = job(&probe)["queue_position"].as_u64();
    assert!(position <= Some(1), "genpath's cancelled job no longer waits: {}", job(&probe));
    // Wait for the other job so the next test starts on an idle server.
    let start = Instant::now();
    while job(&probe)["status"] != "completed" && start.elapsed() < Duration::from_secs(900) {
        std::thread::sleep(Duration::from_millis(250));
    }
}

fn wait_for_status(id: &str, status: &str) {
    let start = Instant::now();
    loop {
        let now = job(id);
        if now["status"] == status {
            return;
        }
        let ended = matches!(now["status"].as_str(), Some("completed" | "failed" | "cancelled"));
        assert!(!ended && start.elapsed() < Duration::from_secs(900), "job {id} never got {status}: {now}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// sd-server cannot stop a job that is generating: its cancel route answers
/// 409 "job is currently generating and cannot be interrupted yet"
/// (`examples/server/routes_sdcpp.cpp`, lines 592–596 at 97d2990), its
/// capabilities say `cancel_generating: false`, and no route calls the
/// library's `sd_cancel_generation`. So genpath stops waiting within 2 s
/// and the server finishes the job. If a later server can interrupt, the
/// last part of this test fails and says so.
#[test]
#[ignore = "needs a real sd-server: scripts/real-peers.sh"]
fn real_sdserver_cancel_of_a_generating_job_stops_waiting_within_2_s_and_the_server_finishes_it() {
    // genpath's own job, generating on an idle server when the cancel comes.
    let watch = Watch::default();
    let c = client();
    let asked = Mutex::new(None);
    std::thread::scope(|scope| {
        scope.spawn(|| {
            std::thread::sleep(Duration::from_millis(1500));
            *asked.lock().unwrap() = Some(Instant::now());
            watch.cancel.store(true, Ordering::SeqCst);
        });
        let e = c
            .generate(&request("prompt = \"a fox\"\nseed = 1\nsteps = 2\nwidth = 64\nheight = 64\n"), &watch)
            .unwrap_err();
        assert!(matches!(e, BackendError::Cancelled), "{e}");
    });
    let took = asked.lock().unwrap().unwrap().elapsed();
    eprintln!("cancel of a generating job returned after {took:?}");
    assert!(took < Duration::from_secs(2), "genpath stopped waiting after {took:?}");
    assert!(watch.queued.lock().unwrap().iter().all(|&p| p <= 1), "the server was idle");
    // The server is still busy with genpath's job: a new job waits first in line.
    // It runs long enough (128², 4 steps) to be still generating when its own
    // cancel arrives: a 1-step job finished first once and got a 200.
    let probe = someone_elses_job(128, 4);
    let waiting = job(&probe);
    assert!(
        waiting["status"] == "queued" && waiting["queue_position"] == 1,
        "genpath's job still generates: {waiting}"
    );
    // Why: the server refuses to cancel a job that is generating.
    wait_for_status(&probe, "generating");
    let http = http();
    let r = http.post(format!("{}/sdcpp/v1/jobs/{probe}/cancel", url())).send().unwrap();
    let status = r.status().as_u16();
    let body = r.text().unwrap();
    let caps: Value = http.get(format!("{}/sdcpp/v1/capabilities", url())).send().unwrap().json().unwrap();
    let caps = genpath::backend::sdcpp::Capabilities::from_json(&caps).unwrap();
    assert!(
        status == 409 && body.contains("cannot be interrupted") && !caps.cancel_generating,
        "this sd-server answers {status} {body} to cancelling a generating job (cancel_generating: {}): \
         if it can interrupt now, make genpath's cancel use it",
        caps.cancel_generating
    );
    wait_for_status(&probe, "completed");
}

#[test]
#[ignore = "needs a real sd-server: scripts/real-peers.sh"]
fn real_sdserver_inpainting_keeps_every_pixel_outside_the_mask() {
    let mut req = request(
        "prompt = \"a red ball\"\nseed = 5\nsteps = 1\nwidth = 64\nheight = 64\n[init]\nimage = \"i.png\"\nmask = \"m.png\"\nstrength = 0.9\n",
    );
    let init = image::RgbImage::from_fn(64, 64, |x, y| image::Rgb([(x * 4) as u8, (y * 4) as u8, 40]));
    let mask = image::GrayImage::from_fn(64, 64, |x, y| {
        image::Luma([if (16..48).contains(&x) && (16..48).contains(&y) { 255 } else { 0 }])
    });
    req.inputs.init = Some(init.clone());
    req.inputs.mask = Some(mask.clone());
    let g = client().generate(&req, &Cancel::default()).unwrap();
    let out = image::load_from_memory(&g.png).unwrap().to_rgb8();
    let (mut outside, mut inside) = (0, 0);
    for (x, y, p) in out.enumerate_pixels() {
        let changed = p != init.get_pixel(x, y);
        if mask.get_pixel(x, y)[0] == 0 && changed {
            outside += 1;
        }
        if mask.get_pixel(x, y)[0] == 255 && changed {
            inside += 1;
        }
    }
    assert_eq!(outside, 0, "pixels outside the mask are the original's");
    assert!(inside > 500, "the masked region was repainted ({inside} px)");
}
