//! Eigen-decomposition of the small dense symmetric `locations x locations` matrix of the
//! eigenvector method.
//!
//! Delegates to nalgebra's `SymmetricEigen` (Householder tridiagonalisation followed by implicit
//! symmetric QR steps; Golub & Van Loan, *Matrix Computations*, 4th ed., sections 8.3 and 8.3.5),
//! which costs `O(n^3)` once, a few milliseconds for 230 locations.

/// Eigenvalues and eigenvectors of the symmetric `n x n` matrix `a` (row-major, length `n * n`).
///
/// Returns `(values, vectors)` where column `k` of the row-major `vectors` (that is
/// `vectors[i * n + k]`) is the unit eigenvector of `values[k]`. Values are not sorted.
/// The upper triangle is mirrored onto the lower one first, so rounding in the caller cannot
/// make the input asymmetric.
pub(crate) fn symmetric_eigen(a: Vec<f64>, n: usize) -> (Vec<f64>, Vec<f64>) {
    debug_assert_eq!(a.len(), n * n, "matrix must be n x n");
    let matrix =
        nalgebra::DMatrix::from_fn(n, n, |i, j| if i <= j { a[i * n + j] } else { a[j * n + i] });
    let eigen = nalgebra::SymmetricEigen::new(matrix);
    let values = eigen.eigenvalues.iter().copied().collect();
    let mut vectors = vec![0.0; n * n];
    for i in 0..n {
        for k in 0..n {
            vectors[i * n + k] = eigen.eigenvectors[(i, k)];
        }
    }
    (values, vectors)
}
