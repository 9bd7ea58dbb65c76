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

/// (property as written, what to check of its value) pairs.
type Checks = Vec<(String, String)>;

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
        place_by_kind(&mut kept, columns, knowledge);
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
            guessed: Vec::new(),
            checks: Vec::new(),
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
        (draft.properties, draft.fixed, draft.checks) =
            properties(base, entity, &renames, &names, columns);
    }
    add_other_properties(&mut kept, columns, chosen, &renames, knowledge);
    borrow_entities(&mut kept, columns, chosen, &renames, knowledge);
    add_labelled(&mut kept, columns, knowledge);
    place_by_kind(&mut kept, columns, knowledge);
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
fn entity_for(
    class: &str,
    columns: &[DraftColumn],
    kept: &[DraftEntity],
    knowledge: &Knowledge,
) -> Option<DraftEntity> {
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
        iri: iri_for(class, &name_column.key, knowledge),
        for_each: None,
        properties: vec![(
            "skos:prefLabel".into(),
            crate::render::quote(&name_column.key),
        )],
        fixed: Vec::new(),
        source: None,
        missing: Vec::new(),
        guessed: Vec::new(),
        checks: Vec::new(),
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
            // A project's 示范面积（亩） says it is a demonstration base: the
            // entity of a superclass of the domain becomes one.
            Some(domain) => match kept
                .iter()
                .position(|e| {
                    e.class.as_deref().and_then(ttkg_vocab::expand).as_ref() == Some(domain)
                })
                .or_else(|| specialise(kept, domain, knowledge))
            {
                Some(i) => i,
                // A new entity only for a report no pipeline describes: next
                // to another pipeline's entities it would stand unlinked.
                None if kept.iter().any(|e| e.class.is_some()) => continue,
                None => match entity_for(domain, columns, kept, knowledge) {
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
        if kept[target].has(&compact) {
            continue;
        }
        let value = match &property.range {
            Some(range)
                if matches!(column.kind, crate::Kind::Text { .. })
                    && range != &skos_concept
                    && !range.starts_with(ttkg_vocab::XSD)
                    && !range.starts_with(ttkg_vocab::RDF) =>
            {
                linked_entity(kept, range, &column.key, knowledge)
            }
            _ => crate::render::quote(&column.key),
        };
        kept[target].properties.push((compact, value));
    }
}

/// The first entity whose class is a superclass of `domain` (full IRI),
/// its class made `domain`.
fn specialise(kept: &mut [DraftEntity], domain: &str, knowledge: &Knowledge) -> Option<usize> {
    let supers = knowledge.superclasses.get(domain)?;
    let i = kept.iter().position(|e| {
        e.class
            .as_deref()
            .and_then(ttkg_vocab::expand)
            .is_some_and(|c| supers.contains(&c))
    })?;
    kept[i].class = Some(ttkg_vocab::compact(domain));
    Some(i)
}

/// A required property a column gives in another form: an area in the
/// unit the property's label names (`ttkg:areaHectares`, "面积（公顷）",
/// from a column in 亩 as `area.hectare`), or a concept of the scheme the
/// property's range is (`ttkg:country` from the country column another
/// entity reads). Only when exactly one column can.
fn required_from_read(
    property: &str,
    columns: &[DraftColumn],
    knowledge: &Knowledge,
) -> Option<String> {
    let description = knowledge.properties.iter().find(|p| p.iri == property)?;
    let unit = description
        .labels
        .iter()
        .find_map(|l| crate::infer::header_unit(l));
    let range = description.range.as_deref().map(local);
    let fits: Vec<String> = columns
        .iter()
        .filter_map(|c| match &c.kind {
            crate::Kind::Area { .. } => unit.map(|u| format!("{}.{}", c.key, u.name())),
            crate::Kind::Concept { scheme, .. } if range.as_deref() == Some(scheme.as_str()) => {
                Some(c.key.clone())
            }
            _ => None,
        })
        .collect();
    match fits.as_slice() {
        [one] => Some(crate::render::quote(one)),
        _ => None,
    }
}

/// A new entity of `class` (full IRI) named and labelled by the column
/// `key`, and the link to it as TOML.
fn linked_entity(
    kept: &mut Vec<DraftEntity>,
    class: &str,
    key: &str,
    knowledge: &Knowledge,
) -> String {
    let mut name = local(class);
    while kept.iter().any(|e| e.name == name) {
        name.push('_');
    }
    kept.push(DraftEntity {
        name: name.clone(),
        class: Some(ttkg_vocab::compact(class)),
        iri: iri_for(class, key, knowledge),
        for_each: None,
        properties: vec![("skos:prefLabel".into(), crate::render::quote(key))],
        fixed: Vec::new(),
        source: None,
        missing: Vec::new(),
        guessed: Vec::new(),
        checks: Vec::new(),
    });
    format!("{{ entity = {} }}", crate::render::quote(&name))
}

/// The IRI template of an entity of `class` (full IRI) named by the column
/// `key`: the prefix the existing pipelines give such entities when they
/// name them by one column (`org/{…}`), so that the draft's organisations
/// are the same nodes as theirs; else the class's local name.
fn iri_for(class: &str, key: &str, knowledge: &Knowledge) -> String {
    let prefix = knowledge
        .pipelines
        .iter()
        .flat_map(|p| &p.spec.entities)
        .filter(|e| {
            e.class
                .as_ref()
                .and_then(|c| ttkg_vocab::expand(c.get_ref()))
                .as_deref()
                == Some(class)
        })
        .find_map(
            |e| match Template::parse(e.iri.get_ref()).ok()?.parts.as_slice() {
                [TemplatePart::Text(prefix), TemplatePart::Column(_)] => Some(prefix.clone()),
                _ => None,
            },
        )
        .unwrap_or_else(|| format!("{}/", local(class)));
    format!("{prefix}{{{key}}}")
}

/// Columns still unread that the first entity's class has an obvious place
/// for: a date is when it began (`ttkg:startDate`, a second one when it
/// ended), and a column of organisation names becomes an organisation
/// linked by the class's first link to organisations it lacks (required
/// links first). Each is marked to be checked.
fn place_by_kind(kept: &mut Vec<DraftEntity>, columns: &[DraftColumn], knowledge: &Knowledge) {
    let Some(main) = kept.iter().position(|e| e.class.is_some()) else {
        return;
    };
    let class = kept[main].class.clone().expect("has a class");
    let class_iri = ttkg_vocab::expand(&class).unwrap_or_else(|| class.clone());
    let organisation = ttkg_vocab::ttkg::iri("Organisation");
    let required: &[String] = knowledge
        .required
        .get(&class_iri)
        .map_or(&[], Vec::as_slice);
    let mut links: Vec<&str> = knowledge
        .properties
        .iter()
        .filter(|p| p.range.as_deref() == Some(organisation.as_str()))
        .filter(|p| !p.domains.is_empty() && knowledge.may_have(&class, &p.iri))
        .map(|p| p.iri.as_str())
        .collect();
    links.sort_by_key(|p| !required.iter().any(|r| r == p));
    let has = |kept: &[DraftEntity], iri: &str| kept[main].has(&ttkg_vocab::compact(iri));
    for property in required {
        if has(kept, property) {
            continue;
        }
        if let Some(value) = required_from_read(property, columns, knowledge) {
            kept[main].guess(property, value);
        }
    }
    for column in columns {
        if column.currencies || is_read(kept, &column.key) {
            continue;
        }
        let value = match &column.kind {
            crate::Kind::Date { .. } => ["startDate", "endDate"]
                .map(ttkg_vocab::ttkg::iri)
                .into_iter()
                .find(|p| knowledge.may_have(&class, p) && !has(kept, p))
                .map(|p| (p, crate::render::quote(&column.key))),
            crate::Kind::Text {
                resolve: Some(ttkg_pipeline::Resolve::Organisation),
                ..
            } => links.iter().find(|p| !has(kept, p)).map(|link| {
                let value = linked_entity(kept, &organisation, &column.key, knowledge);
                (link.to_string(), value)
            }),
            _ => None,
        };
        if let Some((property, value)) = value {
            kept[main].guess(&property, value);
        }
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
/// lead to entities kept, their values as TOML: those read from columns or
/// linking entities, and, apart, the fixed values (an IRI, a literal) the
/// pipeline gives every row, which are true of its sender's reports and
/// need checking for this one; and what to check of the first.
fn properties(
    pipeline: &Pipeline,
    entity: &EntitySpec,
    renames: &Renames,
    kept: &BTreeSet<String>,
    columns: &[DraftColumn],
) -> (Properties, Properties, Checks) {
    let rename = |column: &str| renamed(renames, &pipeline.name, column);
    let (mut out, mut fixed, mut checks) = (Vec::new(), Vec::new(), Vec::new());
    for (property, value) in &entity.properties {
        let is_fixed = value.get_ref().items().iter().all(|item| {
            matches!(
                item,
                PropertyValue::Table(PropertyTable::Iri(_) | PropertyTable::Value { .. })
            )
        });
        let mut values: Vec<String> = Vec::new();
        let items = value.get_ref().items();
        let tomls = items
            .into_iter()
            .filter_map(|item| value_toml(item, &rename, kept, columns, &pipeline.name));
        for (toml, check) in tomls {
            values.push(toml);
            checks.extend(check.map(|c| (property.get_ref().clone(), c)));
        }
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
    (out, fixed, checks)
}

/// A property value of `pipeline` as the draft writes it, with its columns
/// renamed, and what to check of it ([`tagged_column`]).
fn value_toml(
    item: &PropertyValue,
    rename: &impl Fn(&str) -> Option<String>,
    kept: &BTreeSet<String>,
    columns: &[DraftColumn],
    pipeline: &str,
) -> Option<(String, Option<String>)> {
    let quote = crate::render::quote;
    let toml = match item {
        PropertyValue::Table(PropertyTable::Column {
            column,
            lang: Some(lang),
        }) => return Some(tagged_column(&rename(column)?, lang, columns, pipeline)),
        PropertyValue::Column(c)
        | PropertyValue::Table(PropertyTable::Column {
            column: c,
            lang: None,
        }) => quote(&rename(c)?),
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
    };
    Some((toml, None))
}

/// The draft's column `key` with the language tag `lang` that `pipeline`
/// gives its own column, and what to check of it: where the report writes
/// the values in other letters, the tag they show replaces it (or none
/// does), and the draft says so.
fn tagged_column(
    key: &str,
    lang: &str,
    columns: &[DraftColumn],
    pipeline: &str,
) -> (String, Option<String>) {
    let quote = crate::render::quote;
    let with_tag = |tag: &str| format!("{{ column = {}, lang = {} }}", quote(key), quote(tag));
    let misfit = columns
        .iter()
        .find(|c| c.key == key)
        .and_then(|c| c.writing.misfit(lang));
    let Some(misfit) = misfit else {
        return (with_tag(lang), None);
    };
    let (toml, now) = match misfit.shown {
        Some(shown) => (
            with_tag(shown),
            format!("tagged \"{shown}\" as their letters show"),
        ),
        None => (
            quote(key),
            "left without a language tag; add the report's (lang = \"id\" for Indonesian, \"en\" for English, ...)".to_owned(),
        ),
    };
    let check = format!(
        "pipeline {pipeline} tags these values \"{lang}\", but {}: {now}",
        misfit.why
    );
    (toml, Some(check))
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
                let items: Vec<(String, Option<String>)> = value
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
                    .filter_map(|item| {
                        value_toml(item, &only_this, &names, columns, &known.pipeline.name)
                    })
                    .collect();
                if same.is_none() && !free(property.get_ref()) {
                    continue;
                }
                if let Some((value, check)) = items.into_iter().next() {
                    if !target
                        .properties
                        .iter()
                        .any(|(p, _)| p == property.get_ref())
                    {
                        let property = property.get_ref().clone();
                        target.checks.extend(check.map(|c| (property.clone(), c)));
                        target.properties.push((property, value));
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
                let (properties, fixed, checks) =
                    properties(pipeline, entity, renames, &BTreeSet::new(), columns);
                kept.push(DraftEntity {
                    name,
                    class: entity.class.as_ref().map(|c| c.get_ref().clone()),
                    iri,
                    for_each: None,
                    properties,
                    fixed,
                    source: Some(pipeline.name.clone()),
                    missing: Vec::new(),
                    guessed: Vec::new(),
                    checks,
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
