//! Small nom helpers shared by the message modules: fixed arrays, error mapping
//! and the stock Malformed reasons.

use super::Malformed;
use nom::bytes::complete::take;
use nom::{IResult, Parser};

pub(crate) type Res<'a, T> = IResult<&'a [u8], T>;

/// Exactly `N` raw bytes as an array.
pub(crate) fn bytes<const N: usize>(i: &[u8]) -> Res<'_, [u8; N]> {
    take(N).map_res(<[u8; N]>::try_from).parse(i)
}

pub(crate) fn malformed(code: &'static str, detail: impl Into<String>) -> Malformed {
    Malformed {
        code,
        detail: detail.into(),
    }
}

/// The payload does not have the size its type requires.
pub(crate) fn bad_length(what: &str, have: usize, want: &str) -> Malformed {
    malformed(
        "bad_length",
        format!("{what} payload is {have} bytes, expected {want}"),
    )
}

/// Requires `payload.len() == want`.
pub(crate) fn exact_len(what: &str, payload: &[u8], want: usize) -> Result<(), Malformed> {
    if payload.len() == want {
        Ok(())
    } else {
        Err(bad_length(what, payload.len(), &want.to_string()))
    }
}

/// Runs a parser over input whose size was checked beforehand; a parse error
/// can then only mean the input was shorter than the fields, reported as such.
pub(crate) fn run<'a, O, P>(
    what: &str,
    mut p: P,
    input: &'a [u8],
) -> Result<(&'a [u8], O), Malformed>
where
    P: Parser<&'a [u8], Output = O, Error = nom::error::Error<&'a [u8]>>,
{
    p.parse(input).map_err(|_| {
        malformed(
            "bad_length",
            format!("{what} ends early ({} bytes)", input.len()),
        )
    })
}

pub(crate) fn is_zero(b: &[u8]) -> bool {
    b.iter().all(|&x| x == 0)
}
