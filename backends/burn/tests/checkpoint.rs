//! Checkpoints: a resumed run continues exactly like an uninterrupted one; truncated and
//! corrupted files are typed errors; a failed write leaves the previous checkpoint.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

mod common;

use std::path::Path;

use burn::optim::decay::WeightDecayConfig;
use burn::optim::momentum::MomentumConfig;
use burn::optim::{AdamConfig, ModuleOptimizer, SgdConfig};
use burn::prelude::*;
use common::{BnNet, batch, cross_entropy, values};
use subspace_burn::{Burn, Checkpoint, CheckpointError, Subspace, SubspaceConfig, save_checkpoint};
use subspace_core::{Backend, Shape, Sharing};

fn device() -> Device {
    Device::flex().autodiff()
}

fn fresh(seed: u64) -> (Subspace<BnNet>, ModuleOptimizer) {
    let device = device();
    let config =
        SubspaceConfig::new(Shape::simplex(3).unwrap(), seed).with_sharing(Sharing::Layerwise);
    let sub = Subspace::new(config, || BnNet::new(5, 6, 3, &device)).unwrap();
    let optim = SgdConfig::new()
        .with_momentum(Some(MomentumConfig::new().with_dampening(0.0)))
        .with_weight_decay(Some(WeightDecayConfig::new(1e-3)))
        .init();
    (sub, optim)
}

fn train(
    mut sub: Subspace<BnNet>,
    mut optim: ModuleOptimizer,
    steps: std::ops::Range<u64>,
) -> (Subspace<BnNet>, ModuleOptimizer) {
    for step in steps {
        let (x, y) = batch(8, 5, 3, step, &device());
        let model = sub.at(&sub.points(step)).unwrap();
        let loss = cross_entropy(model.forward(x), &y);
        let grads = sub.gradients(loss.backward(), step).unwrap();
        sub = optim.step(0.05, sub, grads.params);
    }
    (sub, optim)
}

/// Every copy of every parameter and the region's running statistics, on the host.
fn state(sub: &Subspace<BnNet>) -> Vec<Vec<f32>> {
    let mut out: Vec<Vec<f32>> = sub
        .region()
        .unwrap()
        .into_groups()
        .into_iter()
        .flat_map(|g| g.copies)
        .map(|t| Burn::tensor_to_host(t).unwrap().into_data())
        .collect();
    // `valid` folds the last forward's pending update into the running statistics.
    let bn = &sub.copies()[0].valid();
    for stat in [
        &bn.bn_in.running_mean,
        &bn.bn_in.running_var,
        &bn.bn.running_mean,
        &bn.bn.running_var,
    ] {
        out.push(values(stat.value()));
    }
    out
}

fn load(path: &Path, seed: u64) -> (Subspace<BnNet>, ModuleOptimizer, u64) {
    let checkpoint = Checkpoint::read(path).unwrap();
    let step = checkpoint.step();
    let (sub, optim) = fresh(seed);
    let (sub, optim) = checkpoint.resume(sub, optim).unwrap();
    (sub, optim, step)
}

#[test]
fn resumed_run_continues_exactly_like_an_uninterrupted_one() {
    let dir = tempfile::tempdir().unwrap();
    let start = dir.path().join("start.ckpt");
    let (sub, optim) = fresh(7);
    save_checkpoint(&start, &sub, &optim, 0).unwrap();

    // Uninterrupted: 6 steps.
    let (sub, optim, _) = load(&start, 100);
    let (straight, _) = train(sub, optim, 0..6);

    // Interrupted after 3 steps, resumed into a fresh subspace with another init and seed.
    let (sub, optim, _) = load(&start, 200);
    let (sub, optim) = train(sub, optim, 0..3);
    let middle = dir.path().join("middle.ckpt");
    save_checkpoint(&middle, &sub, &optim, 3).unwrap();
    drop((sub, optim));
    let (sub, optim, step) = load(&middle, 300);
    assert_eq!(step, 3);
    assert_eq!(
        sub.config().schedule.seed,
        7,
        "the point schedule is restored"
    );
    let (resumed, _) = train(sub, optim, step..6);

    let (a, b) = (state(&straight), state(&resumed));
    assert_eq!(a, b, "copies and running statistics after resuming");
    let (initial, _) = fresh(7);
    assert_ne!(state(&initial)[0], a[0], "training moved the copies");
}

#[test]
fn resuming_without_the_optimizer_state_would_diverge() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.ckpt");
    let (sub, optim) = fresh(1);
    let (sub, optim) = train(sub, optim, 0..2);
    save_checkpoint(&path, &sub, &optim, 2).unwrap();
    let (sub_a, _) = train(sub, optim, 2..3);

    // The exact-resume test means something only if the saved momentum matters: a fresh
    // optimizer (no velocities) after the same copies takes another step.
    let checkpoint = Checkpoint::read(&path).unwrap();
    let (fresh_sub, fresh_optim) = fresh(9);
    let (sub_b, _) = checkpoint.resume(fresh_sub, fresh_optim).unwrap();
    let (sub_b, _) = train(sub_b, fresh(9).1, 2..3);
    assert_ne!(
        state(&sub_a),
        state(&sub_b),
        "momentum must matter for this test to mean anything"
    );
}

#[test]
fn truncated_and_corrupted_files_are_typed_errors() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.ckpt");
    let (sub, optim) = fresh(2);
    let (sub, optim) = train(sub, optim, 0..1);
    save_checkpoint(&path, &sub, &optim, 1).unwrap();
    let bytes = std::fs::read(&path).unwrap();

    let broken = dir.path().join("broken.ckpt");
    for len in [3, 20, bytes.len() / 2, bytes.len() - 1] {
        std::fs::write(&broken, &bytes[..len]).unwrap();
        let err = Checkpoint::read(&broken).unwrap_err();
        assert!(
            matches!(err, CheckpointError::Truncated { .. }),
            "{len} bytes: {err}"
        );
    }
    for at in [20, bytes.len() / 2, bytes.len() - 2] {
        let mut flipped = bytes.clone();
        flipped[at] ^= 0x10;
        std::fs::write(&broken, &flipped).unwrap();
        let err = Checkpoint::read(&broken).unwrap_err();
        assert!(
            matches!(
                err,
                CheckpointError::Corrupt { .. } | CheckpointError::Truncated { .. }
            ),
            "byte {at} flipped: {err}"
        );
    }
    let mut wrong_magic = bytes.clone();
    wrong_magic[0] = b'X';
    std::fs::write(&broken, &wrong_magic).unwrap();
    assert!(matches!(
        Checkpoint::read(&broken),
        Err(CheckpointError::Corrupt { .. })
    ));
    let mut longer = bytes.clone();
    longer.push(0);
    std::fs::write(&broken, &longer).unwrap();
    assert!(matches!(
        Checkpoint::read(&broken),
        Err(CheckpointError::Corrupt { .. })
    ));

    // The good file is untouched and still resumes.
    let (resumed, _, step) = load(&path, 5);
    assert_eq!(step, 1);
    assert_eq!(state(&resumed), state(&sub));
}

#[test]
fn a_failed_write_leaves_the_previous_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("run.ckpt");
    let (sub, optim) = fresh(3);
    save_checkpoint(&path, &sub, &optim, 0).unwrap();
    let (before, initial) = (std::fs::read(&path).unwrap(), state(&sub));
    let (sub, optim) = train(sub, optim, 0..1);

    // The save writes a temporary sibling (core's `write_atomic`: `.{name}.tmp-{pid}`) and
    // renames it over the file; a directory in its place makes the save fail after the
    // checkpoint was encoded. A save that wrote the file in place would succeed here.
    let blocked = dir
        .path()
        .join(format!(".run.ckpt.tmp-{}", std::process::id()));
    std::fs::create_dir(&blocked).unwrap();
    let err = save_checkpoint(&path, &sub, &optim, 1).unwrap_err();
    assert!(matches!(err, CheckpointError::Io { .. }), "{err}");
    assert_eq!(
        std::fs::read(&path).unwrap(),
        before,
        "the old checkpoint, byte for byte"
    );
    let (resumed, _, step) = load(&path, 4);
    assert_eq!(step, 0);
    assert_eq!(state(&resumed), initial);
    std::fs::remove_dir(&blocked).unwrap();

    // Unblocked, the same save replaces it and leaves no temporary file.
    save_checkpoint(&path, &sub, &optim, 1).unwrap();
    let (resumed, _, step) = load(&path, 4);
    assert_eq!((step, state(&resumed)), (1, state(&sub)));
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["run.ckpt"]);

    // A write that cannot happen (no such directory) fails without touching anything.
    let nowhere = dir.path().join("missing").join("run.ckpt");
    assert!(matches!(
        save_checkpoint(&nowhere, &sub, &optim, 2),
        Err(CheckpointError::Io { .. })
    ));
    assert_eq!(Checkpoint::read(&path).unwrap().step(), 1);
}

#[test]
fn optimizer_state_of_another_kind_is_refused() {
    // burn's `load_record` skips state it cannot rebuild: the resume must notice.
    let dir = tempfile::tempdir().unwrap();
    let adam = || AdamConfig::new().init();
    let sgd_with_momentum = || fresh(0).1;
    let cases = [
        ("adam into sgd with momentum", adam(), sgd_with_momentum()),
        ("sgd with momentum into adam", sgd_with_momentum(), adam()),
    ];
    for (what, saved, resumed) in cases {
        let path = dir.path().join("c.ckpt");
        let (sub, optim) = train(fresh(4).0, saved, 0..2);
        save_checkpoint(&path, &sub, &optim, 2).unwrap();
        let result = Checkpoint::read(&path).unwrap().resume(fresh(5).0, resumed);
        let Err(err) = result else {
            panic!("{what}: resumed");
        };
        assert!(
            matches!(err, CheckpointError::Mismatch { .. }),
            "{what}: {err}"
        );
        assert!(err.to_string().contains("optimizer state"), "{what}: {err}");
        // The same kind resumes.
        let same = Checkpoint::read(&path).unwrap().resume(fresh(5).0, optim);
        assert!(same.is_ok(), "{what}: {:?}", same.err());
    }
    // Plain SGD keeps no state: nothing to lose, any burn optimizer resumes it.
    let path = dir.path().join("plain.ckpt");
    let (sub, optim) = train(fresh(4).0, SgdConfig::new().init(), 0..2);
    save_checkpoint(&path, &sub, &optim, 2).unwrap();
    assert!(
        Checkpoint::read(&path)
            .unwrap()
            .resume(fresh(5).0, adam())
            .is_ok()
    );
}

#[test]
fn resuming_into_another_shape_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.ckpt");
    let (sub, optim) = fresh(2);
    save_checkpoint(&path, &sub, &optim, 0).unwrap();
    let device = device();
    let line = Subspace::new(SubspaceConfig::new(Shape::Line, 0), || {
        BnNet::new(5, 6, 3, &device)
    })
    .unwrap();
    let result = Checkpoint::read(&path).unwrap().resume(line, fresh(0).1);
    assert!(matches!(result, Err(CheckpointError::Mismatch { .. })));
    let wider = Subspace::new(*fresh(0).0.config(), || BnNet::new(5, 7, 3, &device)).unwrap();
    let result = Checkpoint::read(&path).unwrap().resume(wider, fresh(0).1);
    assert!(matches!(result, Err(CheckpointError::Mismatch { .. })));
}
