//! CPU time of processes, read from Linux's `/proc` (the load tool's per-call columns): one
//! process, or a process and all its children, including children that exited and were
//! reaped during the window (a PostgreSQL backend that lived only for one pgbench run).
//! Elsewhere every reading is `None` and the load tool prints "n/a".

use std::time::Duration;

/// The clock ticks `/proc/<pid>/stat` counts in, per second.
fn ticks_per_second() -> f64 {
    // SAFETY: sysconf only reads a configuration value.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if ticks > 0 { ticks as f64 } else { 100.0 }
}

/// What `/proc/<pid>/stat` says of a process: parent, own CPU ticks, reaped children's ticks.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Stat {
    ppid: u32,
    own: u64,
    reaped: u64,
}

/// Parses a `/proc/<pid>/stat` line. The command name (field 2) is in parentheses and may
/// hold spaces and parentheses itself, so fields are counted from the last `)`.
fn parse(line: &str) -> Option<Stat> {
    let rest = &line[line.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // After the name: state (3), ppid (4), ..., utime (14), stime (15), cutime (16), cstime (17).
    let field = |n: usize| fields.get(n - 3)?.parse::<u64>().ok();
    Some(Stat {
        ppid: u32::try_from(field(4)?).ok()?,
        own: field(14)? + field(15)?,
        reaped: field(16)? + field(17)?,
    })
}

fn stat(pid: u32) -> Option<Stat> {
    parse(&std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?)
}

/// CPU time one process has used so far (all its threads).
pub fn process(pid: u32) -> Option<Duration> {
    let s = stat(pid)?;
    Some(Duration::from_secs_f64(s.own as f64 / ticks_per_second()))
}

/// CPU time a process and its children have used so far: its own, its live children's
/// (theirs and what they reaped; one level, as PostgreSQL's backends are the postmaster's
/// children) and what its reaped children used. The difference of two readings is the tree's
/// CPU in between, whichever children came and went.
pub fn tree(root: u32) -> Option<Duration> {
    // A child reaped while /proc is walked would be in neither count: walk again until the
    // root's reaped time holds still across a walk.
    for _ in 0..10 {
        let before = stat(root)?;
        let mut ticks = before.own + before.reaped;
        for entry in std::fs::read_dir("/proc").ok()?.flatten() {
            let Some(pid) = entry
                .file_name()
                .to_str()
                .and_then(|n| n.parse::<u32>().ok())
            else {
                continue;
            };
            if let Some(child) = stat(pid).filter(|s| s.ppid == root) {
                ticks += child.own + child.reaped;
            }
        }
        if stat(root)?.reaped == before.reaped {
            return Some(Duration::from_secs_f64(ticks as f64 / ticks_per_second()));
        }
    }
    None
}

/// The parent of a process (the postmaster, given a PostgreSQL backend's pid).
pub fn parent(pid: u32) -> Option<u32> {
    stat(pid).map(|s| s.ppid)
}

/// The PostgreSQL server a backend with this pid belongs to: its parent, when both are
/// `postgres` processes here (not, say, a pid from a container's own namespace that names
/// another process on this host).
pub fn postmaster_of(backend: u32) -> Option<u32> {
    let is_postgres = |pid: u32| {
        std::fs::read_to_string(format!("/proc/{pid}/comm"))
            .is_ok_and(|c| c.trim_end().starts_with("postgres"))
    };
    let parent = parent(backend)?;
    (is_postgres(backend) && is_postgres(parent)).then_some(parent)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_lines_parse_whatever_the_command_name() {
        let line = "4242 (post (gres) x) S 17 4242 4242 0 -1 4194560 1 0 0 0 \
                    120 30 7 3 20 0 1 0 100 1000 10";
        assert_eq!(
            parse(line),
            Some(Stat {
                ppid: 17,
                own: 150,
                reaped: 10
            })
        );
        assert_eq!(parse("garbage"), None);
    }

    /// Burns `seconds` of CPU in a child, measured by the child's own process clock
    /// (`time.process_time`, another kernel interface than `/proc`), then waits `linger`
    /// seconds before exiting.
    fn burner(seconds: f64, linger: f64) -> std::process::Child {
        std::process::Command::new("python3")
            .args([
                "-c",
                &format!(
                    "import time\nt = time.process_time()\n\
                     while time.process_time() - t < {seconds}: pass\ntime.sleep({linger})"
                ),
            ])
            .spawn()
            .expect("python3 runs")
    }

    fn ms(d: Duration) -> f64 {
        d.as_secs_f64() * 1000.0
    }

    #[test]
    fn a_tree_counts_the_cpu_of_live_and_reaped_children() {
        if !std::path::Path::new("/proc/self/stat").exists() {
            return; // Not Linux: the accounting says n/a there.
        }
        let me = std::process::id();
        // The children's part of our tree: our own threads (other tests) are left out.
        let children = || tree(me).unwrap().saturating_sub(process(me).unwrap());
        // A reaped child: counted in our reaped ticks once waited for.
        let before = children();
        burner(0.4, 0.0).wait().unwrap();
        let reaped = ms(children() - before);
        assert!(
            (380.0..=700.0).contains(&reaped),
            "reaped child: {reaped} ms"
        );
        // A live child that has done its work: counted as our child.
        let before = children();
        let mut child = burner(0.4, 30.0);
        let started = std::time::Instant::now();
        // Until it has burnt its share and sleeps (its CPU stops moving).
        let mut last = Duration::ZERO;
        loop {
            std::thread::sleep(Duration::from_millis(300));
            let now = process(child.id()).unwrap();
            if now >= Duration::from_millis(400) && now == last {
                break;
            }
            last = now;
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "the burner never finished"
            );
        }
        let live = ms(children() - before);
        let alone = ms(last);
        assert_eq!(parent(child.id()), Some(me));
        assert_eq!(
            postmaster_of(child.id()),
            None,
            "python3 is not a postgres backend"
        );
        child.kill().unwrap();
        child.wait().unwrap();
        assert!((380.0..=700.0).contains(&live), "live child: {live} ms");
        assert!(
            (380.0..=700.0).contains(&alone),
            "the child alone: {alone} ms"
        );
    }
}
