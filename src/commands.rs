//! What each subcommand does, for `main`: output for people on stdout, logs on stderr.

use std::io::IsTerminal;
use std::process::ExitCode;

use std::sync::Arc;
use std::time::Duration;

use crate::app::App;
use crate::catalog::{self, ImportOptions};
use crate::config::{
    BackfillArgs, CallArgs, Cli, Command, ExperimentArgs, ImportArgs, MigrateArgs, ModelsAction,
    ModelsArgs, RebuildArgs, ServeArgs, WorkerArgs,
};
use crate::pipeline::{backfill, worker};
use crate::recommend;
use crate::store::{self, migrate};
use crate::tools::dispatch::CallGate;
use crate::tools::result_cache::ResultCache;
use crate::transport;
use crate::{Error, Result};

/// Exit code of an import that skipped some rows (the rest were written).
pub const EXIT_ROWS_REJECTED: u8 = 2;

/// Runs the parsed command line.
pub async fn run(cli: Cli) -> Result<ExitCode> {
    // These two must work without (or report on a missing) DATABASE_URL.
    match &cli.command {
        Command::Healthcheck(args) => return healthcheck(args).await,
        Command::Doctor(args) => return doctor_command(&cli, args).await,
        _ => {}
    }
    let settings = cli.database.settings()?;
    match cli.command {
        Command::Healthcheck(_) | Command::Doctor(_) => unreachable!("handled above"),
        Command::Migrate(args) => {
            let direct = settings.direct().ok_or_else(|| {
                Error::Setup(
                    "giftvec migrate needs PostgreSQL itself, not the transaction pooler: set \
                     DATABASE_DIRECT_URL"
                        .into(),
                )
            })?;
            let pool = store::connect(&direct).await?;
            migrate_command(&pool, &args).await
        }
        Command::Import(args) => {
            let pool = store::connect(&settings).await?;
            migrate::ensure_current(&pool).await?;
            import_command(&pool, &args).await
        }
        Command::Backfill(ref args) => {
            let app = App::build(&settings, &cli.embed.settings()).await?;
            backfill_command(&app, args).await
        }
        Command::Models(ref args) => {
            let pool = store::connect(&settings).await?;
            migrate::ensure_current(&pool).await?;
            models_command(&pool, &cli.preferences.settings(), args).await
        }
        Command::Status => {
            let app = App::build(&settings, &cli.embed.settings()).await?;
            let status = crate::pipeline::status::embedding_status(&app).await?;
            println!(
                "{}",
                serde_json::to_string_pretty(&status).map_err(|e| Error::Internal(Box::new(e)))?
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Worker(ref args) => {
            let app = App::build(&settings, &cli.embed.settings()).await?;
            worker_command(&app, args).await
        }
        Command::Serve(ref args) => {
            let token = args.auth_token.is_some();
            transport::exposure::check(args.listen, token, args.allow_unauthenticated)?;
            let app = build_app(&cli, &settings, &args.calls).await?;
            serve_command(app, args, cli.toolsets).await
        }
        Command::ReplayDeadJobs(ref args) => {
            let pool = store::connect(&settings).await?;
            migrate::ensure_current(&pool).await?;
            let models = match &args.model {
                Some(name) => vec![store::models::get(&pool, name).await?.name],
                None => store::models::list(&pool)
                    .await?
                    .into_iter()
                    .map(|m| m.name)
                    .collect(),
            };
            for model in models {
                let n = store::jobs::replay_dead(&pool, &model).await?;
                println!("{model}: {n} dead-lettered jobs queued again");
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::ExperimentReport(ref args) => {
            let mut app = App::build(&settings, &cli.embed.settings()).await?;
            app.recommend = Arc::new(cli.recommend.settings()?);
            experiment_command(&app, args).await
        }
        Command::RebuildPreferences(ref args) => {
            let mut app = App::build(&settings, &cli.embed.settings()).await?;
            app.preferences = Arc::new(cli.preferences.settings());
            rebuild_command(&app, args).await
        }
        Command::Mcp(ref calls) => {
            let app = build_app(&cli, &settings, calls).await?;
            transport::mcp::serve_stdio(app, cli.toolsets).await?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn build_app(cli: &Cli, db: &store::DbSettings, calls: &CallArgs) -> Result<App> {
    let mut app = App::build(db, &cli.embed.settings()).await?;
    app.gate = Arc::new(
        CallGate::new(
            calls.max_concurrent_calls,
            Duration::from_millis(calls.call_timeout_ms.max(1)),
            Duration::from_millis(250),
        )
        .with_log_queries(calls.log_queries),
    );
    app.preferences = Arc::new(cli.preferences.settings());
    app.recommend = Arc::new(cli.recommend.settings()?);
    app.search = Arc::new(calls.search.settings(
        &cli.embed.openai_base_url,
        cli.embed.openai_api_key.as_ref(),
        db.hnsw_ef_search,
    ));
    app.results = ResultCache::start(
        store::invalidation(db, &app.db)?,
        calls.search.result_cache_size,
        calls.search.result_cache_ttl(),
    );
    Ok(app)
}

async fn rebuild_command(app: &App, args: &RebuildArgs) -> Result<ExitCode> {
    match &args.user {
        Some(user) => {
            for model in store::models::list(&app.db).await? {
                let rebuilt = recommend::events::rebuild(app, user, &model.name).await?;
                println!(
                    "{user} under {}: {}",
                    model.name,
                    rebuilt.map_or("no events with an embedding".to_string(), |p| {
                        format!("{} events", p.event_count)
                    })
                );
            }
        }
        None => {
            let mut done: Vec<_> = recommend::events::rebuild_all(app)
                .await?
                .into_iter()
                .collect();
            done.sort();
            for (model, users) in done {
                println!("{model}: rebuilt {users} users' preference vectors");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn experiment_command(app: &App, args: &ExperimentArgs) -> Result<ExitCode> {
    use crate::tools::experiment_report::{Input, report};
    let out = report(
        app,
        &Input {
            experiment: args.experiment.clone(),
            baseline: args.baseline.clone(),
        },
    )
    .await?;
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&out).map_err(|e| Error::Internal(Box::new(e)))?
        );
        return Ok(ExitCode::SUCCESS);
    }
    println!("experiment {} (baseline {})", out.experiment, out.baseline);
    println!(
        "{:<16} {:>8} {:>11} {:>7} {:>6} {:>22} {:>10} {:>8} {:>8}",
        "arm", "requests", "impressions", "clicks", "buys", "CTR [95% CI]", "conv", "lift", "p"
    );
    for a in &out.arms {
        println!(
            "{:<16} {:>8} {:>11} {:>7} {:>6} {:>7.2}% [{:>5.2}, {:>5.2}] {:>9.2}% {:>8} {:>8}",
            a.arm,
            a.requests,
            a.impressions,
            a.clicks,
            a.conversions,
            100.0 * a.ctr.value,
            100.0 * a.ctr.low,
            100.0 * a.ctr.high,
            100.0 * a.conversion_rate.value,
            a.ctr_lift
                .map_or("-".into(), |l| format!("{:+.1}%", 100.0 * l)),
            a.ctr_p_value.map_or("-".into(), |p| format!("{p:.4}")),
        );
    }
    println!("{}", out.conclusion);
    Ok(ExitCode::SUCCESS)
}

async fn backfill_command(app: &App, args: &BackfillArgs) -> Result<ExitCode> {
    if args.dry_run {
        let estimate = backfill::estimate(app).await?;
        println!(
            "{} products to embed with {}: {} tokens, estimated ${:.4}",
            estimate.products, app.model.name, estimate.tokens, estimate.cost_usd
        );
        return Ok(ExitCode::SUCCESS);
    }
    let progress = std::io::stderr().is_terminal();
    let report = backfill::run(app, usize::from(args.batch_size), progress).await?;
    println!(
        "embedded {} products with {} ({} tokens) in {:.1}s ({:.0} products/s)",
        report.embedded,
        app.model.name,
        report.tokens,
        report.seconds,
        report.embedded as f64 / report.seconds.max(1e-9)
    );
    Ok(ExitCode::SUCCESS)
}

async fn models_command(
    pool: &store::Db,
    preferences: &recommend::PreferenceSettings,
    args: &ModelsArgs,
) -> Result<ExitCode> {
    match args.action.as_ref().unwrap_or(&ModelsAction::List) {
        ModelsAction::List => {
            let products = store::products::count(pool).await?;
            println!(
                "{:<32} {:<8} {:>5} {:>7} {:>9} {:>8} {:>5}",
                "model", "provider", "dims", "active", "coverage", "pending", "dead"
            );
            for model in store::models::list(pool).await? {
                let embedded = store::embeddings::current_count(pool, &model.name).await?;
                let queue = store::jobs::counts(pool, &model.name).await?;
                let coverage = if products == 0 {
                    100.0
                } else {
                    100.0 * embedded as f64 / products as f64
                };
                println!(
                    "{:<32} {:<8} {:>5} {:>7} {:>8.1}% {:>8} {:>5}",
                    model.name,
                    model.provider.as_str(),
                    model.dimensions,
                    if model.is_active { "yes" } else { "" },
                    coverage,
                    queue.pending,
                    queue.dead
                );
            }
        }
        ModelsAction::Activate { name, force } => {
            let products = store::products::count(pool).await?;
            let embedded = store::embeddings::current_count(pool, name).await?;
            if embedded < products && !force {
                return Err(Error::invalid(
                    "model",
                    format!(
                        "{name:?} has embedded {embedded} of {products} products; wait for the \
                         workers (giftvec models shows progress) or pass --force"
                    ),
                ));
            }
            store::models::activate(pool, name).await?;
            // Shoppers' tastes under the new model, from their whole history; recipients'
            // profiles are rebuilt under it on their next use.
            let users = recommend::events::rebuild_model(pool, preferences, name).await?;
            println!(
                "{name} now serves searches ({users} users' preference vectors rebuilt for it)"
            );
        }
        ModelsAction::Drop { name } => {
            store::models::drop(pool, name).await?;
            println!("dropped {name} with its embeddings");
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn worker_command(app: &App, args: &WorkerArgs) -> Result<ExitCode> {
    let settings = args.pipeline.settings();
    let stats = if args.once {
        worker::drain(app, &settings).await?
    } else {
        worker::run(app, &settings, stop_on_signal()).await?
    };
    println!(
        "embedded {}, already current {}, failed attempts {}",
        stats.embedded, stats.unchanged, stats.failed
    );
    Ok(ExitCode::SUCCESS)
}

/// A flag that turns true on SIGTERM or Ctrl-C.
fn stop_on_signal() -> tokio::sync::watch::Receiver<bool> {
    let (tx, rx) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        shutdown_signal().await;
        let _ = tx.send(true);
    });
    rx
}

async fn serve_command(
    app: App,
    args: &ServeArgs,
    toolsets: crate::tools::Toolsets,
) -> Result<ExitCode> {
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|e| Error::Setup(format!("cannot listen on {}: {e}", args.listen)))?;
    let settings = transport::http::ServeSettings {
        auth_token: args.auth_token.clone(),
        ops_token: args.ops_token.clone(),
        widget_key: args.access.widget_key.clone(),
        rates: transport::rate_limit::Rates {
            agent: args.access.agent_calls_per_sec,
            ops: args.access.ops_calls_per_sec,
            widget: args.access.widget_calls_per_sec,
        },
        proxy_hops: usize::from(args.access.trusted_proxy_hops),
        max_body_bytes: args.max_body_bytes.max(1024),
        allowed_hosts: [&args.allowed_hosts, &args.mcp_allowed_hosts]
            .into_iter()
            .flatten()
            .cloned()
            .collect(),
        allowed_origins: args.allowed_origins.clone(),
        shutdown_grace: Duration::from_millis(args.shutdown_grace_ms),
        widget_origins: args.widget_origins.clone(),
        toolsets,
        max_ws_connections: args.max_ws_connections,
        ws_idle: Duration::from_secs(args.ws_idle_secs),
        header_timeout: Duration::from_secs(args.request_read_secs),
        body_timeout: Duration::from_secs(args.request_read_secs),
        ..transport::http::ServeSettings::default()
    };
    tracing::info!(listen = %args.listen, model = %app.model.name, auth = settings.auth_token.is_some(), toolsets = %toolsets, "giftvec serving");
    let stop = stop_on_signal();
    let reminder = transport::exposure::remind(args.listen, settings.auth_token.is_some());
    let background = args.worker.then(|| {
        let (app, settings, stop) = (app.clone(), args.pipeline.settings(), stop.clone());
        tokio::spawn(async move { worker::run(&app, &settings, stop).await })
    });
    if let Some(limit) = args.storage_limit_bytes {
        crate::observe::set_storage_limit(limit);
    }
    // Database state is the same for every sidecar: 0 leaves the sampling to others (the
    // chart's workers), sparing the database one set of aggregates per agent pod.
    let sampler = (args.metrics_sample_secs > 0).then(|| {
        crate::observe::spawn_sampler(
            app.clone(),
            Duration::from_secs(args.metrics_sample_secs),
            stop.clone(),
        )
    });
    let mut signalled = stop.clone();
    transport::http::serve(listener, app, settings, async move {
        let _ = signalled.wait_for(|stop| *stop).await;
    })
    .await
    .map_err(Error::from)?;
    if let Some(task) = background {
        match task.await {
            Ok(Err(err)) => tracing::error!(error = %err, "embedding worker failed"),
            Err(err) => tracing::error!(error = %err, "embedding worker panicked"),
            Ok(Ok(_)) => {}
        }
    }
    for task in [sampler, reminder].into_iter().flatten() {
        task.abort();
    }
    tracing::info!("giftvec stopped");
    Ok(ExitCode::SUCCESS)
}

/// Resolves on SIGTERM or Ctrl-C.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutdown requested; finishing in-flight calls");
}

async fn migrate_command(pool: &store::Db, args: &MigrateArgs) -> Result<ExitCode> {
    let before = migrate::status(pool).await?;
    if args.status {
        println!("applied: {:?}", before.applied);
        println!("pending: {:?}", before.pending);
        return Ok(ExitCode::SUCCESS);
    }
    match args.to {
        Some(target) if before.current().is_some_and(|current| target < current) => {
            let reverted = migrate::undo(pool, target).await?;
            println!("rolled back {} migration(s): {reverted:?}", reverted.len());
        }
        target => {
            let applied = migrate::run(pool, target).await?;
            let now = migrate::status(pool).await?.current().unwrap_or(0);
            match applied.len() {
                0 => println!("database schema is up to date (version {now})"),
                n => println!("applied {n} migration(s), now at version {now}"),
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn import_command(pool: &store::Db, args: &ImportArgs) -> Result<ExitCode> {
    let mut map = match &args.map {
        Some(spec) => catalog::FieldMap::parse(spec, "--map")?,
        None => catalog::FieldMap::default(),
    };
    if let Some(path) = &args.map_file {
        map = map.merged(catalog::FieldMap::from_file(path)?);
    }
    let options = ImportOptions {
        format: args.format,
        batch_size: usize::from(args.batch_size),
        default_currency: args.default_currency.to_ascii_uppercase(),
        progress: std::io::stderr().is_terminal(),
        map,
        prune: args.prune,
    };
    if !(options.default_currency.len() == 3
        && options
            .default_currency
            .bytes()
            .all(|b| b.is_ascii_uppercase()))
    {
        return Err(Error::invalid(
            "--default-currency",
            "must be a three-letter ISO 4217 code such as USD",
        ));
    }
    let text_attributes = catalog::text_attributes(&args.text_attribute)?;
    let added = crate::store::embeddings::add_text_attributes(pool, &text_attributes).await?;
    if !added.is_empty() {
        println!("embedded text now includes: {}", added.join(", "));
    }
    let report = catalog::import_file(pool, &args.file, &options).await?;
    for error in &report.errors {
        eprintln!("{error}");
    }
    for skip in &report.skipped {
        eprintln!("line {}: {} skipped: {}", skip.line, skip.id, skip.reason);
    }
    let c = report.counts;
    println!(
        "{} ({}): {} rows read; {} inserted, {} updated, {} unchanged, {} rejected, {} skipped",
        args.file.display(),
        report.format,
        report.rows,
        c.inserted,
        c.updated,
        c.unchanged,
        report.errors.len(),
        report.skipped.len()
    );
    print_absent(&report, args.prune);
    Ok(if report.errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_ROWS_REJECTED)
    })
}

/// What a full feed no longer lists: removed (`--prune`), or only named.
fn print_absent(report: &catalog::ImportReport, prune: bool) {
    let absent = &report.absent;
    if absent.is_empty() {
        return;
    }
    let sample = absent
        .iter()
        .take(10)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    let more = if absent.len() > 10 { ", …" } else { "" };
    match (&report.prune_refused, prune) {
        (_, false) => println!(
            "{} stored products are not in this file ({sample}{more}); if the file is the whole \
             catalog, import it again with --prune to remove them",
            absent.len()
        ),
        (Some(reason), true) => {
            println!("--prune removed nothing: {reason}")
        }
        (None, true) => println!(
            "removed {} products the file no longer lists ({sample}{more})",
            report.pruned
        ),
    }
}

/// `giftvec doctor`: every check, one line each; exit 1 when one fails.
async fn doctor_command(cli: &Cli, args: &crate::config::DoctorArgs) -> Result<ExitCode> {
    let settings = crate::doctor::DoctorSettings {
        db: cli.database.settings().ok(),
        read_url: cli.database.read_url.clone(),
        embed: cli.embed.settings(),
        skip: args.skip.clone(),
    };
    println!("giftvec {} doctor\n", env!("CARGO_PKG_VERSION"));
    Ok(crate::doctor::report(
        &crate::doctor::run_checks(&settings).await,
    ))
}

/// `giftvec healthcheck`: GET /healthz (or /readyz) on the local server.
async fn healthcheck(args: &crate::config::HealthcheckArgs) -> Result<ExitCode> {
    let mut address = args.listen;
    if address.ip().is_unspecified() {
        address.set_ip(if address.is_ipv4() {
            std::net::Ipv4Addr::LOCALHOST.into()
        } else {
            std::net::Ipv6Addr::LOCALHOST.into()
        });
    }
    let path = if args.ready { "readyz" } else { "healthz" };
    let url = format!("http://{address}/{path}");
    let client = reqwest::Client::builder()
        .timeout(Duration::from_millis(args.timeout_ms.max(1)))
        .build()
        .map_err(|e| Error::Internal(Box::new(e)))?;
    match client.get(&url).send().await {
        Ok(response) if response.status().is_success() => Ok(ExitCode::SUCCESS),
        Ok(response) => {
            let status = response.status();
            let body = response.text().await.unwrap_or_default();
            eprintln!("giftvec healthcheck: {url} answered {status}: {body}");
            Ok(ExitCode::FAILURE)
        }
        Err(err) => {
            let mut reason = err.to_string();
            let mut source = std::error::Error::source(&err);
            while let Some(cause) = source {
                reason.push_str(&format!(": {cause}"));
                source = cause.source();
            }
            eprintln!("giftvec healthcheck: {url}: {reason}");
            Ok(ExitCode::FAILURE)
        }
    }
}
