//! A framework-neutral file for the copies of a region: safetensors with subspace metadata
//! (format: [`REGION_FORMAT`]).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use safetensors::tensor::TensorView;
use safetensors::{Dtype, SafeTensorError, SafeTensors, serialize};
use thiserror::Error;

use crate::atomic_file::write_atomic;
use crate::backend::{Backend, HostTensor};
use crate::error::Error;
use crate::region::{Group, Region};
use crate::shape::Shape;

/// The value of `subspace.format`: the version of the region file this crate writes and reads.
///
/// Any adapter (burn, luminal, the reference) can write a trained region with [`save_region`]
/// and any other can read it back with [`load_region`], without naming each other's types.
///
/// A region file is a [safetensors](https://github.com/huggingface/safetensors) file with
///
/// - one `F32` tensor per copy of every group, named `"{group}/{copy}"`, e.g. `fc1.weight/0` and
///   `fc1.weight/1` for the two ends of a line (copy order as in [`Shape`]);
/// - string metadata:
///
/// | key | value |
/// |---|---|
/// | `subspace.format` | `subspace-region/1` |
/// | `subspace.shape` | `point`, `line`, `bezier:{degree}` or `simplex:{vertices}` |
/// | `subspace.groups` | the number of groups `G` |
/// | `subspace.group.{g}.name` | the name of group `g` (`g = 0 .. G-1`, the region's order) |
/// | `subspace.group.{g}.layer` | its layer index |
/// | `subspace.group.{g}.regularized` | `true` or `false` |
///
/// Files are written to a sibling temporary file and renamed into place, so a reader never sees
/// a partly written file.
pub const REGION_FORMAT: &str = "subspace-region/1";

/// Why a region file could not be written or read; every variant names the file.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum RegionFileError {
    /// The file system failed.
    #[error("cannot {action} region file {path:?}: {source}")]
    Io {
        /// `"read"`, or the step of the atomic write that failed (see
        /// [`AtomicWriteError`](crate::AtomicWriteError)).
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The error of the file system.
        source: std::io::Error,
    },
    /// The bytes are not a safetensors file (or the tensors could not be serialized).
    #[error("region file {path:?} is not valid safetensors: {reason}")]
    Format {
        /// The file.
        path: PathBuf,
        /// safetensors' own message.
        reason: String,
    },
    /// A metadata entry is missing or holds something else than expected.
    #[error("region file {path:?}: metadata `{key}` is {found}, expected {expected}")]
    Metadata {
        /// The file.
        path: PathBuf,
        /// The metadata key.
        key: String,
        /// What was found (`"missing"` when absent).
        found: String,
        /// What the format requires there.
        expected: String,
    },
    /// A tensor is missing, not `F32`, unexpected, or has other dims than its group.
    #[error("region file {path:?}: tensor `{name}` {problem}")]
    Tensor {
        /// The file.
        path: PathBuf,
        /// The tensor's name in the file.
        name: String,
        /// What is wrong with it, and what was expected.
        problem: String,
    },
    /// The copies do not form a valid region, or the backend failed to move them.
    #[error("region file {path:?}: {source}")]
    Region {
        /// The file.
        path: PathBuf,
        /// The region's or the backend's error.
        source: Error,
    },
}

/// Writes every copy of every group of `region` to `path` in the [`REGION_FORMAT`].
///
/// Errors if a copy cannot be read back from the backend or the file cannot be written.
pub fn save_region<B: Backend>(region: &Region<B>, path: &Path) -> Result<(), RegionFileError> {
    let groups = region.to_host().map_err(|source| RegionFileError::Region {
        path: path.into(),
        source,
    })?;
    write_region_file(path, region.shape(), &groups)
}

/// Reads the region at `path` onto `device` of backend `B`.
///
/// Errors if the file cannot be read, is not a `subspace-region/1` file, or its copies do not
/// form a valid region (see [`read_region_file`]).
pub fn load_region<B: Backend>(
    path: &Path,
    device: &B::Device,
) -> Result<Region<B>, RegionFileError> {
    let (shape, groups) = read_region_file(path)?;
    Region::from_host(shape, groups, device).map_err(|source| RegionFileError::Region {
        path: path.into(),
        source,
    })
}

/// Writes host copies `groups` of a region of `shape` to `path`, atomically.
///
/// Errors if the file cannot be written; groups are written as given (validate them with
/// [`Region::new`] first, as [`save_region`] does by construction).
pub fn write_region_file(
    path: &Path,
    shape: Shape,
    groups: &[Group<HostTensor>],
) -> Result<(), RegionFileError> {
    let mut metadata = HashMap::from([
        ("subspace.format".to_string(), REGION_FORMAT.to_string()),
        ("subspace.shape".to_string(), shape_to_string(shape)),
        ("subspace.groups".to_string(), groups.len().to_string()),
    ]);
    let mut buffers = Vec::new();
    for (g, group) in groups.iter().enumerate() {
        metadata.insert(format!("subspace.group.{g}.name"), group.name.clone());
        metadata.insert(format!("subspace.group.{g}.layer"), group.layer.to_string());
        metadata.insert(
            format!("subspace.group.{g}.regularized"),
            group.regularized.to_string(),
        );
        for (i, copy) in group.copies.iter().enumerate() {
            let bytes: Vec<u8> = copy.data().iter().flat_map(|x| x.to_le_bytes()).collect();
            buffers.push((tensor_name(&group.name, i), copy.dims().to_vec(), bytes));
        }
    }
    let format_error = |e: SafeTensorError| RegionFileError::Format {
        path: path.into(),
        reason: e.to_string(),
    };
    let views = buffers
        .iter()
        .map(|(name, dims, bytes)| {
            TensorView::new(Dtype::F32, dims.clone(), bytes).map(|v| (name.clone(), v))
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(format_error)?;
    let bytes = serialize(views, Some(metadata)).map_err(format_error)?;
    write_atomic(path, &bytes).map_err(|e| RegionFileError::Io {
        action: e.action,
        path: e.path,
        source: e.source,
    })
}

/// Reads the shape and host copies stored at `path`.
///
/// Errors if the file cannot be read or parsed, a metadata entry is missing or malformed, a
/// group lacks one of its `shape.copies()` tensors or its copies differ in dims, a tensor is not
/// `F32`, or the file holds tensors that belong to no group.
pub fn read_region_file(path: &Path) -> Result<(Shape, Vec<Group<HostTensor>>), RegionFileError> {
    let bytes = std::fs::read(path).map_err(|source| RegionFileError::Io {
        action: "read",
        path: path.into(),
        source,
    })?;
    let format_error = |e: SafeTensorError| RegionFileError::Format {
        path: path.into(),
        reason: e.to_string(),
    };
    let (_, header) = SafeTensors::read_metadata(&bytes).map_err(format_error)?;
    let file = SafeTensors::deserialize(&bytes).map_err(format_error)?;
    let empty = HashMap::new();
    let meta = Meta {
        path,
        map: header.metadata().as_ref().unwrap_or(&empty),
    };

    meta.parse("subspace.format", REGION_FORMAT, |v| {
        (v == REGION_FORMAT).then_some(())
    })?;
    let shape = meta.parse(
        "subspace.shape",
        "point, line, bezier:{degree >= 1} or simplex:{vertices >= 2}",
        shape_from_str,
    )?;
    let count = meta.parse("subspace.groups", "a number of groups", |v| {
        v.parse::<usize>().ok()
    })?;
    let groups = (0..count)
        .map(|g| {
            let key = |field: &str| format!("subspace.group.{g}.{field}");
            let name = meta.parse(&key("name"), "a group name", |v| Some(v.to_string()))?;
            let layer = meta.parse(&key("layer"), "a layer index", |v| v.parse().ok())?;
            let regularized =
                meta.parse(&key("regularized"), "true or false", |v| v.parse().ok())?;
            let copies = (0..shape.copies())
                .map(|i| read_tensor(&file, path, &tensor_name(&name, i)))
                .collect::<Result<Vec<_>, _>>()?;
            check_group_dims(path, &name, &copies)?;
            Ok(Group {
                name,
                layer,
                regularized,
                copies,
            })
        })
        .collect::<Result<Vec<_>, RegionFileError>>()?;

    let expected: usize = groups.len() * shape.copies();
    if file.len() != expected {
        let known: Vec<String> = groups
            .iter()
            .flat_map(|g| (0..shape.copies()).map(|i| tensor_name(&g.name, i)))
            .collect();
        let stray = file
            .names()
            .into_iter()
            .find(|n| !known.iter().any(|k| k == n))
            .unwrap_or_default()
            .to_string();
        return Err(RegionFileError::Tensor {
            path: path.into(),
            name: stray,
            problem: format!(
                "belongs to no group: expected exactly {expected} tensors named \"{{group}}/{{copy}}\""
            ),
        });
    }
    Ok((shape, groups))
}

/// `"{group}/{copy}"`.
fn tensor_name(group: &str, copy: usize) -> String {
    format!("{group}/{copy}")
}

fn shape_to_string(shape: Shape) -> String {
    match shape {
        Shape::Point => "point".into(),
        Shape::Line => "line".into(),
        Shape::Bezier { degree } => format!("bezier:{degree}"),
        Shape::Simplex { vertices } => format!("simplex:{vertices}"),
    }
}

fn shape_from_str(s: &str) -> Option<Shape> {
    match s.split_once(':') {
        None if s == "point" => Some(Shape::Point),
        None if s == "line" => Some(Shape::Line),
        Some(("bezier", d)) => Shape::bezier(d.parse().ok()?).ok(),
        Some(("simplex", n)) => Shape::simplex(n.parse().ok()?).ok(),
        _ => None,
    }
}

/// The metadata of one file, with errors that name it.
struct Meta<'a> {
    path: &'a Path,
    map: &'a HashMap<String, String>,
}

impl Meta<'_> {
    /// The value at `key` parsed by `parse`; `expected` describes a valid value.
    fn parse<T>(
        &self,
        key: &str,
        expected: &str,
        parse: impl FnOnce(&str) -> Option<T>,
    ) -> Result<T, RegionFileError> {
        let value = self.map.get(key);
        value
            .and_then(|v| parse(v))
            .ok_or_else(|| RegionFileError::Metadata {
                path: self.path.into(),
                key: key.into(),
                found: value.map_or_else(|| "missing".into(), |v| format!("{v:?}")),
                expected: expected.into(),
            })
    }
}

fn read_tensor(
    file: &SafeTensors<'_>,
    path: &Path,
    name: &str,
) -> Result<HostTensor, RegionFileError> {
    let problem = |problem: String| RegionFileError::Tensor {
        path: path.into(),
        name: name.into(),
        problem,
    };
    let view = file
        .tensor(name)
        .map_err(|_| problem("is missing".into()))?;
    if view.dtype() != Dtype::F32 {
        return Err(problem(format!("has dtype {}, expected F32", view.dtype())));
    }
    let data = view
        .data()
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    HostTensor::new(view.shape().to_vec(), data).map_err(|e| problem(e.to_string()))
}

fn check_group_dims(
    path: &Path,
    group: &str,
    copies: &[HostTensor],
) -> Result<(), RegionFileError> {
    match copies.iter().position(|c| c.dims() != copies[0].dims()) {
        None => Ok(()),
        Some(i) => Err(RegionFileError::Tensor {
            path: path.into(),
            name: tensor_name(group, i),
            problem: format!(
                "has dims {:?}, expected {:?} like copy 0",
                copies[i].dims(),
                copies[0].dims()
            ),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_path(name: &str) -> PathBuf {
        std::env::temp_dir().join(format!(
            "subspace-{}-{name}.safetensors",
            std::process::id()
        ))
    }

    fn host(dims: &[usize], start: f32) -> HostTensor {
        let n = dims.iter().product();
        HostTensor::new(dims.to_vec(), (0..n).map(|k| start + k as f32).collect()).unwrap()
    }

    fn groups(copies: usize) -> Vec<Group<HostTensor>> {
        vec![
            Group {
                name: "fc1.weight".into(),
                layer: 0,
                regularized: true,
                copies: (0..copies)
                    .map(|i| host(&[3, 2], i as f32 * 10.0))
                    .collect(),
            },
            Group {
                name: "norm/scale".into(),
                layer: 1,
                regularized: false,
                copies: (0..copies).map(|i| host(&[], -(i as f32))).collect(),
            },
        ]
    }

    #[test]
    fn every_shape_round_trips_exactly() {
        for shape in [
            Shape::Point,
            Shape::Line,
            Shape::bezier(2).unwrap(),
            Shape::simplex(4).unwrap(),
        ] {
            let path = temp_path(&format!("roundtrip-{}", shape.copies()));
            let written = groups(shape.copies());
            write_region_file(&path, shape, &written).unwrap();
            let (read_shape, read) = read_region_file(&path).unwrap();
            std::fs::remove_file(&path).unwrap();
            assert_eq!(read_shape, shape);
            assert_eq!(read.len(), written.len());
            for (r, w) in read.iter().zip(&written) {
                assert_eq!(
                    (&r.name, r.layer, r.regularized),
                    (&w.name, w.layer, w.regularized)
                );
                assert_eq!(r.copies, w.copies);
            }
        }
    }

    #[test]
    fn shape_strings_reject_invalid_shapes() {
        assert_eq!(shape_from_str("bezier:2"), Shape::bezier(2).ok());
        for bad in ["bezier:0", "simplex:1", "simplex:x", "circle", "line:2", ""] {
            assert_eq!(shape_from_str(bad), None, "{bad}");
        }
    }

    #[test]
    fn wrong_files_give_errors_that_say_what_is_wrong() {
        let path = temp_path("errors");
        assert!(matches!(
            read_region_file(&path),
            Err(RegionFileError::Io { action: "read", .. })
        ));

        std::fs::write(&path, b"not a safetensors file").unwrap();
        assert!(matches!(
            read_region_file(&path),
            Err(RegionFileError::Format { .. })
        ));

        // A line file read back needs both copies of every group.
        let mut g = groups(2);
        g[1].copies.pop();
        write_region_file(&path, Shape::Line, &g).unwrap();
        let err = read_region_file(&path).unwrap_err();
        assert!(
            matches!(&err, RegionFileError::Tensor { name, .. } if name == "norm/scale/1"),
            "{err}"
        );

        // Extra copies belong to no group.
        write_region_file(&path, Shape::Line, &groups(3)).unwrap();
        let err = read_region_file(&path).unwrap_err();
        assert!(
            matches!(&err, RegionFileError::Tensor { problem, .. } if problem.contains("no group")),
            "{err}"
        );

        // Copies of one group must share dims.
        let mut g = groups(2);
        g[0].copies[1] = host(&[2, 3], 0.0);
        write_region_file(&path, Shape::Line, &g).unwrap();
        let err = read_region_file(&path).unwrap_err();
        assert!(
            matches!(&err, RegionFileError::Tensor { name, .. } if name == "fc1.weight/1"),
            "{err}"
        );
        std::fs::remove_file(&path).unwrap();
    }

    #[test]
    fn a_failed_write_keeps_the_previous_file() {
        let path = temp_path("atomic");
        write_region_file(&path, Shape::Line, &groups(2)).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let blocker = path.with_file_name(format!(".{name}.tmp-{}", std::process::id()));
        std::fs::create_dir(&blocker).unwrap();
        let err = write_region_file(&path, Shape::Point, &groups(1)).unwrap_err();
        std::fs::remove_dir(&blocker).unwrap();
        assert!(
            matches!(
                &err,
                RegionFileError::Io {
                    action: "write a temporary file for",
                    ..
                }
            ),
            "{err}"
        );
        let (shape, read) = read_region_file(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        assert_eq!((shape, read[0].copies.len()), (Shape::Line, 2));
    }

    #[test]
    fn metadata_must_name_the_format() {
        let path = temp_path("metadata");
        let bytes: Vec<u8> = [1.0f32, 2.0].iter().flat_map(|x| x.to_le_bytes()).collect();
        let view = TensorView::new(Dtype::F32, vec![2], &bytes).unwrap();
        std::fs::write(&path, serialize([("w/0", view)], None).unwrap()).unwrap();
        let err = read_region_file(&path).unwrap_err();
        std::fs::remove_file(&path).unwrap();
        assert!(
            matches!(&err, RegionFileError::Metadata { key, found, .. }
                if key == "subspace.format" && found == "missing"),
            "{err}"
        );
    }
}
