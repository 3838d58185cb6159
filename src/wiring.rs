//! The one list that wires each WIT export function to its table key. The guest turns it into
//! the `actions` and `data-sources` trait impls; natively it is [`WIRING`], which a test checks
//! against the table (so a swapped `get_space => "deleteSpace"` fails), while the manifest
//! test checks the table against the component's real WIT exports.

/// Calls `$callback!` with every wired export, grouped by interface.
macro_rules! for_each_export {
    ($callback:ident) => {
        $callback! {
            actions: {
                create_space => "createSpace",
                get_space => "getSpace",
                list_spaces => "listSpaces",
                update_space => "updateSpace",
                delete_space => "deleteSpace",
                // users

                // apps

                // data files

                // data stores, data assets, data sets

                // reports
                create_report => "createReport",
                get_report_request_status => "getReportRequestStatus",

                // raw request
                raw_request => "rawRequest",
            }
            data_sources: {
                select_space => "selectSpace",
                select_user => "selectUser",
                // apps

                // data files

                // data stores, data assets, data sets
            }
        }
    };
}
#[cfg_attr(not(target_arch = "wasm32"), allow(unused_imports))]
pub(crate) use for_each_export;

macro_rules! wiring_table {
    (actions: { $($a:ident => $ak:literal),* $(,)? } data_sources: { $($d:ident => $dk:literal),* $(,)? }) => {
        /// `(WIT interface, guest function, table key)` of every wired export.
        pub const WIRING: &[(&str, &str, &str)] =
            &[$(("actions", stringify!($a), $ak),)* $(("data-sources", stringify!($d), $dk),)*];
    };
}
for_each_export!(wiring_table);

#[cfg(test)]
mod tests {
    use super::WIRING;
    use crate::table::{exports, find};

    #[test]
    fn every_export_is_wired_once_to_its_own_function() {
        for (interface, function, key) in WIRING {
            let spec = find(key).unwrap_or_else(|| panic!("{function} is wired to unknown key {key}"));
            assert_eq!(spec.kind.interface(), *interface, "{key}");
            assert_eq!(function.replace('_', "-"), spec.wit_name(), "{function} is wired to {key}");
        }
        for spec in exports() {
            let wired = WIRING.iter().filter(|(_, _, key)| *key == spec.key).count();
            assert_eq!(wired, 1, "{} is wired {wired} times", spec.key);
        }
    }
}
