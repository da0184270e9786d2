//! The assembler's view during a replay: the PBX side (numbers, trunks,
//! extensions, recordings) comes from the world, as a connector's settings
//! would give it; users come from the CRM's answers; the CRM binding is left
//! empty for the connector to fill, and the request for it is kept.

use std::cell::RefCell;

use callfull_cel::{Binding, BindingRequest, EventTime, Lookup};
use callfull_gen::WorldLookup;
use callfull_model::{CallType, Number, User};

use crate::users::Users;

/// What the connector knows when it binds a call, owned.
#[derive(Debug, Clone, PartialEq)]
pub struct CallFacts {
    /// The call's linkedid (amoCRM `uniq`).
    pub linkedid: String,
    /// Its direction.
    pub direction: CallType,
    /// The client's number as Asterisk gave it; `None` for internal calls.
    pub client: Option<String>,
    /// The client's number as the connector sends it to the CRM (`custom`
    /// when auto-replacement applied, else `original`); `""` when none.
    pub client_phone: String,
    /// The employee's number the call is for (the first one rung, or the caller).
    pub employee: Option<String>,
    /// When it started.
    pub start: EventTime,
}

impl CallFacts {
    /// Whether the connector binds this call to the CRM: it has a client
    /// and is not internal (A-REG-2).
    pub fn is_bound(&self) -> bool {
        self.client.is_some() && self.direction != CallType::Local
    }
}

pub(crate) struct ReplayLookup<'a> {
    pub world: &'a WorldLookup<'a>,
    pub users: &'a Users,
    pub facts: RefCell<Option<CallFacts>>,
}

impl Lookup for ReplayLookup<'_> {
    fn number(&self, original: &str) -> Number {
        self.world.number(original)
    }

    fn trunk_did(&self, endpoint: &str) -> Option<String> {
        self.world.trunk_did(endpoint)
    }

    fn user(&self, number: &str) -> Option<User> {
        self.users.by_number(number).cloned()
    }

    fn is_internal(&self, number: &str) -> bool {
        self.world.is_internal(number)
    }

    fn is_employee(&self, number: &str) -> bool {
        self.world.is_employee(number)
    }

    fn binding(&self, request: &BindingRequest<'_>) -> Binding {
        *self.facts.borrow_mut() = Some(CallFacts {
            linkedid: request.linkedid.to_owned(),
            direction: request.direction,
            client: request.client.map(str::to_owned),
            client_phone: request.client.map(|c| self.world.number(c).effective().to_owned()).unwrap_or_default(),
            employee: request.employee.map(str::to_owned),
            start: request.start,
        });
        // The recording is the PBX's, not the CRM's: keep the world's link.
        Binding { record: self.world.record(request), ..Binding::default() }
    }
}
