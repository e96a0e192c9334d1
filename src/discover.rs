//! Turns the command line's files, folders and zip archives into a sorted list of
//! inputs.

use std::path::{Path, PathBuf};

use std::sync::Arc;

use crate::sources::io::archive::{self, Held, Member, Source};
use crate::sources::io::limit::{Budget, Limits};

/// One log to read: a file, or a file inside a zip archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Input {
    pub path: PathBuf,
    /// The member when the log is inside the archive at `path`.
    pub member: Option<Member>,
    /// The archive's bytes when they are not the file at `path` as is: a tar once
    /// decompressed, or an archive inside the archive at `path` (`via` names it).
    pub held: Option<Held>,
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
            held: None,
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
        let via = self
            .held
            .as_ref()
            .and_then(|h| h.via.as_ref())
            .map(|v| format!("!{v}"))
            .unwrap_or_default();
        match &self.member {
            Some(m) => format!("{}{via}!{}", self.path.display(), m.label),
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

/// Expands folders recursively (symbolic links followed, loops reported) and archives
/// (zip, cab, tar, `.tar.gz`: each file inside is an input, and the files of an archive
/// inside an archive, two levels deep ([`NESTING`])), keeps files as given, and sorts everything so
/// runs are deterministic.
pub fn discover(args: &[PathBuf]) -> (Vec<Input>, Vec<Missing>) {
    discover_with(args, Limits::default())
}

/// [`discover`], with what archives held whole (a `.tar.gz`, a nested archive)
/// may expand to capped by `limits`.
pub fn discover_with(args: &[PathBuf], limits: Limits) -> (Vec<Input>, Vec<Missing>) {
    let budget = Budget::new(limits);
    let budget = &budget;
    let mut inputs = Vec::new();
    let mut missing = Vec::new();
    for arg in args {
        if arg.as_os_str() == "-" {
            inputs.push(Input::stdin());
            continue;
        }
        match std::fs::metadata(arg) {
            Ok(m) if m.is_dir() => walk(arg, &mut inputs, &mut missing, budget),
            // A FIFO, process substitution or device: read once, never sniffed twice.
            Ok(m) if !m.is_file() => inputs.push(Input {
                piped: true,
                ..Input::file(arg.clone(), true)
            }),
            Ok(_) => push(arg.clone(), true, &mut inputs, &mut missing, budget),
            Err(error) => missing.push(Missing {
                path: arg.clone(),
                error,
            }),
        }
    }
    let via = |i: &Input| i.held.as_ref().and_then(|h| h.via.clone());
    inputs.sort_by(|a, b| {
        (&a.path, via(a), &a.member)
            .cmp(&(&b.path, via(b), &b.member))
            .then(b.explicit.cmp(&a.explicit))
    });
    inputs.dedup_by(|a, b| a.path == b.path && a.member == b.member && via(a) == via(b));
    (inputs, missing)
}

/// How deep archives inside archives are followed: a TSS zip holds
/// `<PC>_CbsPersist.zip`, which holds the `CbsPersist_*.cab` rotations (two levels).
pub const NESTING: usize = 2;

fn push(
    path: PathBuf,
    explicit: bool,
    inputs: &mut Vec<Input>,
    missing: &mut Vec<Missing>,
    budget: &Arc<Budget>,
) {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
    if archive::is_archive(&path) {
        return list(
            &path,
            None,
            &Source::File(&path),
            inputs,
            missing,
            budget,
            0,
        );
    }
    // A `.tar.gz` is decompressed whole (once) to reach its members.
    if name.as_deref().is_some_and(archive::is_tar_gz_name) {
        match archive::hold(&Source::File(&path), None, budget) {
            Ok(data) if archive::kind_of(&data).is_some() => {
                let held = Held { via: None, data };
                let src = held.data.clone();
                return list(
                    &path,
                    Some(held),
                    &Source::Held(&src),
                    inputs,
                    missing,
                    budget,
                    0,
                );
            }
            Ok(_) => {}
            Err(error) => return missing.push(Missing { path, error }),
        }
    }
    inputs.push(Input::file(path, explicit));
}

/// Names the loss when an archive holds several files of one name: the zip reader
/// keeps one entry per name, as extraction tools do.
fn duplicate_names(path: PathBuf, missing: &mut Vec<Missing>) {
    missing.push(Missing {
        path,
        error: std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "the archive holds several files of one name; only the last of each was read",
        ),
    });
}

/// How reports name an archive: its path, and the members it is inside of.
fn named(path: &Path, via: Option<&str>) -> PathBuf {
    match via {
        Some(v) => PathBuf::from(format!("{}!{v}", path.display())),
        None => path.to_path_buf(),
    }
}

/// The members of the archive at `src` (the file at `path`, or `held` for it) as
/// inputs; an archive among them is followed while `depth` < [`NESTING`]. Files
/// inside an archive are found, not named: unknown kinds are notes.
fn list(
    path: &Path,
    held: Option<Held>,
    src: &Source<'_>,
    inputs: &mut Vec<Input>,
    missing: &mut Vec<Missing>,
    budget: &Arc<Budget>,
    depth: usize,
) {
    let via = held.as_ref().and_then(|h| h.via.clone());
    let (members, duplicates) = match archive::members_in(src) {
        Ok(x) => x,
        Err(error) => {
            return missing.push(Missing {
                path: named(path, via.as_deref()),
                error,
            });
        }
    };
    if duplicates {
        duplicate_names(named(path, via.as_deref()), missing);
    }
    for m in members {
        if depth < NESTING && archive::is_archive_name(&m.name) {
            let label = match &via {
                Some(v) => format!("{v}!{}", m.label),
                None => m.label.clone(),
            };
            match archive::hold(src, Some(&m), budget) {
                Ok(data) if archive::kind_of(&data).is_some() => {
                    let inner = Held {
                        via: Some(label),
                        data,
                    };
                    let src = inner.data.clone();
                    list(
                        path,
                        Some(inner),
                        &Source::Held(&src),
                        inputs,
                        missing,
                        budget,
                        depth + 1,
                    );
                    continue;
                }
                // Named like an archive, but not one: an ordinary member.
                Ok(_) => {}
                Err(error) => {
                    missing.push(Missing {
                        path: named(path, Some(&label)),
                        error,
                    });
                    continue;
                }
            }
        }
        inputs.push(Input {
            path: path.to_path_buf(),
            member: Some(m),
            held: held.clone(),
            explicit: false,
            piped: false,
        });
    }
}

fn walk(dir: &Path, inputs: &mut Vec<Input>, missing: &mut Vec<Missing>, budget: &Arc<Budget>) {
    // Links are followed (a linked capture is read like any file); a link loop is
    // reported, never walked forever.
    for entry in walkdir::WalkDir::new(dir)
        .follow_links(true)
        .sort_by_file_name()
    {
        match entry {
            Ok(e) if e.file_type().is_file() => push(e.into_path(), false, inputs, missing, budget),
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
