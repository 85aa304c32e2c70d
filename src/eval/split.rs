//! The fixed splits of gold sets that ship without one, by a hash of the record id (the same rule
//! as `training/news_data.py`): md5(id) as a 128-bit big-endian number, modulo 10 (or 5).

use crate::shard::bucket;

/// Which records of a gold file to score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Split {
    /// Every record.
    All,
    /// Targeted sets: md5(id) % 10 >= 2.
    Train,
    /// Targeted sets: md5(id) % 10 == 1.
    Dev,
    /// Targeted sets: md5(id) % 10 == 0.
    Test,
    /// PerSenT: md5(id) % 5 in {0, 1} (never trained on).
    Heldout,
}

impl Split {
    /// Whether the record with this id belongs to the split.
    pub fn keeps(self, id: &str) -> bool {
        match self {
            Split::All => true,
            Split::Test => bucket(id, 10) == 0,
            Split::Dev => bucket(id, 10) == 1,
            Split::Train => bucket(id, 10) >= 2,
            Split::Heldout => bucket(id, 5) < 2,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_match_python() {
        // int(hashlib.md5(ID.encode()).hexdigest(), 16) % 10 (and % 5), computed in Python.
        assert_eq!(bucket("sentfin-00001", 10), 6);
        assert_eq!(bucket("sentfin-00001", 5), 1);
        assert_eq!(bucket("persent-dev-3360", 10), 0);
        assert!(Split::Heldout.keeps("persent-dev-3360"));
        let test = (0..1000)
            .filter(|i| Split::Test.keeps(&format!("x-{i}")))
            .count();
        assert!((70..130).contains(&test), "{test}");
    }
}
