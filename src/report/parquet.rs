//! One table written as Parquet (snappy), a row group every [`ROWS_PER_GROUP`] rows, so memory
//! stays flat however many articles stream past.

use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use parquet::basic::{Compression, LogicalType, Repetition, Type as Physical};
use parquet::data_type::{ByteArray, ByteArrayType, DoubleType, Int64Type};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::types::Type;

use super::tables::{Kind, Spec, Value};

/// Rows buffered before a row group is written.
pub const ROWS_PER_GROUP: usize = 65_536;

/// A column's values waiting for the next row group.
enum Column {
    Str(Vec<ByteArray>),
    OptStr(Vec<ByteArray>, Vec<i16>),
    Int(Vec<i64>),
    Float(Vec<f64>),
}

/// A Parquet file being written.
pub struct ParquetSink {
    writer: SerializedFileWriter<File>,
    columns: Vec<Column>,
    rows: usize,
    path: String,
}

fn schema(spec: &Spec) -> Result<Type, String> {
    let fields = spec
        .columns
        .iter()
        .map(|&(name, kind)| {
            let (physical, repetition) = match kind {
                Kind::Str => (Physical::BYTE_ARRAY, Repetition::REQUIRED),
                Kind::OptStr => (Physical::BYTE_ARRAY, Repetition::OPTIONAL),
                Kind::Int => (Physical::INT64, Repetition::REQUIRED),
                Kind::Float => (Physical::DOUBLE, Repetition::REQUIRED),
            };
            let text = matches!(kind, Kind::Str | Kind::OptStr);
            Type::primitive_type_builder(name, physical)
                .with_repetition(repetition)
                .with_logical_type(text.then_some(LogicalType::String))
                .build()
                .map(Arc::new)
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| e.to_string())?;
    Type::group_type_builder(spec.name)
        .with_fields(fields)
        .build()
        .map_err(|e| e.to_string())
}

impl ParquetSink {
    /// Creates `path` with the table's schema.
    pub fn create(path: &Path, spec: &Spec) -> Result<Self, String> {
        let shown = path.display().to_string();
        let file = File::create(path).map_err(|e| format!("{shown}: cannot create: {e}"))?;
        let props = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .set_created_by(format!("newslens {}", env!("CARGO_PKG_VERSION")))
            .build();
        let writer = SerializedFileWriter::new(file, Arc::new(schema(spec)?), Arc::new(props))
            .map_err(|e| format!("{shown}: {e}"))?;
        let columns = spec
            .columns
            .iter()
            .map(|c| match c.1 {
                Kind::Str => Column::Str(Vec::new()),
                Kind::OptStr => Column::OptStr(Vec::new(), Vec::new()),
                Kind::Int => Column::Int(Vec::new()),
                Kind::Float => Column::Float(Vec::new()),
            })
            .collect();
        Ok(ParquetSink {
            writer,
            columns,
            rows: 0,
            path: shown,
        })
    }

    /// Buffers a row; writes a row group when enough are buffered.
    pub fn push(&mut self, row: &[Value]) -> Result<(), String> {
        for (col, v) in self.columns.iter_mut().zip(row) {
            match (col, v) {
                (Column::Str(xs), Value::Str(s)) => xs.push(ByteArray::from(s.as_str())),
                (Column::OptStr(xs, defs), Value::OptStr(s)) => {
                    defs.push(i16::from(s.is_some()));
                    if let Some(s) = s {
                        xs.push(ByteArray::from(s.as_str()));
                    }
                }
                (Column::Int(xs), Value::Int(i)) => xs.push(*i),
                (Column::Float(xs), Value::Float(f)) => xs.push(*f),
                _ => return Err(format!("{}: a value does not fit its column", self.path)),
            }
        }
        self.rows += 1;
        if self.rows >= ROWS_PER_GROUP {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), String> {
        let err = |e: parquet::errors::ParquetError| format!("{}: {e}", self.path);
        let mut group = self.writer.next_row_group().map_err(err)?;
        for col in &mut self.columns {
            let Some(mut w) = group.next_column().map_err(err)? else {
                break;
            };
            match col {
                Column::Str(xs) => {
                    w.typed::<ByteArrayType>()
                        .write_batch(xs, None, None)
                        .map_err(err)?;
                    xs.clear();
                }
                Column::OptStr(xs, defs) => {
                    w.typed::<ByteArrayType>()
                        .write_batch(xs, Some(defs), None)
                        .map_err(err)?;
                    xs.clear();
                    defs.clear();
                }
                Column::Int(xs) => {
                    w.typed::<Int64Type>()
                        .write_batch(xs, None, None)
                        .map_err(err)?;
                    xs.clear();
                }
                Column::Float(xs) => {
                    w.typed::<DoubleType>()
                        .write_batch(xs, None, None)
                        .map_err(err)?;
                    xs.clear();
                }
            }
            w.close().map_err(err)?;
        }
        group.close().map_err(err)?;
        self.rows = 0;
        Ok(())
    }

    /// Writes what is buffered and the footer.
    pub fn finish(mut self) -> Result<(), String> {
        if self.rows > 0 {
            self.flush()?;
        }
        let path = self.path.clone();
        self.writer
            .close()
            .map(|_| ())
            .map_err(|e| format!("{path}: {e}"))
    }
}
