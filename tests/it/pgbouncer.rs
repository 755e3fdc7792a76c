//! A real PgBouncer in transaction mode on a free loopback port, in front of a test database,
//! stopped on drop. Two builds: Debian's 1.18 (`GIFTVEC_TEST_PGBOUNCER`, no protocol-level
//! prepared statements) and 1.24 from tools/fetch-pgbouncer
//! (`GIFTVEC_TEST_PGBOUNCER_PREPARED`, with `max_prepared_statements`); tools/test provides
//! both. PgBouncer refuses to run as root: as root it runs as the embedded database's user.

use std::net::TcpStream;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use sqlx::PgPool;

/// Which PgBouncer, and how it is set up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Build {
    /// Debian 12's PgBouncer 1.18: named prepared statements do not survive a transaction.
    Debian118,
    /// PgBouncer 1.24 with `max_prepared_statements = 100`.
    Prepared,
    /// PgBouncer 1.24 with `max_prepared_statements = 0` (prepared statements off).
    PreparedOff,
}

pub struct PgBouncer {
    child: Option<Child>,
    dir: tempfile::TempDir,
    pub port: u16,
    user: String,
    database: String,
}

/// Server connections per database and user: few, so that many client connections share each
/// (what a pooler is for, and what breaks a client that assumes a session).
const POOL_SIZE: u32 = 3;

impl PgBouncer {
    /// PgBouncer `build` in front of the database behind `pool`; `extra` lines go into its
    /// `[pgbouncer]` section.
    pub fn start(build: Build, pool: &PgPool, extra: &str) -> Self {
        let options = pool.connect_options();
        let dir = tempfile::tempdir().unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
        let binary = dir.path().join("pgbouncer");
        std::fs::copy(source_binary(build), &binary).unwrap();
        let port = free_port();
        let prepared = match build {
            Build::Debian118 => String::new(),
            Build::Prepared => "max_prepared_statements = 100\n".into(),
            Build::PreparedOff => "max_prepared_statements = 0\n".into(),
        };
        let user = options.get_username().to_string();
        let ini = format!(
            "[databases]\n* = host={host} port={pg_port}\n\n[pgbouncer]\n\
             listen_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\n\
             auth_type = trust\nauth_file = {dir}/users.txt\npool_mode = transaction\n\
             default_pool_size = {POOL_SIZE}\nmax_client_conn = 500\nserver_round_robin = 1\n\
             pidfile = {dir}/pgbouncer.pid\nlogfile = {dir}/pgbouncer.log\n{prepared}{extra}\n",
            host = options.get_host(),
            pg_port = options.get_port(),
            dir = dir.path().display(),
        );
        write_readable(&dir.path().join("pgbouncer.ini"), &ini);
        write_readable(&dir.path().join("users.txt"), &format!("\"{user}\" \"\"\n"));
        let mut bouncer = Self {
            child: None,
            dir,
            port,
            user,
            database: options.get_database().unwrap_or("postgres").to_string(),
        };
        bouncer.run();
        bouncer
    }

    fn run(&mut self) {
        let binary = self.dir.path().join("pgbouncer");
        let ini = self.dir.path().join("pgbouncer.ini");
        let listening = format!("listening on 127.0.0.1:{}", self.port);
        let before = self.log().matches(&listening).count();
        let mut command = if is_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", &run_as(), "--"]).arg(&binary);
            c
        } else {
            Command::new(&binary)
        };
        let mut child = command
            .arg(&ini)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("cannot start pgbouncer");
        // Ready when this process says it listens (not merely when something answers on the
        // port: after a restart another test's process could hold it).
        let started = Instant::now();
        while self.log().matches(&listening).count() == before
            || TcpStream::connect(("127.0.0.1", self.port)).is_err()
        {
            let exited = child.try_wait().ok().flatten();
            assert!(
                exited.is_none() && started.elapsed() < Duration::from_secs(10),
                "pgbouncer did not start ({exited:?}); its log:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        self.child = Some(child);
    }

    /// `postgres://` URL of the test database through the pooler.
    pub fn url(&self) -> String {
        format!(
            "postgres://{}@127.0.0.1:{}/{}",
            self.user, self.port, self.database
        )
    }

    /// PgBouncer's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("pgbouncer.log")).unwrap_or_default()
    }

    /// Stops PgBouncer at once, as a crash or a killed pod would (SIGKILL: every client
    /// connection is cut; a SIGTERM to 1.23 and later waits for the clients to leave).
    pub fn stop(&mut self) {
        let pid_file = self.dir.path().join("pgbouncer.pid");
        if let Ok(pid) = std::fs::read_to_string(&pid_file) {
            let _ = Command::new("kill").args(["-KILL", pid.trim()]).status();
        }
        if let Some(mut child) = self.child.take() {
            let deadline = Instant::now() + Duration::from_secs(10);
            while child.try_wait().ok().flatten().is_none() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = std::fs::remove_file(pid_file);
    }

    /// Stops PgBouncer and starts it again on the same port.
    pub fn restart(&mut self) {
        self.stop();
        self.run();
    }
}

impl Drop for PgBouncer {
    fn drop(&mut self) {
        self.stop();
    }
}

fn source_binary(build: Build) -> PathBuf {
    let var = match build {
        Build::Debian118 => "GIFTVEC_TEST_PGBOUNCER",
        Build::Prepared | Build::PreparedOff => "GIFTVEC_TEST_PGBOUNCER_PREPARED",
    };
    let path = std::env::var(var).unwrap_or_else(|_| {
        panic!("{var} is not set: run the tests with tools/test, which provides PgBouncer")
    });
    PathBuf::from(path)
}

fn write_readable(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o644)).unwrap();
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn is_root() -> bool {
    let id = Command::new("id").arg("-u").output().expect("id -u");
    String::from_utf8_lossy(&id.stdout).trim() == "0"
}

/// The user PgBouncer runs as when the tests run as root: the embedded database's.
fn run_as() -> String {
    std::env::var("GIFTVEC_DEVDB_USER").unwrap_or_else(|_| "giftvec-pg".into())
}
