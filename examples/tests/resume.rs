//! An experiment keeps every finished condition and seed in its output directory (and, when
//! asked, the trained regions); run again with the same `--out` it reuses them instead of
//! training again, and it refuses units that an experiment with other settings wrote.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

use std::path::Path;

use burn::tensor::Device;
use subspace_burn::{Burn, Subspace, SubspaceConfig};
use subspace_core::{Shape, load_region};
use subspace_examples::config::{ExperimentConfig, QUICK_PRESET};
use subspace_examples::experiment::{ExperimentError, Method, run_experiment};
use subspace_examples::models::{Init, Mlp, ModelKind};
use tempfile::TempDir;

/// IDX files of `count` 28×28 images whose brightness encodes the label, in `dir`.
fn write_images(dir: &Path, split: &str, count: u32) {
    let labels: Vec<u8> = (0..count).map(|n| (n % 10) as u8).collect();
    let mut images = Vec::new();
    for word in [0x0803, count, 28, 28] {
        images.extend(word.to_be_bytes());
    }
    for (n, &label) in labels.iter().enumerate() {
        images.extend((0..784).map(|p| ((p * 7 + n * 13) % 50) as u8 + 20 * label));
    }
    let mut label_file = Vec::new();
    for word in [0x0801, count] {
        label_file.extend(word.to_be_bytes());
    }
    label_file.extend(&labels);
    std::fs::write(dir.join(format!("{split}-images-idx3-ubyte")), images).unwrap();
    std::fs::write(dir.join(format!("{split}-labels-idx1-ubyte")), label_file).unwrap();
}

/// A small MLP experiment (standard training and a line, 1 and 2 epochs, one seed) on the
/// images in `data`.
fn config(data: &Path) -> ExperimentConfig {
    let mut c = ExperimentConfig::from_toml(QUICK_PRESET, None).unwrap();
    c.name = "resume".into();
    c.methods = vec![Method::Standard, Method::Line];
    c.data.data_dir = Some(data.to_path_buf());
    c.data.train_examples = Some(48);
    c.data.test_examples = Some(20);
    c.data.label_noise = 0.0;
    c.train.model = ModelKind::Mlp;
    c.train.epochs = 1;
    c.train.batch_size = 16;
    c.train.seeds = vec![0];
    c.eval.grid_points = 3;
    c.eval.recalibration_examples = Some(16);
    c.eval.batch_size = 20;
    c.validate().unwrap()
}

#[test]
fn a_second_run_reuses_finished_units_and_refuses_other_settings() {
    let data = TempDir::new().unwrap();
    write_images(data.path(), "train", 48);
    write_images(data.path(), "t10k", 20);
    let out = TempDir::new().unwrap();
    let config = config(data.path());

    let first = run_experiment(config.clone(), "first".into(), out.path(), false, true).unwrap();
    let units = out.path().join("units");
    let mut names: Vec<String> = std::fs::read_dir(&units)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["1ep-noise0-seed0.json", "2ep-noise0-seed0.json"]);

    // The trained lines, loadable into copies of the model.
    let regions = out.path().join("regions");
    for epochs in [1, 2] {
        let path = regions.join(format!("line-{epochs}ep-noise0-seed0.safetensors"));
        let region = load_region::<Burn>(&path, &Device::flex()).unwrap();
        let line = SubspaceConfig::new(Shape::Line, 0);
        Subspace::from_region(line, &Mlp::init(&Device::flex()), region).unwrap();
    }
    assert_eq!(std::fs::read_dir(&regions).unwrap().count(), 2);

    // Mark one kept record: a second run that reuses the unit reports the mark.
    let unit = units.join("2ep-noise0-seed0.json");
    let mut json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&unit).unwrap()).unwrap();
    json["records"][0]["train_seconds"] = serde_json::json!(12345.0);
    std::fs::write(&unit, json.to_string()).unwrap();

    let second = run_experiment(config.clone(), "second".into(), out.path(), false, false).unwrap();
    assert_eq!(second.records.len(), first.records.len());
    let marked = second.records.iter().filter(|r| r.train_seconds == 12345.0);
    assert_eq!(marked.count(), 1, "the 2-epoch unit was trained again");
    for (a, b) in first.records.iter().zip(&second.records) {
        assert_eq!(
            (a.method, a.condition, &a.metrics),
            (b.method, b.condition, &b.metrics)
        );
    }

    let mut other = config;
    other.train.lr *= 2.0;
    match run_experiment(other, "third".into(), out.path(), false, false) {
        Err(ExperimentError::FinishedUnit { path, reason }) => {
            assert!(path.ends_with("1ep-noise0-seed0.json"), "{path:?}");
            assert!(reason.contains("other settings"), "{reason}");
        }
        other => panic!("expected the kept units to be refused, got {other:?}"),
    }
}
