//! The bias parts of an Affine layer: `add_bias` in the forward pass, `col_sum` (db) in the
//! backward pass. Written as zipped loops over whole rows, which LLVM vectorises with SIMD128.

/// In place: `x[i, j] += b[j]` for a row-major `rows×cols` matrix `x`.
pub fn add_bias(rows: usize, cols: usize, x: &mut [f32], b: &[f32]) {
    debug_assert_eq!(x.len(), rows * cols);
    if cols == 0 {
        return;
    }
    for row in x.chunks_exact_mut(cols) {
        for (xij, &bj) in row.iter_mut().zip(b) {
            *xij += bj;
        }
    }
}

/// `out[j] = Σ_i x[i, j]` for a row-major `rows×cols` matrix `x` (rows summed in order).
pub fn col_sum(rows: usize, cols: usize, x: &[f32], out: &mut [f32]) {
    debug_assert_eq!(x.len(), rows * cols);
    out.fill(0.0);
    if cols == 0 {
        return;
    }
    for row in x.chunks_exact(cols) {
        for (oj, &xij) in out.iter_mut().zip(row) {
            *oj += xij;
        }
    }
}
