//! What an experiment keeps in its output directory while it runs:
//!
//! - `units/`: every finished unit (all methods of one condition and seed, trained and
//!   evaluated) as soon as it is done, so that an experiment interrupted and started again
//!   with the same `--out` trains only what it had not finished;
//! - `regions/` (with `--save-regions`): the trained copies of every region method as core
//!   region files, which burn's `Subspace::from_region` loads into copies of the model (their
//!   BatchNorm statistics are recalibrated at each point evaluated, as the experiment does).

use std::path::{Path, PathBuf};

use burn::module::{Module, ModuleDisplay};
use serde::{Deserialize, Serialize};
use subspace_burn::Subspace;
use subspace_core::save_region;

use super::error::ExperimentError;
use super::method::Method;
use crate::config::{DataConfig, EvalConfig, ExperimentConfig, TrainConfig};
use crate::report::{Condition, Record, ReportError};

/// The version of what a unit's records mean, raised whenever the protocol measures a metric
/// differently; units of another version are not reused. Version 1: the no-recalibration
/// endpoint accuracy is the mean over every endpoint, and the simplex ensembles seeded
/// Dirichlet points (unit files without a version are of version 0).
const UNIT_PROTOCOL: u32 = 1;

/// What fixes the records of a unit besides its condition and seed: the protocol version and
/// the whole configuration except the name, the list of seeds and the claim margins (so a run
/// can be given more seeds, or judged with other margins, and keep its finished units).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Settings {
    #[serde(default)]
    protocol: u32,
    methods: Vec<Method>,
    data: DataConfig,
    train: TrainConfig,
    eval: EvalConfig,
}

impl Settings {
    fn of(config: &ExperimentConfig) -> Self {
        let mut train = config.train.clone();
        train.seeds.clear();
        Self {
            protocol: UNIT_PROTOCOL,
            methods: config.methods.clone(),
            data: config.data.clone(),
            train,
            eval: config.eval.clone(),
        }
    }
}

/// One finished unit on disk.
#[derive(Debug, Serialize, Deserialize)]
struct Unit {
    settings: Settings,
    condition: Condition,
    seed: u64,
    records: Vec<Record>,
}

/// The output directory of one experiment.
#[derive(Debug)]
pub struct Outputs {
    units: PathBuf,
    regions: Option<PathBuf>,
    settings: Settings,
}

/// `dir`, created with its parents.
fn created(dir: PathBuf) -> Result<PathBuf, ExperimentError> {
    std::fs::create_dir_all(&dir).map_err(|source| ExperimentError::OutputDir {
        path: dir.clone(),
        source,
    })?;
    Ok(dir)
}

/// The file name of the unit `(condition, seed)`, with `ext`.
fn unit_name(condition: Condition, seed: u64, ext: &str) -> String {
    format!("{}-seed{seed}.{ext}", condition.slug())
}

impl Outputs {
    /// The outputs of the experiment `config` in `out`; creates `out/units/`, and
    /// `out/regions/` when `save_regions`.
    ///
    /// Errors if a directory cannot be created.
    pub fn new(
        out: &Path,
        config: &ExperimentConfig,
        save_regions: bool,
    ) -> Result<Self, ExperimentError> {
        Ok(Self {
            units: created(out.join("units"))?,
            regions: save_regions
                .then(|| created(out.join("regions")))
                .transpose()?,
            settings: Settings::of(config),
        })
    }

    fn path(&self, condition: Condition, seed: u64) -> PathBuf {
        self.units.join(unit_name(condition, seed, "json"))
    }

    /// The records of the unit `(condition, seed)` if an earlier run of the same settings
    /// finished it.
    ///
    /// Errors if its file exists but cannot be read, is not a unit file, or was written by an
    /// experiment with other settings or for another unit: the error says to delete it or to
    /// choose another output directory, and nothing is overwritten.
    pub fn load_unit(
        &self,
        condition: Condition,
        seed: u64,
    ) -> Result<Option<Vec<Record>>, ExperimentError> {
        let path = self.path(condition, seed);
        let refuse = |reason: String| ExperimentError::FinishedUnit {
            path: path.clone(),
            reason,
        };
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(refuse(format!("cannot be read ({e})"))),
        };
        let unit: Unit = serde_json::from_str(&text)
            .map_err(|e| refuse(format!("is not a finished-unit file ({e})")))?;
        if unit.settings.protocol != self.settings.protocol {
            return Err(refuse(format!(
                "was written by another version of the evaluation protocol (version {}, \
                 expected {})",
                unit.settings.protocol, self.settings.protocol
            )));
        }
        if unit.settings != self.settings {
            return Err(refuse(
                "was written by an experiment with other settings (methods, data, training or \
                 evaluation)"
                    .into(),
            ));
        }
        if (unit.condition, unit.seed) != (condition, seed) {
            return Err(refuse(format!(
                "holds {} seed {}, expected {condition} seed {seed}",
                unit.condition, unit.seed
            )));
        }
        Ok(Some(unit.records))
    }

    /// The region file of `method` for `(condition, seed)` in `dir`.
    fn region_path(dir: &Path, method: Method, condition: Condition, seed: u64) -> PathBuf {
        dir.join(format!(
            "{method}-{}",
            unit_name(condition, seed, "safetensors")
        ))
    }

    /// Keeps the trained copies of `method` for `(condition, seed)` as
    /// `regions/{method}-{unit}.safetensors`, when regions are saved.
    ///
    /// Errors if the copies cannot be read back or the file cannot be written.
    pub fn save_region<M: Module + ModuleDisplay>(
        &self,
        method: Method,
        condition: Condition,
        seed: u64,
        subspace: &Subspace<M>,
    ) -> Result<(), ExperimentError> {
        if let Some(dir) = &self.regions {
            let path = Self::region_path(dir, method, condition, seed);
            save_region(&subspace.region()?, &path)?;
        }
        Ok(())
    }

    /// The region files that regions being saved calls for, for the region methods among
    /// `methods` in the unit `(condition, seed)`, but that are not there: a unit reused from
    /// an earlier run is not trained again, so only that run could have saved its regions.
    /// Empty when regions are not saved.
    pub fn missing_regions(
        &self,
        methods: &[Method],
        condition: Condition,
        seed: u64,
    ) -> Vec<PathBuf> {
        let Some(dir) = &self.regions else {
            return Vec::new();
        };
        methods
            .iter()
            .filter(|m| m.region().is_some())
            .map(|&m| Self::region_path(dir, m, condition, seed))
            .filter(|path| !path.exists())
            .collect()
    }

    /// Keeps the records of the finished unit `(condition, seed)`, written atomically.
    ///
    /// Errors if the file cannot be written.
    pub fn save_unit(
        &self,
        condition: Condition,
        seed: u64,
        records: &[Record],
    ) -> Result<(), ExperimentError> {
        let unit = Unit {
            settings: self.settings.clone(),
            condition,
            seed,
            records: records.to_vec(),
        };
        let text = serde_json::to_string(&unit).map_err(ReportError::from)?;
        subspace_core::write_atomic(&self.path(condition, seed), text.as_bytes())
            .map_err(ReportError::from)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::QUICK_PRESET;

    #[test]
    fn regions_missing_from_a_reused_unit_are_named() {
        let out = tempfile::TempDir::new().unwrap();
        let config = ExperimentConfig::from_toml(QUICK_PRESET, None).unwrap();
        let condition = Condition {
            epochs: 3,
            label_noise: 0.2,
        };
        let methods = [Method::Standard, Method::Line, Method::Simplex, Method::Swa];
        let outputs = Outputs::new(out.path(), &config, true).unwrap();
        let regions = out.path().join("regions");
        assert_eq!(
            outputs.missing_regions(&methods, condition, 1),
            [
                regions.join("line-3ep-noise0.2-seed1.safetensors"),
                regions.join("simplex-3ep-noise0.2-seed1.safetensors"),
            ]
        );
        std::fs::write(regions.join("line-3ep-noise0.2-seed1.safetensors"), b"x").unwrap();
        assert_eq!(
            outputs.missing_regions(&methods, condition, 1),
            [regions.join("simplex-3ep-noise0.2-seed1.safetensors")]
        );
        let not_saving = Outputs::new(out.path(), &config, false).unwrap();
        assert!(
            not_saving
                .missing_regions(&methods, condition, 1)
                .is_empty()
        );
    }

    #[test]
    fn units_of_an_earlier_protocol_are_not_reused() {
        let out = tempfile::TempDir::new().unwrap();
        let config = ExperimentConfig::from_toml(QUICK_PRESET, None).unwrap();
        let outputs = Outputs::new(out.path(), &config, false).unwrap();
        let condition = Condition {
            epochs: 3,
            label_noise: 0.0,
        };
        outputs.save_unit(condition, 0, &[]).unwrap();
        assert_eq!(outputs.load_unit(condition, 0).unwrap(), Some(Vec::new()));
        // The same unit as written before units had a protocol version.
        let path = out.path().join("units/3ep-noise0-seed0.json");
        let mut json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        json["settings"]
            .as_object_mut()
            .unwrap()
            .remove("protocol")
            .unwrap();
        std::fs::write(&path, json.to_string()).unwrap();
        match outputs.load_unit(condition, 0) {
            Err(ExperimentError::FinishedUnit { reason, .. }) => {
                assert!(reason.contains("version 0, expected 1"), "{reason}");
            }
            other => panic!("expected the old unit to be refused, got {other:?}"),
        }
    }

    #[test]
    fn saving_no_regions_misses_none() {
        let out = tempfile::TempDir::new().unwrap();
        let config = ExperimentConfig::from_toml(QUICK_PRESET, None).unwrap();
        let condition = Condition {
            epochs: 3,
            label_noise: 0.0,
        };
        let methods = [Method::Line];
        let not_saving = Outputs::new(out.path(), &config, false).unwrap();
        assert!(
            not_saving
                .missing_regions(&methods, condition, 1)
                .is_empty()
        );
    }
}
