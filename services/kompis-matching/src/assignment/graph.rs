//! A sparse bipartite graph in compressed sparse row (CSR) form.

use super::AssignmentError;

/// A sparse weighted bipartite graph between `n_left` left vertices and `n_right`
/// right vertices, stored row by row (compressed sparse row).
///
/// Edges of each left vertex are kept in the order they were given; duplicate
/// edges are allowed but pointless (the solvers use the best of them).
///
/// # Examples
///
/// ```
/// use kompis_matching::assignment::BipartiteGraph;
///
/// let g = BipartiteGraph::from_edges(2, 3, &[(0, 2, 5), (1, 0, 7), (0, 1, 1)]).unwrap();
/// assert_eq!(g.n_edges(), 3);
/// assert_eq!(g.edges_of(0).collect::<Vec<_>>(), vec![(2, 5), (1, 1)]);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BipartiteGraph {
    n_left: usize,
    n_right: usize,
    offsets: Vec<usize>,
    targets: Vec<u32>,
    weights: Vec<i64>,
}

impl BipartiteGraph {
    /// Builds a graph from `(left, right, weight)` triples.
    ///
    /// Cost: O(n_left + E) time and memory (a counting sort by left vertex, stable).
    ///
    /// # Errors
    ///
    /// [`AssignmentError::VertexOutOfRange`] if an endpoint is out of range, and
    /// [`AssignmentError::TooLarge`] if a side has more than `u32::MAX - 1` vertices.
    pub fn from_edges(
        n_left: usize,
        n_right: usize,
        edges: &[(u32, u32, i64)],
    ) -> Result<Self, AssignmentError> {
        if n_left >= u32::MAX as usize || n_right >= u32::MAX as usize {
            return Err(AssignmentError::TooLarge);
        }
        let mut offsets = vec![0usize; n_left + 1];
        for &(l, r, _) in edges {
            if l as usize >= n_left || r as usize >= n_right {
                return Err(AssignmentError::VertexOutOfRange);
            }
            offsets[l as usize + 1] += 1;
        }
        for i in 0..n_left {
            offsets[i + 1] += offsets[i];
        }
        let mut fill = offsets.clone();
        let mut targets = vec![0u32; edges.len()];
        let mut weights = vec![0i64; edges.len()];
        for &(l, r, w) in edges {
            let at = &mut fill[l as usize];
            targets[*at] = r;
            weights[*at] = w;
            *at += 1;
        }
        Ok(Self {
            n_left,
            n_right,
            offsets,
            targets,
            weights,
        })
    }

    /// Builds a graph from CSR arrays: the edges of left vertex `i` are
    /// `targets[offsets[i]..offsets[i + 1]]` with the matching `weights`.
    ///
    /// Cost: O(n_left + E) to validate.
    ///
    /// # Errors
    ///
    /// [`AssignmentError::MalformedCsr`] if the arrays are inconsistent, and
    /// [`AssignmentError::VertexOutOfRange`] if a target is `>= n_right`.
    pub fn from_csr(
        n_right: usize,
        offsets: Vec<usize>,
        targets: Vec<u32>,
        weights: Vec<i64>,
    ) -> Result<Self, AssignmentError> {
        if offsets.is_empty()
            || offsets[0] != 0
            || *offsets.last().unwrap_or(&0) != targets.len()
            || targets.len() != weights.len()
            || offsets.windows(2).any(|w| w[0] > w[1])
        {
            return Err(AssignmentError::MalformedCsr);
        }
        let n_left = offsets.len() - 1;
        if n_left >= u32::MAX as usize || n_right >= u32::MAX as usize {
            return Err(AssignmentError::TooLarge);
        }
        if targets.iter().any(|&t| t as usize >= n_right) {
            return Err(AssignmentError::VertexOutOfRange);
        }
        Ok(Self {
            n_left,
            n_right,
            offsets,
            targets,
            weights,
        })
    }

    /// [`BipartiteGraph::from_csr`] for arrays the crate built itself, checked only
    /// in debug builds. Cost: O(1).
    pub(crate) fn from_local_csr(
        n_right: usize,
        offsets: Vec<usize>,
        targets: Vec<u32>,
        weights: Vec<i64>,
    ) -> Self {
        debug_assert_eq!(
            Self::from_csr(n_right, offsets.clone(), targets.clone(), weights.clone()).map(|_| ()),
            Ok(())
        );
        Self {
            n_left: offsets.len() - 1,
            n_right,
            offsets,
            targets,
            weights,
        }
    }

    /// Number of left vertices.
    pub fn n_left(&self) -> usize {
        self.n_left
    }

    /// Number of right vertices.
    pub fn n_right(&self) -> usize {
        self.n_right
    }

    /// Number of edges.
    pub fn n_edges(&self) -> usize {
        self.targets.len()
    }

    /// The `(right, weight)` edges of left vertex `left`, in stored order. Cost: O(1) to create.
    ///
    /// # Panics
    ///
    /// If `left >= n_left`.
    pub fn edges_of(&self, left: usize) -> impl Iterator<Item = (u32, i64)> + '_ {
        let range = self.offsets[left]..self.offsets[left + 1];
        self.targets[range.clone()]
            .iter()
            .copied()
            .zip(self.weights[range].iter().copied())
    }

    /// The weight of edge `(left, right)`, the largest if it is stored more than once.
    /// Cost: O(degree of `left`).
    pub fn weight(&self, left: usize, right: usize) -> Option<i64> {
        self.edges_of(left)
            .filter(|&(r, _)| r as usize == right)
            .map(|(_, w)| w)
            .max()
    }

    /// The same graph seen from the right side. Cost: O(n_right + E).
    pub fn transposed(&self) -> Self {
        let mut offsets = vec![0usize; self.n_right + 1];
        for &t in &self.targets {
            offsets[t as usize + 1] += 1;
        }
        for j in 0..self.n_right {
            offsets[j + 1] += offsets[j];
        }
        let mut fill = offsets.clone();
        let mut targets = vec![0u32; self.targets.len()];
        let mut weights = vec![0i64; self.targets.len()];
        for i in 0..self.n_left {
            for k in self.offsets[i]..self.offsets[i + 1] {
                let at = &mut fill[self.targets[k] as usize];
                targets[*at] = i as u32;
                weights[*at] = self.weights[k];
                *at += 1;
            }
        }
        Self {
            n_left: self.n_right,
            n_right: self.n_left,
            offsets,
            targets,
            weights,
        }
    }

    pub(crate) fn offsets(&self) -> &[usize] {
        &self.offsets
    }

    pub(crate) fn targets(&self) -> &[u32] {
        &self.targets
    }

    pub(crate) fn weights(&self) -> &[i64] {
        &self.weights
    }

    /// Largest absolute weight, 0 for an empty graph.
    pub(crate) fn max_abs_weight(&self) -> i64 {
        self.weights.iter().map(|w| w.saturating_abs()).max().unwrap_or(0)
    }
}
