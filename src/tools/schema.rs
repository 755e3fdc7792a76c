//! JSON Schemas of tool inputs and outputs: draft 2020-12 with every subschema inlined (no
//! `$ref`), since some model clients do not follow references.

use schemars::JsonSchema;
use schemars::generate::SchemaSettings;
use serde_json::{Map, Value};

/// The schema of `T` as a JSON object (`type: object` for structs).
pub fn object_schema<T: JsonSchema>() -> Map<String, Value> {
    let generator = SchemaSettings::draft2020_12()
        .with(|s| {
            s.inline_subschemas = true;
        })
        .into_generator();
    let schema = generator.into_root_schema_for::<T>();
    match serde_json::to_value(schema) {
        Ok(Value::Object(mut map)) => {
            map.remove("$schema");
            map
        }
        _ => Map::new(),
    }
}
