//! Shards: one of N disjoint parts of a corpus, chosen by a stable hash of each article's id, so
//! N processes (a Kubernetes Indexed Job, a Slurm array) can share a corpus with no coordinator.
//!
//! An article belongs to shard `I` of `N` when md5(id) (its UTF-8 bytes), read as a 128-bit
//! big-endian number, is `I` modulo `N`. A shard writes `part-IIIII-of-NNNNN.jsonl` in the output
//! folder through `part-....jsonl.inprogress`, renamed when complete, then a marker
//! `_SUCCESS-IIIII-of-NNNNN`; a rerun of a complete shard does nothing, an interrupted one resumes.

use std::path::{Path, PathBuf};

use md5::{Digest, Md5};

/// md5 of `id`'s UTF-8 bytes, as a 128-bit big-endian number, modulo `n`: the stable hash that
/// picks shards here and the fixed gold splits in [`crate::eval::Split`] (and training/news_data.py).
pub fn bucket(id: &str, n: u64) -> u64 {
    let digest = Md5::digest(id.as_bytes());
    (u128::from_be_bytes(digest.into()) % n.max(1) as u128) as u64
}

/// Shard `index` of `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// This shard, from 0.
    pub index: u64,
    /// Number of shards.
    pub count: u64,
}

impl Shard {
    /// Parses `I/N`.
    pub fn parse(s: &str) -> Result<Shard, String> {
        let bad = || format!("--shard {s:?}: expected I/N with 0 <= I < N, e.g. 0/4");
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let (index, count) = (
            i.trim().parse().map_err(|_| bad())?,
            n.trim().parse().map_err(|_| bad())?,
        );
        Shard::new(index, count).ok_or_else(bad)
    }

    /// Shard `index` of `count`, if `index < count`.
    pub fn new(index: u64, count: u64) -> Option<Shard> {
        (index < count).then_some(Shard { index, count })
    }

    /// From the environment of a cluster job: `JOB_COMPLETION_INDEX` (Kubernetes Indexed Job,
    /// with `shards` given) or `SLURM_ARRAY_TASK_ID` and `SLURM_ARRAY_TASK_COUNT` (Slurm array).
    pub fn from_env(shards: Option<u64>) -> Result<Option<Shard>, String> {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let num = |k: &str, v: String| {
            v.parse::<u64>()
                .map_err(|_| format!("{k}={v:?} is not a number"))
        };
        if let Some(i) = var("JOB_COMPLETION_INDEX") {
            let Some(n) = shards else {
                return Err(
                    "JOB_COMPLETION_INDEX is set: give the number of shards with --shards N".into(),
                );
            };
            let i = num("JOB_COMPLETION_INDEX", i)?;
            return Shard::new(i, n)
                .map(Some)
                .ok_or_else(|| format!("JOB_COMPLETION_INDEX={i} is not below --shards {n}"));
        }
        if let (Some(i), Some(n)) = (var("SLURM_ARRAY_TASK_ID"), var("SLURM_ARRAY_TASK_COUNT")) {
            let (i, n) = (
                num("SLURM_ARRAY_TASK_ID", i)?,
                num("SLURM_ARRAY_TASK_COUNT", n)?,
            );
            // Slurm arrays often count from 1 (--array=1-N): take the id modulo the count.
            return Ok(Shard::new(i % n.max(1), n));
        }
        Ok(None)
    }

    /// Whether the article with this id is in the shard.
    pub fn keeps(&self, id: &str) -> bool {
        bucket(id, self.count) == self.index
    }

    /// The shard's finished output file in `dir`.
    pub fn part(&self, dir: &Path) -> PathBuf {
        dir.join(format!("part-{:05}-of-{:05}.jsonl", self.index, self.count))
    }

    /// Where the shard writes until it is complete.
    pub fn in_progress(&self, dir: &Path) -> PathBuf {
        dir.join(format!(
            "part-{:05}-of-{:05}.jsonl.inprogress",
            self.index, self.count
        ))
    }

    /// The marker written once the part is complete.
    pub fn success(&self, dir: &Path) -> PathBuf {
        dir.join(format!("_SUCCESS-{:05}-of-{:05}", self.index, self.count))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_partition_ids() {
        let shards: Vec<Shard> = (0..3).map(|i| Shard::new(i, 3).unwrap()).collect();
        for k in 0..300 {
            let id = format!("article-{k}");
            assert_eq!(shards.iter().filter(|s| s.keeps(&id)).count(), 1);
        }
        assert_eq!(Shard::parse("1/4").unwrap(), Shard { index: 1, count: 4 });
        assert!(Shard::parse("4/4").is_err() && Shard::parse("x").is_err());
        // md5("sentfin-00001") % 10 == 6, as Python computes it.
        assert!(Shard::new(6, 10).unwrap().keeps("sentfin-00001"));
    }
}
