//! Finding and loading `libonnxruntime.so` (ONNX Runtime is loaded at run time).

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use ort::environment::Environment;

use super::ModelError;

/// File name of the ONNX Runtime shared library.
const LIB_NAME: &str = "libonnxruntime.so";

/// The places searched for the library, in order.
pub fn candidate_paths() -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Some(p) = std::env::var_os("ORT_DYLIB_PATH") {
        out.push(PathBuf::from(p));
        return out;
    }
    if let Ok(exe) = std::env::current_exe() {
        if let Some(dir) = exe.parent() {
            out.push(dir.join(LIB_NAME));
            out.push(dir.join("lib").join(LIB_NAME));
        }
    }
    out.push(
        Path::new(env!("NEWSLENS_ROOT"))
            .join(".onnxruntime/lib")
            .join(LIB_NAME),
    );
    out.push(PathBuf::from(".onnxruntime/lib").join(LIB_NAME));
    out
}

static ENV: OnceLock<Result<Environment, String>> = OnceLock::new();

/// The process-wide ONNX Runtime environment, loading the library on first use.
pub fn environment() -> Result<&'static Environment, ModelError> {
    ENV.get_or_init(|| {
        let candidates = candidate_paths();
        let Some(lib) = candidates.iter().find(|p| p.is_file()) else {
            let list: Vec<String> = candidates.iter().map(|p| p.display().to_string()).collect();
            return Err(format!(
                "ONNX Runtime library not found (looked in: {}). Run `make setup` in the newslens \
                 folder, or set ORT_DYLIB_PATH to a libonnxruntime.so (onnxruntime 1.32)",
                list.join(", ")
            ));
        };
        let builder = ort::init_from(lib)
            .map_err(|e| format!("cannot load ONNX Runtime from {}: {e}", lib.display()))?;
        builder
            .with_name("newslens")
            .build()
            .map_err(|e| format!("cannot start ONNX Runtime from {}: {e}", lib.display()))
    })
    .as_ref()
    .map_err(|e| ModelError::Runtime(e.clone()))
}
