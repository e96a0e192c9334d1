//! Turns the command line's files, folders and zip archives into a sorted list of
//! inputs.

use std::path::{Path, PathBuf};

use crate::sources::io::archive::{self, Member};

/// One log to read: a file, or a file inside a zip archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Input {
    pub path: PathBuf,
    /// The member when the log is inside the zip archive at `path`.
    pub member: Option<Member>,
    /// Named on the command line (an unreadable kind is then an error, not a note).
    pub explicit: bool,
    /// A pipe, FIFO, device or standard input (`-`): it can be read only once, so it
    /// is never opened to sniff it.
    pub piped: bool,
}

impl Input {
    /// A plain file.
    pub fn file(path: impl Into<PathBuf>, explicit: bool) -> Input {
        Input {
            path: path.into(),
            member: None,
            explicit,
            piped: false,
        }
    }

    /// Standard input (`-` on the command line).
    pub fn stdin() -> Input {
        Input {
            piped: true,
            ..Input::file("-", true)
        }
    }

    /// Whether this is standard input.
    pub fn is_stdin(&self) -> bool {
        self.piped && self.path.as_os_str() == "-"
    }

    /// How reports name it: the path, or `archive.zip!member/path`.
    pub fn display(&self) -> String {
        if self.is_stdin() {
            return "<stdin>".to_string();
        }
        match &self.member {
            Some(m) => format!("{}!{}", self.path.display(), m.label),
            None => self.path.display().to_string(),
        }
    }
}

/// A command-line path that could not be listed.
#[derive(Debug)]
pub struct Missing {
    pub path: PathBuf,
    pub error: std::io::Error,
}

/// Expands folders recursively (symbolic links followed, loops reported) and zip archives
/// (each file inside is an input), keeps files as given, and sorts everything so runs
/// are deterministic.
pub fn discover(args: &[PathBuf]) -> (Vec<Input>, Vec<Missing>) {
    let mut inputs = Vec::new();
    let mut missing = Vec::new();
    for arg in args {
        if arg.as_os_str() == "-" {
            inputs.push(Input::stdin());
            continue;
        }
        match std::fs::metadata(arg) {
            Ok(m) if m.is_dir() => walk(arg, &mut inputs, &mut missing),
            // A FIFO, process substitution or device: read once, never sniffed twice.
            Ok(m) if !m.is_file() => inputs.push(Input {
                piped: true,
                ..Input::file(arg.clone(), true)
            }),
            Ok(_) => push(arg.clone(), true, &mut inputs, &mut missing),
            Err(error) => missing.push(Missing {
                path: arg.clone(),
                error,
            }),
        }
    }
    inputs.sort_by(|a, b| {
        (&a.path, &a.member)
            .cmp(&(&b.path, &b.member))
            .then(b.explicit.cmp(&a.explicit))
    });
    inputs.dedup_by(|a, b| a.path == b.path && a.member == b.member);
    (inputs, missing)
}

fn push(path: PathBuf, explicit: bool, inputs: &mut Vec<Input>, missing: &mut Vec<Missing>) {
    if !archive::is_archive(&path) {
        inputs.push(Input::file(path, explicit));
        return;
    }
    match archive::members(&path) {
        // Files inside an archive are found, not named: unknown kinds are notes.
        Ok((members, duplicates)) => {
            inputs.extend(members.into_iter().map(|m| Input {
                path: path.clone(),
                member: Some(m),
                explicit: false,
                piped: false,
            }));
            if duplicates {
                missing.push(Missing {
                    path: path.clone(),
                    error: std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        "the archive holds several files of one name; only the last of each was read",
                    ),
                });
            }
        }
        Err(error) => missing.push(Missing { path, error }),
    }
}

fn walk(dir: &Path, inputs: &mut Vec<Input>, missing: &mut Vec<Missing>) {
    // Links are followed (a linked capture is read like any file); a link loop is
    // reported, never walked forever.
    for entry in walkdir::WalkDir::new(dir)
        .follow_links(true)
        .sort_by_file_name()
    {
        match entry {
            Ok(e) if e.file_type().is_file() => push(e.into_path(), false, inputs, missing),
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
    use std::io::Write;

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

    #[test]
    fn zip_members_become_inputs_and_a_broken_zip_is_reported() {
        let d = tempfile::tempdir().unwrap();
        let zip_path = d.path().join("ticket.zip");
        let mut w = zip::ZipWriter::new(std::fs::File::create(&zip_path).unwrap());
        for name in ["z/second.csv", "first.csv"] {
            w.start_file(name, zip::write::SimpleFileOptions::default())
                .unwrap();
            w.write_all(b"x").unwrap();
        }
        w.finish().unwrap();
        let broken = d.path().join("broken.zip");
        std::fs::write(&broken, b"PK\x03\x04 not really").unwrap();
        let (inputs, missing) = discover(&[zip_path.clone(), broken]);
        let shown: Vec<String> = inputs
            .iter()
            .map(|i| {
                i.display()
                    .strip_prefix(&d.path().display().to_string())
                    .unwrap()
                    .to_string()
            })
            .collect();
        assert_eq!(
            shown,
            vec!["/ticket.zip!first.csv", "/ticket.zip!z/second.csv"]
        );
        assert!(inputs.iter().all(|i| !i.explicit));
        assert_eq!(missing.len(), 1);
    }
}
