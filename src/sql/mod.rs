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
mod per_message;
pub mod scalar;
pub mod table;
mod votes;

use per_message::PerMessage;
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
        PerMessage<votes::Votes>,
        PerMessage<votes::VoteHashes>,
        PerMessage<messages::KeepalivePeers>,
        PerMessage<messages::Handshakes>,
        PerMessage<messages::Telemetry>,
        PerMessage<messages::ConfirmReqPairs>,
        asc_pull::AscPull,
        PerMessage<asc_pull::AscPullFrontiers>,
        PerMessage<bootstrap::FrontierRequests>,
        PerMessage<bootstrap::BulkPullRequests>,
        PerMessage<bootstrap::BulkPullAccountRequests>,
        bootstrap::FrontierResponses,
        bootstrap::BulkPullAccountResponses,
        connections::Connections,
        anomalies::Anomalies,
        anomalies::Stats,
    );
    Ok(())
}
