//! Rebuild when the embedded curriculum changes (include_dir cannot tell cargo on stable).
fn main() {
    println!("cargo:rerun-if-changed=curriculum");
    println!("cargo:rerun-if-changed=exercises");
}
