//! A CPU compiler pass that turns 2-D matmuls into `matrixmultiply::sgemm` calls, working around
//! a bug of luminal `0.2.0`.
//!
//! `GraphTensor::matmul` of an `[A, B]` and a `[B, C]` matrix is a broadcast multiply of dims
//! `[A, C, B]` followed by `SumReduce(2)`. luminal's `MatMul2DCompiler` looks for that pattern
//! but checks for `SumReduce(0)`, so it never fires: every 2-D matmul then runs element by
//! element, with an index expression interpreted per element (about 45 s for the logits of
//! 1000 rows of a 784-128-10 MLP instead of milliseconds). [`MatMul2DAxis2`] is the same
//! rewrite with the right axis, to luminal's own [`MatMul2D`] op (which reads both operands
//! through their strides, so transposed operands need no copy). luminal's CUDA compiler checks
//! the right axis and needs no fix.

use luminal::op::{Mul, SumReduce};
use luminal::prelude::{
    Compiler, Graph, MatMul2D, NodeIndex, SelectOp, ToIdsMut, move_outgoing_edge, move_references,
};

/// Rewrites `Mul([A, C(fake), B], [A(fake), C, B]) → SumReduce(2)` into [`MatMul2D`].
#[derive(Debug, Default)]
pub struct MatMul2DAxis2;

impl Compiler for MatMul2DAxis2 {
    fn compile<T: ToIdsMut>(&self, graph: &mut Graph, mut remap: T) {
        let (mut sum_reduce, mut mul) = (NodeIndex::default(), NodeIndex::default());
        let pattern = SelectOp::new()
            .ty::<Mul>()
            .shapes([['A', 'C', 'B'], ['A', 'C', 'B']])
            .fakes([
                [Some(false), Some(true), Some(false)],
                [Some(true), Some(false), Some(false)],
            ])
            .ptr(&mut mul)
            .edge(
                SelectOp::new()
                    .ty::<SumReduce>()
                    .check(|op, _| op.as_any().downcast_ref() == Some(&SumReduce(2)))
                    .ptr(&mut sum_reduce),
            );
        let mut searcher = pattern.search(graph);
        while searcher.next_match() {
            if graph.no_delete.contains(&mul) {
                // The product itself is an output: keep it.
                continue;
            }
            let mut sources = graph.get_sources(mul);
            // Undo the broadcasts and the transpose of the right operand.
            sources[0].2.remove_dim(1);
            sources[1].2.remove_dim(0);
            sources[1].2.permute(&[1, 0]);
            let matmul = graph
                .add_op(MatMul2D)
                .input(sources[0].0, sources[0].1, sources[0].2)
                .input(sources[1].0, sources[1].1, sources[1].2)
                .finish();
            move_outgoing_edge(sum_reduce, matmul, &mut graph.graph);
            for old in [sum_reduce, mul] {
                move_references(
                    &mut remap,
                    &mut graph.no_delete,
                    &mut graph.to_retrieve,
                    old,
                    matmul,
                );
            }
            graph.graph.remove_node(mul);
            graph.graph.remove_node(sum_reduce);
        }
    }
}

#[cfg(test)]
mod tests {
    use luminal::prelude::{Axes2, Dyn, GraphTensor, Matmul, Tensor};

    use super::*;
    use crate::target::{Cpu, Target};

    type M = (Dyn<'m'>, Dyn<'k'>);
    type N = (Dyn<'k'>, Dyn<'n'>);

    #[test]
    fn matmuls_become_sgemm_calls_with_the_same_result() {
        let mut graph = Box::new(Graph::new());
        let a = graph.named_tensor::<M>("a");
        let b = graph.named_tensor::<N>("b");
        let ab = a.matmul(b).retrieve().no_shape();
        // aᵀ (a b): a transposed left operand.
        let at_ab: GraphTensor<(Dyn<'k'>, Dyn<'n'>)> = a
            .permute::<(Dyn<'k'>, Dyn<'m'>), Axes2<1, 0>>()
            .matmul(a.matmul(b));
        let at_ab = at_ab.retrieve().no_shape();
        let mut outputs = vec![ab, at_ab];
        Cpu::compile(&mut graph, &mut outputs);

        let count = |f: fn(&dyn std::any::Any) -> bool| {
            graph
                .graph
                .node_weights()
                .filter(|op| f(op.as_any()))
                .count()
        };
        // CSE merges the two `a b`: two products remain, both sgemm calls.
        assert_eq!(count(|op| op.is::<MatMul2D>()), 2);
        assert_eq!(count(|op| op.is::<SumReduce>()), 0);

        // a = [[1, 2, 3], [4, 5, 6]], b = [[1, 0], [0, 1], [1, 1]].
        for (dim, size) in [('m', 2), ('k', 3), ('n', 2)] {
            graph.set_dyn_dim(dim, size);
        }
        graph.set_tensor(a.id, 0, Tensor::new(vec![1.0f32, 2., 3., 4., 5., 6.]));
        graph.set_tensor(b.id, 0, Tensor::new(vec![1.0f32, 0., 0., 1., 1., 1.]));
        graph.execute();
        assert_eq!(outputs[0].data(), vec![4.0, 5.0, 10.0, 11.0]);
        // aᵀ [[4, 5], [10, 11]] = [[44, 49], [58, 65], [72, 81]].
        assert_eq!(outputs[1].data(), vec![44.0, 49.0, 58.0, 65.0, 72.0, 81.0]);
    }
}
