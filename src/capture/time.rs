//! TEMPORARY stub; the capture branch provides the real one.
pub fn format_time_usec(_usec: i64) -> String {
    todo!()
}
