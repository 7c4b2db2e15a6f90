//! Hostile inputs, faults and crashes found by trying to break genpath, each
//! reproduced here as it was found (the hostile input made by the test) and
//! held closed: a clear error or a correct result, never a panic, an abort,
//! a hang, unbounded work, or a file written where it must not be.

use std::io::Write as _;
use std::path::Path;
use std::process::Stdio;

use crate::common::*;

/// A PNG chunk: length, type, data, CRC.
fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut out = (data.len() as u32).to_be_bytes().to_vec();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let mut crc = crc32fast::Hasher::new();
    crc.update(kind);
    crc.update(data);
    out.extend_from_slice(&crc.finalize().to_be_bytes());
    out
}

/// A PNG that claims `w`×`h` pixels, carries `extra` chunks before its
/// (tiny, truncated) image data, and nothing else.
fn png_claiming(w: u32, h: u32, extra: &[Vec<u8>]) -> Vec<u8> {
    let mut png = vec![137, 80, 78, 71, 13, 10, 26, 10];
    let mut ihdr = w.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    png.extend(chunk(b"IHDR", &ihdr));
    for c in extra {
        png.extend_from_slice(c);
    }
    // One zlib-compressed empty row: far less than the image needs.
    png.extend(chunk(b"IDAT", &[0x78, 0x9c, 0x63, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01]));
    png.extend(chunk(b"IEND", &[]));
    png
}

fn ztxt(keyword: &str, text_len: usize) -> Vec<u8> {
    let mut data = keyword.as_bytes().to_vec();
    data.extend_from_slice(&[0, 0]); // NUL, method 0
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    z.write_all(&vec![b'a'; text_len]).unwrap();
    data.extend(z.finish().unwrap());
    chunk(b"zTXt", &data)
}

fn workspace() -> (tempfile::TempDir, std::path::PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path().join("ws");
    let o = genpath(&ws).arg("init").arg(&ws).args(["--id", "ada"]).output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    (tmp, ws)
}

/// The process ended by itself (no signal: no SIGABRT from a failed allocation).
fn assert_no_crash(o: &std::process::Output, what: &str) {
    assert!(o.status.code().is_some_and(|c| c == 0 || c == 1 || c == 2), "{what}: {:?}\n{}", o.status, stderr(o));
    assert!(!stderr(o).contains("panicked"), "{what}: {}", stderr(o));
}

#[test]
fn import_reads_text_chunks_without_decoding_a_huge_image() {
    // 74 bytes of PNG claiming 100000×100000 pixels used to allocate 30 GB and abort.
    let (tmp, ws) = workspace();
    let bare = png_claiming(100_000, 100_000, &[]);
    assert!(bare.len() < 80, "{}", bare.len());
    let f = tmp.path().join("huge.png");
    std::fs::write(&f, &bare).unwrap();
    let o = run(&ws, &["import", f.to_str().unwrap()]);
    assert_no_crash(&o, "bare");
    assert!(stderr(&o).contains("no generation parameters"), "{}", stderr(&o));

    // The same claim with real infotext imports: the size costs nothing.
    let params = chunk(
        b"tEXt",
        b"parameters\0a fox on a beach\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 42, Size: 512x512",
    );
    let f = tmp.path().join("huge-params.png");
    std::fs::write(&f, png_claiming(100_000, 100_000, &[params])).unwrap();
    let out = tmp.path().join("imported");
    let o = run(&ws, &["import", f.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    let recipe = std::fs::read_to_string(out.join("huge-params.toml")).unwrap();
    assert!(recipe.contains("seed = 42") && recipe.contains("a fox on a beach"), "{recipe}");
}

#[test]
fn compressed_text_bombs_are_bounded() {
    let (tmp, ws) = workspace();
    // 60 chunks each inflating to 2 MB (120 MB in all) from ~12 KB: refused, nothing written.
    let bombs: Vec<Vec<u8>> = (0..60).map(|_| ztxt("parameters", 2 * 1024 * 1024)).collect();
    let f = tmp.path().join("bomb.png");
    std::fs::write(&f, png_claiming(8, 8, &bombs)).unwrap();
    let out = tmp.path().join("imported");
    let o = run(&ws, &["import", f.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert_no_crash(&o, "bomb");
    assert!(!o.status.success());
    assert!(stderr(&o).contains("inflates to more than 1 MiB"), "{}", stderr(&o));
    assert!(!out.join("bomb.toml").exists());

    // Many chunks that each stay under the limit: at most 4 MiB of text is read in all.
    let many: Vec<Vec<u8>> = (0..30).map(|i| ztxt(&format!("k{i}"), 900 * 1024)).collect();
    let chunks = genpath::recipe::png::text_chunks(&png_claiming(8, 8, &many));
    assert!(chunks.unwrap_err().contains("more than 4 MiB of text"));
    // And at most 64 chunks are looked at, however many the file has.
    let tiny: Vec<Vec<u8>> = (0..5000).map(|i| chunk(b"tEXt", format!("k{i}\0v").as_bytes())).collect();
    let read = genpath::recipe::png::text_chunks(&png_claiming(8, 8, &tiny)).unwrap();
    assert_eq!(read.len(), genpath::recipe::png::MAX_TEXT_CHUNKS);
}

#[test]
fn deeply_nested_and_overlong_prompts_are_refused_with_a_location() {
    let tmp = tempfile::tempdir().unwrap();
    let recipe = tmp.path().join("deep.toml");
    let n = 100_000;
    std::fs::write(&recipe, format!("prompt = \"{}fox{}\"\nseed = 1\n", "(".repeat(n), ")".repeat(n))).unwrap();
    let o = genpath(tmp.path()).args(["render", recipe.to_str().unwrap()]).output().unwrap();
    assert_no_crash(&o, "deep");
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("deep.toml:1:10") && stderr(&o).contains("the limit is 4000"), "{}", stderr(&o));
    // Within the limit, deep nesting renders (the parser is linear).
    std::fs::write(
        &recipe,
        format!("prompt = \"{}fox{}\"\nseed = 1\nwidth = 64\nheight = 64\n", "(".repeat(1900), ")".repeat(1900)),
    )
    .unwrap();
    let out = tmp.path().join("out");
    let o = genpath(tmp.path())
        .args(["render", recipe.to_str().unwrap(), "--out", out.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn a_closed_stdout_ends_a_command_quietly() {
    // `genpath path | head -1`: the reader is gone before genpath writes.
    let (_tmp, ws) = workspace();
    for args in [&["path"][..], &["progress"], &["config"], &["backend", "list"], &["dev", "vocabulary"]] {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let o = genpath(&ws).args(args).stdout(writer).stderr(Stdio::piped()).output().unwrap();
        assert_eq!(o.status.code(), Some(0), "{args:?}: {:?} {}", o.status, stderr(&o));
        assert!(stderr(&o).is_empty(), "{args:?}: {}", stderr(&o));
    }
}

#[test]
fn killed_pipeline_runs_are_marked_interrupted_and_stale_locks_removed() {
    let (_tmp, ws) = workspace();
    // A process that has exited: its pid holds no lock.
    let dead = std::process::Command::new("true").spawn().unwrap();
    let pid = dead.id();
    let mut dead = dead;
    dead.wait().unwrap();
    {
        let db = rusqlite::Connection::open(ws.join("genpath.db")).unwrap();
        db.execute(
            "INSERT INTO pipeline_runs (pipeline, started_at, status, pid) VALUES ('launch', '2026-11-28T10:00:00Z', 'running', ?1)",
            [pid],
        )
        .unwrap();
    }
    for stale in [pid, 4_000_001, 4_000_002] {
        std::fs::write(ws.join(".locks").join(format!("{stale}.lock")), "").unwrap();
    }
    // Killed between taking its lock and renaming it into place.
    std::fs::write(ws.join(".locks").join("4000003.lock.new"), "").unwrap();
    let o = run(&ws, &["pipeline", "status"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let db = rusqlite::Connection::open(ws.join("genpath.db")).unwrap();
    let (status, message): (String, String) =
        db.query_row("SELECT status, message FROM pipeline_runs", [], |r| Ok((r.get(0)?, r.get(1)?))).unwrap();
    assert_eq!(status, "interrupted");
    assert!(message.contains("run it again to resume"), "{message}");
    let left: Vec<String> = std::fs::read_dir(ws.join(".locks"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert!(left.is_empty(), "stale lock files left: {left:?}");
}

#[test]
fn backend_urls_are_http_only_and_their_credentials_never_shown() {
    let (_tmp, ws) = workspace();
    let config = ws.join("genpath.toml");
    let base = std::fs::read_to_string(&config).unwrap();
    std::fs::write(
        &config,
        format!("{base}\n[backends.studio]\nkind = \"a1111\"\nurl = \"http://ada:hunter2@127.0.0.1:7860\"\n"),
    )
    .unwrap();
    for args in [&["config"][..], &["backend", "list"]] {
        let o = run(&ws, args);
        assert!(o.status.success(), "{}", stderr(&o));
        let all = format!("{}{}", stdout(&o), stderr(&o));
        assert!(!all.contains("hunter2") && !all.contains("ada:"), "{args:?}: {all}");
        assert!(all.contains("http://[redacted]@127.0.0.1:7860"), "{args:?}: {all}");
    }
    assert!(stdout(&run(&ws, &["config"])).contains("move them to an environment variable named by auth_env"));

    std::fs::write(&config, format!("{base}\n[backends.studio]\nkind = \"a1111\"\nurl = \"file:///etc/passwd\"\n"))
        .unwrap();
    let o = run(&ws, &["backend", "list"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("genpath.toml:") && stderr(&o).contains("http:// or https:// only"), "{}", stderr(&o));
}

#[test]
fn a_symlinked_asset_leading_out_of_the_exercise_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let cur = curriculum_copy(&tmp.path().join("cur"));
    let outside = tmp.path().join("secret.png");
    std::fs::copy(cur.join("exercises/control/restyle/assets/forest.png"), &outside).unwrap();
    let asset = cur.join("exercises/control/restyle/assets/forest.png");
    std::fs::remove_file(&asset).unwrap();
    std::os::unix::fs::symlink(&outside, &asset).unwrap();
    let ws = tmp.path().join("ws");
    let o = genpath(&ws).arg("--curriculum").arg(&cur).arg("path").output().unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    let e = stderr(&o);
    assert!(e.contains("exercise.toml:") && e.contains("symbolic link to a file outside the exercise folder"), "{e}");
    // A link that stays inside the exercise folder is fine.
    std::fs::remove_file(&asset).unwrap();
    std::fs::copy(&outside, cur.join("exercises/control/restyle/assets/real.png")).unwrap();
    std::os::unix::fs::symlink("real.png", &asset).unwrap();
    let o = genpath(&ws).arg("--curriculum").arg(&cur).arg("path").output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn collect_reproduce_never_reads_the_instructors_files_at_a_bundles_absolute_paths() {
    let tmp = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    // The learner points [init] at an absolute path; on their machine it works.
    let ws = tmp.path().join("ada");
    assert!(genpath(&ws).arg("init").arg(&ws).args(["--id", "ada"]).output().unwrap().status.success());
    let init = tmp.path().join("shared-drive").join("forest.png");
    std::fs::create_dir_all(init.parent().unwrap()).unwrap();
    std::fs::copy(root.join("exercises/control/restyle/assets/forest.png"), &init).unwrap();
    let solution = std::fs::read_to_string(root.join("exercises/control/restyle/solution/recipe.toml")).unwrap();
    let recipe = ws.join("recipes/control.restyle/recipe.toml");
    std::fs::create_dir_all(recipe.parent().unwrap()).unwrap();
    std::fs::write(&recipe, solution.replace("assets/forest.png", init.to_str().unwrap())).unwrap();
    let o = run(&ws, &["run", "control.restyle", "--force", "--no-images"]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    let outbox = tmp.path().join("outbox");
    assert!(run(&ws, &["submit", "control.restyle", "--out", outbox.to_str().unwrap()]).status.success());

    // The instructor's machine has a file at that very path (here: the same
    // machine). Reproducing must not read it: the bundle does not carry it.
    let teacher = tmp.path().join("teacher");
    assert!(genpath(&teacher).arg("init").arg(&teacher).args(["--id", "t"]).output().unwrap().status.success());
    let o = run(&teacher, &["collect", outbox.to_str().unwrap(), "--reproduce"]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("NOT reproduced"), "{}", stdout(&o));
    let db = rusqlite::Connection::open(teacher.join("genpath.db")).unwrap();
    let note: String = db.query_row("SELECT reproduce_note FROM submissions", [], |r| r.get(0)).unwrap();
    assert!(note.contains("does not travel with it"), "{note}");
}

#[test]
fn a_huge_image_is_measured_on_a_bounded_copy() {
    // 8000×8000 cost 9–13 s and 570 MB per check: the checks now hold at most 2048² pixels.
    let img = image::RgbImage::from_fn(8000, 6000, |x, y| image::Rgb([(x % 256) as u8, (y % 256) as u8, 90]));
    let mut png = Vec::new();
    image::DynamicImage::ImageRgb8(img).write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png).unwrap();
    let loaded = genpath::checks::Image::load("big.png", png);
    let d = loaded.pixels().unwrap();
    assert_eq!((d.width, d.height), (8000, 6000), "the file's own size is reported");
    assert_eq!(d.rgb.dimensions(), (2048, 1536));
    assert_eq!(loaded.working().unwrap().dimensions(), (512, 384));
}

#[test]
fn ctrl_c_stops_a_pipeline_run_cleanly() {
    let (tmp, ws) = workspace();
    let config = ws.join("genpath.toml");
    let base = std::fs::read_to_string(&config).unwrap();
    std::fs::write(&config, format!("{base}\n[backends.slow]\nkind = \"builtin\"\nservice = {{ latency_ms = 400 }}\n"))
        .unwrap();
    let file = tmp.path().join("p.toml");
    std::fs::write(
        &file,
        "name = \"p\"\noutput = \"{n}.png\"\n[base]\nprompt = \"a mug {n}\"\nseed = 1\nwidth = 64\nheight = 64\n[matrix]\nn = [\"1\", \"2\", \"3\", \"4\", \"5\", \"6\", \"7\", \"8\", \"9\", \"10\"]\n[run]\nbackends = [\"slow\"]\nconcurrency = 1\n",
    )
    .unwrap();
    let child = genpath(&ws)
        .args(["pipeline", "run", file.to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the run is recorded, then interrupt it as a terminal would.
    let db = ws.join("genpath.db");
    for _ in 0..600 {
        let running = rusqlite::Connection::open(&db)
            .and_then(|c| c.query_row("SELECT COUNT(*) FROM pipeline_runs", [], |r| r.get::<_, i64>(0)))
            .unwrap_or(0);
        if running > 0 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let kill = std::process::Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(kill.success());
    let o = child.wait_with_output().unwrap();
    assert!(o.status.code().is_some(), "killed by the signal instead of stopping: {:?}", o.status);
    let conn = rusqlite::Connection::open(&db).unwrap();
    let (status, message): (String, String) =
        conn.query_row("SELECT status, message FROM pipeline_runs", [], |r| Ok((r.get(0)?, r.get(1)?))).unwrap();
    assert_eq!((status.as_str(), message.as_str()), ("stopped", "cancelled"), "{}", stderr(&o));
    let done: i64 =
        conn.query_row("SELECT COUNT(*) FROM pipeline_jobs WHERE status = 'done'", [], |r| r.get(0)).unwrap();
    assert!(done < 10, "the run was not interrupted");
}
