//! The editor ("UI") form of an API-format graph, sent as
//! `extra_data.extra_pnginfo.workflow` so ComfyUI's `SaveImage` writes it
//! into the output PNG and the image opens in the editor as a graph.
//!
//! The UI form lists nodes with positions, typed input and output slots and
//! their widget values in the order the node declares its inputs, and links
//! as `[id, from_node, from_slot, to_node, to_slot, type]`. Those orders and
//! types come from the server's `/object_info`, so the conversion asks the
//! server for each class it uses rather than guessing.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

/// Column width and row height of the automatic layout, in editor units.
const COLUMN: i64 = 360;
const ROW: i64 = 220;

fn node_id(key: &str, fallback: i64) -> i64 {
    key.parse().unwrap_or(fallback)
}

/// Is this input spec a widget (a value typed in the node) rather than a slot?
fn is_widget(spec: &Value) -> bool {
    match &spec[0] {
        Value::Array(_) => true, // a list of choices
        Value::String(t) => matches!(t.as_str(), "INT" | "FLOAT" | "STRING" | "BOOLEAN" | "COMBO"),
        _ => false,
    }
}

/// Convert `api` (node id → `{class_type, inputs}`) using `info` (class →
/// its `/object_info` entry). `None` when a class is missing from `info`.
pub fn ui_workflow(api: &Map<String, Value>, info: &BTreeMap<String, Value>) -> Option<Value> {
    // Ids: numeric keys keep their number; others get fresh ones after the largest.
    let mut next = api.keys().filter_map(|k| k.parse::<i64>().ok()).max().unwrap_or(0) + 1;
    let mut ids: BTreeMap<&str, i64> = BTreeMap::new();
    for k in api.keys() {
        let id = node_id(k, next);
        if k.parse::<i64>().is_err() {
            next += 1;
        }
        ids.insert(k, id);
    }
    // Depth of each node (longest chain of links into it), for the layout.
    let mut depth: BTreeMap<&str, i64> = api.keys().map(|k| (k.as_str(), 0)).collect();
    for _ in 0..api.len() {
        let mut changed = false;
        for (k, n) in api {
            for v in n["inputs"].as_object().into_iter().flat_map(|o| o.values()) {
                if let Some(src) = link_source(v)
                    && let Some(d) = depth.get(src).copied()
                    && depth[k.as_str()] < d + 1
                {
                    depth.insert(k, d + 1);
                    changed = true;
                }
            }
        }
        if !changed {
            break;
        }
    }
    let mut rows: BTreeMap<i64, i64> = BTreeMap::new();
    let mut links = Vec::new();
    let mut outputs: BTreeMap<&str, Vec<Value>> = BTreeMap::new();
    for (k, n) in api {
        let class = n["class_type"].as_str()?;
        let def = info.get(class)?;
        let types = def["output"].as_array().cloned().unwrap_or_default();
        let names = def["output_name"].as_array().cloned().unwrap_or_else(|| types.clone());
        let slots = types
            .iter()
            .enumerate()
            .map(|(i, t)| json!({"name": names.get(i).cloned().unwrap_or(t.clone()), "type": t, "links": [], "slot_index": i}))
            .collect();
        outputs.insert(k, slots);
    }
    let mut built = Vec::new();
    let mut order_by_depth: Vec<(&str, i64)> = depth.iter().map(|(k, d)| (*k, *d)).collect();
    order_by_depth.sort_by_key(|(k, d)| (*d, ids[k]));
    for (order, (k, d)) in order_by_depth.iter().enumerate() {
        let n = &api[*k];
        let class = n["class_type"].as_str()?;
        let def = &info[class];
        let given = n["inputs"].as_object().cloned().unwrap_or_default();
        let mut inputs = Vec::new();
        let mut widgets = Vec::new();
        // The editor adds an image input's upload button after every other
        // widget, so its value ("image") comes last: LoadImageMask is
        // `[image, channel, "image"]`, not `[image, "image", channel]`.
        let mut upload = false;
        for section in ["required", "optional"] {
            let order_list: Vec<String> = def["input_order"][section]
                .as_array()
                .map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect())
                .unwrap_or_else(|| {
                    def["input"][section].as_object().map(|o| o.keys().cloned().collect()).unwrap_or_default()
                });
            for name in order_list {
                let spec = &def["input"][section][&name];
                let value = given.get(&name);
                let widget = is_widget(spec);
                let link = value.and_then(link_source).map(|src| {
                    let slot = value.and_then(|v| v[1].as_u64()).unwrap_or(0);
                    (src, slot)
                });
                if let Some((src, slot)) = link {
                    let id = links.len() as i64 + 1;
                    let from = *ids.get(src)?;
                    let kind = outputs.get(src).and_then(|o| o.get(slot as usize)).map(|o| o["type"].clone());
                    let kind = kind.unwrap_or(json!("*"));
                    links.push(json!([id, from, slot, ids[k], inputs.len(), kind]));
                    if let Some(o) = outputs.get_mut(src).and_then(|o| o.get_mut(slot as usize))
                        && let Some(l) = o["links"].as_array_mut()
                    {
                        l.push(json!(id));
                    }
                    let mut input = json!({"name": name, "type": if widget { spec_type(spec) } else { spec[0].clone() }, "link": id});
                    if widget {
                        input["widget"] = json!({"name": name});
                    }
                    inputs.push(input);
                } else if !widget {
                    inputs.push(json!({"name": name, "type": spec[0].clone(), "link": null}));
                }
                if widget {
                    let v = if link.is_some() { Value::Null } else { value.cloned().unwrap_or(Value::Null) };
                    widgets.push(v);
                    if spec[1]["control_after_generate"].as_bool() == Some(true) {
                        widgets.push(json!("fixed"));
                    }
                    upload |= spec[1]["image_upload"].as_bool() == Some(true);
                }
            }
        }
        if upload {
            widgets.push(json!("image"));
        }
        built.push((*k, *d, order, class, inputs, widgets));
    }
    // Every link is known now, so each node's outputs list all of theirs.
    let mut nodes = Vec::new();
    for (k, d, order, class, inputs, widgets) in built {
        let row = rows.entry(d).or_insert(0);
        let pos = json!([d * COLUMN, *row * ROW]);
        *row += 1;
        let outs: Vec<Value> = outputs
            .remove(k)
            .unwrap_or_default()
            .into_iter()
            .map(|mut o| {
                if o["links"].as_array().is_some_and(Vec::is_empty) {
                    o["links"] = Value::Null;
                }
                o
            })
            .collect();
        nodes.push(json!({
            "id": ids[k],
            "type": class,
            "pos": pos,
            "size": [315, 130],
            "flags": {},
            "order": order,
            "mode": 0,
            "inputs": inputs,
            "outputs": outs,
            "properties": {"Node name for S&R": class},
            "widgets_values": widgets,
        }));
    }
    let last_node_id = ids.values().copied().max().unwrap_or(0);
    Some(json!({
        "last_node_id": last_node_id,
        "last_link_id": links.len(),
        "nodes": nodes,
        "links": links,
        "groups": [],
        "config": {},
        "extra": {"genpath": env!("CARGO_PKG_VERSION")},
        "version": 0.4,
    }))
}

fn spec_type(spec: &Value) -> Value {
    match &spec[0] {
        Value::Array(_) => json!("COMBO"),
        other => other.clone(),
    }
}

/// The node a link input points at: `["4", 0]`.
fn link_source(v: &Value) -> Option<&str> {
    let a = v.as_array()?;
    if a.len() == 2 && a[1].is_u64() { a[0].as_str() } else { None }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The real editor's order (ComfyUI frontend 1.27.10, checked against it
    /// by `real_comfyui_output_pngs_open_in_the_real_comfyui_editor`): the
    /// upload button's value follows every other widget.
    #[test]
    fn an_image_upload_value_comes_after_every_other_widget() {
        let recorded: Value = serde_json::from_str(include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/peers/comfyui_object_info_LoadImageMask.json"
        )))
        .unwrap();
        let info: BTreeMap<String, Value> =
            recorded["response"]["body"].as_object().unwrap().iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        let api = json!({"11": {"class_type": "LoadImageMask", "inputs": {"image": "m.png", "channel": "red"}}});
        let ui = ui_workflow(api.as_object().unwrap(), &info).unwrap();
        assert_eq!(ui["nodes"][0]["widgets_values"], json!(["m.png", "red", "image"]));
    }
}
