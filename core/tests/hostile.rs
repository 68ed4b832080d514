//! Hostile input to core's public API: NaN and infinities, empty, huge or mismatched dims,
//! off-domain points, too few copies, wrong numbers of gradients, bad pairs, bad labels and
//! logits, bad ECE bins, bad EMA decays, corrupt region files. Every call must return a typed
//! `Err` (or, where the input is valid after all, `Ok`) and never panic; proptest reports a
//! panic as a failure.

use std::path::PathBuf;

use proptest::collection::vec;
use proptest::prelude::*;
use rand::SeedableRng;
use subspace_core::metrics::{
    Combine, Logits, MAX_ECE_BINS, MAX_GRID_POINTS, accuracy, calibration, copy_distance,
    disagreement, ensemble, grid, mean_total_variation, nll,
};
use subspace_core::{
    Backend, Cos2, Cos2Config, Error, Group, HostTensor, MAX_BEZIER_DEGREE, MAX_COPIES, Momentum,
    Pair, Point, PointSchedule, Region, SIMPLEX_SUM_TOLERANCE, SgdConfig, SgdState, Shape, Sharing,
    SimplexPoint, StepPoints, copy_gradients, cos2_grads, cos2_regularizer, ema_init, ema_update,
    mix, read_region_file, sample_point, sample_step, sgd_step, swa_init, swa_update,
};
use subspace_reference::{Cpu, Reference};

type T = <Reference as Backend>::Tensor;

/// Cases per property: `PROPTEST_CASES`, else 64.
fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64);
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Any `f64`, with the special values made frequent.
fn hostile_f64() -> impl Strategy<Value = f64> {
    prop_oneof![
        Just(f64::NAN),
        Just(f64::INFINITY),
        Just(f64::NEG_INFINITY),
        Just(-0.0),
        Just(f64::MAX),
        Just(f64::MIN_POSITIVE),
        Just(1.0 + f64::EPSILON),
        Just(-f64::MIN_POSITIVE),
        any::<f64>(),
        -2.0..2.0f64,
    ]
}

/// Any `f32`, with the special values made frequent.
fn hostile_f32() -> impl Strategy<Value = f32> {
    prop_oneof![
        Just(f32::NAN),
        Just(f32::INFINITY),
        Just(f32::NEG_INFINITY),
        Just(f32::MAX),
        any::<f32>(),
        -4.0..4.0f32,
    ]
}

/// Sizes and counts: zero, one, small, and huge ones that overflow products.
fn hostile_count() -> impl Strategy<Value = usize> {
    prop_oneof![
        Just(0usize),
        Just(1),
        2..6usize,
        Just(usize::MAX),
        Just(usize::MAX / 2 + 1),
        Just(1usize << 40),
    ]
}

fn tensor(dims: Vec<usize>, fill: f32) -> T {
    let len = dims.iter().product();
    Reference::from_host(
        &HostTensor::new(dims, vec![fill; len]).expect("dims fit the data"),
        &Cpu,
    )
}

fn group(name: &str, layer: usize, copies: Vec<T>) -> Group<T> {
    Group {
        name: name.into(),
        layer,
        regularized: true,
        copies,
    }
}

fn line(dims: Vec<usize>) -> Region<Reference> {
    let copies = vec![tensor(dims.clone(), 1.0), tensor(dims, 2.0)];
    Region::new(Shape::Line, vec![group("w", 0, copies)]).expect("a valid line")
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn curve_points_outside_the_unit_interval_are_errors(a in hostile_f64()) {
        let valid = a.is_finite() && (0.0..=1.0).contains(&a);
        prop_assert_eq!(Point::curve(a).is_ok(), valid);
        if !valid {
            let typed = matches!(Point::curve(a), Err(Error::AlphaOutOfDomain { .. }));
            prop_assert!(typed);
        }
    }

    #[test]
    fn simplex_points_off_the_simplex_are_errors(t in vec(hostile_f64(), 0..6)) {
        let valid = t.len() >= 2
            && t.iter().all(|x| x.is_finite() && *x >= 0.0)
            && (t.iter().sum::<f64>() - 1.0).abs() <= SIMPLEX_SUM_TOLERANCE;
        let result = SimplexPoint::new(t);
        prop_assert_eq!(result.is_ok(), valid);
        if !valid {
            let typed = matches!(result, Err(Error::SimplexOutOfDomain { .. }));
            prop_assert!(typed);
        }
    }

    #[test]
    fn shapes_with_too_few_or_too_many_copies_are_errors(n in hostile_count()) {
        // A valid shape must be usable: its copies, midpoint, vertices and coefficients.
        for shape in [Shape::bezier(n), Shape::simplex(n)].into_iter().flatten() {
            let m = shape.copies();
            prop_assert!((2..=MAX_COPIES).contains(&m));
            let mid = shape.coefficients(&shape.midpoint().unwrap()).unwrap();
            prop_assert_eq!(mid.len(), m);
            prop_assert!(shape.vertex(0).is_some());
        }
        prop_assert!(Shape::bezier(0).is_err());
        prop_assert!(Shape::simplex(n.min(1)).is_err());
        let hand_built = [
            Shape::Bezier { degree: 0 },
            Shape::Bezier { degree: n.max(MAX_BEZIER_DEGREE + 1) },
            Shape::Simplex { vertices: n.min(1) },
            Shape::Simplex { vertices: n.max(MAX_COPIES + 1) },
        ];
        let mut rng = rand::rngs::ChaCha8Rng::seed_from_u64(n as u64);
        for shape in hand_built {
            prop_assert!(shape.validate().is_err());
            prop_assert!(Region::<Reference>::new(shape, vec![group("w", 0, vec![tensor(vec![1], 0.0)])]).is_err());
            // Sampling and the special points refuse it instead of panicking or allocating.
            prop_assert!(sample_point(shape, &mut rng).is_err());
            prop_assert!(sample_step(shape, Sharing::Layerwise, 2, &mut rng).is_err());
            prop_assert!(PointSchedule::new(shape, Sharing::Shared, 0).points(0, 1).is_err());
            prop_assert!(shape.midpoint().is_err());
            prop_assert!(shape.vertex(0).is_none());
        }
    }

    #[test]
    fn regions_with_repeated_names_or_layers_beyond_their_groups_are_errors(
        specs in vec((0..3usize, hostile_count()), 1..4),
    ) {
        let n = specs.len();
        let groups: Vec<_> = specs
            .iter()
            .map(|&(name, layer)| group(&format!("g{name}"), layer, vec![tensor(vec![1], 0.0)]))
            .collect();
        let mut names: Vec<usize> = specs.iter().map(|s| s.0).collect();
        names.sort_unstable();
        names.dedup();
        let layers_fit = specs.iter().all(|s| s.1 < n);
        let result = Region::<Reference>::new(Shape::Point, groups);
        match result {
            Ok(region) => {
                prop_assert!(layers_fit && names.len() == n);
                prop_assert!(region.layers() <= n);
            }
            Err(Error::LayerOutOfRange { layer, groups, .. }) => {
                prop_assert!(layer >= groups && groups == n);
            }
            Err(Error::DuplicateGroup { .. }) => prop_assert!(layers_fit && names.len() < n),
            Err(e) => prop_assert!(false, "untyped error {e}"),
        }
    }

    #[test]
    fn host_tensors_with_dims_that_do_not_fit_the_data_are_errors(
        dims in vec(hostile_count(), 0..4),
        len in 0..40usize,
    ) {
        // The true product: 0 if any dim is 0, else none when it overflows.
        let product = if dims.contains(&0) {
            Some(0)
        } else {
            dims.iter().try_fold(1usize, |p, &d| p.checked_mul(d))
        };
        // What an array can index: the product of the non-zero dims up to isize::MAX.
        let indexable = dims
            .iter()
            .filter(|&&d| d != 0)
            .try_fold(1usize, |p, &d| p.checked_mul(d))
            .is_some_and(|p| p <= isize::MAX as usize);
        let fits = indexable && product == Some(len);
        let result = HostTensor::new(dims, vec![0.0; len]);
        prop_assert_eq!(result.is_ok(), fits);
        match result {
            Ok(t) => {
                // Every backend must take it (the reference's ndarray checks the shape).
                let back = Reference::tensor_to_host(Reference::from_host(&t, &Cpu)).unwrap();
                prop_assert_eq!(back, t);
            }
            Err(Error::LengthMismatch { .. }) => prop_assert!(indexable),
            Err(Error::DimsTooLarge { .. }) => prop_assert!(!indexable),
            Err(e) => prop_assert!(false, "untyped error {e}"),
        }
    }

    #[test]
    fn regions_with_wrong_copy_counts_or_dims_are_errors(
        copies in 0..5usize,
        mismatch in any::<bool>(),
        empty in any::<bool>(),
    ) {
        let groups = if empty {
            Vec::new()
        } else {
            let mut c: Vec<T> = (0..copies).map(|_| tensor(vec![2, 3], 1.0)).collect();
            if mismatch && copies > 1 {
                c[copies - 1] = tensor(vec![3, 2], 1.0);
            }
            vec![group("w", 0, c)]
        };
        let valid = !empty && copies == 2 && !mismatch;
        prop_assert_eq!(Region::<Reference>::new(Shape::Line, groups).is_ok(), valid);
    }

    #[test]
    fn mixes_of_the_wrong_copies_or_points_are_errors(
        copies in 0..5usize,
        wrong_dims in any::<bool>(),
        layers_given in 0..3usize,
        t in vec(hostile_f64(), 3),
    ) {
        let c = Shape::Line.coefficients(&Point::curve(0.25).unwrap()).unwrap();
        let mut tensors: Vec<T> = (0..copies).map(|_| tensor(vec![3], 1.0)).collect();
        if wrong_dims && copies > 1 {
            tensors[0] = tensor(vec![4], 1.0);
        }
        let valid = copies == 2 && !wrong_dims;
        prop_assert_eq!(mix::<Reference>(&tensors, &c).is_ok(), valid);

        // Layer 2 needs three layerwise points; a simplex point does not belong to a line.
        let region = Region::<Reference>::new(
            Shape::Line,
            vec![group("a", 0, vec![tensor(vec![2], 1.0), tensor(vec![2], 2.0)]),
                 group("b", 2, vec![tensor(vec![1], 1.0), tensor(vec![1], 2.0)]),
                 group("c", 1, vec![tensor(vec![1], 1.0), tensor(vec![1], 2.0)])],
        ).unwrap();
        let points = StepPoints::Layerwise(vec![Point::curve(0.5).unwrap(); layers_given]);
        prop_assert!(region.mix(&points).is_err());
        if let Ok(p) = Point::simplex(t) {
            prop_assert!(region.at(&p).is_err());
        }
    }

    #[test]
    fn wrong_gradients_are_errors(
        count in 0..4usize,
        wrong_dims in any::<bool>(),
        decay in hostile_f64(),
    ) {
        let region = line(vec![2, 2]);
        let points = StepPoints::Shared(Point::curve(0.5).unwrap());
        let mut grads: Vec<T> = (0..count).map(|_| tensor(vec![2, 2], 1.0)).collect();
        if wrong_dims && count > 0 {
            grads[0] = tensor(vec![4], 1.0);
        }
        let valid = count == 1 && !wrong_dims;
        prop_assert_eq!(region.scatter(grads.clone(), &points).is_ok(), valid);
        let all_valid = valid && decay.is_finite() && decay >= 0.0;
        prop_assert_eq!(copy_gradients(&region, grads.clone(), &points, None, decay).is_ok(), all_valid);
        let mut copies = vec![vec![tensor(vec![2, 2], 0.0); 2]];
        if wrong_dims {
            copies[0][1] = tensor(vec![2, 3], 0.0);
        }
        copies.truncate(count.min(1));
        let mut r = region.clone();
        prop_assert_eq!(r.set_copies(copies).is_ok(), count >= 1 && !wrong_dims);
    }

    #[test]
    fn bad_sgd_steps_are_errors_and_change_nothing(
        lr in hostile_f64(),
        momentum in hostile_f64(),
        dampening in hostile_f64(),
        decay in hostile_f64(),
        count in 0..3usize,
        wrong_dims in any::<bool>(),
        velocities in 0..4usize,
    ) {
        let mut region = line(vec![2, 2]);
        let points = StepPoints::Shared(Point::curve(0.5).unwrap());
        let mut grads: Vec<Option<T>> =
            (0..count).map(|_| Some(tensor(vec![2, 2], 1.0))).collect();
        if wrong_dims && count > 0 {
            grads[0] = Some(tensor(vec![4], 1.0));
        }
        // Two velocities of the group's dims fit; a third copy's, or dims [3], do not.
        let dims = if velocities == 3 { vec![3] } else { vec![2, 2] };
        let saved = vec![vec![Some(tensor(dims, 0.5)); velocities.min(2)]];
        let mut state = SgdState::from_velocities(saved);
        let config = SgdConfig::new()
            .with_momentum(Momentum { momentum, dampening, nesterov: false })
            .with_weight_decay(decay);
        let valid_config = momentum.is_finite() && momentum >= 0.0
            && (0.0..=1.0).contains(&dampening)
            && decay.is_finite() && decay >= 0.0;
        prop_assert_eq!(config.validate().is_ok(), valid_config);
        let valid = valid_config
            && lr.is_finite() && lr >= 0.0
            && count == 1 && !wrong_dims
            && velocities == 2;
        let before = region.to_host().unwrap();
        let result = sgd_step(&mut region, grads, &points, None, &mut state, &config, lr);
        prop_assert_eq!(result.is_ok(), valid);
        if !valid {
            let after = region.to_host().unwrap();
            for (a, b) in after.iter().zip(&before) {
                for (x, y) in a.copies.iter().zip(&b.copies) {
                    prop_assert_eq!(x.data(), y.data());
                }
            }
            prop_assert_eq!(state.velocities()[0].len(), velocities.min(2));
        }
    }

    #[test]
    fn bad_pairs_are_errors(i in hostile_count(), j in hostile_count(), m in hostile_count()) {
        let valid = i != j && i < m && j < m;
        prop_assert_eq!(Pair::new(i, j, m).is_ok(), valid);
        // A pair of a larger region used with a line, at every entry point.
        let region = line(vec![3]);
        if let Ok(pair) = Pair::new(i, j, m) {
            let fits = i < 2 && j < 2;
            prop_assert_eq!(cos2_regularizer(&region, pair, Cos2Config::default()).is_ok(), fits);
            prop_assert_eq!(copy_distance(&region, pair, true).is_ok(), fits);
            let foreign = Cos2::from_sums(pair, 1.0, 1.0, 1.0, Cos2Config::default());
            let points = StepPoints::Shared(Point::curve(0.5).unwrap());
            let g = vec![tensor(vec![3], 1.0)];
            prop_assert_eq!(copy_gradients(&region, g, &points, Some(&foreign), 0.0).is_ok(), fits);
            prop_assert_eq!(cos2_grads(&region, &foreign).is_ok(), fits);
            let g = vec![Some(tensor(vec![3], 1.0))];
            let mut r = region.clone();
            let stepped = sgd_step(&mut r, g, &points, Some(&foreign), &mut SgdState::new(), &SgdConfig::new(), 0.1);
            prop_assert_eq!(stepped.is_ok(), fits);
            // The gradient's terms need both copies, a copy in the pair and a regularized group.
            let w = &region.groups()[0];
            prop_assert_eq!(foreign.grad_lincomb_terms(w, i).is_some(), fits);
            prop_assert!(foreign.grad_lincomb_terms(w, m).is_none());
            let unregularized = Group { regularized: false, ..w.clone() };
            prop_assert!(foreign.grad_lincomb_terms(&unregularized, i).is_none());
        }
    }

    #[test]
    fn non_finite_copies_and_bad_settings_of_the_regularizer_are_errors(
        bad in hostile_f32(),
        beta in hostile_f64(),
        eps in hostile_f64(),
        regularized in any::<bool>(),
    ) {
        let copies = vec![
            Reference::from_host(&HostTensor::new(vec![2], vec![1.0, bad]).unwrap(), &Cpu),
            tensor(vec![2], 1.0),
        ];
        let region = Region::<Reference>::new(
            Shape::Line,
            vec![Group { name: "w".into(), layer: 0, regularized, copies }],
        ).unwrap();
        let pair = Pair::new(0, 1, 2).unwrap();
        let ok = cos2_regularizer(&region, pair, Cos2Config::default()).is_ok();
        // Squares of huge finite values overflow to infinity, which is an error too.
        let finite_sums = (f64::from(bad) * f64::from(bad)).is_finite();
        prop_assert_eq!(ok, regularized && finite_sums);
        let valid_config = beta.is_finite() && beta >= 0.0 && eps.is_finite() && eps >= 0.0;
        prop_assert_eq!(Cos2Config::new(beta, eps).is_ok(), valid_config);
        // A configuration built by hand is checked where it is used.
        let hand_built = Cos2Config { beta, eps };
        let good = Region::<Reference>::new(
            Shape::Line,
            vec![group("w", 0, vec![tensor(vec![2], 1.0), tensor(vec![2], 2.0)])],
        ).unwrap();
        prop_assert_eq!(cos2_regularizer(&good, pair, hand_built).is_ok(), valid_config);
        let points = StepPoints::Shared(Point::curve(0.5).unwrap());
        prop_assert_eq!(good.mix_with_cos2(&points, pair, hand_built).is_ok(), valid_config);
    }

    #[test]
    fn bad_averaging_inputs_are_errors(
        decay in hostile_f64(),
        count in 0..3usize,
        wrong_dims in any::<bool>(),
    ) {
        let params = || vec![tensor(vec![2], 1.0)];
        let valid_decay = decay.is_finite() && (0.0..1.0).contains(&decay);
        prop_assert_eq!(ema_init::<Reference>(params(), decay).is_ok(), valid_decay);
        let mut next: Vec<T> = (0..count).map(|_| tensor(vec![2], 2.0)).collect();
        if wrong_dims && count > 0 {
            next[0] = tensor(vec![3], 2.0);
        }
        let valid = count == 1 && !wrong_dims;
        let swa = swa_init::<Reference>(params());
        prop_assert_eq!(swa_update::<Reference>(&swa, next.clone()).is_ok(), valid);
        let ema = ema_init::<Reference>(params(), 0.5).unwrap();
        prop_assert_eq!(ema_update::<Reference>(&ema, next.clone()).is_ok(), valid);
        // A decay changed by hand is checked at the update.
        let changed = subspace_core::EmaState { decay, ..ema.clone() };
        prop_assert_eq!(ema_update::<Reference>(&changed, next).is_ok(), valid && valid_decay);
    }

    #[test]
    fn bad_logits_are_errors(
        rows in hostile_count(),
        classes in hostile_count(),
        data in vec(hostile_f32(), 0..12),
    ) {
        let fits = rows.checked_mul(classes) == Some(data.len());
        let valid = classes >= 1 && fits && data.iter().all(|x| x.is_finite());
        prop_assert_eq!(Logits::new(rows, classes, data).is_ok(), valid);
    }

    #[test]
    fn bad_labels_bins_and_members_are_errors(
        rows in 0..5usize,
        labels in vec(0..5usize, 0..6),
        bins in hostile_count(),
        other_rows in 0..5usize,
    ) {
        let logits = Logits::new(rows, 3, vec![0.5; rows * 3]).unwrap();
        let valid = rows > 0 && labels.len() == rows && labels.iter().all(|&l| l < 3);
        prop_assert_eq!(accuracy(&logits, &labels).is_ok(), valid);
        prop_assert_eq!(nll(&logits, &labels).is_ok(), valid);
        // Bins: at least one, at most MAX_ECE_BINS (more is an error, not an abort).
        let bins_ok = (1..=MAX_ECE_BINS).contains(&bins);
        prop_assert_eq!(calibration(&logits, &labels, bins).is_ok(), valid && bins_ok);
        let other = Logits::new(other_rows, 3, vec![1.0; other_rows * 3]).unwrap();
        let same = rows == other_rows && rows > 0;
        prop_assert_eq!(disagreement(&logits, &other).is_ok(), same);
        prop_assert_eq!(mean_total_variation(&logits, &other).is_ok(), same);
        prop_assert_eq!(ensemble(&[logits.clone(), other], Combine::LogitMean).is_ok(), rows == other_rows);
        prop_assert!(ensemble(&[], Combine::ProbabilityMean).is_err());
        prop_assert!(grid(rows.min(1)).is_err());
    }

    #[test]
    fn grids_of_too_few_or_too_many_points_are_errors(n in hostile_count()) {
        // A huge grid is an error, not an allocation failure.
        prop_assert_eq!(grid(n).is_ok(), (2..=MAX_GRID_POINTS).contains(&n));
    }

    #[test]
    fn corrupt_region_files_are_errors(bytes in vec(any::<u8>(), 0..64)) {
        let path = scratch(&format!("garbage-{}", bytes.len()));
        std::fs::write(&path, &bytes).unwrap();
        let result = read_region_file(&path);
        std::fs::remove_file(&path).unwrap();
        prop_assert!(result.is_err());
        prop_assert!(read_region_file(&path).is_err());
    }
}

/// A file path in the system's temporary directory, unique to this process.
fn scratch(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("subspace-hostile-{}-{name}", std::process::id()))
}

/// A safetensors file with no tensors and the given metadata.
fn header_only(metadata: &[(&str, &str)]) -> Vec<u8> {
    let entries: Vec<String> = metadata
        .iter()
        .map(|(k, v)| format!("\"{k}\":\"{v}\""))
        .collect();
    let json = format!("{{\"__metadata__\":{{{}}}}}", entries.join(","));
    let mut bytes = (json.len() as u64).to_le_bytes().to_vec();
    bytes.extend(json.as_bytes());
    bytes
}

#[test]
fn region_files_with_hostile_metadata_are_errors() {
    let shapes = [
        "bezier:18446744073709551615",
        "simplex:18446744073709551615",
        "bezier:0",
        "simplex:1",
        "simplex:-3",
        "torus",
    ];
    for shape in shapes {
        for groups in ["1", "18446744073709551615", "-1", "x"] {
            let bytes = header_only(&[
                ("subspace.format", "subspace-region/1"),
                ("subspace.shape", shape),
                ("subspace.groups", groups),
                ("subspace.group.0.name", "w"),
                ("subspace.group.0.layer", "0"),
                ("subspace.group.0.regularized", "true"),
            ]);
            let path = scratch(&format!("meta-{}-{groups}", shape.replace(':', "-")));
            std::fs::write(&path, bytes).unwrap();
            assert!(
                read_region_file(&path).is_err(),
                "{shape} with {groups} groups"
            );
            std::fs::remove_file(&path).unwrap();
        }
    }
}

#[test]
fn host_copies_round_trip_and_are_validated_like_region_new() {
    let host = line(vec![2, 3]).to_host().expect("the reference downloads");
    let back = Region::<Reference>::from_host(Shape::Line, host.clone(), &Cpu)
        .and_then(|region| region.to_host())
        .expect("a valid line");
    for (b, h) in back.iter().zip(&host) {
        assert_eq!((&b.name, b.layer, &b.copies), (&h.name, h.layer, &h.copies));
    }

    let mut short = host.clone();
    short[0].copies.pop();
    assert!(matches!(
        Region::<Reference>::from_host(Shape::Line, short, &Cpu),
        Err(Error::CopyCount {
            expected: 2,
            found: 1,
            ..
        })
    ));
    let mut transposed = host;
    transposed[0].copies[1] = HostTensor::new(vec![3, 2], vec![0.0; 6]).expect("dims fit");
    assert!(matches!(
        Region::<Reference>::from_host(Shape::Line, transposed, &Cpu),
        Err(Error::DimsMismatch { .. })
    ));
}
