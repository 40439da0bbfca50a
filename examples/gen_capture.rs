//! Command-line front end of `nanocap::synth`: writes a deterministic synthetic Nano
//! capture (pcap or pcapng) and its ground truth as JSON.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::process::ExitCode;

use nanocap::synth::{
    self, presets, Config, Format, Link, LinkChoice, Network, Preset, TcpShaping, TransportChoice,
};

const HELP: &str = "\
gen_capture: deterministic synthetic Nano captures with ground truth

USAGE:
    gen_capture [OPTIONS] OUT.(pcap|pcapng)

OPTIONS:
    --messages N          messages to generate (default 1000; ignored with --preset)
    --seed N              PRNG seed (default 1); same seed, same bytes
    --format F            pcap | pcap-ns | pcap-be | pcap-ns-be | pcapng
                          (default: from the extension, .pcap -> pcap, else pcapng)
    --link L              ethernet | vlan | qinq | sll | sll-loopback | sll2 | raw | raw12 |
                          ipv4 | ipv6 | null | loop | mixed (default ethernet; mixed needs pcapng)
    --transport T         udp | tcp | mixed (default mixed)
    --ipv V               4 | 6 | mixed (default mixed)
    --network N           dev | live | beta | test (default dev). Only dev blocks carry
                          valid proof of work; elsewhere truth says work_valid: false
    --port P              node port (default: the network's, 44000/7075/54000/17075)
    --malformed-rate R    fraction of malformed messages, 0..1 (default 0)
    --tcp-shaping S       plain | messy | reordered (messy, and 15 % of segments captured
                          late, after their ACK) (default: plain with coalescing)
    --truncate            cut the last record in half (truncated file)
    --truth FILE          ground truth JSON (default OUT.truth.json; '-' for none)
    --preset NAME         udp-all-types | tcp-realistic | sample | link-<LINK>
                          (fixed content; --seed, --format and --truncate apply)
    -h, --help            this text

EXAMPLES:
    cargo run --release --example gen_capture -- --messages 1000000 out.pcapng
    cargo run --release --example gen_capture -- --preset udp-all-types --seed 7 udp.pcapng
";

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gen_capture: {e}");
            ExitCode::from(2)
        }
    }
}

fn parse_format(s: &str) -> Option<Format> {
    Some(match s {
        "pcap" => Format::Pcap {
            nanos: false,
            big_endian: false,
        },
        "pcap-ns" => Format::Pcap {
            nanos: true,
            big_endian: false,
        },
        "pcap-be" => Format::Pcap {
            nanos: false,
            big_endian: true,
        },
        "pcap-ns-be" => Format::Pcap {
            nanos: true,
            big_endian: true,
        },
        "pcapng" => Format::PcapNg,
        _ => return None,
    })
}

fn run() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let mut cfg = Config::new(1000);
    let mut messages = 1000u64;
    let mut format = None;
    let mut truth_path = None;
    let mut preset = None;
    let mut out = None;
    let mut truncate = false;
    while let Some(a) = args.next() {
        let mut val = |name: &str| args.next().ok_or_else(|| format!("{name} needs a value"));
        match a.as_str() {
            "-h" | "--help" => {
                print!("{HELP}");
                return Ok(());
            }
            "--messages" => {
                messages = val("--messages")?
                    .parse()
                    .map_err(|e| format!("--messages: {e}"))?
            }
            "--seed" => cfg.seed = val("--seed")?.parse().map_err(|e| format!("--seed: {e}"))?,
            "--format" => {
                let v = val("--format")?;
                format = Some(parse_format(&v).ok_or(format!("unknown format {v}"))?);
            }
            "--link" => {
                let v = val("--link")?;
                cfg.link = if v == "mixed" {
                    LinkChoice::Mixed
                } else {
                    LinkChoice::One(Link::parse(&v).ok_or(format!("unknown link {v}"))?)
                };
            }
            "--transport" => {
                cfg.transport = match val("--transport")?.as_str() {
                    "udp" => TransportChoice::Udp,
                    "tcp" => TransportChoice::Tcp,
                    "mixed" => TransportChoice::Mixed,
                    v => return Err(format!("unknown transport {v}")),
                }
            }
            "--ipv" => {
                cfg.ipv = match val("--ipv")?.as_str() {
                    "4" => 4,
                    "6" => 6,
                    "mixed" => 0,
                    v => return Err(format!("unknown IP version {v}")),
                }
            }
            "--network" => {
                let v = val("--network")?;
                cfg.network = Network::parse(&v).ok_or(format!("unknown network {v}"))?;
            }
            "--port" => {
                cfg.port = Some(val("--port")?.parse().map_err(|e| format!("--port: {e}"))?)
            }
            "--malformed-rate" => {
                cfg.malformed_rate = val("--malformed-rate")?
                    .parse()
                    .map_err(|e| format!("--malformed-rate: {e}"))?
            }
            "--tcp-shaping" => {
                cfg.shaping = match val("--tcp-shaping")?.as_str() {
                    "plain" => TcpShaping::plain(),
                    "messy" => TcpShaping::messy(),
                    "reordered" => TcpShaping::reordered(),
                    v => return Err(format!("unknown shaping {v}")),
                }
            }
            "--truncate" => truncate = true,
            "--truth" => truth_path = Some(val("--truth")?),
            "--preset" => {
                let v = val("--preset")?;
                preset = Some(Preset::parse(&v).ok_or(format!("unknown preset {v}"))?);
            }
            s if s.starts_with('-') => return Err(format!("unknown option {s} (see --help)")),
            s => out = Some(s.to_string()),
        }
    }
    let out = out.ok_or("missing output file (see --help)")?;
    let format = format.unwrap_or(if out.ends_with(".pcap") {
        Format::Pcap {
            nanos: false,
            big_endian: false,
        }
    } else {
        Format::PcapNg
    });
    let file = File::create(&out).map_err(|e| format!("{out}: {e}"))?;
    let w = BufWriter::with_capacity(1 << 20, file);
    let (w, truth) = match preset {
        Some(p) => presets::write_preset(p, cfg.seed, format, truncate, w),
        None => {
            cfg.messages = messages;
            cfg.format = format;
            cfg.truncate_last = truncate;
            cfg.keep_messages = messages <= 200_000;
            synth::generate(&cfg, w)
        }
    }
    .map_err(|e| format!("{out}: {e}"))?;
    w.into_inner()
        .map_err(|e| format!("{out}: {e}"))?
        .sync_all()
        .ok();
    let truth_path = truth_path.unwrap_or(format!("{out}.truth.json"));
    if truth_path != "-" {
        let mut t =
            BufWriter::new(File::create(&truth_path).map_err(|e| format!("{truth_path}: {e}"))?);
        t.write_all(truth.to_json().as_bytes())
            .and_then(|_| t.write_all(b"\n"))
            .map_err(|e| format!("{truth_path}: {e}"))?;
    }
    eprintln!(
        "{out}: {} records, {} messages ({} malformed), {} TCP connections",
        truth.records, truth.message_count, truth.malformed_count, truth.tcp_connections
    );
    Ok(())
}
