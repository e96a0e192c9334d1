//! `--shard K/N`: a run's deterministic share of the tickets, so a batch splits over
//! machines (a Slurm job array, a Kubernetes Indexed Job) and `culprit merge`
//! recombines the parts.

/// Shard `index` of `count` (0-based, as `SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN`
/// and `JOB_COMPLETION_INDEX` count).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: u64,
    pub count: u64,
}

/// The environment variable that gives the shard count to a Kubernetes Indexed Job
/// (Kubernetes sets the index, `JOB_COMPLETION_INDEX`, but no total).
pub const COUNT_VAR: &str = "CULPRIT_SHARD_COUNT";

/// A `--shard` value that does not parse, or `auto` without its variables.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("--shard {given:?}: {why}")]
pub struct BadShard {
    pub given: String,
    pub why: String,
}

impl Shard {
    /// `K/N` (0 <= K < N), or `auto` from `env` (a lookup, the process environment in
    /// the binary): Slurm's `SLURM_ARRAY_TASK_ID`, `SLURM_ARRAY_TASK_MIN` (default 0)
    /// and `SLURM_ARRAY_TASK_COUNT`, else Kubernetes' `JOB_COMPLETION_INDEX` with
    /// [`COUNT_VAR`].
    pub fn parse(s: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<Shard, BadShard> {
        let bad = |why: &str| BadShard {
            given: s.to_string(),
            why: why.to_string(),
        };
        let num = |name: &str, v: Option<String>| -> Result<Option<u64>, BadShard> {
            match v {
                None => Ok(None),
                Some(v) => v
                    .trim()
                    .parse()
                    .map(Some)
                    .map_err(|_| bad(&format!("{name}={v:?} is not a number"))),
            }
        };
        let (index, count) = if s.trim() == "auto" {
            if let Some(id) = num("SLURM_ARRAY_TASK_ID", env("SLURM_ARRAY_TASK_ID"))? {
                let min = num("SLURM_ARRAY_TASK_MIN", env("SLURM_ARRAY_TASK_MIN"))?.unwrap_or(0);
                let count = num("SLURM_ARRAY_TASK_COUNT", env("SLURM_ARRAY_TASK_COUNT"))?
                    .ok_or_else(|| {
                        bad("SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not")
                    })?;
                let index = id
                    .checked_sub(min)
                    .ok_or_else(|| bad("SLURM_ARRAY_TASK_ID is below SLURM_ARRAY_TASK_MIN"))?;
                (index, count)
            } else if let Some(index) = num("JOB_COMPLETION_INDEX", env("JOB_COMPLETION_INDEX"))? {
                let count = num(COUNT_VAR, env(COUNT_VAR))?.ok_or_else(|| {
                    bad(&format!(
                        "JOB_COMPLETION_INDEX is set but {COUNT_VAR} is not (Kubernetes gives no total: set it to the Job's completions)"
                    ))
                })?;
                (index, count)
            } else {
                return Err(bad(&format!(
                    "auto needs SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT (a Slurm job array), or JOB_COMPLETION_INDEX and {COUNT_VAR} (a Kubernetes Indexed Job)"
                )));
            }
        } else {
            let (k, n) = s
                .split_once('/')
                .ok_or_else(|| bad("expected K/N (0-based: 0/4 to 3/4) or auto"))?;
            let k = k.trim().parse().map_err(|_| bad("K is not a number"))?;
            let n = n.trim().parse().map_err(|_| bad("N is not a number"))?;
            (k, n)
        };
        if count == 0 {
            return Err(bad("the shard count is 0"));
        }
        if index >= count {
            return Err(bad(&format!(
                "shard {index} of {count} does not exist (shards count from 0 to {})",
                count - 1
            )));
        }
        Ok(Shard { index, count })
    }

    /// Whether ticket `id` is this shard's: by a hash of its name that never changes
    /// between runs, versions or machines (FNV-1a, 64-bit).
    pub fn takes(&self, id: &str) -> bool {
        fnv1a(id.as_bytes()) % self.count == self.index
    }
}

/// FNV-1a, 64-bit: stable by definition (std's hasher is not).
pub fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| {
            vars.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn shards_parse_from_flags_and_engines() {
        let none = env(&[]);
        assert_eq!(Shard::parse("2/4", &none), Ok(Shard { index: 2, count: 4 }));
        assert!(Shard::parse("4/4", &none).is_err(), "0-based");
        assert!(Shard::parse("1/0", &none).is_err());
        assert!(Shard::parse("x", &none).is_err());
        assert!(Shard::parse("auto", &none).is_err());
        // `sbatch --array=1-4`: ids 1..4, min 1.
        let slurm = env(&[
            ("SLURM_ARRAY_TASK_ID", "3"),
            ("SLURM_ARRAY_TASK_MIN", "1"),
            ("SLURM_ARRAY_TASK_COUNT", "4"),
        ]);
        assert_eq!(
            Shard::parse("auto", &slurm),
            Ok(Shard { index: 2, count: 4 })
        );
        let k8s = env(&[("JOB_COMPLETION_INDEX", "0"), (COUNT_VAR, "3")]);
        assert_eq!(Shard::parse("auto", &k8s), Ok(Shard { index: 0, count: 3 }));
        let k8s_no_total = env(&[("JOB_COMPLETION_INDEX", "0")]);
        let e = Shard::parse("auto", &k8s_no_total).unwrap_err();
        assert!(e.to_string().contains(COUNT_VAR), "{e}");
    }

    #[test]
    fn every_ticket_is_in_exactly_one_shard() {
        // FNV-1a's published test vectors.
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
        for n in 1..6 {
            for t in 0..200 {
                let id = format!("ticket-{t}");
                let owners = (0..n)
                    .filter(|&k| Shard { index: k, count: n }.takes(&id))
                    .count();
                assert_eq!(owners, 1, "{id} in {n} shards");
            }
        }
    }
}
