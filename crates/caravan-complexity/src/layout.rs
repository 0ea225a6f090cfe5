//! The product space as a picture: which proximity links to draw (the maximum spanning tree plus
//! the strongest other links) and where to put each product (a deterministic force layout).

use ndarray::Array2;

/// Edges of the product space: a maximum spanning tree of the proximity graph (Prim, O(n²)) plus
/// the strongest other links, up to `n / 2` of them (Hidalgo et al. 2007, "The product space
/// conditions the development of nations", whose layout keeps the MST and links >= 0.55).
pub fn product_space_edges(phi: &Array2<f64>) -> Vec<(usize, usize, f64)> {
    let n = phi.nrows();
    if n < 2 {
        return Vec::new();
    }
    let weight = |a: usize, b: usize| {
        let w = phi[[a, b]].max(phi[[b, a]]);
        if w.is_finite() { w } else { 0.0 }
    };
    let mut in_tree = vec![false; n];
    let mut best = vec![(f64::NEG_INFINITY, usize::MAX); n];
    let mut edges = Vec::with_capacity(n + n / 2);
    let mut current = 0;
    in_tree[0] = true;
    for _ in 1..n {
        for v in 0..n {
            if !in_tree[v] {
                let w = weight(current, v);
                if w > best[v].0 {
                    best[v] = (w, current);
                }
            }
        }
        let Some(next) = (0..n)
            .filter(|&v| !in_tree[v])
            .max_by(|&a, &b| best[a].0.total_cmp(&best[b].0).then(b.cmp(&a)))
        else {
            break;
        };
        in_tree[next] = true;
        edges.push((best[next].1, next, best[next].0.max(0.0)));
        current = next;
    }
    let mut tree: std::collections::HashSet<(usize, usize)> =
        edges.iter().map(|&(a, b, _)| (a.min(b), a.max(b))).collect();
    let mut extra: Vec<(usize, usize, f64)> = Vec::new();
    for a in 0..n {
        for b in a + 1..n {
            let w = weight(a, b);
            if w > 0.0 && !tree.contains(&(a, b)) {
                extra.push((a, b, w));
            }
        }
    }
    extra.sort_by(|x, y| y.2.total_cmp(&x.2).then((x.0, x.1).cmp(&(y.0, y.1))));
    for e in extra.into_iter().take(n / 2) {
        tree.insert((e.0, e.1));
        edges.push(e);
    }
    edges
}

/// A deterministic force-directed layout (Fruchterman & Reingold 1991): nodes start on a circle in
/// index order; no randomness, so the same data always gives the same picture.
pub fn force_layout(n: usize, edges: &[(usize, usize, f64)]) -> Vec<(f64, f64)> {
    let mut pos: Vec<(f64, f64)> = (0..n)
        .map(|i| {
            let angle = i as f64 * std::f64::consts::TAU / n.max(1) as f64;
            let radius = 0.5 + 0.5 * ((i * 7919) % 97) as f64 / 97.0;
            (radius * angle.cos(), radius * angle.sin())
        })
        .collect();
    if n < 2 {
        return pos;
    }
    let k = (4.0 / n as f64).sqrt();
    // O(n²) per iteration: bound the total work so an HS4 table lays out in well under a second.
    let iterations = (40_000_000 / (n * n)).clamp(15, 200);
    let mut temperature = 0.2;
    let cooling = temperature / iterations as f64;
    let mut disp = vec![(0.0, 0.0); n];
    for _ in 0..iterations {
        disp.iter_mut().for_each(|d| *d = (0.0, 0.0));
        for a in 0..n {
            for b in a + 1..n {
                let (dx, dy) = (pos[a].0 - pos[b].0, pos[a].1 - pos[b].1);
                let dist2 = (dx * dx + dy * dy).max(1e-6);
                let f = k * k / dist2;
                disp[a].0 += dx * f;
                disp[a].1 += dy * f;
                disp[b].0 -= dx * f;
                disp[b].1 -= dy * f;
            }
        }
        for &(a, b, w) in edges {
            let (dx, dy) = (pos[a].0 - pos[b].0, pos[a].1 - pos[b].1);
            let dist = (dx * dx + dy * dy).sqrt().max(1e-3);
            let f = dist * (0.5 + w) / k;
            disp[a].0 -= dx * f;
            disp[a].1 -= dy * f;
            disp[b].0 += dx * f;
            disp[b].1 += dy * f;
        }
        for (p, d) in pos.iter_mut().zip(&disp) {
            let len = (d.0 * d.0 + d.1 * d.1).sqrt().max(1e-9);
            let step = len.min(temperature);
            p.0 += d.0 / len * step;
            p.1 += d.1 / len * step;
        }
        temperature = (temperature - cooling).max(0.005);
    }
    pos
}

#[cfg(test)]
mod tests {
    use ndarray::array;

    use super::*;

    #[test]
    fn edges_are_the_maximum_spanning_tree_then_the_strongest_others() {
        // Four products: the maximum spanning tree of this proximity is 0–1 (0.9), 1–2 (0.8),
        // 2–3 (0.7); the strongest link left out, 0–2 (0.6), comes next (n / 2 = 2 extra at
        // most, and only positive links: 0–3 and 1–3 are 0 and never drawn).
        let phi = array![
            [1.0, 0.9, 0.6, 0.0],
            [0.9, 1.0, 0.8, 0.0],
            [0.6, 0.8, 1.0, 0.7],
            [0.0, 0.0, 0.7, 1.0],
        ];
        let edges = product_space_edges(&phi);
        let pairs: Vec<(usize, usize)> =
            edges.iter().map(|&(a, b, _)| (a.min(b), a.max(b))).collect();
        assert_eq!(pairs, vec![(0, 1), (1, 2), (2, 3), (0, 2)]);
        assert!((edges[3].2 - 0.6).abs() < 1e-12);
        // Asymmetric or missing proximities: the larger direction counts, NaN as 0.
        let phi = array![[1.0, f64::NAN], [0.4, 1.0]];
        assert_eq!(product_space_edges(&phi), vec![(0, 1, 0.4)]);
        assert!(product_space_edges(&Array2::zeros((1, 1))).is_empty());
    }

    #[test]
    fn layout_is_deterministic_and_pulls_linked_products_together() {
        let edges = [(0, 1, 0.9), (2, 3, 0.9)];
        let a = force_layout(4, &edges);
        assert_eq!(a, force_layout(4, &edges), "no randomness");
        let dist =
            |p: (f64, f64), q: (f64, f64)| ((p.0 - q.0).powi(2) + (p.1 - q.1).powi(2)).sqrt();
        assert!(dist(a[0], a[1]) < dist(a[0], a[2]), "{a:?}");
        assert!(dist(a[2], a[3]) < dist(a[1], a[3]), "{a:?}");
        assert!(a.iter().all(|p| p.0.is_finite() && p.1.is_finite()));
        assert_eq!(force_layout(1, &[]).len(), 1);
    }
}
