//! Live capture through libpcap (the `pcap` crate): the device chosen by name, by one
//! of its addresses or by default, opened with a short read timeout so that the
//! reader says `Idle` about every [`READ_TIMEOUT_MS`] when nothing arrives, and
//! notices a stop request.
//! Frames are lent from libpcap's own buffer, numbered from 1, timed by libpcap's
//! headers (microseconds).

use super::{Frame, FrameSource, ReadOutcome, SourceAnomaly};
use crate::capture::AnomalyKind;
use ::pcap::{Active, Capture, Device};
use std::net::IpAddr;
use std::os::unix::io::AsRawFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// libpcap's read timeout: how long a read waits before answering `Idle`, and (not in
/// immediate mode) how long the kernel holds a block of frames before handing it over
/// however full it is: frames reach the database at most this much later.
pub const READ_TIMEOUT_MS: i32 = 100;
/// After a stop request, reading goes on until nothing is waiting and this long has
/// passed: the kernel hands over a block that is not full only when its timeout
/// (`READ_TIMEOUT_MS`) expires, so frames captured just before the stop are still
/// in a block nobody can read yet.
const STOP_DRAIN: Duration = Duration::from_millis(2 * READ_TIMEOUT_MS as u64);
/// The drain ends after this long even if frames keep coming.
const STOP_DRAIN_MAX: Duration = Duration::from_secs(1);
/// Whole frames: Nano messages never exceed this, and TCP reassembly needs every byte.
pub const SNAPLEN: i32 = 65535;

/// What the user asked to capture on, and how.
#[derive(Debug, Clone, Default)]
pub struct LiveConfig {
    /// Interface name or one of its IP addresses; `None` or empty: the first
    /// interface that is up, running, not loopback and has an address.
    pub device: Option<String>,
    /// BPF expression; empty: everything.
    pub filter: String,
    /// libpcap's kernel buffer in MiB (0: libpcap's default).
    pub buffer_megabytes: u32,
    pub promiscuous: bool,
}

/// One interface as libpcap lists it (`nano_interfaces()`).
#[derive(Debug, Clone)]
pub struct Interface {
    pub name: String,
    pub description: Option<String>,
    pub addresses: Vec<IpAddr>,
    pub up: bool,
    pub running: bool,
    pub loopback: bool,
    pub wireless: bool,
    /// libpcap's connection status: connected, disconnected, unknown, not_applicable.
    pub status: &'static str,
}

impl Interface {
    /// Comma-separated addresses.
    pub fn address_text(&self) -> String {
        self.addresses
            .iter()
            .map(|a| a.to_string())
            .collect::<Vec<_>>()
            .join(",")
    }

    /// Chosen when no device is named: like the original (first IPv4 address not
    /// 0.0.0.0 or 127.0.0.1), made explicit: up, running, not loopback, with an
    /// address (which leaves out libpcap's pseudo devices such as `any` and `nflog`).
    fn is_default_candidate(&self) -> bool {
        self.up
            && self.running
            && !self.loopback
            && self
                .addresses
                .iter()
                .any(|a| !a.is_unspecified() && !a.is_loopback())
    }
}

fn interface_of(d: &Device) -> Interface {
    use ::pcap::ConnectionStatus;
    Interface {
        name: d.name.clone(),
        description: d.desc.clone(),
        addresses: d.addresses.iter().map(|a| a.addr).collect(),
        up: d.flags.is_up(),
        running: d.flags.is_running(),
        loopback: d.flags.is_loopback(),
        wireless: d.flags.is_wireless(),
        status: match d.flags.connection_status {
            ConnectionStatus::Connected => "connected",
            ConnectionStatus::Disconnected => "disconnected",
            ConnectionStatus::NotApplicable => "not_applicable",
            ConnectionStatus::Unknown => "unknown",
        },
    }
}

/// Every interface libpcap can capture on, in its order.
pub fn interfaces() -> Result<Vec<Interface>, String> {
    Device::list()
        .map(|l| l.iter().map(interface_of).collect())
        .map_err(|e| format!("cannot list the capture interfaces: {e}"))
}

/// The link type of an interface, by opening it briefly (needs the capture
/// privilege; `None` without it, or when the device cannot be opened).
pub fn probe_link_type(name: &str) -> Option<(u32, Option<String>)> {
    let cap = Capture::from_device(name)
        .ok()?
        .snaplen(64)
        .buffer_size(64 * 1024)
        .timeout(1)
        .open()
        .ok()?;
    let dlt = cap.get_datalink();
    Some((linktype_of_dlt(dlt.0), dlt.get_name().ok()))
}

/// libpcap answers DLT_ values; the pipeline reads LINKTYPE_ values (the pcap file
/// numbers). They are the same except for raw IP, whose DLT differs by platform.
pub fn linktype_of_dlt(dlt: i32) -> u32 {
    match dlt {
        12 | 14 => 101, // DLT_RAW (12 on Linux, 14 on some BSDs) -> LINKTYPE_RAW
        d => d as u32,
    }
}

/// "eth0 (192.0.2.2, fe80::1), lo (127.0.0.1), any": for errors.
pub fn device_list_text(list: &[Interface]) -> String {
    if list.is_empty() {
        return "libpcap lists no interfaces".into();
    }
    list.iter()
        .map(|i| {
            if i.addresses.is_empty() {
                i.name.clone()
            } else {
                format!("{} ({})", i.name, i.address_text().replace(',', ", "))
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Which interface `device` means: a name, one of an interface's addresses, or the
/// default choice. The boolean tells whether it was the default choice.
pub fn resolve_device(device: Option<&str>) -> Result<(String, bool), String> {
    let list = interfaces()?;
    let wanted = device.map(str::trim).filter(|d| !d.is_empty());
    let Some(wanted) = wanted else {
        return list
            .iter()
            .find(|i| i.is_default_candidate())
            .map(|i| (i.name.clone(), true))
            .ok_or_else(|| {
                format!(
                    "no interface is up, running and not loopback with an address; name one \
                     (devices: {})",
                    device_list_text(&list)
                )
            });
    };
    if let Some(i) = list.iter().find(|i| i.name == wanted) {
        return Ok((i.name.clone(), false));
    }
    if let Ok(ip) = wanted.parse::<IpAddr>() {
        if let Some(i) = list.iter().find(|i| i.addresses.contains(&ip)) {
            return Ok((i.name.clone(), false));
        }
        return Err(format!(
            "no interface has the address {wanted} (devices: {})",
            device_list_text(&list)
        ));
    }
    Err(format!(
        "unknown device '{wanted}' (devices: {})",
        device_list_text(&list)
    ))
}

/// Turns libpcap's activation error into what the user should do about it.
pub fn open_error_text(device: &str, e: &::pcap::Error) -> String {
    let text = e.to_string();
    let lower = text.to_ascii_lowercase();
    if lower.contains("permission") || lower.contains("not permitted") {
        format!(
            "permission denied capturing on {device} ({text}): run as root, or grant the \
             capture capability to the program (setcap cap_net_raw,cap_net_admin=eip PROGRAM)"
        )
    } else if lower.contains("no such device") || lower.contains("doesn't exist") {
        format!("unknown device '{device}' ({text})")
    } else {
        format!("cannot capture on {device}: {text}")
    }
}

/// Counters libpcap keeps for the handle.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LiveStats {
    /// Packets that passed the filter (libpcap's `ps_recv`).
    pub received: u64,
    /// Dropped because the kernel buffer was full (`ps_drop`).
    pub dropped: u64,
    /// Dropped by the interface or its driver (`ps_ifdrop`).
    pub if_dropped: u64,
}

/// Frames of a live interface.
pub struct LiveSource {
    cap: Capture<Active>,
    device: String,
    filter: String,
    link_type: u32,
    link_name: Option<String>,
    frames: u64,
    last_time: i64,
    stop: Arc<AtomicBool>,
    /// When the stop request was seen (the drain started).
    stopping: Option<Instant>,
    done: bool,
}

impl LiveSource {
    /// Opens the device (see [`resolve_device`]) and applies the filter.
    pub fn open(config: &LiveConfig) -> Result<LiveSource, String> {
        let (device, _) = resolve_device(config.device.as_deref())?;
        Self::open_device(&device, config)
    }

    /// Opens an interface by its exact name.
    pub fn open_device(device: &str, config: &LiveConfig) -> Result<LiveSource, String> {
        let mut inactive = Capture::from_device(device)
            .map_err(|e| open_error_text(device, &e))?
            .snaplen(SNAPLEN)
            .promisc(config.promiscuous)
            // Not immediate mode: the kernel then packs frames into blocks of the ring
            // (TPACKET_V3) instead of giving each a slot as large as the snap length
            // (64 KiB on `lo`), so the same buffer holds far more frames and the
            // reader wakes once per block. Measured at tcpreplay's top speed on `lo`:
            // no kernel drops instead of a sixth of the packets (BENCHMARKS.md).
            .immediate_mode(false)
            .timeout(READ_TIMEOUT_MS);
        if config.buffer_megabytes > 0 {
            let bytes = (config.buffer_megabytes as u64 * 1024 * 1024).min(i32::MAX as u64);
            inactive = inactive.buffer_size(bytes as i32);
        }
        // Non-blocking, with our own poll() in `next`: libpcap 1.10 on Linux keeps
        // polling through its read timeout until a packet comes (it only returns
        // for pcap_breakloop), so a blocking read would never answer `Idle` on a
        // quiet interface nor notice a stop request.
        let mut cap = inactive
            .open()
            .and_then(|c| c.setnonblock())
            .map_err(|e| open_error_text(device, &e))?;
        let filter = config.filter.trim().to_string();
        if !filter.is_empty() {
            cap.filter(&filter, true)
                .map_err(|e| format!("bad filter '{filter}': {e}"))?;
        }
        let dlt = cap.get_datalink();
        Ok(LiveSource {
            link_type: linktype_of_dlt(dlt.0),
            link_name: dlt.get_name().ok(),
            cap,
            device: device.to_string(),
            filter,
            frames: 0,
            last_time: 0,
            stop: Arc::new(AtomicBool::new(false)),
            stopping: None,
            done: false,
        })
    }

    pub fn device(&self) -> &str {
        &self.device
    }

    pub fn filter(&self) -> &str {
        &self.filter
    }

    /// LINKTYPE of the frames, and libpcap's name for it (`EN10MB`).
    pub fn link_type(&self) -> (u32, Option<&str>) {
        (self.link_type, self.link_name.as_deref())
    }

    /// Frames read so far.
    pub fn frames(&self) -> u64 {
        self.frames
    }

    /// Set it to end the capture: the next read (within one read timeout) says `End`.
    pub fn stop_handle(&self) -> Arc<AtomicBool> {
        self.stop.clone()
    }

    /// libpcap's counters; `None` when it cannot give them.
    pub fn stats(&mut self) -> Option<LiveStats> {
        self.cap.stats().ok().map(|s| LiveStats {
            received: s.received as u64,
            dropped: s.dropped as u64,
            if_dropped: s.if_dropped as u64,
        })
    }
}

impl FrameSource for LiveSource {
    fn is_live(&self) -> bool {
        true
    }

    fn next(&mut self, visit: &mut dyn FnMut(&Frame<'_>)) -> ReadOutcome {
        if self.done {
            return ReadOutcome::End;
        }
        if self.stop.load(Ordering::Acquire) {
            let since = *self.stopping.get_or_insert_with(Instant::now);
            if since.elapsed() >= STOP_DRAIN_MAX {
                self.done = true;
                return ReadOutcome::End;
            }
        }
        let mut waited = false;
        let result = loop {
            match self.cap.next_packet() {
                // Non-blocking: nothing waiting. Wait for the descriptor once.
                Err(::pcap::Error::TimeoutExpired) if !waited => {
                    waited = true;
                    wait_readable(self.cap.as_raw_fd(), READ_TIMEOUT_MS);
                }
                r => break r,
            }
        };
        match result {
            Ok(p) => {
                self.frames += 1;
                let ts = p.header.ts;
                // time_t and suseconds_t are i64 on 64-bit Linux, narrower elsewhere.
                #[allow(clippy::useless_conversion)]
                let time_usec = i64::from(ts.tv_sec)
                    .saturating_mul(1_000_000)
                    .saturating_add(i64::from(ts.tv_usec));
                self.last_time = time_usec;
                visit(&Frame {
                    number: self.frames,
                    time_usec,
                    link_type: self.link_type,
                    data: p.data,
                    orig_len: p.header.len,
                });
                ReadOutcome::Frame
            }
            Err(::pcap::Error::TimeoutExpired) => {
                if self
                    .stopping
                    .is_some_and(|since| since.elapsed() >= STOP_DRAIN)
                {
                    // Stopped, every block handed over and read.
                    self.done = true;
                    return ReadOutcome::End;
                }
                ReadOutcome::Idle
            }
            Err(e) => {
                self.done = true;
                ReadOutcome::Anomaly {
                    anomaly: SourceAnomaly {
                        frame: self.frames + 1,
                        time_usec: self.last_time,
                        kind: AnomalyKind::ReadError,
                        detail: format!("capture on {} failed: {e}; capture stops", self.device),
                    },
                    fatal: true,
                }
            }
        }
    }
}

/// poll(2) on one descriptor for reading, at most `timeout_ms`; errors (EINTR...)
/// count as a wake-up, the caller just reads again.
fn wait_readable(fd: std::os::unix::io::RawFd, timeout_ms: i32) {
    #[repr(C)]
    struct PollFd {
        fd: i32,
        events: i16,
        revents: i16,
    }
    extern "C" {
        fn poll(fds: *mut PollFd, nfds: std::ffi::c_ulong, timeout: i32) -> i32;
    }
    const POLLIN: i16 = 1;
    let mut p = PollFd {
        fd,
        events: POLLIN,
        revents: 0,
    };
    // SAFETY: one valid pollfd for the duration of the call.
    unsafe {
        poll(&mut p, 1, timeout_ms);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_ip_dlt_maps_to_linktype_raw() {
        assert_eq!(linktype_of_dlt(12), 101);
        assert_eq!(linktype_of_dlt(14), 101);
        assert_eq!(linktype_of_dlt(1), 1);
        assert_eq!(linktype_of_dlt(113), 113);
        assert_eq!(linktype_of_dlt(276), 276);
    }

    #[test]
    fn permission_errors_say_what_to_do() {
        let e = ::pcap::Error::PcapError(
            "eth0: You don't have permission to perform this capture on that device \
             (socket: Operation not permitted)"
                .into(),
        );
        let t = open_error_text("eth0", &e);
        assert!(t.contains("run as root"), "{t}");
        assert!(t.contains("cap_net_raw"), "{t}");
        let e = ::pcap::Error::PcapError("socket: Operation not permitted".into());
        assert!(open_error_text("lo", &e).contains("run as root"));
    }

    #[test]
    fn unknown_names_list_the_devices() {
        let e = resolve_device(Some("nanocap-no-such-if0")).unwrap_err();
        assert!(e.starts_with("unknown device 'nanocap-no-such-if0'"), "{e}");
        assert!(e.contains("devices: "), "{e}");
        let e = resolve_device(Some("203.0.113.77")).unwrap_err();
        assert!(
            e.contains("no interface has the address 203.0.113.77"),
            "{e}"
        );
    }

    /// A real capture on loopback: a datagram sent to 127.0.0.1 is read back with
    /// its bytes, numbered from 1, and an idle interface answers `Idle` in time.
    #[test]
    fn captures_a_datagram_on_loopback() {
        let Some(lo) = interfaces()
            .unwrap()
            .into_iter()
            .find(|i| i.loopback && i.addresses.iter().any(|a| a.is_ipv4()))
        else {
            crate::test_support::skip("no IPv4 loopback interface");
            return;
        };
        let sock = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let port = sock.local_addr().unwrap().port();
        let config = LiveConfig {
            device: Some(lo.name.clone()),
            filter: format!("udp and dst port {port}"),
            buffer_megabytes: 1,
            promiscuous: false,
        };
        let mut src = match LiveSource::open(&config) {
            Ok(s) => s,
            Err(e) if e.contains("permission denied") => {
                crate::test_support::skip(&format!("not allowed to capture: {e}"));
                return;
            }
            Err(e) => panic!("{e}"),
        };
        let bad = LiveConfig {
            filter: "udp and port nonsense".into(),
            ..config.clone()
        };
        let e = LiveSource::open(&bad).err().unwrap();
        assert!(e.starts_with("bad filter 'udp and port nonsense'"), "{e}");
        let payload = b"nanocap live source test";
        sock.send_to(payload, ("127.0.0.1", port)).unwrap();
        let started = std::time::Instant::now();
        let mut got = None;
        let mut idles = 0;
        while started.elapsed() < std::time::Duration::from_secs(5) {
            match src.next(&mut |f| got = Some((f.number, f.link_type, f.data.to_vec()))) {
                ReadOutcome::Frame => {
                    if got.is_some() && idles == 0 {
                        // Now wait for an idle read on the quiet interface.
                        continue;
                    }
                }
                ReadOutcome::Idle => {
                    idles += 1;
                    if got.is_some() {
                        break;
                    }
                }
                o => panic!("{o:?}"),
            }
        }
        let (number, link, data) = got.expect("the datagram was captured");
        assert_eq!(number, 1);
        assert_eq!(link, src.link_type().0);
        assert!(data.ends_with(payload), "{data:?}");
        assert!(idles >= 1, "an idle interface answers Idle");
        let stats = src.stats().unwrap();
        assert!(stats.received >= 1, "{stats:?}");
        // A stop drains what the kernel still holds, then ends.
        src.stop_handle().store(true, Ordering::Release);
        let stopped = std::time::Instant::now();
        loop {
            match src.next(&mut |_| {}) {
                ReadOutcome::End => break,
                ReadOutcome::Idle | ReadOutcome::Frame => {
                    assert!(stopped.elapsed() < STOP_DRAIN_MAX * 2, "the drain ends");
                }
                o => panic!("{o:?}"),
            }
        }
        assert!(stopped.elapsed() >= STOP_DRAIN);
        assert!(matches!(src.next(&mut |_| {}), ReadOutcome::End));
    }

    #[test]
    fn loopback_is_found_by_name_and_address() {
        let list = interfaces().unwrap();
        let Some(lo) = list.iter().find(|i| i.loopback && !i.addresses.is_empty()) else {
            return; // no loopback with an address here: nothing to check
        };
        assert_eq!(
            resolve_device(Some(&lo.name)).unwrap(),
            (lo.name.clone(), false)
        );
        let addr = lo.addresses[0].to_string();
        assert_eq!(resolve_device(Some(&addr)).unwrap().0, lo.name);
        if let Ok((name, true)) = resolve_device(None) {
            assert_ne!(name, lo.name, "the default device is never loopback");
        }
    }
}
