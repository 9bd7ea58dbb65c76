//! The entity blocks of a draft: those of the pipeline whose headers the
//! report shares most, with its column keys made the draft's, less what the
//! report does not have; properties other pipelines give the matched
//! columns, on entities of the same class; and each class's required
//! properties checked.

use std::collections::{BTreeMap, BTreeSet};

use ttkg_pipeline::{EntitySpec, Pipeline, PropertyTable, PropertyValue, Template, TemplatePart};

use crate::known::KnownColumn;
use crate::{DraftColumn, DraftEntity, Knowledge};

/// (property as written, value as TOML) pairs.
type Properties = Vec<(String, String)>;

/// Known (pipeline, key) → the draft's key.
type Renames = BTreeMap<(String, String), String>;

pub(crate) fn draft(
    columns: &[DraftColumn],
    chosen: &[Option<KnownColumn>],
    base: Option<&str>,
    knowledge: &Knowledge,
) -> Vec<DraftEntity> {
    let renames: Renames = columns
        .iter()
        .zip(chosen)
        .filter_map(|(c, k)| {
            k.map(|k| ((k.pipeline.name.clone(), k.key.to_owned()), c.key.clone()))
        })
        .collect();
    let Some(base) = base.and_then(|b| knowledge.pipelines.iter().find(|p| p.name == b)) else {
        let mut kept = Vec::new();
        add_labelled(&mut kept, columns, knowledge);
        check_required(&mut kept, knowledge);
        return kept;
    };
    let mut kept: Vec<DraftEntity> = Vec::new();
    // Entities whose IRI the report can make, in the base's order; links
    // are resolved once all are known.
    for entity in &base.spec.entities {
        let rename = |key: &str| renamed(&renames, &base.name, key);
        let Some(iri) = rename_template(entity.iri.get_ref(), &rename) else {
            continue;
        };
        let for_each = match &entity.for_each {
            Some(each) => match rename(each.get_ref()) {
                Some(k) => Some(k),
                None => continue,
            },
            None => None,
        };
        kept.push(DraftEntity {
            name: entity.name.get_ref().clone(),
            class: entity.class.as_ref().map(|c| c.get_ref().clone()),
            iri,
            for_each,
            properties: Vec::new(),
            fixed: Vec::new(),
            source: Some(base.name.clone()),
            missing: Vec::new(),
        });
    }
    let names: BTreeSet<String> = kept.iter().map(|e| e.name.clone()).collect();
    for draft in &mut kept {
        let entity = base
            .spec
            .entities
            .iter()
            .find(|e| e.name.get_ref() == &draft.name)
            .expect("kept from the base");
        (draft.properties, draft.fixed) = properties(base, entity, &renames, &names);
    }
    add_other_properties(&mut kept, columns, chosen, &renames, knowledge);
    borrow_entities(&mut kept, columns, chosen, &renames, knowledge);
    add_labelled(&mut kept, columns, knowledge);
    check_required(&mut kept, knowledge);
    kept
}

/// The local name of an IRI in lower case (`ttkg:Event` → `event`).
fn local(iri: &str) -> String {
    iri.rsplit(['#', '/', ':'])
        .next()
        .unwrap_or(iri)
        .to_lowercase()
}

/// An entity of `class` (full IRI) named by the first column that names
/// each row, with that column as its label; none when no column can.
fn entity_for(class: &str, columns: &[DraftColumn], kept: &[DraftEntity]) -> Option<DraftEntity> {
    let name_column = columns
        .iter()
        .find(|c| c.names_rows && !c.numbers && matches!(c.kind, crate::Kind::Text { .. }))?;
    let mut name = local(class);
    while kept.iter().any(|e| e.name == name) {
        name.push('_');
    }
    Some(DraftEntity {
        name: name.clone(),
        class: Some(ttkg_vocab::compact(class)),
        iri: format!("{}/{{{}}}", local(class), name_column.key),
        for_each: None,
        properties: vec![(
            "skos:prefLabel".into(),
            crate::render::quote(&name_column.key),
        )],
        fixed: Vec::new(),
        source: None,
        missing: Vec::new(),
    })
}

/// Columns no pipeline knows whose headers are labels of ontology
/// properties: each on the entity of the property's domain (made when the
/// draft has none and a column can name it); a text column for a property
/// whose range is a class (主办单位 → an organisation) becomes a linked
/// entity of that class, named by the text.
fn add_labelled(kept: &mut Vec<DraftEntity>, columns: &[DraftColumn], knowledge: &Knowledge) {
    let skos_concept = format!("{}Concept", ttkg_vocab::SKOS);
    // Properties with a domain first: they make the entities that the
    // others (a place, a date any class may have) then join.
    let domain_of = |c: &DraftColumn| {
        let iri = c.labelled.as_ref()?;
        knowledge
            .properties
            .iter()
            .find(|p| &p.iri == iri)?
            .domains
            .first()
    };
    let mut ordered: Vec<&DraftColumn> = columns.iter().filter(|c| !c.currencies).collect();
    ordered.sort_by_key(|c| domain_of(c).is_none());
    for column in ordered {
        let Some(iri) = &column.labelled else {
            continue;
        };
        if is_read(kept, &column.key) {
            continue;
        }
        let Some(property) = knowledge.properties.iter().find(|p| &p.iri == iri) else {
            continue;
        };
        let target = match property.domains.first() {
            Some(domain) => match kept.iter().position(|e| {
                e.class.as_deref().and_then(ttkg_vocab::expand).as_ref() == Some(domain)
            }) {
                Some(i) => i,
                // A new entity only for a report no pipeline describes: next
                // to another pipeline's entities it would stand unlinked.
                None if kept.iter().any(|e| e.class.is_some()) => continue,
                None => match entity_for(domain, columns, kept) {
                    Some(e) => {
                        kept.push(e);
                        kept.len() - 1
                    }
                    None => continue,
                },
            },
            None => match kept.iter().position(|e| e.class.is_some()) {
                Some(i) => i,
                None => continue,
            },
        };
        let compact = ttkg_vocab::compact(iri);
        if kept[target].properties.iter().any(|(p, _)| *p == compact) {
            continue;
        }
        let value = match &property.range {
            Some(range)
                if matches!(column.kind, crate::Kind::Text { .. })
                    && range != &skos_concept
                    && !range.starts_with(ttkg_vocab::XSD)
                    && !range.starts_with(ttkg_vocab::RDF) =>
            {
                let mut name = local(range);
                while kept.iter().any(|e| e.name == name) {
                    name.push('_');
                }
                kept.push(DraftEntity {
                    name: name.clone(),
                    class: Some(ttkg_vocab::compact(range)),
                    iri: format!("{}/{{{}}}", local(range), column.key),
                    for_each: None,
                    properties: vec![("skos:prefLabel".into(), crate::render::quote(&column.key))],
                    fixed: Vec::new(),
                    source: None,
                    missing: Vec::new(),
                });
                format!("{{ entity = {} }}", crate::render::quote(&name))
            }
            _ => crate::render::quote(&column.key),
        };
        kept[target].properties.push((compact, value));
    }
}

/// A column reference of `pipeline` (`amount`, `amount.cny`) with the
/// draft's key for its column, if the report has that column.
fn renamed(renames: &Renames, pipeline: &str, column: &str) -> Option<String> {
    let (key, companion) = match column.split_once('.') {
        Some((k, c)) => (k, Some(c)),
        None => (column, None),
    };
    let key = renames.get(&(pipeline.to_owned(), key.to_owned()))?;
    Some(match companion {
        Some(c) => format!("{key}.{c}"),
        None => key.clone(),
    })
}

/// The template with the draft's keys, if the report has every column it uses.
fn rename_template(template: &str, rename: &impl Fn(&str) -> Option<String>) -> Option<String> {
    let parsed = Template::parse(template).ok()?;
    let mut out = String::new();
    for part in parsed.parts {
        match part {
            TemplatePart::Text(t) => out.push_str(&t),
            TemplatePart::Column(c) => out.push_str(&format!("{{{}}}", rename(&c)?)),
        }
    }
    Some(out)
}

/// An entity's properties whose columns the report has and whose links
/// lead to entities kept, their values as TOML.
/// An entity's properties: those read from columns or linking entities,
/// and, apart, the fixed values (an IRI, a literal) the pipeline gives every
/// row, which are true of its sender's reports and need checking for this one.
fn properties(
    pipeline: &Pipeline,
    entity: &EntitySpec,
    renames: &Renames,
    kept: &BTreeSet<String>,
) -> (Properties, Properties) {
    let rename = |column: &str| renamed(renames, &pipeline.name, column);
    let (mut out, mut fixed) = (Vec::new(), Vec::new());
    for (property, value) in &entity.properties {
        let is_fixed = value.get_ref().items().iter().all(|item| {
            matches!(
                item,
                PropertyValue::Table(PropertyTable::Iri(_) | PropertyTable::Value { .. })
            )
        });
        let values: Vec<String> = value
            .get_ref()
            .items()
            .into_iter()
            .filter_map(|item| value_toml(item, &rename, kept))
            .collect();
        let text = match values.len() {
            0 => continue,
            1 => values.into_iter().next().unwrap_or_default(),
            _ => format!("[{}]", values.join(", ")),
        };
        match is_fixed {
            true => fixed.push((property.get_ref().clone(), text)),
            false => out.push((property.get_ref().clone(), text)),
        }
    }
    (out, fixed)
}

fn value_toml(
    item: &PropertyValue,
    rename: &impl Fn(&str) -> Option<String>,
    kept: &BTreeSet<String>,
) -> Option<String> {
    let quote = crate::render::quote;
    Some(match item {
        PropertyValue::Column(c) => quote(&rename(c)?),
        PropertyValue::Table(PropertyTable::Column { column, lang }) => match lang {
            Some(lang) => format!(
                "{{ column = {}, lang = {} }}",
                quote(&rename(column)?),
                quote(lang)
            ),
            None => quote(&rename(column)?),
        },
        PropertyValue::Table(PropertyTable::Entity(e)) if kept.contains(e) => {
            format!("{{ entity = {} }}", quote(e))
        }
        PropertyValue::Table(PropertyTable::Entity(_)) => return None,
        PropertyValue::Table(PropertyTable::Iri(i)) => format!("{{ iri = {} }}", quote(i)),
        PropertyValue::Table(PropertyTable::Value {
            value,
            datatype,
            lang,
        }) => {
            let mut parts = vec![format!("value = {}", quote(value))];
            parts.extend(datatype.iter().map(|d| format!("datatype = {}", quote(d))));
            parts.extend(lang.iter().map(|l| format!("lang = {}", quote(l))));
            format!("{{ {} }}", parts.join(", "))
        }
        PropertyValue::List(_) => return None,
    })
}

/// A matched column no kept entity reads gets the properties its own
/// pipeline gives it, on the draft's entity of the same class.
fn add_other_properties(
    kept: &mut [DraftEntity],
    columns: &[DraftColumn],
    chosen: &[Option<KnownColumn>],
    renames: &Renames,
    knowledge: &Knowledge,
) {
    let names: BTreeSet<String> = kept.iter().map(|e| e.name.clone()).collect();
    for (column, known) in columns.iter().zip(chosen) {
        let Some(known) = known else { continue };
        if is_read(kept, &column.key) {
            continue;
        }
        for entity in &known.pipeline.spec.entities {
            let Some(class) = entity.class.as_ref().map(|c| c.get_ref()) else {
                continue;
            };
            // The entity of the same class; else the row's main entity, for
            // properties the ontology gives no domain (any class may have them).
            let same = kept.iter().position(|e| e.class.as_ref() == Some(class));
            let target = match same {
                Some(i) => &mut kept[i],
                None => match kept.iter().position(|e| e.class.is_some()) {
                    Some(i) => &mut kept[i],
                    None => continue,
                },
            };
            let target_class = target.class.clone().unwrap_or_default();
            let free = |property: &str| knowledge.may_have(&target_class, property);
            let only_this = |c: &str| {
                let key = c.split_once('.').map_or(c, |(k, _)| k);
                (key == known.key)
                    .then(|| renamed(renames, &known.pipeline.name, c))
                    .flatten()
            };
            for (property, value) in &entity.properties {
                let items: Vec<String> = value
                    .get_ref()
                    .items()
                    .into_iter()
                    .filter(|item| {
                        matches!(
                            item,
                            PropertyValue::Column(_)
                                | PropertyValue::Table(PropertyTable::Column { .. })
                        )
                    })
                    .filter_map(|item| value_toml(item, &only_this, &names))
                    .collect();
                if same.is_none() && !free(property.get_ref()) {
                    continue;
                }
                if let Some(value) = items.into_iter().next() {
                    if !target
                        .properties
                        .iter()
                        .any(|(p, _)| p == property.get_ref())
                    {
                        target.properties.push((property.get_ref().clone(), value));
                    }
                }
            }
        }
    }
}

/// A matched column no entity reads, which its own pipeline makes an entity
/// of (`org/{partner}`, an organisation named by the column): that entity,
/// linked from the draft's entity as its pipeline links it, where the
/// ontology lets that entity's class have the link.
fn borrow_entities(
    kept: &mut Vec<DraftEntity>,
    columns: &[DraftColumn],
    chosen: &[Option<KnownColumn>],
    renames: &Renames,
    knowledge: &Knowledge,
) {
    for (column, known) in columns.iter().zip(chosen) {
        let Some(known) = known else { continue };
        if is_read(kept, &column.key) {
            continue;
        }
        let pipeline = known.pipeline;
        for entity in &pipeline.spec.entities {
            let only_column = Template::parse(entity.iri.get_ref())
                .is_ok_and(|t| t.columns().collect::<Vec<_>>() == [known.key]);
            if !only_column || entity.class.is_none() {
                continue;
            }
            let rename = |key: &str| renamed(renames, &pipeline.name, key);
            let Some(iri) = rename_template(entity.iri.get_ref(), &rename) else {
                continue;
            };
            let mut name = entity.name.get_ref().clone();
            while kept.iter().any(|e| e.name == name) {
                name.push('_');
            }
            let link = format!("{{ entity = {} }}", crate::render::quote(&name));
            let mut linked = false;
            for from in &pipeline.spec.entities {
                for (property, value) in &from.properties {
                    let links_here = value.get_ref().items().iter().any(|item| {
                        matches!(item, PropertyValue::Table(PropertyTable::Entity(e)) if e == entity.name.get_ref())
                    });
                    if !links_here {
                        continue;
                    }
                    let class = from.class.as_ref().map(|c| c.get_ref().clone());
                    let target = kept
                        .iter()
                        .position(|e| e.class.is_some() && e.class == class)
                        .or_else(|| {
                            kept.iter().position(|e| {
                                e.class
                                    .as_deref()
                                    .is_some_and(|c| knowledge.may_have(c, property.get_ref()))
                            })
                        });
                    if let Some(t) = target {
                        if !kept[t]
                            .properties
                            .iter()
                            .any(|(p, _)| p == property.get_ref())
                        {
                            kept[t]
                                .properties
                                .push((property.get_ref().clone(), link.clone()));
                            linked = true;
                        }
                    }
                }
            }
            if linked {
                let (properties, fixed) = properties(pipeline, entity, renames, &BTreeSet::new());
                kept.push(DraftEntity {
                    name,
                    class: entity.class.as_ref().map(|c| c.get_ref().clone()),
                    iri,
                    for_each: None,
                    properties,
                    fixed,
                    source: Some(pipeline.name.clone()),
                    missing: Vec::new(),
                });
                break;
            }
        }
    }
}

/// Whether an entity's IRI or one of its properties reads the column `key`.
pub(crate) fn is_read(entities: &[DraftEntity], key: &str) -> bool {
    entities.iter().any(|e| {
        e.iri.contains(&format!("{{{key}}}")) || e.properties.iter().any(|(_, v)| reads(v, key))
    })
}

/// Whether a property value as TOML reads the column `key`.
fn reads(value: &str, key: &str) -> bool {
    [format!("\"{key}\""), format!("\"{key}.")]
        .iter()
        .any(|needle| value.contains(needle.as_str()))
}

/// Each class's required properties that no property of the entity gives.
fn check_required(kept: &mut [DraftEntity], knowledge: &Knowledge) {
    for entity in kept.iter_mut() {
        let Some(class) = entity.class.as_deref().and_then(ttkg_vocab::expand) else {
            continue;
        };
        let given: BTreeSet<String> = entity
            .properties
            .iter()
            .filter_map(|(p, _)| ttkg_vocab::expand(p))
            .collect();
        entity.missing = knowledge
            .required
            .get(&class)
            .into_iter()
            .flatten()
            .filter(|p| !given.contains(*p))
            .map(|p| ttkg_vocab::compact(p))
            .collect();
    }
}
