//! `callfull serve`.

use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use callfull_crm::SystemClock;
use callfull_world::{World, WorldSettings};

use crate::cli::{CrmChoice, ServeArgs};

pub fn run(args: &ServeArgs) -> anyhow::Result<ExitCode> {
    let settings = match &args.world {
        Some(path) => WorldSettings::load(path)?,
        None => WorldSettings::default_settings(),
    };
    let world = World::generate(&settings, args.seed);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async {
        let addr = SocketAddr::new(args.host, args.port);
        let options = callfull_crm::bitrix24::PortalOptions {
            rate_limit: (!args.no_rate_limit).then(callfull_crm::bitrix24::RateLimit::default),
            state_file: args.state.clone(),
            telephony_app_only: args.b24_telephony_app_only,
            telephony_error_code: args.b24_telephony_error_code.clone(),
            wrong_webhook_status: args.b24_wrong_webhook_status,
        };
        let clock = Arc::new(match args.clock_at {
            Some(secs) => {
                let micros = secs.checked_mul(1_000_000).context("--clock-at is out of range")?;
                callfull_crm::admin::AdjustableClock::new(callfull_crm::ManualClock::at(micros))
            }
            None => callfull_crm::admin::AdjustableClock::new(SystemClock),
        });
        let tls = match (args.tls, &args.tls_ca) {
            (false, _) => None,
            (true, ca) => {
                let ca = ca.clone().unwrap_or_else(callfull_crm::TlsConfig::default_ca_file);
                // Absolute, so the path printed works from any directory.
                let ca = std::path::absolute(&ca).with_context(|| format!("--tls-ca {}", ca.display()))?;
                Some(callfull_crm::TlsConfig::new(ca))
            }
        };
        let amocrm = callfull_crm::amocrm::AccountOptions {
            rate_limit: (!args.no_rate_limit).then_some(7),
            payment_required: args.amo_payment_required,
            state_file: args.state.as_deref().map(callfull_crm::state::amocrm_file),
            ..callfull_crm::amocrm::AccountOptions::default()
        };
        let crms = match args.crm {
            CrmChoice::Both => callfull_crm::Crms::Both,
            CrmChoice::Bitrix24 => callfull_crm::Crms::Bitrix24,
            CrmChoice::Amocrm => callfull_crm::Crms::AmoCrm,
        };
        let server = callfull_crm::spawn_with(
            world,
            addr,
            clock,
            options,
            callfull_crm::ServerOptions { tls, admin_token: args.admin_token.clone(), crms, amocrm },
        )
        .await
        .with_context(|| format!("cannot start on {addr}"))?;
        let mut out = std::io::stdout().lock();
        let uri = server.uri();
        if crms.bitrix24() {
            writeln!(out, "callfull: fake Bitrix24 on {uri} (seed {})", args.seed)?;
            writeln!(out, "  webhook:  {}", server.bitrix24_webhook_url())?;
            writeln!(out, "  token:    {}  (for {uri}/rest/<method>?auth=…)", server.bitrix24().access_token())?;
        } else {
            writeln!(out, "callfull: fake amoCRM on {uri} (seed {})", args.seed)?;
        }
        writeln!(out, "  admin:    {uri}/_admin/info")?;
        if let Some(ca) = server.tls_ca_file() {
            let ca = ca.display();
            writeln!(out, "  CA:       {ca}  (REQUESTS_CA_BUNDLE={ca} SSL_CERT_FILE={ca})")?;
        }
        if crms.bitrix24() {
            let oauth = server.bitrix24().oauth();
            writeln!(
                out,
                "  oauth:    client_id {}  client_secret {}  (token URL {uri}/oauth/token/)",
                oauth.client_id, oauth.client_secret
            )?;
        }
        if crms.amocrm() {
            let amo = server.amocrm();
            writeln!(out, "  amoCRM:   {uri}/api/v4  (Authorization: Bearer {})", amo.long_lived_token())?;
            writeln!(
                out,
                "  amo oauth: client_id {}  client_secret {}  redirect_uri {}  (token URL {uri}/oauth2/access_token)",
                amo.oauth().client_id,
                amo.oauth().client_secret,
                amo.oauth().redirect_uri
            )?;
        }
        writeln!(out, "Ctrl-C stops it.")?;
        out.flush()?;
        drop(out);
        tokio::signal::ctrl_c().await.context("waiting for Ctrl-C")?;
        drop(server);
        Ok::<_, anyhow::Error>(())
    })?;
    Ok(ExitCode::SUCCESS)
}
