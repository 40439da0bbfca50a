//! The SQLite side: scalar functions and table-valued functions over the capture
//! pipeline. Knows nothing of byte layouts; reads decoded events only.

#[macro_use]
mod values;
mod anomalies;
mod asc_pull;
mod blocks;
mod bootstrap;
mod connections;
mod json;
mod messages;
mod packets;
pub mod scalar;
pub mod table;
mod votes;

use rusqlite::vtab::Module;
use rusqlite::{Connection, Result};
use table::PipelineTab;

macro_rules! register_tables {
    ($db:expr, $($t:ty),* $(,)?) => {{
        $(
            {
                const MODULE: Module<'static, PipelineTab<$t>> = Module::eponymous_only_module();
                $db.create_module(<$t as table::TableDef>::NAME, &MODULE, None)?;
            }
        )*
    }};
}

pub fn register(db: &Connection) -> Result<()> {
    scalar::register(db)?;
    register_tables!(
        db,
        packets::Packets,
        blocks::Blocks,
        votes::Votes,
        votes::VoteHashes,
        messages::KeepalivePeers,
        messages::Handshakes,
        messages::Telemetry,
        messages::ConfirmReqPairs,
        asc_pull::AscPull,
        asc_pull::AscPullFrontiers,
        bootstrap::FrontierRequests,
        bootstrap::BulkPullRequests,
        bootstrap::BulkPullAccountRequests,
        bootstrap::FrontierResponses,
        bootstrap::BulkPullAccountResponses,
        connections::Connections,
        anomalies::Anomalies,
        anomalies::Stats,
    );
    Ok(())
}
