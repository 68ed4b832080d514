//! Compiled luminal graphs with host inputs and outputs, compiled once per thread and reused.
//!
//! A graph is built from typed luminal ops whose sizes are *dynamic dimensions* (`Dyn<'n'>`),
//! compiled by a [`Target`] the first time its [`GraphKey`] is used on a thread, and kept in a
//! thread-local cache: every later call with the same key sets the dynamic dimensions and the
//! input tensors and executes the already compiled graph, whatever the sizes. luminal graphs
//! hold raw pointers into themselves, so they are neither `Send` nor movable; each lives in a
//! `Box` for its whole life and never leaves its thread.

use std::any::TypeId;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;

use luminal::prelude::{Graph, GraphTensor, NodeIndex, Shape, Tensor as LuminalTensor};

use crate::target::Target;

/// Which graph: one compiled graph per key and target, whatever the dims.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum GraphKey {
    /// `Σ_k c_k x_k` over this many terms.
    Lincomb {
        /// The number of terms.
        terms: usize,
    },
    /// `<a, b>` as a blocked sum.
    Dot,
    /// `<a, b>`, `|a|²`, `|b|²` as blocked sums.
    Gram,
    /// The MLP's logits.
    MlpLogits,
    /// The MLP's mean cross-entropy and its analytic gradient.
    MlpLossAndGrads,
}

/// Collects the input and output nodes of a graph under construction.
pub(crate) struct GraphBuilder<'g> {
    graph: &'g mut Graph,
    inputs: Vec<NodeIndex>,
    outputs: Vec<GraphTensor<()>>,
}

impl GraphBuilder<'_> {
    /// A new input node; inputs are fed in the order they were created.
    pub(crate) fn input<S: Shape>(&mut self, name: &str) -> GraphTensor<S> {
        let t = self.graph.named_tensor::<S>(name);
        self.inputs.push(t.id);
        t
    }

    /// A scalar constant.
    pub(crate) fn constant(&mut self, value: f32) -> GraphTensor<()> {
        self.graph.constant(value)
    }

    /// A scalar equal to the dynamic dimension `dim` at run time.
    pub(crate) fn constant_expr(&mut self, dim: char) -> GraphTensor<()> {
        self.graph.constant_expr(dim)
    }

    /// Marks `t` as an output; outputs come back in the order they were marked, row-major.
    pub(crate) fn output<S: Shape>(&mut self, t: GraphTensor<S>) {
        self.outputs.push(t.retrieve().no_shape());
    }
}

/// A compiled graph and where its inputs and outputs are.
struct Compiled {
    graph: Box<Graph>,
    inputs: Vec<NodeIndex>,
    outputs: Vec<GraphTensor<()>>,
}

impl Compiled {
    fn new<T: Target>(build: impl FnOnce(&mut GraphBuilder<'_>)) -> Self {
        let mut graph = Box::new(Graph::new());
        let mut builder = GraphBuilder {
            graph: &mut graph,
            inputs: Vec::new(),
            outputs: Vec::new(),
        };
        build(&mut builder);
        let GraphBuilder {
            inputs,
            mut outputs,
            ..
        } = builder;
        T::compile(&mut graph, &mut outputs);
        COMPILATIONS.with(|c| c.set(c.get() + 1));
        Self {
            graph,
            inputs,
            outputs,
        }
    }

    fn run(&mut self, dyn_dims: &[(char, usize)], inputs: Vec<Vec<f32>>) -> Vec<Vec<f32>> {
        assert_eq!(
            inputs.len(),
            self.inputs.len(),
            "a graph is always fed the inputs it was built with"
        );
        // Nothing of an earlier run (even one that panicked) may stand in for a result:
        // `execute` skips every node whose output is already present.
        self.graph.tensors.clear();
        for &(dim, size) in dyn_dims {
            self.graph.set_dyn_dim(dim, size);
        }
        for (&id, data) in self.inputs.iter().zip(inputs) {
            self.graph.set_tensor(id, 0, LuminalTensor::new(data));
        }
        self.graph.execute();
        let results = self.outputs.iter().map(GraphTensor::data).collect();
        // Retrieved outputs survive `execute`; drop them so the next run recomputes them.
        self.graph.drop_tensors(self.outputs.clone());
        results
    }
}

thread_local! {
    static GRAPHS: RefCell<HashMap<(TypeId, GraphKey), Compiled>> = RefCell::new(HashMap::new());
    static COMPILATIONS: Cell<usize> = const { Cell::new(0) };
}

/// Runs the graph `key` for target `T` on `inputs` (row-major, in the order `build` created
/// them) with the dynamic dimensions `dyn_dims`; compiles it with `build` on first use on this
/// thread. Returns the outputs in the order `build` marked them.
pub(crate) fn run<T: Target>(
    key: GraphKey,
    build: impl FnOnce(&mut GraphBuilder<'_>),
    dyn_dims: &[(char, usize)],
    inputs: Vec<Vec<f32>>,
) -> Vec<Vec<f32>> {
    GRAPHS.with(|graphs| {
        graphs
            .borrow_mut()
            .entry((TypeId::of::<T>(), key))
            .or_insert_with(|| Compiled::new::<T>(build))
            .run(dyn_dims, inputs)
    })
}

/// How many graphs this thread has compiled so far (every target together).
#[cfg(test)]
pub(crate) fn compilations() -> usize {
    COMPILATIONS.with(Cell::get)
}
