//! The one list that wires each WIT export function to its table key. The guest turns it into
//! the `actions` and `data-sources` trait impls; natively it is [`WIRING`], which a test checks
//! against the table (so a swapped `get_space => "deleteSpace"` fails), while the manifest
//! test checks the table against the component's real WIT exports.

/// Calls `$callback!` with every wired export, grouped by interface.
macro_rules! for_each_export {
    ($callback:ident) => {
        $callback! {
            actions: {
                create_space "create-space" => "createSpace",
                get_space "get-space" => "getSpace",
                list_spaces "list-spaces" => "listSpaces",
                update_space "update-space" => "updateSpace",
                delete_space "delete-space" => "deleteSpace",
                // users
                list_users "list-users" => "listUsers",
                get_my_user "get-my-user" => "getMyUser",
                // apps
                get_app "get-app" => "getApp",
                create_app "create-app" => "createApp",
                update_app "update-app" => "updateApp",
                delete_app "delete-app" => "deleteApp",
                // data files
                list_datafiles "list-datafiles" => "listDatafiles",
                get_data_file "get-data-file" => "getDataFile",
                create_data_file "create-data-file" => "createDataFile",
                update_data_file "update-data-file" => "updateDataFile",
                delete_data_file "delete-data-file" => "deleteDataFile",
                // data stores, data assets, data sets
                list_data_stores "list-data-stores" => "listDataStores",
                get_data_store "get-data-store" => "getDataStore",
                create_data_store "create-data-store" => "createDataStore",
                update_data_store "update-data-store" => "updateDataStore",
                delete_data_stores "delete-data-stores" => "deleteDataStores",
                delete_data_stores_assets "delete-data-stores-assets" => "deleteDataStoresAssets",
                get_data_assets "get-data-assets" => "getDataAssets",
                create_data_assets "create-data-assets" => "createDataAssets",
                update_data_assets "update-data-assets" => "updateDataAssets",
                delete_data_assets "delete-data-assets" => "deleteDataAssets",
                get_dataset "get-dataset" => "getDataset",
                create_dataset "create-dataset" => "createDataset",
                update_dataset "update-dataset" => "updateDataset",
                delete_dataset "delete-dataset" => "deleteDataset",
                // reports
                create_report "create-report" => "createReport",
                get_report_request_status "get-report-request-status" => "getReportRequestStatus",
                // reloads
                reload_app "reload-app" => "reloadApp",
                get_reload "get-reload" => "getReload",
                list_reloads "list-reloads" => "listReloads",
                cancel_reload "cancel-reload" => "cancelReload",

                // raw request
                raw_request "raw-request" => "rawRequest",
            }
            data_sources: {
                select_space "select-space" => "selectSpace",
                select_user "select-user" => "selectUser",
                // apps
                select_app "select-app" => "selectApp",

                // data files
                select_data_file "select-data-file" => "selectDataFile",
                // data stores, data assets, data sets
                select_data_store "select-data-store" => "selectDataStore",
                select_data_asset "select-data-asset" => "selectDataAsset",
                select_data_set "select-data-set" => "selectDataSet",
            }
            triggers: {
                poll_changes_trigger "poll-changes-trigger" => "pollChangesTrigger",
            }
        }
    };
}
#[cfg_attr(not(target_arch = "wasm32"), allow(unused_imports))]
pub(crate) use for_each_export;

macro_rules! wiring_table {
    (actions: { $($a:ident $aw:literal => $ak:literal),* $(,)? }
     data_sources: { $($d:ident $dw:literal => $dk:literal),* $(,)? }
     triggers: { $($t:ident $tw:literal => $tk:literal),* $(,)? }) => {
        /// `(WIT interface, guest function, WIT export name, table key)` of every wired export.
        pub const WIRING: &[(&str, &str, &str, &str)] = &[
            $(("actions", stringify!($a), $aw, $ak),)*
            $(("data-sources", stringify!($d), $dw, $dk),)*
            $(("triggers", stringify!($t), $tw, $tk),)*
        ];
    };
}
for_each_export!(wiring_table);

#[cfg(test)]
mod tests {
    use super::WIRING;
    use crate::table::{exports, find};

    #[test]
    fn every_export_is_wired_once_to_its_own_function() {
        for (interface, function, wit_name, key) in WIRING {
            let spec = find(key).unwrap_or_else(|| panic!("{function} is wired to unknown key {key}"));
            assert_eq!(spec.kind.interface(), *interface, "{key}");
            assert_eq!(function.replace('_', "-"), spec.wit_name(), "{function} is wired to {key}");
            assert_eq!(*wit_name, spec.wit_name(), "{key} is exported as {wit_name}");
        }
        for spec in exports() {
            let wired = WIRING.iter().filter(|(_, _, _, key)| *key == spec.key).count();
            assert_eq!(wired, 1, "{} is wired {wired} times", spec.key);
        }
    }
}
