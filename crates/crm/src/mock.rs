//! The fake mounted on a `wiremock::MockServer`: for test suites that already
//! use wiremock and want the whole stateful portal behind it, next to their
//! own mocks. Every request the server does not match with a mock of higher
//! priority goes to the same router as `callfull serve`.
//!
//! ```no_run
//! # async fn example() {
//! use callfull_crm::mock::MountedPortal;
//! let server = wiremock::MockServer::start().await;
//! let portal = MountedPortal::mount(&server, callfull_world::World::from_seed(7), Default::default()).await;
//! let webhook = portal.bitrix24_webhook_url(); // http://127.0.0.1:PORT/rest/{user}/{code}/
//! # }
//! ```

use std::sync::Arc;
use std::time::Duration;

use wiremock::{Mock, MockServer, Respond, ResponseTemplate};

use crate::admin::AdjustableClock;
use crate::bitrix24::{Portal, PortalOptions};
use crate::clock::{Clock, SystemClock};
use crate::router::{self, Request};
use crate::server::Shared;

/// The priority of the portal's catch-all mock: the lowest wiremock allows,
/// so a test's own mocks win.
const PRIORITY: u8 = u8::MAX;

/// A portal answering on a `MockServer`.
#[derive(Clone)]
pub struct MountedPortal {
    shared: Shared,
}

impl MountedPortal {
    /// Mounts the portal of `world` on `server`, on the system clock.
    pub async fn mount(server: &MockServer, world: callfull_world::World, options: PortalOptions) -> Self {
        MountedPortal::mount_with_clock(server, world, options, Arc::new(AdjustableClock::new(SystemClock))).await
    }

    /// Mounts the portal of `world` on `server`, on `clock`.
    pub async fn mount_with_clock(
        server: &MockServer,
        world: callfull_world::World,
        options: PortalOptions,
        clock: Arc<AdjustableClock>,
    ) -> Self {
        let portal = Portal::with_options(world, options);
        let shared = Shared::new(portal, clock, server.uri());
        Mock::given(wiremock::matchers::any())
            .respond_with(Responder(shared.clone()))
            .with_priority(PRIORITY)
            .named("callfull fake Bitrix24")
            .mount(server)
            .await;
        MountedPortal { shared }
    }

    /// The Bitrix24 incoming-webhook URL.
    pub fn bitrix24_webhook_url(&self) -> String {
        format!("{}{}", self.shared.base_url, self.shared.bitrix24.webhook_path())
    }

    /// The state shared with the router: portal, journal, faults, clock.
    pub fn shared(&self) -> &Shared {
        &self.shared
    }
}

struct Responder(Shared);

impl Respond for Responder {
    fn respond(&self, request: &wiremock::Request) -> ResponseTemplate {
        let header = |name: &str| request.headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let body = request.body.clone();
        let response = if body.len() as u64 > router::MAX_BODY {
            router::too_large(request.url.path())
        } else {
            router::handle(
                &self.0,
                &Request {
                    method: request.method.as_str().to_owned(),
                    path: request.url.path().to_owned(),
                    query: request.url.query().unwrap_or_default().to_owned(),
                    content_type: header("content-type"),
                    authorization: header("authorization"),
                    admin_token: header(router::ADMIN_TOKEN_HEADER),
                    remote: None,
                    body: body.into(),
                },
            )
        };
        // Event deliveries need a runtime to post from; wiremock answers on one.
        if !response.deliveries.is_empty() && tokio::runtime::Handle::try_current().is_ok() {
            crate::deliver::spawn_all(response.deliveries.clone(), self.0.journal.clone(), self.0.clock.now_micros());
        }
        ResponseTemplate::new(response.status)
            .set_body_raw(response.body, response.content_type)
            .insert_header("x-powered-by", "callfull")
            .set_delay(Duration::from_millis(response.delay_ms))
    }
}
