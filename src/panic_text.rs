//! The message of a caught panic. Every thread and SQL entry point that catches a panic
//! (so that it never unwinds into the host) reports it with this text.

use std::any::Any;

/// The text `panic!` was given: a `&str` or a `String` payload; empty for anything else
/// (a `panic_any` with another type).
pub fn panic_text(payload: &(dyn Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::panic_text;
    use std::panic::catch_unwind;

    #[test]
    fn static_and_formatted_messages_and_other_payloads() {
        let hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(|_| {}));
        let fixed = catch_unwind(|| panic!("fixed text")).unwrap_err();
        let n = 7;
        let formatted = catch_unwind(|| panic!("formatted {n}")).unwrap_err();
        let other = catch_unwind(|| std::panic::panic_any(42u32)).unwrap_err();
        std::panic::set_hook(hook);
        assert_eq!(panic_text(&*fixed), "fixed text");
        assert_eq!(panic_text(&*formatted), "formatted 7");
        assert_eq!(panic_text(&*other), "");
    }
}
