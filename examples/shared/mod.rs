//! What the measurement examples share (not an example itself: Cargo finds
//! examples as `examples/*.rs` and `examples/*/main.rs` only).

/// Every picture below `dir` (PNG or JPEG), sorted, control maps and masks
/// left out: they are not pictures.
pub fn images_below(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else { return };
    let mut entries: Vec<_> = rd.flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            images_below(&p, out);
        } else if p.extension().is_some_and(|x| x == "png" || x == "jpg" || x == "jpeg") {
            // Control maps and masks are not pictures.
            let name = p.file_name().unwrap().to_string_lossy().to_string();
            if !(name.starts_with("control") || name.starts_with("mask") || name.contains("map")) {
                out.push(p);
            }
        }
    }
}
