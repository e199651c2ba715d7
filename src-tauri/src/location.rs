//! Which workspace folder the window opens, and why that one.
//!
//! The order is the CLI's: `--workspace DIR`, then `FOLIO_WORKSPACE`, then the OS data directory
//! (`…/Folio/workspace`). The UI is told the source as well as the path so that, when nothing is
//! there yet, it can print the exact `folio init` command for that folder.

use serde::Serialize;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// How the workspace path was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// `--workspace DIR` on the command line.
    Argument,
    /// The `FOLIO_WORKSPACE` environment variable.
    Environment,
    /// The per-user default in the OS data directory.
    Default,
}

/// The workspace folder of this window (sent to the UI as `{path, source}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WorkspaceLocation {
    pub path: PathBuf,
    pub source: Source,
}

/// What the command line asked for.
#[derive(Debug, PartialEq, Eq)]
pub enum Invocation {
    Run(WorkspaceLocation),
    Help,
    Version,
}

pub const USAGE: &str = "\
Usage: folio-desktop [--workspace DIR]

Opens the Folio window on a workspace folder.

Options:
  --workspace DIR   the workspace to open (default: $FOLIO_WORKSPACE, else the OS data dir)
  -h, --help        print this help
  -V, --version     print the version";

/// Reads the arguments (without the program name) and the environment variable's value.
pub fn parse(
    args: impl IntoIterator<Item = OsString>,
    env_workspace: Option<OsString>,
    default_dir: impl FnOnce() -> PathBuf,
) -> Result<Invocation, String> {
    let mut from_args: Option<PathBuf> = None;
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let text = arg.to_string_lossy();
        match text.as_ref() {
            "-h" | "--help" => return Ok(Invocation::Help),
            "-V" | "--version" => return Ok(Invocation::Version),
            "--workspace" => match args.next() {
                Some(dir) if !dir.is_empty() => from_args = Some(PathBuf::from(dir)),
                _ => return Err("--workspace needs a folder: --workspace DIR".to_owned()),
            },
            other => match other.strip_prefix("--workspace=") {
                Some(dir) if !dir.is_empty() => from_args = Some(PathBuf::from(dir)),
                _ => return Err(format!("unexpected argument '{other}'")),
            },
        }
    }
    let (path, source) = match (from_args, env_workspace.filter(|v| !v.is_empty())) {
        (Some(path), _) => (path, Source::Argument),
        (None, Some(env)) => (PathBuf::from(env), Source::Environment),
        (None, None) => (default_dir(), Source::Default),
    };
    Ok(Invocation::Run(WorkspaceLocation {
        path: absolute(&path),
        source,
    }))
}

/// The default workspace: `<data dir>/Folio/workspace` (e.g. `~/.local/share/folio/workspace`).
pub fn default_dir() -> PathBuf {
    folio_app::default_workspace_dir().unwrap_or_else(|| PathBuf::from("folio-workspace"))
}

fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &[&str], env: Option<&str>) -> Result<Invocation, String> {
        parse(
            args.iter().map(OsString::from),
            env.map(OsString::from),
            || PathBuf::from("/data/Folio/workspace"),
        )
    }

    fn location(path: &str, source: Source) -> Invocation {
        Invocation::Run(WorkspaceLocation {
            path: PathBuf::from(path),
            source,
        })
    }

    #[test]
    fn argument_wins_over_environment_and_default() {
        assert_eq!(
            run(&["--workspace", "/a"], Some("/b")),
            Ok(location("/a", Source::Argument))
        );
        assert_eq!(
            run(&["--workspace=/a"], None),
            Ok(location("/a", Source::Argument))
        );
        assert_eq!(
            run(&[], Some("/b")),
            Ok(location("/b", Source::Environment))
        );
        assert_eq!(
            run(&[], Some("")),
            Ok(location("/data/Folio/workspace", Source::Default))
        );
        assert_eq!(
            run(&[], None),
            Ok(location("/data/Folio/workspace", Source::Default))
        );
    }

    #[test]
    fn relative_paths_become_absolute() {
        let Ok(Invocation::Run(loc)) = run(&["--workspace", "ws"], None) else {
            panic!("expected a location");
        };
        assert!(loc.path.is_absolute());
        assert!(loc.path.ends_with("ws"));
    }

    #[test]
    fn bad_arguments_are_refused_with_a_reason() {
        assert!(run(&["--workspace"], None).is_err());
        assert!(run(&["--workspace="], None).is_err());
        assert_eq!(
            run(&["--frobnicate"], None),
            Err("unexpected argument '--frobnicate'".into())
        );
        assert_eq!(run(&["--help"], None), Ok(Invocation::Help));
        assert_eq!(run(&["-V"], None), Ok(Invocation::Version));
    }
}
