//! Writing a file so that a reader, or a crash, sees either the old file whole or the new one.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Condvar, Mutex, PoisonError};

use thiserror::Error;

/// Why [`write_atomic`] failed: the step that failed and the file system's error.
#[derive(Debug, Error)]
#[error("cannot {action} {path:?}: {source}")]
pub struct AtomicWriteError {
    /// What was being done: `"write a temporary file for"`, `"rename a temporary file onto"` or
    /// `"flush the directory of"`.
    pub action: &'static str,
    /// The file written.
    pub path: PathBuf,
    /// The file system's error.
    pub source: std::io::Error,
}

/// Writes `bytes` to `path` atomically: into a temporary sibling `.{name}.tmp-{pid}`, flushed
/// to disk, renamed over `path`, then the directory flushed. Threads of one process writing the
/// same file take turns, so they never share the temporary file.
///
/// Region files, checkpoints and reports are written this way, so an interrupted write never
/// destroys the previous file.
///
/// Errors if a step fails; the temporary file is removed when the write itself failed, and the
/// file at `path` is untouched unless only the final flush of the directory failed.
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let dir = std::env::temp_dir().join(format!("subspace-doc-atomic-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let path = dir.join("notes.txt");
/// subspace_core::write_atomic(&path, b"first")?;
/// subspace_core::write_atomic(&path, b"second")?;
/// assert_eq!(std::fs::read(&path)?, b"second");
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok(())
/// # }
/// ```
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), AtomicWriteError> {
    let failed = |action: &'static str| {
        move |source| AtomicWriteError {
            action,
            path: path.into(),
            source,
        }
    };
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .map_or_else(|| "file".into(), |n| n.to_string_lossy().into_owned());
    let tmp_name = format!(".{name}.tmp-{}", std::process::id());
    let tmp = dir.join(&tmp_name);
    let _turn =
        Turn::take(fs::canonicalize(dir).map_or_else(|_| tmp.clone(), |d| d.join(tmp_name)));
    let written = (|| {
        let mut file = File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()
    })();
    if let Err(e) = written {
        // The temporary file is ours and incomplete; the file at `path` is untouched.
        let _ = fs::remove_file(&tmp);
        return Err(failed("write a temporary file for")(e));
    }
    fs::rename(&tmp, path).map_err(failed("rename a temporary file onto"))?;
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(failed("flush the directory of"))
}

/// The temporary files that threads of this process are writing.
static WRITING: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
/// Signalled whenever a temporary file leaves [`WRITING`].
static DONE: Condvar = Condvar::new();

/// A thread's turn to write a temporary file: taken when no other thread holds that file, given
/// back when dropped.
struct Turn(PathBuf);

impl Turn {
    fn take(tmp: PathBuf) -> Self {
        // The lock guards a list that every holder leaves consistent: a poisoned lock is usable.
        let mut writing = WRITING.lock().unwrap_or_else(PoisonError::into_inner);
        while writing.contains(&tmp) {
            writing = DONE.wait(writing).unwrap_or_else(PoisonError::into_inner);
        }
        writing.push(tmp.clone());
        Self(tmp)
    }
}

impl Drop for Turn {
    fn drop(&mut self) {
        let mut writing = WRITING.lock().unwrap_or_else(PoisonError::into_inner);
        writing.retain(|tmp| *tmp != self.0);
        DONE.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The names of the entries in `dir`: the written file, and no temporary file beside it.
    fn file_names(dir: &Path) -> Vec<std::ffi::OsString> {
        fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect()
    }

    #[test]
    fn a_failed_write_keeps_the_old_file_and_leaves_no_temporary_file() {
        let dir = std::env::temp_dir().join(format!("subspace-atomic-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join("data.bin");
        write_atomic(&path, b"old").unwrap();

        // A directory where the temporary file would go makes the write fail.
        let tmp = dir.join(format!(".data.bin.tmp-{}", std::process::id()));
        fs::create_dir(&tmp).unwrap();
        let err = write_atomic(&path, b"new").unwrap_err();
        assert_eq!(err.action, "write a temporary file for");
        assert_eq!(fs::read(&path).unwrap(), b"old");
        fs::remove_dir(&tmp).unwrap();

        write_atomic(&path, b"new").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"new");
        assert_eq!(file_names(&dir), ["data.bin"]);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn threads_writing_one_path_each_publish_a_whole_file() {
        let dir =
            std::env::temp_dir().join(format!("subspace-atomic-threads-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join("shared.bin");
        // Eight payloads, each of its own byte and length: a mix of two is none of them.
        let payloads: Vec<Vec<u8>> = (0..8u8)
            .map(|t| vec![t; (1 << 18) + usize::from(t) * 4099])
            .collect();
        let outcomes: Vec<Vec<bool>> = std::thread::scope(|s| {
            let writers: Vec<_> = payloads
                .iter()
                .map(|payload| {
                    s.spawn(|| {
                        (0..10)
                            .map(|_| {
                                write_atomic(&path, payload).is_ok()
                                    && payloads.contains(&fs::read(&path).unwrap())
                            })
                            .collect()
                    })
                })
                .collect();
            writers.into_iter().map(|w| w.join().unwrap()).collect()
        });
        assert!(outcomes.iter().flatten().all(|&ok| ok), "{outcomes:?}");
        assert_eq!(file_names(&dir), ["shared.bin"]);
        fs::remove_dir_all(&dir).unwrap();
    }
}
