//! Hostile bundles: each is refused with a clear reason and nothing from it
//! is written — no files in the instructor's workspace (or outside it), no
//! rows in the database.

use std::io::{Cursor, Read, Write};
use std::path::{Path, PathBuf};

use crate::common::*;

const FIRST: &str = "fluency.first-image";

/// A real bundle from a learner who solved the first exercise.
fn real_bundle(tmp: &Path) -> Vec<u8> {
    let ws = tmp.join("ada");
    let o = genpath(&ws).arg("init").arg(&ws).args(["--id", "ada"]).output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dest = ws.join("recipes").join(FIRST).join("recipe.toml");
    std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
    std::fs::copy(root.join("exercises/fluency/first-image/solution/recipe.toml"), dest).unwrap();
    assert!(run(&ws, &["run", FIRST, "--no-images"]).status.success());
    let out = tmp.join("outbox");
    let o = run(&ws, &["submit", FIRST, "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let file = std::fs::read_dir(&out).unwrap().next().unwrap().unwrap().path();
    std::fs::read(file).unwrap()
}

/// The entries of a zip, in order.
fn entries(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    (0..zip.len())
        .map(|i| {
            let mut f = zip.by_index(i).unwrap();
            let mut data = Vec::new();
            f.read_to_end(&mut data).unwrap();
            (f.name().unwrap().to_string(), data)
        })
        .collect()
}

fn rezip(entries: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, data) in entries {
        zip.start_file(name.as_str(), opts).unwrap();
        zip.write_all(data).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

/// One entry of a hand-written zip, with whatever its headers claim.
struct RawEntry<'a> {
    name: &'a str,
    /// 0 stored, 8 deflated.
    method: u16,
    crc: u32,
    /// The declared uncompressed size.
    size: u32,
    data: &'a [u8],
    unix_mode: u32,
}

/// A zip written by hand, so its headers can say what a hostile tool would.
fn raw_zip(files: &[RawEntry<'_>]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for RawEntry { name, method, crc, size, data, unix_mode: mode } in files {
        let offset = out.len() as u32;
        out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        out.extend_from_slice(&[20, 0, 0, 0]);
        out.extend_from_slice(&method.to_le_bytes());
        out.extend_from_slice(&[0, 0, 0x21, 0]); // time, date
        out.extend_from_slice(&crc.to_le_bytes());
        out.extend_from_slice(&(data.len() as u32).to_le_bytes());
        out.extend_from_slice(&size.to_le_bytes());
        out.extend_from_slice(&(name.len() as u16).to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(data);
        central.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        central.extend_from_slice(&[20, 3, 20, 0, 0, 0]); // made by unix, version, flags
        central.extend_from_slice(&method.to_le_bytes());
        central.extend_from_slice(&[0, 0, 0x21, 0]);
        central.extend_from_slice(&crc.to_le_bytes());
        central.extend_from_slice(&(data.len() as u32).to_le_bytes());
        central.extend_from_slice(&size.to_le_bytes());
        central.extend_from_slice(&(name.len() as u16).to_le_bytes());
        central.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0]); // extra, comment, disk, internal attrs
        central.extend_from_slice(&(mode << 16).to_le_bytes());
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(name.as_bytes());
    }
    let cd_offset = out.len() as u32;
    out.extend_from_slice(&central);
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    out.extend_from_slice(&[0, 0, 0, 0]);
    out.extend_from_slice(&(files.len() as u16).to_le_bytes());
    out.extend_from_slice(&(files.len() as u16).to_le_bytes());
    out.extend_from_slice(&(central.len() as u32).to_le_bytes());
    out.extend_from_slice(&cd_offset.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

/// A raw deflate stream that inflates to `n` zero bytes: one literal, then
/// back-references of 258 bytes at distance 1 (13 bits each, fixed Huffman
/// codes) — about 13 MB for 2 GiB.
fn zero_bomb(n: u64) -> Vec<u8> {
    struct Bits {
        out: Vec<u8>,
        acc: u64,
        len: u32,
    }
    impl Bits {
        fn push(&mut self, value: u64, bits: u32) {
            self.acc |= value << self.len;
            self.len += bits;
            while self.len >= 8 {
                self.out.push(self.acc as u8);
                self.acc >>= 8;
                self.len -= 8;
            }
        }
    }
    let rev = |code: u64, bits: u32| (0..bits).fold(0, |acc, i| acc | (((code >> i) & 1) << (bits - 1 - i)));
    let mut b = Bits { out: Vec::with_capacity((n / 258 * 13 / 8 + 16) as usize), acc: 0, len: 0 };
    b.push(1, 1); // final block
    b.push(1, 2); // fixed Huffman codes
    b.push(rev(0x30, 8), 8); // literal 0
    let reference = rev(0xC5, 8); // length 258 (symbol 285); distance code 0 (5 zero bits) follows
    let mut left = n - 1;
    while left >= 258 {
        b.push(reference, 13);
        left -= 258;
    }
    for _ in 0..left {
        b.push(rev(0x30, 8), 8);
    }
    b.push(0, 7); // end of block
    b.push(0, 7);
    b.out
}

struct Instructor {
    _tmp: tempfile::TempDir,
    ws: PathBuf,
    bundle: Vec<u8>,
}

fn instructor() -> Instructor {
    let tmp = tempfile::tempdir().unwrap();
    let bundle = real_bundle(tmp.path());
    let ws = tmp.path().join("teacher");
    let o = genpath(&ws).arg("init").arg(&ws).args(["--id", "teacher"]).output().unwrap();
    assert!(o.status.success());
    Instructor { _tmp: tmp, ws, bundle }
}

/// Collect `bytes` as a bundle; it must be refused for `reason` with nothing written.
fn assert_refused(inst: &Instructor, name: &str, bytes: &[u8], reason: &str) {
    let inbox = inst.ws.parent().unwrap().join(format!("inbox-{name}"));
    std::fs::create_dir_all(&inbox).unwrap();
    let file = inbox.join(format!("ada+{FIRST}+{name}.genpath"));
    std::fs::write(&file, bytes).unwrap();
    let o = run(&inst.ws, &["collect", file.to_str().unwrap(), "--reproduce"]);
    assert_eq!(o.status.code(), Some(1), "{name}: {}{}", stdout(&o), stderr(&o));
    let out = stdout(&o);
    eprintln!("{name}: {}", out.trim());
    assert!(out.contains("refused ") && out.contains(reason), "{name}: expected {reason:?} in {out}");
    assert!(stderr(&o).contains("nothing was imported"), "{}", stderr(&o));
    // Nothing on disk: no submissions folder content, nothing beside the inbox.
    let subs = inst.ws.join("submissions");
    let left: Vec<_> = walk(&subs);
    assert!(left.is_empty(), "{name}: files written: {left:?}");
    assert_eq!(std::fs::read_dir(&inbox).unwrap().count(), 1, "{name}: wrote into the inbox");
    for escaped in ["evil.txt", "../evil.txt"] {
        assert!(!inst.ws.join(escaped).exists() && !subs.join(escaped).exists(), "{name}: {escaped} escaped");
    }
    let db = rusqlite::Connection::open(inst.ws.join("genpath.db")).unwrap();
    for table in ["submissions", "submission_checks", "learner_history", "milestones"] {
        let n: i64 = db.query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0)).unwrap();
        assert_eq!(n, 0, "{name}: {table} has rows");
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let Ok(read) = std::fs::read_dir(dir) else { return Vec::new() };
    read.flatten().flat_map(|e| if e.path().is_dir() { walk(&e.path()) } else { vec![e.path()] }).collect()
}

#[test]
fn hostile_bundles_are_refused_and_nothing_is_written() {
    let inst = instructor();
    let good = entries(&inst.bundle);
    assert!(good.iter().any(|(n, _)| n == "manifest.json"));

    // Path traversal, with the manifest listing it so only the path is wrong.
    let mut traversal = good.clone();
    traversal.push(("../evil.txt".into(), b"owned".to_vec()));
    assert_refused(&inst, "traversal", &rezip(&traversal), "unsafe entry name \"../evil.txt\"");
    let mut absolute = good.clone();
    absolute.push(("/tmp/evil.txt".into(), b"owned".to_vec()));
    assert_refused(&inst, "absolute", &rezip(&absolute), "unsafe entry name");

    // A tampered image: the bytes changed, the manifest did not.
    let mut tampered = good.clone();
    let img = tampered.iter_mut().find(|(n, _)| n == "images/01.png").unwrap();
    let last = img.1.len() - 20;
    img.1[last] ^= 0xff;
    assert_refused(&inst, "tampered", &rezip(&tampered), "images/01.png does not match its sha256");

    // An exercise id that would climb out of the submissions folder, with the
    // manifest re-listed so only the id is wrong.
    let mut climbing = good.clone();
    let sub = climbing.iter_mut().find(|(n, _)| n == "submission.json").unwrap();
    let mut json: serde_json::Value = serde_json::from_slice(&sub.1).unwrap();
    json["exercise"] = "../../outside.x".into();
    sub.1 = serde_json::to_vec(&json).unwrap();
    let (bytes, sha) = (sub.1.len(), genpath::hash::sha256_hex(&sub.1));
    let man = climbing.iter_mut().find(|(n, _)| n == "manifest.json").unwrap();
    let mut manifest: serde_json::Value = serde_json::from_slice(&man.1).unwrap();
    for f in manifest["files"].as_array_mut().unwrap() {
        if f["path"] == "submission.json" {
            f["bytes"] = bytes.into();
            f["sha256"] = sha.clone().into();
        }
    }
    man.1 = serde_json::to_vec(&manifest).unwrap();
    assert_refused(&inst, "climbing", &rezip(&climbing), "'../../outside.x' is not an exercise id");

    // A file added without being in the manifest.
    let mut smuggled = good.clone();
    smuggled.push(("answer/extra.toml".into(), b"x".to_vec()));
    assert_refused(&inst, "unlisted", &rezip(&smuggled), "not in its manifest");

    // A truncated archive.
    let cut = &inst.bundle[..inst.bundle.len() / 2];
    assert_refused(&inst, "truncated", cut, "truncated or not a zip archive");
    assert_refused(&inst, "empty", b"", "truncated or not a zip archive");

    // A manifest of another version.
    let mut newer = good.clone();
    let m = newer.iter_mut().find(|(n, _)| n == "manifest.json").unwrap();
    let text = String::from_utf8(m.1.clone()).unwrap().replace("\"version\": 1", "\"version\": 2");
    m.1 = text.into_bytes();
    assert_refused(&inst, "version", &rezip(&newer), "bundle format version 2; this genpath reads version 1");

    // A 2 GiB decompression bomb, declared honestly…
    let two_gib: u64 = 2 << 30;
    let bomb = zero_bomb(two_gib);
    assert!(bomb.len() < 16 << 20, "the bomb is small: {}", bomb.len());
    let entry =
        |size: u32| RawEntry { name: "images/02.png", method: 8, crc: 0, size, data: &bomb, unix_mode: 0o100644 };
    let honest = raw_zip(&[entry((two_gib - 1) as u32)]);
    assert_refused(&inst, "bomb", &honest, "would decompress to more than");
    // …and lying: the header says 1 KB, the stream inflates to 2 GiB.
    let lying = raw_zip(&[entry(1024)]);
    assert_refused(&inst, "lying-bomb", &lying, "\"images/02.png\" is damaged: File is larger than its declared");

    // A symbolic link entry.
    let link = raw_zip(&[RawEntry {
        name: "answer/link",
        method: 0,
        crc: 0,
        size: 11,
        data: b"/etc/passwd",
        unix_mode: 0o120777,
    }]);
    assert_refused(&inst, "symlink", &link, "symbolic link");

    // Two entries with one name, the altered one first: zip tools disagree on
    // which counts, so the instructor could grade other bytes than were sent.
    fn stored((name, data): &(String, Vec<u8>)) -> RawEntry<'_> {
        RawEntry {
            name: name.as_str(),
            method: 0,
            crc: crc32fast::hash(data),
            size: data.len() as u32,
            data: data.as_slice(),
            unix_mode: 0o100644,
        }
    }
    let mut altered = good.iter().find(|(n, _)| n == "images/01.png").unwrap().clone();
    let at = altered.1.len() - 20;
    altered.1[at] ^= 0xff;
    let mut dup: Vec<RawEntry<'_>> = vec![stored(&altered)];
    dup.extend(good.iter().map(stored));
    assert_refused(&inst, "duplicate", &raw_zip(&dup), "duplicate names");

    // The untouched bundle is accepted after all that, and a staging folder
    // left by a collect that was killed (its process is gone) is cleared away.
    let abandoned = inst.ws.join("submissions").join(".staging-4000000-0123456789ab");
    std::fs::create_dir_all(abandoned.join("images")).unwrap();
    std::fs::write(abandoned.join("images").join("01.png"), b"half").unwrap();
    let file = inst.ws.parent().unwrap().join("good.genpath");
    std::fs::write(&file, &inst.bundle).unwrap();
    let o = run(&inst.ws, &["collect", file.to_str().unwrap()]);
    assert!(o.status.success() && stdout(&o).contains("re-check passed"), "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("removed 1 half-unpacked submission(s)"), "{}", stdout(&o));
    assert!(!abandoned.exists());
}

#[test]
fn the_bomb_really_inflates_to_two_gib() {
    // Proves the fixture: inflate (streaming, nothing kept) and count.
    let bomb = zero_bomb(2 << 30);
    let mut inflater = flate2::read::DeflateDecoder::new(&bomb[..]);
    let mut buf = vec![0u8; 1 << 20];
    let mut total = 0u64;
    loop {
        let n = inflater.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        total += n as u64;
    }
    assert_eq!(total, 2 << 30);
}

/// The state a `kill -9` leaves at each step of a collect, and what the next
/// collect makes of it: never a second copy, never a lost submission.
#[test]
fn a_collect_killed_between_unpacking_and_recording_is_recovered() {
    let inst = instructor();
    let file = inst.ws.parent().unwrap().join("good.genpath");
    std::fs::write(&file, &inst.bundle).unwrap();
    let o = run(&inst.ws, &["collect", file.to_str().unwrap()]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    let folders = || walk(&inst.ws.join("submissions")).into_iter().filter(|p| p.ends_with("bundle.genpath")).count();
    assert_eq!(folders(), 1);
    let dir = walk(&inst.ws.join("submissions"))
        .into_iter()
        .find(|p| p.ends_with("bundle.genpath"))
        .unwrap()
        .parent()
        .unwrap()
        .to_path_buf();
    let db = || rusqlite::Connection::open(inst.ws.join("genpath.db")).unwrap();
    let rows = || db().query_row("SELECT COUNT(*) FROM submissions", [], |r| r.get::<_, i64>(0)).unwrap();

    // Killed after the folder was moved into place, before the row committed:
    // the folder carries the dead process's marker and has no row.
    db().execute_batch("DELETE FROM submission_checks; DELETE FROM submissions;").unwrap();
    std::fs::write(dir.join(".collecting"), "4000000").unwrap();
    let o = run(&inst.ws, &["collect", file.to_str().unwrap()]);
    assert!(o.status.success() && stdout(&o).contains("re-check passed"), "{}{}", stdout(&o), stderr(&o));
    assert_eq!((folders(), rows()), (1, 1), "the orphan was stored again as a copy");
    assert!(!dir.join(".collecting").exists());

    // Killed after the row committed, before the marker was removed: the row stays, the marker goes.
    std::fs::write(dir.join(".collecting"), "4000000").unwrap();
    let o = run(&inst.ws, &["collect", file.to_str().unwrap()]);
    assert!(o.status.success() && stdout(&o).contains("already collected"), "{}{}", stdout(&o), stderr(&o));
    assert_eq!((folders(), rows()), (1, 1));
    assert!(!dir.join(".collecting").exists());
}
