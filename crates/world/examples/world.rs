//! Prints a world as JSON, or the `call_full` pieces of one of its clients.
//!
//! ```text
//! cargo run -p callfull-world --example world -- [SEED] [SETTINGS.toml]
//! cargo run -p callfull-world --example world -- [SEED] --pieces [CONTACT_INDEX]
//! ```

use callfull_world::{ClientRef, World, WorldSettings};
use serde_json::json;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let seed = args.first().map(|s| s.parse()).transpose()?.unwrap_or(42);
    match args.get(1).map(String::as_str) {
        Some("--pieces") => {
            let world = World::from_seed(seed);
            let index: usize = args.get(2).map(|s| s.parse()).transpose()?.unwrap_or(0);
            let contact = world.contacts.get(index).ok_or("no such contact")?;
            let client = ClientRef::Contact(contact);
            let responsible = world.responsible_of(client);
            let pieces = json!({
                "bitrix24_user": world.bitrix24_user(responsible),
                "bitrix24_entity": world.bitrix24_entity(client),
                "bitrix24_company": contact.company.map(|c| world.bitrix24_entity(ClientRef::Company(&world.companies[c]))),
                "bitrix24_lead": world.leads.first().map(|l| world.bitrix24_entity(ClientRef::Lead(l))),
                "amocrm_user": world.amocrm_user(responsible),
                "amocrm_entity": world.amocrm_entity(client),
                "amocrm_deal": world.open_deal_for(client).map(|d| world.amocrm_deal(d)),
            });
            println!("{}", serde_json::to_string_pretty(&pieces)?);
        }
        path => {
            let settings = match path {
                Some(path) => WorldSettings::load(std::path::Path::new(path))?,
                None => WorldSettings::default_settings(),
            };
            let world = World::generate(&settings, seed);
            println!("{}", serde_json::to_string_pretty(&world)?);
        }
    }
    Ok(())
}
