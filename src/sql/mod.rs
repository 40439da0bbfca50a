//! The SQLite side: scalar functions, and the table-valued functions that serve the
//! table definitions of `present` over the capture pipeline. Knows nothing of byte
//! layouts or value formats.

pub mod capture;
pub mod import;
pub mod interfaces;
pub mod interrupt;
pub mod join_cache;
pub mod lookup;
pub mod plan;
mod result;
pub mod scalar;
pub mod table;

use crate::present::tables::{
    anomalies, asc_pull, blocks, bootstrap, connections, messages, packets, votes,
};
use crate::present::{PerMessage, TableDef};
use rusqlite::vtab::Module;
use rusqlite::{Connection, Result};
use std::sync::Arc;
use table::PipelineTab;

macro_rules! register_tables {
    ($db:expr, $cache:expr, $($t:ty),* $(,)?) => {{
        $(
            {
                const MODULE: Module<'static, PipelineTab<$t>> = Module::eponymous_only_module();
                $db.create_module(<$t as TableDef>::NAME, &MODULE, Some($cache.clone()))?;
            }
        )*
    }};
}

pub fn register(db: &Connection) -> Result<()> {
    scalar::register(db)?;
    import::register(db)?;
    capture::register(db)?;
    {
        const MODULE: Module<'static, interfaces::InterfacesTab> = Module::eponymous_only_module();
        db.create_module("nano_interfaces", &MODULE, None)?;
    }
    // One cache of decoded files per connection, shared by its table functions.
    let cache = Arc::new(lookup::Cache::default());
    join_cache::register(db, &cache)?;
    register_tables!(
        db,
        cache,
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
