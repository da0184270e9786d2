//! `callfull replay`.

use std::io::{self, BufWriter, Write};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use callfull_gen::{select_scenarios, write_payload};
use callfull_model::Crm;
use callfull_replay::{AmoSettings, Bitrix24Auth, Http, Replay, RetryPolicy, RunOptions, Target};
use callfull_world::{World, WorldSettings};

use crate::cli::ReplayArgs;

pub fn run(args: &ReplayArgs) -> anyhow::Result<ExitCode> {
    let scenarios = select_scenarios(&args.scenario)?;
    let settings = match &args.world {
        Some(path) => WorldSettings::load(path)?,
        None => WorldSettings::default_settings(),
    };
    if !(args.timeout.is_finite() && args.timeout > 0.0) {
        anyhow::bail!("--timeout {}: expected a number of seconds above 0", args.timeout);
    }
    let world = World::generate(&settings, args.seed);
    let crm: Crm = args.crm.into();
    let mut http = Http::builder()
        .timeout(Duration::from_secs_f64(args.timeout))
        .retry(RetryPolicy { max_retries: args.retries, ..RetryPolicy::default() });
    if let Some(ca) = &args.ca_file {
        http = http.trust_ca_file(ca).with_context(|| format!("--ca-file {}", ca.display()))?;
    }
    let http = http.build()?;
    let options = RunOptions {
        seed: args.seed,
        count: args.count.unwrap_or(scenarios.len() as u64),
        scenarios,
        first: args.first,
    };
    let amo = AmoSettings {
        create_contact: !args.amo_no_contact,
        create_lead: !args.amo_no_lead,
        unsorted_for_missed: !args.amo_no_unsorted,
        ..AmoSettings::default()
    };

    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let stdout = io::stdout();
    let mut out = BufWriter::with_capacity(1 << 16, stdout.lock());
    let mut write_error: Option<io::Error> = None;
    let outcome = runtime.block_on(async {
        let target = target(args, crm, &http).await?;
        let replay = Replay::new(&world, target, http.clone()).amocrm_settings(amo);
        let mut buf = Vec::with_capacity(8 << 10);
        replay
            .run(&options, |_, stage, call| {
                if write_error.is_some() || args.stage.0.is_some_and(|s| s != stage) {
                    return;
                }
                buf.clear();
                let written = write_payload(&mut buf, stage, call, args.pretty).and_then(|()| out.write_all(&buf));
                if let Err(e) = written {
                    write_error = Some(e);
                }
            })
            .await
    });
    let flushed = out.flush();
    drop(out);
    if let Some(e) = write_error {
        return Err(e.into());
    }
    flushed?;
    let summary = match outcome {
        Ok(summary) => summary,
        Err(e @ callfull_replay::ReplayError::BadUrl { .. }) => return Err(e.into()),
        Err(e) => {
            eprintln!("callfull replay: {e}");
            return Ok(ExitCode::from(1));
        }
    };
    eprintln!("{summary}");
    if summary.is_ok() {
        return Ok(ExitCode::SUCCESS);
    }
    let scenarios = args.scenario.join(",");
    for failure in summary.failures.iter().take(3) {
        eprintln!(
            "to replay call {} again: callfull replay --crm {} --url {} --seed {} --scenario {scenarios} --first {} --count 1",
            failure.index,
            crm.as_str(),
            args.url,
            args.seed,
            failure.index
        );
    }
    Ok(ExitCode::from(1))
}

/// The CRM and credentials from the flags, else from `callfull serve`'s admin API.
async fn target(args: &ReplayArgs, crm: Crm, http: &Http) -> Result<Target, callfull_replay::ReplayError> {
    let url = args.url.trim_end_matches('/').to_owned();
    match (&args.webhook, &args.token, crm) {
        (Some(webhook), _, Crm::AmoCrm) => Err(callfull_replay::ReplayError::BadUrl {
            url: webhook.clone(),
            reason: "--webhook is for Bitrix24; amoCRM needs --token".into(),
        }),
        (Some(webhook), _, _) => {
            let full = if webhook.starts_with("http://") || webhook.starts_with("https://") {
                webhook.clone()
            } else {
                format!("{url}/{}", webhook.trim_start_matches('/'))
            };
            Ok(Target::Bitrix24(Bitrix24Auth::Webhook(full)))
        }
        (None, Some(token), Crm::AmoCrm) => Ok(Target::AmoCrm { url, token: token.clone() }),
        (None, Some(token), _) => Ok(Target::Bitrix24(Bitrix24Auth::Token { base: url, token: token.clone() })),
        (None, None, _) => Target::from_admin_info(http, &url, crm).await,
    }
}
