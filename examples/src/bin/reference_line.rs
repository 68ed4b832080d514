//! Trains the reference MLP (784 → hidden → 10, hand-written backward, `f64` subspace math) as
//! a line on the full Fashion-MNIST and reports the test accuracy of the midpoint, both
//! endpoints and the endpoint ensemble.
//!
//! ```text
//! cargo run --release -p subspace-examples --bin reference_line -- --epochs 3
//! ```
//!
//! Settings besides the flags: SGD momentum 0.9, weight decay 1e-4 per copy, β = 1, one shared
//! point per step, learning rate warmed up linearly over the first 10% of the steps then
//! decayed by a cosine to zero (SPEC.md §8).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
use subspace_core::metrics::{Combine, Logits, accuracy, ensemble};
use subspace_core::{
    Cos2Config, Momentum, Pair, Point, PointSchedule, SgdConfig, Shape, Sharing, cos2_regularizer,
};
use subspace_examples::data::{epoch_batches, fashion_mnist};
use subspace_reference::LrSchedule;
use subspace_reference::mlp::{Batch, Mlp, TrainConfig, TrainState, train};

/// Train a line of MLPs on Fashion-MNIST with the CPU reference.
#[derive(Debug, Parser)]
struct Args {
    /// Passes over the 60 000 training images.
    #[arg(long, default_value_t = 3)]
    epochs: u64,
    /// Hidden units of the MLP.
    #[arg(long, default_value_t = 128)]
    hidden: usize,
    /// Examples per batch.
    #[arg(long, default_value_t = 128)]
    batch: usize,
    /// Peak learning rate (SPEC.md §8).
    #[arg(long, default_value_t = 0.1)]
    lr: f64,
    /// Seed of the initialisation, the batch order and the sampled points.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Directory with the Fashion-MNIST IDX files (default: the Debian package's).
    #[arg(long)]
    data_dir: Option<PathBuf>,
}

fn main() -> ExitCode {
    match run(&Args::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &Args) -> Result<(), Box<dyn std::error::Error>> {
    if args.batch == 0 || args.epochs == 0 {
        return Err("--batch and --epochs must be at least 1".into());
    }
    let start = Instant::now();
    let data = fashion_mnist(args.data_dir.as_deref())?;
    println!(
        "Fashion-MNIST: {} train / {} test images, loaded in {:.1}s",
        data.train.len(),
        data.test.len(),
        start.elapsed().as_secs_f64()
    );
    let mlp = Mlp::new(data.train.features(), args.hidden, data.train.classes())?;
    let steps_per_epoch = data.train.len().div_ceil(args.batch) as u64;
    let total = args.epochs * steps_per_epoch;
    let config = TrainConfig {
        schedule: PointSchedule::new(Shape::Line, Sharing::Shared, args.seed),
        lr: LrSchedule::WarmupCosine {
            base_lr: args.lr,
            warmup: total / 10,
            total,
        }
        .validate()?,
        sgd: SgdConfig::new()
            .with_momentum(Momentum::new(0.9))
            .with_weight_decay(1e-4),
        cos2: Cos2Config::default(),
    };
    let copies = mlp.init_copies(Shape::Line, args.seed);
    let mut state = TrainState::new(mlp.region(Shape::Line, copies)?);
    println!(
        "line of MLPs 784-{}-10, batch {}, {} steps per epoch",
        args.hidden, args.batch, steps_per_epoch
    );

    for epoch in 0..args.epochs {
        let t = Instant::now();
        let batches = epoch_batches(&data.train, args.batch, args.seed, epoch)?.map(|b| Batch {
            inputs: b.inputs,
            labels: b.labels,
        });
        let (next, records) = train(&mlp, &config, state, batches)?;
        state = next;
        let n = records.len() as f64;
        let loss = records.iter().map(|r| r.loss).sum::<f64>() / n;
        let cos2 = records
            .iter()
            .filter_map(|r| r.regularizer.map(|c| c.cos2))
            .sum::<f64>()
            / n;
        println!(
            "epoch {:>2}: mean train loss {loss:.4}, mean cos² {cos2:.2e}, last lr {:.4}, {:.1}s",
            epoch + 1,
            records.last().map_or(0.0, |r| r.lr),
            t.elapsed().as_secs_f64()
        );
    }

    let pair = Pair::new(0, 1, 2)?;
    let cos2 = cos2_regularizer(&state.region, pair, Cos2Config::default())?.cos2;
    println!("cos² between the endpoints: {cos2:.3e}");
    let logits = |a: f64| -> Result<Logits, Box<dyn std::error::Error>> {
        Ok(mlp.logits_at(&state.region, &Point::curve(a)?, data.test.images())?)
    };
    let (at0, mid, at1) = (logits(0.0)?, logits(0.5)?, logits(1.0)?);
    let both = ensemble(&[at0.clone(), at1.clone()], Combine::LogitMean)?;
    for (name, l) in [
        ("endpoint a=0", &at0),
        ("endpoint a=1", &at1),
        ("midpoint a=0.5", &mid),
        ("endpoint ensemble", &both),
    ] {
        println!(
            "{name:>18}: test accuracy {:.2}%",
            100.0 * accuracy(l, data.test.labels())?
        );
    }
    println!("total {:.1}s", start.elapsed().as_secs_f64());
    Ok(())
}
