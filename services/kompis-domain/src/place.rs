//! Places: WGS84 coordinates and Swedish municipality codes.

use std::fmt;
use std::str::FromStr;

use crate::FieldError;

/// Mean earth radius in kilometres (IUGG mean radius R1), used by the haversine formula.
pub const EARTH_MEAN_RADIUS_KM: f64 = 6371.0088;

/// A point on earth in WGS84 degrees: latitude in [-90, 90], longitude in [-180, 180],
/// both finite.
///
/// Districts carry coordinates so that "near" is real geography, not equality of names.
///
/// # Examples
///
/// ```
/// use kompis_domain::Coordinates;
///
/// let stockholm = Coordinates::new(59.3293, 18.0686)?;
/// let goteborg = Coordinates::new(57.7089, 11.9746)?;
/// let km = stockholm.distance_km(&goteborg);
/// assert!((km - 398.0).abs() < 2.0, "{km}");
///
/// assert!(Coordinates::new(91.0, 0.0).is_err());
/// assert!(Coordinates::new(f64::NAN, 0.0).is_err());
/// # Ok::<(), kompis_domain::FieldError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Coordinates {
    latitude: f64,
    longitude: f64,
}

impl Coordinates {
    /// Validates a latitude and longitude in degrees.
    pub fn new(latitude: f64, longitude: f64) -> Result<Self, FieldError> {
        if !latitude.is_finite() || !(-90.0..=90.0).contains(&latitude) {
            return Err(FieldError::new(
                "latitude must be a finite number of degrees between -90 and 90",
            ));
        }
        if !longitude.is_finite() || !(-180.0..=180.0).contains(&longitude) {
            return Err(FieldError::new(
                "longitude must be a finite number of degrees between -180 and 180",
            ));
        }
        Ok(Self { latitude, longitude })
    }

    /// Latitude in degrees, north positive.
    pub fn latitude(&self) -> f64 {
        self.latitude
    }

    /// Longitude in degrees, east positive.
    pub fn longitude(&self) -> f64 {
        self.longitude
    }

    /// Great-circle distance in kilometres by the haversine formula on a sphere of radius
    /// [`EARTH_MEAN_RADIUS_KM`]. Within 0.5 % of the ellipsoidal distance, which is ample
    /// for ranking districts by closeness. Constant time.
    ///
    /// # Examples
    ///
    /// ```
    /// use kompis_domain::Coordinates;
    ///
    /// let alby = Coordinates::new(59.2392, 17.8456)?;
    /// let tumba = Coordinates::new(59.1998, 17.8331)?;
    /// let km = alby.distance_km(&tumba);
    /// assert!((4.0..5.0).contains(&km), "{km}");
    /// assert_eq!(alby.distance_km(&alby), 0.0);
    /// # Ok::<(), kompis_domain::FieldError>(())
    /// ```
    pub fn distance_km(&self, other: &Coordinates) -> f64 {
        let (phi1, phi2) = (self.latitude.to_radians(), other.latitude.to_radians());
        let d_phi = phi2 - phi1;
        let d_lambda = (other.longitude - self.longitude).to_radians();
        let a = (d_phi / 2.0).sin().powi(2) + phi1.cos() * phi2.cos() * (d_lambda / 2.0).sin().powi(2);
        // `min(1.0)` guards asin against rounding just above 1 for antipodal points.
        2.0 * EARTH_MEAN_RADIUS_KM * a.sqrt().min(1.0).asin()
    }
}

/// The county (län) codes that form the first two digits of every municipality code.
const COUNTY_CODES: [&str; 21] = [
    "01", "03", "04", "05", "06", "07", "08", "09", "10", "12", "13", "14", "17", "18", "19", "20", "21",
    "22", "23", "24", "25",
];

/// A Swedish municipality code (kommunkod): four digits, the first two a county code
/// (for example `0127` Botkyrka, `0180` Stockholm, `1480` Göteborg).
///
/// Only the county prefix is checked against the real list; whether the municipality
/// exists is a question for the municipality data, which is data, not code.
///
/// # Examples
///
/// ```
/// use kompis_domain::KommunKod;
///
/// let botkyrka: KommunKod = "0127".parse()?;
/// assert_eq!(botkyrka.as_str(), "0127");
/// assert_eq!(botkyrka.county_code(), "01");
/// assert!(KommunKod::parse("127").is_err());
/// assert!(KommunKod::parse("0227").is_err()); // no county 02
/// # Ok::<(), kompis_domain::FieldError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KommunKod([u8; 4]);

impl KommunKod {
    /// Parses a four-digit municipality code.
    pub fn parse(s: &str) -> Result<Self, FieldError> {
        let bytes: [u8; 4] = s
            .as_bytes()
            .try_into()
            .ok()
            .filter(|b: &[u8; 4]| b.iter().all(u8::is_ascii_digit))
            .ok_or_else(|| FieldError::new("must be exactly four digits"))?;
        if !COUNTY_CODES.contains(&&s[..2]) {
            return Err(FieldError::new(
                "must start with a Swedish county code (01, 03-10, 12-14, 17-25)",
            ));
        }
        Ok(Self(bytes))
    }

    /// The code as a string slice.
    pub fn as_str(&self) -> &str {
        // Only ASCII digits are ever stored.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }

    /// The county (län) code: the first two digits.
    pub fn county_code(&self) -> &str {
        &self.as_str()[..2]
    }
}

impl fmt::Display for KommunKod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for KommunKod {
    type Err = FieldError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_bounds() {
        for (lat, lon) in [(90.0, 180.0), (-90.0, -180.0), (0.0, 0.0)] {
            assert!(Coordinates::new(lat, lon).is_ok());
        }
    }

    #[test]
    fn rejects_out_of_range_and_non_finite() {
        for (lat, lon) in [
            (90.0001, 0.0),
            (-90.5, 0.0),
            (0.0, 180.01),
            (0.0, -181.0),
            (f64::NAN, 0.0),
            (0.0, f64::INFINITY),
            (f64::NEG_INFINITY, 0.0),
        ] {
            assert!(Coordinates::new(lat, lon).is_err(), "{lat} {lon}");
        }
    }

    #[test]
    fn stockholm_to_goteborg_is_about_398_km() {
        // City-centre coordinates; the published great-circle distance is about 398 km.
        let sthlm = Coordinates::new(59.3293, 18.0686).unwrap();
        let gbg = Coordinates::new(57.7089, 11.9746).unwrap();
        let km = sthlm.distance_km(&gbg);
        assert!((km - 398.0).abs() < 1.5, "{km}");
        assert_eq!(km, gbg.distance_km(&sthlm));
    }

    #[test]
    fn antipodes_are_half_the_circumference_apart() {
        let a = Coordinates::new(0.0, 0.0).unwrap();
        let b = Coordinates::new(0.0, 180.0).unwrap();
        let half = std::f64::consts::PI * EARTH_MEAN_RADIUS_KM;
        assert!((a.distance_km(&b) - half).abs() < 1e-6);
    }

    #[test]
    fn kommunkod_accepts_real_codes() {
        for code in ["0127", "0180", "1480", "1280", "0380", "2480", "0114"] {
            assert_eq!(KommunKod::parse(code).unwrap().to_string(), code);
        }
    }

    #[test]
    fn kommunkod_rejects_bad_codes() {
        for bad in ["", "127", "01270", "01a7", " 127", "0227", "1180", "2680", "٠١٢٧"] {
            assert!(KommunKod::parse(bad).is_err(), "{bad:?}");
        }
    }
}
