//! Weights shared by every session of one model: the large initializers of model.onnx are read
//! once and handed to each session (ONNX Runtime's `AddInitializer`), and a shared pre-packed
//! weights container lets the sessions reuse one pre-packed copy of the integer MatMul weights.
//! Without them every session held its own copies: each worker cost ~137 MB instead of ~72 MB.

use std::path::Path;
use std::sync::Arc;

use ort::session::builder::PrepackedWeights;
use ort::value::{DynValue, Tensor};
use prost::Message;

use super::ModelError;

/// Tensors smaller than this stay in each session's own graph (scales, biases, shapes).
const SHARED_BYTES: usize = 64 * 1024;

/// The initializers that every session of a model reads from one place.
pub(crate) struct SharedWeights {
    /// (name, tensor) pairs passed to each session builder.
    pub(crate) initializers: Vec<(String, Arc<DynValue>)>,
    /// One pre-packed copy of the weights for all the sessions.
    pub(crate) prepacked: PrepackedWeights,
}

// The few fields of onnx.proto that name and hold an initializer; prost skips the rest.
#[derive(Clone, PartialEq, Message)]
struct ModelProto {
    #[prost(message, optional, tag = "7")]
    graph: Option<GraphProto>,
}

#[derive(Clone, PartialEq, Message)]
struct GraphProto {
    #[prost(message, repeated, tag = "5")]
    initializer: Vec<TensorProto>,
}

#[derive(Clone, PartialEq, Message)]
struct TensorProto {
    #[prost(int64, repeated, tag = "1")]
    dims: Vec<i64>,
    #[prost(int32, tag = "2")]
    data_type: i32,
    #[prost(string, tag = "8")]
    name: String,
    #[prost(bytes = "vec", tag = "9")]
    raw_data: Vec<u8>,
}

// onnx.proto TensorProto.DataType
const FLOAT: i32 = 1;
const UINT8: i32 = 2;
const INT8: i32 = 3;

impl SharedWeights {
    /// Reads the large float, uint8 and int8 initializers of `onnx`.
    pub(crate) fn load(onnx: &Path) -> Result<Self, ModelError> {
        let bad = |message: String| ModelError::File {
            path: onnx.to_path_buf(),
            message,
        };
        let bytes = std::fs::read(onnx).map_err(|e| bad(format!("cannot read: {e}")))?;
        let model = ModelProto::decode(bytes.as_slice())
            .map_err(|e| bad(format!("not an ONNX model ({e})")))?;
        let mut initializers = Vec::new();
        for tensor in model.graph.map(|g| g.initializer).unwrap_or_default() {
            let TensorProto {
                dims,
                data_type,
                name,
                raw_data,
            } = tensor;
            if raw_data.len() < SHARED_BYTES {
                continue;
            }
            let value = match data_type {
                FLOAT => Tensor::from_array((dims, floats(&raw_data))).map(|v| v.into_dyn()),
                UINT8 => Tensor::from_array((dims, raw_data)).map(|v| v.into_dyn()),
                INT8 => Tensor::from_array((
                    dims,
                    raw_data.iter().map(|&b| b as i8).collect::<Vec<_>>(),
                ))
                .map(|v| v.into_dyn()),
                _ => continue,
            }
            .map_err(|e| bad(format!("initializer `{name}`: {e}")))?;
            initializers.push((name, Arc::new(value)));
        }
        Ok(Self {
            initializers,
            prepacked: PrepackedWeights::new(),
        })
    }
}

/// Little-endian f32s of an ONNX raw_data field.
fn floats(raw: &[u8]) -> Vec<f32> {
    raw.chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}
