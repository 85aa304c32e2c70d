//! Records the project root so the binary can find the project-local ONNX Runtime library.
fn main() {
    println!(
        "cargo:rustc-env=NEWSLENS_ROOT={}",
        env!("CARGO_MANIFEST_DIR")
    );
    println!("cargo:rerun-if-changed=build.rs");
}
