//! Checkpoints of a whole subspace training state, written atomically.

use std::fs;
use std::path::{Path, PathBuf};

use burn::module::{Module, ModuleDisplay};
use burn::optim::{ModuleOptimizer, OptimizerRecord};
use burn::store::ModuleRecord;
use burn::tensor::Bytes;
use subspace_core::{PointSchedule, Shape, Sharing, write_atomic};
use thiserror::Error;

use crate::subspace::Subspace;

const MAGIC: &[u8; 8] = b"SSBURNCK";

/// The version of the checkpoint container this crate writes and reads.
pub const CHECKPOINT_VERSION: u32 = 1;

/// Bytes before the records: magic, version, step, seed, shape, sharing, two lengths.
const HEADER_LEN: usize = 8 + 4 + 8 + 8 + 9 + 1 + 8 + 8;
const CRC_LEN: usize = 4;

/// Why a checkpoint could not be written or read; every variant names the file.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum CheckpointError {
    /// The file system failed.
    #[error("cannot {action} checkpoint {path:?}: {source}")]
    Io {
        /// What was being done (`"write"`, `"read"`, ...).
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The file system's error.
        source: std::io::Error,
    },
    /// The file ends before the checkpoint does.
    #[error("checkpoint {path:?} is truncated: expected {expected} bytes, found {found}")]
    Truncated {
        /// The file.
        path: PathBuf,
        /// The length the header announces (or the header's own length).
        expected: u64,
        /// The file's length.
        found: u64,
    },
    /// The bytes are not a valid checkpoint (wrong magic, version, checksum or record).
    #[error("checkpoint {path:?} is corrupt: {reason}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What was wrong, and what was expected.
        reason: String,
    },
    /// The checkpoint does not fit the subspace it is resumed into.
    #[error("checkpoint {path:?} does not fit the subspace: {reason}")]
    Mismatch {
        /// The file.
        path: PathBuf,
        /// What differs.
        reason: String,
    },
    /// burn could not encode the records.
    #[error("cannot encode checkpoint {path:?}: {reason}")]
    Encode {
        /// The file.
        path: PathBuf,
        /// burn's message.
        reason: String,
    },
}

/// A checkpoint read from a file and verified (length, checksum, records), not yet applied.
///
/// A checkpoint holds the whole subspace training state: every copy (with its parameter ids and
/// the region's running statistics), the optimizer state of every copy, the point schedule
/// (shape, sharing, seed: the only randomness of the plugin, SPEC.md §3) and the step.
///
/// The copies are stored as a burn record (burnpack, burn's own format:
/// [`ModuleRecord`](burn::store::ModuleRecord)), the optimizer state as its
/// [`CheckpointOptimizer`] encodes it (burn's [`OptimizerRecord`] for burn optimizers), wrapped
/// in a small container:
///
/// | bytes | content |
/// |---|---|
/// | 8 | magic `SSBURNCK` |
/// | 4 | format version, little endian ([`CHECKPOINT_VERSION`]) |
/// | 8 | step |
/// | 8 | seed |
/// | 1 + 8 | shape: kind (0 point, 1 line, 2 Bezier, 3 simplex) and its degree or vertices |
/// | 1 | sharing (0 shared, 1 layerwise) |
/// | 8 + 8 | lengths of the two records |
/// | … | the module record, then the optimizer state |
/// | 4 | CRC-32 of everything before it |
///
/// Writes go to a temporary file in the same directory, are flushed to disk and renamed over
/// the target, so the file at the path is always a whole checkpoint (the previous one until the
/// rename). A truncated or corrupted file is reported as [`CheckpointError::Truncated`] or
/// [`CheckpointError::Corrupt`] before anything is loaded.
#[derive(Debug)]
pub struct Checkpoint {
    path: PathBuf,
    step: u64,
    schedule: PointSchedule,
    module: ModuleRecord,
    optimizer: Vec<u8>,
}

/// An optimizer whose state a [checkpoint](save_checkpoint) holds next to the copies: burn's
/// [`ModuleOptimizer`] (any burn optimizer, as burn's [`OptimizerRecord`]) or
/// [`SubspaceSgd`](crate::SubspaceSgd).
pub trait CheckpointOptimizer: Sized {
    /// The state, encoded.
    fn state_bytes(&self) -> Result<Vec<u8>, String>;

    /// `self` (a fresh optimizer of the saved kind) with the state `bytes` of `subspace`'s
    /// copies. Errors if the bytes are not this kind's state or do not fit the copies.
    fn with_state_bytes<M: Module + ModuleDisplay>(
        self,
        bytes: Vec<u8>,
        subspace: &Subspace<M>,
    ) -> Result<Self, String>;
}

impl CheckpointOptimizer for ModuleOptimizer {
    fn state_bytes(&self) -> Result<Vec<u8>, String> {
        let bytes = self.to_record().into_bytes().map_err(|e| e.to_string())?;
        Ok(bytes.to_vec())
    }

    /// burn's `load_record` skips, without an error, the state of every parameter it cannot
    /// rebuild (state of another optimizer kind): the state is recorded again after loading, and
    /// a record with fewer tensors than the saved one is an error.
    fn with_state_bytes<M: Module + ModuleDisplay>(
        self,
        bytes: Vec<u8>,
        _subspace: &Subspace<M>,
    ) -> Result<Self, String> {
        let record = OptimizerRecord::from_bytes(Bytes::from_bytes_vec(bytes))
            .map_err(|e| format!("not a burn optimizer record: {e}"))?;
        let saved = record.len();
        let loaded = self.load_record(record);
        let rebuilt = loaded.to_record().len();
        if rebuilt != saved {
            return Err(format!(
                "{saved} state tensors saved, {rebuilt} rebuilt by the given optimizer: expected \
                 an optimizer of the saved kind (e.g. Adam's moments do not load into SGD with \
                 momentum)"
            ));
        }
        Ok(loaded)
    }
}

/// Writes `subspace`, the state of `optimizer` and `step` (the index of the next step) to
/// `path` atomically.
pub fn save_checkpoint<M: Module + ModuleDisplay, O: CheckpointOptimizer>(
    path: impl AsRef<Path>,
    subspace: &Subspace<M>,
    optimizer: &O,
    step: u64,
) -> Result<(), CheckpointError> {
    let path = path.as_ref();
    let encode = |reason: burn::store::RecordError| CheckpointError::Encode {
        path: path.into(),
        reason: reason.to_string(),
    };
    // `valid` folds pending running-statistic updates into their values before recording.
    let module = subspace
        .valid()
        .into_record()
        .into_bytes()
        .map_err(encode)?;
    let optim = optimizer
        .state_bytes()
        .map_err(|reason| CheckpointError::Encode {
            path: path.into(),
            reason,
        })?;
    let schedule = subspace.config().schedule;
    let (kind, size) = match schedule.shape {
        Shape::Point => (0u8, 0u64),
        Shape::Line => (1, 0),
        Shape::Bezier { degree } => (2, degree as u64),
        Shape::Simplex { vertices } => (3, vertices as u64),
    };
    let mut bytes = Vec::with_capacity(HEADER_LEN + module.len() + optim.len() + CRC_LEN);
    bytes.extend_from_slice(MAGIC);
    bytes.extend_from_slice(&CHECKPOINT_VERSION.to_le_bytes());
    bytes.extend_from_slice(&step.to_le_bytes());
    bytes.extend_from_slice(&schedule.seed.to_le_bytes());
    bytes.push(kind);
    bytes.extend_from_slice(&size.to_le_bytes());
    bytes.push(match schedule.sharing {
        Sharing::Shared => 0,
        Sharing::Layerwise => 1,
    });
    bytes.extend_from_slice(&(module.len() as u64).to_le_bytes());
    bytes.extend_from_slice(&(optim.len() as u64).to_le_bytes());
    bytes.extend_from_slice(&module);
    bytes.extend_from_slice(&optim);
    let crc = crc32fast::hash(&bytes);
    bytes.extend_from_slice(&crc.to_le_bytes());
    write_atomic(path, &bytes).map_err(|e| CheckpointError::Io {
        action: e.action,
        path: e.path,
        source: e.source,
    })
}

/// A little-endian reader over the checkpoint's bytes (bounds checked by the caller).
struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Cursor<'_> {
    fn take(&mut self, n: usize) -> &[u8] {
        let out = &self.bytes[self.at..self.at + n];
        self.at += n;
        out
    }

    fn u8(&mut self) -> u8 {
        self.take(1)[0]
    }

    fn u32(&mut self) -> u32 {
        u32::from_le_bytes(self.array())
    }

    fn u64(&mut self) -> u64 {
        u64::from_le_bytes(self.array())
    }

    fn array<const N: usize>(&mut self) -> [u8; N] {
        self.take(N)
            .try_into()
            .unwrap_or_else(|_| unreachable!("take returns N bytes"))
    }
}

impl Checkpoint {
    /// Reads and verifies the checkpoint at `path`.
    ///
    /// Errors if the file cannot be read, is shorter than its header announces
    /// ([`CheckpointError::Truncated`]), or has a wrong magic, version, checksum or record
    /// ([`CheckpointError::Corrupt`]).
    pub fn read(path: impl AsRef<Path>) -> Result<Self, CheckpointError> {
        let path = path.as_ref();
        let bytes = fs::read(path).map_err(|source| CheckpointError::Io {
            action: "read",
            path: path.into(),
            source,
        })?;
        let corrupt = |reason: String| CheckpointError::Corrupt {
            path: path.into(),
            reason,
        };
        let truncated = |expected: usize| CheckpointError::Truncated {
            path: path.into(),
            expected: expected as u64,
            found: bytes.len() as u64,
        };
        if !bytes.starts_with(&MAGIC[..bytes.len().min(MAGIC.len())]) {
            return Err(corrupt(
                "it does not start with SSBURNCK: expected a subspace-burn checkpoint".into(),
            ));
        }
        if bytes.len() < HEADER_LEN + CRC_LEN {
            return Err(truncated(HEADER_LEN + CRC_LEN));
        }
        let mut cursor = Cursor {
            bytes: &bytes,
            at: MAGIC.len(),
        };
        let version = cursor.u32();
        if version != CHECKPOINT_VERSION {
            return Err(corrupt(format!(
                "format version {version}: expected {CHECKPOINT_VERSION}"
            )));
        }
        let step = cursor.u64();
        let seed = cursor.u64();
        let (kind, size) = (cursor.u8(), cursor.u64());
        let sharing = cursor.u8();
        let (module_len, optim_len) = (cursor.u64(), cursor.u64());
        let total = [module_len, optim_len]
            .into_iter()
            .try_fold(HEADER_LEN as u64 + CRC_LEN as u64, u64::checked_add)
            .filter(|&t| t <= usize::MAX as u64)
            .ok_or_else(|| corrupt("record lengths overflow".into()))? as usize;
        if bytes.len() < total {
            return Err(truncated(total));
        }
        if bytes.len() > total {
            return Err(corrupt(format!(
                "{} bytes after the checksum: expected the file to end there",
                bytes.len() - total
            )));
        }
        let (body, crc) = bytes.split_at(total - CRC_LEN);
        let stored = u32::from_le_bytes(
            crc.try_into()
                .unwrap_or_else(|_| unreachable!("the checksum has 4 bytes")),
        );
        let computed = crc32fast::hash(body);
        if stored != computed {
            return Err(corrupt(format!(
                "checksum {stored:08x} does not match the content ({computed:08x})"
            )));
        }
        let shape = match (kind, size) {
            (0, 0) => Ok(Shape::Point),
            (1, 0) => Ok(Shape::Line),
            (2, d) => Shape::bezier(d as usize),
            (3, n) => Shape::simplex(n as usize),
            _ => return Err(corrupt(format!("shape code ({kind}, {size}) is unknown"))),
        }
        .map_err(|e| corrupt(e.to_string()))?;
        let sharing = match sharing {
            0 => Sharing::Shared,
            1 => Sharing::Layerwise,
            other => return Err(corrupt(format!("sharing code {other} is unknown"))),
        };
        let module_bytes = cursor.take(module_len as usize).to_vec();
        let optimizer = cursor.take(optim_len as usize).to_vec();
        let module = ModuleRecord::from_bytes(Bytes::from_bytes_vec(module_bytes))
            .map_err(|e| corrupt(format!("module record: {e}")))?;
        Ok(Self {
            path: path.into(),
            step,
            schedule: PointSchedule::new(shape, sharing, seed),
            module,
            optimizer,
        })
    }

    /// The index of the next step.
    pub fn step(&self) -> u64 {
        self.step
    }

    /// The point schedule of the saved run.
    pub fn schedule(&self) -> PointSchedule {
        self.schedule
    }

    /// Loads the copies, their parameter ids and running statistics into `subspace` and the
    /// optimizer state into `optimizer` (a fresh one of the same kind), and restores the point
    /// schedule: training on from [`Checkpoint::step`] continues exactly like the saved run.
    ///
    /// Errors if the saved shape is not the subspace's, the saved parameters are not its
    /// parameters (paths, dims), or the saved optimizer state is not `optimizer`'s kind or does
    /// not fit the copies (for burn's optimizers: some saved state tensor is not rebuilt by
    /// `optimizer`, e.g. Adam's moments given to SGD with momentum; a state without tensors,
    /// plain SGD's, loads into any).
    pub fn resume<M: Module + ModuleDisplay, O: CheckpointOptimizer>(
        self,
        subspace: Subspace<M>,
        optimizer: O,
    ) -> Result<(Subspace<M>, O), CheckpointError> {
        if self.schedule.shape != subspace.shape() {
            return Err(CheckpointError::Mismatch {
                path: self.path,
                reason: format!(
                    "saved shape {}, the subspace is a {}",
                    self.schedule.shape,
                    subspace.shape()
                ),
            });
        }
        let path = self.path;
        let subspace = subspace
            .try_load_record(self.module)
            .map_err(|e| CheckpointError::Mismatch {
                path: path.clone(),
                reason: e.to_string(),
            })?
            .with_schedule(self.schedule);
        let optimizer = optimizer
            .with_state_bytes(self.optimizer, &subspace)
            .map_err(|reason| CheckpointError::Mismatch {
                path,
                reason: format!("optimizer state: {reason}"),
            })?;
        Ok((subspace, optimizer))
    }
}
