//! `genpath backend bench` through the CLI — on the built-in renderer, the
//! practice service and a recorded-protocol AUTOMATIC1111 server — and the
//! two exercises that read what it measures: `systems.self-hosting` (a
//! decision argued from two pasted benches) and `systems.model-choice`.
//! No assertion is about how fast this machine is: each one holds the
//! record to its own timings (throughput = images ÷ elapsed, p95 ≥ p50,
//! cost = price × images).

use std::path::Path;
use std::sync::atomic::Ordering;

use genpath::bench::{Bench, Pricing};

use crate::common::{self, run, stdout};
use crate::servers::a1111::{Script, start};

const HOSTING: &str = "systems.self-hosting";
const MODELS: &str = "systems.model-choice";

fn bench(ws: &Path, args: &[&str]) -> Bench {
    let mut all = vec!["backend", "bench"];
    all.extend_from_slice(args);
    all.push("--json");
    let o = run(ws, &all);
    assert!(o.status.success(), "{}\n{}", stdout(&o), common::stderr(&o));
    let b = Bench::from_json(&stdout(&o)).unwrap_or_else(|e| panic!("{e}\n{}", stdout(&o)));
    // The record printed is the one saved, byte for byte.
    let saved: Vec<_> = std::fs::read_dir(ws.join("benches")).unwrap().flatten().map(|e| e.path()).collect();
    assert!(saved.iter().any(|p| std::fs::read_to_string(p).unwrap().trim() == stdout(&o).trim()), "{saved:?}");
    b
}

/// What every record must say about itself, from its own numbers.
fn consistent(b: &Bench) {
    assert_eq!(b.latencies_s.len(), b.images as usize);
    assert!(b.p95_s >= b.p50_s && b.p50_s > 0.0, "{b:?}");
    let max = b.latencies_s.iter().copied().fold(0.0, f64::max);
    assert!(max <= b.elapsed_s + 1e-6, "an image outlasted the bench: {b:?}");
    let iph = f64::from(b.images) * 3600.0 / b.elapsed_s;
    assert!((b.images_per_hour - iph).abs() <= 1e-3 * iph, "{} vs {iph}", b.images_per_hour);
    if let (Some(c), Some(t)) = (b.cost_per_image, b.total_cost) {
        assert!((t - c * f64::from(b.images)).abs() < 1e-6, "{b:?}");
    }
}

#[test]
fn the_builtin_is_benched_from_its_real_timing_and_priced_by_the_hour() {
    let ws = tempfile::tempdir().unwrap();
    let b =
        bench(ws.path(), &["builtin", "--images", "4", "--size", "256x256", "--steps", "4", "--hourly-cost", "0.9"]);
    consistent(&b);
    assert_eq!((b.backend.as_str(), b.kind.as_str(), b.images, b.width, b.steps), ("builtin", "builtin", 4, 256, 4));
    assert_eq!(b.pricing, Pricing::Hourly);
    let per = b.cost_per_image.unwrap();
    assert!((per - 0.9 / b.images_per_hour).abs() < 1e-9, "{per}");
    // The text report says the same, with where the cost comes from; no hourly cost, no cost.
    let o = run(ws.path(), &["backend", "bench", "builtin", "--images", "2", "--size", "128x128", "--steps", "2"]);
    let out = stdout(&o);
    assert!(o.status.success(), "{out}");
    for want in
        ["throughput", "images/hour", "p50", "p95", "cost per image  unknown", "saved           benches/builtin-"]
    {
        assert!(out.contains(want), "{want:?} not in\n{out}");
    }
}

#[test]
fn the_practice_service_is_benched_at_its_price_with_concurrency_and_retries() {
    let ws = tempfile::tempdir().unwrap();
    let b = bench(
        ws.path(),
        &[
            "practice",
            "--images",
            "6",
            "--concurrency",
            "2",
            "--size",
            "1024x1024",
            "--steps",
            "4",
            "--model",
            "practice-sdxl",
        ],
    );
    consistent(&b);
    assert_eq!((b.kind.as_str(), b.model.as_deref(), b.concurrency), ("practice", Some("practice-sdxl"), 2));
    assert_eq!(b.pricing, Pricing::PerImage);
    // 0.04 per 1024² image × the SDXL-like model's 1.6.
    assert!((b.cost_per_image.unwrap() - 0.064).abs() < 1e-9);
    assert!((b.total_cost.unwrap() - 0.064 * 6.0).abs() < 1e-9);
    // The service's latency is in every image (40 ms × 1.6): measured, not assumed.
    assert!(b.latencies_s.iter().all(|l| *l >= 0.064), "{:?}", b.latencies_s);
}

#[test]
fn a_real_server_is_benched_over_its_protocol_at_its_hourly_cost() {
    let s = start(Script::default());
    s.script.delay_ms.store(30, Ordering::SeqCst);
    let ws = tempfile::tempdir().unwrap();
    std::fs::write(
        ws.path().join("genpath.toml"),
        format!("[backends.gpu]\nkind = \"a1111\"\nurl = \"{}\"\nhourly_cost = 1.5\n", s.url),
    )
    .unwrap();
    let b = bench(ws.path(), &["gpu", "--images", "3", "--size", "512x512", "--steps", "10"]);
    consistent(&b);
    assert_eq!(s.generations.load(Ordering::SeqCst), 3, "one request per image");
    assert!(s.violations.lock().unwrap().is_empty(), "{:?}", s.violations.lock().unwrap());
    assert_eq!((b.kind.as_str(), b.pricing, b.hourly_cost), ("a1111", Pricing::Hourly, Some(1.5)));
    // Each image waited for the server's own 30 ms.
    assert!(b.latencies_s.iter().all(|l| *l >= 0.03), "{:?}", b.latencies_s);
    assert!((b.cost_per_image.unwrap() - 1.5 / b.images_per_hour).abs() < 1e-9);
}

#[test]
fn a_bench_is_bounded_and_a_wrong_request_is_a_clear_error() {
    let ws = tempfile::tempdir().unwrap();
    for (args, want) in [
        (vec!["builtin", "--images", "0"], "--images 0: give 1–200"),
        (vec!["builtin", "--images", "201"], "--images 201: give 1–200"),
        (vec!["builtin", "--concurrency", "17"], "--concurrency 17: give 1–16"),
        (vec!["builtin", "--size", "4096x4096"], "each side must be 1–"),
        (vec!["builtin", "--size", "big"], "give WIDTHxHEIGHT"),
        (vec!["builtin", "--hourly-cost=-1"], "give a number of 0 or more"),
        (vec!["nowhere"], "no backend named 'nowhere'"),
    ] {
        let mut all = vec!["backend", "bench"];
        all.extend(args.iter().copied());
        let o = run(ws.path(), &all);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(common::stderr(&o).contains(want), "{args:?}: {}", common::stderr(&o));
    }
    assert!(!ws.path().join("benches").exists() || std::fs::read_dir(ws.path().join("benches")).unwrap().count() == 0);
}

#[test]
fn ctrl_c_stops_a_bench_cleanly_and_saves_nothing() {
    let s = start(Script::default());
    s.script.delay_ms.store(200, Ordering::SeqCst);
    let ws = tempfile::tempdir().unwrap();
    std::fs::write(ws.path().join("genpath.toml"), format!("[backends.gpu]\nkind = \"a1111\"\nurl = \"{}\"\n", s.url))
        .unwrap();
    let child = common::genpath(ws.path())
        .args(["backend", "bench", "gpu", "--images", "50"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until a generation is in flight, then press Ctrl-C.
    let until = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while s.generations.load(Ordering::SeqCst) == 0 && std::time::Instant::now() < until {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    std::thread::sleep(std::time::Duration::from_millis(50));
    let kill = std::process::Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(kill.success());
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", common::stderr(&o));
    assert!(common::stderr(&o).contains("bench cancelled: nothing saved"), "{}", common::stderr(&o));
    assert!(s.generations.load(Ordering::SeqCst) < 50);
    assert!(!ws.path().join("benches").exists() || std::fs::read_dir(ws.path().join("benches")).unwrap().count() == 0);
}

/// A decision answer in place, run (the systems stage is opened with --force).
fn answer(ws: &Path, exercise: &str, file: &str, text: &str) -> std::process::Output {
    let dest = ws.join("recipes").join(exercise).join(file);
    std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
    std::fs::write(dest, text).unwrap();
    run(ws, &["run", exercise, "--force", "--no-images"])
}

fn solution(exercise: &str, file: &str) -> String {
    let curriculum = genpath::curriculum::Curriculum::builtin().unwrap();
    let e = curriculum.exercise(exercise).unwrap();
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(e.solution_path());
    assert!(path.ends_with(file), "{}", path.display());
    std::fs::read_to_string(path).unwrap()
}

/// A self-hosting decision from two benches, its figures worked out as the brief says.
fn decision(choice: &str, api: &str, host: &str) -> String {
    let (a, h) = (Bench::from_json(api).unwrap(), Bench::from_json(host).unwrap());
    let price = a.cost_per_image.unwrap();
    let iph = h.images_per_hour;
    let hours = 20_000.0 / iph;
    let break_even = 400.0 / (price - 0.9 / iph);
    format!(
        "choice = \"{choice}\"\nmonthly_images = 20000\nbreak_even_images = {break_even:.0}\n\
         tradeoffs = \"\"\"\nAt this volume the hosted API costs far more than our own server, whose cost is almost \
         all the time of the person who keeps it running; the machine itself is busy for only a few hours a month. \
         Both answer well inside the latency the shop needs, and below the break-even the API would be cheaper.\n\"\"\"\n\
         fallback = \"\"\"\nIf the server is down, the same recipes run on the hosted API for those days and we \
         re-bench before moving back.\n\"\"\"\n\
         [api]\ncost_per_image = {price}\nmonthly_cost = {:.2}\nbench = '''\n{api}\n'''\n\
         [self_host]\nimages_per_hour = {iph}\nhourly_cost = 0.9\ngpu_hours = {hours:.3}\nmonthly_cost = {:.2}\n\
         bench = '''\n{host}\n'''\n",
        20_000.0 * price,
        400.0 + hours * 0.9
    )
}

#[test]
fn benches_measured_here_argue_the_self_hosting_decision_and_the_api_at_this_volume_fails() {
    let ws = tempfile::tempdir().unwrap();
    let json = |name: &str, size: &str, extra: &[&str]| {
        let mut args = vec![name, "--images", "8", "--size", size, "--steps", "6", "--model", "practice-sdxl"];
        args.extend_from_slice(extra);
        bench(ws.path(), &args).to_json()
    };
    let (api, host) = (json("practice", "1024x1024", &[]), json("builtin", "1024x1024", &["--hourly-cost", "0.9"]));
    let o = answer(ws.path(), HOSTING, "decision.toml", &decision("self-host", &api, &host));
    assert!(o.status.success(), "{}", stdout(&o));
    assert!(stdout(&o).contains("self-host at"), "{}", stdout(&o));
    // The API at 20,000 images a month costs more, and the check says so with both figures.
    let o = answer(ws.path(), HOSTING, "decision.toml", &decision("api", &api, &host));
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(stdout(&o).contains("choose the cheaper at the brief's volume"), "{}", stdout(&o));
    // The two benches swapped: the hosted side was not measured on the practice service.
    let o = answer(ws.path(), HOSTING, "decision.toml", &decision("self-host", &host, &api));
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(stdout(&o).contains("measure the hosted side on the practice service"), "{}", stdout(&o));
    // A bench at another size than the brief's is not evidence for it.
    let small = json("builtin", "512x512", &["--hourly-cost", "0.9"]);
    let o = answer(ws.path(), HOSTING, "decision.toml", &decision("self-host", &api, &small));
    assert!(stdout(&o).contains("the brief's images are 1024×1024"), "{}", stdout(&o));
}

#[test]
fn the_self_hosting_write_up_fails_for_lorem_ipsum_wrong_sums_an_edited_bench_or_a_broken_constraint() {
    let ws = tempfile::tempdir().unwrap();
    let real = solution(HOSTING, "decision.toml");
    assert!(answer(ws.path(), HOSTING, "decision.toml", &real).status.success());
    let start = real.find("tradeoffs = \"\"\"").unwrap();
    let end = real[start + 15..].find("\"\"\"").unwrap() + start + 18;
    let lorem = "tradeoffs = \"\"\"\nLorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor \
                 incididunt ut labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud exercitation \
                 ullamco laboris nisi ut aliquip ex ea commodo consequat. Duis aute irure dolor in reprehenderit in \
                 voluptate velit esse cillum dolore eu fugiat nulla pariatur.\n\"\"\"";
    let iph_line = real.lines().find(|l| l.starts_with("images_per_hour = ")).unwrap();
    let iph: f64 = iph_line["images_per_hour = ".len()..].parse().unwrap();
    let bench_iph = format!("\"images_per_hour\": {iph:?}");
    assert!(real.contains(&bench_iph), "{bench_iph}");
    for (text, why) in [
        (format!("{}{lorem}{}", &real[..start], &real[end..]), "do not read as an argument"),
        (real.replace("monthly_cost = 1280.00", "monthly_cost = 1180.00"), "does not add up"),
        (real.replace("choice = \"self-host\"", "choice = \"midjourney\""), "is not one of: api, self-host"),
        (real.replace("monthly_images = 20000", "monthly_images = 2000"), "the brief's volume is 20000"),
        // A faster server, written into the bench by hand.
        (real.replace(&bench_iph, &format!("\"images_per_hour\": {:?}", iph * 10.0)), "changed after genpath wrote it"),
        // Figures that are not the bench's.
        (real.replace(iph_line, &format!("images_per_hour = {}", iph * 10.0)), "is not the bench's"),
        (real[..real.find("[api]").unwrap()].to_string(), "no measured numbers"),
    ] {
        let o = answer(ws.path(), HOSTING, "decision.toml", &text);
        assert_eq!(o.status.code(), Some(1), "{why}: {}", stdout(&o));
        assert!(stdout(&o).contains(why), "{why:?} not in {}", stdout(&o));
    }
}

#[test]
fn a_self_hosted_choice_that_misses_the_latency_breaks_a_hard_constraint() {
    // The brief's latency, tightened below anything a server here measures.
    let tmp = tempfile::tempdir().unwrap();
    let cur = common::curriculum_copy(tmp.path());
    let toml = cur.join("exercises/systems/self-hosting/exercise.toml");
    let text = std::fs::read_to_string(&toml).unwrap().replace("max_p95_s = 10", "max_p95_s = 0.000001");
    std::fs::write(&toml, text).unwrap();
    let ws = tmp.path().join("ws");
    let dest = ws.join("recipes").join(HOSTING).join("decision.toml");
    std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
    std::fs::write(&dest, solution(HOSTING, "decision.toml")).unwrap();
    let o = common::genpath(&ws)
        .arg("--curriculum")
        .arg(&cur)
        .args(["run", HOSTING, "--force", "--no-images"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}{}", stdout(&o), common::stderr(&o));
    assert!(stdout(&o).contains("self-host breaks a hard constraint of the brief"), "{}", stdout(&o));
}

#[test]
fn the_model_choice_fails_for_lorem_ipsum_a_model_outside_the_table_or_one_that_breaks_the_brief() {
    let ws = tempfile::tempdir().unwrap();
    let real = solution(MODELS, "recipe.toml");
    assert!(answer(ws.path(), MODELS, "recipe.toml", &real).status.success());
    let sdxl = "model = \"practice-sdxl\"";
    let start = real.find("notes = \"\"\"").unwrap();
    let end = real[start + 11..].find("\"\"\"").unwrap() + start + 14;
    let lorem = "notes = \"\"\"\nLorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor \
                 incididunt ut labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud exercitation \
                 ullamco laboris nisi ut aliquip ex ea commodo consequat.\n\"\"\"";
    for (text, why) in [
        (format!("{}{lorem}{}", &real[..start], &real[end..]), "do not read as an argument"),
        (real.replace(sdxl, "model = \"practice-flux\""), "practice-flux costs 0.120 an image"),
        (real.replace(sdxl, "model = \"practice-sd15\""), "draws the subject twice"),
        (
            real.replace(sdxl, "model = \"practice-sd15\"").replace("1024", "512"),
            "practice-sd15 cannot spell \"FRESH\"",
        ),
        (real.replace("\\\"FRESH\\\"", "\\\"FRESH JUICE\\\""), "quote the brief's headline"),
    ] {
        let o = answer(ws.path(), MODELS, "recipe.toml", &text);
        assert_eq!(o.status.code(), Some(1), "{why}: {}", stdout(&o));
        assert!(stdout(&o).contains(why), "{why:?} not in {}", stdout(&o));
    }
    // A model the table does not have is refused by name before anything is drawn.
    let o = answer(ws.path(), MODELS, "recipe.toml", &real.replace(sdxl, "model = \"practice-sd3\""));
    assert_ne!(o.status.code(), Some(0));
    let all = format!("{}{}", stdout(&o), common::stderr(&o));
    assert!(all.contains("practice-sd3") && all.contains("no model"), "{all}");
}
