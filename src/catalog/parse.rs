//! Reading catalog files into loosely typed records (a JSON object per row), with the line
//! number each came from. Type checks happen in `validate`.

use std::io::{BufRead, BufReader, Read};

use serde_json::{Map, Value};

use super::format::normalise_name;

/// A row's fields, or why it could not be read.
pub(crate) type RawRecord = Result<Map<String, Value>, String>;

/// One row as read: its line number and its record.
pub(crate) type RawRow = (u64, RawRecord);

/// Reads JSON Lines; blank lines are skipped. Invalid UTF-8 or JSON fails only its own line.
pub(crate) fn jsonl_rows<R: Read>(reader: R) -> impl Iterator<Item = RawRow> {
    let mut reader = BufReader::new(reader);
    let mut line_no = 0u64;
    std::iter::from_fn(move || {
        loop {
            let mut buf = Vec::new();
            match reader.read_until(b'\n', &mut buf) {
                Ok(0) => return None,
                Ok(_) => {}
                Err(err) => {
                    line_no += 1;
                    return Some((line_no, Err(format!("cannot read the line: {err}"))));
                }
            }
            line_no += 1;
            let text = match std::str::from_utf8(&buf) {
                Ok(text) => text.trim(),
                Err(err) => {
                    let at = err.valid_up_to();
                    return Some((line_no, Err(format!("not valid UTF-8 (at byte {at})"))));
                }
            };
            if text.is_empty() {
                continue;
            }
            let parsed = match serde_json::from_str::<Value>(text) {
                Ok(Value::Object(map)) => Ok(map),
                Ok(_) => Err("not a JSON object".to_string()),
                Err(err) => Err(format!("not valid JSON: {err}")),
            };
            return Some((line_no, parsed));
        }
    })
}

/// A delimited file's header names and its rows.
pub(crate) type Delimited = (Vec<String>, Box<dyn Iterator<Item = RawRow>>);

/// Reads CSV (or TSV: `delimiter`) with a header row; every cell becomes a JSON string (empty
/// cells are left out), keyed by the header name lower-cased and without a `g:` prefix.
pub(crate) fn csv_rows<R: Read + 'static>(reader: R, delimiter: u8) -> Result<Delimited, String> {
    let mut csv = csv::ReaderBuilder::new()
        .flexible(true)
        .delimiter(delimiter)
        .trim(csv::Trim::All)
        .from_reader(reader);
    let headers: Vec<String> = csv
        .byte_headers()
        .map_err(|err| format!("cannot read the header row: {err}"))?
        .iter()
        .map(|h| normalise_name(&String::from_utf8_lossy(h)))
        .collect();
    let names = headers.clone();
    let mut records = csv.into_byte_records();
    let rows = std::iter::from_fn(move || {
        let record = records.next()?;
        Some(match record {
            Err(err) => {
                let line = err.position().map_or(0, |p| p.line());
                (line, Err(format!("not valid CSV: {err}")))
            }
            Ok(record) => {
                let line = record.position().map_or(0, |p| p.line());
                (line, csv_record(&headers, &record))
            }
        })
    });
    Ok((names, Box::new(rows)))
}

fn csv_record(headers: &[String], record: &csv::ByteRecord) -> Result<Map<String, Value>, String> {
    if record.len() != headers.len() {
        return Err(format!(
            "has {} columns; the header has {}",
            record.len(),
            headers.len()
        ));
    }
    let mut map = Map::new();
    for (header, cell) in headers.iter().zip(record.iter()) {
        let text = std::str::from_utf8(cell).map_err(|err| {
            format!(
                "column {header:?} is not valid UTF-8 (at byte {})",
                err.valid_up_to()
            )
        })?;
        if !text.is_empty() {
            map.insert(header.clone(), Value::String(text.to_string()));
        }
    }
    Ok(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jsonl_reports_each_bad_line_and_keeps_going() {
        let input = b"{\"id\":\"a\"}\n\nnot json\n[1]\n\xff\xfe\n{\"id\":\"b\"}\n";
        let rows: Vec<_> = jsonl_rows(&input[..]).collect();
        let lines: Vec<u64> = rows.iter().map(|(line, _)| *line).collect();
        assert_eq!(lines, vec![1, 3, 4, 5, 6]);
        assert!(rows[0].1.is_ok());
        assert!(rows[1].1.as_ref().unwrap_err().contains("not valid JSON"));
        assert_eq!(rows[2].1.as_ref().unwrap_err(), "not a JSON object");
        assert!(rows[3].1.as_ref().unwrap_err().contains("UTF-8"));
        assert_eq!(rows[4].1.as_ref().unwrap()["id"], "b");
    }

    #[test]
    fn csv_maps_headers_and_flags_bad_rows() {
        let input = b"id,Title,price\na,Mug,12\nb,\xff,3\nc,only two\n";
        let (header, rows) = csv_rows(&input[..], b',').unwrap();
        assert_eq!(header, ["id", "title", "price"]);
        let rows: Vec<_> = rows.collect();
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0].0, 2);
        assert_eq!(rows[0].1.as_ref().unwrap()["title"], "Mug");
        assert!(rows[1].1.as_ref().unwrap_err().contains("UTF-8"));
        assert_eq!(rows[2].0, 4);
        assert!(rows[2].1.as_ref().unwrap_err().contains("columns"));
    }
}
