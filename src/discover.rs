//! Turns the command line's files and folders into a sorted list of inputs.

use std::path::{Path, PathBuf};

/// One file to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Input {
    pub path: PathBuf,
    /// Named on the command line (an unreadable kind is then an error, not a note).
    pub explicit: bool,
}

/// A command-line path that could not be listed.
#[derive(Debug)]
pub struct Missing {
    pub path: PathBuf,
    pub error: std::io::Error,
}

/// Expands folders recursively (symbolic links are not followed), keeps files as
/// given, and sorts everything by path so runs are deterministic.
pub fn discover(args: &[PathBuf]) -> (Vec<Input>, Vec<Missing>) {
    let mut inputs = Vec::new();
    let mut missing = Vec::new();
    for arg in args {
        match std::fs::metadata(arg) {
            Ok(m) if m.is_dir() => walk(arg, &mut inputs, &mut missing),
            Ok(_) => inputs.push(Input {
                path: arg.clone(),
                explicit: true,
            }),
            Err(error) => missing.push(Missing {
                path: arg.clone(),
                error,
            }),
        }
    }
    inputs.sort_by(|a, b| a.path.cmp(&b.path).then(b.explicit.cmp(&a.explicit)));
    inputs.dedup_by(|a, b| a.path == b.path);
    (inputs, missing)
}

fn walk(dir: &Path, inputs: &mut Vec<Input>, missing: &mut Vec<Missing>) {
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        match entry {
            Ok(e) if e.file_type().is_file() => inputs.push(Input {
                path: e.into_path(),
                explicit: false,
            }),
            Ok(_) => {}
            Err(err) => {
                let path = err
                    .path()
                    .map(Path::to_path_buf)
                    .unwrap_or_else(|| dir.to_path_buf());
                let error = err
                    .into_io_error()
                    .unwrap_or_else(|| std::io::Error::other("filesystem loop"));
                missing.push(Missing { path, error });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folders_expand_sorted_and_files_stay_explicit() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir(d.path().join("sub")).unwrap();
        for f in ["b.csv", "a.csv", "sub/c.csv"] {
            std::fs::write(d.path().join(f), "x").unwrap();
        }
        let (inputs, missing) = discover(&[
            d.path().to_path_buf(),
            d.path().join("a.csv"),
            d.path().join("nope"),
        ]);
        assert_eq!(missing.len(), 1);
        let names: Vec<_> = inputs
            .iter()
            .map(|i| {
                (
                    i.path.strip_prefix(d.path()).unwrap().to_path_buf(),
                    i.explicit,
                )
            })
            .collect();
        assert_eq!(
            names,
            vec![
                ("a.csv".into(), true),
                ("b.csv".into(), false),
                ("sub/c.csv".into(), false)
            ]
        );
    }
}
