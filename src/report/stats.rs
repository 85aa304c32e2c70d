//! Means and t-based 95% confidence intervals.

/// The t quantile for a 95% interval (two-sided, so the 97.5% point) with `df` degrees of freedom.
pub fn t975(df: usize) -> f64 {
    use statrs::distribution::{ContinuousCDF, StudentsT};
    if df == 0 {
        return f64::NAN;
    }
    StudentsT::new(0.0, 1.0, df as f64).map_or(f64::NAN, |t| t.inverse_cdf(0.975))
}

/// Mean with a 95% confidence interval (t-based; none for fewer than two values).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct MeanCi {
    /// Number of values.
    pub n: usize,
    /// Arithmetic mean.
    pub mean: f64,
    /// Lower bound of the 95% interval.
    pub low: Option<f64>,
    /// Upper bound of the 95% interval.
    pub high: Option<f64>,
    /// Whether the interval was clipped to the score's range [-1, 1].
    pub clipped: bool,
}

/// Mean and t-based 95% CI of `xs` (scores in [-1, 1]: the interval is clipped to that range,
/// and flagged when it was).
pub fn mean_ci(xs: &[f64]) -> MeanCi {
    let n = xs.len();
    let mean = if n == 0 {
        0.0
    } else {
        xs.iter().sum::<f64>() / n as f64
    };
    if n < 2 {
        return MeanCi {
            n,
            mean,
            low: None,
            high: None,
            clipped: false,
        };
    }
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    let half = t975(n - 1) * (var / n as f64).sqrt();
    let (low, high) = (mean - half, mean + half);
    MeanCi {
        n,
        mean,
        low: Some(low.max(-1.0)),
        high: Some(high.min(1.0)),
        clipped: low < -1.0 || high > 1.0,
    }
}

/// Two-sided permutation test of a difference in means: the share of `iterations` random
/// relabellings (a fixed-seed generator: the same answer every run) whose absolute difference is
/// at least the observed one, counting the observed labelling itself.
pub fn permutation_p(a: &[f64], b: &[f64], iterations: usize) -> f64 {
    let mean = |xs: &[f64]| xs.iter().sum::<f64>() / xs.len().max(1) as f64;
    let observed = (mean(a) - mean(b)).abs();
    let mut pool: Vec<f64> = a.iter().chain(b).copied().collect();
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        // xorshift64*
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        state.wrapping_mul(0x2545_F491_4F6C_DD1D)
    };
    let mut extreme = 1usize;
    for _ in 0..iterations {
        for i in (1..pool.len()).rev() {
            let j = (next() % (i as u64 + 1)) as usize;
            pool.swap(i, j);
        }
        let (x, y) = pool.split_at(a.len());
        if (mean(x) - mean(y)).abs() >= observed - 1e-12 {
            extreme += 1;
        }
    }
    extreme as f64 / (iterations + 1) as f64
}

/// Two-sided Welch t-test of a difference in means (for large samples, where relabelling
/// thousands of times costs too much and the t approximation is sound). 1 when undefined.
pub fn welch_p(a: &[f64], b: &[f64]) -> f64 {
    use statrs::distribution::{ContinuousCDF, StudentsT};
    let moments = |xs: &[f64]| {
        let n = xs.len() as f64;
        let m = xs.iter().sum::<f64>() / n;
        let v = xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0);
        (n, m, v / n)
    };
    if a.len() < 2 || b.len() < 2 {
        return 1.0;
    }
    let ((na, ma, sa), (nb, mb, sb)) = (moments(a), moments(b));
    let se2 = sa + sb;
    if se2 <= 0.0 {
        return if ma == mb { 1.0 } else { 0.0 };
    }
    let t = (ma - mb).abs() / se2.sqrt();
    let df = se2 * se2 / (sa * sa / (na - 1.0) + sb * sb / (nb - 1.0));
    StudentsT::new(0.0, 1.0, df).map_or(1.0, |d| 2.0 * (1.0 - d.cdf(t)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permutation_test_separates_and_confuses() {
        let a = [-0.8, -0.7, -0.9, -0.6, -0.75];
        let b = [0.6, 0.7, 0.8, 0.65, 0.9];
        assert!(permutation_p(&a, &b, 2000) < 0.01);
        let c = [-0.1, 0.2, 0.0, 0.1, -0.2];
        let d = [0.1, -0.1, 0.05, -0.05, 0.0];
        assert!(permutation_p(&c, &d, 2000) > 0.5);
        assert_eq!(permutation_p(&a, &b, 500), permutation_p(&a, &b, 500));
        // Welch agrees with the permutation test on the same samples.
        assert!(welch_p(&a, &b) < 0.01);
        assert!(welch_p(&c, &d) > 0.5);
    }

    #[test]
    fn interval_of_a_known_sample() {
        // 0.1..=0.5: mean 0.3, sd sqrt(0.025), se 0.07071, t(4) 2.776 -> half-width 0.1963.
        let ci = mean_ci(&[0.1, 0.2, 0.3, 0.4, 0.5]);
        assert!((ci.mean - 0.3).abs() < 1e-12);
        assert!((ci.low.unwrap() - 0.10370).abs() < 1e-4, "{ci:?}");
        assert!((ci.high.unwrap() - 0.49630).abs() < 1e-4, "{ci:?}");
        assert_eq!(mean_ci(&[0.5]).low, None);
        assert!(!ci.clipped);
        let wide = mean_ci(&[-0.9, 0.9]);
        assert_eq!(
            (wide.low, wide.high, wide.clipped),
            (Some(-1.0), Some(1.0), true)
        );
        // Exact quantiles, not a bucket's end (df 31: 2.0395, not 2.021).
        for (df, t) in [
            (1, 12.7062),
            (4, 2.7764),
            (31, 2.0395),
            (45, 2.0141),
            (1000, 1.9623),
        ] {
            assert!((t975(df) - t).abs() < 1e-4, "df {df}: {}", t975(df));
        }
    }
}
