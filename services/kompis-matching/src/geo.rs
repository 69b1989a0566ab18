//! Great-circle distances and a grid of locations for sub-quadratic neighbour search.

use std::collections::HashMap;

use crate::model::GeoPoint;

/// Mean earth radius, metres (IUGG).
const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// Metres per degree of latitude on the mean sphere.
const M_PER_DEGREE: f64 = EARTH_RADIUS_M * std::f64::consts::PI / 180.0;

pub(crate) fn km_to_m(km: f64) -> i64 {
    if km.is_finite() && km > 0.0 {
        (km * 1000.0).round().min(4.0e7) as i64
    } else {
        0
    }
}

/// A location with its trigonometry precomputed, so that a pair needs none.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Point {
    sin_lat: f64,
    cos_lat: f64,
    sin_lon: f64,
    cos_lon: f64,
}

impl Point {
    pub fn new(p: GeoPoint) -> Self {
        let lat = p.lat.clamp(-90.0, 90.0).to_radians();
        let lon = p.lon.to_radians();
        Self {
            sin_lat: lat.sin(),
            cos_lat: lat.cos(),
            sin_lon: lon.sin(),
            cos_lon: lon.cos(),
        }
    }

    /// The haversine term `a = sin²(Δφ/2) + cos φ1 cos φ2 sin²(Δλ/2)`, with
    /// `sin²(Δ/2) = (1 - cos Δ) / 2` and `cos Δ` from the angle-difference identity.
    /// The distance is 2R·asin(√a); `a` is monotone in it, so comparing `a` with a
    /// threshold decides "too far" without inverse trigonometry. (For districts 1 m
    /// apart the cancellation in `1 - cos Δ` costs under a micrometre.)
    #[inline]
    pub fn hav(&self, o: &Self) -> f64 {
        let cos_dlat = self.cos_lat * o.cos_lat + self.sin_lat * o.sin_lat;
        let cos_dlon = self.cos_lon * o.cos_lon + self.sin_lon * o.sin_lon;
        let a = 0.5 * (1.0 - cos_dlat) + self.cos_lat * o.cos_lat * 0.5 * (1.0 - cos_dlon);
        a.max(0.0)
    }
}

/// `a` for a distance of `m` metres.
pub(crate) fn hav_of_m(m: f64) -> f64 {
    let s = (m / (2.0 * EARTH_RADIUS_M))
        .min(std::f64::consts::FRAC_PI_2)
        .sin();
    s * s
}

/// Metres for a haversine term, rounded to the metre.
pub(crate) fn m_of_hav(a: f64) -> u32 {
    let x = a.clamp(0.0, 1.0).sqrt();
    // asin by its series below 0.01 (75 km): the first omitted term, 5x⁷/112, is
    // under 1e-15 rad, far below a metre.
    let angle = if x < 0.01 {
        let x2 = x * x;
        x * (1.0 + x2 * (1.0 / 6.0 + x2 * (3.0 / 40.0)))
    } else {
        x.asin()
    };
    // Non-negative, so adding one half and truncating rounds to the nearest metre.
    (2.0 * EARTH_RADIUS_M * angle + 0.5) as u32
}

/// Great-circle distance in kilometres between two points (haversine on the mean
/// sphere), rounded to the metre, as the engine uses it. Cost: O(1).
///
/// # Examples
///
/// ```
/// use kompis_matching::{distance_km, GeoPoint};
/// // Alby to Tumba, two districts of Botkyrka: about 4.5 km.
/// let alby = GeoPoint { lat: 59.2390, lon: 17.8460 };
/// let tumba = GeoPoint { lat: 59.1990, lon: 17.8340 };
/// assert!((distance_km(alby, tumba) - 4.5).abs() < 0.1);
/// ```
pub fn distance_km(a: GeoPoint, b: GeoPoint) -> f64 {
    f64::from(m_of_hav(Point::new(a).hav(&Point::new(b)))) / 1000.0
}

/// Buckets points into cells half a radius wide, so that all points within `radius`
/// of a point lie in the 5×5 cells around its own. Points are renumbered ("positions")
/// cell by cell and, within a cell, by coordinates, so that the points of a cell are
/// contiguous and points at the same place (participants of one district) form runs
/// whose distance is computed once.
#[derive(Debug)]
pub(crate) struct Grid {
    cell_lat: f64,
    cell_lon: f64,
    /// Per cell, the range of its runs in `runs`.
    cells: HashMap<(i32, i32), (u32, u32)>,
    /// Runs of positions at the same place: `(first, end)`.
    runs: Vec<(u32, u32)>,
    /// `order[pos]` is the index of the point at position `pos`.
    pub order: Vec<u32>,
}

impl Grid {
    /// Cost: O(n log n).
    pub fn new(points: &[GeoPoint], radius_m: f64, max_abs_lat: f64) -> Self {
        let cell_lat = (radius_m / M_PER_DEGREE / 2.0).max(1e-6);
        // A degree of longitude shrinks with cos(lat): size cells for the most polar
        // latitude present, so they are wide enough everywhere.
        let cos = max_abs_lat.min(89.0).to_radians().cos();
        let cell_lon = (cell_lat / cos).min(90.0);
        let mut grid = Self {
            cell_lat,
            cell_lon,
            cells: HashMap::new(),
            runs: Vec::new(),
            order: Vec::new(),
        };
        type Key = ((i32, i32), u64, u64, u32);
        let mut keyed: Vec<Key> = points
            .iter()
            .enumerate()
            .map(|(i, p)| (grid.cell(*p), p.lat.to_bits(), p.lon.to_bits(), i as u32))
            .collect();
        keyed.sort_unstable();
        let mut start = 0usize;
        while start < keyed.len() {
            let cell = keyed[start].0;
            let first_run = grid.runs.len() as u32;
            let mut run = start;
            while run < keyed.len() && keyed[run].0 == cell {
                let mut end = run;
                while end < keyed.len()
                    && keyed[end].0 == cell
                    && keyed[end].1 == keyed[run].1
                    && keyed[end].2 == keyed[run].2
                {
                    end += 1;
                }
                grid.runs.push((run as u32, end as u32));
                run = end;
            }
            grid.cells.insert(cell, (first_run, grid.runs.len() as u32));
            start = run;
        }
        grid.order = keyed.into_iter().map(|k| k.3).collect();
        grid
    }

    /// Runs of positions at the same place, in position order.
    pub fn runs(&self) -> &[(u32, u32)] {
        &self.runs
    }

    fn cell(&self, p: GeoPoint) -> (i32, i32) {
        (
            (p.lat / self.cell_lat).floor() as i32,
            (p.lon / self.cell_lon).floor() as i32,
        )
    }

    /// Calls `f(first, end)` for every run of positions at one place in the 5×5 cells
    /// around `p`.
    pub fn for_each_run_near(&self, p: GeoPoint, mut f: impl FnMut(u32, u32)) {
        let (a, b) = self.cell(p);
        for da in -2..=2 {
            for db in -2..=2 {
                if let Some(&(lo, hi)) = self.cells.get(&(a + da, b + db)) {
                    for &(first, end) in &self.runs[lo as usize..hi as usize] {
                        f(first, end);
                    }
                }
            }
        }
    }
}
