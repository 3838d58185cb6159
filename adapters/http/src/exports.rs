//! The connector's exports by manifest key, one list for both uses: [`keys`] (which keys a route
//! group has, checked before the body is read) and, in the component, the dispatch to the
//! bound functions. No manifest is asked for or parsed per request. A unit test checks the list
//! against `component.yaml` (the manifest, itself checked against the connector by a harness
//! test), and `serve::an_empty_input_answers_what_call_answers_for_every_export` calls every
//! entry through the composed component.

use crate::route::Group;

/// Calls `$callback!` with every export: `key => bound function`, grouped by interface.
macro_rules! for_each_export {
    ($callback:ident) => {
        $callback! {
            actions: {
                "createSpace" => create_space, "getSpace" => get_space, "updateSpace" => update_space,
                "deleteSpace" => delete_space, "listSpaces" => list_spaces,
                "listUsers" => list_users, "getMyUser" => get_my_user,
                "getApp" => get_app, "createApp" => create_app, "updateApp" => update_app,
                "deleteApp" => delete_app,
                "listDatafiles" => list_datafiles, "getDataFile" => get_data_file,
                "createDataFile" => create_data_file, "updateDataFile" => update_data_file,
                "deleteDataFile" => delete_data_file,
                "listDataStores" => list_data_stores, "getDataStore" => get_data_store,
                "createDataStore" => create_data_store, "updateDataStore" => update_data_store,
                "deleteDataStores" => delete_data_stores, "deleteDataStoresAssets" => delete_data_stores_assets,
                "getDataAssets" => get_data_assets, "createDataAssets" => create_data_assets,
                "updateDataAssets" => update_data_assets, "deleteDataAssets" => delete_data_assets,
                "getDataset" => get_dataset, "createDataset" => create_dataset,
                "updateDataset" => update_dataset, "deleteDataset" => delete_dataset,
                "createReport" => create_report, "getReportRequestStatus" => get_report_request_status,
                "reloadApp" => reload_app, "getReload" => get_reload, "listReloads" => list_reloads,
                "cancelReload" => cancel_reload, "rawRequest" => raw_request,
            }
            data_sources: {
                "selectSpace" => select_space, "selectUser" => select_user, "selectApp" => select_app,
                "selectDataFile" => select_data_file, "selectDataStore" => select_data_store,
                "selectDataAsset" => select_data_asset, "selectDataSet" => select_data_set,
            }
            triggers: {
                "pollChangesTrigger" => poll_changes_trigger,
            }
        }
    };
}
#[cfg_attr(not(target_arch = "wasm32"), allow(unused_imports))]
pub(crate) use for_each_export;

macro_rules! key_lists {
    (actions: { $($a:literal => $af:ident),* $(,)? }
     data_sources: { $($d:literal => $df:ident),* $(,)? }
     triggers: { $($t:literal => $tf:ident),* $(,)? }) => {
        /// The manifest keys of a group's exports.
        pub fn keys(group: Group) -> &'static [&'static str] {
            match group {
                Group::Actions => &[$($a),*],
                Group::DataSources => &[$($d),*],
                Group::Triggers => &[$($t),*],
            }
        }

        /// `(key, bound function)` of every export.
        #[cfg(test)]
        const BOUND: &[(&str, &str)] =
            &[$(($a, stringify!($af)),)* $(($d, stringify!($df)),)* $(($t, stringify!($tf)),)*];
    };
}
for_each_export!(key_lists);

/// True when `group` has an export with manifest key `key`.
pub fn exists(group: Group, key: &str) -> bool {
    keys(group).contains(&key)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `(manifest group, key, witName)` of every export entry in `component.yaml`.
    fn manifest_exports() -> Vec<(String, String, String)> {
        let yaml = include_str!("../../../component.yaml");
        let mut section = String::new();
        let mut out = Vec::new();
        let mut lines = yaml.lines().peekable();
        while let Some(line) = lines.next() {
            if let Some(top) = line.strip_suffix(':').filter(|l| !l.starts_with(' ') && !l.starts_with('-')) {
                section = top.to_string();
            } else if let Some(key) = line.strip_prefix("- key: ") {
                if let Some(wit) = lines.peek().and_then(|next| next.strip_prefix("  witName: ")) {
                    out.push((section.clone(), key.to_string(), wit.to_string()));
                }
            }
        }
        out
    }

    #[test]
    fn the_list_is_the_manifests_exports() {
        let manifest = manifest_exports();
        assert_eq!(manifest.len(), 37 + 7 + 1, "{manifest:?}");
        for (group, field) in
            [(Group::Actions, "actions"), (Group::DataSources, "dataSources"), (Group::Triggers, "triggers")]
        {
            let listed: Vec<&str> =
                manifest.iter().filter(|(s, _, _)| s == field).map(|(_, k, _)| k.as_str()).collect();
            assert_eq!(keys(group), listed.as_slice(), "{field}");
        }
        for (_, key, wit) in &manifest {
            let (_, function) = BOUND.iter().find(|(k, _)| k == key).unwrap();
            assert_eq!(function.replace('_', "-"), *wit, "{key} is bound to {function}");
        }
    }

    #[test]
    fn keys_belong_to_one_group() {
        assert!(exists(Group::Actions, "getSpace"));
        assert!(!exists(Group::DataSources, "getSpace"));
        assert!(!exists(Group::Triggers, "selectSpace"));
        assert!(!exists(Group::Actions, "get-space"));
        assert!(!exists(Group::Triggers, "ackPoll"));
    }
}
